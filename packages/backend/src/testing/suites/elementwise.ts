/** Elementwise primitives: `unary`, `binary`, `where` and `cast`, over every view kind. */
import { describe } from '../vitest.js';
import type { TensorView } from '../../backend.js';
import { DTYPES, type DType } from '../../dtype.js';
import { BINARY_BOOL_OUTPUT, BINARY_OPS, UNARY_BOOL_OUTPUT, UNARY_OPS, type BinaryOp, type UnaryOp } from '../../primitives.js';
import { FLOAT_DTYPES, type SuiteContext } from '../context.js';
import { assertClose, cycle, readView, roundToDType, type BufferScope, type Operand } from '../helpers.js';
import { binaryRef, castRef, unaryRef } from '../reference.js';

const inf = Infinity;

/** A named arrangement of operands for one elementwise call. */
interface Case {
  readonly label: string;
  readonly shape: readonly number[];
  readonly operands: readonly Operand[];
}

/** Builds the standard view kinds for a unary-like op from a value domain. */
function unaryCases(s: BufferScope, dtype: DType, domain: readonly number[], special: readonly number[]): Case[] {
  const cases: Case[] = [
    { label: 'contiguous 1-D', shape: [domain.length], operands: [s.input(dtype, [...domain], [domain.length])] },
    { label: 'transposed [3, 5]', shape: [3, 5], operands: [s.input(dtype, cycle(domain, 15, 1), [3, 5], 'transposed')] },
    { label: 'sliced with steps and offset [3, 5]', shape: [3, 5], operands: [s.input(dtype, cycle(domain, 15, 2), [3, 5], 'strided')] },
    { label: 'broadcast [1, 5] → [3, 5] (stride 0)', shape: [3, 5], operands: [s.broadcast(dtype, cycle(domain, 5, 3), [1, 5], [3, 5])] },
    { label: 'broadcast rank-0 → [2, 3]', shape: [2, 3], operands: [s.broadcast(dtype, [domain[1]!], [], [2, 3])] },
    { label: 'rank-0 at offset 2', shape: [], operands: [s.scalar(dtype, domain[domain.length - 2]!)] },
    { label: 'zero-size [0, 3]', shape: [0, 3], operands: [s.input(dtype, [], [0, 3])] },
  ];
  if (special.length > 0) cases.push({ label: 'special values', shape: [special.length], operands: [s.input(dtype, [...special], [special.length])] });
  return cases;
}

// ---- unary --------------------------------------------------------------------------------

interface UnarySpec {
  readonly domain: readonly number[];
  /** Inputs whose results PyTorch defines unambiguously (NaN, ±inf, domain edges). */
  readonly special: readonly number[];
  readonly transcendental: boolean;
}

const GENERAL = [-3.75, -2.5, -1.5, -1, -0.5, -0.25, 0, 0.25, 0.5, 1, 1.5, 2.5, 3.3, 7.25];
const NONZERO = GENERAL.filter((v) => v !== 0);
const POSITIVE = [0.01, 0.25, 0.5, 1, 2, 3.3, 10, 123.5];
const UNIT = [-0.99, -0.75, -0.5, -0.1, 0, 0.3, 0.5, 0.75, 0.99];
const WIDE = [-5, -2, -0.5, -1e-3, 0, 0.1, 1, 3, 5];
const ACTIVATION = [-8, -3, -1, -0.5, -0.01, 0, 0.01, 0.5, 1, 3, 8];
const ROUNDING = [-3.7, -2.5, -1.5, -0.5, -0.3, 0, 0.3, 0.5, 1.5, 2.5, 3.5, 0.49999997, 4.7, 8388609];

const spec = (domain: readonly number[], special: readonly number[], transcendental = true): UnarySpec => ({ domain, special, transcendental });

const UNARY_SPECS: Record<UnaryOp, UnarySpec> = {
  neg: spec(GENERAL, [inf, -inf, NaN], false),
  abs: spec(GENERAL, [inf, -inf, NaN, -0], false),
  sign: spec(GENERAL, [0, -0, inf, -inf], false),
  reciprocal: spec(NONZERO, [0, inf, -inf, NaN], false),
  square: spec(GENERAL, [inf, -inf, NaN], false),
  exp: spec([-10, -3, -1, -0.5, 0, 0.5, 1, 3, 10], [inf, -inf, NaN]),
  expm1: spec([-5, -1, -1e-3, -1e-7, 0, 1e-7, 1e-3, 0.5, 3], [inf, -inf, NaN]),
  log: spec(POSITIVE, [0, inf, -1, NaN]),
  log1p: spec([-0.9, -0.5, -1e-6, 0, 1e-7, 1e-3, 0.5, 2, 100], [-1, inf, -2, NaN]),
  log2: spec(POSITIVE, [0, inf, -1, NaN, 8]),
  sqrt: spec(POSITIVE, [0, inf, -1, NaN, 4]),
  rsqrt: spec(POSITIVE, [0, inf, -1, NaN, 4]),
  sin: spec([-3, -1, -0.5, 0, 0.3, 1, 2, 3], [inf, NaN]),
  cos: spec([-3, -1, -0.5, 0, 0.3, 1, 2, 3], [inf, NaN]),
  tan: spec([-1.2, -1, -0.5, 0, 0.3, 1, 1.2], [inf, NaN]),
  asin: spec([...UNIT, -1, 1], [2, -2, NaN]),
  acos: spec([...UNIT, -1, 1], [2, -2, NaN]),
  atan: spec(WIDE, [inf, -inf, NaN]),
  sinh: spec(WIDE, [inf, -inf, NaN]),
  cosh: spec(WIDE, [inf, -inf, NaN]),
  tanh: spec(WIDE, [inf, -inf, NaN, 20]),
  asinh: spec(WIDE, [inf, -inf, NaN]),
  acosh: spec([1, 1.001, 1.5, 2, 10, 100], [0.5, inf, NaN]),
  atanh: spec(UNIT, [1, -1, 2, NaN]),
  sigmoid: spec(ACTIVATION, [inf, -inf, NaN, 20, -20]),
  relu: spec(GENERAL, [inf, -inf], false),
  gelu: spec(ACTIVATION, [inf, NaN]),
  geluTanh: spec(ACTIVATION, [inf, NaN]),
  silu: spec(ACTIVATION, [inf, NaN]),
  erf: spec([-4, -3, -2, -1, -0.5, -0.1, 0, 0.1, 0.5, 1, 2, 3], [inf, -inf, NaN]),
  // PyTorch's softplus (beta 1) returns x itself above the threshold 20.
  softplus: spec([-30, -8, -1, 0, 1, 8, 15, 19.5, 20, 20.5, 25], [inf, NaN]),
  floor: spec(ROUNDING, [inf, -inf, NaN], false),
  ceil: spec(ROUNDING, [inf, -inf, NaN], false),
  round: spec(ROUNDING, [inf, -inf, NaN, -0.5, 0.5, 2.5, -2.5], false),
  trunc: spec(ROUNDING, [inf, -inf, NaN], false),
  logicalNot: spec(GENERAL, [NaN, inf, -0], false),
  isnan: spec(GENERAL, [NaN, inf, -inf, 0], false),
  isinf: spec(GENERAL, [NaN, inf, -inf, 0], false),
  isfinite: spec(GENERAL, [NaN, inf, -inf, 0], false),
};

const INT_UNARY: readonly UnaryOp[] = ['neg', 'abs', 'sign', 'square', 'logicalNot', 'isnan', 'isinf', 'isfinite'];
const INT_VALUES = [-2147483648, -46341, -7, -1, 0, 1, 5, 46341, 2147483647];
const BOOL_VALUES = [0, 1, 1, 0, 1];

async function checkUnary(ctx: SuiteContext, s: BufferScope, op: UnaryOp, dtype: DType, cases: readonly Case[], transcendental: boolean): Promise<void> {
  const b = s.backend;
  const outDtype: DType = UNARY_BOOL_OUTPUT.has(op) ? 'bool' : dtype;
  for (const c of cases) {
    const x = c.operands[0]!;
    const out = s.empty(outDtype, c.shape);
    b.unary(op, x.view, out);
    const got = await readView(b, out);
    const expected = x.values.map((v) => roundToDType(outDtype, unaryRef(op, v, dtype)));
    assertClose(got, expected, { ...ctx.tol(outDtype, transcendental), shape: c.shape, label: `unary ${op} ${dtype} [${c.label}] (input ${fmt(x.values)})` });
  }
}

// ---- binary -------------------------------------------------------------------------------

interface BinarySpec {
  readonly a: readonly number[];
  readonly b: readonly number[];
  readonly special: readonly (readonly [number, number])[];
  readonly transcendental?: boolean;
}

const A = [-3.75, -2.5, -1, -0.5, 0, 0.25, 1, 1.5, 2.5, 7.25];
const B_NONZERO = [-2.5, -1.5, -1, -0.25, 0.5, 1, 2, 3.5];
const B = [...B_NONZERO, 0];
const CMP_SPECIAL: [number, number][] = [[NaN, NaN], [NaN, 1], [1, NaN], [inf, inf], [-inf, inf], [0, -0], [2, 2]];

const FLOAT_BINARY: Record<BinaryOp, BinarySpec> = {
  add: { a: A, b: B, special: [[inf, 1], [inf, -inf], [NaN, 1], [0.1, 0.2]] },
  sub: { a: A, b: B, special: [[inf, inf], [NaN, 1], [1e8, 1]] },
  mul: { a: A, b: B, special: [[inf, 0], [inf, -2], [NaN, 1], [1e20, 1e20]] },
  div: { a: A, b: B_NONZERO, special: [[1, 0], [-1, 0], [0, 0], [inf, 2], [2, inf], [1, 3]] },
  pow: {
    a: [0.25, 0.5, 1, 1.5, 2, 3.5, 7.25],
    b: [-2, -1.5, -0.5, 0, 0.5, 1, 2, 3],
    special: [[-2, 3], [-2, 2], [-2, 0.5], [0, 0], [0, -1], [0, 2], [-1.5, -1], [2, 10]],
    transcendental: true,
  },
  maximum: { a: A, b: B, special: [[NaN, 1], [1, NaN], [inf, -inf], [NaN, NaN]] },
  minimum: { a: A, b: B, special: [[NaN, 1], [1, NaN], [inf, -inf], [NaN, NaN]] },
  atan2: { a: A, b: B, special: [[0, 0], [0, -1], [1, 0], [-1, 0], [NaN, 1]], transcendental: true },
  remainder: { a: A, b: B_NONZERO, special: [[5, 0], [-0.5, 2], [0.5, -2], [-4, 2], [7, 2], [-7, 2], [7, -2], [-7, -2], [5.5, 1.5]] },
  floorDivide: { a: A, b: B_NONZERO, special: [[1, 0], [-1, 0], [0, 0], [7, 2], [-7, 2], [7, -2], [-7, -2], [5.5, -1.5]] },
  eq: { a: A, b: B, special: CMP_SPECIAL },
  ne: { a: A, b: B, special: CMP_SPECIAL },
  lt: { a: A, b: B, special: CMP_SPECIAL },
  le: { a: A, b: B, special: CMP_SPECIAL },
  gt: { a: A, b: B, special: CMP_SPECIAL },
  ge: { a: A, b: B, special: CMP_SPECIAL },
  logicalAnd: { a: A, b: B, special: [[NaN, 0], [0, NaN], [NaN, NaN], [0, 0], [0, -0]] },
  logicalOr: { a: A, b: B, special: [[NaN, 0], [0, NaN], [NaN, NaN], [0, 0], [0, -0]] },
  logicalXor: { a: A, b: B, special: [[NaN, 0], [0, NaN], [NaN, NaN], [0, 0], [0, -0]] },
};

const IA = [-2147483648, -100, -7, -1, 0, 3, 7, 46341, 2147483647];
const IB_NONZERO = [-7, -2, -1, 1, 2, 3, 65536];
const IB = [...IB_NONZERO, 0];
const INT_DIV_SPECIAL: [number, number][] = [[-7, 2], [7, -2], [-7, -2], [7, 2], [0, 3], [-6, 3], [6, -3], [-1, 5]];

const INT_BINARY: Partial<Record<BinaryOp, BinarySpec>> = {
  add: { a: IA, b: IB, special: [[2147483647, 1], [-2147483648, -1], [2147483647, 2147483647]] },
  sub: { a: IA, b: IB, special: [[-2147483648, 1], [2147483647, -1]] },
  mul: { a: IA, b: IB, special: [[65536, 65536], [46341, 46341], [-2147483648, -1], [123456789, 1000], [-3, 5]] },
  maximum: { a: IA, b: IB, special: [] },
  minimum: { a: IA, b: IB, special: [] },
  remainder: { a: IA, b: IB_NONZERO, special: INT_DIV_SPECIAL },
  // INT_MIN // -1 overflows; PyTorch leaves that undefined, so it is not tested.
  floorDivide: { a: IA.filter((v) => v !== -2147483648), b: IB_NONZERO, special: INT_DIV_SPECIAL },
  eq: { a: IA, b: IB, special: [[5, 5]] },
  ne: { a: IA, b: IB, special: [[5, 5]] },
  lt: { a: IA, b: IB, special: [[5, 5]] },
  le: { a: IA, b: IB, special: [[5, 5]] },
  gt: { a: IA, b: IB, special: [[5, 5]] },
  ge: { a: IA, b: IB, special: [[5, 5]] },
  logicalAnd: { a: IA, b: IB, special: [] },
  logicalOr: { a: IA, b: IB, special: [] },
  logicalXor: { a: IA, b: IB, special: [] },
};

const BOOL_BINARY: readonly BinaryOp[] = ['logicalAnd', 'logicalOr', 'logicalXor', 'eq', 'ne'];

function binaryCases(s: BufferScope, dtype: DType, sp: BinarySpec): Case[] {
  const pairs: [number, number][] = [];
  for (const a of sp.a) for (const b of sp.b) pairs.push([a, b]);
  pairs.push(...sp.special.map(([a, b]) => [a, b] as [number, number]));
  const n = pairs.length;
  return [
    { label: 'contiguous 1-D (all pairs)', shape: [n], operands: [s.input(dtype, pairs.map((p) => p[0]), [n]), s.input(dtype, pairs.map((p) => p[1]), [n])] },
    {
      label: 'a transposed [3, 4], b broadcast [1, 4]',
      shape: [3, 4],
      operands: [s.input(dtype, cycle(sp.a, 12, 1), [3, 4], 'transposed'), s.broadcast(dtype, cycle(sp.b, 4, 2), [1, 4], [3, 4])],
    },
    {
      label: 'a sliced with steps and offset [3, 4], b column-broadcast [3, 1] also strided',
      shape: [3, 4],
      operands: [s.input(dtype, cycle(sp.a, 12, 3), [3, 4], 'strided'), s.broadcast(dtype, cycle(sp.b, 3, 1), [3, 1], [3, 4], 'strided')],
    },
    {
      label: 'outer: a [3, 1] and b [4] broadcast to [3, 4]',
      shape: [3, 4],
      operands: [s.broadcast(dtype, cycle(sp.a, 3, 4), [3, 1], [3, 4]), s.broadcast(dtype, cycle(sp.b, 4, 0), [4], [3, 4])],
    },
    { label: 'rank-0 operands at offset 2', shape: [], operands: [s.scalar(dtype, sp.a[1]!), s.scalar(dtype, sp.b[2]!)] },
    {
      label: 'a rank-0 broadcast to [2, 3], b transposed',
      shape: [2, 3],
      operands: [s.broadcast(dtype, [sp.a[sp.a.length - 1]!], [], [2, 3]), s.input(dtype, cycle(sp.b, 6, 1), [2, 3], 'transposed')],
    },
    {
      label: 'zero-size [0, 4], b broadcast [1, 4]',
      shape: [0, 4],
      operands: [s.input(dtype, [], [0, 4]), s.broadcast(dtype, cycle(sp.b, 4), [1, 4], [0, 4])],
    },
  ];
}

async function checkBinary(ctx: SuiteContext, s: BufferScope, op: BinaryOp, dtype: DType, sp: BinarySpec): Promise<void> {
  const b = s.backend;
  const outDtype: DType = BINARY_BOOL_OUTPUT.has(op) ? 'bool' : dtype;
  for (const c of binaryCases(s, dtype, sp)) {
    const [x, y] = c.operands as [Operand, Operand];
    const out = s.empty(outDtype, c.shape);
    b.binary(op, x.view, y.view, out);
    const got = await readView(b, out);
    const expected = x.values.map((v, i) => roundToDType(outDtype, binaryRef(op, v, y.values[i]!, dtype)));
    assertClose(got, expected, {
      ...ctx.tol(outDtype, sp.transcendental ?? false),
      shape: c.shape,
      label: `binary ${op} ${dtype} [${c.label}] (a ${fmt(x.values)}, b ${fmt(y.values)})`,
    });
  }
}

// ---- where, cast ------------------------------------------------------------------------

const WHERE_VALUES: Record<DType, readonly number[]> = {
  float32: [1.5, -2, NaN, 0, inf, 3.25, -0.5],
  float64: [1.5, -2, NaN, 0, inf, 3.25, -0.5],
  float16: [1.5, -2, NaN, 0, inf, 3.25, -0.5],
  int32: [7, -2147483648, 0, 42, -1, 2147483647],
  bool: [1, 0, 0, 1, 1],
};

function castSources(from: DType, to: DType): number[] {
  if (from === 'bool') return [0, 1, 1, 0];
  let values: number[];
  if (from === 'int32') {
    values = [-2147483648, -65536, -100, -1, 0, 1, 7, 2049, 16777217, 2147483647];
  } else {
    values = [-3.75, -2.5, -1, -0.5, -0.99, -0, 0, 0.3, 0.99, 1, 2.5, 100.75, -100.75, 1e-3, 0.1, 2049, 16777217, 123456.7, -123456.7];
    if (to !== 'int32') values.push(NaN, inf, -inf, 1e-30);
  }
  // Only sources the source dtype holds exactly as a finite in-range value for int targets.
  return values.filter((v) => to !== 'int32' || Number.isFinite(roundToDType(from, v)));
}

// ---- registration -------------------------------------------------------------------------

export function elementwiseSuite(ctx: SuiteContext): void {
  describe('unary', () => {
    for (const op of UNARY_OPS) {
      const sp = UNARY_SPECS[op];
      for (const dtype of FLOAT_DTYPES) {
        ctx.test(`${op} ${dtype}`, [dtype], (s) => checkUnary(ctx, s, op, dtype, unaryCases(s, dtype, sp.domain, sp.special), sp.transcendental));
      }
    }
    for (const op of INT_UNARY) {
      ctx.test(`${op} int32 (wraps like two's complement)`, ['int32'], (s) => checkUnary(ctx, s, op, 'int32', unaryCases(s, 'int32', INT_VALUES, []), false));
    }
    ctx.test('logicalNot bool', ['bool'], (s) => checkUnary(ctx, s, 'logicalNot', 'bool', unaryCases(s, 'bool', BOOL_VALUES, []), false));
  });

  describe('binary', () => {
    for (const op of BINARY_OPS) {
      for (const dtype of FLOAT_DTYPES) {
        ctx.test(`${op} ${dtype}`, [dtype], (s) => checkBinary(ctx, s, op, dtype, FLOAT_BINARY[op]));
      }
      const intSpec = INT_BINARY[op];
      if (intSpec) ctx.test(`${op} int32`, ['int32'], (s) => checkBinary(ctx, s, op, 'int32', intSpec));
      if (BOOL_BINARY.includes(op)) {
        ctx.test(`${op} bool`, ['bool'], (s) => checkBinary(ctx, s, op, 'bool', { a: [0, 1], b: [1, 0], special: [] }));
      }
    }
  });

  describe('where', () => {
    for (const dtype of DTYPES) {
      ctx.test(`where ${dtype}`, [dtype, 'bool'], async (s, b) => {
        const vals = WHERE_VALUES[dtype];
        const condVals = [1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 1];
        const cases: Case[] = [
          { label: 'contiguous', shape: [12], operands: [s.input('bool', condVals, [12]), s.input(dtype, cycle(vals, 12), [12]), s.input(dtype, cycle(vals, 12, 3), [12])] },
          {
            label: 'cond [3, 1] broadcast, a transposed, b rank-0 broadcast',
            shape: [3, 4],
            operands: [s.broadcast('bool', [1, 0, 1], [3, 1], [3, 4]), s.input(dtype, cycle(vals, 12, 1), [3, 4], 'transposed'), s.broadcast(dtype, [vals[0]!], [], [3, 4])],
          },
          {
            label: 'cond sliced with offset, a broadcast [1, 4], b sliced with offset',
            shape: [3, 4],
            operands: [s.input('bool', condVals, [3, 4], 'strided'), s.broadcast(dtype, cycle(vals, 4, 2), [1, 4], [3, 4]), s.input(dtype, cycle(vals, 12, 5), [3, 4], 'strided')],
          },
          { label: 'rank-0', shape: [], operands: [s.scalar('bool', 0), s.scalar(dtype, vals[0]!), s.scalar(dtype, vals[1]!)] },
          { label: 'zero-size [2, 0]', shape: [2, 0], operands: [s.input('bool', [], [2, 0]), s.input(dtype, [], [2, 0]), s.input(dtype, [], [2, 0])] },
        ];
        for (const c of cases) {
          const [cond, x, y] = c.operands as [Operand, Operand, Operand];
          const out = s.empty(dtype, c.shape);
          b.where(cond.view, x.view, y.view, out);
          const expected = cond.values.map((t, i) => (t ? x.values[i]! : y.values[i]!));
          assertClose(await readView(b, out), expected, { rtol: 0, atol: 0, shape: c.shape, label: `where ${dtype} [${c.label}]` });
        }
      });
    }
  });

  describe('cast', () => {
    for (const from of DTYPES) {
      for (const to of DTYPES) {
        ctx.test(`cast ${from} → ${to}`, [from, to], async (s, b) => {
          const src = castSources(from, to);
          const n = src.length;
          const cases: Case[] = [
            { label: 'contiguous', shape: [n], operands: [s.input(from, src, [n])] },
            { label: 'transposed [3, 4]', shape: [3, 4], operands: [s.input(from, cycle(src, 12, 1), [3, 4], 'transposed')] },
            { label: 'sliced with steps and offset [2, 3]', shape: [2, 3], operands: [s.input(from, cycle(src, 6, 2), [2, 3], 'strided')] },
            { label: 'broadcast [1, 4] → [3, 4]', shape: [3, 4], operands: [s.broadcast(from, cycle(src, 4, 3), [1, 4], [3, 4])] },
            { label: 'rank-0', shape: [], operands: [s.scalar(from, src[1]!)] },
            { label: 'zero-size [0]', shape: [0], operands: [s.input(from, [], [0])] },
          ];
          for (const c of cases) {
            const x = c.operands[0]!;
            const out: TensorView = s.empty(to, c.shape);
            b.cast(x.view, out);
            const expected = x.values.map((v) => castRef(v, to));
            const tol = to === 'float16' && from !== 'float16' && from !== 'bool' ? ctx.tol('float16') : { rtol: 0, atol: 0 };
            assertClose(await readView(b, out), expected, { ...tol, shape: c.shape, label: `cast ${from} → ${to} [${c.label}] (input ${fmt(x.values)})` });
          }
        });
      }
    }
  });
}

/** Short rendering of input values for failure messages. */
export function fmt(values: readonly number[]): string {
  const head = values.slice(0, 24).map((v) => (Object.is(v, -0) ? '-0' : String(v)));
  return `[${head.join(', ')}${values.length > 24 ? `, … (${values.length})` : ''}]`;
}
