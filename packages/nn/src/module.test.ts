import * as torch from '@torchlet/tensor';
import type { Tensor } from '@torchlet/tensor';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import * as nn from './index.js';

let before: ReturnType<typeof torch.memoryStats>;
beforeEach(() => {
  before = torch.memoryStats();
});
afterEach(() => {
  const after = torch.memoryStats();
  expect(after.liveStorages, 'storages leaked').toBe(before.liveStorages);
  expect(after.liveTensors, 'tensors leaked').toBe(before.liveTensors);
});

class Net extends nn.Module {
  fc1 = new nn.Linear(4, 3);
  bn = new nn.BatchNorm1d(3);
  fc2 = new nn.Linear(3, 2);

  constructor() {
    super();
    this.registerBuffer('scale', torch.ones([2]));
    this.registerBuffer('cache', torch.zeros([1]), { persistent: false });
  }

  override forward(x: Tensor): Tensor {
    return torch.tidy(() => this.fc2.call(torch.relu(this.bn.call(this.fc1.call(x)))));
  }
}

describe('Parameter', () => {
  test('marks the tensor itself, requires grad, and is recognised by instanceof', () => {
    const t = torch.zeros([2]);
    const p = new nn.Parameter(t);
    expect(p).toBe(t);
    expect(p.requiresGrad).toBe(true);
    expect(p instanceof nn.Parameter).toBe(true);
    const q = nn.Parameter(torch.zeros([1]), false);
    expect(q.requiresGrad).toBe(false);
    const plain = torch.ones([1]);
    expect(plain instanceof nn.Parameter).toBe(false);
    for (const t of [p, q, plain]) t.dispose();
  });

  test('refuses non-tensors and integer tensors that would require grad', () => {
    expect(() => new nn.Parameter(3 as unknown as Tensor)).toThrow(/expected a Tensor/);
    const i = torch.tensor([1, 2], { dtype: 'int32' });
    expect(() => new nn.Parameter(i)).toThrow(/floating point/);
    i.dispose();
  });
});

describe('registration and traversal', () => {
  test('fields register children and parameters in declaration order with PyTorch keys', () => {
    const net = new Net();
    expect(Object.keys(net.stateDict())).toEqual([
      'scale',
      'fc1.weight',
      'fc1.bias',
      'bn.weight',
      'bn.bias',
      'bn.running_mean',
      'bn.running_var',
      'bn.num_batches_tracked',
      'fc2.weight',
      'fc2.bias',
    ]);
    expect(net.namedParameters().map(([n]) => n)).toEqual(['fc1.weight', 'fc1.bias', 'bn.weight', 'bn.bias', 'fc2.weight', 'fc2.bias']);
    expect(net.namedBuffers().map(([n]) => n)).toEqual(['scale', 'cache', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']);
    expect(net.namedChildren().map(([n]) => n)).toEqual(['fc1', 'bn', 'fc2']);
    expect(net.namedModules().map(([n]) => n)).toEqual(['', 'fc1', 'bn', 'fc2']);
    expect(net.children()).toEqual([net.fc1, net.bn, net.fc2]);
    expect(net.modules().length).toBe(4);
    expect(net.parameters({ recurse: false })).toEqual([]);
    expect(net.numParameters()).toBe(15 + 6 + 8);
    net.dispose();
  });

  test('reassigning a field replaces the child; null removes it from the state dict', () => {
    const net = new Net();
    const old = net.fc2;
    net.fc2 = new nn.Linear(3, 5);
    expect(net.getSubmodule('fc2')).toBe(net.fc2);
    old.dispose();
    const replaced = net.fc2;
    (net as unknown as { fc2: nn.Module | null }).fc2 = null;
    replaced.dispose();
    expect(Object.keys(net.stateDict())).not.toContain('fc2.weight');
    expect(net.toString()).toContain('(fc2): None');
    const fc2 = net.getSubmodule('fc1');
    expect(fc2).toBe(net.fc1);
    net.dispose();
  });

  test('explicit registration takes PyTorch names that are not fields', () => {
    class Cell extends nn.Module {
      constructor() {
        super();
        this.registerParameter('weight_ih_l0', new nn.Parameter(torch.zeros([3, 2])));
        this.registerParameter('bias_ih_l0', null);
        this.registerModule('proj', new nn.Linear(3, 3));
      }
    }
    const m = new Cell();
    expect(Object.keys(m.stateDict())).toEqual(['weight_ih_l0', 'proj.weight', 'proj.bias']);
    expect(m.getParameter('weight_ih_l0').shape).toEqual([3, 2]);
    expect(m.getParameter('proj.weight').shape).toEqual([3, 3]);
    expect(() => m.getParameter('bias_ih_l0')).toThrow(/is None/);
    expect(() => m.getParameter('nope')).toThrow(/has no parameter `nope`/);
    expect(() => m.registerParameter('a.b', null)).toThrow(/can't contain "."/);
    expect(() => m.registerParameter('', null)).toThrow(/can't be empty/);
    const plain = torch.zeros([1]);
    expect(() => m.registerBuffer('proj', plain)).toThrow(/already exists/);
    expect(() => m.registerParameter('p', plain)).toThrow(/nn.Parameter or null expected/);
    expect(() => m.registerModule('x', 3 as unknown as nn.Module)).toThrow(/not a Module/);
    plain.dispose();
    m.dispose();
  });

  test('a plain tensor assigned over a registered parameter field is refused', () => {
    const lin = new nn.Linear(2, 2);
    expect(lin.parameters().length).toBe(2);
    const w = lin.weight;
    const plain = torch.zeros([2, 2]);
    (lin as unknown as { weight: Tensor }).weight = plain;
    expect(() => lin.parameters()).toThrow(/cannot assign a plain Tensor as parameter 'weight'/);
    lin.weight = w;
    plain.dispose();
    lin.dispose();
  });

  test('shared parameters and modules are yielded once; state dict keeps every key', () => {
    const a = new nn.Linear(2, 2);
    const seq = new nn.Sequential(a, a);
    expect(seq.parameters().length).toBe(2);
    expect(seq.modules().length).toBe(2);
    expect(Object.keys(seq.stateDict())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    expect(seq.namedParameters({ removeDuplicate: false }).length).toBe(4);
    seq.dispose();
  });
});

describe('modes and bulk operations', () => {
  test('train/eval propagate; apply visits children first', () => {
    const net = new Net();
    net.eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    net.train();
    expect(net.bn.training).toBe(true);
    const order: string[] = [];
    net.apply((m) => order.push(m._getName()));
    expect(order).toEqual(['Linear', 'BatchNorm1d', 'Linear', 'Net']);
    expect(() => net.train('yes' as unknown as boolean)).toThrow(/boolean/);
    net.dispose();
  });

  test('zeroGrad sets grads to null by default, or zeros them', () => {
    const lin = new nn.Linear(3, 2);
    const x = torch.ones([4, 3]);
    const run = (): void => {
      const y = lin.call(x);
      const s = y.sum();
      s.backward();
      s.dispose();
      y.dispose();
    };
    run();
    expect(lin.weight.grad).not.toBeNull();
    lin.zeroGrad({ setToNone: false });
    expect(Array.from(lin.weight.grad!.dataSync())).toEqual(new Array(6).fill(0));
    lin.zeroGrad();
    expect(lin.weight.grad).toBeNull();
    x.dispose();
    lin.dispose();
  });

  test('requiresGrad_(false) freezes, numParameters counts trainable ones', () => {
    const net = new Net();
    net.fc1.requiresGrad_(false);
    expect(net.fc1.weight.requiresGrad).toBe(false);
    expect(net.numParameters({ trainableOnly: true })).toBe(6 + 8);
    net.dispose();
  });

  test('to(dtype) converts floating parameters and buffers, keeping integer buffers', () => {
    const bn = new nn.BatchNorm1d(3);
    const lin = new nn.Linear(2, 2);
    const seq = new nn.Sequential(lin, bn);
    const w0 = Array.from(lin.weight.dataSync());
    seq.double();
    expect(lin.weight.dtype).toBe('float64');
    expect(lin.weight.requiresGrad).toBe(true);
    expect(lin.weight instanceof nn.Parameter).toBe(true);
    expect(seq.parameters()[0]).toBe(lin.weight);
    expect(Array.from(lin.weight.dataSync())).toEqual(w0.map((v) => Math.fround(v)));
    expect(bn.getBuffer('running_mean')!.dtype).toBe('float64');
    expect(bn.getBuffer('num_batches_tracked')!.dtype).toBe('int32');
    seq.float();
    expect(lin.weight.dtype).toBe('float32');
    seq.dispose();
  });

  test('dispose frees every parameter and buffer', () => {
    const start = torch.memoryStats().liveTensors;
    const net = new Net();
    expect(torch.memoryStats().liveTensors).toBeGreaterThan(start);
    net.dispose();
    expect(torch.memoryStats().liveTensors).toBe(start);
  });
});

describe('forward, call and hooks', () => {
  test('call runs pre-hooks, forward and hooks; hooks can replace args and outputs; handles remove', () => {
    const lin = new nn.Linear(2, 2);
    const x = torch.ones([1, 2]);
    const seen: string[] = [];
    const h1 = lin.registerForwardPreHook((_m, args) => {
      seen.push(`pre:${(args[0] as Tensor).shape}`);
    });
    const h2 = lin.registerForwardHook((_m, _args, out) => {
      seen.push(`post:${(out as Tensor).shape}`);
      // A hook that replaces the output owns the original.
      (out as Tensor).dispose();
      return torch.zeros([7]);
    });
    const replaced = lin.call(x);
    expect(seen).toEqual(['pre:1,2', 'post:1,2']);
    expect(replaced.shape).toEqual([7]);
    h1.remove();
    h2();
    const y = lin.call(x);
    expect(y.shape).toEqual([1, 2]);
    expect(seen.length).toBe(2);
    replaced.dispose();
    y.dispose();
    x.dispose();
    lin.dispose();
  });

  test('a module without forward says so', () => {
    const m = new nn.Module();
    expect(() => m.call()).toThrow('Module [Module] is missing the required "forward" function');
  });
});

describe('stateDict / loadStateDict', () => {
  test('round-trips between two models', () => {
    const a = new Net();
    const b = new Net();
    const r = b.loadStateDict(a.stateDict());
    expect(r).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(Array.from(b.fc1.weight.dataSync())).toEqual(Array.from(a.fc1.weight.dataSync()));
    expect(b.fc1.weight).not.toBe(a.fc1.weight);
    a.dispose();
    b.dispose();
  });

  test('names missing and unexpected keys (strict), and reports them (non-strict)', () => {
    const net = new Net();
    const sd = { ...net.stateDict() };
    delete sd['fc2.bias'];
    const extra = torch.zeros([1]);
    sd['fc3.weight'] = extra;
    expect(() => net.loadStateDict(sd)).toThrow(
      'Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: "fc2.bias". \n\tUnexpected key(s) in state_dict: "fc3.weight". ',
    );
    expect(net.loadStateDict(sd, { strict: false })).toEqual({ missingKeys: ['fc2.bias'], unexpectedKeys: ['fc3.weight'] });
    extra.dispose();
    net.dispose();
  });

  test('refuses shape mismatches naming the key and both shapes, copying nothing', () => {
    const net = new Net();
    const before = Array.from(net.fc2.weight.dataSync());
    const bad = torch.zeros([3, 4]);
    const sd = { ...net.stateDict(), 'fc2.weight': bad, 'fc1.bias': torch.full([3], 7) };
    expect(() => net.loadStateDict(sd, { strict: false })).toThrow(
      'size mismatch for fc2.weight: copying a param with shape [3, 4] from checkpoint, the shape in current model is [2, 3].',
    );
    expect(Array.from(net.fc2.weight.dataSync())).toEqual(before);
    expect(Array.from(net.fc1.bias!.dataSync())).not.toEqual([7, 7, 7]);
    bad.dispose();
    sd['fc1.bias'].dispose();
    net.dispose();
  });

  test('accepts a Map, refuses non-tensor values, and tolerates a missing num_batches_tracked', () => {
    const bn = new nn.BatchNorm1d(2);
    const m = new Map<string, Tensor>(Object.entries(bn.stateDict()));
    m.delete('num_batches_tracked');
    expect(bn.loadStateDict(m)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(() => bn.loadStateDict({ ...bn.stateDict(), weight: 3 as unknown as Tensor })).toThrow(/expected torch.Tensor/);
    expect(() => bn.loadStateDict(null as unknown as Record<string, Tensor>)).toThrow(/dict-like/);
    bn.dispose();
  });

  test('loads a 1-d tensor into a 0-d buffer as its first element, as PyTorch does, and not the reverse', () => {
    // Checked against PyTorch 1.13's load_state_dict: BatchNorm1d.num_batches_tracked (shape [])
    // takes tensor([5]) and tensor([5, 6, 7]) as 5; tensor([]) raises "index 0 is out of bounds";
    // shape [1, 1] and, into a [1] parameter, a 0-d tensor are size mismatches.
    const bn = new nn.BatchNorm1d(2);
    const load = (src: Tensor): number => {
      bn.loadStateDict({ ...bn.stateDict(), num_batches_tracked: src });
      src.dispose();
      const t = bn.getBuffer('num_batches_tracked')!;
      expect(t.shape).toEqual([]);
      return t.item() as number;
    };
    const live = torch.memoryStats().liveTensors;
    expect(load(torch.tensor(new Int32Array([5])))).toBe(5);
    expect(load(torch.tensor(new Int32Array([8, 6, 7])))).toBe(8);
    expect(load(torch.tensor(new Int32Array([9]), { shape: [] }))).toBe(9);
    expect(torch.memoryStats().liveTensors).toBe(live);
    const empty = torch.tensor(new Int32Array(0));
    expect(() => bn.loadStateDict({ ...bn.stateDict(), num_batches_tracked: empty })).toThrow(
      /While copying the parameter named "num_batches_tracked", .*index 0 is out of bounds for dimension 0 with size 0/,
    );
    const twoD = torch.tensor(new Int32Array([5]), { shape: [1, 1] });
    expect(() => bn.loadStateDict({ ...bn.stateDict(), num_batches_tracked: twoD })).toThrow(
      'size mismatch for num_batches_tracked: copying a param with shape [1, 1] from checkpoint, the shape in current model is [].',
    );
    expect(bn.getBuffer('num_batches_tracked')!.item()).toBe(9);
    const lin = new nn.Linear(2, 1);
    const scalar = torch.tensor(3);
    expect(() => lin.loadStateDict({ ...lin.stateDict(), bias: scalar })).toThrow(
      'size mismatch for bias: copying a param with shape [] from checkpoint, the shape in current model is [1].',
    );
    for (const t of [empty, twoD, scalar]) t.dispose();
    bn.dispose();
    lin.dispose();
  });

  test('non-persistent buffers stay out of the state dict', () => {
    const net = new Net();
    expect('cache' in net.stateDict()).toBe(false);
    expect(net.getBuffer('cache')!.shape).toEqual([1]);
    net.dispose();
  });
});

describe('printing', () => {
  test("toString matches PyTorch's repr", () => {
    const seq = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2, { bias: false }));
    expect(seq.toString()).toBe(
      'Sequential(\n  (0): Linear(in_features=4, out_features=8, bias=True)\n  (1): ReLU()\n  (2): Linear(in_features=8, out_features=2, bias=False)\n)',
    );
    const net = new Net();
    expect(net.toString()).toBe(
      'Net(\n  (fc1): Linear(in_features=4, out_features=3, bias=True)\n' +
        '  (bn): BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n' +
        '  (fc2): Linear(in_features=3, out_features=2, bias=True)\n)',
    );
    const nested = new nn.Sequential(new nn.Sequential(new nn.Identity()), new nn.Conv2d(3, 5, 3, { stride: 2, padding: 1 }));
    expect(nested.toString()).toBe(
      'Sequential(\n  (0): Sequential(\n    (0): Identity()\n  )\n  (1): Conv2d(3, 5, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))\n)',
    );
    const list = new nn.ModuleList([new nn.Linear(2, 2), new nn.Linear(2, 2), new nn.Linear(2, 2), new nn.ReLU()]);
    expect(list.toString()).toBe('ModuleList(\n  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n  (3): ReLU()\n)');
    for (const m of [seq, net, nested, list]) m.dispose();
  });

  test('layer reprs', () => {
    const cases: [nn.Module, string][] = [
      [new nn.Embedding(10, 3, { paddingIdx: 0 }), 'Embedding(10, 3, padding_idx=0)'],
      [new nn.EmbeddingBag(10, 3, { mode: 'sum' }), "EmbeddingBag(10, 3, mode='sum')"],
      [new nn.Conv1d(4, 6, 3, { padding: 'same', bias: false }), 'Conv1d(4, 6, kernel_size=(3,), stride=(1,), padding=same, bias=False)'],
      [new nn.MaxPool2d(2), 'MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)'],
      [new nn.AvgPool1d(3, { stride: 2 }), 'AvgPool1d(kernel_size=(3,), stride=(2,), padding=(0,))'],
      [new nn.AdaptiveAvgPool2d([1, 1]), 'AdaptiveAvgPool2d(output_size=(1, 1))'],
      [new nn.LayerNorm(8), 'LayerNorm((8,), eps=1e-05, elementwise_affine=True)'],
      [new nn.GroupNorm(2, 6), 'GroupNorm(2, 6, eps=1e-05, affine=True)'],
      [new nn.BatchNorm2d(4, { momentum: null }), 'BatchNorm2d(4, eps=1e-05, momentum=None, affine=True, track_running_stats=True)'],
      [new nn.Dropout(), 'Dropout(p=0.5, inplace=False)'],
      [new nn.LeakyReLU(0.1), 'LeakyReLU(negative_slope=0.1)'],
      [new nn.GELU(), "GELU(approximate='none')"],
      [new nn.Softmax(-1), 'Softmax(dim=-1)'],
      [new nn.Flatten(), 'Flatten(start_dim=1, end_dim=-1)'],
      [new nn.Unflatten(1, [2, 5]), 'Unflatten(dim=1, unflattened_size=(2, 5))'],
      [new nn.Bilinear(5, 4, 3), 'Bilinear(in1_features=5, in2_features=4, out_features=3, bias=True)'],
      [new nn.ELU(), 'ELU(alpha=1.0)'],
      [new nn.Softplus(), 'Softplus(beta=1.0, threshold=20.0)'],
      [new nn.CrossEntropyLoss(), 'CrossEntropyLoss()'],
    ];
    for (const [m, s] of cases) {
      expect(m.toString()).toBe(s);
      m.dispose();
    }
  });

  test('summary prints a torchinfo-style table with totals', () => {
    const net = new Net();
    net.fc1.requiresGrad_(false);
    const s = net.summary([2, 4]);
    const lines = s.split('\n');
    expect(lines[1]).toMatch(/^Layer \(type:depth-idx\)\s+Output Shape\s+Param #\s+Trainable$/);
    expect(s).toMatch(/^Net\s+\[2, 2\]\s+--\s+Partial$/m);
    expect(s).toMatch(/^└─Linear: 1-1\s+\[2, 3\]\s+15\s+False$/m);
    expect(s).toMatch(/^└─BatchNorm1d: 1-2\s+\[2, 3\]\s+6\s+True$/m);
    expect(s).toMatch(/^└─Linear: 1-3\s+\[2, 2\]\s+8\s+True$/m);
    expect(s).toContain('Total params: 29');
    expect(s).toContain('Trainable params: 14');
    expect(s).toContain('Non-trainable params: 15');
    // the forward ran in eval mode and left the running stats and the mode alone
    expect(net.training).toBe(true);
    expect(net.bn.getBuffer('num_batches_tracked')!.item()).toBe(0);
    expect(() => net.summary([2, 5])).toThrow(/mat1 and mat2 shapes cannot be multiplied/);
    net.dispose();
  });

  test('summary of nested containers and integer inputs', () => {
    const model = new nn.Sequential(new nn.Embedding(10, 4), new nn.Sequential(new nn.Linear(4, 4), new nn.ReLU()));
    const s = model.summary([2, 3], { dtypes: ['int32'] });
    expect(s).toMatch(/^└─Embedding: 1-1\s+\[2, 3, 4\]\s+40\s+True$/m);
    expect(s).toMatch(/^└─Sequential: 1-2\s+\[2, 3, 4\]\s+--\s+True$/m);
    expect(s).toMatch(/^│ {4}└─Linear: 2-1\s+\[2, 3, 4\]\s+20\s+True$/m);
    expect(s).toMatch(/^│ {4}└─ReLU: 2-2\s+\[2, 3, 4\]\s+--\s+--$/m);
    expect(s).toContain('Total params: 60');
    expect(() => model.summary([[-1, 2]] as unknown as number[][])).toThrow(/bad input shape/);
    model.dispose();
  });
});

describe('containers', () => {
  test('Sequential chains, indexes, slices and appends; accepts named modules', () => {
    const seq = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU());
    seq.append(new nn.Linear(3, 1));
    expect(seq.length).toBe(3);
    expect(seq.at(-1)).toBeInstanceOf(nn.Linear);
    expect(() => seq.at(3)).toThrow(/out of range/);
    const x = torch.ones([5, 2]);
    const y = seq.call(x);
    expect(y.shape).toEqual([5, 1]);
    const head = seq.slice(0, 2);
    expect(head.length).toBe(2);
    expect(head.at(0)).toBe(seq.at(0));
    expect([...seq].length).toBe(3);
    const named = new nn.Sequential({ enc: new nn.Linear(2, 2), act: new nn.Tanh() });
    expect(Object.keys(named.stateDict())).toEqual(['enc.weight', 'enc.bias']);
    y.dispose();
    x.dispose();
    seq.dispose();
    named.dispose();
  });

  test('ModuleList insert/pop renumber like PyTorch; ModuleDict keeps insertion order', () => {
    const list = new nn.ModuleList([new nn.Linear(1, 1), new nn.Linear(1, 2)]);
    list.insert(0, new nn.Linear(1, 3));
    expect(list.at(0)).toBeInstanceOf(nn.Linear);
    expect((list.at(0) as nn.Linear).outFeatures).toBe(3);
    const popped = list.pop(1) as nn.Linear;
    expect(popped.outFeatures).toBe(1);
    expect(Object.keys(list.stateDict())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    expect(() => list.call()).toThrow(/not callable/);
    popped.dispose();
    list.dispose();
    const dict = new nn.ModuleDict({ b: new nn.ReLU(), a: new nn.Linear(1, 1) });
    expect(dict.keys()).toEqual(['b', 'a']);
    expect(dict.has('a')).toBe(true);
    expect(dict.get('zz')).toBeUndefined();
    dict.set('c', new nn.Tanh());
    expect(Object.keys(dict.stateDict())).toEqual(['a.weight', 'a.bias']);
    expect(() => dict.set('x.y', new nn.ReLU())).toThrow(/can't contain "."/);
    dict.pop('a').dispose();
    expect(dict.keys()).toEqual(['b', 'c']);
    dict.dispose();
  });
});
