/**
 * Scalar semantics where PyTorch (C/C++) and JavaScript's Math differ. These are small,
 * monomorphic and get inlined into the generated loops.
 */

/** Round half to even (torch.round), e.g. 0.5 → 0, 1.5 → 2, −2.5 → −2. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // ties toward +∞
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** C `pow`: unlike Math.pow, pow(1, y) = 1 and pow(−1, ±∞) = 1 even for NaN y. */
export function powFloat(a: number, b: number): number {
  if (a === 1) return 1;
  if (a === -1 && (b === Infinity || b === -Infinity)) return 1;
  return Math.pow(a, b);
}

/** Integer power with int32 wrap-around (ATen's powi): negative exponents give 0 unless |a| = 1. */
export function powInt(a: number, b: number): number {
  if (b < 0) {
    if (a === 1) return 1;
    if (a === -1) return (-b) % 2 !== 0 ? -1 : 1;
    return 0;
  }
  let result = 1;
  let base = a | 0;
  let e = b;
  while (e > 0) {
    if (e & 1) result = Math.imul(result, base);
    base = Math.imul(base, base);
    e >>>= 1;
  }
  return result;
}

/** Python/PyTorch remainder: the result takes the sign of the divisor. */
export function remainderFloat(a: number, b: number): number {
  const m = a % b;
  return m !== 0 && m < 0 !== b < 0 ? m + b : m;
}

export function remainderInt(a: number, b: number): number {
  if (b === 0) throw new RangeError('remainder: integer division by zero');
  const m = a % b;
  return m !== 0 && m < 0 !== b < 0 ? m + b : m;
}

/** torch.div(a, b, rounding_mode='floor') for floats, following ATen's div_floor. */
export function floorDivideFloat(a: number, b: number): number {
  if (b === 0) return a / b;
  const mod = a % b;
  let div = (a - mod) / b;
  if (mod !== 0 && b < 0 !== mod < 0) div -= 1;
  if (div === 0) {
    const q = a / b; // copysign(0, a / b)
    return q < 0 || 1 / q < 0 ? -0 : 0;
  }
  let floordiv = Math.floor(div);
  if (div - floordiv > 0.5) floordiv += 1;
  return floordiv;
}

/** Integer floor division (exact in doubles for int32 operands). */
export function floorDivideInt(a: number, b: number): number {
  if (b === 0) throw new RangeError('floorDivide: integer division by zero');
  return Math.floor(a / b);
}
