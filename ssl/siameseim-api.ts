/**
 * The public surface of tapegrad's SiameseIM (issue 5): block masks, view geometry and relative
 * positions, the model as pure functions, the loss, the schedules, the views and the training step.
 */
export { type BlockMaskOptions, type MaskBlock, type BlockMask, blockMask, blockMasks, maskIndices, uniformStream } from './masks.js';
export {
  type PixelBox, type ViewGeometry, type RelativePosition, type SincosOptions,
  relativePosition, identityRelativePosition, sourceFrameBox, viewBCentres, viewBCentresGeometric,
  sincosPositionTable, relativePositionFeatures, relativePositionFeaturesBatch,
} from './relative-position.js';
export {
  type SiameseimConfig, type SiameseimParams, type SiameseimTargetParams, type SiameseimInputs, type PatchEmbedParams,
  siameseimBaseConfig, siameseimConfig, siameseimGrid, initSiameseim, targetParamsOf, gatherTokens,
  encodeOnline, encodeTarget, relativePositionEmbedding, absolutePositionEmbedding, predictViewB, onlinePrediction, siameseimForward,
} from './siameseim.js';
export {
  type SiameseimLossOptions, type SiameseimLossTerms, type SiameseimLossResult,
  siameseimLoss, siameseimLossTerms, shardedSiameseimLoss, normaliseTargets, targetCorrelation, averageCorrelations,
} from './siameseim-loss.js';
export { type MomentumSchedule, type LearningRateSchedule, siameseimMomentum, siameseimLearningRate } from './siameseim-schedules.js';
export { type ViewPairOptions, type ViewPair, type TwoViews, sampleViewPair, cropView, siameseimViews } from './siameseim-views.js';
export {
  type SiameseimVariant, type SiameseimTrainConfig, type SiameseimState, type SiameseimMetrics, type SiameseimBatch,
  siameseimVariants, initSiameseimState, siameseimParamGroups, defaultMaskOptions, prepareSiameseimBatch, siameseimStep, jitSiameseimStep,
} from './siameseim-step.js';
