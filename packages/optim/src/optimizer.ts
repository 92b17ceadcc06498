/// <reference lib="esnext.disposable" preserve="true" />
// Kept in the d.ts (preserve): consumers need it for `[Symbol.dispose]` unless their lib has esnext.disposable.
/**
 * `Optimizer`: the base of every optimizer, as `torch.optim.Optimizer` in PyTorch 2.x.
 *
 * - Parameter groups with per-group options over the optimizer's defaults
 *   (`new SGD([{ params: weights, weightDecay: 1e-4 }, { params: biases, weightDecay: 0 }], { lr: 0.1 })`).
 * - `step(closure?)` runs the update under `noGrad` with in-place tensor ops (no host loops).
 * - `zeroGrad({ setToNone = true })` (PyTorch 2.x default).
 * - `stateDict()` / `loadStateDict()` in PyTorch's layout: `state` keyed by parameter index across
 *   groups (keys `step`, `exp_avg`, `momentum_buffer` …), `param_groups` with `params` as index
 *   lists and hyper-parameters under PyTorch's snake_case names (`weight_decay`, `betas`, `lr_decay`).
 */
import { enableGrad, noGrad } from '@torchlet/autograd';
import { RuntimeError, Tensor, ValueError, emptyLike, fmtShape, isTensor, keep, shapesEqual, tidy } from '@torchlet/tensor';

/** Per-parameter optimizer state: tensors (`exp_avg` …) and host numbers (`step`), under PyTorch's keys. */
export type ParamState = Record<string, Tensor | number>;

/** Options every optimizer has. */
export interface BaseOptions {
  /** Learning rate. */
  lr: number;
}

/**
 * A parameter group as the optimizer holds it: the parameters plus every option (the
 * optimizer's defaults filled in). Schedulers add their own keys (`initialLr`, `maxLr` …).
 */
export type ParamGroup<O extends BaseOptions = BaseOptions> = O & {
  /** The group's parameters. */
  params: Tensor[];
  [option: string]: unknown;
};

/** A parameter group as the user passes it: `{ params, ...options }`, options optional. */
export type ParamGroupInput<O extends BaseOptions = BaseOptions> = Partial<O> & {
  /** The group's parameters: one tensor or any iterable (`model.parameters()`). */
  params: Iterable<Tensor> | Tensor;
  [option: string]: unknown;
};

/** What an optimizer accepts: tensors (`model.parameters()`) or parameter groups. */
export type Params<O extends BaseOptions = BaseOptions> = Iterable<Tensor> | Iterable<ParamGroupInput<O>>;

/** A parameter group in a state dict: snake_case hyper-parameters and `params` as indices. */
export interface StateDictGroup {
  /** The group's parameters, as indices into the optimizer's parameter order. */
  params: number[];
  [hyperParameter: string]: unknown;
}

/** `optimizer.state_dict()` in PyTorch's layout. */
export interface OptimizerStateDict {
  /** Per-parameter state, keyed by parameter index. */
  state: Record<number, ParamState>;
  /** The parameter groups with their hyper-parameters. */
  param_groups: StateDictGroup[];
}

/** `weightDecay` → `weight_decay` (PyTorch's state-dict keys). */
export function camelToSnake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `weight_decay` → `weightDecay`. */
export function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  return (v as object).constructor?.name ?? 'object';
}

function copyValue(v: unknown): unknown {
  return Array.isArray(v) ? v.map(copyValue) : v;
}

/** Throws PyTorch's `ValueError("Invalid learning rate: …")` family for a negative or non-finite option. */
export function checkNonNegative(value: unknown, what: string): void {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) throw new ValueError(`Invalid ${what}: ${String(value)}`);
}

/** Checks `betas` = [beta1, beta2] with each in [0, 1). */
export function checkBetas(betas: unknown): void {
  if (!Array.isArray(betas) || betas.length !== 2) throw new ValueError(`Invalid betas: expected [beta1, beta2], got ${String(betas)}`);
  for (let i = 0; i < 2; i++) {
    const b = betas[i] as unknown;
    if (typeof b !== 'number' || !(b >= 0 && b < 1)) throw new ValueError(`Invalid beta parameter at index ${i}: ${String(b)}`);
  }
}

/** Options of `zeroGrad`. */
export interface ZeroGradOptions {
  /** Drop (and dispose) the gradients instead of zeroing them; default true as in PyTorch 2.x. */
  setToNone?: boolean;
}

/**
 * The base optimizer. Subclasses give their defaults, validate options (`validate`) and
 * implement `updateGroup`, which runs under `noGrad`.
 */
export abstract class Optimizer<O extends BaseOptions = BaseOptions> {
  /** The constructor options with defaults filled in (`optimizer.defaults`). */
  readonly defaults: Readonly<O>;
  /** `optimizer.param_groups`. Schedulers change `lr` (and momentum/betas) here. */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** `optimizer.state`: per-parameter state under PyTorch's keys. */
  state = new Map<Tensor, ParamState>();

  constructor(params: Params<O>, defaults: O) {
    this.validate(defaults as Partial<O>);
    this.defaults = Object.freeze({ ...defaults });
    if (isTensor(params)) {
      throw new TypeError(`params argument given to the optimizer should be an iterable of Tensors or dicts, but got ${typeName(params)}`);
    }
    if (params === null || params === undefined || typeof (params as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') {
      throw new TypeError(`params argument given to the optimizer should be an iterable of Tensors or dicts, but got ${typeName(params)}`);
    }
    if (params instanceof Set) {
      throw new TypeError(
        'optimizer parameters need to be organized in ordered collections, but the ordering of tensors in sets will change between runs. Please use a list instead.',
      );
    }
    const list = [...(params as Iterable<unknown>)];
    if (list.length === 0) throw new ValueError('optimizer got an empty parameter list');
    const groups: ParamGroupInput<O>[] =
      list.every((x) => typeof x === 'object' && x !== null && !isTensor(x) && 'params' in x)
        ? (list as ParamGroupInput<O>[])
        : [{ params: list as Tensor[] } as unknown as ParamGroupInput<O>];
    for (const g of groups) this.addParamGroup(g);
  }

  /** Checks option values (the defaults, and each group's own options); throws ValueError. */
  protected abstract validate(options: Partial<O>): void;

  /** Applies one update to every parameter of `group` that has a gradient (runs under noGrad). */
  protected abstract updateGroup(group: ParamGroup<O>): void;

  /** Creates a parameter's state eagerly (Adagrad does); default: lazily on its first step. */
  protected initState(_param: Tensor, _group: ParamGroup<O>): ParamState | null {
    return null;
  }

  /** `optimizer.add_param_group(group)`. */
  addParamGroup(group: ParamGroupInput<O>): void {
    if (typeof group !== 'object' || group === null || isTensor(group)) {
      throw new TypeError(`param group must be a dict, but got ${typeName(group)}`);
    }
    const raw = group.params as unknown;
    if (raw instanceof Set) {
      throw new TypeError(
        'optimizer parameters need to be organized in ordered collections, but the ordering of tensors in sets will change between runs. Please use a list instead.',
      );
    }
    let params: unknown[];
    if (isTensor(raw)) params = [raw];
    else if (raw !== null && raw !== undefined && typeof (raw as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function') {
      params = [...(raw as Iterable<unknown>)];
    } else throw new TypeError(`param group 'params' must be a Tensor or an iterable of Tensors, but got ${typeName(raw)}`);
    for (const p of params) {
      if (!isTensor(p)) throw new TypeError(`optimizer can only optimize Tensors, but one of the params is ${typeName(p)}`);
      if (!p.isLeaf && !p.retainsGrad) throw new ValueError("can't optimize a non-leaf Tensor");
      if (p.isDisposed) throw new RuntimeError('optimizer got a disposed Tensor');
    }
    const unique = new Set(params as Tensor[]);
    if (unique.size !== params.length) {
      throw new ValueError('optimizer contains a parameter group with duplicate parameters');
    }
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (unique.has(p)) throw new ValueError('some parameters appear in more than one parameter group');
      }
    }
    const options: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(group)) if (k !== 'params') options[k] = copyValue(v);
    this.validate(options as Partial<O>);
    const full = { ...(this.defaults as object), ...options, params: params as Tensor[] } as ParamGroup<O>;
    for (const [k, v] of Object.entries(this.defaults)) if (full[k] === undefined) (full as Record<string, unknown>)[k] = copyValue(v);
    this.paramGroups.push(full);
    for (const p of full.params) {
      const s = this.initState(p, full);
      if (s) {
        for (const v of Object.values(s)) if (isTensor(v)) keep(v);
        this.state.set(p, s);
      }
    }
  }

  /** Every parameter, in group order (the order that gives state-dict indices). */
  *parameters(): IterableIterator<Tensor> {
    for (const g of this.paramGroups) yield* g.params;
  }

  /**
   * `optimizer.zero_grad(set_to_none=True)`: drops every parameter's gradient (disposing it),
   * or with `setToNone: false` zeroes it in place.
   */
  zeroGrad(options: ZeroGradOptions = {}): void {
    const setToNone = options.setToNone ?? true;
    for (const p of this.parameters()) {
      const g = p.grad;
      if (!g) continue;
      if (setToNone) {
        p.grad = null;
        g.dispose();
      } else {
        if (g.gradFn) {
          p.grad = keep(g.detach());
          g.dispose();
        } else if (g.requiresGrad) g.requiresGrad = false;
        noGrad(() => p.grad!.zero_());
      }
    }
  }

  /**
   * `optimizer.step(closure=None)`: runs the update; `closure` (which re-evaluates the model and
   * returns the loss) runs first with grad enabled and its result is returned.
   */
  step<T = undefined>(closure?: () => T): T | undefined {
    let loss: T | undefined;
    if (closure) loss = enableGrad(closure);
    noGrad(() => {
      for (const group of this.paramGroups) this.updateGroup(group);
    });
    return loss;
  }

  /** The state of `p`, created empty on first use. */
  protected stateOf(p: Tensor): ParamState {
    let s = this.state.get(p);
    if (!s) {
      s = {};
      this.state.set(p, s);
    }
    return s;
  }

  /** Runs one parameter's update in a `tidy` scope: temporaries are freed; `keepState` new state tensors. */
  protected withScope(fn: () => void): void {
    tidy(fn);
  }

  /** Marks a tensor created inside `withScope` as state that outlives the scope. */
  protected keepState<T extends Tensor>(t: T): T {
    return keep(t);
  }

  /**
   * `optimizer.state_dict()` in PyTorch's layout. State tensors are the live ones (as in
   * PyTorch): save or clone them before stepping again if you need a snapshot.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups: StateDictGroup[] = [];
    for (const g of this.paramGroups) {
      const sg: StateDictGroup = { params: [] };
      for (const [k, v] of Object.entries(g)) if (k !== 'params') sg[camelToSnake(k)] = copyValue(v);
      for (const p of g.params) {
        if (!index.has(p)) index.set(p, index.size);
        sg.params.push(index.get(p)!);
      }
      paramGroups.push(sg);
    }
    const state: Record<number, ParamState> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state[i] = { ...s };
    }
    return { state, param_groups: paramGroups };
  }

  /**
   * `optimizer.load_state_dict(sd)`: takes hyper-parameters from the saved groups and copies the
   * saved state (cast to each parameter's dtype and device). All-or-nothing: a mismatch throws
   * before anything changes.
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    if (typeof stateDict !== 'object' || stateDict === null || !Array.isArray(stateDict.param_groups) || typeof stateDict.state !== 'object') {
      throw new ValueError("loadStateDict: expected an object with 'state' and 'param_groups'");
    }
    const saved = stateDict.param_groups;
    if (saved.length !== this.paramGroups.length) {
      throw new ValueError(
        `loaded state dict has a different number of parameter groups (${saved.length} saved, ${this.paramGroups.length} in the optimizer)`,
      );
    }
    const idMap = new Map<number, Tensor>();
    const newGroups: ParamGroup<O>[] = [];
    for (let i = 0; i < saved.length; i++) {
      const sg = saved[i]!;
      const g = this.paramGroups[i]!;
      if (!Array.isArray(sg.params) || sg.params.length !== g.params.length) {
        throw new ValueError(
          `loaded state dict contains a parameter group that doesn't match the size of optimizer's group (group ${i}: ${
            Array.isArray(sg.params) ? sg.params.length : 'no'
          } saved parameters, ${g.params.length} in the optimizer)`,
        );
      }
      sg.params.forEach((id, j) => idMap.set(Number(id), g.params[j]!));
      const options: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(sg)) if (k !== 'params') options[snakeToCamel(k)] = copyValue(v);
      this.validate(options as Partial<O>);
      const full = { ...(this.defaults as object), ...options, params: g.params } as ParamGroup<O>;
      newGroups.push(full);
    }
    // Check every state entry before copying any.
    const entries: [Tensor, Record<string, unknown>][] = [];
    for (const [key, value] of Object.entries(stateDict.state as Record<string, unknown>)) {
      const p = idMap.get(Number(key));
      if (!p) throw new ValueError(`loadStateDict: state for parameter index ${key} matches no parameter of the optimizer`);
      if (typeof value !== 'object' || value === null) throw new ValueError(`loadStateDict: state for parameter index ${key} is not an object`);
      for (const [k, v] of Object.entries(value)) {
        if (isTensor(v)) {
          if (v.isDisposed) throw new RuntimeError(`loadStateDict: state '${k}' of parameter ${key} was disposed`);
          if (v.numel() === 1 && v.ndim === 0 && k === 'step') continue;
          if (!shapesEqual(v.shape, p.shape)) {
            throw new ValueError(
              `loadStateDict: state '${k}' of parameter ${key} has shape ${fmtShape(v.shape)}, but the parameter has shape ${fmtShape(p.shape)}`,
            );
          }
        } else if (typeof v !== 'number') {
          throw new ValueError(`loadStateDict: state '${k}' of parameter ${key} must be a Tensor or a number, got ${typeName(v)}`);
        }
      }
      entries.push([p, value as Record<string, unknown>]);
    }
    const state = new Map<Tensor, ParamState>();
    for (const [p, value] of entries) {
      const s: ParamState = {};
      for (const [k, v] of Object.entries(value)) {
        if (typeof v === 'number') s[k] = v;
        else {
          const t = v as Tensor;
          if (k === 'step' && t.ndim === 0) s[k] = t.item();
          else {
            const c = emptyLike(p);
            noGrad(() => c.copy_(t));
            s[k] = c;
          }
        }
      }
      state.set(p, s);
    }
    this.disposeState();
    this.state = state;
    this.paramGroups.splice(0, this.paramGroups.length, ...newGroups);
  }

  private disposeState(): void {
    for (const s of this.state.values()) for (const v of Object.values(s)) if (isTensor(v)) v.dispose();
    this.state.clear();
  }

  /** Frees the optimizer's state tensors (not the parameters). */
  dispose(): void {
    this.disposeState();
  }

  /** `using opt = …` support: disposes the state at the end of the scope. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
