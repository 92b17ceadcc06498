/**
 * Memory of a PyTorch-style training loop: nn.GRU(8, 16) + Linear, Adam, MSE.
 *
 *   cd tooling/bench && node --conditions=@torchlet/source --import @torchlet/ts-run/register \
 *     src/memory/gru-loop.ts [--steps 20000] [--mode plain|dispose|tidy|async]
 *
 * `plain` disposes nothing (as PyTorch code reads); `dispose` disposes every tensor the
 * step's code receives; `tidy` runs each step in `torch.tidy`; `async` is `plain` with an
 * `await` of the event loop (setImmediate) after each step, which lets the garbage
 * collector's backstop run. Prints live tensors, live storage bytes and the Wasm heap at
 * steps 100, 1,000, 10,000 and the last one.
 */
import { cpuBackend } from '@torchlet/backend-cpu';
import { GRU, Linear, Module, MSELoss } from '@torchlet/nn';
import { Adam } from '@torchlet/optim';
import * as torch from '@torchlet/tensor';
import type { Tensor } from '@torchlet/tensor';

type Mode = 'plain' | 'dispose' | 'tidy' | 'async';

class Net extends Module {
  gru = new GRU(8, 16, { batchFirst: true });
  head = new Linear(16, 1);

  /** Disposes what it made but returns, when `dispose`. */
  dispose_ = false;

  override forward(x: Tensor): Tensor {
    const [out, hN] = this.gru.call(x);
    const last = torch.select(out, 1, -1);
    const pred = this.head.call(last);
    if (this.dispose_) for (const t of [out, hN, last]) t.dispose();
    return pred;
  }
}

function args(): { steps: number; modes: Mode[] } {
  const argv = process.argv.slice(2).filter((a) => a !== '--');
  let steps = 20_000;
  let modes: Mode[] = ['plain', 'dispose', 'tidy', 'async'];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--steps') steps = Number(argv[++i]);
    else if (argv[i] === '--mode') modes = [argv[++i] as Mode];
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return { steps, modes };
}

async function run(mode: Mode, steps: number): Promise<void> {
  torch.manualSeed(0);
  const model = new Net();
  model.dispose_ = mode === 'dispose';
  const opt = new Adam(model.parameters(), { lr: 0.01 });
  const crit = new MSELoss();
  const mseLoss = (a: Tensor, b: Tensor): Tensor => crit.call(a, b);
  const x = torch.randn([4, 10, 8]);
  const y = torch.randn([4, 1]);
  const marks = new Set([100, 1_000, 10_000, steps]);
  const start = performance.now();
  console.log(`\n${mode}: ${steps} steps`);
  console.log('step'.padStart(7), 'liveTensors'.padStart(12), 'liveBytes'.padStart(12), 'heapAllocated'.padStart(14), 'heapMemory'.padStart(12));
  for (let step = 1; step <= steps; step++) {
    if (mode === 'plain' || mode === 'async') {
      opt.zeroGrad();
      const loss = mseLoss(model.call(x), y);
      loss.backward();
      opt.step();
      if (mode === 'async') await new Promise((resolve) => setImmediate(resolve));
    } else if (mode === 'dispose') {
      opt.zeroGrad();
      const pred = model.call(x);
      const loss = mseLoss(pred, y);
      loss.backward();
      opt.step();
      pred.dispose();
      loss.dispose();
    } else {
      opt.zeroGrad();
      torch.tidy(() => {
        mseLoss(model.call(x), y).backward();
      });
      opt.step();
    }
    if (marks.has(step)) {
      const m = torch.memoryStats();
      const h = cpuBackend.heapStats();
      console.log(
        String(step).padStart(7),
        String(m.liveTensors).padStart(12),
        String(m.liveBytes).padStart(12),
        String(h?.allocatedBytes ?? '-').padStart(14),
        String(h?.memoryBytes ?? '-').padStart(12),
      );
    }
  }
  console.log(`${((performance.now() - start) / steps).toFixed(3)} ms/step, reclaimedByGC ${torch.memoryStats().reclaimedByGC}`);
  model.dispose();
  x.dispose();
  y.dispose();
}

const { steps, modes } = args();
for (const mode of modes) await run(mode, steps);
