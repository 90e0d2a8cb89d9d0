/**
 * A first tour of tapegrad's transforms on small functions: grad, vjp, jvp, grad of grad, checkGrads,
 * and the tape itself. Run with `npx tsx examples/grad-tour.ts`; it takes a second or two.
 */
import * as tg from '../core/index.js';
import type { Tensor } from '../core/index.js';

const f64 = (values: tg.NestedArray) => tg.tensor(values, { dtype: 'float64' });
const show = (label: string, value: unknown) => console.log(`${label.padEnd(34)} ${JSON.stringify(value instanceof tg.Tensor ? value.toArray() : value)}`);

// 1. grad: the gradient of a scalar function
const f = (x: Tensor) => tg.sum(tg.tanh(tg.mul(x, x)));
const x = f64([0.5, -1, 2]);
show('f(x) = Σ tanh(x²)', f(x).item());
show('grad(f)(x)', tg.grad(f)(x));
show('by hand: 2x(1 − tanh²(x²))', (x.toArray() as number[]).map((v) => 2 * v * (1 - Math.tanh(v * v) ** 2)));

// 2. vjp: pull a cotangent back through a vector-valued function
const g = (x: Tensor) => tg.softmax(tg.mul(x, 2));
const [y, pullback] = tg.vjp(g, x);
show('softmax(2x)', y);
show('vjp with u = [1, 0, 0]', pullback(f64([1, 0, 0]))[0]);

// 3. jvp: push a tangent forward (computed by transposing the recorded vjp)
const [, tangent] = tg.jvp(g, [x], [f64([1, 0, 0])]);
show('jvp with v = [1, 0, 0]', tangent);

// 4. grad of grad: tapes nest, and backward passes are made of ops
const d2 = tg.grad((x: Tensor) => tg.sum(tg.grad((y: Tensor) => tg.sum(tg.sin(y)))(x)));
show('d²/dx² sin(x) = −sin(x)', d2(x));

// 5. checkGrads: derivatives against central differences, in float64 on the reference backend
tg.checkGrads((w: Tensor, v: Tensor) => tg.logSoftmax(tg.matmul(w, v)), [f64([[1, 2], [3, -1]]), f64([[0.5], [-0.2]])], { order: 2 });
show('checkGrads(order 2) of logSoftmax(W v)', 'passed');

// ...and it catches a wrong derivative
const wrongSin = tg.customVjp((x: Tensor) => tg.sin(x), { forward: (x) => [tg.sin(x), x], backward: (x: Tensor, ct) => [tg.mul(ct, tg.sin(x))] });
try {
  tg.checkGrads(wrongSin, [x]);
} catch (error) {
  show('checkGrads of a wrong vjp', (error as Error).message.slice(0, 80) + '…');
}

// 6. the tape: what reverse mode will walk, one line per op
console.log('\nThe tape of Σ tanh(x W + b):');
console.log(tg.printTape((x: Tensor, w: Tensor, b: Tensor) => tg.sum(tg.tanh(tg.add(tg.matmul(x, w), b))), tg.ones([2, 3]), tg.ones([3, 4]), tg.zeros([4])));
console.log(`\nbackend: ${JSON.stringify(tg.backendInfo())}`);
