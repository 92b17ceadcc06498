/**
 * Wasm SIMD versions of the forward gate kernels `gruCell` and `lstmCell` (the step's
 * transcendentals dominate a recurrent layer's elementwise time). A small module of its own,
 * generated with the backend's encoder and vector math and instantiated on the shared heap
 * memory; it runs on the calling thread. Applies to float32 views in the heap whose rows are
 * contiguous and whose hidden size is a multiple of 4; `false` means "use the TypeScript kernel".
 */
import type { TensorView } from '@torchlet/backend';
import { CpuBuffer } from '../buffer.js';
import { I32, ModuleBuilder, V128, type Code, type FunctionBuilder, type Local } from '../wasm/encoder.js';
import { wasmRuntime, type WasmRuntime } from '../wasm/runtime.js';
import { VMath } from '../wasm/vmath.js';

type Kernel = (...args: number[]) => void;

interface Kernels {
  rt: WasmRuntime;
  gru: Map<string, Kernel>;
  lstm: Map<string, Kernel>;
}

let kernels: Kernels | null | undefined;

function forRange(c: Code, l: Local, to: Local, body: () => void): void {
  c.i32(0).set(l);
  c.while(
    () => c.get(l).get(to).op('i32.lt_s'),
    () => {
      body();
      c.inc(l, 1);
    },
  );
}

/** Loads the v128 at `ptr + off` (off a local or null). */
function load(c: Code, ptr: Local, off: Local | null): Code {
  c.get(ptr);
  if (off) c.get(off).op('i32.add');
  return c.mem('v128.load');
}

/** Stores local `v` at `ptr + off`. */
function store(c: Code, ptr: Local, off: Local | null, v: Local): void {
  c.get(ptr);
  if (off) c.get(off).op('i32.add');
  c.get(v).mem('v128.store');
}

/**
 * gru_<b><w>(x, gh, b, h, out, ws, R, H, xrs, ghrs, hrs, ors, wsrs): the GRU step over R rows of
 * H (multiple of 4) columns; byte addresses and byte row strides.
 */
function gruKernel(m: ModuleBuilder, bias: boolean, withWs: boolean): void {
  const f = m.func(new Array<typeof I32>(13).fill(I32), [], `gru_${+bias}${+withWs}`);
  const [x, gh, b, h, out, ws, R, H, xrs, ghrs, hrs, ors, wsrs] = f.params as Local[] as [Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local];
  const c = f.code;
  const vm = new VMath(f);
  const loc = (): Local => f.local(I32);
  const [r, j, g1, g2, g3, px, pg, pb, ph, po, pw, n4] = [loc(), loc(), loc(), loc(), loc(), loc(), loc(), loc(), loc(), loc(), loc(), loc()] as Local[] as [Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local];
  const v = (): Local => f.local(V128);
  const [ar, az, ghn, rg, zg, an, nn, hp, t] = [v(), v(), v(), v(), v(), v(), v(), v(), v()] as [Local, Local, Local, Local, Local, Local, Local, Local, Local];
  c.get(H).i32(2).op('i32.shl').set(g1);
  c.get(g1).get(g1).op('i32.add').set(g2);
  c.get(g2).get(g1).op('i32.add').set(g3);
  c.get(H).i32(2).op('i32.shr_s').set(n4);
  forRange(c, r, R, () => {
    c.get(x).get(r).get(xrs).op('i32.mul', 'i32.add').set(px);
    c.get(gh).get(r).get(ghrs).op('i32.mul', 'i32.add').set(pg);
    c.get(h).get(r).get(hrs).op('i32.mul', 'i32.add').set(ph);
    c.get(out).get(r).get(ors).op('i32.mul', 'i32.add').set(po);
    c.get(ws).get(r).get(wsrs).op('i32.mul', 'i32.add').set(pw);
    c.get(b).set(pb);
    forRange(c, j, n4, () => {
      load(c, px, null);
      load(c, pg, null).op('f32x4.add');
      if (bias) load(c, pb, null).op('f32x4.add');
      c.set(ar);
      load(c, px, g1);
      load(c, pg, g1).op('f32x4.add');
      if (bias) load(c, pb, g1).op('f32x4.add');
      c.set(az);
      load(c, pg, g2);
      if (bias) load(c, pb, g2).op('f32x4.add');
      c.set(ghn);
      vm.sigmoid(ar, rg);
      vm.sigmoid(az, zg);
      load(c, px, g2).get(rg).get(ghn).op('f32x4.mul', 'f32x4.add').set(an);
      vm.tanh(an, nn);
      load(c, ph, null).set(hp);
      // h' = n + z (h − n)
      c.get(nn).get(zg).get(hp).get(nn).op('f32x4.sub', 'f32x4.mul', 'f32x4.add').set(t);
      store(c, po, null, t);
      if (withWs) {
        store(c, pw, null, rg);
        store(c, pw, g1, zg);
        store(c, pw, g2, nn);
        store(c, pw, g3, ghn);
      }
      for (const p of [px, pg, pb, ph, po, pw]) c.inc(p, 16);
    });
  });
}

/**
 * lstm_<b><w>(x, gh, b, c, cOut, hOut, ws, R, H, xrs, ghrs, crs, cors, hors, wsrs).
 */
function lstmKernel(m: ModuleBuilder, bias: boolean, withWs: boolean): void {
  const f: FunctionBuilder = m.func(new Array<typeof I32>(15).fill(I32), [], `lstm_${+bias}${+withWs}`);
  const [x, gh, b, cc, cOut, hOut, ws, R, H, xrs, ghrs, crs, cors, hors, wsrs] = f.params as Local[] as [
    Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local,
  ];
  const c = f.code;
  const vm = new VMath(f);
  const loc = (): Local => f.local(I32);
  const [r, j, g1, g2, g3, g4, g5, px, pg, pb, pc, pco, pho, pw, n4] = Array.from({ length: 15 }, loc) as [
    Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local,
  ];
  const v = (): Local => f.local(V128);
  const [a, ig, fg, gg, og, cp, cn, tc, t] = Array.from({ length: 9 }, v) as [Local, Local, Local, Local, Local, Local, Local, Local, Local];
  c.get(H).i32(2).op('i32.shl').set(g1);
  c.get(g1).get(g1).op('i32.add').set(g2);
  c.get(g2).get(g1).op('i32.add').set(g3);
  c.get(g3).get(g1).op('i32.add').set(g4);
  c.get(g4).get(g1).op('i32.add').set(g5);
  c.get(H).i32(2).op('i32.shr_s').set(n4);
  const gate = (off: Local | null): void => {
    load(c, px, off);
    load(c, pg, off).op('f32x4.add');
    if (bias) load(c, pb, off).op('f32x4.add');
    c.set(a);
  };
  forRange(c, r, R, () => {
    c.get(x).get(r).get(xrs).op('i32.mul', 'i32.add').set(px);
    c.get(gh).get(r).get(ghrs).op('i32.mul', 'i32.add').set(pg);
    c.get(cc).get(r).get(crs).op('i32.mul', 'i32.add').set(pc);
    c.get(cOut).get(r).get(cors).op('i32.mul', 'i32.add').set(pco);
    c.get(hOut).get(r).get(hors).op('i32.mul', 'i32.add').set(pho);
    c.get(ws).get(r).get(wsrs).op('i32.mul', 'i32.add').set(pw);
    c.get(b).set(pb);
    forRange(c, j, n4, () => {
      gate(null);
      vm.sigmoid(a, ig);
      gate(g1);
      vm.sigmoid(a, fg);
      gate(g2);
      vm.tanh(a, gg);
      gate(g3);
      vm.sigmoid(a, og);
      load(c, pc, null).set(cp);
      c.get(fg).get(cp).op('f32x4.mul').get(ig).get(gg).op('f32x4.mul', 'f32x4.add').set(cn);
      vm.tanh(cn, tc);
      store(c, pco, null, cn);
      c.get(og).get(tc).op('f32x4.mul').set(t);
      store(c, pho, null, t);
      if (withWs) {
        store(c, pw, null, ig);
        store(c, pw, g1, fg);
        store(c, pw, g2, gg);
        store(c, pw, g3, og);
        store(c, pw, g4, cp);
        store(c, pw, g5, tc);
      }
      for (const p of [px, pg, pb, pc, pco, pho, pw]) c.inc(p, 16);
    });
  });
}

function load_(): Kernels | null {
  if (kernels !== undefined) return kernels;
  const rt = wasmRuntime();
  if (rt === null) return (kernels = null);
  const m = new ModuleBuilder();
  m.importMemory({ module: 'env', name: 'memory', initial: 1, maximum: rt.heap.maximumPages, shared: rt.heap.shared });
  for (const bias of [false, true]) {
    for (const withWs of [false, true]) {
      gruKernel(m, bias, withWs);
      lstmKernel(m, bias, withWs);
    }
  }
  const instance = new WebAssembly.Instance(new WebAssembly.Module(m.encode()), { env: { memory: rt.heap.memory } });
  const gru = new Map<string, Kernel>();
  const lstm = new Map<string, Kernel>();
  for (const name of m.exportNames) (name.startsWith('gru') ? gru : lstm).set(name, instance.exports[name] as Kernel);
  return (kernels = { rt, gru, lstm });
}

/** Byte address of the view's first element and its byte row stride, or null if the kernel cannot read it. */
function rowsOf(rt: WasmRuntime, v: TensorView | null, cols: number): [number, number] | null {
  if (v === null) return [0, 0];
  const b = v.buffer;
  if (v.dtype !== 'float32' || !(b instanceof CpuBuffer) || b.runtime !== rt || b.freed) return null;
  if (v.shape.length === 1) return v.shape[0] === cols && (v.strides[0] === 1 || cols === 1) ? [b.ptr + v.offset * 4, 0] : null;
  if (v.shape.length !== 2 || v.shape[1] !== cols || (v.strides[1] !== 1 && cols > 1)) return null;
  return [b.ptr + v.offset * 4, v.strides[0]! * 4];
}

export function wasmGruCell(gx: TensorView, gh: TensorView, bhh: TensorView | null, h: TensorView, hOut: TensorView, ws: TensorView | null): boolean {
  const R = h.shape[0]!;
  const H = h.shape[1]!;
  if (H % 4 !== 0 || R === 0) return false;
  const k = load_();
  if (k === null) return false;
  const a = [rowsOf(k.rt, gx, 3 * H), rowsOf(k.rt, gh, 3 * H), rowsOf(k.rt, bhh, 3 * H), rowsOf(k.rt, h, H), rowsOf(k.rt, hOut, H), rowsOf(k.rt, ws, 4 * H)];
  if (a.some((p) => p === null)) return false;
  const [x, g, b, hh, o, w] = a as [number, number][];
  k.gru.get(`gru_${bhh ? 1 : 0}${ws ? 1 : 0}`)!(x![0], g![0], b![0], hh![0], o![0], w![0], R, H, x![1], g![1], hh![1], o![1], w![1]);
  return true;
}

export function wasmLstmCell(
  gx: TensorView,
  gh: TensorView,
  bhh: TensorView | null,
  c: TensorView,
  cOut: TensorView,
  hOut: TensorView,
  ws: TensorView | null,
): boolean {
  const R = c.shape[0]!;
  const H = c.shape[1]!;
  if (H % 4 !== 0 || R === 0) return false;
  const k = load_();
  if (k === null) return false;
  const a = [
    rowsOf(k.rt, gx, 4 * H),
    rowsOf(k.rt, gh, 4 * H),
    rowsOf(k.rt, bhh, 4 * H),
    rowsOf(k.rt, c, H),
    rowsOf(k.rt, cOut, H),
    rowsOf(k.rt, hOut, H),
    rowsOf(k.rt, ws, 6 * H),
  ];
  if (a.some((p) => p === null)) return false;
  const [x, g, b, cc, co, ho, w] = a as [number, number][];
  k.lstm.get(`lstm_${bhh ? 1 : 0}${ws ? 1 : 0}`)!(x![0], g![0], b![0], cc![0], co![0], ho![0], w![0], R, H, x![1], g![1], cc![1], co![1], ho![1], w![1]);
  return true;
}
