/**
 * The parts of TensorFlow.js 4.22 and onnxruntime-node 1.30 that the bench calls. Their own
 * typings live in tooling/bench/peers/node_modules, which is only there once the peers are
 * installed, so the typecheck uses these instead.
 */

export interface TfTensor {
  data(): Promise<Float32Array | Int32Array | Uint8Array>;
  dispose(): void;
  transpose(perm: number[]): TfTensor;
}

export interface TfLayer {
  apply(x: TfTensor): TfTensor | TfTensor[];
  setWeights(weights: TfTensor[]): void;
  getWeights(): TfTensor[];
  readonly trainableWeights: readonly { read(): TfTensor }[];
}

export interface TfRnnOptions {
  units: number;
  returnSequences: boolean;
  recurrentActivation: 'sigmoid';
  inputShape: number[];
}

export interface TF {
  tensor1d(values: Float32Array): TfTensor;
  tensor2d(values: Float32Array, shape: [number, number]): TfTensor;
  tensor3d(values: Float32Array, shape: [number, number, number]): TfTensor;
  tidy<T extends TfTensor>(fn: () => T): T;
  dispose(x: TfTensor | TfTensor[]): void;
  add(a: TfTensor, b: TfTensor): TfTensor;
  mul(a: TfTensor, b: TfTensor): TfTensor;
  tanh(x: TfTensor): TfTensor;
  sigmoid(x: TfTensor): TfTensor;
  matMul(a: TfTensor, b: TfTensor): TfTensor;
  sum(x: TfTensor): TfTensor;
  variableGrads(f: () => TfTensor, vars: TfTensor[]): { value: TfTensor; grads: Record<string, TfTensor> };
  readonly layers: { gru(options: TfRnnOptions): TfLayer; lstm(options: TfRnnOptions): TfLayer };
  getBackend(): string;
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  env(): { set(flag: string, value: unknown): void };
  enableProdMode(): void;
}

export interface TfWasmBackend {
  setThreadsCount(threads: number): void;
}

export interface OrtTensor {
  readonly data: unknown;
}

export interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

export interface Ort {
  readonly InferenceSession: { create(model: Uint8Array, options: Record<string, unknown>): Promise<OrtSession> };
  readonly Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => OrtTensor;
}
