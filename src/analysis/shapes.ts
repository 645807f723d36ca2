// Stage output shapes measured on the tensors of a real forward pass.

import type * as tf from '@tensorflow/tfjs-core';

import { STAGE_NAMES, type StageName } from '../model/config';
import type { ArchitectureDescription } from './architecture';
import type { Shape3 } from './blocks';

/**
 * [H, W, C] of every stage output, read from the tensor shapes of
 * `forward(input, { stages: true }).stages`. Reads no data and creates no tensors.
 */
export function measuredStageShapes(stages: Partial<Record<StageName, tf.Tensor>>): Record<StageName, Shape3> {
  const shapes = {} as Record<StageName, Shape3>;
  for (const name of STAGE_NAMES) {
    const tensor = stages[name];
    if (!tensor) {
      throw new Error(`Stage ${name} is missing from the forward result; call forward(input, { stages: true })`);
    }
    if (tensor.rank !== 4) {
      throw new Error(`Stage ${name} has shape [${tensor.shape.join(', ')}]; an NHWC tensor [batch, H, W, C] is expected`);
    }
    const [, h, w, c] = tensor.shape;
    shapes[name] = [h, w, c];
  }
  return shapes;
}

export interface StageShapeComparison {
  stage: StageName;
  measured: Shape3;
  /** Output shape from the config math of describeArchitecture. */
  expected: Shape3;
  matches: boolean;
}

/** Compare measured stage shapes with the config math, stage by stage. */
export function compareStageShapes(measured: Record<StageName, Shape3>, architecture: ArchitectureDescription): StageShapeComparison[] {
  return architecture.stages.map((stage) => {
    const shape = measured[stage.name];
    return {
      stage: stage.name,
      measured: shape,
      expected: stage.outputShape,
      matches: shape.length === 3 && shape.every((size, axis) => size === stage.outputShape[axis]),
    };
  });
}
