import { torchletProject } from '../../tooling/vitest.shared.js';

export default torchletProject('app-sentiment', { testTimeout: 120_000 });
