// The models to switch between: the bundled one, always listed and never removable, and the
// imported ones kept in this browser.

import { useTranslation } from 'react-i18next';

import type { StoredModelSummary } from '../../storage/modelStore';
import { formatDecimal } from '../format';
import { currentLanguage, type Language } from '../i18n';
import {
  BUNDLED_MODEL_ID, dismissLibraryFailure, isLibraryBusy, removeModel, selectLibrary, SESSION_MODEL_ID, switchModel,
  useLibraryStore, type SwitchProgress,
} from '../libraryStore';
import { useImportStore, type ImportState } from '../importStore';
import { selectModel, useAppStore } from '../store';
import { ImportFailureMessage } from './ImportFailureMessage';
import { ImportProgress } from './ImportProgress';
import '../import.css';

const BYTES_PER_MEGABYTE = 1024 * 1024;

const selectImportAdding = (state: ImportState): boolean => state.current.status === 'adding';

interface EntryProps {
  id: string;
  name: string;
  note: string;
  active: boolean;
  removable: boolean;
  disabled: boolean;
}

function LibraryEntry({ id, name, note, active, removable, disabled }: EntryProps) {
  const { t } = useTranslation();

  return (
    <li className={active ? 'library-entry is-active' : 'library-entry'} data-testid="library-entry" data-id={id} data-active={active}>
      <div className="library-entry__text">
        <span className="library-entry__name" data-testid="library-entry-name">{name}</span>
        <span className="library-entry__note">{note}</span>
      </div>
      <div className="library-entry__actions">
        {active ? <span className="library-entry__badge">{t('library.inUse')}</span> : (
          <button
            type="button" className="button" data-testid="library-use" disabled={disabled}
            aria-label={t('library.useLabel', { name })} onClick={() => void switchModel(id)}
          >
            {t('library.use')}
          </button>
        )}
        {removable && (
          <button
            type="button" className="button button--danger" data-testid="library-remove" disabled={disabled}
            aria-label={t('library.removeLabel', { name })} onClick={() => void removeModel(id)}
          >
            {t('library.remove')}
          </button>
        )}
      </div>
    </li>
  );
}

function importedNote(t: ReturnType<typeof useTranslation>['t'], model: StoredModelSummary, language: Language): string {
  const date = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' }).format(model.importedAt);
  const megabytes = formatDecimal(model.weightsBytes / BYTES_PER_MEGABYTE, language, 2);
  return t('library.importedNote', { file: model.fileName, date, megabytes });
}

function SwitchingProgress({ switching, name }: { switching: SwitchProgress; name: string }) {
  const { t } = useTranslation();
  return (
    <div className="library-switching">
      <p>{t('library.switching', { name })}</p>
      <ImportProgress
        testId="library-progress" phase={switching.phase} fraction={switching.fraction} label={t(`library.phase.${switching.phase}`)}
      />
    </div>
  );
}

export function ModelLibrary() {
  const { t, i18n } = useTranslation();
  const language = currentLanguage(i18n.language);
  const library = useLibraryStore(selectLibrary);
  const model = useAppStore(selectModel);
  const importAdding = useImportStore(selectImportAdding);
  const busy = isLibraryBusy(library) || model.status === 'loading' || importAdding;
  const switchingName = library.switching?.id === BUNDLED_MODEL_ID
    ? t('library.bundled')
    : library.models.find((entry) => entry.id === library.switching?.id)?.name ?? '';

  return (
    <section className="card model-library" data-testid="model-library" data-active-id={library.activeId} aria-labelledby="library-heading">
      <h2 id="library-heading">{t('library.heading')}</h2>
      {library.failure && <ImportFailureMessage failure={library.failure} onDismiss={dismissLibraryFailure} testId="library-error" />}
      <ul className="library-list">
        <LibraryEntry
          id={BUNDLED_MODEL_ID} name={t('library.bundled')} note={t('library.bundledNote')}
          active={library.activeId === BUNDLED_MODEL_ID} removable={false} disabled={busy}
        />
        {library.activeId === SESSION_MODEL_ID && library.sessionModelName !== null && (
          <LibraryEntry
            id={SESSION_MODEL_ID} name={library.sessionModelName} note={t('library.sessionNote')}
            active removable={false} disabled={busy}
          />
        )}
        {library.models.map((entry) => (
          <LibraryEntry
            key={entry.id} id={entry.id} name={entry.name} note={importedNote(t, entry, language)}
            active={library.activeId === entry.id} removable disabled={busy}
          />
        ))}
      </ul>
      {library.storage === 'opening' && <p className="muted">{t('library.storageOpening')}</p>}
      {library.switching && <SwitchingProgress switching={library.switching} name={switchingName} />}
    </section>
  );
}
