// The umbrella package: a small MLP learns XOR with Adam. Runs as is in Node and bundled in chromium.
import * as torch from 'torchlet';

export async function run() {
  torch.manualSeed(0);
  const model = new torch.nn.Sequential(new torch.nn.Linear(2, 16), new torch.nn.Tanh(), new torch.nn.Linear(16, 1));
  const opt = new torch.optim.Adam(model.parameters(), { lr: 0.05 });
  const x = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const y = torch.tensor([[0], [1], [1], [0]]);
  const losses = [];
  for (let step = 0; step < 150; step++) {
    opt.zeroGrad();
    const loss = torch.nn.functional.mseLoss(model.call(x), y);
    loss.backward();
    opt.step();
    losses.push(loss.item());
    loss.dispose();
  }
  const predictions = torch.noGrad(() => model.call(x)).flatten().tolist().map((v) => (v > 0.5 ? 1 : 0));
  const [first, last] = [losses[0], losses.at(-1)];
  if (!(last < 0.02 && last < first / 10)) throw new Error(`loss ${first} -> ${last}: the MLP did not learn XOR`);
  if (predictions.join() !== '0,1,1,0') throw new Error(`predictions ${predictions.join()}, want 0,1,1,0`);
  return { ok: true, steps: losses.length, first, last };
}
