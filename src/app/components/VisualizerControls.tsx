// Stage view controls: the model to analyse (the classifier's or a preset with random weights), the
// preset's input size and block layout, the input image, the run status and backend speeds.

import { useTranslation } from 'react-i18next';

import type { BackendName } from '../../model/session';
import { backendUrl } from '../backendUrl';
import { formatDecimal, formatInteger } from '../format';
import { currentLanguage } from '../i18n';
import { selectBackend, selectCard, selectImage, selectModel, useAppStore } from '../store';
import {
  buildPresetAndRun,
  chooseSource,
  LAYOUTS,
  PRESET_NAMES,
  PRESET_SIZES,
  RANDOM_SEED,
  selectAnalysis,
  selectInputMode,
  selectPresetModelId,
  selectRun,
  selectSource,
  setInputMode,
  useVisualizerStore,
  type Layout,
  type PresetChoice,
} from '../visualizerStore';

const DEFAULT_CHOICE: Omit<PresetChoice, 'name'> = { height: 224, width: 224, layout: 'CCTT' };
const OTHER_BACKENDS: BackendName[] = ['wasm', 'cpu', 'webgpu'];

function layoutLabel(layout: Layout): string {
  return LAYOUTS[layout].join(', ');
}

function PresetOptions({ choice, parameters }: { choice: PresetChoice; parameters: number }) {
  const { t, i18n } = useTranslation();
  const language = currentLanguage(i18n.language);
  const run = useVisualizerStore(selectRun);
  const presetModelId = useVisualizerStore(selectPresetModelId);
  const update = (change: Partial<PresetChoice>) => chooseSource({ kind: 'preset', choice: { ...choice, ...change } });
  const sizeOptions = PRESET_SIZES.map((size) => <option key={size} value={size}>{size}</option>);

  return (
    <div className="visualizer-controls__preset">
      <label>
        {t('visualizer.controls.height')}
        <select data-testid="visualizer-height" value={choice.height} onChange={(event) => update({ height: Number(event.target.value) })}>
          {sizeOptions}
        </select>
      </label>
      <label>
        {t('visualizer.controls.width')}
        <select data-testid="visualizer-width" value={choice.width} onChange={(event) => update({ width: Number(event.target.value) })}>
          {sizeOptions}
        </select>
      </label>
      <label>
        {t('visualizer.controls.layout')}
        <select data-testid="visualizer-layout" value={choice.layout} onChange={(event) => update({ layout: event.target.value as Layout })}>
          {(Object.keys(LAYOUTS) as Layout[]).map((layout) => <option key={layout} value={layout}>{layoutLabel(layout)}</option>)}
        </select>
      </label>
      <button
        type="button"
        className="button"
        data-testid="visualizer-build"
        disabled={presetModelId !== null || run.status === 'building' || run.status === 'running'}
        onClick={() => void buildPresetAndRun()}
      >
        {t('visualizer.controls.build')}
      </button>
      <p className="muted visualizer-controls__wide">
        {t('visualizer.controls.weightsSize', {
          parameters: formatInteger(parameters, language),
          megabytes: formatInteger((parameters * 4) / 1e6, language),
        })}
      </p>
    </div>
  );
}

function SpeedNote() {
  const { t } = useTranslation();
  const backend = useAppStore(selectBackend);
  return (
    <div className="notice visualizer-speed" data-testid="visualizer-speed">
      {backend?.softwareAdapter && <p><strong>{t('visualizer.speed.software')}</strong></p>}
      {backend?.softwareAdapter && <p>{t('visualizer.speed.measured')}</p>}
      <p>
        {t('visualizer.speed.switch')}{' '}
        {OTHER_BACKENDS.filter((name) => name !== backend?.name).map((name, index) => (
          <span key={name}>
            {index > 0 && ' · '}
            <a href={backendUrl(name)}>{t(`backend.names.${name}`)}</a>
          </span>
        ))}
      </p>
    </div>
  );
}

function RunStatus() {
  const { t, i18n } = useTranslation();
  const language = currentLanguage(i18n.language);
  const run = useVisualizerStore(selectRun);
  const source = useVisualizerStore(selectSource);
  const analysis = useVisualizerStore(selectAnalysis);
  const model = useAppStore(selectModel);

  let text: string | null = null;
  if (run.status === 'building' && source.kind === 'preset') text = t('visualizer.status.building', { name: source.choice.name });
  else if (run.status === 'running') text = t('visualizer.status.running');
  else if (run.status === 'error') text = t('visualizer.status.error', { message: run.message });
  else if (run.status === 'done' && analysis) {
    text = t('visualizer.status.done', {
      backend: t(`backend.names.${analysis.backend as BackendName}`),
      seconds: formatDecimal(analysis.milliseconds / 1000, language, 2),
    });
  } else if (source.kind === 'preset') text = t('visualizer.status.presetIdle');
  else if (model.status === 'loading') text = t('visualizer.status.modelLoading');
  else if (model.status === 'error') text = t('visualizer.status.modelFailed');

  if (!text) return null;
  const busy = run.status === 'building' || run.status === 'running';
  return (
    <p
      className={run.status === 'error' ? 'visualizer-status is-error' : 'visualizer-status'}
      role="status"
      data-testid="visualizer-status"
      data-status={run.status}
    >
      {busy && <span className="spinner" aria-hidden="true" />}
      <span>{text}</span>
    </p>
  );
}

function InputNote() {
  const { t } = useTranslation();
  const analysis = useVisualizerStore(selectAnalysis);
  const image = useAppStore(selectImage);
  const inputMode = useVisualizerStore(selectInputMode);
  if (inputMode === 'image' && !image) return <p className="muted">{t('visualizer.controls.noImage', { seed: RANDOM_SEED })}</p>;
  if (!analysis) return null;
  const [height, width] = analysis.inputShape;
  return (
    <p className="muted" data-testid="visualizer-input-note" data-random={analysis.randomInput}>
      {analysis.randomInput ? t('visualizer.controls.randomInput', { seed: RANDOM_SEED }) : t('visualizer.controls.imageInput', { height, width })}
    </p>
  );
}

export function VisualizerControls({ parameters }: { parameters: number }) {
  const { t } = useTranslation();
  const source = useVisualizerStore(selectSource);
  const inputMode = useVisualizerStore(selectInputMode);
  const card = useAppStore(selectCard);

  const onModelChange = (value: string) => {
    if (value === 'current') chooseSource({ kind: 'current' });
    else chooseSource({ kind: 'preset', choice: { ...(source.kind === 'preset' ? source.choice : DEFAULT_CHOICE), name: value } });
  };

  return (
    <div className="visualizer-controls">
      <div className="visualizer-controls__row">
        <label>
          {t('visualizer.controls.model')}
          <select
            data-testid="visualizer-model"
            value={source.kind === 'current' ? 'current' : source.choice.name}
            onChange={(event) => onModelChange(event.target.value)}
          >
            <option value="current">
              {card ? t('visualizer.controls.current', { name: card.name }) : t('visualizer.controls.currentMissing')}
            </option>
            {PRESET_NAMES.map((name) => <option key={name} value={name}>{t('visualizer.controls.preset', { name })}</option>)}
          </select>
        </label>
        <fieldset className="visualizer-controls__input">
          <legend>{t('visualizer.controls.input')}</legend>
          {(['image', 'random'] as const).map((mode) => (
            <label key={mode}>
              <input
                type="radio"
                name="visualizer-input"
                value={mode}
                data-testid={`visualizer-input-${mode}`}
                checked={inputMode === mode}
                onChange={() => setInputMode(mode)}
              />
              {t(mode === 'image' ? 'visualizer.controls.inputImage' : 'visualizer.controls.inputRandom')}
            </label>
          ))}
        </fieldset>
      </div>
      {source.kind === 'preset' && <PresetOptions choice={source.choice} parameters={parameters} />}
      <InputNote />
      <RunStatus />
      <SpeedNote />
    </div>
  );
}
