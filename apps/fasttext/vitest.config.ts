import { torchletProject } from '../../tooling/vitest.shared.js';

export default torchletProject('app-fasttext', { testTimeout: 60_000 });
