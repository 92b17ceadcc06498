/// <reference lib="esnext.disposable" preserve="true" />
// Kept in the d.ts (preserve): consumers need it for `[Symbol.dispose]` unless their lib has esnext.disposable.
/**
 * `nn.Module`, PyTorch's `torch.nn.Module` for TypeScript.
 *
 * ## Registration
 * A module owns three ordered tables — parameters, buffers and child modules — that
 * define `parameters()`, `stateDict()` and every other traversal.
 *
 * - **Fields are registered automatically.** Any own property that holds a `Module` or a
 *   `Parameter` is a child / parameter under the property's name, in the order the
 *   properties were defined (class field declaration order, then assignment order), exactly
 *   as PyTorch's `__setattr__` registers `self.fc = nn.Linear(...)`. The tables are
 *   synchronised with the fields lazily, whenever they are read, so
 *   `this.fc1 = new Linear(4, 3)` in a constructor is all it takes; reassigning a field
 *   (`model.fc = new Linear(…)`) or setting it to `null` is seen too. Arrays or plain objects of
 *   modules are *not* searched: use `ModuleList` / `ModuleDict`, as in PyTorch.
 * - **Explicit registration** for names that are not fields (e.g. PyTorch's
 *   `weight_ih_l0`): `registerParameter(name, p)`, `registerModule(name, m)`; read them with
 *   `getParameter(name)` / `getSubmodule(name)`.
 * - **Buffers** are plain tensors, so they are always explicit:
 *   `registerBuffer(name, t, { persistent })`, read with `getBuffer(name)`, replaced with
 *   `setBuffer(name, t)`.
 *
 * ## Calling
 * `module.call(...args)` runs the forward-pre hooks, `forward(...args)` and the forward hooks
 * (PyTorch's `module(x)`); `forward` can also be called directly (no hooks).
 *
 * ## Memory
 * `stateDict()` returns the live tensors (no copies; do not dispose them); `dispose()` frees
 * every parameter, gradient and buffer of the module tree.
 */
import { noGrad } from '@torchlet/autograd';
import { RuntimeError, Tensor, ValueError, copy_, fmtShape, select, to as tensorTo, zero_, type DType, type DeviceName } from '@torchlet/tensor';
import { isParameter, markParameter, type Parameter } from './parameter.js';
import { summary as renderSummary, type SummaryInput, type SummaryOptions } from './summary.js';

/** Removes a hook: call it, or call its `remove()` (PyTorch's `RemovableHandle`). */
export interface RemovableHandle {
  (): void;
  /** Removes the hook. */
  remove(): void;
}

/** `hook(module, args)`: may return replacement args (an array, or a single value for one argument). */
export type ForwardPreHook<M extends Module = Module> = (module: M, args: unknown[]) => unknown;
/** `hook(module, args, output)`: may return a replacement output. */
export type ForwardHook<M extends Module = Module> = (module: M, args: unknown[], output: unknown) => unknown;

/** What `loadStateDict` returns (PyTorch's `_IncompatibleKeys`). */
export interface IncompatibleKeys {
  /** Keys the module expected but the state dict lacks. */
  missingKeys: string[];
  /** Keys of the state dict the module does not have. */
  unexpectedKeys: string[];
}

/** Options of `loadStateDict`. */
export interface LoadStateDictOptions {
  /** Refuse missing and unexpected keys (default true). Shape mismatches are refused always. */
  strict?: boolean;
}

/** A state dict: tensors by PyTorch's dotted key (`rnn.weight_ih_l0`, `fc.bias`). */
export type StateDict = Record<string, Tensor>;

/** Options of `namedParameters` / `namedBuffers`. */
export interface NamedOptions {
  /** Prefix for every name (default ''). */
  prefix?: string;
  /** Include submodules (default true). */
  recurse?: boolean;
  /** Yield a tensor shared by several names once (default true). */
  removeDuplicate?: boolean;
}

function handle(remove: () => void): RemovableHandle {
  const h = (() => remove()) as RemovableHandle;
  h.remove = remove;
  return h;
}

function checkName(kind: string, name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new TypeError(`${kind} name should be a string. Got ${typeof name}`);
  if (name === '') throw new ValueError(`${kind} name can't be empty string ""`);
  if (name.includes('.')) throw new ValueError(`${kind} name can't contain ".", got: ${name}`);
}

function addIndent(s: string, spaces: number): string {
  const lines = s.split('\n');
  if (lines.length === 1) return s;
  const pad = ' '.repeat(spaces);
  return [lines[0], ...lines.slice(1).map((l) => pad + l)].join('\n');
}

const join = (prefix: string, name: string): string => (prefix ? `${prefix}.${name}` : name);

/** Base class for all neural network modules (`torch.nn.Module`). */
export class Module {
  /** Training mode (`train()` / `eval()`); layers such as Dropout and BatchNorm read it. */
  training = true;

  #params = new Map<string, Parameter | null>();
  #buffers = new Map<string, Tensor | null>();
  #nonPersistent = new Set<string>();
  #modules = new Map<string, Module | null>();
  /** Names in #params / #modules that mirror an own property. */
  #fields = new Set<string>();
  #preHooks = new Map<number, ForwardPreHook>();
  #hooks = new Map<number, ForwardHook>();
  #nextHook = 0;

  // ---- registration ------------------------------------------------------------------------

  /** Brings the tables up to date with the own properties that hold modules or parameters. */
  #sync(): void {
    for (const key of Object.keys(this)) {
      const v = (this as Record<string, unknown>)[key];
      if (v instanceof Module) this.#adopt(this.#modules, this.#params, key, v);
      else if (isParameter(v)) this.#adopt(this.#params, this.#modules, key, v);
      else if (this.#fields.has(key)) {
        const map: Map<string, unknown> = this.#modules.has(key) ? this.#modules : this.#params;
        if (v === null || v === undefined) {
          map.set(key, null);
        } else if (map === this.#params && v instanceof Tensor) {
          throw new TypeError(`cannot assign a plain Tensor as parameter '${key}' (nn.Parameter or null expected)`);
        } else {
          map.delete(key);
          this.#fields.delete(key);
        }
      }
    }
    for (const key of this.#fields) {
      if (!Object.prototype.hasOwnProperty.call(this, key)) {
        this.#params.delete(key);
        this.#modules.delete(key);
        this.#fields.delete(key);
      }
    }
  }

  #adopt(map: Map<string, unknown>, other: Map<string, unknown>, key: string, v: unknown): void {
    if (map.has(key)) {
      if (this.#fields.has(key)) map.set(key, v);
      return;
    }
    if (other.has(key)) {
      if (!this.#fields.has(key)) throw new RuntimeError(`attribute '${key}' already exists in ${this._getName()}`);
      other.delete(key);
    }
    if (this.#buffers.has(key)) throw new RuntimeError(`attribute '${key}' already exists in ${this._getName()} as a buffer`);
    map.set(key, v);
    this.#fields.add(key);
  }

  #checkFree(kind: string, name: string): void {
    this.#sync();
    if (this.#params.has(name) || this.#buffers.has(name) || this.#modules.has(name) || Object.prototype.hasOwnProperty.call(this, name)) {
      throw new RuntimeError(`${kind}: attribute '${name}' already exists in ${this._getName()}`);
    }
  }

  /** `register_parameter(name, param)`: a parameter under a name that is not a field (null reserves the name). */
  registerParameter(name: string, param: Parameter | null): void {
    checkName('parameter', name);
    if (param !== null && !isParameter(param)) {
      throw new TypeError(`cannot assign a plain Tensor as parameter '${name}' (nn.Parameter or null expected)`);
    }
    if (this.#params.has(name) && !this.#fields.has(name)) {
      this.#params.set(name, param);
      return;
    }
    this.#checkFree('registerParameter', name);
    this.#params.set(name, param);
  }

  /** `register_buffer(name, tensor, persistent=True)`: state that is not a parameter (running statistics …). */
  registerBuffer(name: string, tensor: Tensor | null, options: { persistent?: boolean } = {}): void {
    checkName('buffer', name);
    if (tensor !== null && !(tensor instanceof Tensor)) throw new TypeError(`cannot assign '${typeof tensor}' object to buffer '${name}' (Tensor or null required)`);
    if (!this.#buffers.has(name)) this.#checkFree('registerBuffer', name);
    this.#buffers.set(name, tensor);
    if (options.persistent === false) this.#nonPersistent.add(name);
    else this.#nonPersistent.delete(name);
  }

  /** `register_module(name, module)` / `add_module`: a child under a name that is not a field. */
  registerModule<M extends Module | null>(name: string, module: M): M {
    checkName('module', name);
    if (module !== null && !(module instanceof Module)) throw new TypeError(`${String(module)} is not a Module subclass`);
    if (this.#modules.has(name) && !this.#fields.has(name)) {
      this.#modules.set(name, module);
      return module;
    }
    this.#checkFree('registerModule', name);
    this.#modules.set(name, module);
    return module;
  }

  /** Alias of `registerModule` (PyTorch's `add_module`). */
  addModule<M extends Module | null>(name: string, module: M): M {
    return this.registerModule(name, module);
  }

  /** @internal Removes a child registered with `registerModule` (containers use it). */
  protected _deleteModule(name: string): void {
    this.#modules.delete(name);
  }

  /** @internal The child table in order, for containers. */
  protected _moduleEntries(): [string, Module | null][] {
    this.#sync();
    return [...this.#modules];
  }

  /** The parameter `target` (a dotted path such as `'fc.weight'`). */
  getParameter(target: string): Parameter {
    const { owner, name } = this.#resolve(target, 'getParameter');
    const p = owner.#params.get(name);
    if (!owner.#params.has(name)) throw new RuntimeError(`${owner._getName()} has no parameter \`${name}\``);
    if (!p) throw new RuntimeError(`parameter \`${target}\` is None`);
    return p;
  }

  /** The buffer `target` (a dotted path such as `'bn.running_mean'`); null for a buffer registered as null. */
  getBuffer(target: string): Tensor | null {
    const { owner, name } = this.#resolve(target, 'getBuffer');
    if (!owner.#buffers.has(name)) throw new RuntimeError(`${owner._getName()} has no buffer \`${name}\``);
    return owner.#buffers.get(name) ?? null;
  }

  /** Replaces a registered buffer's tensor (the old one is disposed unless `dispose: false`). */
  setBuffer(target: string, tensor: Tensor | null, options: { dispose?: boolean } = {}): void {
    const { owner, name } = this.#resolve(target, 'setBuffer');
    if (!owner.#buffers.has(name)) throw new RuntimeError(`${owner._getName()} has no buffer \`${name}\``);
    const old = owner.#buffers.get(name);
    owner.#buffers.set(name, tensor);
    if (old && old !== tensor && options.dispose !== false) old.dispose();
  }

  /** The submodule `target` (a dotted path, `''` for this module). */
  getSubmodule(target: string): Module {
    if (target === '') return this;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the walk starts here
    let mod: Module = this;
    for (const part of target.split('.')) {
      mod.#sync();
      const next = mod.#modules.get(part);
      if (!next) throw new RuntimeError(`${mod._getName()} has no attribute \`${part}\``);
      mod = next;
    }
    return mod;
  }

  #resolve(target: string, op: string): { owner: Module; name: string } {
    if (typeof target !== 'string') throw new TypeError(`${op}: expected a string name`);
    const i = target.lastIndexOf('.');
    const owner = i < 0 ? this : this.getSubmodule(target.slice(0, i));
    owner.#sync();
    return { owner, name: i < 0 ? target : target.slice(i + 1) };
  }

  // ---- forward -------------------------------------------------------------------------------

  /** The computation; override it. Call the module with `call()` to run hooks too. */
  forward(..._args: any[]): any {
    throw new RuntimeError(`Module [${this._getName()}] is missing the required "forward" function`);
  }

  /**
   * PyTorch's `module(*args)`: forward-pre hooks, `forward`, forward hooks. A hook that
   * returns a replacement output takes ownership of the original (dispose it or keep it).
   */
  get call(): this['forward'] {
    // A getter typed as `forward` keeps every overload of a subclass's forward (a method's
    // Parameters<> would see only the last one), so `gru.call(packed)` is typed as PyTorch's.
    return ((...args: unknown[]) => this.#callWithHooks(args)) as this['forward'];
  }

  #callWithHooks(args: unknown[]): unknown {
    let a: unknown[] = args;
    for (const hook of [...this.#preHooks.values()]) {
      const r = hook(this, a);
      if (r !== undefined && r !== null) a = Array.isArray(r) ? r : [r];
    }
    let out = (this.forward as (...xs: unknown[]) => unknown)(...a);
    for (const hook of [...this.#hooks.values()]) {
      const r = hook(this, a, out);
      if (r !== undefined && r !== null) out = r;
    }
    return out;
  }

  /** `register_forward_pre_hook(hook)`: `hook(module, args)` runs before `forward`. */
  registerForwardPreHook(hook: ForwardPreHook<this>, options: { prepend?: boolean } = {}): RemovableHandle {
    return this.#addHook(this.#preHooks, hook as ForwardPreHook, options.prepend);
  }

  /** `register_forward_hook(hook)`: `hook(module, args, output)` runs after `forward`. */
  registerForwardHook(hook: ForwardHook<this>, options: { prepend?: boolean } = {}): RemovableHandle {
    return this.#addHook(this.#hooks, hook as ForwardHook, options.prepend);
  }

  #addHook<H>(table: Map<number, H>, hook: H, prepend = false): RemovableHandle {
    const id = this.#nextHook++;
    if (prepend) {
      const rest = [...table];
      table.clear();
      table.set(id, hook);
      for (const [k, v] of rest) table.set(k, v);
    } else {
      table.set(id, hook);
    }
    return handle(() => void table.delete(id));
  }

  // ---- traversal --------------------------------------------------------------------------------

  /** Direct children with their names (each module once). */
  namedChildren(): [string, Module][] {
    this.#sync();
    const seen = new Set<Module>();
    const out: [string, Module][] = [];
    for (const [name, m] of this.#modules) {
      if (m && !seen.has(m)) {
        seen.add(m);
        out.push([name, m]);
      }
    }
    return out;
  }

  /** `children()`: the direct submodules, in registration order. */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every descendant, depth first, with dotted names (`''` for this one). */
  namedModules(options: { prefix?: string; removeDuplicate?: boolean } = {}): [string, Module][] {
    const out: [string, Module][] = [];
    const memo = options.removeDuplicate === false ? null : new Set<Module>();
    const walk = (m: Module, prefix: string): void => {
      if (memo) {
        if (memo.has(m)) return;
        memo.add(m);
      }
      out.push([prefix, m]);
      m.#sync();
      for (const [name, child] of m.#modules) if (child) walk(child, join(prefix, name));
    };
    walk(this, options.prefix ?? '');
    return out;
  }

  /** `modules()`: this module and every descendant, depth first. */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  #namedMembers<T>(get: (m: Module) => Iterable<[string, T | null]>, options: NamedOptions): [string, T][] {
    const mods: [string, Module][] = options.recurse === false ? [[options.prefix ?? '', this]] : this.namedModules({ prefix: options.prefix ?? '', removeDuplicate: options.removeDuplicate });
    const memo = options.removeDuplicate === false ? null : new Set<T>();
    const out: [string, T][] = [];
    for (const [prefix, m] of mods) {
      m.#sync();
      for (const [name, v] of get(m)) {
        if (v === null || v === undefined) continue;
        if (memo) {
          if (memo.has(v)) continue;
          memo.add(v);
        }
        out.push([join(prefix, name), v]);
      }
    }
    return out;
  }

  /** `named_parameters()`: `[name, parameter]` pairs with PyTorch's dotted names. */
  namedParameters(options: NamedOptions = {}): [string, Parameter][] {
    return this.#namedMembers((m) => m.#params, options);
  }

  /** `parameters(recurse=True)`: the parameters of this module and (by default) its descendants, each once; what an optimizer takes. */
  parameters(options: { recurse?: boolean } = {}): Parameter[] {
    return this.namedParameters(options).map(([, p]) => p);
  }

  /** `named_buffers()`: persistent and non-persistent buffers. */
  namedBuffers(options: NamedOptions = {}): [string, Tensor][] {
    return this.#namedMembers((m) => m.#buffers, options);
  }

  /** `buffers(recurse=True)`: the buffers of this module and (by default) its descendants. */
  buffers(options: { recurse?: boolean } = {}): Tensor[] {
    return this.namedBuffers(options).map(([, b]) => b);
  }

  /** Number of parameter elements (shared parameters counted once). */
  numParameters(options: { trainableOnly?: boolean } = {}): number {
    let n = 0;
    for (const p of this.parameters()) if (!options.trainableOnly || p.requiresGrad) n += p.numel();
    return n;
  }

  // ---- modes and bulk operations ------------------------------------------------------------------

  /** `train(mode=True)`: sets training mode on this module and every descendant. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new ValueError('training mode is expected to be boolean');
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** `eval()`: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** `apply(fn)`: calls `fn` on every submodule (children first) and then on this module. */
  apply(fn: (module: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /** `zero_grad(set_to_none=True)`. */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    const setToNone = options.setToNone ?? true;
    for (const p of this.parameters()) {
      const g = p.grad;
      if (!g) continue;
      if (setToNone) {
        p.grad = null;
        g.dispose();
      } else {
        noGrad(() => (g.isSparse ? g.zero_() : zero_(g)));
      }
    }
  }

  /** `requires_grad_(requires_grad=True)`: freezes (`false`) or unfreezes every parameter. */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }

  /**
   * `to(device | dtype | { device, dtype })`: moves parameters and buffers; a dtype applies to
   * floating-point tensors only. Parameters are replaced by new tensor objects (build
   * optimizers after moving the model, as PyTorch recommends).
   */
  to(target: DType | DeviceName | { dtype?: DType; device?: DeviceName }): this {
    const t = typeof target === 'object' ? target : target === 'cpu' || target === 'webgpu' ? { device: target as DeviceName } : { dtype: target as DType };
    return this._applyTensors((x) => {
      const floating = x.dtype === 'float32' || x.dtype === 'float64' || x.dtype === 'float16';
      const dtype = t.dtype && floating ? t.dtype : undefined;
      if ((!dtype || dtype === x.dtype) && (!t.device || t.device === x.device)) return null;
      return tensorTo(x, { dtype, device: t.device });
    });
  }

  /** Converts floating parameters and buffers to float32; returns this. */
  float(): this {
    return this.to('float32');
  }

  /** Converts floating parameters and buffers to float64; returns this. */
  double(): this {
    return this.to('float64');
  }

  /** Converts floating parameters and buffers to float16 (where the device holds it); returns this. */
  half(): this {
    return this.to('float16');
  }

  /** Moves parameters and buffers to the CPU; returns this. */
  cpu(): this {
    return this.to('cpu');
  }

  /**
   * Replaces every parameter, gradient and buffer `x` of the tree by `fn(x)` (null keeps `x`);
   * replaced tensors are disposed. The basis of `to()`.
   */
  protected _applyTensors(fn: (x: Tensor) => Tensor | null): this {
    const done = new Map<Tensor, Tensor>();
    const convert = (x: Tensor): Tensor | null => {
      if (done.has(x)) return done.get(x)!;
      const y = noGrad(() => fn(x));
      if (y) done.set(x, y);
      return y;
    };
    for (const m of this.modules()) {
      m.#sync();
      for (const [name, p] of m.#params) {
        if (!p) continue;
        const np = convert(p);
        if (!np) continue;
        if (!isParameter(np)) {
          markParameter(np);
          np.requiresGrad = p.requiresGrad;
          if (p.grad) {
            const g = noGrad(() => fn(p.grad!)) ?? null;
            if (g) np.grad = g;
          }
        }
        m.#params.set(name, np);
        if (m.#fields.has(name)) (m as unknown as Record<string, unknown>)[name] = np;
      }
      for (const [name, b] of m.#buffers) {
        if (!b) continue;
        const nb = convert(b);
        if (nb) m.#buffers.set(name, nb);
      }
    }
    for (const old of done.keys()) old.dispose();
    return this;
  }

  /** Frees every parameter (with its gradient) and buffer in the tree. The module is unusable afterwards. */
  dispose(): void {
    for (const m of this.modules()) {
      m.#sync();
      for (const p of m.#params.values()) p?.dispose();
      for (const b of m.#buffers.values()) b?.dispose();
    }
  }

  /** `using model = …` support: disposes the module at the end of the scope. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- state dict ------------------------------------------------------------------------------------

  /**
   * `state_dict()`: parameters and persistent buffers under PyTorch's keys (`fc.weight`,
   * `bn.running_mean`, `bn.num_batches_tracked` …), in PyTorch's order. The values are the
   * live tensors (no copies): read or save them, do not dispose them.
   */
  stateDict(options: { prefix?: string } = {}): StateDict {
    const out: StateDict = {};
    for (const e of this.#stateEntries(options.prefix ?? '')) out[e.key] = e.tensor;
    return out;
  }

  #stateEntries(prefix: string): { key: string; tensor: Tensor; owner: Module; name: string }[] {
    const out: { key: string; tensor: Tensor; owner: Module; name: string }[] = [];
    const walk = (m: Module, pre: string): void => {
      m.#sync();
      for (const [name, p] of m.#params) if (p) out.push({ key: pre + name, tensor: p, owner: m, name });
      for (const [name, b] of m.#buffers) if (b && !m.#nonPersistent.has(name)) out.push({ key: pre + name, tensor: b, owner: m, name });
      for (const [name, c] of m.#modules) if (c) walk(c, `${pre}${name}.`);
    };
    walk(this, prefix ? `${prefix}.` : '');
    return out;
  }

  /**
   * Local state keys that may be absent from a loaded state dict (PyTorch's
   * `_load_from_state_dict` overrides: BatchNorm accepts a dict without `num_batches_tracked`).
   */
  protected _optionalStateKeys(): readonly string[] {
    return [];
  }

  /**
   * `load_state_dict(state_dict, strict=True)`: copies every tensor into the module's own
   * (under no-grad, converting dtype, bumping versions). Missing and unexpected keys are
   * refused when `strict`; a shape mismatch is refused always. Nothing is copied unless
   * every check passes, so a refused load leaves the module as it was.
   */
  loadStateDict(stateDict: StateDict | Map<string, Tensor>, options: LoadStateDictOptions = {}): IncompatibleKeys {
    const strict = options.strict ?? true;
    const sd = stateDict instanceof Map ? stateDict : new Map(Object.entries(stateDict ?? {}));
    if (!(stateDict instanceof Map) && (typeof stateDict !== 'object' || stateDict === null)) {
      throw new TypeError(`Expected state_dict to be dict-like, got ${stateDict === null ? 'null' : typeof stateDict}.`);
    }
    const entries = this.#stateEntries('');
    const expected = new Set(entries.map((e) => e.key));
    const missingKeys: string[] = [];
    const mismatches: string[] = [];
    // [destination, source, whether the source is a view made here (disposed after the copy)]
    const copies: [Tensor, Tensor, boolean][] = [];
    for (const e of entries) {
      const src = sd.get(e.key);
      if (src === undefined) {
        if (!e.owner._optionalStateKeys().includes(e.name)) missingKeys.push(e.key);
        continue;
      }
      if (!(src instanceof Tensor)) {
        mismatches.push(`While copying the parameter named "${e.key}", expected torch.Tensor or Tensor-like object from checkpoint but received ${typeof src}`);
        continue;
      }
      // PyTorch's compatibility with 0.3 files: a 1-d tensor loads into a 0-d one as its first
      // element (`num_batches_tracked` saved as shape [1]); not the other way round.
      const firstOf1d = e.tensor.shape.length === 0 && src.shape.length === 1;
      if (firstOf1d && src.shape[0] === 0) {
        mismatches.push(
          `While copying the parameter named "${e.key}", whose dimensions in the model are [] and whose dimensions in the checkpoint are [0]: index 0 is out of bounds for dimension 0 with size 0.`,
        );
        continue;
      }
      if (!firstOf1d && (src.shape.length !== e.tensor.shape.length || src.shape.some((n, i) => n !== e.tensor.shape[i]))) {
        mismatches.push(
          `size mismatch for ${e.key}: copying a param with shape ${fmtShape(src.shape)} from checkpoint, the shape in current model is ${fmtShape(e.tensor.shape)}.`,
        );
        continue;
      }
      copies.push([e.tensor, src, firstOf1d]);
    }
    const unexpectedKeys = [...sd.keys()].filter((k) => !expected.has(k));
    const errors: string[] = [];
    if (strict) {
      if (missingKeys.length) errors.push(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}. `);
      if (unexpectedKeys.length) errors.push(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}. `);
    }
    errors.push(...mismatches);
    if (errors.length) throw new RuntimeError(`Error(s) in loading state_dict for ${this._getName()}:\n\t${errors.join('\n\t')}`);
    noGrad(() => {
      for (const [dst, src, first] of copies) {
        if (!first) {
          if (dst !== src) copy_(dst, src);
          continue;
        }
        const x = select(src, 0, 0);
        try {
          copy_(dst, x);
        } finally {
          x.dispose();
        }
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- printing ---------------------------------------------------------------------------------------

  /** The class name PyTorch prints (`Linear`, `Sequential` …). */
  _getName(): string {
    return this.constructor.name;
  }

  /** The constructor arguments shown inside the parentheses of `toString()`; override it. */
  extraRepr(): string {
    return '';
  }

  /** The module tree as PyTorch's `repr(module)` prints it. */
  toString(): string {
    const extra = this.extraRepr();
    const extraLines = extra ? extra.split('\n') : [];
    const childLines = this._childReprLines();
    const lines = [...extraLines, ...childLines];
    let main = `${this._getName()}(`;
    if (lines.length) {
      if (extraLines.length === 1 && childLines.length === 0) main += extraLines[0];
      else main += `\n  ${lines.join('\n  ')}\n`;
    }
    return `${main})`;
  }

  /** `(name): repr` lines for the children (ModuleList overrides it to fold repeats). */
  protected _childReprLines(): string[] {
    this.#sync();
    return [...this.#modules].map(([name, m]) => `(${name}): ${addIndent(m ? m.toString() : 'None', 2)}`);
  }

  /**
   * A torchinfo-style table: every layer with its output shape, parameter count and whether
   * it is trainable, then the totals. Runs one forward pass without gradients in eval mode
   * on zeros of `input` shape(s) (or on the given tensors), then restores the mode.
   */
  summary(input: SummaryInput, options: SummaryOptions = {}): string {
    return renderSummary(this, input, options);
  }
}

export { addIndent };
