// The classification result: top-k classes with probability bars, inference time and backend.

import { useTranslation } from 'react-i18next';

import type { ModelCard } from '../../model/modelCard';
import type { ClassifyResult } from '../../model/session';
import { classLabel, formatMilliseconds, formatProbability } from '../format';
import { currentLanguage, type Language } from '../i18n';
import {
  selectCard,
  selectClassifying,
  selectImage,
  selectPredictionStatus,
  selectUsesBundledModel,
  selectResult,
  useAppStore,
  type CurrentImage,
  type PredictionStatus,
} from '../store';

interface ResultProps {
  result: ClassifyResult;
  card: ModelCard | null;
  language: Language;
}

function PredictionList({ result, card, language }: ResultProps) {
  const { t } = useTranslation();
  return (
    <ol className="predictions" data-testid="prediction-list" aria-label={t('result.topK', { count: result.topK.length })}>
      {result.topK.map((entry, rank) => (
        <li
          key={entry.index}
          className={rank === 0 ? 'prediction is-top' : 'prediction'}
          data-testid="prediction-row"
          data-index={entry.index}
          data-probability={entry.probability}
        >
          <span className="prediction__label">{classLabel(card, entry.index, language)}</span>
          <span className="prediction__value">{formatProbability(entry.probability, language)}</span>
          <span className="prediction__bar" aria-hidden="true">
            <span style={{ width: `${Math.min(1, Math.max(0, entry.probability)) * 100}%` }} />
          </span>
        </li>
      ))}
    </ol>
  );
}

function TrueLabel({ image, result, card, language }: ResultProps & { image: CurrentImage }) {
  const { t } = useTranslation();
  const usesBundledModel = useAppStore(selectUsesBundledModel);
  // A sample's label is a Fashion-MNIST class index, meaningless for an imported model's classes.
  if (image.trueLabel === null || !usesBundledModel) return null;
  const correct = result.topK[0]?.index === image.trueLabel;

  return (
    <p className={correct ? 'true-label is-correct' : 'true-label is-incorrect'}>
      {t('result.trueLabel')}: <strong>{classLabel(card, image.trueLabel, language)}</strong>
      <span className="true-label__verdict">{correct ? `✓ ${t('result.correct')}` : `✗ ${t('result.incorrect')}`}</span>
    </p>
  );
}

function InferenceFacts({ result }: { result: ClassifyResult }) {
  const { t } = useTranslation();
  return (
    <dl className="facts">
      <div>
        <dt>{t('result.inferenceTime')}</dt>
        <dd>
          <span data-testid="inference-ms" data-ms={result.ms}>{formatMilliseconds(result.ms)}</span>
          {' '}{t('result.milliseconds')}
        </dd>
      </div>
      <div>
        <dt>{t('result.backend')}</dt>
        <dd>{t(`backend.names.${result.backend}`)}</dd>
      </div>
    </dl>
  );
}

const PLACEHOLDER_KEYS = {
  'empty': 'result.empty',
  'waiting-for-model': 'result.waitingForModel',
  'model-unavailable': 'result.modelUnavailable',
  'failed': 'result.failed',
  'classifying': 'result.classifying',
} as const;

function Placeholder({ status }: { status: Exclude<PredictionStatus, 'done'> }) {
  const { t } = useTranslation();
  return <p className="placeholder" role="status">{t(PLACEHOLDER_KEYS[status])}</p>;
}

export function PredictionPanel() {
  const { t, i18n } = useTranslation();
  const language = currentLanguage(i18n.language);
  const result = useAppStore(selectResult);
  const card = useAppStore(selectCard);
  const image = useAppStore(selectImage);
  const classifying = useAppStore(selectClassifying);
  const status = useAppStore(selectPredictionStatus);

  return (
    <section className="card result" aria-labelledby="result-heading" aria-busy={classifying} data-status={status}>
      <h2 id="result-heading">{t('result.heading')}</h2>
      {result && image ? (
        <>
          <PredictionList result={result} card={card} language={language} />
          <TrueLabel image={image} result={result} card={card} language={language} />
          <InferenceFacts result={result} />
        </>
      ) : status !== 'done' && <Placeholder status={status} />}
    </section>
  );
}
