// Every workload `pnpm bench` knows, in the order they run. Add new ones here.
import { cpuKernelsWorkload } from './cpu-kernels.js';
import { dataloaderWorkload } from './dataloader.js';
import { elementwiseWorkload } from './elementwise.js';
import { fasttextWorkload } from './fasttext.js';
import { matmulWorkload } from './matmul.js';
import { recurrentWorkloads } from './recurrent.js';
import type { Workload } from './workload.js';

export const WORKLOADS: readonly Workload[] = [matmulWorkload, elementwiseWorkload, cpuKernelsWorkload, dataloaderWorkload, ...recurrentWorkloads, fasttextWorkload];

export type { Workload, WorkloadContext } from './workload.js';
