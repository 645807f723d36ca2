// A camera failure in the user's language, with the way forward: retry, or an image file instead.

import { useRef, type ChangeEvent, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';

import { openFile } from '../store';
import { dismissWebcamError, selectWebcamError, startWebcam, useWebcamStore } from '../webcamStore';

/** Failures that another Start cannot fix without the user changing the page or the browser. */
const NOT_RETRYABLE = new Set(['insecure-context', 'no-media-devices']);

function UseFileButton() {
  const { t } = useTranslation();
  const inputRef = useRef<HTMLInputElement>(null);

  const onChange = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    dismissWebcamError();
    void openFile(file);
  };

  return (
    <>
      <button type="button" className="button button--primary" data-testid="webcam-use-file" onClick={() => inputRef.current?.click()}>
        {t('webcam.useFile')}
      </button>
      <input ref={inputRef} className="visually-hidden" type="file" accept="image/*" tabIndex={-1} aria-label={t('webcam.useFile')} onChange={onChange} />
    </>
  );
}

export function WebcamErrorMessage({ videoRef }: { videoRef: RefObject<HTMLVideoElement | null> }) {
  const { t } = useTranslation();
  const error = useWebcamStore(selectWebcamError);
  if (!error) return null;

  const retry = () => {
    if (videoRef.current) void startWebcam(videoRef.current);
  };

  return (
    <div className="error-message" role="alert" data-testid="webcam-error" data-code={error.code}>
      <div className="error-message__body">
        <p>{t(`webcam.errors.${error.code}`)}</p>
        <details>
          <summary>{t('errors.detail')}</summary>
          <code lang="en">{error.detail}</code>
        </details>
        <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, marginTop: 8 }}>
          <UseFileButton />
          {!NOT_RETRYABLE.has(error.code) && (
            <button type="button" className="button" data-testid="webcam-retry" onClick={retry}>{t('webcam.retry')}</button>
          )}
        </div>
      </div>
      <button type="button" className="icon-button" onClick={dismissWebcamError} aria-label={t('webcam.dismiss')}>
        ×
      </button>
    </div>
  );
}
