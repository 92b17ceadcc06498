/**
 * WGSL helpers shared by every kernel: NaN/∞ handling by bit patterns and float32 math
 * that does not trust the driver's built-ins.
 *
 * Why: WGSL lets implementations assume there are no NaNs or infinities (Tint/SwiftShader
 * fold `x != x` to false, `max(NaN, 1)` is 1, `log(0)` is -88), constant expressions may
 * not produce ∞/NaN (a shader-creation error), and SwiftShader's `sin`/`cos` are off by
 * up to 2e-4. So NaN tests look at bits, NaN/∞ come from `var<private>` bit patterns
 * (runtime values the compiler cannot fold), and the trigonometric, hyperbolic and
 * `*1p`/`*m1` functions are written here with explicit range reduction and polynomials.
 */
export const MATH_WGSL = /* wgsl */ `
var<private> K_NAN_BITS: u32 = 0x7fc00000u;
var<private> K_INF_BITS: u32 = 0x7f800000u;
fn f_nan() -> f32 { return bitcast<f32>(K_NAN_BITS); }
fn f_inf() -> f32 { return bitcast<f32>(K_INF_BITS); }
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn is_inf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn is_finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }
fn truthy(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) != 0u; }
fn sign_bit(x: f32) -> bool { return (bitcast<u32>(x) & 0x80000000u) != 0u; }
fn f_abs(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) & 0x7fffffffu); }
fn copy_sign(a: f32, b: f32) -> f32 { return bitcast<f32>((bitcast<u32>(a) & 0x7fffffffu) | (bitcast<u32>(b) & 0x80000000u)); }

// log for finite x > 0 (callers handle the rest): x = m · 2^e with m in [√½, √2),
// log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172.
fn log_pos(x: f32) -> f32 {
  var bits = bitcast<u32>(x);
  var e = i32((bits >> 23u) & 0xffu) - 127;
  if ((bits & 0x7f800000u) == 0u) { // subnormal: scale by 2^23
    let y = x * 8388608.0;
    bits = bitcast<u32>(y);
    e = i32((bits >> 23u) & 0xffu) - 127 - 23;
  }
  var m = bitcast<f32>((bits & 0x007fffffu) | 0x3f800000u);
  if (m > 1.41421356) { m = m * 0.5; e = e + 1; }
  let s = (m - 1.0) / (m + 1.0);
  let z = s * s;
  let p = s * (2.0 + z * (0.6666666667 + z * (0.4 + z * (0.2857142857 + z * (0.2222222222 + z * 0.1818181818)))));
  let fe = f32(e);
  return fe * 0.693145752 + (fe * 1.42860677e-6 + p);
}

fn t_log(x: f32) -> f32 {
  if (is_nan(x) || x < 0.0) { return f_nan(); }
  if (x == 0.0) { return -f_inf(); }
  if (is_inf(x)) { return x; }
  return log_pos(x);
}

fn t_log1p(x: f32) -> f32 {
  if (is_nan(x) || x < -1.0) { return f_nan(); }
  if (x == -1.0) { return -f_inf(); }
  if (is_inf(x)) { return x; }
  if (f_abs(x) < 0.5) {
    let s = x / (2.0 + x);
    let z = s * s;
    return s * (2.0 + z * (0.6666666667 + z * (0.4 + z * (0.2857142857 + z * (0.2222222222 + z * (0.1818181818 + z * (0.1538461538 + z * 0.1333333333)))))));
  }
  return log_pos(1.0 + x);
}

fn t_exp(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x > 88.72284) { return f_inf(); }
  if (x < -103.97) { return 0.0; }
  return exp(x);
}

fn t_expm1(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (f_abs(x) < 0.5) {
    return x * (1.0 + x * (0.5 + x * (0.1666666667 + x * (0.04166666667 + x * (0.008333333333 + x * (0.001388888889 + x * (0.0001984126984 + x * (0.0000248015873 + x * 0.000002755731922))))))));
  }
  if (x < -30.0) { return -1.0; }
  return t_exp(x) - 1.0;
}

// sin and cos of r in [-π/4, π/4] (Taylor to r^11 / r^12: error < 2e-9).
fn sin_kernel(r: f32) -> f32 {
  let z = r * r;
  return r + r * z * (-0.1666666667 + z * (0.008333333333 + z * (-0.0001984126984 + z * (0.000002755731922 + z * -0.00000002505210839))));
}
fn cos_kernel(r: f32) -> f32 {
  let z = r * r;
  return 1.0 + z * (-0.5 + z * (0.04166666667 + z * (-0.001388888889 + z * (0.0000248015873 + z * (-0.0000002755731922 + z * 0.00000000208767570)))));
}

// (sin x, cos x) with Cody–Waite reduction by π/2 (accurate for |x| up to ~1e4).
fn sincos(x: f32) -> vec2<f32> {
  if (!is_finite(x)) { return vec2<f32>(f_nan(), f_nan()); }
  let k = round(x * 0.636619772);
  let r = ((x - k * 1.5703125) - k * 4.837512969970703125e-4) - k * 7.54978995489188216e-8;
  let s = sin_kernel(r);
  let c = cos_kernel(r);
  let q = i32(k) & 3;
  if (q == 0) { return vec2<f32>(s, c); }
  if (q == 1) { return vec2<f32>(c, -s); }
  if (q == 2) { return vec2<f32>(-s, -c); }
  return vec2<f32>(-c, s);
}

// cos(2π u) for u in [0, 1) given exactly (u · 4 and its rounding are exact in f32).
fn cos_2pi(u: f32) -> f32 {
  let k = round(u * 4.0);
  let r = (u - k * 0.25) * 6.283185307;
  let q = i32(k) & 3;
  if (q == 0) { return cos_kernel(r); }
  if (q == 1) { return -sin_kernel(r); }
  if (q == 2) { return -cos_kernel(r); }
  return sin_kernel(r);
}

fn t_asin(x: f32) -> f32 {
  if (is_nan(x) || f_abs(x) > 1.0) { return f_nan(); }
  return asin(x);
}
fn t_acos(x: f32) -> f32 {
  if (is_nan(x) || f_abs(x) > 1.0) { return f_nan(); }
  if (x >= 0.5) { return 2.0 * asin(sqrt((1.0 - x) * 0.5)); }
  if (x <= -0.5) { return 3.141592654 - 2.0 * asin(sqrt((1.0 + x) * 0.5)); }
  return 1.570796327 - asin(x);
}
fn t_atan(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (is_inf(x)) { return copy_sign(1.570796327, x); }
  return atan(x);
}
fn t_atan2(y: f32, x: f32) -> f32 {
  if (is_nan(y) || is_nan(x)) { return f_nan(); }
  if (y == 0.0) {
    if (sign_bit(x)) { return copy_sign(3.141592654, y); }
    return y;
  }
  if (x == 0.0) { return copy_sign(1.570796327, y); }
  if (is_inf(x) || is_inf(y)) {
    if (is_inf(x) && is_inf(y)) {
      if (x > 0.0) { return copy_sign(0.785398163, y); }
      return copy_sign(2.356194490, y);
    }
    if (is_inf(y)) { return copy_sign(1.570796327, y); }
    if (x > 0.0) { return copy_sign(0.0, y); }
    return copy_sign(3.141592654, y);
  }
  return atan2(y, x);
}

fn t_sinh(x: f32) -> f32 {
  if (is_nan(x) || is_inf(x)) { return x; }
  let a = f_abs(x);
  var r: f32;
  if (a < 1.0) {
    let e = t_expm1(a);
    r = 0.5 * (e + e / (e + 1.0));
  } else {
    let h = t_exp(a - 0.693147181);
    r = h - 0.25 / h;
  }
  return copy_sign(r, x);
}
fn t_cosh(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = f_abs(x);
  if (is_inf(a)) { return a; }
  let h = t_exp(a - 0.693147181);
  return h + 0.25 / h;
}
fn t_tanh(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = f_abs(x);
  if (a > 9.1) { return copy_sign(1.0, x); }
  let e = t_expm1(2.0 * a);
  return copy_sign(e / (e + 2.0), x);
}
fn t_asinh(x: f32) -> f32 {
  if (is_nan(x) || is_inf(x)) { return x; }
  let a = f_abs(x);
  var r: f32;
  if (a > 1e10) {
    r = log_pos(a) + 0.693147181;
  } else {
    let z = a * a;
    r = t_log1p(a + z / (1.0 + sqrt(1.0 + z)));
  }
  return copy_sign(r, x);
}
fn t_acosh(x: f32) -> f32 {
  if (is_nan(x) || x < 1.0) { return f_nan(); }
  if (is_inf(x)) { return x; }
  if (x > 1e10) { return log_pos(x) + 0.693147181; }
  let t = x - 1.0;
  return t_log1p(t + sqrt(t * (t + 2.0)));
}
fn t_atanh(x: f32) -> f32 {
  if (is_nan(x) || f_abs(x) > 1.0) { return f_nan(); }
  if (f_abs(x) == 1.0) { return copy_sign(f_inf(), x); }
  return 0.5 * t_log1p(2.0 * x / (1.0 - x));
}

// erfc for finite x >= 0 (Numerical Recipes' Chebyshev fit, fractional error < 1.2e-7).
fn erfc_pos(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  let p = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  if (p < -103.0) { return 0.0; }
  return t * exp(p);
}
fn t_erfc(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (is_inf(x)) { return select(2.0, 0.0, x > 0.0); }
  if (x >= 0.0) { return erfc_pos(x); }
  return 2.0 - erfc_pos(-x);
}
fn t_erf(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (is_inf(x)) { return copy_sign(1.0, x); }
  let a = f_abs(x);
  var r: f32;
  if (a < 0.5) {
    // Maclaurin series: 2/√π (x - x³/3 + x⁵/10 - x⁷/42 + x⁹/216 - x¹¹/1320)
    let z = a * a;
    r = 1.128379167 * a * (1.0 + z * (-0.3333333333 + z * (0.1 + z * (-0.02380952381 + z * (0.00462962963 + z * -0.0007575757576)))));
  } else {
    r = 1.0 - erfc_pos(a);
  }
  return copy_sign(r, x);
}

fn t_pow(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (a == 1.0) { return 1.0; }
  if (is_nan(a) || is_nan(b)) { return f_nan(); }
  let bInt = floor(b) == b;
  let bOdd = bInt && f_abs(b) < 16777216.0 && (i32(f_abs(b)) & 1) == 1;
  if (is_inf(b)) {
    let m = f_abs(a);
    if (m == 1.0) { return 1.0; }
    if ((m > 1.0) == (b > 0.0)) { return f_inf(); }
    return 0.0;
  }
  if (a == 0.0) {
    if (b > 0.0) { return select(0.0, a, bOdd); }
    return select(f_inf(), copy_sign(f_inf(), a), bOdd);
  }
  if (is_inf(a)) {
    if (a > 0.0) { return select(0.0, f_inf(), b > 0.0); }
    let mag = select(0.0, f_inf(), b > 0.0);
    return select(mag, -mag, bOdd);
  }
  if (a < 0.0 && !bInt) { return f_nan(); }
  let m = f_abs(a);
  var r: f32;
  if (bInt && f_abs(b) <= 64.0) {
    // exact-ish repeated squaring for small integer exponents
    var e = u32(f_abs(b));
    var base = m;
    r = 1.0;
    loop {
      if ((e & 1u) == 1u) { r = r * base; }
      e = e >> 1u;
      if (e == 0u) { break; }
      base = base * base;
    }
    if (b < 0.0) { r = 1.0 / r; }
  } else {
    let l = b * log2(m);
    if (l > 128.0) { r = f_inf(); } else if (l < -150.0) { r = 0.0; } else { r = exp2(l); }
  }
  if (a < 0.0 && bOdd) { return -r; }
  return r;
}

// C fmod: a - trunc(a / b) · b with the sign of a.
fn t_fmod(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b) || is_inf(a) || b == 0.0) { return f_nan(); }
  if (is_inf(b)) { return a; }
  let q = trunc(a / b);
  var r = a - q * b;
  // correct a quotient that rounded across an integer
  if (r != 0.0 && sign_bit(r) != sign_bit(a)) { r = r + b * select(1.0, -1.0, sign_bit(a) != sign_bit(b)); }
  if (f_abs(r) >= f_abs(b)) { r = r - b * select(-1.0, 1.0, sign_bit(a) == sign_bit(b)); }
  if (r == 0.0) { return copy_sign(0.0, a); }
  return r;
}
`;
