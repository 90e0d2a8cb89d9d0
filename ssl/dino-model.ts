/** The student/teacher architecture a DINO step trains, and DINO's own: the nn ViT with the DINO head. */
import { type PyTree, type Tensor, random } from '../core/index.js';
import { type DinoHeadConfig, type DinoModelParams, type VitConfig, dinoHeadFrozenNames, dinoMultiCrop, dinoMultiCropWithFeatures, initDinoHead, initVit } from '../nn/index.js';

/** A student/teacher architecture for `dinoStep`: parameters, a multi-crop forward and its frozen names. */
export interface DinoModel<Params extends PyTree = PyTree> {
  /** The student's initial parameters; the teacher starts as the same tree (`load_state_dict`). */
  readonly init: (key: Tensor) => Params;
  /**
   * V crops, each [B, C, Hv, Wv] → head outputs [V·B, K], crop-major. `train` is true for the
   * student (stochastic depth on, with `key`) and false for the teacher (no drop path).
   */
  readonly forward: (params: Params, crops: readonly Tensor[], context: { readonly key?: Tensor; readonly train: boolean }) => Tensor;
  /** Dotted names the optimiser must skip entirely (a frozen `head.last_layer.weight_g`). */
  readonly frozenNames?: readonly string[];
  /** `forward` that also returns the backbone features [V·B, D] (needed when `koleoWeight` > 0). */
  readonly forwardWithFeatures?: (params: Params, crops: readonly Tensor[], context: { readonly key?: Tensor; readonly train: boolean }) => { features: Tensor; output: Tensor };
}

/**
 * DINO's architecture: the nn ViT (CLS feature) per group of same-width crops, then `dinoHead` once
 * on all rows (`MultiCropWrapper`). Params are `{backbone, head}`, so names read `backbone.blocks.0…`
 * and `head.last_layer.weight_v`. The teacher runs the same ViT with dropPathRate 0.
 */
export function vitDinoModel(vitConfig: VitConfig, headConfig: Omit<DinoHeadConfig, 'inDim'>): DinoModel<DinoModelParams> {
  const head = { ...headConfig, inDim: vitConfig.embedDim };
  const teacherConfig = { ...vitConfig, dropPathRate: 0 };
  return {
    init: (key) => {
      const [backboneKey, headKey] = random.split(key, 2);
      return { backbone: initVit(backboneKey, vitConfig), head: initDinoHead(headKey, head) };
    },
    forward: (params, crops, { key, train }) =>
      dinoMultiCrop(params, crops, { vitConfig: train ? vitConfig : teacherConfig, normLastLayer: head.normLastLayer, train, ...(key ? { key } : {}) }),
    forwardWithFeatures: (params, crops, { key, train }) =>
      dinoMultiCropWithFeatures(params, crops, { vitConfig: train ? vitConfig : teacherConfig, normLastLayer: head.normLastLayer, train, ...(key ? { key } : {}) }),
    frozenNames: dinoHeadFrozenNames(head, 'head.'),
  };
}
