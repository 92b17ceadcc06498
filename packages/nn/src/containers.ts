/** `nn.Sequential`, `nn.ModuleList`, `nn.ModuleDict`: children under keys `0`, `1` … or names. */
import { IndexError, RuntimeError, Tensor } from '@torchlet/tensor';
import { Module, addIndent } from './module.js';

function normIndex(i: number, n: number, what: string): number {
  if (!Number.isInteger(i)) throw new TypeError(`${what} indices must be integers, got ${i}`);
  const j = i < 0 ? i + n : i;
  if (j < 0 || j >= n) throw new IndexError(`index ${i} is out of range`);
  return j;
}

/**
 * `nn.Sequential(...modules)` or `nn.Sequential({ name: module, … })` (PyTorch's
 * OrderedDict form): `forward` feeds each module's output to the next.
 */
export class Sequential extends Module {
  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    const first = modules[0];
    if (modules.length === 1 && first && !(first instanceof Module) && typeof first === 'object') {
      for (const [name, m] of Object.entries(first)) this.registerModule(name, m);
    } else {
      (modules as Module[]).forEach((m, i) => this.registerModule(String(i), m));
    }
  }

  /** The number of modules (`len(seq)`). */
  get length(): number {
    return this._moduleEntries().length;
  }

  /** `seq[i]` (negative counts from the end). */
  at(index: number): Module {
    const entries = this._moduleEntries();
    return entries[normIndex(index, entries.length, 'Sequential')]![1]!;
  }

  /** `seq[start:end]` as a new Sequential sharing the modules. */
  slice(start?: number, end?: number): Sequential {
    const entries = this._moduleEntries().slice(start, end);
    return new Sequential(Object.fromEntries(entries.map(([k, m]) => [k, m!])));
  }

  /** Adds a module at the end (`seq.append(m)`); returns this. */
  append(module: Module): this {
    this.registerModule(String(this.length), module);
    return this;
  }

  /** Iterates over the modules in order. */
  [Symbol.iterator](): Iterator<Module> {
    const mods = this._moduleEntries().map(([, m]) => m!);
    return mods[Symbol.iterator]();
  }

  /**
   * Feeds each module's output to the next. Intermediate outputs are freed once consumed
   * (autograd keeps what backward needs), so only the last output is the caller's to dispose.
   */
  override forward(input: any): any {
    let x = input;
    for (const [, m] of this._moduleEntries()) {
      if (!m) continue;
      const y = m.call(x);
      if (x !== input && x !== y) disposeValue(x, y);
      x = y;
    }
    return x;
  }
}

/** Frees the tensors in an intermediate value that do not survive into `next`. */
function disposeValue(value: unknown, next: unknown): void {
  const keep = new Set<unknown>(Array.isArray(next) ? next : [next]);
  const list = Array.isArray(value) ? value : [value];
  for (const v of list) if (v instanceof Tensor && !keep.has(v)) v.dispose();
}

/** Folds runs of identical reprs as PyTorch 2.x's ModuleList does: `(0-2): 3 x Linear(…)`. */
function foldedLines(entries: [string, Module | null][]): string[] {
  const reprs = entries.map(([, m]) => (m ? m.toString() : 'None'));
  const lines: string[] = [];
  let start = 0;
  while (start < reprs.length) {
    let end = start;
    while (end + 1 < reprs.length && reprs[end + 1] === reprs[start]) end++;
    const body = addIndent(reprs[start]!, 2);
    lines.push(end === start ? `(${entries[start]![0]}): ${body}` : `(${entries[start]![0]}-${entries[end]![0]}): ${end - start + 1} x ${body}`);
    start = end + 1;
  }
  return lines;
}

/** `nn.ModuleList`: a list of modules registered under `0`, `1` … (no `forward`). */
export class ModuleList extends Module {
  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  /** The number of modules (`len(list)`). */
  get length(): number {
    return this._moduleEntries().length;
  }

  /** `list[i]` (negative counts from the end). */
  at(index: number): Module {
    const entries = this._moduleEntries();
    return entries[normIndex(index, entries.length, 'ModuleList')]![1]!;
  }

  /** `list[i] = module`. */
  set(index: number, module: Module): void {
    const entries = this._moduleEntries();
    this.registerModule(entries[normIndex(index, entries.length, 'ModuleList')]![0], module);
  }

  /** Adds a module at the end; returns this. */
  append(module: Module): this {
    this.registerModule(String(this.length), module);
    return this;
  }

  /** Appends every module of `modules`; returns this. */
  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  /** Inserts `module` before `index` (negative counts from the end), renumbering the rest. */
  insert(index: number, module: Module): void {
    const mods = this._moduleEntries().map(([, m]) => m!);
    const n = mods.length;
    const i = index < 0 ? Math.max(0, index + n) : Math.min(index, n);
    mods.splice(i, 0, module);
    this.#reset(mods);
  }

  /** Removes and returns the module at `index` (default last), renumbering the rest like PyTorch. */
  pop(index = -1): Module {
    const mods = this._moduleEntries().map(([, m]) => m!);
    const i = normIndex(index, mods.length, 'ModuleList');
    const [removed] = mods.splice(i, 1);
    this.#reset(mods);
    return removed!;
  }

  #reset(mods: Module[]): void {
    for (const [k] of this._moduleEntries()) this._deleteModule(k);
    mods.forEach((m, i) => this.registerModule(String(i), m));
  }

  /** Iterates over the modules in order. */
  [Symbol.iterator](): Iterator<Module> {
    const mods = this._moduleEntries().map(([, m]) => m!);
    return mods[Symbol.iterator]();
  }

  protected override _childReprLines(): string[] {
    return foldedLines(this._moduleEntries());
  }

  override forward(): never {
    throw new RuntimeError('ModuleList is not callable: iterate over it and call its modules');
  }
}

/** `nn.ModuleDict`: modules by string key, in insertion order (no `forward`). */
export class ModuleDict extends Module {
  constructor(modules: Record<string, Module> | Iterable<[string, Module]> = {}) {
    super();
    this.update(modules);
  }

  /** The number of entries (`len(dict)`). */
  get size(): number {
    return this._moduleEntries().length;
  }

  /** `dict[key]`, or undefined. */
  get(key: string): Module | undefined {
    return this._moduleEntries().find(([k]) => k === key)?.[1] ?? undefined;
  }

  /** `dict[key] = module`; returns this. */
  set(key: string, module: Module): this {
    this.registerModule(key, module);
    return this;
  }

  /** `key in dict`. */
  has(key: string): boolean {
    return this._moduleEntries().some(([k]) => k === key);
  }

  /** Removes `key` and returns its module. */
  pop(key: string): Module {
    const m = this.get(key);
    if (!m) throw new RuntimeError(`ModuleDict has no key '${key}'`);
    this._deleteModule(key);
    return m;
  }

  /** Removes `key`; whether it was there. */
  delete(key: string): boolean {
    if (!this.has(key)) return false;
    this._deleteModule(key);
    return true;
  }

  /** Removes every entry. */
  clear(): void {
    for (const [k] of this._moduleEntries()) this._deleteModule(k);
  }

  /** Adds or replaces entries from a record or an iterable of pairs; returns this. */
  update(modules: Record<string, Module> | Iterable<[string, Module]>): this {
    const entries = Symbol.iterator in (modules as object) ? [...(modules as Iterable<[string, Module]>)] : Object.entries(modules as Record<string, Module>);
    for (const [k, m] of entries) this.registerModule(k, m);
    return this;
  }

  /** The keys, in insertion order. */
  keys(): string[] {
    return this._moduleEntries().map(([k]) => k);
  }

  /** The modules, in insertion order. */
  values(): Module[] {
    return this._moduleEntries().map(([, m]) => m!);
  }

  /** `[key, module]` pairs, in insertion order. */
  entries(): [string, Module][] {
    return this._moduleEntries().map(([k, m]) => [k, m!]);
  }

  /** Iterates over the keys (as a Python dict does). */
  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }

  override forward(): never {
    throw new RuntimeError('ModuleDict is not callable: look up its modules and call them');
  }
}
