import { runConformanceSuite } from '@torchlet/backend/testing';
import { cpuBackend } from './index.js';

runConformanceSuite('cpu', () => cpuBackend);
