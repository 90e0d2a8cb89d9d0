/**
 * Float64 gradient checks (fast-check draws small dims; `checkGrads` compares jvp and vjp with
 * central differences) for the building blocks: linear, layerNorm, batchNorm, attention, the MLPs
 * and the transformer block, each w.r.t. its params and its input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GradientCheckError, checkGrads, customVjp, mul, softmax, sum, tensor, type Tensor } from '../../core/index.js';
import { random } from '../../core/random.js';
import { attention, batchNorm, block, feedForward, initAttention, initBatchNorm, initBlock, initFeedForward, initLayerNorm, initLinear, initMlp, layerNorm, linear, mlp } from '../../nn/index.js';
import { randomTensor, seedArb } from '../support/draw.js';
import { gradCheckOptions, randomizeParams, spreadTensor } from './draw-params.js';

const dim = (max = 3) => fc.integer({ min: 1, max });
const key = random.key(0);

describe('linear', () => {
  it('has correct gradients over any leading axes (numRuns 15)', () => {
    fc.assert(
      fc.property(fc.array(dim(), { minLength: 0, maxLength: 2 }), dim(4), dim(4), fc.boolean(), seedArb, (lead, inF, outF, bias, seed) => {
        const params = randomizeParams(initLinear(key, { inFeatures: inF, outFeatures: outF, bias, dtype: 'float64' }), seed);
        const x = randomTensor([...lead, inF], seed + 1);
        const y = linear(params, x);
        expect(y.shape).toEqual([...lead, outF]);
        checkGrads((p, input) => linear(p, input), [params, x], gradCheckOptions);
      }),
      { numRuns: 15 },
    );
  });

  it('computes x Wᵀ + b like a hand-written dot product', () => {
    const params = { weight: randomTensor([2, 3], 1), bias: randomTensor([2], 2) };
    const x = randomTensor([3], 3);
    const [w, b, v] = [params.weight.toArray() as number[][], params.bias.toArray() as number[], x.toArray() as number[]];
    const expected = w.map((row, o) => row.reduce((s, wi, i) => s + wi * v[i], b[o]));
    const actual = Array.from(linear(params, x).dataSync());
    actual.forEach((a, i) => expect(a).toBeCloseTo(expected[i], 12));
  });
});

describe('layerNorm', () => {
  it('has correct gradients (numRuns 15)', () => {
    fc.assert(
      fc.property(dim(), dim(3), fc.integer({ min: 2, max: 5 }), seedArb, (batch, tokens, d, seed) => {
        const params = randomizeParams(initLayerNorm({ dim: d, dtype: 'float64' }), seed);
        const x = spreadTensor([batch, tokens, d], seed + 1, 2);
        checkGrads((p, input) => layerNorm(p, input, { eps: 1e-6 }), [params, x], gradCheckOptions);
      }),
      { numRuns: 15 },
    );
  });
});

describe('batchNorm (over tokens)', () => {
  it('has correct gradients with batch statistics (numRuns 10)', () => {
    fc.assert(
      fc.property(dim(2), fc.integer({ min: 2, max: 3 }), dim(3), seedArb, (batch, tokens, d, seed) => {
        const params = randomizeParams(initBatchNorm({ dim: d, dtype: 'float64' }), seed);
        const x = spreadTensor([batch, tokens, d], seed + 1, 1);
        checkGrads((p, input) => batchNorm(p, input), [params, x], gradCheckOptions);
      }),
      { numRuns: 10 },
    );
  });

  it('normalises each channel over all tokens of all images', () => {
    const x = randomTensor([3, 4, 2], 5, { min: -3, max: 3 });
    const y = batchNorm(initBatchNorm({ dim: 2, dtype: 'float64' }), x);
    const values = y.toArray() as number[][][];
    for (const channel of [0, 1]) {
      const all = values.flat().map((token) => token[channel]);
      const mean = all.reduce((a, b) => a + b) / all.length;
      const variance = all.reduce((a, b) => a + (b - mean) ** 2, 0) / all.length;
      expect(mean).toBeCloseTo(0, 12);
      expect(variance).toBeCloseTo(1, 4); // eps 1e-5 keeps it just below 1
    }
  });
});

describe('attention', () => {
  it('has correct gradients; probabilities are [B, heads, N, N] rows summing to 1 (numRuns 10)', () => {
    fc.assert(
      fc.property(dim(2), dim(3), fc.constantFrom(1, 2), dim(2), seedArb, (batch, tokens, heads, headDim, seed) => {
        const d = heads * headDim;
        const params = randomizeParams(initAttention(key, { dim: d, numHeads: heads, dtype: 'float64' }), seed);
        const x = randomTensor([batch, tokens, d], seed + 1);
        const { output, attention: probs } = attention(params, x, { numHeads: heads, returnAttention: true });
        expect(output.shape).toEqual([batch, tokens, d]);
        expect(probs.shape).toEqual([batch, heads, tokens, tokens]);
        Array.from(sum(probs, { axis: -1 }).dataSync()).forEach((s) => expect(s).toBeCloseTo(1, 12));
        checkGrads((p, input) => attention(p, input, { numHeads: heads }), [params, x], gradCheckOptions);
      }),
      { numRuns: 10 },
    );
  });

  it('gives head h the features h·hd … (h+1)·hd: a one-head computation per slice agrees', () => {
    const heads = 2;
    const d = 4;
    const params = randomizeParams(initAttention(key, { dim: d, numHeads: heads, dtype: 'float64' }), 3);
    const x = randomTensor([1, 3, d], 4);
    const { attention: probs } = attention(params, x, { numHeads: heads, returnAttention: true });
    const qkv = linear(params.qkv, x).toArray() as number[][][];
    const hd = d / heads;
    for (let h = 0; h < heads; h++) {
      const q = qkv[0].map((row) => row.slice(h * hd, (h + 1) * hd));
      const k = qkv[0].map((row) => row.slice(d + h * hd, d + (h + 1) * hd));
      const logits = q.map((qi) => k.map((kj) => qi.reduce((s, v, t) => s + v * kj[t], 0) * hd ** -0.5));
      const expected = softmax(tensor(logits, { dtype: 'float64' }), -1).toArray() as number[][];
      const actual = (probs.toArray() as number[][][][])[0][h];
      actual.flat().forEach((a, i) => expect(a).toBeCloseTo(expected.flat()[i], 12));
    }
  });
});

describe('MLPs', () => {
  it('feedForward (fc1 → GELU → fc2) has correct gradients (numRuns 10)', () => {
    fc.assert(
      fc.property(dim(2), dim(3), dim(4), seedArb, (batch, d, hidden, seed) => {
        const params = randomizeParams(initFeedForward(key, { inFeatures: d, hiddenFeatures: hidden, dtype: 'float64' }), seed);
        const x = randomTensor([batch, 2, d], seed + 1);
        checkGrads((p, input) => feedForward(p, input), [params, x], gradCheckOptions);
      }),
      { numRuns: 10 },
    );
  });

  it('mlp of any depth has correct gradients and Sequential names, with and without BatchNorm (numRuns 10)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.boolean(), dim(3), dim(3), dim(3), seedArb, (layers, batchNorm, inF, hidden, outF, seed) => {
        const init = initMlp(key, { inFeatures: inF, hiddenFeatures: hidden, outFeatures: outF, layers, batchNorm, dtype: 'float64' });
        const stride = batchNorm ? 3 : 2;
        const linearKeys = Object.keys(init).filter((k) => init[k].weight.rank === 2);
        expect(linearKeys).toEqual(Array.from({ length: layers }, (_, i) => String(i * stride)));
        const params = randomizeParams(init, seed);
        const x = randomTensor([3, inF], seed + 1);
        expect(mlp(params, x).shape).toEqual([3, outF]);
        checkGrads((p, input) => mlp(p, input), [params, x], gradCheckOptions);
      }),
      { numRuns: 10, seed: 13 },
    );
  });
});

describe('block', () => {
  it('has correct gradients for both norms (numRuns 8)', () => {
    fc.assert(
      fc.property(dim(2), fc.integer({ min: 2, max: 3 }), fc.constantFrom(1, 2), fc.constantFrom<'layerNorm' | 'batchNorm'>('layerNorm', 'batchNorm'), seedArb, (batch, tokens, heads, norm, seed) => {
        const d = 2 * heads;
        const params = randomizeParams(initBlock(key, { dim: d, numHeads: heads, mlpRatio: 2, norm, dtype: 'float64' }), seed);
        // tokens apart, so that BatchNorm over as few as two rows stays away from zero variance
        const x = spreadTensor([batch, tokens, d], seed + 1, 1);
        checkGrads((p, input) => block(p, input, { numHeads: heads }), [params, x], gradCheckOptions);
      }),
      { numRuns: 8, seed: 12 },
    );
  });

  it('has correct gradients in training with drop path (a fixed key fixes the masks) (numRuns 5)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 4 }), seedArb, (batch, seed) => {
        const params = randomizeParams(initBlock(key, { dim: 4, numHeads: 2, mlpRatio: 1, dtype: 'float64' }), seed);
        const x = randomTensor([batch, 2, 4], seed + 1);
        const options = { numHeads: 2, dropPathRate: 0.5, key: random.key(seed), train: true };
        checkGrads((p, input) => block(p, input, options), [params, x], gradCheckOptions);
      }),
      { numRuns: 5 },
    );
  });

  it('is x + attn(norm1 x) then + mlp(norm2 ·) at eval', () => {
    const params = randomizeParams(initBlock(key, { dim: 4, numHeads: 2, dtype: 'float64' }), 9);
    const x = randomTensor([2, 3, 4], 10);
    const h = x.add(attention(params.attn, layerNorm(params.norm1 as any, x, { eps: 1e-6 }), { numHeads: 2 }));
    const expected = h.add(feedForward(params.mlp, layerNorm(params.norm2 as any, h, { eps: 1e-6 })));
    const actual = block(params, x, { numHeads: 2 });
    Array.from(actual.dataSync()).forEach((a, i) => expect(a).toBe(expected.dataSync()[i]));
  });
});

describe('the gradient checks can fail', () => {
  it('catches a linear layer whose vjp drops the bias gradient', () => {
    const broken = customVjp((w: Tensor, b: Tensor, x: Tensor) => linear({ weight: w, bias: b }, x), {
      forward: (w, b, x) => [linear({ weight: w, bias: b }, x), { w, x }],
      // wrong on purpose: the bias gets a zero gradient
      backward: ({ w, x }: { w: Tensor; x: Tensor }, ct) => [ct.matrixTranspose().matmul(x), mul(sum(ct, { axis: 0 }), 0), ct.matmul(w)],
    });
    const params = randomizeParams(initLinear(key, { inFeatures: 3, outFeatures: 2, dtype: 'float64' }), 1);
    const x = randomTensor([4, 3], 2);
    expect(() => checkGrads((w, b, input) => broken(w, b, input), [params.weight, params.bias!, x])).toThrow(GradientCheckError);
  });
});
