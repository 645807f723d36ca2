// A failed import, switch or removal: the translated message, the model that is still in use,
// the keys at fault for a weight mismatch, and the technical English message under Details.

import { useTranslation } from 'react-i18next';

import type { WeightProblems } from '../../model/validate';
import { shapeToString } from '../../model/tensors';
import type { ImportFailure } from '../importError';
import { selectCard, useAppStore } from '../store';

function KeyList({ keys }: { keys: string[] }) {
  return (
    <ul className="import-problems__keys">
      {keys.map((key) => <li key={key}><code>{key}</code></li>)}
    </ul>
  );
}

function WeightProblemList({ problems }: { problems: WeightProblems }) {
  const { t } = useTranslation();
  const { missing, unexpected, mismatched, invalid } = problems;

  return (
    <div className="import-problems" data-testid="import-problems">
      {missing.length > 0 && (
        <details data-kind="missing">
          <summary>{t('import.problems.missing', { count: missing.length })}</summary>
          <KeyList keys={missing} />
        </details>
      )}
      {unexpected.length > 0 && (
        <details data-kind="unexpected">
          <summary>{t('import.problems.unexpected', { count: unexpected.length })}</summary>
          <KeyList keys={unexpected} />
        </details>
      )}
      {mismatched.length > 0 && (
        <details data-kind="mismatched">
          <summary>{t('import.problems.mismatched', { count: mismatched.length })}</summary>
          <ul className="import-problems__keys">
            {mismatched.map(({ key, expected, found }) => (
              <li key={key}>
                <code>{t('import.problems.mismatch', { key, expected: shapeToString(expected), found: shapeToString(found) })}</code>
              </li>
            ))}
          </ul>
        </details>
      )}
      {invalid.length > 0 && (
        <details data-kind="invalid">
          <summary>{t('import.problems.invalid', { count: invalid.length })}</summary>
          <KeyList keys={invalid} />
        </details>
      )}
    </div>
  );
}

export function ImportFailureMessage({ failure, onDismiss, testId }: { failure: ImportFailure; onDismiss: () => void; testId: string }) {
  const { t } = useTranslation();
  const card = useAppStore(selectCard);

  return (
    <div className="error-message" role="alert" data-testid={testId} data-code={failure.code}>
      <div className="error-message__body">
        <p>{t(`import.errors.${failure.code}`, failure.params)}</p>
        {card && <span className="import-error__kept" data-testid="import-error-kept">{t('import.previousKept', { model: card.name })}</span>}
        {failure.problems && <WeightProblemList problems={failure.problems} />}
        <details>
          <summary>{t('import.detail')}</summary>
          <code lang="en">{failure.detail}</code>
        </details>
      </div>
      <button type="button" className="icon-button" onClick={onDismiss} aria-label={t('import.dismiss')}>
        ×
      </button>
    </div>
  );
}
