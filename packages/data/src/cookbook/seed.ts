/** `seedEverything`: the Cookbook's "fix the random seeds" recipe. */
import { manualSeed, type Generator } from '@torchlet/tensor';

/**
 * Seeds every random stream Torchlet draws from (`torch.manual_seed`; the DataLoader's
 * shuffles, `randomSplit`, samplers and `mixup` take their seeds from it), and returns the
 * default generator. PyTorch's recipe also seeds `random` and `numpy`; JavaScript's
 * `Math.random` cannot be seeded, so draw from a `Generator` where reproducibility matters.
 *
 * ```ts
 * seedEverything(42); // torch.manual_seed(42); np.random.seed(42); random.seed(42)
 * ```
 */
export function seedEverything(seed: number): Generator {
  return manualSeed(seed);
}
