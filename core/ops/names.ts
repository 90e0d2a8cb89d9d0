/**
 * Every primitive op. The table in `registry.ts` is typed over this union, so an op listed here
 * without a definition (and therefore without a vjp) is a compile error.
 */
export type OpName =
  // unary elementwise
  | 'neg' | 'exp' | 'log' | 'log1p' | 'sqrt' | 'rsqrt' | 'square' | 'abs' | 'sign' | 'tanh'
  | 'sigmoid' | 'relu' | 'erf' | 'gelu' | 'geluDerivative' | 'sin' | 'cos' | 'reciprocal' | 'powScalar'
  // binary elementwise (same shapes; the public functions broadcast first)
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  // comparisons and selection
  | 'greater' | 'greaterEqual' | 'less' | 'equal' | 'where'
  // reductions
  | 'sum' | 'max' | 'min'
  // linear algebra
  | 'matmul'
  // normalisation
  | 'standardize' | 'scaleShift' | 'softmax' | 'logSoftmax'
  // layout and indexing
  | 'identity' | 'stopGradient' | 'reshape' | 'transpose' | 'broadcastTo' | 'slice' | 'flip' | 'pad' | 'concat' | 'take' | 'scatterAdd' | 'cast'
  // values drawn from a PRNG key
  | 'randomDraw'
  // a user-defined vjp
  | 'customVjp';
