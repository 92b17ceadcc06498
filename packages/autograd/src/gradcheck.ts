/**
 * `gradcheck` / `gradgradcheck`: compare the Jacobian autograd computes with central finite
 * differences, in float64 (as `torch.autograd.gradcheck`). Inputs are perturbed through
 * their CPU storage, one element at a time.
 */
import { isFloating } from '@torchlet/backend';
import { RuntimeError, Tensor, dispatch, fromHost, getOp, listOps, zeros, type OpDef } from '@torchlet/tensor';
import { grad } from './engine.js';

/** Options of `gradcheck` (`torch.autograd.gradcheck(fn, inputs, eps, atol, rtol, raise_exception)`). */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
  /** Throw a descriptive error on mismatch (default true); otherwise return false. */
  raiseException?: boolean;
}

type Fn = (...inputs: any[]) => Tensor | readonly Tensor[];

function toList(out: Tensor | readonly Tensor[]): Tensor[] {
  return Array.isArray(out) ? [...(out as readonly Tensor[])] : [out as Tensor];
}

function read(t: Tensor): Float64Array {
  return Float64Array.from(t.dataSync() as ArrayLike<number>);
}

/** Storage index of row-major element `e` of `t`. */
function position(t: Tensor, e: number): number {
  let pos = t.offset;
  for (let d = t.ndim - 1; d >= 0; d--) {
    const n = t.shape[d]!;
    pos += (e % n) * t.strides[d]!;
    e = Math.floor(e / n);
  }
  return pos;
}

function evaluate(fn: Fn, inputs: readonly unknown[]): Float64Array[] {
  const outs = toList(fn(...inputs));
  try {
    return outs.filter((o) => isFloating(o.dtype)).map(read);
  } finally {
    for (const o of outs) if (!inputs.includes(o)) o.dispose();
  }
}

function fail(message: string, raise: boolean): false {
  if (raise) throw new RuntimeError(`gradcheck: ${message}`);
  return false;
}

/**
 * `torch.autograd.gradcheck(fn, inputs)`: checks the gradients of `fn` with respect to every
 * input tensor that requires grad (which must be float64 on a device that reads synchronously).
 */
export function gradcheck(fn: Fn, inputs: readonly unknown[], options: GradcheckOptions = {}): boolean {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-3;
  const raise = options.raiseException ?? true;
  const diff = inputs.filter((x): x is Tensor => x instanceof Tensor && x.requiresGrad);
  if (diff.length === 0) return fail('none of the inputs requires grad', raise);
  for (const x of diff) {
    if (x.dtype !== 'float64') return fail(`inputs must be float64 for finite differences (got ${x.dtype} [${x.shape.join(', ')}])`, raise);
    if (!x.backend.canReadSync) return fail(`inputs must live on a device that reads synchronously (got '${x.device}')`, raise);
  }

  // ---- analytical Jacobian: one backward per output element ----
  const outs = toList(fn(...inputs));
  const floatOuts = outs.filter((o) => isFloating(o.dtype));
  const analytical: Float64Array[][] = floatOuts.map(() => diff.map(() => new Float64Array(0)));
  try {
    floatOuts.forEach((out, j) => {
      const m = out.numel();
      diff.forEach((x, i) => (analytical[j]![i] = new Float64Array(m * x.numel())));
      if (!out.requiresGrad) return;
      for (let k = 0; k < m; k++) {
        const seed = new Float64Array(m);
        seed[k] = 1;
        const go = fromHost(seed, out.shape, 'float64', out.device);
        const go2 = go.dtype === out.dtype ? go : go.to(out.dtype);
        try {
          const gs = grad([out], diff, { gradOutputs: [go2], retainGraph: true, allowUnused: true });
          gs.forEach((g, i) => {
            if (!g) return;
            const row = read(g);
            g.dispose();
            analytical[j]![i]!.set(row, k * row.length);
          });
        } finally {
          go.dispose();
          if (go2 !== go) go2.dispose();
        }
      }
    });
  } finally {
    for (const o of outs) if (!inputs.includes(o)) o.dispose();
  }

  // ---- numerical Jacobian: central differences ----
  for (let i = 0; i < diff.length; i++) {
    const x = diff[i]!;
    const backend = x.backend;
    const buffer = x.storage.buffer;
    const n = x.numel();
    for (let e = 0; e < n; e++) {
      const pos = position(x, e);
      const orig = backend.readSync!(buffer)[pos]!;
      let plus: Float64Array[];
      let minus: Float64Array[];
      try {
        backend.write(buffer, Float64Array.of(orig + eps), pos);
        plus = evaluate(fn, inputs);
        backend.write(buffer, Float64Array.of(orig - eps), pos);
        minus = evaluate(fn, inputs);
      } finally {
        backend.write(buffer, Float64Array.of(orig), pos);
      }
      for (let j = 0; j < floatOuts.length; j++) {
        const p = plus[j]!;
        const q = minus[j]!;
        const a = analytical[j]![i]!;
        for (let k = 0; k < p.length; k++) {
          const num = (p[k]! - q[k]!) / (2 * eps);
          const ana = a[k * n + e]!;
          const ok = Math.abs(ana - num) <= atol + rtol * Math.abs(num) || (Number.isNaN(ana) && Number.isNaN(num));
          if (!ok) {
            return fail(
              `Jacobian mismatch for output ${j} with respect to input ${inputs.indexOf(x)}: ` +
                `d out[${k}] / d in[${e}]: numerical ${num}, analytical ${ana} (atol ${atol}, rtol ${rtol})`,
              raise,
            );
          }
        }
      }
    }
  }
  return true;
}

/** A deterministic pseudo-random float64 tensor in [-1, 1) (gradient seeds for gradgradcheck). */
function seeded(shape: readonly number[], seed: number, device: Tensor['device']): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 4294967296) * 2 - 1;
  }
  return fromHost(data, shape, 'float64', device);
}

/** Options of `gradgradcheck`. */
export interface GradgradcheckOptions extends GradcheckOptions {
  /** The output gradients to differentiate through (default: fixed pseudo-random float64). */
  gradOutputs?: readonly Tensor[];
}

/**
 * `torch.autograd.gradgradcheck(fn, inputs)`: checks second derivatives, by gradchecking
 * `(inputs, v) ↦ vᵀ·J(inputs)` computed with `createGraph`.
 */
export function gradgradcheck(fn: Fn, inputs: readonly unknown[], options: GradgradcheckOptions = {}): boolean {
  const diff = inputs.filter((x): x is Tensor => x instanceof Tensor && x.requiresGrad);
  const probe = toList(fn(...inputs));
  const shapes = probe.filter((o) => isFloating(o.dtype) && o.requiresGrad).map((o) => ({ shape: [...o.shape], device: o.device }));
  for (const o of probe) if (!inputs.includes(o)) o.dispose();
  const gos =
    options.gradOutputs ??
    shapes.map((s, k) => {
      const t = seeded(s.shape, 7919 * (k + 1), s.device);
      t.requiresGrad = true;
      return t;
    });
  const nIn = inputs.length;
  const first = (...all: unknown[]): Tensor[] => {
    const xs = all.slice(0, nIn);
    const vs = all.slice(nIn) as Tensor[];
    const outs = toList(fn(...xs)).filter((o) => isFloating(o.dtype) && o.requiresGrad);
    try {
      const dx = diff.map((d) => xs[inputs.indexOf(d)] as Tensor);
      const gs = grad(outs, dx, { gradOutputs: vs, createGraph: true, allowUnused: true });
      return gs.map((g, i) => g ?? zeros(dx[i]!.shape, { dtype: dx[i]!.dtype, device: dx[i]!.device }));
    } finally {
      for (const o of outs) if (!xs.includes(o)) o.dispose();
    }
  };
  try {
    return gradcheck(first, [...inputs, ...gos], options);
  } finally {
    if (!options.gradOutputs) for (const g of gos) g.dispose();
  }
}

/**
 * The registered ops autograd records (and so must have a derivative and a gradcheck
 * sample): differentiable primitives, views, and composites with their own derivative.
 * Packages that register ops (nn's fused kernels) enumerate these in their own tests.
 */
export function recordedOps(): OpDef[] {
  return listOps().filter((op) => op.differentiable && (op.kind !== 'composite' || op.ownDerivative === true));
}

/** `gradcheck` of one registered op, called through the dispatcher with `attrs`. */
export function gradcheckOp(name: string, inputs: readonly unknown[], attrs: Record<string, unknown> = {}, options: GradcheckOptions = {}): boolean {
  const op = getOp(name);
  return gradcheck((...xs: Tensor[]) => dispatch(op, xs, attrs), inputs, options);
}
