import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from 'torchlet';
import { afterAll, describe, expect, test } from 'vitest';
import { main } from './cli.js';
import { CharVocab, decodeUtf8, splitIds } from './corpus.js';
import { Trainer, bitsPerChar, type TrainerState } from './trainer.js';

const dir = mkdtempSync(join(tmpdir(), 'char-rnn-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// a small slice of the built-in text keeps the tests fast
const moby = readFileSync(new URL('../data/moby-dick.txt', import.meta.url), 'utf8');
const slice = join(dir, 'slice.txt');
writeFileSync(slice, moby.slice(0, 20_000));
const small = ['--text', slice, '--embed', '8', '--hidden', '16', '--bptt', '16', '--batch', '4', '--no-progress'];

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

const bits = (ts: Record<string, torch.Tensor>) => Object.fromEntries(Object.entries(ts).map(([k, t]) => [k, Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer))]));

describe('training, bits per character, sampling', () => {
  test('trains, reports validation bpc that falls, samples from the prime, saves a model that samples the same', async () => {
    const model = join(dir, 'm.ckpt');
    const r = await run('train', ...small, '--steps', '40', '--eval-every', '20', '--prime', 'Call me', '--length', '30', '--output', model, '--lr', '0.01');
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const bpc = r.out.filter((l) => /^step \d+: validation bpc /.test(l)).map((l) => Number(l.split(' ').pop()));
    expect(bpc).toHaveLength(2);
    expect(bpc[1]).toBeLessThan(bpc[0]!);
    expect(bpc[0]).toBeLessThan(Math.log2(new Set(moby.slice(0, 20_000)).size)); // better than uniform
    const samples = r.out.filter((l) => l.startsWith('---\nCall me') && l.endsWith('\n---')).map((l) => l.slice(4, -4));
    expect(samples).toHaveLength(2);
    expect([...samples[0]!]).toHaveLength('Call me'.length + 30);
    const a = await run('sample', model, '--prime', 'The whale', '--length', '50', '--seed', '3');
    const b = await run('sample', model, '--prime', 'The whale', '--length', '50', '--seed', '3');
    expect(a.code).toBe(0);
    expect(a.out[0]!.startsWith('The whale')).toBe(true);
    expect([...a.out[0]!]).toHaveLength(59);
    expect(b.out).toEqual(a.out);
  });

  test('a resumed run continues bit for bit (weights, optimizer, schedule, dropout stream, position, state)', async () => {
    const text = moby.slice(0, 20_000);
    const vocab = CharVocab.fromText(text);
    const { train } = splitIds(vocab.encode(text, 'slice'), 0.05);
    const modelConfig = { cell: 'lstm' as const, vocab: vocab.size, embed: 8, hidden: 16, layers: 2, dropout: 0.3 };
    const config = { bptt: 16, batch: 4, lr: 0.01, clip: 0.5, steps: 12, seed: 7 };
    const straight = new Trainer(modelConfig, config, train, 'cpu');
    for (let i = 0; i < 12; i++) await straight.trainStep();
    const want = bits(straight.model.stateDict());
    straight.dispose();

    const first = new Trainer(modelConfig, config, train, 'cpu');
    for (let i = 0; i < 5; i++) await first.trainStep();
    const ckpt = join(dir, 'resume.ckpt');
    await torch.io.save(first.state(vocab.chars), ckpt);
    first.dispose();
    torch.manualSeed(999); // whatever happened to the random stream in between
    const second = new Trainer(modelConfig, config, train, 'cpu');
    const s = await torch.io.load<TrainerState>(ckpt);
    second.restore(s);
    for (const t of [...Object.values(s.weights), ...s.hidden]) t.dispose();
    expect(second.step).toBe(5);
    for (let i = 5; i < 12; i++) await second.trainStep();
    expect(bits(second.model.stateDict())).toEqual(want);
    second.dispose();
  });

  test('--resume through the CLI: an interrupted run ends where an uninterrupted one does', async () => {
    const full = join(dir, 'full.ckpt');
    const part = join(dir, 'part.ckpt');
    const args = [...small, '--steps', '10', '--eval-every', '10', '--length', '0'];
    expect((await run('train', ...args, '--checkpoint', full)).code).toBe(0);
    expect((await run('train', ...args, '--checkpoint', part, '--checkpoint-every', '4', '--minutes', '1e-9')).code).toBe(0); // stops after its first step
    const resumed = await run('train', ...args, '--checkpoint', part, '--resume');
    expect(resumed.out[0]).toBe(`resumed from ${part} at step 1`);
    const a = await torch.io.load<TrainerState>(full);
    const b = await torch.io.load<TrainerState>(part);
    expect(b.step).toBe(10);
    expect(bits(b.weights)).toEqual(bits(a.weights));
    expect(resumed.out.at(-1)).toBe((await run('train', ...args, '--checkpoint', join(dir, 'again.ckpt'))).out.at(-1));
    for (const s of [a, b]) for (const t of [...Object.values(s.weights), ...s.hidden]) t.dispose();
  });

  test('bits per character of a model that knows nothing is log2 of the vocabulary', async () => {
    const text = 'abcd'.repeat(200);
    const vocab = CharVocab.fromText(text);
    const trainer = new Trainer({ cell: 'gru', vocab: 4, embed: 4, hidden: 4, layers: 1, dropout: 0 }, { bptt: 8, batch: 2, lr: 0.01, clip: 1, steps: 1, seed: 0 }, vocab.encode(text, 't'), 'cpu');
    // zero decoder weights and bias: every character equally likely
    torch.noGrad(() => {
      trainer.model.decoder.weight.zero_();
      trainer.model.decoder.bias!.zero_();
    });
    expect(await bitsPerChar(trainer.model, vocab.encode(text, 't'), { batch: 2, bptt: 8, device: 'cpu' })).toBeCloseTo(2, 5);
    trainer.dispose();
  });
});

describe('bad input is refused with one line naming the flag or file', () => {
  test.each([
    [['train', '--example', 'war-and-peace'], 1, "--example: unknown example 'war-and-peace' (known: moby-dick)"],
    [['train', '--text', '/nonexistent.txt'], 1, '--text: cannot read /nonexistent.txt (ENOENT)'],
    [['train', '--cell', 'rnn'], 2, "--cell: expected gru or lstm, got 'rnn'"],
    [['train', '--steps', '1.5'], 2, "--steps: expected a whole number ≥ 1, got '1.5'"],
    [['train', '--temperature', '0'], 2, "--temperature: expected a positive number, got '0'"],
    [['train', '--resume'], 2, '--resume needs --checkpoint FILE'],
    [['train', '--speed', 'fast'], 2, "Unknown option '--speed'"],
    [['sample'], 2, 'sample takes one model file'],
    [['sample', '/nonexistent.ckpt'], 1, '/nonexistent.ckpt: not a readable checkpoint'],
  ])('%j → exit %i', async (argv, code, message) => {
    const r = await run(...argv);
    expect(r.code).toBe(code);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toContain(message);
  });

  test('invalid UTF-8 is refused with its line, or replaced on request; a prime outside the vocabulary is refused', async () => {
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, Buffer.concat([Buffer.from('fine line\nsecond line\nthird '), Buffer.from([0xc3, 0x28]), Buffer.from(' line\n'.repeat(400))]));
    expect((await run('train', '--text', bad)).err[0]).toBe(`torchlet-char-rnn: ${bad} line 3: invalid UTF-8 (use --encoding-errors replace to read it anyway)`);
    expect(decodeUtf8(new Uint8Array([0xef, 0xbb, 0xbf, 0x41]), 'bom')).toBe('A');
    const r = await run('train', '--text', bad, '--encoding-errors', 'replace', '--steps', '1', '--embed', '4', '--hidden', '4', '--bptt', '8', '--batch', '2', '--length', '0', '--no-progress');
    expect(r.code).toBe(0);
    expect((await run('train', ...small, '--prime', 'Ω'))).toMatchObject({ code: 1, err: ['torchlet-char-rnn: --prime: the character "Ω" is not in the model\'s vocabulary'] });
  });

  test('a checkpoint from other settings is not resumed', async () => {
    const ckpt = join(dir, 'other.ckpt');
    expect((await run('train', ...small, '--steps', '1', '--length', '0', '--checkpoint', ckpt)).code).toBe(0);
    const r = await run('train', ...small, '--hidden', '12', '--steps', '2', '--checkpoint', ckpt, '--resume');
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/other\.ckpt: was made with other settings or another text .*; give the same flags to resume$/);
  });
});

describe('--device webgpu', () => {
  test('trains on WebGPU to the CPU numbers, or says clearly that there is no adapter', async () => {
    const args = ['train', ...small, '--steps', '6', '--eval-every', '6', '--length', '0', '--dropout', '0'];
    const gpu = await run(...args, '--device', 'webgpu');
    if (gpu.code !== 0) {
      expect(process.env.REQUIRE_WEBGPU, gpu.err.join('\n')).not.toBe('1');
      expect(gpu.err[0]).toMatch(/^torchlet-char-rnn: --device webgpu: no WebGPU adapter here \(.*\); use --device cpu$/);
      return;
    }
    const cpu = await run(...args);
    const bpc = (r: { out: string[] }) => Number(r.out.find((l) => l.includes('validation bpc'))!.split(' ').pop());
    expect(gpu.out[0]).toContain('device webgpu');
    expect(Math.abs(bpc(gpu) - bpc(cpu))).toBeLessThan(1e-3);
  });
});
