// The optional labels file, its check against the class count, and how ImageFolder numbers classes.

import { useRef, type ChangeEvent } from 'react';
import { useTranslation } from 'react-i18next';

import { LABELS_EXTENSIONS, setImportLabelsFile, type PendingImport } from '../importStore';

export function ImportLabels({ pending }: { pending: PendingImport }) {
  const { t } = useTranslation();
  const inputRef = useRef<HTMLInputElement>(null);
  const { numClasses } = pending.imported.architecture;
  const { labels, labelsFailure } = pending;

  const onChange = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0] ?? null;
    // Clearing the value lets the same file be chosen again after it was fixed.
    event.target.value = '';
    if (file) void setImportLabelsFile(file);
  };

  return (
    <fieldset className="import-labels" data-testid="import-labels">
      <legend>{t('import.labels.heading')}</legend>
      <p className="muted">{t('import.labels.hint', { count: numClasses, last: numClasses - 1 })}</p>
      <p className="notice notice--info" role="note" data-testid="imagefolder-note">{t('import.labels.imageFolder')}</p>
      <div className="import-labels__actions">
        <button type="button" className="button" onClick={() => inputRef.current?.click()}>{t('import.labels.choose')}</button>
        <input
          ref={inputRef} className="visually-hidden" type="file" tabIndex={-1} accept={LABELS_EXTENSIONS.join(',')}
          aria-label={t('import.labels.choose')} data-testid="import-labels-input" onChange={onChange}
        />
        {labels && (
          <>
            <span data-testid="import-labels-chosen" data-count={labels.names.length}>
              {t('import.labels.chosen', { name: labels.fileName, count: labels.names.length, first: labels.names.slice(0, 3).join(', ') })}
            </span>
            <button type="button" className="button" onClick={() => void setImportLabelsFile(null)}>{t('import.labels.remove')}</button>
          </>
        )}
      </div>
      {labelsFailure && (
        <p className="import-field-error" role="alert" data-testid="import-labels-error" data-code={labelsFailure.code}>
          {t(`import.errors.${labelsFailure.code}`, labelsFailure.params)}
        </p>
      )}
    </fieldset>
  );
}
