/**
 * Validation of layer configurations: every error names the layer, the option and what is allowed,
 * so a typo (`embed_dim` for `embedDim`) or a bad choice fails at init instead of deep in a forward.
 * The checks are core's (`core/options.ts`), the same ones every core op runs on its options.
 */
export { checkChoice, checkInteger, checkKnownOptions, checkRange } from '../core/options.js';
