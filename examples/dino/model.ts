/**
 * The student/teacher network of a run: the nn ViT for 28×28 digits (`vitMnist`) under DINO's head,
 * through ssl's `vitDinoModel`, with one knob of our own: `initScale` multiplies the trunc-normal
 * weights of every block at initialisation (1 keeps DINO's std 0.02).
 */
import { type Tensor, mul } from '../../core/index.js';
import { type DinoModelParams, type VitConfig, type VitParams, vitMnist } from '../../nn/index.js';
import { type DinoModel, vitDinoModel } from '../../ssl/index.js';
import type { DinoRunConfig } from './presets.js';

export interface RunModel {
  readonly model: DinoModel<DinoModelParams>;
  /** The student's backbone config (stochastic depth on). */
  readonly vitConfig: VitConfig;
  /** The teacher's and the evaluation's backbone config (no stochastic depth). */
  readonly evalConfig: VitConfig;
}

export function runModel(config: DinoRunConfig): RunModel {
  const vitConfig = vitMnist({
    patchSize: config.patchSize, embedDim: config.embedDim, depth: config.depth, numHeads: config.numHeads,
    mlpRatio: config.mlpRatio, dropPathRate: config.dropPathRate,
  });
  const base = vitDinoModel(vitConfig, {
    outDim: config.outDim, hiddenDim: config.hiddenDim, bottleneckDim: config.bottleneckDim, nlayers: config.headLayers, normLastLayer: config.normLastLayer, useBn: config.headBatchNorm,
  });
  const init = (key: Tensor): DinoModelParams => {
    const params = base.init(key);
    return config.initScale === 1 ? params : { ...params, backbone: scaleBlockWeights(params.backbone, config.initScale) };
  };
  return { model: { ...base, init }, vitConfig, evalConfig: { ...vitConfig, dropPathRate: 0 } };
}

/** Every Linear weight of the blocks (qkv, proj, fc1, fc2) times `scale`; biases and norms unchanged. */
function scaleBlockWeights(backbone: VitParams, scale: number): VitParams {
  const linear = (layer: { weight: Tensor; bias?: Tensor }) => ({ ...layer, weight: mul(layer.weight, scale) });
  return {
    ...backbone,
    blocks: backbone.blocks.map((block) => ({
      ...block,
      attn: { qkv: linear(block.attn.qkv), proj: linear(block.attn.proj) },
      mlp: { fc1: linear(block.mlp.fc1), fc2: linear(block.mlp.fc2) },
    })),
  };
}
