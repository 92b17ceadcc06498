/** The derivative table: importing this registers every entry. */
import './elementwise.js';
import './conversion.js';
import './views.js';
import './reduce.js';
import './indexing.js';
import './linalg.js';
import './softmax.js';
import './shape.js';
import './misc.js';
export { backwardName, defineDerivatives, derivativeNames, getDerivative } from './table.js';
export type { Derivative, SaveSpec } from './table.js';
