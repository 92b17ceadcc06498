#!/usr/bin/python3
"""Learning-rate (and momentum) sequences from real PyTorch for the scheduler tests.

Run with the Debian PyTorch: /usr/bin/python3 tools/scheduler_refs.py > test-data/scheduler-refs.json
Each case: the optimizer's lr (and momentum or beta1) for every group before each of `steps`
rounds of `opt.step(); sched.step()` (ReduceLROnPlateau: after each `step(metric)`).
"""
import json, math
import torch
from torch.optim import SGD, Adam
from torch.optim import lr_scheduler as S


def params(n=1):
    return [torch.zeros(1, requires_grad=True) for _ in range(n)]


def run(make_opt, make_sched, steps=12, metrics=None):
    opt = make_opt()
    s = make_sched(opt)
    lrs, moms = [], []
    def record():
        lrs.append([g['lr'] for g in opt.param_groups])
        moms.append([g['betas'][0] if 'betas' in g else g.get('momentum', 0.0) for g in opt.param_groups])
    if metrics is not None:
        for m in metrics:
            s.step(m)
            record()
    else:
        for _ in range(steps):
            record()
            opt.step()
            s.step()
    last = s.get_last_lr() if hasattr(s, 'get_last_lr') else s._last_lr
    return dict(lr=lrs, momentum=moms, last_lr=last)


def sgd(lr=0.1, momentum=0.9, groups=1):
    if groups == 1:
        return lambda: SGD(params(), lr=lr, momentum=momentum)
    return lambda: SGD([{'params': params(), 'lr': lr * (i + 1)} for i in range(groups)], lr=lr, momentum=momentum)


cases = {
    'step_lr_two_groups': run(sgd(groups=2), lambda o: S.StepLR(o, step_size=2, gamma=0.7)),
    'multistep_repeated_milestone': run(sgd(), lambda o: S.MultiStepLR(o, milestones=[3, 3, 7], gamma=0.5)),
    'constant_lr': run(sgd(), lambda o: S.ConstantLR(o, factor=0.25, total_iters=4)),
    'linear_lr_decay': run(sgd(), lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.2, total_iters=6)),
    'polynomial_lr': run(sgd(), lambda o: S.PolynomialLR(o, total_iters=8, power=2.0)),
    'exponential_lr': run(sgd(), lambda o: S.ExponentialLR(o, gamma=0.8)),
    'cosine_past_t_max': run(sgd(), lambda o: S.CosineAnnealingLR(o, T_max=4, eta_min=0.01), steps=20),
    'cosine_warm_restarts_tmult1': run(sgd(), lambda o: S.CosineAnnealingWarmRestarts(o, T_0=4, eta_min=0.005), steps=14),
    'lambda_lr_two_groups': run(sgd(groups=2), lambda o: S.LambdaLR(o, [lambda e: 0.9 ** e, lambda e: 1.0 / (e + 1)])),
    'multiplicative_lr': run(sgd(), lambda o: S.MultiplicativeLR(o, lambda e: 0.95)),
    'one_cycle_linear_three_phase': run(sgd(), lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=12, anneal_strategy='linear', three_phase=True)),
    'one_cycle_adam_beta1': run(lambda: Adam(params(), lr=0.01), lambda o: S.OneCycleLR(o, max_lr=0.02, epochs=3, steps_per_epoch=4, pct_start=0.25)),
    'one_cycle_no_momentum_cycle': run(sgd(), lambda o: S.OneCycleLR(o, max_lr=[0.3], total_steps=12, cycle_momentum=False, div_factor=10, final_div_factor=100)),
    'sequential_warmup_cosine': run(sgd(), lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=3), S.CosineAnnealingLR(o, T_max=8)], milestones=[3])),
    'sequential_three': run(sgd(), lambda o: S.SequentialLR(o, [S.ConstantLR(o, factor=0.5, total_iters=2), S.ExponentialLR(o, gamma=0.9), S.StepLR(o, step_size=2, gamma=0.5)], milestones=[2, 6]), steps=14),
    'chained_exponential_step': run(sgd(), lambda o: S.ChainedScheduler([S.ExponentialLR(o, gamma=0.9), S.StepLR(o, step_size=3, gamma=0.5)])),
    'plateau_max_abs_cooldown': run(lambda: SGD(params(), lr=1.0), lambda o: S.ReduceLROnPlateau(o, mode='max', factor=0.5, patience=0, threshold=0.05, threshold_mode='abs', cooldown=2, min_lr=0.1),
                                    metrics=[0.5, 0.52, 0.6, 0.6, 0.61, 0.59, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]),
    'plateau_min_rel_eps': run(lambda: SGD(params(), lr=1e-7), lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=0, eps=1e-7),
                               metrics=[1.0, 1.0, 1.0]),
}
print(json.dumps(dict(torch=torch.__version__, cases=cases), indent=1))
