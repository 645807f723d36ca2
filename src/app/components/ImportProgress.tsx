// A labelled progress bar for the import and model-switch phases.

import { useTranslation } from 'react-i18next';

import { formatProbability } from '../format';
import { currentLanguage } from '../i18n';

export function ImportProgress({ label, fraction, phase, testId }: { label: string; fraction: number; phase: string; testId: string }) {
  const { i18n } = useTranslation();
  const clamped = Math.min(1, Math.max(0, fraction));
  const percent = Math.round(clamped * 100);

  return (
    <div className="progress-block" data-testid={testId} data-phase={phase}>
      <p className="status-line">
        <span className="spinner" aria-hidden="true" />
        <span>{label}</span>
        <span className="status-line__value">{formatProbability(clamped, currentLanguage(i18n.language))}</span>
      </p>
      <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
        <span style={{ width: `${percent}%` }} />
      </div>
    </div>
  );
}
