import { torchletProject } from '../../tooling/vitest.shared.js';

export default torchletProject('app-char-rnn', { testTimeout: 120_000 });
