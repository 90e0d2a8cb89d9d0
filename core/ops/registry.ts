import type { OpDef } from '../op.js';
import { addOp, divOp, maximumOp, minimumOp, mulOp, powOp, subOp } from './binary.js';
import { broadcastToOp } from './broadcast.js';
import { castOp } from './cast.js';
import { concatOp } from './concat.js';
import { equalOp, greaterEqualOp, greaterOp, lessOp } from './compare.js';
import { customVjpOp } from './custom.js';
import { flipOp } from './flip.js';
import { scatterAddOp, takeOp } from './gather.js';
import { identityOp } from './identity.js';
import { matmulOp } from './matmul.js';
import type { OpName } from './names.js';
import { padOp } from './pad.js';
import { randomDrawOp } from './random-draw.js';
import { maxOp, minOp, sumOp } from './reduce.js';
import { reshapeOp } from './reshape.js';
import { sliceOp } from './slice.js';
import { scaleShiftOp } from './scale-shift.js';
import { logSoftmaxOp, softmaxOp } from './softmax.js';
import { standardizeOp } from './standardize.js';
import { stopGradientOp } from './stop-gradient.js';
import { transposeOp } from './transpose.js';
import * as unary from './unary.js';
import { whereOp } from './where.js';

/**
 * Every primitive by name. The type requires an entry, with its vjp, for each name in `OpName`:
 * adding a name without a definition does not compile.
 */
export const opTable: { readonly [Name in OpName]: OpDef<any, any, Name> } = {
  neg: unary.negOp,
  exp: unary.expOp,
  log: unary.logOp,
  log1p: unary.log1pOp,
  sqrt: unary.sqrtOp,
  rsqrt: unary.rsqrtOp,
  square: unary.squareOp,
  abs: unary.absOp,
  sign: unary.signOp,
  tanh: unary.tanhOp,
  sigmoid: unary.sigmoidOp,
  relu: unary.reluOp,
  erf: unary.erfOp,
  gelu: unary.geluOp,
  geluDerivative: unary.geluDerivativeOp,
  sin: unary.sinOp,
  cos: unary.cosOp,
  reciprocal: unary.reciprocalOp,
  powScalar: unary.powScalarOp,
  add: addOp,
  sub: subOp,
  mul: mulOp,
  div: divOp,
  pow: powOp,
  maximum: maximumOp,
  minimum: minimumOp,
  greater: greaterOp,
  greaterEqual: greaterEqualOp,
  less: lessOp,
  equal: equalOp,
  where: whereOp,
  sum: sumOp,
  max: maxOp,
  min: minOp,
  matmul: matmulOp,
  standardize: standardizeOp,
  scaleShift: scaleShiftOp,
  softmax: softmaxOp,
  logSoftmax: logSoftmaxOp,
  identity: identityOp,
  stopGradient: stopGradientOp,
  reshape: reshapeOp,
  transpose: transposeOp,
  broadcastTo: broadcastToOp,
  slice: sliceOp,
  flip: flipOp,
  pad: padOp,
  concat: concatOp,
  take: takeOp,
  scatterAdd: scatterAddOp,
  cast: castOp,
  randomDraw: randomDrawOp,
  customVjp: customVjpOp,
};
