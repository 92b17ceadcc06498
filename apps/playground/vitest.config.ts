import { torchletProject } from '../../tooling/vitest.shared.js';

// builds the app and drives it in chromium: minutes on SwiftShader
export default torchletProject('app-playground', { testTimeout: 300_000 });
