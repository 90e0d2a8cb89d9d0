/**
 * View geometry of SiameseIM against the golden vectors (relpos_cases, abs_pos_features), and the
 * properties that tie the closed form, the geometric derivation and the absolute table together.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ViewGeometry,
  identityRelativePosition,
  relativePosition,
  relativePositionFeatures,
  sincosPositionTable,
  sourceFrameBox,
  viewBCentres,
  viewBCentresGeometric,
} from '../../ssl/relative-position.js';
import { goldenChecks, loadFixture, maxAbsError } from '../support/golden.js';

const fixture = loadFixture('siameseim.json');
const TOL = 1e-9;
const golden = goldenChecks('siameseim geometry', TOL);

const record = golden.check;

const view = ([top, left, height, width]: number[], flip: boolean): ViewGeometry => ({ box: { top, left, height, width }, flip });

describe('relative position matches the golden vectors', () => {
  fixture.relpos_cases.forEach((c: any, index: number) => {
    it(`relpos case ${index}: G=${c.grid}, flips ${c.flip_a}/${c.flip_b}`, () => {
      const a = view(c.crop_a_sampled_ijhw, c.flip_a);
      const b = view(c.crop_b_sampled_ijhw, c.flip_b);
      const rel = relativePosition(a, b, c.W);
      const tuple = [rel.di, rel.dj, rel.dh, rel.dw, Number(rel.relativeFlip), rel.flipDj];
      record('relpos_cases', maxAbsError(tuple, c.rel_tuple.map(Number)));
      const toArray = (box: { top: number; left: number; height: number; width: number }) => [box.top, box.left, box.height, box.width];
      expect(toArray(sourceFrameBox(a, c.W))).toEqual(c.crop_a_source_frame_ijhw);
      expect(toArray(sourceFrameBox(b, c.W))).toEqual(c.crop_b_source_frame_ijhw);
      const centres = viewBCentres(rel, c.grid);
      record('relpos_cases', maxAbsError(centres, c.centres_view_a_patch_units));
      const normalised = centres.map(([r, col]) => [(r + 0.5) / c.grid, (col + 0.5) / c.grid]);
      record('relpos_cases', maxAbsError(normalised, c.centres_view_a_normalised));
      record('relpos_cases', maxAbsError(viewBCentresGeometric(a, b, c.W, c.grid), c.centres_view_a_patch_units));
      if (c.rel_features) {
        const features = relativePositionFeatures(rel, c.grid, c.rel_features_dim, { dtype: 'float64' });
        record('relpos_cases', maxAbsError(features.toArray(), c.rel_features));
      }
    });
  });

  it('abs_pos_features: rows first, zero cls row', () => {
    const { grid, dim, with_cls_zero_row: cls, value } = fixture.abs_pos_features;
    const table = sincosPositionTable(grid, dim, { clsToken: cls, dtype: 'float64' });
    record('abs_pos_features', maxAbsError(table.toArray(), value));
  });

  it('reports the largest absolute errors', () => {
    golden.report();
  });
});

const boxArb = (size: number) =>
  fc
    .record({ height: fc.integer({ min: 1, max: size }), width: fc.integer({ min: 1, max: size }) })
    .chain(({ height, width }) =>
      fc.record({ top: fc.integer({ min: 0, max: size - height }), left: fc.integer({ min: 0, max: size - width }), height: fc.constant(height), width: fc.constant(width) }),
    );
const viewArb = (size: number) => fc.record({ box: boxArb(size), flip: fc.boolean() });

describe('relative position properties', () => {
  it('the closed form agrees with the geometric derivation for all flip combinations (100 runs)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 20, max: 300 }).chain((size) => fc.tuple(fc.constant(size), viewArb(size), viewArb(size), fc.integer({ min: 1, max: 8 }))), ([size, a, b, grid]) => {
        const closed = viewBCentres(relativePosition(a, b, size), grid);
        expect(maxAbsError(closed, viewBCentresGeometric(a, b, size, grid))).toBeLessThan(1e-9);
      }),
      { numRuns: 100, seed: 3 },
    );
  });

  it('identical crops give centres on the integer grid and features equal to the absolute table (50 runs)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 20, max: 300 }).chain((size) => fc.tuple(fc.constant(size), viewArb(size), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }))), ([size, a, grid, quarter]) => {
        const width = 4 * quarter;
        const rel = relativePosition(a, a, size);
        expect(rel).toMatchObject({ di: 0, dj: 0, dh: 1, dw: 1, relativeFlip: false });
        const centres = viewBCentres(rel, grid);
        centres.forEach(([r, c], t) => {
          expect(r).toBeCloseTo(Math.floor(t / grid), 12);
          expect(c).toBeCloseTo(t % grid, 12);
        });
        const features = relativePositionFeatures(rel, grid, width, { dtype: 'float64' }).toArray() as number[][];
        const table = sincosPositionTable(grid, width, { clsToken: false, dtype: 'float64' }).toArray() as number[][];
        const scaleCode = [...Array(quarter).fill(0), ...Array(quarter).fill(1), ...Array(quarter).fill(0), ...Array(quarter).fill(1)];
        features.forEach((row, t) => {
          expect(maxAbsError(row.slice(0, width), table[t])).toBeLessThan(1e-12);
          expect(row.slice(width)).toEqual(scaleCode);
        });
      }),
      { numRuns: 50, seed: 4 },
    );
  });

  it('the identity relation is what relativePosition gives for one view with itself', () => {
    expect(relativePosition(view([5, 7, 30, 40], true), view([5, 7, 30, 40], true), 100)).toMatchObject({ ...identityRelativePosition, flipDj: (100 - 14) / 40 });
    const features = relativePositionFeatures(identityRelativePosition, 3, 8, { dtype: 'float64' });
    expect(features.shape).toEqual([9, 16]);
  });

  it('rounding ω to float32 moves features by at most a few 1e-6 at width 768', () => {
    const rel = relativePosition(view([10, 20, 120, 90], false), view([40, 0, 200, 180], true), 224);
    const exact = relativePositionFeatures(rel, 14, 768, { dtype: 'float64' }).dataSync();
    const rounded = relativePositionFeatures(rel, 14, 768, { dtype: 'float64', float32Omega: true }).dataSync();
    const difference = Array.from(exact).reduce((m, v, i) => Math.max(m, Math.abs(v - rounded[i])), 0);
    expect(difference).toBeGreaterThan(0);
    expect(difference).toBeLessThan(1e-4);
  });
});
