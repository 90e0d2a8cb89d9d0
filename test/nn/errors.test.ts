/**
 * Errors name what went wrong: the layer (by its dotted name), the argument and the shapes for shape
 * mismatches; the option and its allowed values for bad configs.
 */
import { describe, expect, it } from 'vitest';
import { DTypeError, OptionError, ShapeError, zeros } from '../../core/index.js';
import { random } from '../../core/random.js';
import { attention, dinoHead, dropPath, initAttention, initDecoderBlocks, initDinoHead, initLinear, initVit, linear, vit, vitSmall, vitTiny, cosineScheduler } from '../../nn/index.js';

const key = random.key(0);

describe('shape errors', () => {
  it('linear names the layer, the argument and both shapes', () => {
    const params = initLinear(key, { inFeatures: 4, outFeatures: 2 });
    expect(() => linear(params, zeros([3, 5]), { name: 'head.mlp.0' })).toThrow(ShapeError);
    expect(() => linear(params, zeros([3, 5]), { name: 'head.mlp.0' })).toThrow(
      "linear 'head.mlp.0': argument x has shape [3, 5] but weight [2, 4] expects 4 features on the last axis of x",
    );
    expect(() => linear(params, zeros([3, 4], 'float64'))).toThrow(DTypeError);
  });

  it('a layer inside attention, a block and the ViT is named by its state-dict path', () => {
    const attn = initAttention(key, { dim: 4, numHeads: 2 });
    expect(() => attention({ ...attn, proj: initLinear(key, { inFeatures: 3, outFeatures: 4 }) }, zeros([1, 2, 4]), { numHeads: 2 })).toThrow(/linear 'attn\.proj'/);
    const config = vitTiny({ imgSize: 8, patchSize: 4, embedDim: 4, numHeads: 2, depth: 2 });
    const params = initVit(key, config);
    const broken = { ...params, blocks: [params.blocks[0], { ...params.blocks[1], mlp: { ...params.blocks[1].mlp, fc2: initLinear(key, { inFeatures: 5, outFeatures: 4 }) } }] };
    expect(() => vit(broken, zeros([1, 3, 8, 8]), { config })).toThrow("linear 'blocks.1.mlp.fc2': argument x has shape [1, 5, 16] but weight [4, 5] expects 5 features on the last axis of x");
    expect(() => vit(params, zeros([1, 1, 8, 8]), { config })).toThrow(/patch_embed: argument images must be \[B, 3, H, W\], got shape \[1, 1, 8, 8\]/);
    expect(() => dinoHead(initDinoHead(key, { inDim: 4, outDim: 3, hiddenDim: 5, bottleneckDim: 2 }), zeros([2, 6]))).toThrow(/linear 'mlp\.0'.*\[2, 6\]/);
  });
});

describe('option errors', () => {
  it('a bad choice names the option and the allowed values', () => {
    expect(() => initDecoderBlocks(key, { dim: 4, depth: 1, numHeads: 2, norm: 'groupNorm' as any })).toThrow(OptionError);
    expect(() => initDecoderBlocks(key, { dim: 4, depth: 1, numHeads: 2, norm: 'groupNorm' as any })).toThrow(
      'initDecoderBlocks: option norm must be one of "layerNorm", "batchNorm"; got "groupNorm"',
    );
    expect(() => initLinear(key, { inFeatures: 2, outFeatures: 2, init: 'kaiming' as any })).toThrow(/option init must be one of "truncNormal", "torchDefault", "xavierUniform", "zeros"/);
  });

  it('an unknown option is named with the allowed ones', () => {
    expect(() => vitSmall({ embed_dim: 8 } as any)).toThrow(/vitSmall: unknown option "embed_dim"; allowed: imgSize, patchSize, .*embedDim/);
  });

  it('numbers out of range name the option', () => {
    expect(() => vitTiny({ numHeads: 5 })).toThrow('vitTiny: option numHeads (5) must divide the width 192');
    expect(() => vitTiny({ dropPathRate: 1 })).toThrow(/option dropPathRate must be a number in \[0, 1\)/);
    expect(() => initDinoHead(key, { inDim: 4, outDim: 3, nlayers: 0 })).toThrow(/option nlayers must be an integer ≥ 1; got 0/);
    expect(() => dropPath(zeros([2, 2]), { rate: 1.5, train: true, key })).toThrow(/dropPath: option rate must be a number in \[0, 1\)/);
    expect(() => cosineScheduler({ baseValue: 1, finalValue: 0, epochs: 2, niterPerEp: 3, warmupEpochs: 3 })).toThrow(/warmupEpochs \(3\) must not exceed epochs \(2\)/);
  });
});
