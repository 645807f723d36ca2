// The stage view panel: a toggle, and when open the controls, the stage table, the blocks of the
// selected stage, feature maps, attention maps and the explanation of the downsample flag.

import { useEffect, useMemo } from 'react';
import { useTranslation } from 'react-i18next';

import { describeArchitecture, type ArchitectureDescription } from '../../analysis';
import { selectCard, selectImage, selectModel, useAppStore } from '../store';
import {
  closeVisualizer,
  ensureAnalysis,
  openVisualizer,
  selectAnalysis,
  selectInputMode,
  selectPresetModelId,
  selectRun,
  selectSelectedStage,
  selectSource,
  selectStage,
  selectVisualizerOpen,
  useVisualizerStore,
  type StageAnalysis,
} from '../visualizerStore';
import '../visualizer.css';
import { StageAttention } from './StageAttention';
import { StageBlockDiagrams } from './StageBlockDiagram';
import { StageFeatureMaps } from './StageFeatureMaps';
import { StageTable } from './StageTable';
import { VisualizerControls } from './VisualizerControls';
import { VisualizerExplanation } from './VisualizerExplanation';

/** Run the forward pass whenever the view is open and the model, the image or the input mode changes. */
function useAnalysisTrigger(): void {
  const source = useVisualizerStore(selectSource);
  const presetModelId = useVisualizerStore(selectPresetModelId);
  const inputMode = useVisualizerStore(selectInputMode);
  const model = useAppStore(selectModel);
  const image = useAppStore(selectImage);
  const current = model.status === 'ready' ? model.model : null;

  useEffect(() => {
    void ensureAnalysis();
  }, [source, presetModelId, inputMode, current, image?.id]);
}

interface StageViewProps {
  architecture: ArchitectureDescription;
  /** Null until a forward pass of this config has run. */
  analysis: StageAnalysis | null;
}

function StageView({ architecture, analysis }: StageViewProps) {
  const { t } = useTranslation();
  const selectedStage = useVisualizerStore(selectSelectedStage);
  const stage = architecture.stages.find((entry) => entry.name === selectedStage) ?? architecture.stages[1];

  return (
    <>
      <StageTable architecture={architecture} analysis={analysis} selectedStage={stage.name} onSelectStage={selectStage} />
      <p className="muted">{t('visualizer.table.measuredNote')}</p>
      <div className="visualizer__body">
        <div className="visualizer__main">
          <StageBlockDiagrams stage={stage} stages={architecture.stages} />
          {analysis && <StageFeatureMaps analysis={analysis} selectedStage={stage.name} onSelectStage={selectStage} />}
          {analysis && <StageAttention analysis={analysis} hasTransformer={architecture.config.blockTypes.includes('T')} />}
        </div>
        <VisualizerExplanation architecture={architecture} analysis={analysis} />
      </div>
    </>
  );
}

function OpenVisualizer() {
  useAnalysisTrigger();
  const source = useVisualizerStore(selectSource);
  const run = useVisualizerStore(selectRun);
  const analysis = useVisualizerStore(selectAnalysis);
  const card = useAppStore(selectCard);
  const config = source.kind === 'current' ? card?.config ?? null : source.config;
  const architecture = useMemo(() => (config ? describeArchitecture(config) : null), [config]);

  return (
    <div
      className="visualizer__view"
      data-testid="visualizer-view"
      data-source={source.kind === 'current' ? 'current' : source.choice.name}
      data-run-status={run.status}
      data-analysis-key={analysis?.key ?? ''}
    >
      <VisualizerControls parameters={architecture?.totalParameters ?? 0} />
      {/* An analysis of an earlier model can linger for one render after the source changes. */}
      {architecture && <StageView architecture={architecture} analysis={analysis?.config === config ? analysis : null} />}
    </div>
  );
}

export function VisualizerPanel() {
  const { t } = useTranslation();
  const open = useVisualizerStore(selectVisualizerOpen);

  return (
    <section className="card visualizer" data-testid="visualizer" data-open={open} aria-labelledby="visualizer-heading">
      <header className="visualizer__header">
        <div>
          <h2 id="visualizer-heading">{t('visualizer.heading')}</h2>
          <p className="muted">{t('visualizer.intro')}</p>
        </div>
        <button
          type="button"
          className="button"
          data-testid="visualizer-toggle"
          aria-expanded={open}
          onClick={open ? closeVisualizer : openVisualizer}
        >
          {t(open ? 'visualizer.close' : 'visualizer.open')}
        </button>
      </header>
      {open && <OpenVisualizer />}
    </section>
  );
}
