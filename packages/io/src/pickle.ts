/**
 * A restricted unpickler (protocols 0–5) for PyTorch state dicts, in the spirit of
 * `torch.load(..., weights_only=True)`: it builds plain data (None, bool, int, float, str, bytes,
 * list, tuple, dict, set) and resolves only an allow-list of globals — `collections.OrderedDict`,
 * `torch._utils._rebuild_tensor_v2` / `_rebuild_tensor` / `_rebuild_parameter` /
 * `_rebuild_parameter_with_state`, the legacy typed storage classes and `_codecs.encode` (bytes in
 * protocol 2). Any other global is refused by name before anything is built; nothing is ever
 * executed. Malformed input (truncation, unknown opcode, stack underflow, absurd lengths) raises a
 * `PickleError`; every opcode consumes input, so a pickle cannot loop.
 */
import type { FileDType } from './elements.js';
import { PickleError } from './errors.js';

/** A Python tuple (kept apart from lists so that APPEND on a tuple is refused). */
export class PyTuple {
  constructor(readonly items: unknown[]) {}
}

/** A reference to an allowed global (a callable or a storage class). */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A storage named by a persistent id `('storage', torch.FloatStorage, key, location, numel)`. */
export class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: FileDType,
    readonly location: string,
    readonly numel: number,
  ) {}
}

/** A tensor rebuilt by `_rebuild_tensor_v2`: a strided view of a storage, not yet materialised. */
export class TensorRecord {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
    readonly requiresGrad: boolean,
    readonly isParameter = false,
  ) {}
}

/** Storage classes of PyTorch's pickles and their element types. */
export const STORAGE_TYPES: Readonly<Record<string, FileDType>> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

const ALLOWED_CALLABLES = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  '_codecs.encode',
]);

/** Python 2 module names that pickle protocol ≤ 2 maps onto Python 3 ones (`fix_imports`). */
const PY2_MODULES: Readonly<Record<string, string>> = { __builtin__: 'builtins', copy_reg: 'copyreg' };

function isAllowedGlobal(module: string, name: string): boolean {
  if (module === 'torch' && Object.prototype.hasOwnProperty.call(STORAGE_TYPES, name)) return true;
  return ALLOWED_CALLABLES.has(`${module}.${name}`);
}

/** Nesting limit for MARKs (×100) and for converting the result. */
export const MAX_DEPTH = 1000;

export interface UnpickleOptions {
  /** Resolves a persistent id (the argument of PERSID / BINPERSID). Without it, persistent ids are refused. */
  persistentLoad?: (pid: unknown) => unknown;
}

function fail(message: string): PickleError {
  return new PickleError(`pickle: ${message}`);
}

function unsupportedGlobal(module: string, name: string, opcode: string): PickleError {
  return new PickleError(
    `Unsupported global: ${opcode} ${module}.${name} was not an allowed global by default. ` +
      'Only tensors, OrderedDict and plain containers can be loaded (as torch.load(..., weights_only=True)); ' +
      'the file may be malicious or hold arbitrary Python objects.',
  );
}

/** Parses a pickle into plain values (see the module comment for what is allowed). */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions = {}): unknown {
  return new Unpickler(bytes, options).load();
}

class Unpickler {
  #pos = 0;
  #stack: unknown[] = [];
  #marks: unknown[][] = [];
  #memo = new Map<number, unknown>();
  readonly #dv: DataView;
  readonly #utf8 = new TextDecoder('utf-8', { fatal: true });

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {
    this.#dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  // ---- input -----------------------------------------------------------------------------

  #need(n: number, what: string): number {
    if (!Number.isSafeInteger(n) || n < 0 || this.#pos + n > this.bytes.length) {
      throw fail(`truncated: ${what} needs ${n} bytes at offset ${this.#pos} but the pickle has ${this.bytes.length - this.#pos} left`);
    }
    const at = this.#pos;
    this.#pos += n;
    return at;
  }
  #u8(): number {
    return this.bytes[this.#need(1, 'a 1-byte argument')]!;
  }
  #u16(): number {
    return this.#dv.getUint16(this.#need(2, 'a 2-byte argument'), true);
  }
  #u32(): number {
    return this.#dv.getUint32(this.#need(4, 'a 4-byte argument'), true);
  }
  #i32(): number {
    return this.#dv.getInt32(this.#need(4, 'a 4-byte argument'), true);
  }
  #u64(): number {
    const at = this.#need(8, 'an 8-byte argument');
    const v = this.#dv.getUint32(at + 4, true) * 2 ** 32 + this.#dv.getUint32(at, true);
    if (!Number.isSafeInteger(v)) throw fail(`length ${v} at offset ${at} is absurdly large`);
    return v;
  }
  #take(n: number, what: string): Uint8Array {
    const at = this.#need(n, what);
    return this.bytes.subarray(at, at + n);
  }
  #line(what: string): string {
    const start = this.#pos;
    const nl = this.bytes.indexOf(0x0a, start);
    if (nl < 0) throw fail(`truncated: ${what} has no terminating newline`);
    this.#pos = nl + 1;
    let s = '';
    for (let i = start; i < nl; i++) s += String.fromCharCode(this.bytes[i]!);
    return s;
  }
  #text(b: Uint8Array, what: string): string {
    try {
      return this.#utf8.decode(b);
    } catch {
      throw fail(`${what} is not valid UTF-8`);
    }
  }

  // ---- stack -----------------------------------------------------------------------------

  #push(v: unknown): void {
    this.#stack.push(v);
  }
  #pop(op: string): unknown {
    if (this.#stack.length === 0) throw fail(`stack underflow at ${op} (offset ${this.#pos - 1})`);
    return this.#stack.pop();
  }
  #top(op: string): unknown {
    if (this.#stack.length === 0) throw fail(`stack underflow at ${op} (offset ${this.#pos - 1})`);
    return this.#stack[this.#stack.length - 1];
  }
  #mark(): void {
    this.#marks.push(this.#stack);
    this.#stack = [];
    if (this.#marks.length > MAX_DEPTH * 100) throw fail('too many nested MARKs');
  }
  #popMark(op: string): unknown[] {
    const items = this.#stack;
    const prev = this.#marks.pop();
    if (!prev) throw fail(`${op} without a MARK (offset ${this.#pos - 1})`);
    this.#stack = prev;
    return items;
  }
  #memoGet(i: number, op: string): unknown {
    if (!this.#memo.has(i)) throw fail(`${op}: memo key ${i} was never stored`);
    return this.#memo.get(i);
  }

  // ---- main loop -------------------------------------------------------------------------

  load(): unknown {
    const b = this.bytes;
    while (this.#pos < b.length) {
      const at = this.#pos;
      const op = b[this.#pos++]!;
      switch (op) {
        case 0x80: {
          // PROTO
          const v = this.#u8();
          if (v > 5) throw fail(`unsupported pickle protocol ${v}`);
          break;
        }
        case 0x95: // FRAME (a size hint)
          this.#u64();
          break;
        case 0x2e: {
          // STOP
          const v = this.#pop('STOP');
          if (this.#marks.length) throw fail('STOP with an unclosed MARK');
          return v;
        }
        // ---- constants and numbers ----
        case 0x4e:
          this.#push(null);
          break;
        case 0x88:
          this.#push(true);
          break;
        case 0x89:
          this.#push(false);
          break;
        case 0x4a:
          this.#push(this.#i32());
          break;
        case 0x4b:
          this.#push(this.#u8());
          break;
        case 0x4d:
          this.#push(this.#u16());
          break;
        case 0x8a:
          this.#push(this.#long(this.#u8()));
          break;
        case 0x8b: {
          const n = this.#i32();
          if (n < 0) throw fail(`LONG4 with negative length ${n}`);
          this.#push(this.#long(n));
          break;
        }
        case 0x49: {
          // INT (text); "I00"/"I01" are protocol-0 booleans
          const s = this.#line('INT');
          if (s === '00') this.#push(false);
          else if (s === '01') this.#push(true);
          else this.#push(this.#parseInt(s, 'INT'));
          break;
        }
        case 0x4c: {
          const s = this.#line('LONG');
          this.#push(this.#parseInt(s.endsWith('L') ? s.slice(0, -1) : s, 'LONG'));
          break;
        }
        case 0x47:
          this.#push(this.#dv.getFloat64(this.#need(8, 'BINFLOAT'), false));
          break;
        case 0x46: {
          const s = this.#line('FLOAT').trim();
          const special = /^([+-]?)(inf|nan)$/i.exec(s);
          const v = special ? (special[2]!.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity) : Number(s);
          if (s === '' || (Number.isNaN(v) && !special)) throw fail(`FLOAT: bad literal ${JSON.stringify(s.slice(0, 40))}`);
          this.#push(v);
          break;
        }
        // ---- strings and bytes ----
        case 0x58:
          this.#push(this.#text(this.#take(this.#u32(), 'BINUNICODE'), 'BINUNICODE'));
          break;
        case 0x8c:
          this.#push(this.#text(this.#take(this.#u8(), 'SHORT_BINUNICODE'), 'SHORT_BINUNICODE'));
          break;
        case 0x8d:
          this.#push(this.#text(this.#take(this.#u64(), 'BINUNICODE8'), 'BINUNICODE8'));
          break;
        case 0x56:
          this.#push(rawUnicodeEscape(this.#line('UNICODE')));
          break;
        case 0x54: {
          const n = this.#i32();
          if (n < 0) throw fail(`BINSTRING with negative length ${n}`);
          this.#push(latin1(this.#take(n, 'BINSTRING')));
          break;
        }
        case 0x55:
          this.#push(latin1(this.#take(this.#u8(), 'SHORT_BINSTRING')));
          break;
        case 0x53:
          this.#push(pyStringLiteral(this.#line('STRING')));
          break;
        case 0x42:
          this.#push(this.#take(this.#u32(), 'BINBYTES').slice());
          break;
        case 0x43:
          this.#push(this.#take(this.#u8(), 'SHORT_BINBYTES').slice());
          break;
        case 0x8e:
        case 0x96:
          this.#push(this.#take(this.#u64(), op === 0x8e ? 'BINBYTES8' : 'BYTEARRAY8').slice());
          break;
        case 0x97:
          throw fail('NEXT_BUFFER: out-of-band buffers are not supported');
        case 0x98:
          this.#top('READONLY_BUFFER');
          break;
        // ---- containers ----
        case 0x28:
          this.#mark();
          break;
        case 0x29:
          this.#push(new PyTuple([]));
          break;
        case 0x85:
          this.#push(new PyTuple([this.#pop('TUPLE1')]));
          break;
        case 0x86: {
          const b2 = this.#pop('TUPLE2');
          const a2 = this.#pop('TUPLE2');
          this.#push(new PyTuple([a2, b2]));
          break;
        }
        case 0x87: {
          const c3 = this.#pop('TUPLE3');
          const b3 = this.#pop('TUPLE3');
          const a3 = this.#pop('TUPLE3');
          this.#push(new PyTuple([a3, b3, c3]));
          break;
        }
        case 0x74:
          this.#push(new PyTuple(this.#popMark('TUPLE')));
          break;
        case 0x5d:
          this.#push([]);
          break;
        case 0x6c:
          this.#push(this.#popMark('LIST'));
          break;
        case 0x7d:
          this.#push(new Map());
          break;
        case 0x64: {
          const items = this.#popMark('DICT');
          const d = new Map<unknown, unknown>();
          this.#setItems(d, items, 'DICT');
          this.#push(d);
          break;
        }
        case 0x8f:
          this.#push(new Set());
          break;
        case 0x90: {
          const items = this.#popMark('ADDITEMS');
          const s = this.#top('ADDITEMS');
          if (!(s instanceof Set)) throw fail(`ADDITEMS on a ${typeName(s)}, not a set`);
          for (const it of items) s.add(hashable(it, 'ADDITEMS'));
          break;
        }
        case 0x91:
          this.#push(new Set(this.#popMark('FROZENSET').map((x) => hashable(x, 'FROZENSET'))));
          break;
        case 0x61: {
          const v = this.#pop('APPEND');
          const list = this.#top('APPEND');
          if (!Array.isArray(list)) throw fail(`APPEND on a ${typeName(list)}, not a list`);
          list.push(v);
          break;
        }
        case 0x65: {
          const items = this.#popMark('APPENDS');
          const list = this.#top('APPENDS');
          if (!Array.isArray(list)) throw fail(`APPENDS on a ${typeName(list)}, not a list`);
          for (const it of items) list.push(it);
          break;
        }
        case 0x73: {
          const v = this.#pop('SETITEM');
          const k = this.#pop('SETITEM');
          const d = this.#top('SETITEM');
          if (!(d instanceof Map)) throw fail(`SETITEM on a ${typeName(d)}, not a dict`);
          d.set(hashable(k, 'SETITEM'), v);
          break;
        }
        case 0x75: {
          const items = this.#popMark('SETITEMS');
          const d = this.#top('SETITEMS');
          if (!(d instanceof Map)) throw fail(`SETITEMS on a ${typeName(d)}, not a dict`);
          this.#setItems(d, items, 'SETITEMS');
          break;
        }
        // ---- stack manipulation and memo ----
        case 0x30:
          this.#pop('POP');
          break;
        case 0x31:
          this.#popMark('POP_MARK');
          break;
        case 0x32:
          this.#push(this.#top('DUP'));
          break;
        case 0x70:
          this.#memo.set(this.#parseIndex(this.#line('PUT'), 'PUT'), this.#top('PUT'));
          break;
        case 0x71:
          this.#memo.set(this.#u8(), this.#top('BINPUT'));
          break;
        case 0x72:
          this.#memo.set(this.#u32(), this.#top('LONG_BINPUT'));
          break;
        case 0x94:
          this.#memo.set(this.#memo.size, this.#top('MEMOIZE'));
          break;
        case 0x67:
          this.#push(this.#memoGet(this.#parseIndex(this.#line('GET'), 'GET'), 'GET'));
          break;
        case 0x68:
          this.#push(this.#memoGet(this.#u8(), 'BINGET'));
          break;
        case 0x6a:
          this.#push(this.#memoGet(this.#u32(), 'LONG_BINGET'));
          break;
        // ---- globals and object construction ----
        case 0x63: {
          const module = this.#line('GLOBAL module');
          const name = this.#line('GLOBAL name');
          this.#push(this.#global(module, name, 'GLOBAL'));
          break;
        }
        case 0x93: {
          const name = this.#pop('STACK_GLOBAL');
          const module = this.#pop('STACK_GLOBAL');
          if (typeof module !== 'string' || typeof name !== 'string') throw fail('STACK_GLOBAL needs two strings');
          this.#push(this.#global(module, name, 'STACK_GLOBAL'));
          break;
        }
        case 0x69: {
          const module = this.#line('INST module');
          const name = this.#line('INST name');
          throw unsupportedGlobal(module, name, 'INST');
        }
        case 0x6f: {
          const items = this.#popMark('OBJ');
          const cls = items[0];
          if (cls instanceof PyGlobal) throw unsupportedGlobal(cls.module, cls.name, 'OBJ');
          throw fail('OBJ without a class');
        }
        case 0x82:
        case 0x83:
        case 0x84:
          throw fail(`EXT${op === 0x82 ? 1 : op === 0x83 ? 2 : 4}: the extension registry is not supported (offset ${at})`);
        case 0x52: {
          const args = this.#pop('REDUCE');
          const fn = this.#pop('REDUCE');
          this.#push(this.#call(fn, args, 'REDUCE'));
          break;
        }
        case 0x81: {
          const args = this.#pop('NEWOBJ');
          const cls = this.#pop('NEWOBJ');
          this.#push(this.#newObj(cls, args, 'NEWOBJ'));
          break;
        }
        case 0x92: {
          this.#pop('NEWOBJ_EX');
          const args = this.#pop('NEWOBJ_EX');
          const cls = this.#pop('NEWOBJ_EX');
          this.#push(this.#newObj(cls, args, 'NEWOBJ_EX'));
          break;
        }
        case 0x62: {
          const state = this.#pop('BUILD');
          const obj = this.#top('BUILD');
          // OrderedDict state (a state dict's `_metadata`) and tensor state are dropped; anything
          // else would need setattr on an arbitrary object, which is refused.
          if (!(obj instanceof Map) && !(obj instanceof TensorRecord)) {
            throw fail(`BUILD on a ${typeName(obj)} is not supported`);
          }
          void state;
          break;
        }
        case 0x51: {
          const pid = this.#pop('BINPERSID');
          this.#push(this.#persistent(pid));
          break;
        }
        case 0x50:
          this.#push(this.#persistent(this.#line('PERSID')));
          break;
        default:
          throw fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')} at offset ${at} (corrupt file or not a pickle)`);
      }
    }
    throw fail('truncated: reached the end of the data without a STOP opcode');
  }

  #setItems(d: Map<unknown, unknown>, items: unknown[], op: string): void {
    if (items.length % 2) throw fail(`${op} with an odd number of items (${items.length})`);
    for (let i = 0; i < items.length; i += 2) d.set(hashable(items[i], op), items[i + 1]);
  }

  #long(n: number): number | bigint {
    const b = this.#take(n, 'LONG1/LONG4');
    if (n === 0) return 0;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return toNumberIfSafe(v);
  }

  #parseInt(s: string, op: string): number | bigint {
    if (!/^[+-]?\d+$/.test(s)) throw fail(`${op}: bad integer literal ${JSON.stringify(s.slice(0, 40))}`);
    return toNumberIfSafe(BigInt(s));
  }

  #parseIndex(s: string, op: string): number {
    if (!/^\d+$/.test(s)) throw fail(`${op}: bad memo index ${JSON.stringify(s.slice(0, 40))}`);
    return Number(s);
  }

  #global(module: string, name: string, opcode: string): PyGlobal {
    module = PY2_MODULES[module] ?? module;
    if (!isAllowedGlobal(module, name)) throw unsupportedGlobal(module, name, opcode);
    return new PyGlobal(module, name);
  }

  #persistent(pid: unknown): unknown {
    if (!this.options.persistentLoad) throw fail('persistent id found but no persistent loader is available');
    return this.options.persistentLoad(pid);
  }

  #newObj(cls: unknown, args: unknown, op: string): unknown {
    if (!(cls instanceof PyGlobal)) throw fail(`${op} on a ${typeName(cls)}, not a class`);
    if (cls.qualified === 'collections.OrderedDict') return new Map();
    throw unsupportedGlobal(cls.module, cls.name, op);
  }

  #call(fn: unknown, argsValue: unknown, op: string): unknown {
    if (!(fn instanceof PyGlobal)) throw fail(`${op} on a ${typeName(fn)}, not a callable`);
    if (!(argsValue instanceof PyTuple)) throw fail(`${op} arguments must be a tuple, got a ${typeName(argsValue)}`);
    const args = argsValue.items;
    switch (fn.qualified) {
      case 'collections.OrderedDict': {
        const d = new Map<unknown, unknown>();
        if (args.length === 0) return d;
        const src = args[0];
        if (args.length > 1) throw fail('OrderedDict() takes at most one argument');
        if (src instanceof Map) for (const [k, v] of src) d.set(k, v);
        else if (Array.isArray(src) || src instanceof PyTuple) {
          for (const pair of Array.isArray(src) ? src : src.items) {
            const kv = pair instanceof PyTuple ? pair.items : Array.isArray(pair) ? pair : null;
            if (!kv || kv.length !== 2) throw fail('OrderedDict() items must be (key, value) pairs');
            d.set(hashable(kv[0], 'OrderedDict'), kv[1]);
          }
        } else throw fail(`OrderedDict() argument must be a dict or a list of pairs, got a ${typeName(src)}`);
        return d;
      }
      case 'torch._utils._rebuild_tensor':
      case 'torch._utils._rebuild_tensor_v2': {
        const v2 = fn.name === '_rebuild_tensor_v2';
        if (args.length < (v2 ? 5 : 4) || args.length > (v2 ? 7 : 4)) {
          throw fail(`${fn.name}() got ${args.length} arguments`);
        }
        const [storage, offset, size, stride] = args;
        if (!(storage instanceof StorageRef)) throw fail(`${fn.name}(): storage must be a persistent storage, got a ${typeName(storage)}`);
        const requiresGrad = v2 ? args[4] : false;
        if (typeof requiresGrad !== 'boolean') throw fail(`${fn.name}(): requires_grad must be a bool`);
        return new TensorRecord(storage, index(offset, `${fn.name}() storage_offset`), intTuple(size, `${fn.name}() size`), intTuple(stride, `${fn.name}() stride`), requiresGrad);
      }
      case 'torch._utils._rebuild_parameter':
      case 'torch._utils._rebuild_parameter_with_state': {
        const [data, requiresGrad] = args;
        if (!(data instanceof TensorRecord)) throw fail(`${fn.name}(): data must be a tensor, got a ${typeName(data)}`);
        if (typeof requiresGrad !== 'boolean') throw fail(`${fn.name}(): requires_grad must be a bool`);
        return new TensorRecord(data.storage, data.offset, data.size, data.stride, requiresGrad, true);
      }
      case '_codecs.encode': {
        const [s, enc] = args;
        if (typeof s !== 'string' || (enc !== 'latin1' && enc !== 'latin-1')) throw fail('_codecs.encode() is only supported for (str, "latin1")');
        const out = new Uint8Array(s.length);
        for (let i = 0; i < s.length; i++) {
          const c = s.charCodeAt(i);
          if (c > 255) throw fail('_codecs.encode(): character outside latin-1');
          out[i] = c;
        }
        return out;
      }
      default:
        // Storage classes are only meaningful inside a persistent id.
        throw fail(`${fn.qualified} cannot be called`);
    }
  }
}

function toNumberIfSafe(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

function rawUnicodeEscape(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, a: string | undefined, b: string | undefined) => {
    const cp = parseInt((a ?? b)!, 16);
    if (cp > 0x10ffff) throw fail('UNICODE: code point out of range');
    return String.fromCodePoint(cp);
  });
}

function pyStringLiteral(s: string): string {
  const q = s[0];
  if (s.length < 2 || (q !== "'" && q !== '"') || s[s.length - 1] !== q) throw fail('STRING: expected a quoted literal');
  return s.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|[\\'"nrt0])/g, (_m, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ n: '\n', r: '\r', t: '\t', '0': '\0' } as Record<string, string>)[e] ?? e;
  });
}

/** Python's hashability rule for dict keys and set items. */
function hashable(k: unknown, op: string): unknown {
  if (Array.isArray(k) || k instanceof Map || (k instanceof Set && !Object.isFrozen(k))) {
    throw fail(`${op}: unhashable type '${typeName(k)}' used as a key`);
  }
  return k;
}

function index(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) throw fail(`${what} must be a non-negative int, got ${describe(x)}`);
  return x;
}

function intTuple(x: unknown, what: string): number[] {
  const items = x instanceof PyTuple ? x.items : Array.isArray(x) ? x : null;
  if (!items) throw fail(`${what} must be a tuple of ints, got a ${typeName(x)}`);
  if (items.length > 64) throw fail(`${what} has ${items.length} dimensions (at most 64)`);
  return items.map((v) => index(v, what));
}

function describe(x: unknown): string {
  return typeof x === 'number' || typeof x === 'bigint' ? String(x) : `a ${typeName(x)}`;
}

/** Python's name for a value's type, for messages. */
export function typeName(x: unknown): string {
  if (x === null || x === undefined) return 'NoneType';
  if (typeof x === 'boolean') return 'bool';
  if (typeof x === 'number') return Number.isInteger(x) ? 'int' : 'float';
  if (typeof x === 'bigint') return 'int';
  if (typeof x === 'string') return 'str';
  if (x instanceof Uint8Array) return 'bytes';
  if (Array.isArray(x)) return 'list';
  if (x instanceof PyTuple) return 'tuple';
  if (x instanceof Map) return 'dict';
  if (x instanceof Set) return 'set';
  if (x instanceof PyGlobal) return x.qualified;
  if (x instanceof StorageRef) return 'storage';
  if (x instanceof TensorRecord) return 'Tensor';
  return typeof x;
}
