import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const gpu = create([]); const adapter = await gpu.requestAdapter();
const device = await adapter.requestDevice();
async function run(expr, xs, ys) {
  const code = `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> r: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.x; if (i >= arrayLength(&r)) { return; }
  let a = x[i]; let b = y[i];
  r[i] = ${expr};
}`;
  const n = xs.length;
  const mk = (d, u) => { const b = device.createBuffer({ size: n*4, usage: u }); if (d) device.queue.writeBuffer(b, 0, new Float32Array(d)); return b; };
  const xb = mk(xs, GPUBufferUsage.STORAGE|GPUBufferUsage.COPY_DST), yb = mk(ys, GPUBufferUsage.STORAGE|GPUBufferUsage.COPY_DST);
  const rb = mk(null, GPUBufferUsage.STORAGE|GPUBufferUsage.COPY_SRC), st = mk(null, GPUBufferUsage.MAP_READ|GPUBufferUsage.COPY_DST);
  const p = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
  const enc = device.createCommandEncoder(); const pass = enc.beginComputePass();
  pass.setPipeline(p); pass.setBindGroup(0, device.createBindGroup({ layout: p.getBindGroupLayout(0), entries: [xb,yb,rb].map((b,i)=>({binding:i,resource:{buffer:b}}))}));
  pass.dispatchWorkgroups(Math.ceil(n/64)); pass.end(); enc.copyBufferToBuffer(rb,0,st,0,n*4); device.queue.submit([enc.finish()]);
  await st.mapAsync(GPUMapMode.READ); return Array.from(new Float32Array(st.getMappedRange().slice(0)));
}
function maxrel(name, expr, f, xs, ys = xs) {
  return run(expr, xs, ys).then(got => { let worst = 0, at = 0; got.forEach((g, i) => { const e = f(Math.fround(xs[i]), Math.fround(ys[i])); const r = Math.abs(g - e) / Math.max(Math.abs(e), 1e-30); if (r > worst) { worst = r; at = i; } }); console.log(name.padEnd(8), worst.toExponential(2), 'at', xs[at], ys[at], got[at], f(Math.fround(xs[at]), Math.fround(ys[at]))); });
}
const lin = (a, b, n) => Array.from({ length: n }, (_, i) => a + (b - a) * i / (n - 1));
await maxrel('exp', 'exp(a)', Math.exp, lin(-80, 80, 5001));
await maxrel('log', 'log(a)', Math.log, lin(1e-6, 1000, 5001));
await maxrel('log2', 'log2(a)', Math.log2, lin(1e-6, 1000, 5001));
await maxrel('sin', 'sin(a)', Math.sin, lin(-3.2, 3.2, 5001).filter(v=>Math.abs(v)>0.01));
await maxrel('cos', 'cos(a)', Math.cos, lin(-3.2, 3.2, 5001).filter(v=>Math.abs(Math.cos(v))>0.01));
await maxrel('cosabs', 'cos(a)-cos(a)+cos(a)', (a)=>Math.cos(a), lin(0, 6.3, 5001));
await maxrel('tan', 'tan(a)', Math.tan, lin(-1.3, 1.3, 5001));
await maxrel('asin', 'asin(a)', Math.asin, lin(-1, 1, 5001));
await maxrel('acos', 'acos(a)', Math.acos, lin(-1, 1, 5001));
await maxrel('atan', 'atan(a)', Math.atan, lin(-50, 50, 5001));
await maxrel('atan2', 'atan2(a,b)', Math.atan2, lin(-5, 5, 5001), lin(5, -4, 5001));
await maxrel('div', 'a/b', (a,b)=>Math.fround(a/b), lin(-5, 5, 5001), lin(5, -4.3, 5001));
await maxrel('sqrt', 'sqrt(a)', Math.sqrt, lin(0, 5, 5001));
await maxrel('isqrt', 'inverseSqrt(a)', (a)=>1/Math.sqrt(a), lin(0.001, 5, 5001));
await maxrel('pow', 'pow(a,b)', Math.pow, lin(0.1, 8, 5001), lin(-3, 3, 5001));
await maxrel('round', 'round(a)', (a)=>{const r=Math.round(a); return Math.abs(a-Math.trunc(a))===0.5&&r%2?r-1:r;}, lin(-5, 5, 41));
await maxrel('tanh', 'tanh(a)', Math.tanh, lin(-20, 20, 5001));
await maxrel('sinh', 'sinh(a)', Math.sinh, lin(-0.01, 0.01, 5001).filter(v=>v!==0));
console.log(await run('a/b', [1,-1,0,Infinity, 2, 1e-40], [0,0,0,2,Infinity, 1]));
console.log(await run('a*b', [Infinity,Infinity,0], [0,-2,Infinity]));
console.log(await run('a-b', [Infinity,1e8], [Infinity,1]));
console.log(await run('select(0.0, 1.0, a < b)', [NaN,1, NaN], [1,NaN, NaN]));
console.log(await run('max(a, b)', [NaN,1], [1,NaN]));
console.log(await run('exp(a)', [Infinity,-Infinity, NaN], [1,NaN, NaN]));
console.log(await run('log(a)', [0,-1, Infinity], [1,NaN, NaN]));
console.log(await run('sqrt(a)', [0,-1, Infinity], [1,NaN, NaN]));
console.log(await run('floor(a)', [1.5,-1.5, Infinity], [1,NaN, NaN]));
console.log(await run('a % b', [5.5,-7, 5], [1.5,2, 0]));
device.destroy();
