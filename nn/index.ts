/**
 * tapegrad's `nn` layer: pure functions over plain parameter trees, `initX(key, config) → params`
 * and `x(params, input, options) → output`. Keys mirror DINO's `vision_transformer.py` state dict.
 */
export { gelu } from '../core/index.js';
export { type LinearInit, type TruncNormalOptions, truncNormal, uniformSymmetric, fanIn, torchDefaultWeight, torchDefaultBias, xavierUniform, initWeight, initBias, onesInit, zerosInit } from './init.js';
export { type LinearParams, type LinearConfig, type LinearOptions, initLinear, linear, linearInits } from './linear.js';
export { type LayerNormParams, type LayerNormConfig, type LayerNormCallOptions, initLayerNorm, layerNorm } from './layer-norm.js';
export { type BatchNormParams, type BatchNormConfig, type BatchNormOptions, type RunningStats, initBatchNorm, initRunningStats, batchNorm, updateRunningStats } from './batch-norm.js';
export { type DropOptions, dropout, dropPath } from './dropout.js';
export { type AttentionParams, type AttentionConfig, type AttentionOptions, type AttentionOutput, initAttention, attention } from './attention.js';
export { type FeedForwardParams, type FeedForwardConfig, type MlpParams, type MlpConfig, initFeedForward, feedForward, initMlp, mlp } from './mlp.js';
export { type BlockParams, type BlockConfig, type BlockOptions, type BlockNorm, type BlockNormParams, type PermuteBatchNormParams, blockNorms, initBlock, block } from './block.js';
export { bicubicMatrix, interpolatePosEmbed, addPosEmbed, patchGrid, type InterpolateOptions } from './pos-embed.js';
export {
  type VitParams, type VitConfig, type VitOptions, type VitOutput,
  vitTiny, vitSmall, vitBase, vitMnist, vitConfig, initVit, vit, vitIntermediateLayers, patchEmbed, prepareTokens, dropPathRates,
} from './vit.js';
export { type DinoHeadParams, type DinoHeadConfig, type DinoHeadOptions, type WeightNormParams, initDinoHead, dinoHead, weightNormWeight, dinoHeadFrozenNames } from './dino-head.js';
export { type DecoderBlocksParams, type DecoderBlocksConfig, type DecoderBlocksOptions, initDecoderBlocks, decoderBlocks } from './decoder-blocks.js';
export {
  type Backbone, type Head, type ForwardContext, type DinoModelParams, type DinoMultiCropOptions,
  groupConsecutiveCrops, multiCropBackbone, multiCropForward, multiCropFeaturesAndOutput, dinoMultiCrop, dinoMultiCropWithFeatures,
} from './multi-crop.js';
export {
  type ParamGroup, type GroupMask, type GroupRule, type TrainableMask, type TrainableRule, paramGroups, namedLeaves, dinoParamGroups, groupOf, isTrainable,
} from './param-groups.js';
export {
  type AdamwCoefficients,
  type AdamwHparams,
  type AdamwMoments,
  type AdamwPlan,
  type AdamwState,
  type AdamwSlot,
  type Scalar,
  type SgdHparams,
  type SgdState,
  type OptimizerResult,
  initAdamw,
  adamw,
  adamwApply,
  adamwCoefficientTensors,
  adamwMoments,
  adamwNextState,
  adamwPlan,
  initSgd,
  sgd,
} from './optim.js';
export { clipGradientsPerParam, clipByGlobalNorm, tensorNorm } from './clip.js';
export { type CosineSchedulerOptions, cosineScheduler } from './schedule.js';
export { splitKey, splitOptionalKey } from './keys.js';
