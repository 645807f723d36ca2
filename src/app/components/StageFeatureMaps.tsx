// Feature maps of every stage output at their true resolution: all drawn at the same on-screen
// width, so each halving shows up as pixels twice as large.

import { useTranslation } from 'react-i18next';

import type { FeatureMapImage } from '../../analysis';
import type { StageName } from '../../model/config';
import type { StageAnalysis, StageMeasurement } from '../visualizerStore';
import { StageCanvas } from './StageCanvas';
import { formatShape } from './StageFormat';

/** Channels shown for a stage that is not selected; the selected one shows every channel read back. */
const COLLAPSED_CHANNELS = 4;
const THUMBNAIL_WIDTH = 84;

function FeatureMap({ map, stage }: { map: FeatureMapImage; stage: StageName }) {
  const { t } = useTranslation();
  const caption = map.channel === 'mean' ? t('visualizer.featureMaps.mean') : t('visualizer.featureMaps.channel', { index: map.channel });
  return (
    <figure className="feature-map" data-channel={map.channel}>
      <StageCanvas
        width={map.width}
        height={map.height}
        rgba={map.rgba}
        label={`${stage} ${caption}`}
        displayWidth={THUMBNAIL_WIDTH}
        testId="feature-map"
      />
      <figcaption>{caption}</figcaption>
    </figure>
  );
}

interface FeatureRowProps {
  measurement: StageMeasurement;
  expanded: boolean;
  onSelect: () => void;
}

function FeatureRow({ measurement, expanded, onSelect }: FeatureRowProps) {
  const { t } = useTranslation();
  const { thumbnails } = measurement;
  const channels = expanded ? thumbnails.maps : thumbnails.maps.slice(0, COLLAPSED_CHANNELS);
  return (
    <div
      className={expanded ? 'feature-row is-selected' : 'feature-row'}
      data-testid="feature-row"
      data-stage={measurement.name}
      data-height={thumbnails.height}
      data-width={thumbnails.width}
    >
      <button type="button" className="feature-row__label" onClick={onSelect} aria-pressed={expanded}>
        <strong>{measurement.name}</strong>
        <span>{formatShape(measurement.outputShape)}</span>
        {!expanded && <span className="feature-row__more">{t('visualizer.featureMaps.more', { number: thumbnails.maps.length })}</span>}
      </button>
      <div className="feature-row__maps">
        <FeatureMap map={thumbnails.mean} stage={measurement.name} />
        {channels.map((map) => <FeatureMap key={String(map.channel)} map={map} stage={measurement.name} />)}
      </div>
      {expanded && thumbnails.channelCount > thumbnails.maps.length && (
        <p className="muted">{t('visualizer.featureMaps.shownOf', { shown: thumbnails.maps.length, total: thumbnails.channelCount })}</p>
      )}
    </div>
  );
}

interface StageFeatureMapsProps {
  analysis: StageAnalysis;
  selectedStage: StageName;
  onSelectStage: (stage: StageName) => void;
}

export function StageFeatureMaps({ analysis, selectedStage, onSelectStage }: StageFeatureMapsProps) {
  const { t } = useTranslation();
  const { input } = analysis;
  return (
    <section className="feature-maps" data-testid="feature-maps" aria-labelledby="feature-maps-heading">
      <h3 id="feature-maps-heading">{t('visualizer.featureMaps.heading')}</h3>
      <p className="muted">{t('visualizer.featureMaps.hint')}</p>
      <div className="feature-row is-input" data-testid="feature-row" data-stage="input" data-height={input.height} data-width={input.width}>
        <p className="feature-row__label">
          <strong>{t('visualizer.featureMaps.input')}</strong>
          <span>{formatShape(analysis.inputShape)}</span>
        </p>
        <div className="feature-row__maps">
          <StageCanvas
            width={input.width}
            height={input.height}
            rgba={input.rgba}
            label={t('visualizer.featureMaps.input')}
            displayWidth={THUMBNAIL_WIDTH}
            testId="feature-input"
          />
        </div>
      </div>
      {analysis.stages.map((measurement) => (
        <FeatureRow
          key={measurement.name}
          measurement={measurement}
          expanded={measurement.name === selectedStage}
          onSelect={() => onSelectStage(measurement.name)}
        />
      ))}
    </section>
  );
}
