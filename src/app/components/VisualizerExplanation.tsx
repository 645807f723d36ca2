// Beginner's explanation of the downsample flag next to the stage view, filled in with the
// current model's blocks, shapes and numbers.

import type { ReactElement } from 'react';
import { Trans, useTranslation } from 'react-i18next';

import type { ArchitectureDescription, Shape3, StageDescription } from '../../analysis';
import { currentLanguage } from '../i18n';
import type { en } from '../i18n/en';
import type { StageAnalysis } from '../visualizerStore';
import { formatMacs, formatShape, macUnit } from './StageFormat';

const CODE: Record<string, ReactElement> = { code: <code /> };

/** Return a stage's input and output shapes: measured when the forward pass has run, else from the config. */
function stageShapes(stage: StageDescription, analysis: StageAnalysis | null): { input: Shape3; output: Shape3 } {
  const measured = analysis?.stages.find((entry) => entry.name === stage.name);
  return measured ? { input: measured.inputShape, output: measured.outputShape } : { input: stage.inputShape, output: stage.outputShape };
}

function relativeTableRows([height, width]: [number, number]): number {
  return (2 * height - 1) * (2 * width - 1);
}

interface Numbers {
  input: string;
  sizes: string;
  downsampleBlocks: string;
  plainBlockCount: number;
  channels: string;
  macs: string;
}

function explanationNumbers(architecture: ArchitectureDescription, analysis: StageAnalysis | null, language: 'en' | 'ja'): Numbers {
  const { stages } = architecture;
  const unit = macUnit(architecture.totalMacs);
  const input = analysis?.inputShape ?? architecture.inputShape;
  const blockCount = stages.slice(1).reduce((total, stage) => total + stage.numBlocks, 0);
  const separator = language === 'ja' ? '、' : ', ';
  return {
    input: formatShape(input.slice(0, 2)),
    sizes: stages.map((stage) => formatShape(stageShapes(stage, analysis).output.slice(0, 2))).join(separator),
    downsampleBlocks: stages.slice(1).map((stage) => stage.blocks[0].key).join(separator),
    plainBlockCount: blockCount - (stages.length - 1),
    channels: architecture.config.channels.join(', '),
    macs: stages.map((stage) => `${stage.name} ${formatMacs(stage.macs, unit, language)} ${unit}`).join(separator),
  };
}

type ExplanationKey = `visualizer.explanation.${keyof typeof en.visualizer.explanation}`;

function Paragraph({ i18nKey, values }: { i18nKey: ExplanationKey; values?: Record<string, string | number> }) {
  return <p><Trans i18nKey={i18nKey} values={values} components={CODE} /></p>;
}

function HalvingParagraphs({ architecture, analysis }: { architecture: ArchitectureDescription; analysis: StageAnalysis | null }) {
  const stem = architecture.stages[0];
  const mbconv = architecture.stages.find((stage) => stage.type === 'C');
  const transformer = architecture.stages.find((stage) => stage.type === 'T');
  const shapeValues = (stage: StageDescription) => {
    const { input, output } = stageShapes(stage, analysis);
    return { stage: stage.name, input: formatShape(input), output: formatShape(output), inChannels: input[2], outChannels: output[2] };
  };
  return (
    <>
      <Paragraph i18nKey="visualizer.explanation.stem" values={shapeValues(stem)} />
      {mbconv && <Paragraph i18nKey="visualizer.explanation.mbconv" values={shapeValues(mbconv)} />}
      {transformer && <Paragraph i18nKey="visualizer.explanation.transformer" values={shapeValues(transformer)} />}
    </>
  );
}

function InputSizeParagraphs({ architecture, numbers }: { architecture: ArchitectureDescription; numbers: Numbers }) {
  const { t } = useTranslation();
  const transformers = architecture.stages.filter((stage) => stage.type === 'T');
  const tables = transformers.map((stage) => {
    const [height, width] = stage.outputShape;
    return t('visualizer.explanation.tableEntry', { stage: stage.name, height, width, rows: relativeTableRows([height, width]) });
  }).join('; ');
  return (
    <>
      <Paragraph i18nKey="visualizer.explanation.inputSize" values={{ input: numbers.input, sizes: numbers.sizes }} />
      {transformers.length > 0 && <Paragraph i18nKey="visualizer.explanation.inputSizeTables" values={{ tables }} />}
    </>
  );
}

export function VisualizerExplanation({ architecture, analysis }: { architecture: ArchitectureDescription; analysis: StageAnalysis | null }) {
  const { i18n } = useTranslation();
  const language = currentLanguage(i18n.language);
  const numbers = explanationNumbers(architecture, analysis, language);

  return (
    <aside className="visualizer-explanation" data-testid="visualizer-explanation" aria-labelledby="visualizer-explanation-heading">
      <h3 id="visualizer-explanation-heading"><Trans i18nKey="visualizer.explanation.heading" components={CODE} /></h3>
      <Paragraph i18nKey="visualizer.explanation.answer" values={{ blocks: numbers.downsampleBlocks }} />
      <Paragraph i18nKey="visualizer.explanation.elseBranch" values={{ number: numbers.plainBlockCount }} />

      <h4><Trans i18nKey="visualizer.explanation.meaningHeading" /></h4>
      <Paragraph i18nKey="visualizer.explanation.meaning" values={{ input: numbers.input, sizes: numbers.sizes }} />

      <h4><Trans i18nKey="visualizer.explanation.halvingHeading" /></h4>
      <HalvingParagraphs architecture={architecture} analysis={analysis} />

      <h4><Trans i18nKey="visualizer.explanation.channelsHeading" /></h4>
      <Paragraph i18nKey="visualizer.explanation.channels" values={{ channels: numbers.channels, macs: numbers.macs }} />

      <h4><Trans i18nKey="visualizer.explanation.inputSizeHeading" /></h4>
      <InputSizeParagraphs architecture={architecture} numbers={numbers} />
    </aside>
  );
}
