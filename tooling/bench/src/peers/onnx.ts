/**
 * onnxruntime-node as a benchmark peer, on ONNX models built in memory: a minimal protobuf
 * writer for the few ModelProto fields a graph of float tensors needs (inputs, outputs,
 * nodes with attributes, float initializers). Field numbers are ONNX's onnx.proto3.
 */
import { requirePeer } from './install.js';
import type { Ort, OrtTensor } from './types.js';

/** Protobuf wire writer: varints, length-delimited fields and nested messages. */
class Proto {
  readonly bytes: number[] = [];

  #varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.bytes.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.bytes.push(Number(x));
  }

  int(field: number, v: number): this {
    this.#varint((field << 3) | 0);
    this.#varint(v);
    return this;
  }

  float(field: number, v: number): this {
    this.#varint((field << 3) | 5);
    const b = new Uint8Array(new Float32Array([v]).buffer);
    this.bytes.push(...b);
    return this;
  }

  raw(field: number, data: Uint8Array): this {
    this.#varint((field << 3) | 2);
    this.#varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }

  str(field: number, s: string): this {
    return this.raw(field, new TextEncoder().encode(s));
  }

  msg(field: number, m: Proto): this {
    return this.raw(field, Uint8Array.from(m.bytes));
  }
}

const FLOAT = 1;

/** ValueInfoProto of a float tensor with a fixed shape. */
function valueInfo(name: string, shape: readonly number[]): Proto {
  const dims = new Proto();
  for (const d of shape) dims.msg(1, new Proto().int(1, d));
  const tensorType = new Proto().int(1, FLOAT).msg(2, dims);
  return new Proto().str(1, name).msg(2, new Proto().msg(1, tensorType));
}

export interface OnnxNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Integer, float or string attributes. */
  readonly attrs?: Readonly<Record<string, number | string | { float: number }>>;
}

export interface OnnxGraph {
  readonly inputs: readonly { name: string; shape: readonly number[] }[];
  readonly outputs: readonly { name: string; shape: readonly number[] }[];
  readonly nodes: readonly OnnxNode[];
  /** Constant float tensors (weights). */
  readonly initializers?: readonly { name: string; shape: readonly number[]; data: Float32Array }[];
  readonly opset?: number;
}

/** The serialized ModelProto of `g` (IR version 8, default domain). */
export function onnxModel(g: OnnxGraph): Uint8Array {
  const graph = new Proto();
  g.nodes.forEach((n, i) => {
    const node = new Proto();
    for (const x of n.inputs) node.str(1, x);
    for (const y of n.outputs) node.str(2, y);
    node.str(3, `n${i}`).str(4, n.op);
    for (const [name, v] of Object.entries(n.attrs ?? {})) {
      // AttributeProto: name 1, f 2, i 3, s 4, type 20 (FLOAT 1, INT 2, STRING 3)
      const a = new Proto().str(1, name);
      if (typeof v === 'string') a.raw(4, new TextEncoder().encode(v)).int(20, 3);
      else if (typeof v === 'number') a.int(3, v).int(20, 2);
      else a.float(2, v.float).int(20, 1);
      node.msg(5, a);
    }
    graph.msg(1, node);
  });
  graph.str(2, 'bench');
  for (const t of g.initializers ?? []) {
    // TensorProto: dims 1, data_type 2, name 8, raw_data 9 (little-endian)
    const tp = new Proto();
    for (const d of t.shape) tp.int(1, d);
    tp.int(2, FLOAT).str(8, t.name).raw(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    graph.msg(5, tp);
  }
  for (const x of g.inputs) graph.msg(11, valueInfo(x.name, x.shape));
  for (const y of g.outputs) graph.msg(12, valueInfo(y.name, y.shape));
  const model = new Proto()
    .int(1, 8) // ir_version
    .str(2, 'torchlet-bench') // producer_name
    .msg(7, graph)
    .msg(8, new Proto().str(1, '').int(2, g.opset ?? 17));
  return Uint8Array.from(model.bytes);
}

let ort: Ort | null | undefined;

/** onnxruntime-node, or null when it cannot be loaded here (not installed, no binary for this platform). */
export function loadOrt(): Ort | null {
  if (ort === undefined) {
    try {
      ort = requirePeer<Ort>('onnxruntime-node');
    } catch {
      ort = null;
    }
  }
  return ort;
}

export interface OrtRunner {
  /** Runs the model once on the given float inputs; returns the first output's data. */
  run(): Promise<Float32Array>;
  release(): Promise<void>;
}

/** A session for `g` with `threads` intra-op threads and the given input data. */
export async function ortSession(g: OnnxGraph, feeds: Readonly<Record<string, Float32Array>>, threads: number): Promise<OrtRunner | null> {
  const o = loadOrt();
  if (o === null) return null;
  const session = await o.InferenceSession.create(onnxModel(g), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Idle pool threads sleep instead of spinning, so they do not steal the cores from the
    // Torchlet cases timed after this peer (as OMP_WAIT_POLICY=PASSIVE does for PyTorch).
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
  const tensors: Record<string, OrtTensor> = {};
  for (const x of g.inputs) tensors[x.name] = new o.Tensor('float32', feeds[x.name]!, [...x.shape]);
  const out = g.outputs[0]!.name;
  return {
    async run() {
      const r = await session.run(tensors);
      return r[out]!.data as Float32Array;
    },
    release: () => session.release(),
  };
}
