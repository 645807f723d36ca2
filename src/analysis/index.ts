// Framework-free core of the stage visualizer: architecture data, measured shapes,
// feature-map thumbnails and attention maps.

export { allOps, describeArchitecture, findBlock } from './architecture';
export type { ArchitectureDescription, HeadDescription, StageDescription } from './architecture';
export { attentionBlockKeys, attentionForPosition, attentionGrid, queryTokenForPoint, visualizerForwardOptions } from './attention';
export type { AttentionForPosition, AttentionHeadMap, AttentionOptions, ImagePoint, QueryToken } from './attention';
export { blockOps } from './blocks';
export type { BlockDescription, ResidualSection, SectionKind, Shape3 } from './blocks';
export type { Colormap } from './colormap';
export { featureMapThumbnails } from './featureMaps';
export type { FeatureMapImage, FeatureMapOptions, FeatureMapThumbnails } from './featureMaps';
export { MAC_OP_KINDS } from './ops';
export type { OpAttributes, OpDescription, OpKind, ShapeLayout } from './ops';
export { compareStageShapes, measuredStageShapes } from './shapes';
export type { StageShapeComparison } from './shapes';
