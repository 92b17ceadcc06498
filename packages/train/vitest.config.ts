import { torchletProject } from '../../tooling/vitest.shared.js';

export default torchletProject('train');
