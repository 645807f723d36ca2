// Inside one block: the residual sections with their shortcut and main path, every op with its
// PyTorch module path and output shape, and the ops that halve height and width marked.

import { useTranslation } from 'react-i18next';

import type { BlockDescription, OpDescription, ResidualSection, Shape3, StageDescription } from '../../analysis';
import { formatShape, opLabel, shapeKey } from './StageFormat';

/** Ops of one PyTorch submodule shown as one box: squeeze-and-excitation or relative attention. */
interface OpGroup {
  kind: 'se' | 'attention';
  module: string;
  ops: OpDescription[];
}

type PathItem = { op: OpDescription; halves: boolean } | { group: OpGroup; halves: boolean };

/** Module paths that root a group: the SE module (its gate product) and the Attention module (its scores). */
function groupRoots(ops: readonly OpDescription[]): Map<string, OpGroup['kind']> {
  const roots = new Map<string, OpGroup['kind']>();
  for (const op of ops) {
    if (op.kind === 'scaleChannels') roots.set(op.module, 'se');
    if (op.kind === 'attentionScores') roots.set(op.module, 'attention');
  }
  return roots;
}

function rootOf(op: OpDescription, roots: Map<string, OpGroup['kind']>): string | null {
  for (const root of roots.keys()) {
    if (op.module === root || op.module.startsWith(`${root}.`)) return root;
  }
  return null;
}

/** Check whether an op's output is smaller in H than `before`, the last HWC shape of the path. */
function halvesSize(before: readonly number[], op: OpDescription): boolean {
  return op.layout === 'HWC' && before.length === 3 && op.outputShape[0] < before[0];
}

/** Group consecutive ops of one SE or attention module, and mark the steps that halve H and W. */
function pathItems(ops: readonly OpDescription[], inputShape: Shape3): PathItem[] {
  const roots = groupRoots(ops);
  const items: PathItem[] = [];
  let lastSpatial: readonly number[] = inputShape;

  for (const op of ops) {
    const root = rootOf(op, roots);
    const halves = halvesSize(lastSpatial, op);
    const previous = items[items.length - 1];
    if (root && previous && 'group' in previous && previous.group.module === root) {
      previous.group.ops.push(op);
      previous.halves ||= halves;
    } else if (root) {
      items.push({ group: { kind: roots.get(root)!, module: root, ops: [op] }, halves });
    } else {
      items.push({ op, halves });
    }
    if (op.layout === 'HWC') lastSpatial = op.outputShape;
  }
  return items;
}

function HalvingMark() {
  const { t } = useTranslation();
  return <span className="op__halves">↓½ {t('visualizer.blocks.halves')}</span>;
}

function OpBox({ op, halves }: { op: OpDescription; halves: boolean }) {
  const { t } = useTranslation();
  return (
    <li
      className={halves ? 'op is-halving' : 'op'}
      data-testid="op"
      data-kind={op.kind}
      data-module={op.module}
      data-shape={shapeKey(op.outputShape)}
      data-halves={halves}
    >
      <span className="op__label">{opLabel(op, t)}</span>
      {halves && <HalvingMark />}
      <code className="op__module" title={op.stateDictKeys.length > 0 ? op.stateDictKeys.join('\n') : undefined}>
        {op.module}
      </code>
      <span className="op__shape" title={op.layout}>{formatShape(op.outputShape)}</span>
    </li>
  );
}

function GroupBox({ group, halves }: { group: OpGroup; halves: boolean }) {
  const { t } = useTranslation();
  const last = group.ops[group.ops.length - 1];
  const attributes = group.ops.find((op) => op.attributes.heads)?.attributes;
  const title = group.kind === 'se'
    ? t('visualizer.ops.seGroup')
    : t('visualizer.ops.attentionGroup', { heads: attributes?.heads, headDim: attributes?.headDim });

  return (
    <li className={halves ? 'op op--group is-halving' : 'op op--group'} data-testid="op-group" data-kind={group.kind} data-module={group.module}>
      <span className="op__label">{title}</span>
      <code className="op__module">{group.module}</code>
      <span className="op__shape">{formatShape(last.outputShape)}</span>
      <details className="op__details">
        <summary>{t('visualizer.blocks.opsInside', { number: group.ops.length })}</summary>
        <ol className="op-list">
          {group.ops.map((op, index) => <OpBox key={`${op.module}-${op.kind}-${index}`} op={op} halves={false} />)}
        </ol>
      </details>
    </li>
  );
}

function PathColumn({ kind, ops, inputShape }: { kind: 'shortcut' | 'main'; ops: OpDescription[] | null; inputShape: Shape3 }) {
  const { t } = useTranslation();
  const heading = t(kind === 'shortcut' ? 'visualizer.blocks.shortcut' : 'visualizer.blocks.mainPath');
  return (
    <div className={`residual-path residual-path--${kind}`} data-testid={`path-${kind}`} data-op-count={ops?.length ?? 0}>
      <h5>{heading}</h5>
      {ops && ops.length === 0 && <p className="residual-path__identity">{t('visualizer.blocks.identity')}</p>}
      {ops && ops.length > 0 && (
        <ol className="op-list">
          {pathItems(ops, inputShape).map((item, index) => ('group' in item
            ? <GroupBox key={item.group.module} group={item.group} halves={item.halves} />
            : <OpBox key={`${item.op.module}-${item.op.kind}-${index}`} op={item.op} halves={item.halves} />))}
        </ol>
      )}
    </div>
  );
}

function SectionDiagram({ section }: { section: ResidualSection }) {
  const { t } = useTranslation();
  return (
    <div className="residual" data-testid="residual-section" data-kind={section.kind}>
      <p className="residual__edge">
        <span className="residual__name">{t(`visualizer.blocks.sections.${section.kind}`)}</span>
        {t('visualizer.blocks.sectionInput')} <strong>{formatShape(section.inputShape)}</strong>
      </p>
      <div className={section.shortcut === null ? 'residual__paths is-single' : 'residual__paths'}>
        {section.shortcut !== null && <PathColumn kind="shortcut" ops={section.shortcut} inputShape={section.inputShape} />}
        <PathColumn kind="main" ops={section.main} inputShape={section.inputShape} />
      </div>
      <p className="residual__edge residual__edge--out" data-testid="section-output" data-shape={shapeKey(section.outputShape)}>
        {section.shortcut === null ? t('visualizer.blocks.noResidual') : <span className="residual__add" aria-hidden="true">+</span>}
        {section.shortcut !== null && t('visualizer.blocks.add')}
        {' → '}<strong>{formatShape(section.outputShape)}</strong>
      </p>
    </div>
  );
}

/** Write the forward step of this block in the reference's own module names. */
function blockFormula(block: BlockDescription): string[] {
  if (block.type === 'stem') return ['conv → BN → GELU'];
  if (block.type === 'C') return [block.downsample ? 'x = proj(pool(x)) + conv(x)' : 'x = x + conv(x)'];
  return [block.downsample ? 'x = proj(pool1(x)) + attn(pool2(x))' : 'x = x + attn(x)', 'x = x + ff(x)'];
}

export function BlockDiagram({ block }: { block: BlockDescription }) {
  const { t } = useTranslation();
  const flag = block.type === 'stem' ? `stride ${block.downsample ? 2 : 1}` : `downsample=${block.downsample ? 'True' : 'False'}`;
  return (
    <article
      className={block.downsample ? 'block-diagram is-downsample' : 'block-diagram'}
      data-testid="block-diagram"
      data-block={block.key}
      data-downsample={block.downsample}
    >
      <header className="block-diagram__header">
        <h4>
          <code>{block.key}</code> {t(`visualizer.types.${block.type}`)} <code className="block-diagram__flag">{flag}</code>
        </h4>
        <p className="block-diagram__shapes">{formatShape(block.inputShape)} → {formatShape(block.outputShape)}</p>
        {blockFormula(block).map((line) => <code key={line} className="block-diagram__formula">{line}</code>)}
      </header>
      {block.sections.map((section) => <SectionDiagram key={section.kind} section={section} />)}
    </article>
  );
}

/** Pick the plain block shown next to the downsampling block: this stage's second, else one of the same type elsewhere. */
function contrastBlock(stage: StageDescription, stages: readonly StageDescription[]): BlockDescription | null {
  if (stage.blocks.length > 1) return stage.blocks[1];
  const sameType = stages.filter((other) => other.type === stage.type).flatMap((other) => other.blocks);
  return sameType.find((block) => !block.downsample) ?? null;
}

export function StageBlockDiagrams({ stage, stages }: { stage: StageDescription; stages: readonly StageDescription[] }) {
  const { t } = useTranslation();
  const plain = contrastBlock(stage, stages);
  return (
    <section className="stage-blocks-detail" data-testid="stage-detail" data-stage={stage.name} aria-labelledby="stage-detail-heading">
      <h3 id="stage-detail-heading">{t('visualizer.blocks.heading', { stage: stage.name })}</h3>
      <p className="muted">
        {t(stage.type === 'stem' ? 'visualizer.blocks.introStem' : 'visualizer.blocks.intro', { key: stage.blocks[0].key })}
      </p>
      <div className="block-diagrams">
        <BlockDiagram block={stage.blocks[0]} />
        {plain && <BlockDiagram block={plain} />}
      </div>
      {stage.blocks.length === 1 && (
        <p className="muted">{plain ? t('visualizer.blocks.singleBlock', { key: plain.key }) : t('visualizer.blocks.singleBlockNoContrast')}</p>
      )}
    </section>
  );
}
