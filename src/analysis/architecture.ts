// Stage-by-stage description of a CoAtNet config: blocks, downsampling, shapes, parameters
// and multiply-adds, as data for the stage view.

import { STAGE_NAMES, stageBlockType, stageInputChannels, validateConfig, type BlockType, type CoAtNetConfig, type StageName } from '../model/config';
import { expectedStateDict, type ExpectedStateDict } from '../model/stateDict';
import { blockOps, describeBlock, type BlockDescription, type Shape3 } from './blocks';
import { OpChain, sumOps, type OpDescription } from './ops';

export interface StageDescription {
  name: StageName;
  index: number;
  type: 'stem' | BlockType;
  numBlocks: number;
  inputShape: Shape3;
  outputShape: Shape3;
  /** Block 0 downsamples; the others keep height, width and channels. */
  blocks: BlockDescription[];
  parameters: number;
  macs: number;
}

/**
 * Head of the network: global average pool over H and W, then fc (no bias).
 * NOTE: the reference pools with AvgPool2d(ih // 32, 1) and view(-1, C), which equals this
 * only for square inputs. The app's forward pass uses the global average for every input.
 */
export interface HeadDescription {
  ops: OpDescription[];
  inputShape: Shape3;
  outputShape: [number];
  parameters: number;
  macs: number;
}

export interface ArchitectureDescription {
  config: CoAtNetConfig;
  inputShape: Shape3;
  stages: StageDescription[];
  head: HeadDescription;
  totalParameters: number;
  totalMacs: number;
}

function describeStage(config: CoAtNetConfig, stateDict: ExpectedStateDict, index: number, inputShape: Shape3): StageDescription {
  const name = STAGE_NAMES[index];
  const type = stageBlockType(config, index);
  const blocks: BlockDescription[] = [];
  let shape = inputShape;

  for (let block = 0; block < config.numBlocks[index]; block += 1) {
    // Only the first block of a stage is built with downsample=True.
    const description = describeBlock(stateDict, {
      stage: name, index: block, type, downsample: block === 0, inputShape: shape, outChannels: config.channels[index],
    });
    blocks.push(description);
    shape = description.outputShape;
  }

  return {
    name,
    index,
    type,
    numBlocks: config.numBlocks[index],
    inputShape,
    outputShape: shape,
    blocks,
    parameters: blocks.reduce((total, b) => total + b.parameters, 0),
    macs: blocks.reduce((total, b) => total + b.macs, 0),
  };
}

function describeHead(config: CoAtNetConfig, stateDict: ExpectedStateDict, inputShape: Shape3): HeadDescription {
  const chain = new OpChain(stateDict, inputShape, 'HWC')
    .globalAvgPool('pool')
    .linear('fc', config.numClasses, false);
  return {
    ops: chain.ops,
    inputShape,
    outputShape: [config.numClasses],
    parameters: sumOps(chain.ops, 'parameters'),
    macs: sumOps(chain.ops, 'macs'),
  };
}

/**
 * Describe stem s0, stages s1-s4 and the head of `config`. Shapes follow from each op's
 * kernel, stride and padding; parameters from the reference's state_dict shapes; MACs count
 * only the ops in MAC_OP_KINDS, for one image.
 */
export function describeArchitecture(config: CoAtNetConfig): ArchitectureDescription {
  validateConfig(config);
  const stateDict = expectedStateDict(config);
  const inputShape: Shape3 = [config.imageSize[0], config.imageSize[1], stageInputChannels(config, 0)];

  const stages: StageDescription[] = [];
  let shape = inputShape;
  STAGE_NAMES.forEach((_, index) => {
    const stage = describeStage(config, stateDict, index, shape);
    stages.push(stage);
    shape = stage.outputShape;
  });
  const head = describeHead(config, stateDict, shape);

  return {
    config,
    inputShape,
    stages,
    head,
    totalParameters: stages.reduce((total, s) => total + s.parameters, head.parameters),
    totalMacs: stages.reduce((total, s) => total + s.macs, head.macs),
  };
}

/** Collect every op of the network in forward order, head included. */
export function allOps(architecture: ArchitectureDescription): OpDescription[] {
  return [
    ...architecture.stages.flatMap((stage) => stage.blocks.flatMap(blockOps)),
    ...architecture.head.ops,
  ];
}

/** Find the block with state_dict prefix `key` (e.g. "s3.0"); throw an error that lists the valid keys if it is missing. */
export function findBlock(architecture: ArchitectureDescription, key: string): BlockDescription {
  const blocks = architecture.stages.flatMap((stage) => stage.blocks);
  const block = blocks.find((b) => b.key === key);
  if (!block) {
    throw new Error(`Block "${key}" does not exist in this model; use one of ${blocks.map((b) => b.key).join(', ')}`);
  }
  return block;
}
