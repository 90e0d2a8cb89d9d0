/**
 * The ViT: golden vectors from dino.json (`vit_cases`, `pos_embed_interp_cases`) at 1e-9 in float64,
 * end-to-end gradient checks through patch embedding, interpolated position table, blocks and
 * final norm, and the official parameter names and sizes.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { checkGrads, concat, flattenNamed, sliceAxis, treeLeaves, type Tensor } from '../../core/index.js';
import { random } from '../../core/random.js';
import { bicubicMatrix, initVit, interpolatePosEmbed, patchEmbed, vit, vitConfig, vitIntermediateLayers, vitMnist, vitTiny, type VitConfig, type VitParams } from '../../nn/index.js';
import { randomTensor, seedArb } from '../support/draw.js';
import { f64, fixtureErrors, loadFixture, maxAbsDiff, paramsFromNamed, record } from '../support/golden.js';
import { gradCheckOptions, randomizeParams } from './draw-params.js';

const dino = loadFixture('dino.json');
const tolerance = 1e-9;

afterAll(() => console.log('largest |error| per fixture group:', Object.fromEntries(fixtureErrors)));

function fixtureConfig(c: any): VitConfig {
  return vitConfig({
    imgSize: c.img_size, patchSize: c.patch_size, inChans: 3, embedDim: c.embed_dim, depth: c.depth, numHeads: c.num_heads,
    mlpRatio: c.mlp_ratio, qkvBias: c.qkv_bias, layerNormEps: c.layernorm_eps, dropPathRate: 0, dtype: 'float64',
  });
}

describe('vit_cases (dino.json)', () => {
  for (const c of dino.vit_cases) {
    const params = paramsFromNamed(c.params) as VitParams;
    const config = fixtureConfig(c);

    it(`${c.name}: CLS output and last attention for 16×16 inputs`, () => {
      const out = vit(params, f64(c.x_16x16), { config, returnAttention: true });
      expect(record('vit_cases cls 16×16', maxAbsDiff(out.cls, c.cls_16x16))).toBeLessThan(tolerance);
      expect(record('vit_cases last attention', maxAbsDiff(out.attention!, c.last_attn_16x16))).toBeLessThan(tolerance);
    });

    it(`${c.name}: CLS output for 8×12 inputs (interpolated table)`, () => {
      const out = vit(params, f64(c.x_8x12), { config });
      expect(out.patchTokens.shape).toEqual([1, 6, c.embed_dim]);
      expect(record('vit_cases cls 8×12', maxAbsDiff(out.cls, c.cls_8x12))).toBeLessThan(tolerance);
    });

    it(`${c.name}: initVit makes exactly the official names and shapes`, () => {
      const ours = flattenNamed(initVit(random.key(1), config));
      const official = flattenNamed(params);
      expect(Object.keys(ours).sort()).toEqual(Object.keys(official).sort());
      for (const name of Object.keys(official)) expect(ours[name].shape).toEqual(official[name].shape);
    });
  }
});

describe('pos_embed_interp_cases (dino.json)', () => {
  for (const c of dino.pos_embed_interp_cases) {
    it(`grid ${c.grid} → ${c.H}/${c.patch_size} × ${c.W}/${c.patch_size}`, () => {
      const out = interpolatePosEmbed(f64(c.pos_embed), { height: c.H, width: c.W, patchSize: c.patch_size });
      expect(record('pos_embed_interp_cases', maxAbsDiff(out, c.out))).toBeLessThan(tolerance);
    });
  }
});

describe('position-table interpolation', () => {
  it('returns the table itself only for the same token count AND a square image', () => {
    const table = randomTensor([1, 17, 2], 1);
    expect(interpolatePosEmbed(table, { height: 16, width: 16, patchSize: 4 })).toBe(table);
    // 2×8 patches = 16 tokens, but H ≠ W: DINO interpolates
    const wide = interpolatePosEmbed(table, { height: 8, width: 32, patchSize: 4 });
    expect(wide.shape).toEqual([1, 17, 2]);
    expect(maxAbsDiff(wide, table.toArray() as any)).toBeGreaterThan(1e-3);
  });

  it('keeps the CLS entry and has rows of weights summing to 1 (Keys cubic, clamped taps)', () => {
    for (const [g, n] of [[4, 2], [4, 7], [14, 6], [3, 1]]) {
      const rows = bicubicMatrix(g, n, (n + 0.1) / g).toArray() as number[][];
      rows.forEach((row) => expect(row.reduce((a, b) => a + b)).toBeCloseTo(1, 12));
    }
    const table = randomTensor([1, 10, 3], 2);
    const out = interpolatePosEmbed(table, { height: 8, width: 20, patchSize: 4 });
    expect(maxAbsDiff(sliceAxis(out, 1, 0, 1), sliceAxis(table, 1, 0, 1).toArray() as any)).toBe(0);
  });

  it('has correct gradients w.r.t. the table (numRuns 15)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), seedArb, (g, rows, columns, d, seed) => {
        const table = randomTensor([1, 1 + g * g, d], seed);
        const options = { height: 2 * rows, width: 2 * columns, patchSize: 2 };
        expect(interpolatePosEmbed(table, options).shape).toEqual([1, 1 + rows * columns, d]);
        checkGrads((t: Tensor) => interpolatePosEmbed(t, options), [table], gradCheckOptions);
      }),
      { numRuns: 15 },
    );
  });
});

describe('vit end to end', () => {
  const tiny = (depth: number): VitConfig =>
    vitConfig({ imgSize: 8, patchSize: 4, inChans: 2, embedDim: 4, depth, numHeads: 2, mlpRatio: 2, qkvBias: true, layerNormEps: 1e-6, dropPathRate: 0, dtype: 'float64' });

  it('has correct gradients w.r.t. every parameter and the images, square and interpolated inputs (numRuns 6)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.constantFrom([8, 8], [8, 12], [4, 8], [9, 10]), seedArb, (batch, depth, [h, w], seed) => {
        const config = tiny(depth);
        const params = randomizeParams(initVit(random.key(seed), config), seed);
        const images = randomTensor([batch, 2, h, w], seed + 1);
        checkGrads((p: VitParams, x: Tensor) => {
          const out = vit(p, x, { config, returnAttention: true });
          return [out.cls, out.patchTokens, out.attention!];
        }, [params, images], gradCheckOptions);
      }),
      { numRuns: 6 },
    );
  });

  it('patch embedding equals the strided convolution computed by hand', () => {
    const weight = randomTensor([3, 2, 2, 2], 1);
    const bias = randomTensor([3], 2);
    const images = randomTensor([1, 2, 4, 5], 3); // the fifth column is dropped, as by the conv
    const tokens = patchEmbed({ proj: { weight, bias } }, images).toArray() as number[][][];
    const [wv, bv, xv] = [weight.toArray() as number[][][][], bias.toArray() as number[], images.toArray() as number[][][][]];
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 2; c++) {
        for (let d = 0; d < 3; d++) {
          let total = bv[d];
          for (let ch = 0; ch < 2; ch++) for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) total += wv[d][ch][i][j] * xv[0][ch][2 * r + i][2 * c + j];
          expect(tokens[0][r * 2 + c][d]).toBeCloseTo(total, 12);
        }
      }
    }
  });

  it('drop path only acts in training, per sample, with a key', () => {
    const config = vitConfig({ ...tiny(2), dropPathRate: 0.5 });
    const params = initVit(random.key(3), config);
    const images = randomTensor([6, 2, 8, 8], 4);
    const evalOut = vit(params, images, { config }).cls;
    const again = vit(params, images, { config, key: random.key(5) }).cls;
    expect(maxAbsDiff(again, evalOut.toArray() as any)).toBe(0);
    const trained = vit(params, images, { config, key: random.key(5), train: true }).cls;
    expect(maxAbsDiff(trained, evalOut.toArray() as any)).toBeGreaterThan(0);
    expect(() => vit(params, images, { config, train: true })).toThrow(/key is required/);
  });

  it('get_intermediate_layers: the last layer through the norm is the vit output', () => {
    const config = tiny(2);
    const params = randomizeParams(initVit(random.key(6), config), 6);
    const images = randomTensor([2, 2, 8, 8], 7);
    const layers = vitIntermediateLayers(params, images, 2, { config });
    expect(layers).toHaveLength(2);
    const { cls, patchTokens } = vit(params, images, { config });
    const tokens = concat([cls.reshape([2, 1, 4]), patchTokens], 1);
    expect(maxAbsDiff(layers[1], tokens.toArray() as any)).toBe(0);
  });
});

describe('configs', () => {
  it('vit_tiny has the parameter counts of the spec table (5,524,416 / 5,526,720)', () => {
    // count(depth 12) = count(depth 1) + 11 · (one block), so only a one-block model is built
    for (const [patchSize, expected] of [[16, 5_524_416], [8, 5_526_720]]) {
      const params = initVit(random.key(0), vitTiny({ patchSize, depth: 1 }));
      const size = (tree: unknown) => treeLeaves(tree).reduce((n, t) => n + t.size, 0);
      expect(size(params) + 11 * size(params.blocks[0])).toBe(expected);
    }
  });

  it('vitMnist: 1 channel, 28×28, 49 patches + CLS', () => {
    const config = vitMnist();
    expect(config).toMatchObject({ inChans: 1, imgSize: 28, patchSize: 4, embedDim: 64, depth: 4, numHeads: 4, mlpRatio: 4, layerNormEps: 1e-6, qkvBias: true });
    const params = initVit(random.key(0), vitMnist({ depth: 1 }));
    expect(params.pos_embed.shape).toEqual([1, 50, 64]);
  });

  it('DINO init: trunc-normal 0.02 for Linear/cls/pos, zero biases, LayerNorm 1/0, default conv init for the patch embedding', () => {
    const params = initVit(random.key(2), vitTiny({ depth: 1, dtype: 'float64' }));
    const std = (t: Tensor) => {
      const v = Array.from(t.dataSync());
      const m = v.reduce((a, b) => a + b) / v.length;
      return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
    };
    const maxAbs = (v: number[]) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    const block = params.blocks[0];
    expect(std(block.attn.qkv.weight)).toBeCloseTo(0.02, 3);
    expect(std(block.mlp.fc1.weight)).toBeCloseTo(0.02, 3);
    expect(std(params.pos_embed)).toBeCloseTo(0.02, 2);
    expect(Array.from(block.attn.qkv.bias!.dataSync()).every((b) => b === 0)).toBe(true);
    expect(Array.from((block.norm1 as { weight: Tensor }).weight.dataSync()).every((w) => w === 1)).toBe(true);
    const bound = 1 / Math.sqrt(3 * 16 * 16);
    const conv = Array.from(params.patch_embed.proj.weight.dataSync());
    expect(maxAbs(conv)).toBeLessThanOrEqual(bound);
    expect(std(params.patch_embed.proj.weight)).toBeCloseTo(bound / Math.sqrt(3), 3); // U(±b) has std b/√3 ≈ 0.0208
    const bias = Array.from(params.patch_embed.proj.bias!.dataSync());
    expect(maxAbs(bias)).toBeLessThanOrEqual(bound);
    expect(bias.some((b) => b !== 0)).toBe(true);
  });
});
