// Overview of stem s0, stages s1-s4 and the head: block type and count, the downsampling block,
// measured input and output shapes, parameters and multiply-adds.

import { useTranslation } from 'react-i18next';

import type { ArchitectureDescription, BlockDescription, Shape3, StageDescription } from '../../analysis';
import type { StageName } from '../../model/config';
import { formatInteger } from '../format';
import { currentLanguage, type Language } from '../i18n';
import type { StageAnalysis, StageMeasurement } from '../visualizerStore';
import { formatMacs, formatShape, macUnit, shapeKey, type MacUnit } from './StageFormat';

interface StageTableProps {
  architecture: ArchitectureDescription;
  analysis: StageAnalysis | null;
  selectedStage: StageName;
  onSelectStage: (stage: StageName) => void;
}

function BlockChips({ blocks }: { blocks: BlockDescription[] }) {
  const { t } = useTranslation();
  return (
    <ul className="stage-blocks" aria-label={t('visualizer.table.blocks')}>
      {blocks.map((block) => (
        <li
          key={block.key}
          className={block.downsample ? 'stage-block is-downsample' : 'stage-block'}
          data-testid="block-chip"
          data-block={block.key}
          data-downsample={block.downsample}
          title={t(block.downsample ? 'visualizer.table.downsampleTitle' : 'visualizer.table.plainTitle', { key: block.key })}
        >
          <code>{block.key}</code>
          {block.downsample && <span className="stage-block__badge">↓½ {t('visualizer.table.downsample')}</span>}
        </li>
      ))}
    </ul>
  );
}

/** Show a measured shape, flagged when it differs from the config math. */
function ShapeCell({ measured, expected, testId }: { measured: Shape3 | null; expected: Shape3; testId: string }) {
  const { t } = useTranslation();
  const shown = measured ?? expected;
  const matches = measured === null || shapeKey(measured) === shapeKey(expected);
  return (
    <td
      className={measured ? 'stage-shape is-measured' : 'stage-shape is-expected'}
      data-testid={testId}
      data-shape={shapeKey(shown)}
      data-measured={measured !== null}
      data-matches-config={matches}
      title={measured ? undefined : t('visualizer.table.fromConfig')}
    >
      {formatShape(shown)}
      {!matches && <span className="stage-shape__mismatch">{t('visualizer.table.mismatch', { expected: formatShape(expected) })}</span>}
    </td>
  );
}

interface StageRowProps {
  stage: StageDescription;
  measurement: StageMeasurement | null;
  selected: boolean;
  unit: MacUnit;
  language: Language;
  onSelect: () => void;
}

function StageRow({ stage, measurement, selected, unit, language, onSelect }: StageRowProps) {
  const { t } = useTranslation();
  return (
    <tr
      className={selected ? 'stage-row is-selected' : 'stage-row'}
      data-testid="stage-row"
      data-stage={stage.name}
    >
      <th scope="row">
        <button type="button" className="stage-row__select" onClick={onSelect} aria-pressed={selected}>
          {stage.name}
        </button>
      </th>
      <td data-testid="stage-type" data-type={stage.type}>
        {t(`visualizer.types.${stage.type}`)} × {stage.numBlocks}
        <BlockChips blocks={stage.blocks} />
      </td>
      <ShapeCell measured={measurement?.inputShape ?? null} expected={stage.inputShape} testId="stage-input" />
      <ShapeCell measured={measurement?.outputShape ?? null} expected={stage.outputShape} testId="stage-output" />
      <td className="number" data-testid="stage-parameters" data-value={stage.parameters}>{formatInteger(stage.parameters, language)}</td>
      <td className="number" data-testid="stage-macs" data-value={stage.macs}>{formatMacs(stage.macs, unit, language)}</td>
    </tr>
  );
}

export function StageTable({ architecture, analysis, selectedStage, onSelectStage }: StageTableProps) {
  const { t, i18n } = useTranslation();
  const language = currentLanguage(i18n.language);
  const unit = macUnit(architecture.totalMacs);
  const { head } = architecture;
  const measuredClasses = analysis ? analysis.logitsShape[1] : null;

  return (
    <div className="stage-table-wrap">
      <table className="stage-table" data-testid="stage-table">
        <thead>
          <tr>
            <th scope="col">{t('visualizer.table.stage')}</th>
            <th scope="col">{t('visualizer.table.type')}</th>
            <th scope="col">{t('visualizer.table.input')}</th>
            <th scope="col">{t('visualizer.table.output')}</th>
            <th scope="col" className="number">{t('visualizer.table.parameters')}</th>
            <th scope="col" className="number">{t('visualizer.table.macs', { unit })}</th>
          </tr>
        </thead>
        <tbody>
          {architecture.stages.map((stage) => (
            <StageRow
              key={stage.name}
              stage={stage}
              measurement={analysis?.stages.find((entry) => entry.name === stage.name) ?? null}
              selected={stage.name === selectedStage}
              unit={unit}
              language={language}
              onSelect={() => onSelectStage(stage.name)}
            />
          ))}
          <tr className="stage-row is-head" data-testid="head-row">
            <th scope="row">{t('visualizer.table.head')}</th>
            <td>{t('visualizer.table.headType')}</td>
            <ShapeCell measured={analysis ? analysis.stages[4].outputShape : null} expected={head.inputShape} testId="head-input" />
            <td data-testid="head-output" data-classes={measuredClasses ?? head.outputShape[0]} data-measured={measuredClasses !== null}>
              {t('visualizer.table.classes', { classes: measuredClasses ?? head.outputShape[0] })}
            </td>
            <td className="number" data-testid="head-parameters" data-value={head.parameters}>{formatInteger(head.parameters, language)}</td>
            <td className="number" data-value={head.macs}>{formatMacs(head.macs, unit, language)}</td>
          </tr>
        </tbody>
        <tfoot>
          <tr data-testid="total-row">
            <th scope="row" colSpan={4}>{t('visualizer.table.total')}</th>
            <td className="number" data-testid="total-parameters" data-value={architecture.totalParameters}>
              {formatInteger(architecture.totalParameters, language)}
            </td>
            <td className="number" data-testid="total-macs" data-value={architecture.totalMacs}>
              {formatMacs(architecture.totalMacs, unit, language)}
            </td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
