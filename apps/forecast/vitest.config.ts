import { torchletProject } from '../../tooling/vitest.shared.js';

export default torchletProject('app-forecast', { testTimeout: 120_000 });
