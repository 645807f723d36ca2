import { useTranslation } from 'react-i18next';

import { errorMessage } from '../errorText';
import { currentLanguage } from '../i18n';
import { dismissError, selectError, useAppStore } from '../store';

export function ErrorMessage() {
  const { t, i18n } = useTranslation();
  const error = useAppStore(selectError);
  if (!error) return null;

  return (
    <div className="error-message" role="alert" data-testid="error-message" data-code={error.code}>
      <div className="error-message__body">
        <p>{errorMessage(t, error, currentLanguage(i18n.language))}</p>
        {error.detail && (
          <details>
            <summary>{t('errors.detail')}</summary>
            <code lang="en">{error.detail}</code>
          </details>
        )}
      </div>
      <button type="button" className="icon-button" onClick={dismissError} aria-label={t('errors.dismiss')}>
        ×
      </button>
    </div>
  );
}
