/**
 * Per-example gradients of a small MLP (784 → 128 → 10, ReLU, cross-entropy), batch 64, float32 on
 * the default backend: a JavaScript loop of `grad` over the examples (then stacked) against one
 * `vmap(grad(loss), {inAxes: [null, 0, 0]})` call, and that call under `jit`. Medians of 9 rounds
 * after 2 warm-ups (each round runs every variant once, in turn), min and max beside; the three results are checked to agree first.
 * Run with `npx tsx bench/per-example-grads.ts [--batch 64] [--runs 9]`. Not a test.
 */
import { loadavg } from 'node:os';
import * as tg from '../core/index.js';
import type { Tensor } from '../core/index.js';

const flag = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const batch = flag('batch', 64);
const runs = flag('runs', 9);
const [inputs, hidden, classes] = [784, 128, 10];

type Mlp = { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor };
const [k1, k2, k3, k4] = tg.random.split(tg.random.key(0), 4);
const params: Mlp = {
  w1: tg.mul(tg.random.normal(k1, [inputs, hidden]), 1 / Math.sqrt(inputs)),
  b1: tg.zeros([hidden]),
  w2: tg.mul(tg.random.normal(k2, [hidden, classes]), 1 / Math.sqrt(hidden)),
  b2: tg.zeros([classes]),
};
const xs = tg.random.uniform(k3, [batch, inputs]);
const labels = tg.random.randint(k4, [batch], 0, classes).dataSync();
const targets = tg.tensor(Array.from(labels, (l) => Array.from({ length: classes }, (_, c) => (c === l ? 1 : 0))));

/** One example's loss: x [784], target [10] one-hot. */
const loss = (p: Mlp, x: Tensor, target: Tensor) => {
  const h = tg.relu(tg.add(tg.matmul(tg.reshape(x, [1, inputs]), p.w1), p.b1));
  return tg.crossEntropy(tg.add(tg.matmul(h, p.w2), p.b2), tg.reshape(target, [1, classes]));
};
const perExample = tg.grad(loss);
const example = (t: Tensor, b: number) => tg.squeeze(tg.sliceAxis(t, 0, b, b + 1), 0);

const loop = (): Mlp => {
  const grads = Array.from({ length: batch }, (_, b) => perExample(params, example(xs, b), example(targets, b)) as Mlp);
  return tg.treeMap<Mlp>((...leaves: Tensor[]) => tg.stack(leaves), grads[0], ...grads.slice(1));
};
const vmapped = tg.vmap(perExample, { inAxes: [null, 0, 0] });
const batched = (): Mlp => vmapped(params, xs, targets) as Mlp;
// the arguments are passed, not closed over: jit bakes closed-over tensors in as constants
const jitted = tg.jit(vmapped);
const compiled = (): Mlp => jitted(params, xs, targets) as Mlp;

/** Reads every leaf, so the timing includes the work of an asynchronous device. */
const settle = (tree: Mlp) => tg.treeLeaves(tree).forEach((leaf) => leaf.dataSync());

/** Runs every variant once per round, in turn, so load that drifts over the run falls on all of them alike. */
function timeInterleaved(variants: readonly (() => Mlp)[]): { median: number; min: number; max: number }[] {
  for (let i = 0; i < 2; i++) variants.forEach((run) => settle(run()));
  const times = variants.map((): number[] => []);
  for (let round = 0; round < runs; round++) {
    variants.forEach((run, v) => {
      const start = performance.now();
      settle(run());
      times[v].push(performance.now() - start);
    });
  }
  return times.map((list) => {
    const sorted = [...list].sort((a, b) => a - b);
    return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1] };
  });
}

const reference = loop();
const worst = (tree: Mlp) =>
  Math.max(...tg.treeLeaves(tree).map((leaf, i) => {
    const expected = tg.treeLeaves(reference)[i].dataSync();
    return Array.from(leaf.dataSync()).reduce((m, v, j) => Math.max(m, Math.abs(v - expected[j])), 0);
  }));
const info = tg.backendInfo();
console.log(`per-example gradients, MLP ${inputs}-${hidden}-${classes}, batch ${batch}, float32, backend ${info.name} (${info.mode})`);
console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (a shared machine inflates all rows alike; compare ratios)`);
console.log(`max |difference| from the loop: vmap ${worst(batched()).toExponential(2)}, jit(vmap) ${worst(compiled()).toExponential(2)}`);
const rows: [string, () => Mlp][] = [['JS loop of grad', loop], ['vmap(grad)', batched], ['jit(vmap(grad))', compiled]];
const measured = timeInterleaved(rows.map(([, run]) => run));
const timings = rows.map(([label], i) => [label, measured[i]] as const);
const base = timings[0][1].median;
console.log(`${'variant'.padEnd(18)} ${'median ms'.padStart(10)} ${'min'.padStart(8)} ${'max'.padStart(8)} ${'speed-up'.padStart(9)}`);
for (const [label, t] of timings) {
  console.log(`${label.padEnd(18)} ${t.median.toFixed(1).padStart(10)} ${t.min.toFixed(1).padStart(8)} ${t.max.toFixed(1).padStart(8)} ${(base / t.median).toFixed(1).padStart(8)}x`);
}
