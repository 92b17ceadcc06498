/**
 * Helpers shared by the PyTorch-fixture parity tests of every package: loading a fixture's
 * tensors onto a device and comparing Torchlet's results with PyTorch's within a case's
 * rtol/atol.
 */
import type { DeviceName } from '@torchlet/backend';
import * as torch from '@torchlet/tensor';
import type { DType, Tensor } from '@torchlet/tensor';

/** A fixture tensor as @torchlet/fixtures reads it (structurally; no dependency on it). */
export interface FixtureTensorLike {
  /** The file dtype (I64 loads as int32). */
  readonly dtype: 'F32' | 'F64' | 'I32' | 'I64' | 'BOOL';
  /** The shape as stored. */
  readonly shape: readonly number[];
  /** The elements, row-major. */
  readonly data: Float32Array | Float64Array | Int32Array | Uint8Array;
}

/** Fixture dtype → Torchlet dtype (PyTorch's int64 is int32 here). */
export const FIXTURE_DTYPE: Record<FixtureTensorLike['dtype'], DType> = { F32: 'float32', F64: 'float64', I32: 'int32', I64: 'int32', BOOL: 'bool' };

/** The fixture as a tensor on `device` (0-d fixtures have shape []). */
export function loadFixtureTensor(t: FixtureTensorLike, device: DeviceName): Tensor {
  return torch.tensor(t.data, { shape: [...t.shape], dtype: FIXTURE_DTYPE[t.dtype], device });
}

/** How `compareFixture` compares: |actual − expected| ≤ atol + rtol · |expected|. */
export interface CompareOptions {
  /** Relative tolerance. */
  readonly rtol: number;
  /** Absolute tolerance. */
  readonly atol: number;
  /** The device the result must be on. */
  readonly device: DeviceName;
}

/** Mismatch descriptions (empty when `actual` matches `expected` in device, dtype, shape and, within tolerance, values). */
export async function compareFixture(name: string, actual: Tensor | null | undefined, expected: FixtureTensorLike, opts: CompareOptions): Promise<string[]> {
  const { rtol, atol, device } = opts;
  if (!actual) return [`${name}: missing (no gradient or output)`];
  if (actual.device !== device) return [`${name}: on device ${actual.device}, expected ${device}`];
  if (actual.shape.join(',') !== expected.shape.join(',')) return [`${name}: shape [${actual.shape.join(', ')}], expected [${expected.shape.join(', ')}]`];
  const wantDType = FIXTURE_DTYPE[expected.dtype];
  if (actual.dtype !== wantDType) return [`${name}: dtype ${actual.dtype}, expected ${wantDType}`];
  const got = await actual.data();
  const bad: string[] = [];
  for (let i = 0; i < got.length; i++) {
    const a = got[i]!;
    const e = expected.data[i]!;
    const ok = Number.isNaN(e) ? Number.isNaN(a) : a === e || Math.abs(a - e) <= atol + rtol * Math.abs(e);
    if (!ok) bad.push(`${name}[${i}]: ${a} vs PyTorch ${e}`);
  }
  return bad.length > 5 ? [...bad.slice(0, 5), `… ${bad.length - 5} more of ${got.length}`] : bad;
}

/**
 * A case's inputs `in.<name>` as tensors on `device`, keyed by `<name>`. With `grad`, an input
 * that has a reference gradient `grad.in.<name>` requires grad.
 */
export function loadFixtureInputs(t: Readonly<Record<string, FixtureTensorLike>>, device: DeviceName, opts: { readonly grad?: boolean } = {}): Record<string, Tensor> {
  const inputs: Record<string, Tensor> = {};
  for (const [key, f] of Object.entries(t)) {
    if (!key.startsWith('in.')) continue;
    const x = loadFixtureTensor(f, device);
    if (opts.grad === true && `grad.${key}` in t) x.requiresGrad = true;
    inputs[key.slice(3)] = x;
  }
  return inputs;
}

/** A fixture case as far as `tableCoverage` reads it. */
export interface FixtureCaseLike {
  /** The case's name in the fixture index. */
  readonly name: string;
  /** The case's configuration; `call` is the PyTorch expression it recorded. */
  readonly config: {
    /** The recorded PyTorch expression, for `op` cases. */
    readonly call?: unknown;
  };
}

/**
 * How a parity table covers the fixture cases: `missing` lists the cases without an entry,
 * `changed` those whose recorded PyTorch call differs from the entry's (the fixture was
 * regenerated with another call: update the entry). Both as `name: call` lines.
 */
export function tableCoverage(
  cases: readonly FixtureCaseLike[],
  table: Readonly<Record<string, { readonly call: string }>>,
): {
  /** Cases without an entry. */
  missing: string[];
  /** Cases whose recorded call differs from the entry's. */
  changed: string[];
} {
  const line = (c: FixtureCaseLike): string => `${c.name}: ${String(c.config.call)}`;
  return {
    missing: cases.filter((c) => !(c.name in table)).map(line),
    changed: cases.filter((c) => table[c.name] !== undefined && table[c.name]!.call !== c.config.call).map(line),
  };
}
