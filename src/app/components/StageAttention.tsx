// Attention maps of a Transformer block: click a position on the input and see, for every head,
// the softmax weights of that query over the block's grid (relative-position bias included).

import type { MouseEvent } from 'react';
import { useTranslation } from 'react-i18next';

import type { AttentionForPosition } from '../../analysis';
import { currentLanguage, type Language } from '../i18n';
import {
  chooseAttentionBlock,
  chooseQueryPoint,
  selectAttentionBlock,
  selectAttentionMap,
  useVisualizerStore,
  type StageAnalysis,
} from '../visualizerStore';
import { StageCanvas } from './StageCanvas';

const INPUT_WIDTH = 224;
const HEAD_WIDTH = 96;

/** Fixed decimals, so a sum of 0.99995 does not show as a bare "1". */
function formatFixed(value: number, language: Language, digits: number): string {
  return new Intl.NumberFormat(language, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

function QueryMarker({ map }: { map: AttentionForPosition }) {
  const [h, w] = map.grid;
  const style = {
    left: `${(map.query.column / w) * 100}%`,
    top: `${(map.query.row / h) * 100}%`,
    width: `${100 / w}%`,
    height: `${100 / h}%`,
  };
  return <span className="attention-query" style={style} aria-hidden="true" />;
}

function HeadMaps({ map }: { map: AttentionForPosition }) {
  const { t, i18n } = useTranslation();
  const language = currentLanguage(i18n.language);
  const [h, w] = map.grid;
  return (
    <div className="attention-heads">
      {map.heads.map((head) => (
        <figure
          key={head.head}
          className="attention-head"
          data-testid="attention-head"
          data-head={head.head}
          data-row-sum={head.rowSum}
          data-grid={`${h}x${w}`}
        >
          <StageCanvas
            width={w}
            height={h}
            rgba={head.rgba}
            label={t('visualizer.attention.head', { index: head.head + 1 })}
            displayWidth={HEAD_WIDTH}
          />
          <figcaption>
            <strong>{t('visualizer.attention.head', { index: head.head + 1 })}</strong>
            <span>{t('visualizer.attention.rowSum', { sum: formatFixed(head.rowSum, language, 4) })}</span>
            <span>{t('visualizer.attention.max', { max: formatFixed(head.max, language, 3) })}</span>
          </figcaption>
        </figure>
      ))}
    </div>
  );
}

function pointFromClick(event: MouseEvent<HTMLCanvasElement>): { x: number; y: number } {
  const rect = event.currentTarget.getBoundingClientRect();
  return { x: (event.clientX - rect.left) / rect.width, y: (event.clientY - rect.top) / rect.height };
}

export function StageAttention({ analysis, hasTransformer }: { analysis: StageAnalysis; hasTransformer: boolean }) {
  const { t } = useTranslation();
  const block = useVisualizerStore(selectAttentionBlock);
  const map = useVisualizerStore(selectAttentionMap);
  const { input } = analysis;

  if (!hasTransformer) {
    return (
      <section className="attention" data-testid="attention" aria-labelledby="attention-heading">
        <h3 id="attention-heading">{t('visualizer.attention.heading')}</h3>
        <p className="muted">{t('visualizer.attention.none')}</p>
      </section>
    );
  }

  return (
    <section className="attention" data-testid="attention" aria-labelledby="attention-heading">
      <h3 id="attention-heading">{t('visualizer.attention.heading')}</h3>
      <div className="attention__controls">
        <label>
          {t('visualizer.attention.block')}{' '}
          <select
            data-testid="attention-block"
            value={block ?? ''}
            onChange={(event) => void chooseAttentionBlock(event.target.value)}
          >
            {analysis.attention.map((entry) => (
              <option key={entry.key} value={entry.key}>{entry.key} ({entry.grid[0]} × {entry.grid[1]})</option>
            ))}
          </select>
        </label>
      </div>
      {analysis.skippedAttention.length > 0 && (
        <p className="muted">{t('visualizer.attention.notCaptured', { blocks: analysis.skippedAttention.join(', ') })}</p>
      )}
      {map && block && (
        <p className="muted">{t('visualizer.attention.hint', { key: block, height: map.grid[0], width: map.grid[1] })}</p>
      )}
      <div className="attention__body">
        <div className="attention__input">
          <StageCanvas
            width={input.width}
            height={input.height}
            rgba={input.rgba}
            label={t('visualizer.attention.inputLabel')}
            displayWidth={INPUT_WIDTH}
            testId="attention-input"
            onClick={(event) => void chooseQueryPoint(pointFromClick(event))}
          />
          {map && <QueryMarker map={map} />}
        </div>
        {map && (
          <div>
            <p className="attention__query" data-testid="attention-query" data-row={map.query.row} data-column={map.query.column}>
              {t('visualizer.attention.query', { row: map.query.row, column: map.query.column, height: map.grid[0], width: map.grid[1] })}
            </p>
            <HeadMaps map={map} />
          </div>
        )}
      </div>
    </section>
  );
}
