// The camera picture with the live top-3, frames per second and latency drawn over it.

import type { CSSProperties, Ref } from 'react';
import { useTranslation } from 'react-i18next';

import { classLabel, formatDecimal, formatMilliseconds, formatProbability } from '../format';
import { currentLanguage } from '../i18n';
import { selectCard, selectModel, useAppStore } from '../store';
import {
  LIVE_TOP_K,
  selectHidden,
  selectLivePrediction,
  selectMirror,
  selectWebcamStatus,
  useWebcamStore,
  type LivePrediction,
} from '../webcamStore';

// Layout for the overlay only; colours and type come from the shared card and prediction styles.
const STYLES = {
  frame: { position: 'relative', borderRadius: 12, overflow: 'hidden', background: '#000', lineHeight: 0 },
  video: { display: 'block', width: '100%', maxHeight: '60vh', objectFit: 'contain' },
  overlay: {
    position: 'absolute', left: 0, right: 0, bottom: 0, padding: '8px 12px', lineHeight: 1.5,
    background: 'rgba(0, 0, 0, 0.6)', color: '#fff', fontSize: '0.9rem',
  },
  list: { listStyle: 'none', margin: 0, padding: 0 },
  row: { display: 'flex', justifyContent: 'space-between', gap: 12 },
  top: { fontWeight: 700 },
  facts: { display: 'flex', gap: 16, marginTop: 4, opacity: 0.85 },
} satisfies Record<string, CSSProperties>;

function LiveTopK({ prediction }: { prediction: LivePrediction }) {
  const { t, i18n } = useTranslation();
  const language = currentLanguage(i18n.language);
  const card = useAppStore(selectCard);

  return (
    <ol style={STYLES.list} aria-label={t('webcam.liveTopK', { count: LIVE_TOP_K })}>
      {prediction.topK.map((entry, rank) => (
        <li
          key={entry.index}
          style={rank === 0 ? { ...STYLES.row, ...STYLES.top } : STYLES.row}
          data-testid={rank === 0 ? 'webcam-top1' : undefined}
          data-index={entry.index}
          data-probability={entry.probability}
        >
          <span>{classLabel(card, entry.index, language)}</span>
          <span>{formatProbability(entry.probability, language)}</span>
        </li>
      ))}
    </ol>
  );
}

function LiveFacts({ prediction }: { prediction: LivePrediction }) {
  const { t, i18n } = useTranslation();
  const language = currentLanguage(i18n.language);
  const fps = prediction.fps === null ? '–' : formatDecimal(prediction.fps, language);

  return (
    <p style={STYLES.facts}>
      <span data-testid="webcam-fps" data-fps={prediction.fps ?? ''} title={t('webcam.fpsLabel')}>
        {t('webcam.fps', { fps })}
      </span>
      <span
        data-testid="webcam-latency"
        data-ms={prediction.latencyMs}
        data-inference-ms={prediction.inferenceMs}
        title={t('webcam.latencyLabel')}
      >
        {t('webcam.latency', { ms: formatMilliseconds(prediction.latencyMs) })}
      </span>
    </p>
  );
}

/** Status text of the overlay before the first result, or while the tab is hidden. */
function LiveStatus() {
  const { t } = useTranslation();
  const model = useAppStore(selectModel);
  const hidden = useWebcamStore(selectHidden);
  if (hidden) return <p role="status">{t('webcam.paused')}</p>;
  if (model.status === 'loading') return <p role="status">{t('webcam.waitingForModel')}</p>;
  if (model.status === 'error') return <p role="status">{t('webcam.modelUnavailable')}</p>;
  return <p role="status">{t('webcam.waitingForResult')}</p>;
}

export function WebcamView({ videoRef }: { videoRef: Ref<HTMLVideoElement> }) {
  const { t } = useTranslation();
  const status = useWebcamStore(selectWebcamStatus);
  const mirror = useWebcamStore(selectMirror);
  const prediction = useWebcamStore(selectLivePrediction);
  const hidden = useWebcamStore(selectHidden);

  return (
    <div style={STYLES.frame} hidden={status === 'idle'}>
      <video
        ref={videoRef}
        data-testid="webcam-video"
        data-mirrored={mirror}
        aria-label={t('webcam.videoLabel')}
        muted
        playsInline
        // Mirroring is a CSS transform of the preview only; frames are read from the unmirrored video.
        style={mirror ? { ...STYLES.video, transform: 'scaleX(-1)' } : STYLES.video}
      />
      {status === 'live' && (
        <div style={STYLES.overlay} aria-live="off">
          {prediction && !hidden ? (
            <>
              <LiveTopK prediction={prediction} />
              <LiveFacts prediction={prediction} />
            </>
          ) : <LiveStatus />}
        </div>
      )}
    </div>
  );
}
