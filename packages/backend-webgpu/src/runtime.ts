/**
 * The command side of the WebGPU backend: pipeline cache, batched command encoding,
 * per-dispatch metadata (shapes/strides) in uniform slots, buffer pools, readback and
 * error reporting.
 *
 * Ordering model. Every primitive encodes a compute dispatch into one open command
 * encoder; the encoder is submitted by `flush()` (explicitly, on every readback, or when
 * `maxBatch` dispatches are pending). `queue.writeBuffer` runs *before* commands that are
 * encoded but not yet submitted, so host writes go through the encoder (a mapped staging
 * buffer + `copyBufferToBuffer`) whenever commands are pending; only when the encoder is
 * empty do they use `queue.writeBuffer` directly. That makes recycling pooled buffers
 * safe: whatever a recycled buffer is used for next is ordered after the commands that
 * used it before.
 *
 * Metadata. Each dispatch gets a 256-byte-aligned slot in a 64 KiB uniform "meta" chunk;
 * the slots are filled on the host and uploaded with one `writeBuffer` per chunk right
 * before the batch is submitted (the slots are fresh, so the early write cannot race
 * with the batch, and it is queued after every earlier submission).
 *
 * Errors. Pipeline creation runs inside a validation error scope naming the kernel;
 * submission runs inside validation and out-of-memory scopes; `uncapturederror` and
 * `device.lost` are recorded too. Asynchronous failures are thrown by the next `read`
 * (and device loss by the next operation), so a broken kernel never yields a silent zero
 * tensor. Kernels report data-dependent errors (an index out of range, an int32 sum that
 * overflows) through a small flags buffer that every readback checks.
 */
import { splitGrid } from './layout.js';
import { BufferPool, type PoolStats } from './pool.js';

export type Access = 'read' | 'read_write';

/** What a kernel builder returns: WGSL source and its binding layout. */
export interface KernelSource {
  /** Complete WGSL module with entry point `main`. */
  readonly code: string;
  /** Storage bindings 1..n (binding 0 is the meta uniform). */
  readonly access: readonly Access[];
  /** Number of i32 meta words the kernel reads (its uniform struct holds `ceil(words / 4)` vec4s). */
  readonly metaWords: number;
  /** Whether the kernel binds the error-flags buffer as its last binding. */
  readonly flags?: boolean;
}

export interface Kernel {
  readonly key: string;
  readonly pipeline: GPUComputePipeline;
  readonly access: readonly Access[];
  readonly metaBytes: number;
  readonly flags: boolean;
  readonly layout: GPUBindGroupLayout;
  /** Set once pipeline creation reported an error; later dispatches throw it. */
  error?: Error;
}

/** Tuning of the dispatch runtime (batching, pooling, grid limits). */
export interface RuntimeOptions {
  /** Override of maxComputeWorkgroupsPerDimension (tests use small values to exercise grid splitting). */
  maxWorkgroupsPerDimension?: number;
  /** Dispatches encoded before an automatic submit (default 256). */
  maxBatch?: number;
  /** Bytes of spare storage buffers kept for reuse (default 256 MiB). */
  maxPooledBytes?: number;
}

/** Counters for tests and profiling. */
export interface RuntimeCounters {
  /** Compute dispatches encoded. */
  dispatches: number;
  /** Command buffers submitted. */
  submits: number;
  /** Device → host readbacks. */
  reads: number;
  /** Host → device writes (either path). */
  writes: number;
  /** Host writes that went through the encoder because commands were pending. */
  encodedWrites: number;
  /** Pipelines compiled. */
  pipelines: number;
  /** Copies made because an input aliased an output of the same dispatch. */
  aliasCopies: number;
}

/** Error codes kernels set in the flags buffer (bit mask in word 0). */
export const FLAG_INT_SUM_OVERFLOW = 1;
export const FLAG_INT_PROD_OVERFLOW = 2;
export const FLAG_INDEX_OUT_OF_RANGE = 4;

/** WGSL declaration of the flags buffer at `binding` and the helpers kernels call. */
export function flagsWGSL(binding: number): string {
  return /* wgsl */ `
@group(0) @binding(${binding}) var<storage, read_write> flags: array<atomic<u32>, 4>;
fn raise_flag(code: u32) { atomicOr(&flags[0], code); }
fn raise_index(k: i32, size: i32) { atomicOr(&flags[0], ${FLAG_INDEX_OUT_OF_RANGE}u); atomicStore(&flags[1], bitcast<u32>(k)); atomicStore(&flags[2], u32(size)); }
`;
}

const META_CHUNK_BYTES = 65536;
const FLAGS_BYTES = 16;
const STORAGE_USAGE = 0x80 | 0x04 | 0x08; // STORAGE | COPY_SRC | COPY_DST
const UNIFORM_USAGE = 0x40 | 0x08; // UNIFORM | COPY_DST
const MAP_READ_USAGE = 0x01 | 0x08; // MAP_READ | COPY_DST
const STAGING_UPLOAD_USAGE = 0x04; // COPY_SRC
const MAP_READ_MODE = 0x1;

interface MetaChunk {
  readonly buffer: GPUBuffer;
  readonly host: Int32Array;
  used: number;
}

export class GpuRuntime {
  readonly device: GPUDevice;
  readonly counters: RuntimeCounters = { dispatches: 0, submits: 0, reads: 0, writes: 0, encodedWrites: 0, pipelines: 0, aliasCopies: 0 };
  readonly maxWorkgroupsPerDimension: number;
  readonly maxBatch: number;

  readonly #kernels = new Map<string, Kernel>();
  readonly #layouts = new Map<string, { bgl: GPUBindGroupLayout; pl: GPUPipelineLayout }>();
  readonly #pool: BufferPool<GPUBuffer>;
  readonly #stagingPool: BufferPool<GPUBuffer>;
  readonly #flags: GPUBuffer;
  readonly #metaAlign: number;
  readonly #metaChunks: MetaChunk[] = [];
  #metaChunk = 0;

  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #pendingDispatches = 0;
  #afterSubmit: (() => void)[] = [];

  #lost: string | null = null;
  #asyncError: Error | null = null;
  #checks: Promise<void>[] = [];

  constructor(device: GPUDevice, options: RuntimeOptions = {}) {
    this.device = device;
    this.maxWorkgroupsPerDimension = Math.min(options.maxWorkgroupsPerDimension ?? Infinity, device.limits.maxComputeWorkgroupsPerDimension);
    this.maxBatch = options.maxBatch ?? 256;
    this.#metaAlign = device.limits.minUniformBufferOffsetAlignment;
    this.#pool = new BufferPool({
      create: (bytes) => this.#createBuffer(bytes, STORAGE_USAGE, 'torchlet storage'),
      maxPooledBytes: options.maxPooledBytes,
    });
    this.#stagingPool = new BufferPool({
      create: (bytes) => this.#createBuffer(bytes, MAP_READ_USAGE, 'torchlet readback'),
      maxPooledBytes: 64 * 1024 * 1024,
    });
    this.#flags = device.createBuffer({ size: FLAGS_BYTES, usage: STORAGE_USAGE, label: 'torchlet error flags' });
    void device.lost.then((info) => {
      this.#lost = `webgpu: the device was lost (${info.reason}): ${info.message || 'no message'}`;
    });
    const onError = (ev: Event): void => {
      const err = (ev as GPUUncapturedErrorEvent).error;
      this.#fail(new Error(`webgpu: uncaptured device error: ${err?.message ?? String(ev)}`));
    };
    if (typeof device.addEventListener === 'function') device.addEventListener('uncapturederror', onError);
    else (device as { onuncapturederror: unknown }).onuncapturederror = onError;
  }

  // ---- state and errors -----------------------------------------------------------------

  /** Throws if the device was lost. Called at the start of every operation. */
  check(): void {
    if (this.#lost) throw new Error(this.#lost);
  }

  /** Records an asynchronous error for the next `settle`; a `rootCause` (a kernel that failed to compile) replaces follow-on errors. */
  #fail(err: Error, rootCause = false): void {
    if (rootCause || !this.#asyncError) this.#asyncError = err;
  }

  #track(p: Promise<void>): void {
    this.#checks.push(p);
    // A loop that never reads must not accumulate promises without bound.
    if (this.#checks.length >= 256) this.#checks = [Promise.all(this.#checks).then(() => undefined)];
  }

  /** Waits for every pending error scope, then throws (and clears) the first asynchronous error. */
  async settle(): Promise<void> {
    while (this.#checks.length > 0) {
      const checks = this.#checks;
      this.#checks = [];
      await Promise.all(checks);
    }
    this.check();
    const err = this.#asyncError;
    if (err) {
      this.#asyncError = null;
      throw err;
    }
  }

  // ---- buffers --------------------------------------------------------------------------

  #createBuffer(bytes: number, usage: number, label: string): GPUBuffer {
    this.device.pushErrorScope('out-of-memory');
    const buffer = this.device.createBuffer({ size: bytes, usage, label });
    this.#track(
      this.device.popErrorScope().then((err) => {
        if (err) this.#fail(new Error(`webgpu: out of memory allocating a buffer of ${bytes} bytes: ${err.message}`));
      }),
    );
    return buffer;
  }

  /** A storage buffer of at least `bytes` bytes from the pool. */
  acquire(bytes: number): GPUBuffer {
    return this.#pool.acquire(bytes);
  }

  /** Returns a storage buffer to the pool (safe even with commands pending; see the ordering model). */
  release(buffer: GPUBuffer): void {
    this.#pool.release(buffer);
  }

  poolStats(): PoolStats {
    return this.#pool.stats();
  }

  /** Destroys the pool's spare buffers. */
  trimPool(): void {
    this.flush();
    this.#pool.trim();
    this.#stagingPool.trim();
  }

  /** Host → device copy of `data` into `dst` at `byteOffset`, ordered after every earlier operation. */
  write(dst: GPUBuffer, byteOffset: number, data: ArrayBufferView): void {
    this.check();
    const bytes = data.byteLength;
    if (bytes === 0) return;
    this.counters.writes++;
    if (!this.#encoder) {
      this.device.queue.writeBuffer(dst, byteOffset, data.buffer, data.byteOffset, bytes);
      return;
    }
    // Commands are pending: a queue write would land before them. Copy through the encoder.
    this.counters.encodedWrites++;
    const staging = this.device.createBuffer({ size: Math.ceil(bytes / 4) * 4, usage: STAGING_UPLOAD_USAGE, mappedAtCreation: true, label: 'torchlet upload' });
    new Uint8Array(staging.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, bytes));
    staging.unmap();
    const enc = this.#commandEncoder();
    this.#endPass();
    enc.copyBufferToBuffer(staging, 0, dst, byteOffset, bytes);
    this.#afterSubmit.push(() => staging.destroy());
    this.#pendingDispatches++;
  }

  /** Device → host copy of the first `bytes` bytes of `src`; also consumes the error flags. */
  async read(src: GPUBuffer, bytes: number, srcOffset = 0): Promise<ArrayBuffer> {
    this.check();
    this.counters.reads++;
    const staging = this.#stagingPool.acquire(bytes + FLAGS_BYTES);
    const enc = this.#commandEncoder();
    this.#endPass();
    if (bytes > 0) enc.copyBufferToBuffer(src, srcOffset, staging, 0, bytes);
    enc.copyBufferToBuffer(this.#flags, 0, staging, bytes, FLAGS_BYTES);
    enc.clearBuffer(this.#flags);
    this.flush();
    let data: ArrayBuffer;
    let flags: Uint32Array;
    try {
      await staging.mapAsync(MAP_READ_MODE, 0, bytes + FLAGS_BYTES);
      const mapped = staging.getMappedRange(0, bytes + FLAGS_BYTES);
      data = mapped.slice(0, bytes);
      flags = new Uint32Array(mapped.slice(bytes, bytes + FLAGS_BYTES));
      staging.unmap();
      this.#stagingPool.release(staging);
    } catch (err) {
      staging.destroy();
      this.check();
      await this.settle();
      throw err;
    }
    await this.settle();
    throwFlags(flags);
    return data;
  }

  // ---- kernels and dispatch -----------------------------------------------------------

  #layout(access: readonly Access[], flags: boolean): { bgl: GPUBindGroupLayout; pl: GPUPipelineLayout } {
    const key = access.map((a) => (a === 'read' ? 'r' : 'w')).join('') + (flags ? 'f' : '');
    let entry = this.#layouts.get(key);
    if (!entry) {
      const COMPUTE = 0x4;
      const entries: GPUBindGroupLayoutEntry[] = [{ binding: 0, visibility: COMPUTE, buffer: { type: 'uniform' } }];
      access.forEach((a, i) => entries.push({ binding: i + 1, visibility: COMPUTE, buffer: { type: a === 'read' ? 'read-only-storage' : 'storage' } }));
      if (flags) entries.push({ binding: access.length + 1, visibility: COMPUTE, buffer: { type: 'storage' } });
      const bgl = this.device.createBindGroupLayout({ entries, label: `torchlet layout ${key}` });
      const pl = this.device.createPipelineLayout({ bindGroupLayouts: [bgl] });
      entry = { bgl, pl };
      this.#layouts.set(key, entry);
    }
    return entry;
  }

  /** The cached kernel for `key`, building and compiling it on first use. */
  kernel(key: string, build: () => KernelSource): Kernel {
    const cached = this.#kernels.get(key);
    if (cached) return cached;
    const src = build();
    const flags = src.flags ?? false;
    const { bgl, pl } = this.#layout(src.access, flags);
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code: src.code, label: key });
    const pipeline = this.device.createComputePipeline({ label: key, layout: pl, compute: { module, entryPoint: 'main' } });
    const kernel: Kernel = { key, pipeline, access: src.access, metaBytes: Math.max(16, Math.ceil(src.metaWords / 4) * 16), flags, layout: bgl };
    this.#track(
      this.device.popErrorScope().then((err) => {
        if (err) {
          kernel.error = new Error(`webgpu: kernel '${key}' failed to compile: ${err.message}`);
          this.#fail(kernel.error, true);
        }
      }),
    );
    this.counters.pipelines++;
    this.#kernels.set(key, kernel);
    return kernel;
  }

  get pipelineCount(): number {
    return this.#kernels.size;
  }

  #commandEncoder(): GPUCommandEncoder {
    if (!this.#encoder) this.#encoder = this.device.createCommandEncoder({ label: 'torchlet batch' });
    return this.#encoder;
  }

  #computePass(): GPUComputePassEncoder {
    if (!this.#pass) this.#pass = this.#commandEncoder().beginComputePass();
    return this.#pass;
  }

  #endPass(): void {
    if (this.#pass) {
      this.#pass.end();
      this.#pass = null;
    }
  }

  /** A slot of `bytes` bytes in the current meta chunk holding `meta`. */
  #metaSlot(meta: ArrayLike<number>, bytes: number): { buffer: GPUBuffer; offset: number } {
    let chunk = this.#metaChunks[this.#metaChunk];
    let offset = chunk ? Math.ceil(chunk.used / this.#metaAlign) * this.#metaAlign : 0;
    if (!chunk || offset + bytes > META_CHUNK_BYTES) {
      if (chunk) this.#metaChunk++;
      chunk = this.#metaChunks[this.#metaChunk];
      if (!chunk) {
        chunk = {
          buffer: this.device.createBuffer({ size: META_CHUNK_BYTES, usage: UNIFORM_USAGE, label: 'torchlet meta' }),
          host: new Int32Array(META_CHUNK_BYTES / 4),
          used: 0,
        };
        this.#metaChunks.push(chunk);
      }
      offset = 0;
    }
    const base = offset / 4;
    for (let i = 0; i < meta.length; i++) chunk.host[base + i] = meta[i]!;
    chunk.host.fill(0, base + meta.length, base + bytes / 4);
    chunk.used = offset + bytes;
    return { buffer: chunk.buffer, offset };
  }

  /**
   * Encodes one dispatch of `kernel` over `workgroups` workgroups (split into an x/y/z grid)
   * with storage `buffers` bound in order and `meta` in its uniform slot. A read-only input
   * that is also written by the same dispatch is copied first, so outputs never alias inputs.
   */
  dispatch(kernel: Kernel, buffers: readonly GPUBuffer[], meta: ArrayLike<number>, workgroups: number): void {
    this.check();
    if (kernel.error) throw kernel.error;
    if (workgroups <= 0) return;
    if (buffers.length !== kernel.access.length) throw new Error(`webgpu: kernel '${kernel.key}' takes ${kernel.access.length} buffers, got ${buffers.length}`);
    if (meta.length * 4 > kernel.metaBytes) throw new Error(`webgpu: kernel '${kernel.key}' meta overflow (${meta.length} words)`);
    const bound = [...buffers];
    const temps: GPUBuffer[] = [];
    for (let i = 0; i < bound.length; i++) {
      if (kernel.access[i] !== 'read') continue;
      const b = bound[i]!;
      if (!bound.some((o, j) => o === b && kernel.access[j] === 'read_write')) continue;
      const copy = this.acquire(b.size);
      this.#endPass();
      this.#commandEncoder().copyBufferToBuffer(b, 0, copy, 0, b.size);
      temps.push(copy);
      this.counters.aliasCopies++;
      for (let j = i; j < bound.length; j++) if (bound[j] === b && kernel.access[j] === 'read') bound[j] = copy;
    }
    const [x, y, z] = splitGrid(workgroups, this.maxWorkgroupsPerDimension);
    const slot = this.#metaSlot(meta, kernel.metaBytes);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: slot.buffer, offset: slot.offset, size: kernel.metaBytes } }];
    bound.forEach((b, i) => entries.push({ binding: i + 1, resource: { buffer: b } }));
    if (kernel.flags) entries.push({ binding: bound.length + 1, resource: { buffer: this.#flags } });
    const group = this.device.createBindGroup({ layout: kernel.layout, entries });
    const pass = this.#computePass();
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y, z);
    this.counters.dispatches++;
    for (const t of temps) this.release(t);
    if (++this.#pendingDispatches >= this.maxBatch) this.flush();
  }

  /** Encodes a buffer-to-buffer copy (byte offsets and size multiples of 4). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.check();
    if (bytes === 0) return;
    this.#endPass();
    this.#commandEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    if (++this.#pendingDispatches >= this.maxBatch) this.flush();
  }

  /** Whether commands are encoded but not submitted. */
  get pending(): boolean {
    return this.#encoder !== null;
  }

  /** Submits the encoded commands. */
  flush(): void {
    const enc = this.#encoder;
    if (!enc) return;
    this.#endPass();
    for (let i = 0; i <= this.#metaChunk && i < this.#metaChunks.length; i++) {
      const chunk = this.#metaChunks[i]!;
      if (chunk.used > 0) this.device.queue.writeBuffer(chunk.buffer, 0, chunk.host.buffer, 0, chunk.used);
      chunk.used = 0;
    }
    this.#metaChunk = 0;
    this.#encoder = null;
    this.#pendingDispatches = 0;
    this.device.pushErrorScope('validation');
    this.device.pushErrorScope('out-of-memory');
    this.device.queue.submit([enc.finish()]);
    this.counters.submits++;
    const oom = this.device.popErrorScope();
    const validation = this.device.popErrorScope();
    this.#track(
      Promise.all([oom, validation]).then(([o, v]) => {
        if (o) this.#fail(new Error(`webgpu: out of memory while executing a batch: ${o.message}`));
        if (v) this.#fail(new Error(`webgpu: a batch failed validation: ${v.message}`));
      }),
    );
    const after = this.#afterSubmit;
    this.#afterSubmit = [];
    for (const f of after) f();
  }

  /** Submits pending work and waits for the device to finish it. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.settle();
  }

  destroy(): void {
    this.#endPass();
    this.#encoder = null;
    this.#pool.trim();
    this.#stagingPool.trim();
    for (const c of this.#metaChunks) c.buffer.destroy();
    this.#metaChunks.length = 0;
    this.#flags.destroy();
  }
}

function throwFlags(flags: Uint32Array): void {
  const code = flags[0]!;
  if (code === 0) return;
  if (code & FLAG_INDEX_OUT_OF_RANGE) {
    throw new RangeError(`index ${flags[1]! | 0} is out of bounds for dimension with size ${flags[2]!} (reported by the webgpu backend at readback)`);
  }
  if (code & FLAG_INT_SUM_OVERFLOW) throw new RangeError('reduce: int32 sum overflows (the result does not fit in int32; reported by the webgpu backend at readback)');
  if (code & FLAG_INT_PROD_OVERFLOW) throw new RangeError('reduce: int32 prod overflows (the result does not fit in int32; reported by the webgpu backend at readback)');
  throw new RangeError(`webgpu: kernel error flags 0x${code.toString(16)}`);
}
