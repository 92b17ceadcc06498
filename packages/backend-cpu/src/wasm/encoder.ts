/**
 * A small WebAssembly binary encoder: enough of the format (types, an imported memory,
 * functions with locals, exports) and of the instruction set (scalar i32/i64/f32/f64 and the
 * 128-bit SIMD proposal, plus relaxed-SIMD's fused multiply-add) to generate the CPU
 * backend's kernels at run time. Nothing is compiled ahead of time or downloaded.
 *
 * Instructions are named as in the text format (`c.op('f32x4.add')`); those with
 * immediates have their own methods (`get`, `i32`, `load`, `lane` …).
 */

/** Value types. */
export const I32 = 0x7f;
export const I64 = 0x7e;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof I64 | typeof F32 | typeof F64 | typeof V128;

/** Plain (no-immediate) instructions: single-byte opcodes, or `0xfd` + a LEB128 SIMD opcode. */
const PLAIN: Readonly<Record<string, number>> = {
  unreachable: 0x00, nop: 0x01, return: 0x0f, drop: 0x1a, select: 0x1b,
  'i32.eqz': 0x45, 'i32.eq': 0x46, 'i32.ne': 0x47, 'i32.lt_s': 0x48, 'i32.lt_u': 0x49,
  'i32.gt_s': 0x4a, 'i32.gt_u': 0x4b, 'i32.le_s': 0x4c, 'i32.le_u': 0x4d, 'i32.ge_s': 0x4e, 'i32.ge_u': 0x4f,
  'f32.eq': 0x5b, 'f32.ne': 0x5c, 'f32.lt': 0x5d, 'f32.gt': 0x5e, 'f32.le': 0x5f, 'f32.ge': 0x60,
  'f64.eq': 0x61, 'f64.ne': 0x62, 'f64.lt': 0x63, 'f64.gt': 0x64, 'f64.le': 0x65, 'f64.ge': 0x66,
  'i32.add': 0x6a, 'i32.sub': 0x6b, 'i32.mul': 0x6c, 'i32.div_s': 0x6d, 'i32.div_u': 0x6e,
  'i32.rem_s': 0x6f, 'i32.rem_u': 0x70, 'i32.and': 0x71, 'i32.or': 0x72, 'i32.xor': 0x73,
  'i32.shl': 0x74, 'i32.shr_s': 0x75, 'i32.shr_u': 0x76,
  'f32.abs': 0x8b, 'f32.neg': 0x8c, 'f32.ceil': 0x8d, 'f32.floor': 0x8e, 'f32.trunc': 0x8f,
  'f32.nearest': 0x90, 'f32.sqrt': 0x91, 'f32.add': 0x92, 'f32.sub': 0x93, 'f32.mul': 0x94,
  'f32.div': 0x95, 'f32.min': 0x96, 'f32.max': 0x97, 'f32.copysign': 0x98,
  'f64.abs': 0x99, 'f64.neg': 0x9a, 'f64.sqrt': 0x9f, 'f64.add': 0xa0, 'f64.sub': 0xa1,
  'f64.mul': 0xa2, 'f64.div': 0xa3, 'f64.min': 0xa4, 'f64.max': 0xa5,
  'i32.trunc_f32_s': 0xa8, 'f32.convert_i32_s': 0xb2, 'f32.demote_f64': 0xb6, 'f64.convert_i32_s': 0xb7,
  'f64.promote_f32': 0xbb, 'i32.reinterpret_f32': 0xbc, 'f32.reinterpret_i32': 0xbe,
  'i64.add': 0x7c, 'i64.mul': 0x7e, 'i64.and': 0x83, 'i64.or': 0x84, 'i64.xor': 0x85, 'i64.shl': 0x86,
  'i64.shr_u': 0x88, 'i32.wrap_i64': 0xa7, 'i64.extend_i32_s': 0xac, 'i64.extend_i32_u': 0xad,
  'f32.convert_i32_u': 0xb3,
};

const SIMD: Readonly<Record<string, number>> = {
  'i32x4.splat': 0x11, 'f32x4.splat': 0x13, 'f64x2.splat': 0x14,
  'i32x4.eq': 0x37, 'i32x4.ne': 0x38, 'i32x4.lt_s': 0x39, 'i32x4.lt_u': 0x3a, 'i32x4.gt_s': 0x3b, 'i32x4.gt_u': 0x3c,
  'f32x4.eq': 0x41, 'f32x4.ne': 0x42, 'f32x4.lt': 0x43, 'f32x4.gt': 0x44, 'f32x4.le': 0x45, 'f32x4.ge': 0x46,
  'v128.not': 0x4d, 'v128.and': 0x4e, 'v128.andnot': 0x4f, 'v128.or': 0x50, 'v128.xor': 0x51,
  'v128.bitselect': 0x52, 'v128.any_true': 0x53,
  'f32x4.demote_f64x2_zero': 0x5e, 'f64x2.promote_low_f32x4': 0x5f,
  'f32x4.ceil': 0x67, 'f32x4.floor': 0x68, 'f32x4.trunc': 0x69, 'f32x4.nearest': 0x6a,
  'i32x4.abs': 0xa0, 'i32x4.neg': 0xa1, 'i32x4.shl': 0xab, 'i32x4.shr_s': 0xac, 'i32x4.shr_u': 0xad,
  'i32x4.add': 0xae, 'i32x4.sub': 0xb1, 'i32x4.mul': 0xb5, 'i32x4.min_s': 0xb6, 'i32x4.max_s': 0xb8,
  'i64x2.extmul_low_i32x4_u': 0xde, 'i64x2.extmul_high_i32x4_u': 0xdf,
  'f32x4.abs': 0xe0, 'f32x4.neg': 0xe1, 'f32x4.sqrt': 0xe3, 'f32x4.add': 0xe4, 'f32x4.sub': 0xe5,
  'f32x4.mul': 0xe6, 'f32x4.div': 0xe7, 'f32x4.min': 0xe8, 'f32x4.max': 0xe9, 'f32x4.pmin': 0xea, 'f32x4.pmax': 0xeb,
  'f64x2.add': 0xf0, 'f64x2.sub': 0xf1, 'f64x2.mul': 0xf2, 'f64x2.div': 0xf3,
  'i32x4.trunc_sat_f32x4_s': 0xf8, 'f32x4.convert_i32x4_s': 0xfa,
  // relaxed SIMD
  'f32x4.relaxed_madd': 0x105, 'f32x4.relaxed_nmadd': 0x106,
};

const MEMORY: Readonly<Record<string, { code: number; simd: boolean; align: number }>> = {
  'i32.load': { code: 0x28, simd: false, align: 2 },
  'f32.load': { code: 0x2a, simd: false, align: 2 },
  'f64.load': { code: 0x2b, simd: false, align: 3 },
  'i32.load8_u': { code: 0x2d, simd: false, align: 0 },
  'i32.store': { code: 0x36, simd: false, align: 2 },
  'f32.store': { code: 0x38, simd: false, align: 2 },
  'f64.store': { code: 0x39, simd: false, align: 3 },
  'i32.store8': { code: 0x3a, simd: false, align: 0 },
  'v128.load': { code: 0x00, simd: true, align: 4 },
  'v128.load32_splat': { code: 0x09, simd: true, align: 2 },
  'v128.load64_zero': { code: 0x5d, simd: true, align: 3 },
  'v128.store': { code: 0x0b, simd: true, align: 4 },
};

const LANE: Readonly<Record<string, number>> = {
  'i32x4.extract_lane': 0x1b, 'i32x4.replace_lane': 0x1c,
  'f32x4.extract_lane': 0x1f, 'f32x4.replace_lane': 0x20,
  'f64x2.extract_lane': 0x21, 'f64x2.replace_lane': 0x22,
};

export type PlainOp = keyof typeof PLAIN | keyof typeof SIMD;
export type MemoryOp = keyof typeof MEMORY;
export type LaneOp = keyof typeof LANE;

function uleb(out: number[], value: number): void {
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

function sleb(out: number[], value: number): void {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

function name(out: number[], s: string): void {
  const bytes = new TextEncoder().encode(s);
  uleb(out, bytes.length);
  for (const b of bytes) out.push(b);
}

const F32_SCRATCH = new DataView(new ArrayBuffer(8));

/** A local variable (or parameter) of the function being built. */
export interface Local {
  readonly index: number;
  readonly type: ValType;
}

/** Instruction stream of one function body. Every method returns `this` for chaining. */
export class Code {
  readonly bytes: number[] = [];

  op(...names: PlainOp[]): this {
    for (const n of names) {
      const plain = PLAIN[n];
      if (plain !== undefined) {
        this.bytes.push(plain);
        continue;
      }
      const simd = SIMD[n];
      if (simd === undefined) throw new Error(`wasm encoder: unknown instruction '${n}'`);
      this.bytes.push(0xfd);
      uleb(this.bytes, simd);
    }
    return this;
  }

  get(l: Local): this {
    this.bytes.push(0x20);
    uleb(this.bytes, l.index);
    return this;
  }

  set(l: Local): this {
    this.bytes.push(0x21);
    uleb(this.bytes, l.index);
    return this;
  }

  tee(l: Local): this {
    this.bytes.push(0x22);
    uleb(this.bytes, l.index);
    return this;
  }

  i32(v: number): this {
    this.bytes.push(0x41);
    sleb(this.bytes, v);
    return this;
  }

  f32(v: number): this {
    this.bytes.push(0x43);
    F32_SCRATCH.setFloat32(0, v, true);
    for (let i = 0; i < 4; i++) this.bytes.push(F32_SCRATCH.getUint8(i));
    return this;
  }

  f64(v: number): this {
    this.bytes.push(0x44);
    F32_SCRATCH.setFloat64(0, v, true);
    for (let i = 0; i < 8; i++) this.bytes.push(F32_SCRATCH.getUint8(i));
    return this;
  }

  /** `v128.const` with four f32 lanes. */
  f32x4(a: number, b = a, c = a, d = a): this {
    this.bytes.push(0xfd, 0x0c);
    for (const v of [a, b, c, d]) {
      F32_SCRATCH.setFloat32(0, v, true);
      for (let i = 0; i < 4; i++) this.bytes.push(F32_SCRATCH.getUint8(i));
    }
    return this;
  }

  /** `v128.const` with four i32 lanes. */
  i32x4(a: number, b = a, c = a, d = a): this {
    this.bytes.push(0xfd, 0x0c);
    for (const v of [a, b, c, d]) {
      F32_SCRATCH.setInt32(0, v, true);
      for (let i = 0; i < 4; i++) this.bytes.push(F32_SCRATCH.getUint8(i));
    }
    return this;
  }

  /** A load or store with a constant byte offset (natural alignment unless given). */
  mem(op: MemoryOp, offset = 0, align?: number): this {
    const m = MEMORY[op]!;
    if (m.simd) {
      this.bytes.push(0xfd);
      uleb(this.bytes, m.code);
    } else {
      this.bytes.push(m.code);
    }
    uleb(this.bytes, align ?? m.align);
    uleb(this.bytes, offset);
    return this;
  }

  lane(op: LaneOp, index: number): this {
    this.bytes.push(0xfd);
    uleb(this.bytes, LANE[op]!);
    this.bytes.push(index);
    return this;
  }

  /** `i8x16.shuffle` of the two v128s on the stack by 16 byte indices (0–31). */
  shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16) throw new Error('wasm encoder: i8x16.shuffle takes 16 lane indices');
    this.bytes.push(0xfd, 0x0d, ...lanes);
    return this;
  }

  block(): this {
    this.bytes.push(0x02, 0x40);
    return this;
  }

  loop(): this {
    this.bytes.push(0x03, 0x40);
    return this;
  }

  if(): this {
    this.bytes.push(0x04, 0x40);
    return this;
  }

  else(): this {
    this.bytes.push(0x05);
    return this;
  }

  end(): this {
    this.bytes.push(0x0b);
    return this;
  }

  br(depth: number): this {
    this.bytes.push(0x0c);
    uleb(this.bytes, depth);
    return this;
  }

  brIf(depth: number): this {
    this.bytes.push(0x0d);
    uleb(this.bytes, depth);
    return this;
  }

  /** `memory.fill` (bulk memory): pops address, byte value, length. */
  memoryFill(): this {
    this.bytes.push(0xfc, 0x0b, 0x00);
    return this;
  }

  call(func: FunctionBuilder): this {
    this.bytes.push(0x10);
    uleb(this.bytes, func.index);
    return this;
  }

  /** Appends raw code produced elsewhere. */
  append(other: Code): this {
    for (const b of other.bytes) this.bytes.push(b);
    return this;
  }

  /**
   * `while (cond) { body }`: `cond` pushes an i32; inside `body`, `br(1)` breaks and
   * `br(0)` continues (relative to the loop's own labels).
   */
  while(cond: (c: this) => void, body: (c: this) => void): this {
    this.block().loop();
    cond(this);
    this.op('i32.eqz').brIf(1);
    body(this);
    this.br(0).end().end();
    return this;
  }

  /** `for (l = from; l < to; l += step) body()` over signed i32 locals (`to` re-read each iteration). */
  range(l: Local, from: number | Local, to: number | Local, step: number | Local, body: (c: this) => void): this {
    if (typeof from === 'number') this.i32(from);
    else this.get(from);
    this.set(l);
    return this.while(
      (c) => {
        c.get(l);
        if (typeof to === 'number') c.i32(to);
        else c.get(to);
        c.op('i32.lt_s');
      },
      (c) => {
        body(c);
        c.inc(l, step);
      },
    );
  }

  /** `l += step` for an i32 local. */
  inc(l: Local, step: number | Local = 1): this {
    this.get(l);
    if (typeof step === 'number') this.i32(step);
    else this.get(step);
    return this.op('i32.add').set(l);
  }
}

/** One function of a module under construction. */
export class FunctionBuilder {
  readonly params: Local[];
  /** Runs before `code`: where hoisted constants are set up. */
  readonly prologue = new Code();
  readonly code = new Code();
  readonly #locals: ValType[] = [];

  constructor(
    readonly index: number,
    readonly typeIndex: number,
    readonly paramTypes: readonly ValType[],
    readonly results: readonly ValType[],
  ) {
    this.params = paramTypes.map((type, index) => ({ index, type }));
  }

  /** Declares a new local of `type`. */
  local(type: ValType): Local {
    const index = this.paramTypes.length + this.#locals.length;
    this.#locals.push(type);
    return { index, type };
  }

  /** The encoded body: locals (run-length grouped), instructions, `end`. */
  encodeBody(): number[] {
    const out: number[] = [];
    const groups: [number, ValType][] = [];
    for (const t of this.#locals) {
      const last = groups[groups.length - 1];
      if (last !== undefined && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    uleb(out, groups.length);
    for (const [count, type] of groups) {
      uleb(out, count);
      out.push(type);
    }
    for (const b of this.prologue.bytes) out.push(b);
    for (const b of this.code.bytes) out.push(b);
    out.push(0x0b);
    return out;
  }
}

export interface MemoryImport {
  readonly module: string;
  readonly name: string;
  readonly initial: number;
  readonly maximum?: number;
  readonly shared?: boolean;
}

/** A module: function types (deduplicated), one imported memory, functions and exports. */
export class ModuleBuilder {
  readonly #types: string[] = [];
  readonly #functions: FunctionBuilder[] = [];
  readonly #exports: [string, number][] = [];
  #memory: MemoryImport | undefined;

  importMemory(memory: MemoryImport): this {
    this.#memory = memory;
    return this;
  }

  /** Adds a function; `exportName` exports it. */
  func(params: readonly ValType[], results: readonly ValType[] = [], exportName?: string): FunctionBuilder {
    const key = `${params.join(',')}:${results.join(',')}`;
    let typeIndex = this.#types.indexOf(key);
    if (typeIndex < 0) {
      typeIndex = this.#types.length;
      this.#types.push(key);
    }
    const f = new FunctionBuilder(this.#functions.length, typeIndex, params, results);
    this.#functions.push(f);
    if (exportName !== undefined) this.#exports.push([exportName, f.index]);
    return f;
  }

  get exportNames(): string[] {
    return this.#exports.map(([n]) => n);
  }

  /** The module's bytes (an ArrayBuffer: `Uint8Array<ArrayBuffer>` would need TypeScript 5.7 in consumers' d.ts checks). */
  encode(): ArrayBuffer {
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const section = (id: number, content: number[]) => {
      out.push(id);
      uleb(out, content.length);
      for (const b of content) out.push(b);
    };
    // type section
    const types: number[] = [];
    uleb(types, this.#types.length);
    for (const key of this.#types) {
      const [p, r] = key.split(':') as [string, string];
      const ps = p === '' ? [] : p.split(',').map(Number);
      const rs = r === '' ? [] : r.split(',').map(Number);
      types.push(0x60);
      uleb(types, ps.length);
      types.push(...ps);
      uleb(types, rs.length);
      types.push(...rs);
    }
    section(1, types);
    // import section
    if (this.#memory !== undefined) {
      const m = this.#memory;
      const imports: number[] = [];
      uleb(imports, 1);
      name(imports, m.module);
      name(imports, m.name);
      imports.push(0x02);
      const flags = (m.maximum !== undefined ? 1 : 0) | (m.shared ? 2 : 0);
      imports.push(flags);
      uleb(imports, m.initial);
      if (m.maximum !== undefined) uleb(imports, m.maximum);
      section(2, imports);
    }
    // function section
    const funcs: number[] = [];
    uleb(funcs, this.#functions.length);
    for (const f of this.#functions) uleb(funcs, f.typeIndex);
    section(3, funcs);
    // export section
    const exports: number[] = [];
    uleb(exports, this.#exports.length);
    for (const [n, index] of this.#exports) {
      name(exports, n);
      exports.push(0x00);
      uleb(exports, index);
    }
    section(7, exports);
    // code section
    const code: number[] = [];
    uleb(code, this.#functions.length);
    for (const f of this.#functions) {
      const body = f.encodeBody();
      uleb(code, body.length);
      for (const b of body) code.push(b);
    }
    section(10, code);
    return new Uint8Array(out).buffer;
  }
}
