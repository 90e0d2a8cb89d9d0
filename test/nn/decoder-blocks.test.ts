/**
 * SiameseIM's projector/predictor blocks: gradient checks with LayerNorm and with BatchNorm over
 * tokens, the official `norm1.bn.*` names, and the pooling of BN statistics over all tokens.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkGrads, concat, flattenNamed, sliceAxis, type Tensor } from '../../core/index.js';
import { random } from '../../core/random.js';
import { decoderBlocks, initDecoderBlocks, initRunningStats, batchNorm, updateRunningStats, initBatchNorm, type DecoderBlocksParams } from '../../nn/index.js';
import { randomTensor, seedArb } from '../support/draw.js';
import { maxAbsDiff } from '../support/golden.js';
import { gradCheckOptions, randomizeParams, spreadTensor } from './draw-params.js';

describe('decoder blocks', () => {
  it('have correct gradients with LayerNorm and with BatchNorm (numRuns 8)', () => {
    fc.assert(
      fc.property(fc.constantFrom<'layerNorm' | 'batchNorm'>('layerNorm', 'batchNorm'), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 2, max: 3 }), seedArb, (norm, depth, batch, tokens, seed) => {
        const params = randomizeParams(initDecoderBlocks(random.key(seed), { dim: 4, depth, numHeads: 2, mlpRatio: 1, norm, dtype: 'float64' }), seed);
        // BatchNorm pools each feature over batch × tokens rows, as few as two: a ramp along the tokens
        // keeps those rows apart, away from the zero-variance point where central differences fail
        // (an unseeded run drew two rows 0.003 apart in one feature: jvp 9.6233449, differences 9.6233582)
        const x = spreadTensor([batch, tokens, 4], seed + 1, 1);
        checkGrads((p: DecoderBlocksParams, input: Tensor) => decoderBlocks(p, input, { numHeads: 2 }), [params, x], gradCheckOptions);
      }),
      { numRuns: 8, seed: 11 },
    );
  });

  it('use the official names: PermuteBN wraps its BatchNorm1d as .bn', () => {
    const names = Object.keys(flattenNamed({ projector_decoder_blocks: initDecoderBlocks(random.key(0), { dim: 4, depth: 2, numHeads: 2 }) }));
    expect(names).toContain('projector_decoder_blocks.1.norm1.bn.weight');
    expect(names).toContain('projector_decoder_blocks.0.norm2.bn.bias');
    expect(names).toContain('projector_decoder_blocks.0.attn.qkv.weight');
    expect(names).toContain('projector_decoder_blocks.0.mlp.fc2.bias');
    const layerNormNames = Object.keys(flattenNamed(initDecoderBlocks(random.key(0), { dim: 4, depth: 1, numHeads: 2, norm: 'layerNorm' })));
    expect(layerNormNames).toContain('0.norm1.weight');
  });

  it('with BatchNorm, pool statistics over the whole batch: images are not independent', () => {
    const params = randomizeParams(initDecoderBlocks(random.key(1), { dim: 4, depth: 1, numHeads: 2, dtype: 'float64' }), 3);
    const x = randomTensor([2, 3, 4], 4);
    const together = decoderBlocks(params, x, { numHeads: 2 });
    const alone = decoderBlocks(params, sliceAxis(x, 0, 0, 1), { numHeads: 2 });
    expect(maxAbsDiff(sliceAxis(together, 0, 0, 1), alone.toArray() as any)).toBeGreaterThan(1e-6);
    // …whereas with LayerNorm they are
    const ln = randomizeParams(initDecoderBlocks(random.key(1), { dim: 4, depth: 1, numHeads: 2, norm: 'layerNorm', dtype: 'float64' }), 3);
    const both = decoderBlocks(ln, x, { numHeads: 2 });
    const parts = concat([0, 1].map((i) => decoderBlocks(ln, sliceAxis(x, 0, i, i + 1), { numHeads: 2 })), 0);
    expect(maxAbsDiff(both, parts.toArray() as any)).toBeLessThan(1e-14);
  });

  it('running statistics: PyTorch update (unbiased variance, momentum 0.1) and eval-mode normalisation', () => {
    const x = randomTensor([2, 3, 2], 8);
    const stats = updateRunningStats(initRunningStats({ dim: 2, dtype: 'float64' }), x);
    const values = (x.toArray() as number[][][]).flat();
    for (const c of [0, 1]) {
      const column = values.map((row) => row[c]);
      const mean = column.reduce((a, b) => a + b) / column.length;
      const unbiased = column.reduce((a, b) => a + (b - mean) ** 2, 0) / (column.length - 1);
      expect(stats.mean.dataSync()[c]).toBeCloseTo(0.1 * mean, 14);
      expect(stats.var.dataSync()[c]).toBeCloseTo(0.9 + 0.1 * unbiased, 14);
    }
    const y = batchNorm(initBatchNorm({ dim: 2, dtype: 'float64' }), x, { running: stats });
    const expected = values.map((row) => row.map((v, c) => (v - stats.mean.dataSync()[c]) / Math.sqrt(stats.var.dataSync()[c] + 1e-5)));
    expect(maxAbsDiff(y, expected)).toBeLessThan(1e-14);
  });
});
