// The "Import model" panel: drop or choose a checkpoint, see what was found, answer the
// questions the weights leave open, then add the model and use it.

import { useEffect, useRef, useState, type ChangeEvent, type DragEvent } from 'react';
import { useTranslation } from 'react-i18next';

import { isLibraryBusy, openModelLibrary, useLibraryStore, type LibraryState } from '../libraryStore';
import {
  addBlocker, cancelImport, CHECKPOINT_EXTENSIONS, confirmImport, dismissImportFailure, importCheckpointFile,
  selectAdded, selectImport, selectImportFailure, setImportName, useImportStore,
  type ImportCardText, type ImportStatus, type PendingImport,
} from '../importStore';
import { useAppStore, type AppState } from '../store';
import { ImportFailureMessage } from './ImportFailureMessage';
import { ImportFound } from './ImportFound';
import { ImportLabels } from './ImportLabels';
import { ImportPreprocessing } from './ImportPreprocessing';
import { ImportProgress } from './ImportProgress';
import { ImportSizeChoice } from './ImportSizeChoice';
import '../import.css';

const selectModelStatus = (state: AppState) => state.model.status;
const selectLibraryBusy = (state: LibraryState) => isLibraryBusy(state);

function CheckpointDropZone({ disabled }: { disabled: boolean }) {
  const { t } = useTranslation();
  const [dragging, setDragging] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);

  const onDragOver = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    event.dataTransfer.dropEffect = disabled ? 'none' : 'copy';
    setDragging(true);
  };

  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setDragging(false);
    if (!disabled) void importCheckpointFile(event.dataTransfer.files[0]);
  };

  const onChange = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    // Clearing the value lets the same file be chosen again after an error.
    event.target.value = '';
    if (file) void importCheckpointFile(file);
  };

  return (
    <div
      className={dragging ? 'drop-zone import-drop is-dragging' : 'drop-zone import-drop'}
      data-testid="import-drop-zone"
      onDragOver={onDragOver}
      onDragEnter={onDragOver}
      onDragLeave={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <p className="drop-zone__hint"><strong>{t('import.dropHint')}</strong></p>
      <button type="button" className="button button--primary" disabled={disabled} onClick={() => inputRef.current?.click()}>
        {t('import.choose')}
      </button>
      <input
        ref={inputRef} className="visually-hidden" type="file" tabIndex={-1} accept={CHECKPOINT_EXTENSIONS.join(',')}
        aria-label={t('import.choose')} data-testid="import-input" disabled={disabled} onChange={onChange}
      />
      <p className="drop-zone__formats">{t('import.formats')}</p>
    </div>
  );
}

function useCardText(fileName: string): ImportCardText {
  const { i18n } = useTranslation();
  const en = i18n.getFixedT('en');
  const ja = i18n.getFixedT('ja');
  return {
    defaultClassName: {
      en: (index) => en('import.labels.defaultName', { index }),
      ja: (index) => ja('import.labels.defaultName', { index }),
    },
    description: { en: en('import.description', { file: fileName }), ja: ja('import.description', { file: fileName }) },
  };
}

function ImportActions({ pending, adding }: { pending: PendingImport; adding: boolean }) {
  const { t } = useTranslation();
  const text = useCardText(pending.fileName);
  // Re-render when the main model or the library becomes busy or idle, which addBlocker reads.
  useAppStore(selectModelStatus);
  useLibraryStore(selectLibraryBusy);
  const blocker = addBlocker(pending);

  return (
    <div className="import-actions">
      <label className="import-field">
        {t('import.name')}
        <input
          type="text" value={pending.name} data-testid="import-name" disabled={adding}
          onChange={(event) => setImportName(event.target.value)}
        />
      </label>
      <div className="import-actions__buttons">
        <button
          type="button" className="button button--primary" data-testid="import-add"
          disabled={adding || blocker !== null} onClick={() => void confirmImport(text)}
        >
          {t('import.add')}
        </button>
        <button type="button" className="button" data-testid="import-cancel" disabled={adding} onClick={cancelImport}>
          {t('import.cancel')}
        </button>
      </div>
      {blocker && !adding && <p className="muted" data-testid="import-blocker" data-blocker={blocker}>{t(`import.blockers.${blocker}`)}</p>}
    </div>
  );
}

function ImportReview({ current }: { current: Extract<ImportStatus, { status: 'review' | 'adding' }> }) {
  const { t } = useTranslation();
  const { pending } = current;
  const { imported } = pending;
  const asksSize = imported.config === null || imported.architecture.imageSizeSource === 'assumed-square';
  const adding = current.status === 'adding';

  return (
    <div className="import-review" data-testid="import-review">
      <ImportFound pending={pending} />
      <fieldset className="import-review__form" disabled={adding}>
        {asksSize && <ImportSizeChoice pending={pending} />}
        <ImportLabels pending={pending} />
        <ImportPreprocessing pending={pending} />
      </fieldset>
      <ImportActions pending={pending} adding={adding} />
      {adding && (
        <ImportProgress
          testId="import-progress" phase={current.phase} fraction={current.fraction}
          label={t(`import.phase.${current.phase}`, { name: pending.fileName })}
        />
      )}
    </div>
  );
}

export function ImportPanel() {
  const { t } = useTranslation();
  const current = useImportStore(selectImport);
  const failure = useImportStore(selectImportFailure);
  const added = useImportStore(selectAdded);

  useEffect(() => {
    void openModelLibrary();
  }, []);

  return (
    <section className="card import-panel" data-testid="import-panel" data-state={current.status} aria-labelledby="import-heading">
      <h2 id="import-heading">{t('import.heading')}</h2>
      <p className="muted">{t('import.intro')}</p>
      <p className="muted">{t('import.supported')}</p>
      {failure && <ImportFailureMessage failure={failure} onDismiss={dismissImportFailure} testId="import-error" />}
      {added && current.status === 'idle' && (
        <p className="notice notice--info" role="status" data-testid="import-added">{t('import.added', { name: added })}</p>
      )}
      <CheckpointDropZone disabled={current.status === 'adding'} />
      {current.status === 'reading' && (
        <ImportProgress
          testId="import-progress" phase={current.phase} fraction={current.fraction}
          label={t(`import.phase.${current.phase}`, { name: current.fileName })}
        />
      )}
      {(current.status === 'review' || current.status === 'adding') && <ImportReview current={current} />}
    </section>
  );
}
