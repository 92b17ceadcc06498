import '@torchlet/backend-cpu';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { killDuringSave, loadFingerprint, saveSerialized, startSaveLoop, twoModels, writeSaveLoopChild } from './testing/kill-save.js';

// A process killed (SIGKILL) at a random moment while it saves a 16 MB model over an existing
// one: every time, a model loads, and it is exactly the old or the new one. The delays are
// seeded; the verdict does not depend on where they land.
test('kill -9 during save, 20 times: a loadable model (the old or the new one) always remains', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-fasttext-kill-'));
  const { prefixes, fingerprints } = await twoModels(join(dir, 'inputs'));
  const script = writeSaveLoopChild(join(dir, 'child'));
  const model = join(dir, 'models', 'm');
  // The old model, saved completely; each child then saves the other one, then this one, … over it.
  const saveMs = saveSerialized(model, prefixes[0]);
  expect(await loadFingerprint(model)).toBe(fingerprints[0]);

  const outcomes = await killDuringSave({
    iterations: 20,
    seed: 20240611,
    model,
    initial: fingerprints[0],
    // Each child first saves the model that is not on disk, so every kill is between two different models.
    start: (_i, current) => startSaveLoop(script, model, current === fingerprints[0] ? [prefixes[1], prefixes[0]] : [prefixes[0], prefixes[1]]),
    cue: /^ready$/,
    maxDelayMs: 3 * saveMs + 20,
  });
  expect(outcomes).toHaveLength(20);
  for (const o of outcomes) {
    expect(o.error).toBeNull();
    expect(fingerprints).toContain(o.loaded);
  }

  // The next complete save clears what the kills left (temporaries, the lock, stray generations).
  saveSerialized(model, prefixes[1]);
  expect(await loadFingerprint(model)).toBe(fingerprints[1]);
  const left = readdirSync(join(dir, 'models'));
  expect(left).toHaveLength(2);
  expect(left).toContain('m.json');
  expect(left.filter((f) => /^m\.\d+\.safetensors$/.test(f))).toHaveLength(1);
}, 300_000);
