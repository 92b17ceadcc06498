import { existsSync } from 'node:fs';
import { defineProject } from 'vitest/config';

const conditions = ['@torchlet/source', 'module', 'node', 'import', 'default'];

// Dawn finds SwiftShader through the Vulkan loader's VK_ICD_FILENAMES; set it when the
// driver is installed (tooling/webgpu/setup-swiftshader.sh) and nothing else was chosen.
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const env: Record<string, string> = {};
if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

export default defineProject({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    name: 'backend-webgpu',
    environment: 'node',
    include: ['src/**/*.test.ts'],
    // Child processes, so the Vulkan loader sees the environment variable.
    pool: 'forks',
    env,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
