/** Small WGSL code generators shared by the kernel families. */
import type { DType } from '@torchlet/backend';

/** Workgroup size of the one-invocation-per-element kernels. */
export const WG = 64;

/** The WGSL element type a dtype is stored as: bool is one u32 (0 or 1) per element. */
export function wgslType(dtype: DType): 'f32' | 'i32' | 'u32' {
  switch (dtype) {
    case 'float32':
      return 'f32';
    case 'int32':
      return 'i32';
    case 'bool':
      return 'u32';
    default:
      throw new TypeError(`webgpu: dtype '${dtype}' is not supported (float32, int32 and bool are)`);
  }
}

/** The uniform meta declaration (`words` i32 values, read with `M(i)`). */
export function metaWGSL(words: number): string {
  const nv = Math.max(1, Math.ceil(words / 4));
  return /* wgsl */ `
struct Meta { v: array<vec4<i32>, ${nv}> }
@group(0) @binding(0) var<uniform> params: Meta;
fn M(i: u32) -> i32 { return params.v[i >> 2u][i & 3u]; }
fn MF(i: u32) -> f32 { return bitcast<f32>(params.v[i >> 2u][i & 3u]); }
`;
}

/** A storage binding declaration. */
export function storageWGSL(binding: number, name: string, dtype: DType, access: 'read' | 'read_write'): string {
  return `@group(0) @binding(${binding}) var<storage, ${access}> ${name}: array<${wgslType(dtype)}>;\n`;
}

/** Entry-point header whose linearised workgroup id is `wid` and flat invocation id `gid`. */
export function entryWGSL(workgroupSize: number): string {
  return /* wgsl */ `
@compute @workgroup_size(${workgroupSize})
fn main(@builtin(workgroup_id) wg3: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let wid = wg3.x + nwg.x * (wg3.y + nwg.y * wg3.z);
  let gid = wid * ${workgroupSize}u + lid;
`;
}

/**
 * Statements that unravel `flat` (an i32 expression) over a shape of `rank` dims read from
 * meta words `shapeAt..shapeAt+rank` and accumulate, for each operand k, the position
 * `p{k} = M(offAt[k]) + Σ c_d · M(offAt[k] + 1 + d)`.
 */
export function unravelWGSL(flat: string, rank: number, shapeAt: number, offAt: readonly number[], prefix = 'p'): string {
  const lines: string[] = [];
  offAt.forEach((o, k) => lines.push(`var ${prefix}${k} = M(${o}u);`));
  if (rank > 0) lines.push(`var rem_${prefix} = ${flat};`);
  for (let d = rank - 1; d >= 0; d--) {
    if (d > 0) {
      lines.push(`{ let n = M(${shapeAt + d}u); let c = rem_${prefix} % n; rem_${prefix} = rem_${prefix} / n;`);
    } else {
      lines.push(`{ let c = rem_${prefix};`);
    }
    offAt.forEach((o, k) => lines.push(`  ${prefix}${k} = ${prefix}${k} + c * M(${o + 1 + d}u);`));
    lines.push('}');
  }
  return lines.join('\n');
}

/** The f32 bits of `x` as an i32 meta word. */
const f32s = new Float32Array(1);
const i32s = new Int32Array(f32s.buffer);
export function f32Word(x: number): number {
  f32s[0] = x;
  return i32s[0]!;
}
