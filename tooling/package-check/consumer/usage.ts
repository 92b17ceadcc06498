// What a user writes: methods on tensors, the umbrella namespace, a model and an optimizer.
import * as torch from 'torchlet';
import { manualSeed, randn, tensor, type Tensor } from '@torchlet/tensor';

manualSeed(0);
const x: Tensor = randn([4, 3]).add(1).mul(tensor([1, 2, 3]));
const total: number = x.sum().item();
const model = new torch.nn.Sequential(new torch.nn.Linear(3, 8), new torch.nn.ReLU(), new torch.nn.Linear(8, 1));
const opt = new torch.optim.Adam(model.parameters(), { lr: 1e-3 });
const loss: torch.Tensor = torch.nn.functional.mseLoss(model.call(x) as torch.Tensor, torch.zeros([4, 1]));
loss.backward();
opt.step();
export const summary: string = `${total} ${loss.toString()}`;
