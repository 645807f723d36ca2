// Model and backend status: load progress, readiness, the backend in use and any fallback.

import { useTranslation } from 'react-i18next';

import type { BackendStatus } from '../../model/session';
import { backendUrl } from '../backendUrl';
import { formatProbability } from '../format';
import { currentLanguage } from '../i18n';
import {
  retryModel,
  selectActiveBackend,
  selectBackend,
  selectModel,
  useAppStore,
  type ModelState,
} from '../store';

function LoadingProgress({ model }: { model: Extract<ModelState, { status: 'loading' }> }) {
  const { t, i18n } = useTranslation();
  const percent = Math.round(Math.min(1, Math.max(0, model.fraction)) * 100);
  const label = t(`model.phase.${model.phase}`);

  return (
    <div className="progress-block">
      <p className="status-line">
        <span className="spinner" aria-hidden="true" />
        <span>{label}</span>
        {model.phase !== 'backend' && (
          <span className="status-line__value">{formatProbability(model.fraction, currentLanguage(i18n.language))}</span>
        )}
      </p>
      <div
        className="progress"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={model.phase === 'backend' ? undefined : percent}
        data-phase={model.phase}
      >
        <span className={model.phase === 'backend' ? 'is-indeterminate' : undefined} style={{ width: `${percent}%` }} />
      </div>
    </div>
  );
}

function BackendFallbackNotice({ backend }: { backend: BackendStatus }) {
  const { t } = useTranslation();
  if (backend.fallbacks.length === 0) return null;

  return (
    <div className="notice notice--warning" role="status" data-testid="backend-fallback">
      {backend.fallbacks.map((fallback) => (
        <p key={fallback.backend}>
          {t('backend.unavailable', { failed: t(`backend.names.${fallback.backend}`), reason: fallback.reason })}
        </p>
      ))}
      <p>{t('backend.runningOn', { backend: t(`backend.names.${backend.name}`) })}</p>
    </div>
  );
}

function BackendInfo({ backend }: { backend: BackendStatus | null }) {
  const { t } = useTranslation();
  const active = useAppStore(selectActiveBackend);

  return (
    <>
      {active && (
        <p className="backend-line">
          <span>{t('backend.label')}</span>
          <code className="backend-chip" data-testid="backend-name" data-backend={active}>{t(`backend.names.${active}`)}</code>
        </p>
      )}
      {backend && <BackendFallbackNotice backend={backend} />}
      {backend?.softwareAdapter && (
        <p className="notice notice--info" role="note">
          {t('backend.softwareAdapter')}{' '}
          <a href={backendUrl('wasm')} data-testid="use-wasm">{t('backend.useWasm')}</a>
        </p>
      )}
    </>
  );
}

export function ModelStatus() {
  const { t } = useTranslation();
  const model = useAppStore(selectModel);
  const backend = useAppStore(selectBackend);

  return (
    <section className="card model-status" data-testid="model-status" data-state={model.status} aria-labelledby="model-heading">
      <h2 id="model-heading">{t('model.heading')}</h2>
      <div aria-live="polite">
        {model.status === 'loading' && <LoadingProgress model={model} />}
        {model.status === 'ready' && (
          <p className="status-line is-ready"><span className="dot" aria-hidden="true" />{t('model.ready')}</p>
        )}
        {model.status === 'error' && (
          <div className="status-error">
            <p className="status-line is-error"><span className="dot" aria-hidden="true" />{t('model.failed')}</p>
            <button type="button" className="button" onClick={() => void retryModel()}>{t('model.retry')}</button>
          </div>
        )}
      </div>
      <BackendInfo backend={backend} />
    </section>
  );
}
