import { runConformanceSuite } from '@torchlet/backend/testing';
import { afterAll, it } from 'vitest';
import { openTestBackend } from './testing.js';

const { backend, reason } = await openTestBackend();

if (backend) {
  afterAll(() => backend.destroy());
  runConformanceSuite('webgpu', () => backend);
} else {
  it.skip(`backend conformance: webgpu (${reason})`, () => {});
}
