/** Debug mode for non-finite values (JAX's jax_debug_nans): the first op whose output holds NaN or Inf throws, named. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as tg from '../../core/index.js';
import { NonFiniteError, type Tensor } from '../../core/index.js';

const root = path.resolve(import.meta.dirname, '../..');

function caught(fn: () => unknown): NonFiniteError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(NonFiniteError);
    return error as NonFiniteError;
  }
  throw new Error('expected a NonFiniteError');
}

describe('debug nans', () => {
  afterEach(() => tg.setDebugNans(false));

  it('is off by default: NaN flows through as IEEE arithmetic says', () => {
    expect(tg.debugNans()).toBe(false);
    expect(Number.isNaN(tg.log(tg.tensor([-1])).item())).toBe(true);
  });

  it('names the first op whose output holds NaN, its input shapes, and that no tape was recording', () => {
    tg.setDebugNans(true);
    const error = caught(() => tg.sum(tg.log(tg.tensor([[1, 2, -1]]))));
    expect(error.message).toBe('debugNans: log produced NaN at index 2 of its output (float32 [1, 3]), forwards, with no tape recording; inputs: x float32 [1, 3]');
    expect([error.op, error.phase]).toEqual(['log', 'forward']);
    expect(caught(() => tg.div(tg.ones([2]), tg.zeros([1, 2]))).message).toContain('debugNans: div produced Inf at index 0 of its output (float32 [1, 2])');
  });

  it('says forwards with a tape recording when the NaN appears in the forward pass of grad', () => {
    tg.setDebugNans(true);
    const error = caught(() => tg.grad((x: Tensor) => tg.sum(tg.sqrt(x)))(tg.tensor([4, -1], { dtype: 'float64' })));
    expect(error.message).toBe('debugNans: sqrt produced NaN at index 1 of its output (float64 [2]), forwards, with a tape recording; inputs: x float64 [2]');
  });

  it('says which vjp produced the value in a backward pass (sqrt at 0 is finite, its derivative is not)', () => {
    tg.setDebugNans(true);
    const x = tg.tensor([1, 0], { dtype: 'float64' });
    expect(tg.sqrt(x).toArray()).toEqual([1, 0]);
    const error = caught(() => tg.grad((y: Tensor) => tg.sum(tg.sqrt(y)))(x));
    expect(error.phase).toBe('vjp');
    // sqrt's vjp is ct / (2·sqrt(x)): the div is the op that makes the Inf
    expect(error.message).toBe('debugNans: div produced Inf at index 1 of its output (float64 [2]), in the vjp of sqrt (backward pass); inputs: a float64 [2], b float64 [2]');
    expect(error.op).toBe('div');
  });

  it('checks the ops jit replays', () => {
    const f = tg.jit((x: Tensor) => tg.log(x));
    f(tg.tensor([1]));
    tg.setDebugNans(true);
    expect(caught(() => f(tg.tensor([-1]))).message).toBe(
      'debugNans: log produced NaN at index 0 of its output (float32 [1]), while jit replayed its program (its forward and backward ops alike); inputs: x float32 [1]',
    );
  });

  it('is switched on by TAPEGRAD_DEBUG_NANS=1 in the environment', () => {
    const script = "import * as tg from './core/index.ts'; tg.log(tg.tensor([-1])); console.log('no error');";
    const run = (value: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, TAPEGRAD_DEBUG_NANS: value } });
    const on = run('1');
    expect(on.status).not.toBe(0);
    expect(on.stderr).toContain('NonFiniteError: debugNans: log produced NaN at index 0 of its output (float32 [1])');
    const off = run('0');
    expect(off.stdout.trim()).toBe('no error');
  });
});
