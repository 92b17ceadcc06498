/**
 * Installs every Tensor method defined outside core/tensor.ts. index.ts calls it, so the
 * methods are on the prototype whatever a bundler's tree shaking keeps: no module patches
 * the prototype just by being imported.
 */
import { BINARY_OPS, UNARY_OPS } from '@torchlet/backend';
import type { Operand } from './core/promotion.js';
import { Tensor } from './core/tensor.js';
import { installFormatMethods } from './format/format.js';
import { installConversionMethods } from './ops/conversion.js';
import { add, binary, div, gelu, sub, unary, where } from './ops/elementwise.js';
import { installIndexingMethods } from './ops/indexing.js';
import { installInplaceMethods } from './ops/inplace.js';
import { installLinalgMethods } from './ops/linalg.js';
import { installMathMiscMethods } from './ops/math-misc.js';
import { installReduceMethods } from './ops/reduce.js';
import { installShapeMethods } from './ops/shape-ops.js';
import { installSoftmaxMethods } from './ops/softmax.js';
import { installSortingMethods } from './ops/sorting.js';
import { installViewMethods } from './ops/views.js';
import { installRandomMethods } from './random/inplace.js';

export function installTensorMethods(): void {
  installElementwiseMethods();
  installConversionMethods();
  installViewMethods();
  installIndexingMethods();
  installInplaceMethods();
  installShapeMethods();
  installSortingMethods();
  installReduceMethods();
  installLinalgMethods();
  installSoftmaxMethods();
  installMathMiscMethods();
  installRandomMethods();
  installFormatMethods();
}

/** The methods declared in ops/elementwise.ts (kept out of it: index.ts re-exports all of that module). */
function installElementwiseMethods(): void {
  const proto = Tensor.prototype as unknown as Record<string, unknown>;
  for (const op of UNARY_OPS) {
    if (op === 'gelu' || op === 'geluTanh') continue;
    proto[op] = function (this: Tensor) {
      return unary(op, this);
    };
  }
  Tensor.prototype.gelu = function (options) {
    return gelu(this, options);
  };
  Tensor.prototype.add = function (other, options) {
    return add(this, other, options);
  };
  Tensor.prototype.sub = function (other, options) {
    return sub(this, other, options);
  };
  Tensor.prototype.div = function (other, options) {
    return div(this, other, options);
  };
  for (const op of BINARY_OPS) {
    if (op === 'add' || op === 'sub' || op === 'div') continue;
    proto[op] = function (this: Tensor, other: Operand) {
      return binary(op, this, other);
    };
  }
  Tensor.prototype.where = function (cond, other) {
    return where(cond, this, other);
  };
}
