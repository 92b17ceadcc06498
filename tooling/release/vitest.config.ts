import { torchletProject } from '../vitest.shared.js';

export default torchletProject('release');
