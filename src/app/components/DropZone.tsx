// Image input: drag and drop, the file picker and the preview of the current image.

import { useRef, useState, type ChangeEvent, type DragEvent } from 'react';
import { useTranslation } from 'react-i18next';

import { MAX_FILE_BYTES } from '../../image/decode';
import { openFile, selectDecoding, selectImage, useAppStore, type CurrentImage } from '../store';

/** Images up to this size are shown with visible pixels instead of being blurred when enlarged. */
const PIXELATED_MAX_SIDE = 64;

/** The picker filter. The decoder still checks the bytes, because users can pick any file anyway. */
const ACCEPTED_TYPES = 'image/*';

function hasFiles(event: DragEvent): boolean {
  return event.dataTransfer.types.includes('Files');
}

function Preview({ image }: { image: CurrentImage }) {
  const { t } = useTranslation();
  const pixelated = Math.max(image.width, image.height) <= PIXELATED_MAX_SIDE;

  return (
    <figure className="preview">
      <img
        data-testid="current-image"
        className={pixelated ? 'preview__image is-pixelated' : 'preview__image'}
        src={image.displayUrl}
        alt={t('input.imageAlt', { name: image.fileName })}
      />
      <figcaption>
        <span className="preview__name">{image.fileName}</span>
        <span className="preview__size">{t('input.size', { width: image.width, height: image.height })}</span>
      </figcaption>
    </figure>
  );
}

export function DropZone() {
  const { t } = useTranslation();
  const image = useAppStore(selectImage);
  const decoding = useAppStore(selectDecoding);
  const [dragging, setDragging] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);

  const onDragOver = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    event.dataTransfer.dropEffect = hasFiles(event) ? 'copy' : 'none';
    setDragging(true);
  };

  const onDragLeave = (event: DragEvent<HTMLDivElement>) => {
    // dragleave also fires when the pointer moves onto a child element.
    if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
  };

  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setDragging(false);
    void openFile(event.dataTransfer.files[0]);
  };

  const onChange = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    // Clearing the value lets the same file be chosen again after an error.
    event.target.value = '';
    if (file) void openFile(file);
  };

  const className = ['drop-zone', dragging && 'is-dragging', decoding && 'is-busy'].filter(Boolean).join(' ');

  return (
    <div
      className={className}
      data-testid="drop-zone"
      aria-busy={decoding}
      onDragOver={onDragOver}
      onDragEnter={onDragOver}
      onDragLeave={onDragLeave}
      onDrop={onDrop}
    >
      {image ? <Preview image={image} /> : (
        <div className="drop-zone__placeholder" aria-hidden="true">
          <svg viewBox="0 0 24 24" width="48" height="48" fill="none" stroke="currentColor" strokeWidth="1.5">
            <rect x="3" y="3" width="18" height="18" rx="3" />
            <circle cx="8.5" cy="8.5" r="1.75" />
            <path d="M21 15.5 16 10.5 5 21" />
          </svg>
        </div>
      )}

      <div className="drop-zone__actions">
        <p className="drop-zone__hint">
          <strong>{image ? t('input.replaceHint') : t('input.dropHint')}</strong>
          {!image && <span>{t('input.pasteHint')}</span>}
        </p>
        <button type="button" className="button button--primary" onClick={() => inputRef.current?.click()}>
          {t('input.choose')}
        </button>
        <input
          ref={inputRef}
          className="visually-hidden"
          type="file"
          accept={ACCEPTED_TYPES}
          tabIndex={-1}
          aria-label={t('input.choose')}
          data-testid="file-input"
          onChange={onChange}
        />
        <p className="drop-zone__formats">{t('input.formats', { maxMegabytes: MAX_FILE_BYTES / (1024 * 1024) })}</p>
      </div>

      {decoding && <p className="drop-zone__status" role="status">{t('input.decoding')}</p>}
    </div>
  );
}
