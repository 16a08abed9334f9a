"""mytorch.optim.lr_scheduler (nbs/06d_lr_scheduler.ipynb) against torch.optim.lr_scheduler 2.13.

Tolerances. The learning rates (and OneCycleLR's momenta) are Python floats computed by the same expressions in
both libraries, so every sequence is compared EXACTLY (==): a schedule that computes the right value in another
order (the closed form instead of the recursive one, say) fails, and test_mutants_are_caught shows that it does.
Parameter trajectories under a schedule (SGD and Adam, >= 100 steps, float32 and float64) use the shared
tolerances of tests/conftest.py (TOL: float64 rtol 1e-10, float32 rtol 2e-5) and resuming from a checkpoint is
compared bitwise in float64.

Each scenario is written once as `fn(L, opt)` / `fn(lib, ...)` and run on both libraries: `L` is the scheduler
module (mytorch.optim.lr_scheduler or torch.optim.lr_scheduler), `lib` the package (mytorch or torch).
"""
import math
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from conftest import TOL, assert_close, outcome

import mytorch
from mytorch.optim import lr_scheduler as ML
from mytorch.optim.optimizer import Optimizer as MOptimizer
from mytorch.optim.sgd import SGD as MSGD

import torch
from torch.optim import lr_scheduler as TL

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAMES = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR", "LinearLR",
         "SequentialLR", "OneCycleLR", "ReduceLROnPlateau",
         "ConstantLR", "MultiplicativeLR", "ChainedScheduler", "CosineAnnealingWarmRestarts", "CyclicLR"]


# ------------------------------------------------------------------------------------------------ helpers
def is_torch(L):
    return L is TL


def lib_of(L):
    return torch if is_torch(L) else mytorch


def madam():
    from mytorch.optim.adaptive import Adam      # O3's module: imported where needed
    return Adam


def make_opt(L, lrs, kind="sgd", **kw):
    "An optimizer of library L with one param group (one small parameter) per lr in `lrs`."
    lib = lib_of(L)
    groups = [{"params": [lib.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    if kind == "sgd":
        return (torch.optim.SGD if is_torch(L) else MSGD)(groups, **kw)
    if kind == "adam":
        return (torch.optim.Adam if is_torch(L) else madam())(groups, **kw)
    raise ValueError(kind)


def group_hypers(opt):
    "What a schedule writes into the groups: lr, and momentum / betas where present."
    return [(g["lr"], g.get("momentum"), tuple(g["betas"]) if "betas" in g else None)
            for g in opt.param_groups]


def run(L, lrs, make, n, kind="sgd", metrics=None, opt_kw=None):
    """Build an optimizer and `make(L, opt)`, then n times: opt.step(), sched.step() (or step(metric)). Returns
    the per-step records (get_last_lr(), the groups' hyper-parameters) or ('error', type name, message)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            opt = make_opt(L, lrs, kind, **(opt_kw or {}))
            sched = make(L, opt)
            out = [(list(sched.get_last_lr()), group_hypers(opt))]
            for i in range(n):
                opt.step()
                sched.step() if metrics is None else sched.step(metrics[i])
                out.append((list(sched.get_last_lr()), group_hypers(opt)))
            return out
        except Exception as e:                                   # noqa: BLE001 - compared below
            return ("error", type(e).__name__, str(e))


def nan_marked(x):
    "Records with every float NaN replaced by the string 'nan', so that == treats NaN as equal to NaN."
    if isinstance(x, float) and math.isnan(x):
        return "nan"
    if isinstance(x, (list, tuple)):
        return type(x)(nan_marked(v) for v in x)
    return x


def same_run(make, lrs, n, kind="sgd", metrics=None, opt_kw=None):
    "The two libraries produce exactly the same records (or the same error); NaN equals NaN."
    m = nan_marked(run(ML, lrs, make, n, kind, metrics, opt_kw))
    t = nan_marked(run(TL, lrs, make, n, kind, metrics, opt_kw))
    if isinstance(t, tuple) or isinstance(m, tuple):
        assert isinstance(m, tuple) and isinstance(t, tuple) and m[:2] == t[:2], f"mytorch {m}\ntorch   {t}"
        return
    assert len(m) == len(t)
    for i, (a, b) in enumerate(zip(m, t)):
        assert a == b, f"step {i}: mytorch {a}\n        torch   {b}"


lr_lists = st.lists(st.floats(1e-4, 2.0), min_size=1, max_size=3)
gammas = st.floats(0.05, 1.0)


# ------------------------------------------------------------------------------------------------ names
def test_public_names_exist_in_both():
    for name in NAMES:
        assert hasattr(ML, name), name
        assert hasattr(TL, name), name
        assert issubclass(getattr(ML, name), ML.LRScheduler)
    assert ML.EPOCH_DEPRECATION_WARNING == TL.EPOCH_DEPRECATION_WARNING


# ------------------------------------------------------------------------------------------------ sequences
@SETTINGS
@given(lrs=lr_lists, step_size=st.integers(1, 12), gamma=gammas, n=st.integers(0, 60))
def test_steplr(lrs, step_size, gamma, n):
    same_run(lambda L, o: L.StepLR(o, step_size, gamma), lrs, n)


@SETTINGS
@given(lrs=lr_lists, milestones=st.lists(st.integers(0, 40), max_size=6), gamma=gammas, n=st.integers(0, 50))
def test_multisteplr(lrs, milestones, gamma, n):
    same_run(lambda L, o: L.MultiStepLR(o, milestones, gamma), lrs, n)


@SETTINGS
@given(lrs=lr_lists, gamma=st.floats(0.5, 1.05), n=st.integers(0, 120))
def test_exponentiallr(lrs, gamma, n):
    same_run(lambda L, o: L.ExponentialLR(o, gamma), lrs, n)


@SETTINGS
@given(lrs=lr_lists, T_max=st.integers(1, 30), eta_min=st.floats(0, 1e-3), n=st.integers(0, 130))
def test_cosineannealinglr_over_several_periods(lrs, T_max, eta_min, n):
    same_run(lambda L, o: L.CosineAnnealingLR(o, T_max, eta_min), lrs, n)


def test_cosine_rises_again_after_t_max():
    "ERRATA 3.6: the cosine is periodic (2 T_max); back at the base lr at 2 T_max."
    out = run(ML, [1.0], lambda L, o: L.CosineAnnealingLR(o, 10), 20)
    lrs = [r[0][0] for r in out]
    assert lrs[10] == 0.0 and abs(lrs[20] - 1.0) < 1e-12 and lrs[15] > lrs[11]


LAMBDAS = [lambda t: 0.95 ** t, lambda t: 1 / (t + 1), lambda t: t // 3, lambda t: min(1.0, (t + 1) / 5)]


@pytest.mark.parametrize("name", ["LambdaLR", "MultiplicativeLR"])     # the same arguments
@SETTINGS
@given(lrs=lr_lists, which=st.lists(st.integers(0, len(LAMBDAS) - 1), min_size=3, max_size=3),
       per_group=st.booleans(), n=st.integers(0, 40))
def test_lambdalr_and_multiplicativelr(name, lrs, which, per_group, n):
    fns = [LAMBDAS[w] for w in which[:len(lrs)]] if per_group else LAMBDAS[which[0]]
    same_run(lambda L, o: getattr(L, name)(o, fns), lrs, n)


@SETTINGS
@given(lrs=lr_lists, start=st.floats(0.01, 1.0), end=st.floats(0.0, 1.0), total=st.integers(0, 25),
       n=st.integers(0, 40))
def test_linearlr(lrs, start, end, total, n):
    same_run(lambda L, o: L.LinearLR(o, start, end, total), lrs, n)


def test_linearlr_sets_the_lr_at_construction():
    for L in (ML, TL):
        opt = make_opt(L, [0.5])
        L.LinearLR(opt, start_factor=0.2)
        assert opt.param_groups[0]["lr"] == 0.5 * 0.2 and opt.param_groups[0]["initial_lr"] == 0.5


def _sub(L, o, spec):
    kind, a = spec
    return {"step": lambda: L.StepLR(o, 3, a), "exp": lambda: L.ExponentialLR(o, a),
            "cos": lambda: L.CosineAnnealingLR(o, 7, 0.0), "lin": lambda: L.LinearLR(o, a, 1.0, 4),
            "multi": lambda: L.MultiStepLR(o, [2, 5], a), "lam": lambda: L.LambdaLR(o, lambda t: a ** t)}[kind]()


@SETTINGS
@given(lrs=lr_lists,
       specs=st.lists(st.tuples(st.sampled_from(["step", "exp", "cos", "lin", "multi", "lam"]),
                                st.floats(0.1, 1.0)), min_size=1, max_size=3),
       gaps=st.lists(st.integers(1, 12), min_size=2, max_size=2), n=st.integers(0, 40))
def test_sequentiallr(lrs, specs, gaps, n):
    milestones = list(np.cumsum(gaps[:len(specs) - 1]).tolist())
    same_run(lambda L, o: L.SequentialLR(o, [_sub(L, o, s) for s in specs], milestones), lrs, n)


def test_sequentiallr_nested():
    def make(L, o):
        inner = L.SequentialLR(o, [L.LinearLR(o, 0.1, total_iters=3), L.ExponentialLR(o, 0.9)], [3])
        return L.SequentialLR(o, [inner, L.CosineAnnealingLR(o, 10)], [8])
    same_run(make, [0.1, 1.0], 25)


@SETTINGS
@given(lrs=lr_lists, specs=st.lists(st.tuples(st.sampled_from(["step", "exp", "cos", "lin", "multi"]),
                                              st.floats(0.1, 1.0)), min_size=2, max_size=3),
       n=st.integers(0, 30))
def test_recursive_schedules_chain(lrs, specs, n):
    "Several recursive schedulers on one optimizer, each stepped: their factors compose, as in torch."
    def build(L, o):
        scheds = [_sub(L, o, s) for s in specs]

        class Chain:                                      # steps them all; reports the last one's lr
            def get_last_lr(self): return scheds[-1].get_last_lr()
            def step(self):
                for s in scheds: s.step()
        return Chain()
    same_run(build, lrs, n)


one_cycle_kw = st.fixed_dictionaries({
    "pct_start": st.floats(0.05, 0.95), "anneal_strategy": st.sampled_from(["cos", "linear"]),
    "cycle_momentum": st.booleans(), "base_momentum": st.floats(0.5, 0.9), "max_momentum": st.floats(0.9, 0.99),
    "div_factor": st.floats(2.0, 100.0), "final_div_factor": st.floats(10.0, 1e5), "three_phase": st.booleans()})


@SETTINGS
@given(lrs=lr_lists, max_lr=st.floats(1e-3, 1.0), total=st.integers(2, 120), kw=one_cycle_kw,
       per_group=st.booleans(), kind=st.sampled_from(["sgd", "adam"]), momentum=st.sampled_from([0.0, 0.9]))
def test_onecyclelr_lr_and_momentum(lrs, max_lr, total, kw, per_group, kind, momentum):
    top = [max_lr * (i + 1) for i in range(len(lrs))] if per_group else max_lr
    opt_kw = {"momentum": momentum} if kind == "sgd" else {}
    same_run(lambda L, o: L.OneCycleLR(o, top, total_steps=total, **kw), lrs, total, kind, opt_kw=opt_kw)


def test_onecyclelr_epochs_and_steps_per_epoch_and_stepping_past_the_end():
    same_run(lambda L, o: L.OneCycleLR(o, 0.5, epochs=3, steps_per_epoch=7), [0.1], 21)
    same_run(lambda L, o: L.OneCycleLR(o, 0.5, total_steps=10), [0.1], 11)     # the 11th step raises
    assert run(ML, [0.1], lambda L, o: L.OneCycleLR(o, 0.5, total_steps=10), 11)[1] == "ValueError"


def test_onecyclelr_turns_sgd_momentum_on():
    "ERRATA 3.6: SGD(momentum=0) gets momentum 0.95 at construction."
    for L in (ML, TL):
        opt = make_opt(L, [0.1])
        L.OneCycleLR(opt, 1.0, total_steps=10)
        assert opt.param_groups[0]["momentum"] == 0.95 and opt.param_groups[0]["lr"] == pytest.approx(0.04)


metric_lists = st.lists(st.sampled_from([5.0, 4.0, 3.0, 3.0002, 2.9999, 2.5, 2.5, 1.0, 1.0, 10.0]),
                        min_size=1, max_size=60)


@SETTINGS
@given(lrs=lr_lists, metrics=metric_lists, mode=st.sampled_from(["min", "max"]),
       threshold_mode=st.sampled_from(["rel", "abs"]), threshold=st.sampled_from([0.0, 1e-4, 0.1]),
       factor=st.floats(0.1, 0.9), patience=st.integers(0, 4), cooldown=st.integers(0, 3),
       min_lr=st.sampled_from([0.0, 1e-3, "list"]), eps=st.sampled_from([1e-8, 1e-3]))
def test_reducelronplateau(lrs, metrics, mode, threshold_mode, threshold, factor, patience, cooldown,
                           min_lr, eps):
    floor = [1e-3 * (i + 1) for i in range(len(lrs))] if min_lr == "list" else min_lr
    same_run(lambda L, o: L.ReduceLROnPlateau(o, mode, factor, patience, threshold, threshold_mode, cooldown,
                                              floor, eps), lrs, len(metrics), metrics=metrics)


def test_reducelronplateau_takes_a_0d_tensor_metric():
    same_run(lambda L, o: L.ReduceLROnPlateau(o, patience=0), [0.1], 4,
             metrics=[torch.tensor(2.0), torch.tensor(3.0), torch.tensor(3.0), torch.tensor(1.0)])
    opt = make_opt(ML, [0.1])
    s = ML.ReduceLROnPlateau(opt, patience=0)
    for v in [2.0, 3.0]:
        s.step(mytorch.tensor(v))
    assert s.get_last_lr() == [0.1 * 0.1] and s.best == 2.0


# ------------------------------------------------------------------------------------------------ the appendix
@SETTINGS
@given(lrs=lr_lists, factor=st.floats(0.0, 1.0), total=st.integers(0, 12), n=st.integers(0, 30))
def test_constantlr(lrs, factor, total, n):
    assume(factor > 0)            # factor 0: both divide by zero at total_iters (ZeroDivisionError in both)
    same_run(lambda L, o: L.ConstantLR(o, factor, total), lrs, n)


def test_constantlr_zero_factor_raises_like_torch():
    same_run(lambda L, o: L.ConstantLR(o, 0.0, 3), [0.1], 5)


@SETTINGS
@given(lrs=lr_lists, specs=st.lists(st.tuples(st.sampled_from(["step", "exp", "cos", "lin", "multi"]),
                                              st.floats(0.1, 1.0)), min_size=1, max_size=3),
       pass_optimizer=st.booleans(), n=st.integers(0, 30))
def test_chainedscheduler(lrs, specs, pass_optimizer, n):
    same_run(lambda L, o: L.ChainedScheduler([_sub(L, o, s) for s in specs], o if pass_optimizer else None),
             lrs, n)


@SETTINGS
@given(lrs=lr_lists, T_0=st.integers(1, 10), T_mult=st.integers(1, 3), eta_min=st.floats(0, 1e-3),
       n=st.integers(0, 80))
def test_cosineannealingwarmrestarts(lrs, T_0, T_mult, eta_min, n):
    same_run(lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0, T_mult, eta_min), lrs, n)


@SETTINGS
@given(T_0=st.integers(1, 10), T_mult=st.integers(1, 3),
       epochs=st.lists(st.floats(0, 60), min_size=1, max_size=10))
def test_cosineannealingwarmrestarts_fractional_epochs(T_0, T_mult, epochs):
    def record(L):
        opt = make_opt(L, [0.1, 0.3])
        s = L.CosineAnnealingWarmRestarts(opt, T_0, T_mult, 1e-4)
        out = []
        for e in epochs:
            opt.step()
            s.step(e)
            out.append((list(s.get_last_lr()), s.last_epoch, s.T_cur, s.T_i))
        return out
    assert record(ML) == record(TL)


@SETTINGS
@given(lrs=lr_lists, base=st.floats(1e-4, 0.1), top=st.floats(0.1, 2.0), up=st.integers(1, 8),
       down=st.one_of(st.none(), st.integers(1, 8)), mode=st.sampled_from(["triangular", "triangular2", "exp_range"]),
       gamma=st.floats(0.9, 1.0), cycle_momentum=st.booleans(), kind=st.sampled_from(["sgd", "adam"]),
       custom=st.sampled_from([None, "cycle", "iterations"]), n=st.integers(0, 60))
def test_cycliclr(lrs, base, top, up, down, mode, gamma, cycle_momentum, kind, custom, n):
    kw = dict(step_size_up=up, step_size_down=down, mode=mode, gamma=gamma, cycle_momentum=cycle_momentum)
    if custom:
        kw.update(scale_fn=lambda x: 0.5 ** (x % 3), scale_mode=custom)
    opt_kw = {"momentum": 0.9} if kind == "sgd" else {}
    same_run(lambda L, o: L.CyclicLR(o, base, top, **kw), lrs, n, kind, opt_kw=opt_kw)


def test_cycliclr_per_group_bounds():
    same_run(lambda L, o: L.CyclicLR(o, [0.01, 0.02], [0.1, 0.3], step_size_up=3, base_momentum=[0.8, 0.85],
                                     max_momentum=0.95), [0.5, 0.5], 20, opt_kw={"momentum": 0.9})


# ------------------------------------------------------------------------------------------------ step(epoch)
CLOSED = {"step": lambda L, o: L.StepLR(o, 3, 0.5), "multi": lambda L, o: L.MultiStepLR(o, [2, 2, 6], 0.3),
          "exp": lambda L, o: L.ExponentialLR(o, 0.9), "cos": lambda L, o: L.CosineAnnealingLR(o, 6, 0.01),
          "lin": lambda L, o: L.LinearLR(o, 0.2, 0.9, 5), "lam": lambda L, o: L.LambdaLR(o, lambda t: 1 / (t + 1))}


@SETTINGS
@given(which=st.sampled_from(sorted(CLOSED)), epochs=st.lists(st.integers(0, 20), min_size=1, max_size=8),
       lrs=lr_lists)
def test_step_with_epoch_uses_the_closed_form_and_warns(which, epochs, lrs):
    def record(L):
        opt = make_opt(L, lrs)
        s = CLOSED[which](L, opt)
        out = []
        for e in epochs:
            opt.step()
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                s.step(e)
            out.append((list(s.get_last_lr()), s.last_epoch, [str(x.message) for x in w]))
        return out
    assert record(ML) == record(TL)


# ------------------------------------------------------------------------------------------------ warnings
def _warnings_of(L, scenario):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        scenario(L)
    return [(x.category.__name__, str(x.message)) for x in w]


def test_warning_when_the_scheduler_steps_before_the_optimizer():
    def scenario(L):
        s = L.StepLR(make_opt(L, [0.1]), 2)
        s.step(); s.step()
    m, t = _warnings_of(ML, scenario), _warnings_of(TL, scenario)
    assert m == t and len(m) == 1 and "before `optimizer.step()`" in m[0][1]


def test_no_warning_in_the_right_order():
    def scenario(L):
        opt = make_opt(L, [0.1])
        s = L.StepLR(opt, 2)
        for _ in range(3):
            opt.step(); s.step()
    assert _warnings_of(ML, scenario) == _warnings_of(TL, scenario) == []


def test_warning_when_optimizer_step_is_replaced_after_the_scheduler():
    def scenario(L):
        opt = make_opt(L, [0.1])
        s = L.ExponentialLR(opt, 0.5)
        opt.step = lambda closure=None: None
        s.step()
    m, t = _warnings_of(ML, scenario), _warnings_of(TL, scenario)
    assert m == t and len(m) == 1 and "overridden" in m[0][1]


def test_get_lr_outside_step_warns():
    def scenario(L):
        opt = make_opt(L, [0.1])
        L.StepLR(opt, 2).get_lr()
        L.OneCycleLR(opt, 1.0, total_steps=5).get_lr()
    m, t = _warnings_of(ML, scenario), _warnings_of(TL, scenario)
    assert m == t and len(m) == 2 and "get_last_lr()" in m[0][1]


def test_one_wrapper_for_several_schedulers():
    "A second scheduler on the same optimizer does not wrap optimizer.step again; the step counts once."
    for L in (ML, TL):
        opt = make_opt(L, [0.1])
        L.StepLR(opt, 2)
        wrapped = opt.step
        L.ExponentialLR(opt, 0.9)
        assert opt.step is wrapped and getattr(opt.step, "_wrapped_by_lr_sched", False)
        opt.step()
        assert opt._opt_called is True


# ------------------------------------------------------------------------------------------------ errors
class NoMomentum:
    "An optimizer of each library whose defaults have neither momentum nor betas."
    @staticmethod
    def make(L):
        base = torch.optim.Optimizer if is_torch(L) else MOptimizer
        return base([lib_of(L).zeros(2, requires_grad=True)], {"lr": 0.1})


ERRORS = {
    "not an optimizer": lambda L: L.StepLR("sgd", 3),
    "not an optimizer (plateau)": lambda L: L.ReduceLROnPlateau(object()),
    "not an optimizer (one cycle)": lambda L: L.OneCycleLR(None, 1.0, total_steps=3),
    "resume without initial_lr": lambda L: L.StepLR(make_opt(L, [0.1]), 3, last_epoch=4),
    "lambdas of the wrong length": lambda L: L.LambdaLR(make_opt(L, [0.1, 0.2]), [lambda t: 1.0]),
    "linear start 0": lambda L: L.LinearLR(make_opt(L, [0.1]), start_factor=0.0),
    "linear start > 1": lambda L: L.LinearLR(make_opt(L, [0.1]), start_factor=1.5),
    "linear end < 0": lambda L: L.LinearLR(make_opt(L, [0.1]), end_factor=-0.1),
    "linear end > 1": lambda L: L.LinearLR(make_opt(L, [0.1]), end_factor=1.1),
    "one cycle: nothing": lambda L: L.OneCycleLR(make_opt(L, [0.1]), 1.0),
    "one cycle: total_steps 0": lambda L: L.OneCycleLR(make_opt(L, [0.1]), 1.0, total_steps=0),
    "one cycle: total_steps float": lambda L: L.OneCycleLR(make_opt(L, [0.1]), 1.0, total_steps=5.0),
    "one cycle: epochs 0": lambda L: L.OneCycleLR(make_opt(L, [0.1]), 1.0, epochs=0, steps_per_epoch=3),
    "one cycle: steps_per_epoch": lambda L: L.OneCycleLR(make_opt(L, [0.1]), 1.0, epochs=2, steps_per_epoch=-1),
    "one cycle: pct_start int": lambda L: L.OneCycleLR(make_opt(L, [0.1]), 1.0, total_steps=10, pct_start=0),
    "one cycle: pct_start > 1": lambda L: L.OneCycleLR(make_opt(L, [0.1]), 1.0, total_steps=10, pct_start=1.5),
    "one cycle: strategy": lambda L: L.OneCycleLR(make_opt(L, [0.1]), 1.0, total_steps=10,
                                                  anneal_strategy="exp"),
    "one cycle: max_lr list": lambda L: L.OneCycleLR(make_opt(L, [0.1]), [1.0, 2.0], total_steps=10),
    "one cycle: momentum list": lambda L: L.OneCycleLR(make_opt(L, [0.1]), 1.0, total_steps=10,
                                                       max_momentum=[0.9, 0.95]),
    "one cycle: no momentum": lambda L: L.OneCycleLR(NoMomentum.make(L), 1.0, total_steps=10),
    "one cycle: no momentum, not cycled": lambda L: L.OneCycleLR(NoMomentum.make(L), 1.0, total_steps=10,
                                                                 cycle_momentum=False).get_last_lr(),
    "plateau: factor": lambda L: L.ReduceLROnPlateau(make_opt(L, [0.1]), factor=1.0),
    "plateau: mode": lambda L: L.ReduceLROnPlateau(make_opt(L, [0.1]), mode="lowest"),
    "plateau: threshold mode": lambda L: L.ReduceLROnPlateau(make_opt(L, [0.1]), threshold_mode="pct"),
    "plateau: min_lr list": lambda L: L.ReduceLROnPlateau(make_opt(L, [0.1]), min_lr=[0.0, 0.1]),
    "sequential: none": lambda L: L.SequentialLR(make_opt(L, [0.1]), [], []),
    "sequential: milestones": lambda L: _seq(L, [3, 6]),
    "sequential: not a scheduler": lambda L: L.SequentialLR(make_opt(L, [0.1]), [object()], []),
    "sequential: plateau": lambda L: _seq_plateau(L),
    "step_size 0": lambda L: L.StepLR(make_opt(L, [0.1]), 0).get_last_lr(),
    "constant: factor": lambda L: L.ConstantLR(make_opt(L, [0.1]), factor=1.5),
    "multiplicative: not callable": lambda L: L.MultiplicativeLR(make_opt(L, [0.1]), 0.9),
    "multiplicative: length": lambda L: L.MultiplicativeLR(make_opt(L, [0.1]), [lambda t: 1.0] * 2),
    "chained: none": lambda L: L.ChainedScheduler([]),
    "chained: plateau": lambda L: L.ChainedScheduler([L.ReduceLROnPlateau(make_opt(L, [0.1]))]),
    "chained: not a scheduler": lambda L: L.ChainedScheduler([object()], make_opt(L, [0.1])),
    "sgdr: T_0": lambda L: L.CosineAnnealingWarmRestarts(make_opt(L, [0.1]), 0),
    "sgdr: T_0 float": lambda L: L.CosineAnnealingWarmRestarts(make_opt(L, [0.1]), 2.0),
    "sgdr: T_mult": lambda L: L.CosineAnnealingWarmRestarts(make_opt(L, [0.1]), 2, T_mult=0),
    "sgdr: eta_min": lambda L: L.CosineAnnealingWarmRestarts(make_opt(L, [0.1]), 2, eta_min="0"),
    "sgdr: negative epoch": lambda L: L.CosineAnnealingWarmRestarts(make_opt(L, [0.1]), 2).step(-1),
    "cyclic: mode": lambda L: L.CyclicLR(make_opt(L, [0.1]), 0.1, 1.0, mode="sine"),
    "cyclic: not an optimizer": lambda L: L.CyclicLR(3, 0.1, 1.0),
    "cyclic: no momentum": lambda L: L.CyclicLR(NoMomentum.make(L), 0.1, 1.0),
    "cyclic: base_lr list": lambda L: L.CyclicLR(make_opt(L, [0.1]), [0.1, 0.2], 1.0),
}


def _seq(L, milestones):
    o = make_opt(L, [0.1])
    return L.SequentialLR(o, [L.ExponentialLR(o, 0.9), L.StepLR(o, 2)], milestones)


def _seq_plateau(L):
    o = make_opt(L, [0.1])
    return L.SequentialLR(o, [L.ExponentialLR(o, 0.9), L.ReduceLROnPlateau(o)], [3])


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch(name):
    m, t = outcome(ERRORS[name], ML), outcome(ERRORS[name], TL)
    assert m == t, f"{name}:\nmytorch {m}\ntorch   {t}"


def test_sequential_with_another_optimizer_raises_valueerror():
    def scenario(L):
        o1, o2 = make_opt(L, [0.1]), make_opt(L, [0.1])
        L.SequentialLR(o1, [L.ExponentialLR(o1, 0.9), L.StepLR(o2, 2)], [3])
    (_, mt, mm), (_, tt, tm) = outcome(scenario, ML), outcome(scenario, TL)
    assert mt == tt == "ValueError"
    prefix = "SequentialLR expects all schedulers to belong to the same optimizer, but got scheduler StepLR at index 1"
    assert mm.startswith(prefix) and tm.startswith(prefix)       # the rest prints each library's optimizer
    assert mm.endswith("which is different from SGD.") and tm.endswith("which is different from SGD.")


def test_plateau_with_an_added_group():
    def scenario(L, min_lr):
        lib = lib_of(L)
        o = make_opt(L, [0.1])
        s = L.ReduceLROnPlateau(o, patience=0, min_lr=min_lr)
        o.add_param_group({"params": [lib.zeros(1, requires_grad=True)], "lr": 0.5})
        for v in [1.0, 2.0, 3.0]:
            s.step(v)
        return [g["lr"] for g in o.param_groups], s.min_lrs
    for min_lr in [0.0, [0.0]]:
        assert outcome(lambda L: scenario(L, min_lr), ML) == outcome(lambda L: scenario(L, min_lr), TL)
    m = outcome(lambda L: scenario(L, [0.0]), ML)
    assert m[1] == "RuntimeError" and "differs from when `ReduceLROnPlateau` was initialized" in m[2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert scenario(ML, 0.0) == scenario(TL, 0.0)


# ------------------------------------------------------------------------------------------------ state_dict
class Factor:
    "A callable object as lr_lambda: LambdaLR saves its __dict__."
    def __init__(self, base): self.base = base
    def __call__(self, t): return self.base ** t


SCHEDULES = {
    "step": (lambda L, o: L.StepLR(o, 3, 0.5), None),
    "multi": (lambda L, o: L.MultiStepLR(o, [2, 4, 4, 9], 0.3), None),
    "exp": (lambda L, o: L.ExponentialLR(o, 0.93), None),
    "cos": (lambda L, o: L.CosineAnnealingLR(o, 5, 1e-3), None),
    "lambda": (lambda L, o: L.LambdaLR(o, [Factor(0.9), lambda t: 1 / (t + 1)]), None),
    "linear": (lambda L, o: L.LinearLR(o, 0.25, 0.75, 6), None),
    "sequential": (lambda L, o: L.SequentialLR(o, [L.LinearLR(o, 0.1, total_iters=3),
                                                   L.CosineAnnealingLR(o, 8)], [3]), None),
    "onecycle": (lambda L, o: L.OneCycleLR(o, [1.0, 0.5], total_steps=30, three_phase=True), None),
    "constant": (lambda L, o: L.ConstantLR(o, 0.5, 4), None),
    "multiplicative": (lambda L, o: L.MultiplicativeLR(o, [Factor(0.9), lambda t: 0.95]), None),
    "chained": (lambda L, o: L.ChainedScheduler([L.ConstantLR(o, 0.1, 5), L.ExponentialLR(o, 0.9)]), None),
    "sgdr": (lambda L, o: L.CosineAnnealingWarmRestarts(o, 3, 2, 1e-4), None),
    "cyclic": (lambda L, o: L.CyclicLR(o, 0.01, [0.1, 0.2], 4, 2, mode="exp_range", gamma=0.97), None),
    "cyclic-custom": (lambda L, o: L.CyclicLR(o, 0.01, 0.1, 3, scale_fn=Factor(0.8)), None),
    "plateau": (lambda L, o: L.ReduceLROnPlateau(o, patience=1, cooldown=1, min_lr=[1e-3, 0.0]),
                [3.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5] * 3),
}


def _plain(x):
    "A state_dict made comparable across the libraries (no callables, sorted keys, Counter as dict)."
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(v) for v in x)
    return x


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_state_dict_equals_torchs(name):
    make, metrics = SCHEDULES[name]
    states = []
    for L in (ML, TL):
        opt = make_opt(L, [0.1, 0.2])
        s = make(L, opt)
        for i in range(7):
            opt.step()
            s.step() if metrics is None else s.step(metrics[i])
        states.append(_plain(s.state_dict()))
        if name == "onecycle":   # the groups' keys the scheduler added
            states[-1]["groups"] = [{k: v for k, v in g.items() if k not in ("params",)}
                                    for g in opt.state_dict()["param_groups"]]
    assert states[0] == states[1]
    assert "optimizer" not in states[0]


def test_lambdalr_state_dict_saves_callable_objects_only():
    opt = make_opt(ML, [0.1, 0.2])
    f = Factor(0.9)
    s = ML.LambdaLR(opt, [f, lambda t: 1.0])
    assert s.state_dict()["lr_lambdas"] == [{"base": 0.9}, None]
    sd = s.state_dict()
    sd["lr_lambdas"][0]["base"] = 0.5
    s2 = ML.LambdaLR(make_opt(ML, [0.1, 0.2]), [Factor(0.1), lambda t: 1.0])
    s2.load_state_dict(sd)
    assert s2.lr_lambdas[0].base == 0.5 and "lr_lambdas" in sd       # the caller's dict is left whole


@pytest.mark.parametrize("name", sorted(SCHEDULES))
@pytest.mark.parametrize("cut", [0, 4, 11])
def test_resume_continues_bitwise(name, cut):
    """Save the optimizer's and the scheduler's state_dict after `cut` steps, build a fresh optimizer and scheduler,
    load both (scheduler built first, as PyTorch's docs say), continue: the same records as the uninterrupted run,
    bit for bit, and the same as torch's resumed run. The state goes through pickle, as torch.save would."""
    make, metrics = SCHEDULES[name]
    n = 24

    def drive(opt, s, steps, offset):
        out = []
        for i in range(steps):
            opt.step()
            s.step() if metrics is None else s.step(metrics[offset + i])
            out.append((list(s.get_last_lr()), group_hypers(opt)))
        return out

    def resumed(L):
        opt = make_opt(L, [0.1, 0.2])
        s = make(L, opt)
        head = drive(opt, s, cut, 0)
        saved = pickle.dumps({"opt": opt.state_dict(), "sched": s.state_dict()})
        opt2 = make_opt(L, [0.1, 0.2])
        s2 = make(L, opt2)
        ck = pickle.loads(saved)
        opt2.load_state_dict(ck["opt"])
        s2.load_state_dict(ck["sched"])
        return head + drive(opt2, s2, n - cut, cut)

    def full(L):
        opt = make_opt(L, [0.1, 0.2])
        return drive(opt, make(L, opt), n, 0)

    assert resumed(ML) == full(ML)
    assert resumed(ML) == resumed(TL)


def test_resume_with_last_epoch_matches_torch():
    "A scheduler re-created with last_epoch=k on an optimizer whose groups hold initial_lr (the old way to resume)."
    for which in ["step", "exp", "cos", "linear", "multi"]:
        make = SCHEDULES[which][0]

        def scenario(L):
            opt = make_opt(L, [0.1, 0.2])
            s = make(L, opt)
            for _ in range(5):
                opt.step(); s.step()
            sd = opt.state_dict()
            opt2 = make_opt(L, [0.1, 0.2])
            opt2.load_state_dict(sd)
            kw = {"step": dict(step_size=3, gamma=0.5), "exp": dict(gamma=0.93), "cos": dict(T_max=5, eta_min=1e-3),
                  "linear": dict(start_factor=0.25, end_factor=0.75, total_iters=6),
                  "multi": dict(milestones=[2, 4, 4, 9], gamma=0.3)}[which]
            cls = {"step": L.StepLR, "exp": L.ExponentialLR, "cos": L.CosineAnnealingLR, "linear": L.LinearLR,
                   "multi": L.MultiStepLR}[which]
            s2 = cls(opt2, last_epoch=5, **kw)
            out = [list(s2.get_last_lr())]
            for _ in range(8):
                opt2.step(); s2.step()
                out.append(list(s2.get_last_lr()))
            return out
        assert outcome(scenario, ML) == outcome(scenario, TL)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert scenario(ML) == scenario(TL), which


def test_building_the_scheduler_after_loading_loses_the_rate_as_in_torch():
    "The wrong order (load the optimizer's state, then build the scheduler) gives torch's (wrong) rates too."
    make = SCHEDULES["linear"][0]

    def scenario(L):
        opt = make_opt(L, [0.1, 0.2])
        s = make(L, opt)
        for _ in range(3):
            opt.step(); s.step()
        ck = {"opt": opt.state_dict(), "sched": s.state_dict()}
        opt2 = make_opt(L, [0.1, 0.2])
        opt2.load_state_dict(ck["opt"])
        s2 = make(L, opt2)
        s2.load_state_dict(ck["sched"])
        return [g["lr"] for g in opt2.param_groups]
    m = scenario(ML)
    assert m == scenario(TL)
    assert m == pytest.approx([0.05 * 0.25, 0.1 * 0.25])    # the loaded epoch-3 rate, scaled by epoch 0's factor


# ------------------------------------------------------------------------------------------------ Tensor lrs
def test_tensor_lr_is_filled_in_place_and_copied_out():
    "PyTorch lets group['lr'] be a 0-d Tensor: the scheduler fills it in place and hands out clones."
    out = []
    for L in (ML, TL):
        lib = lib_of(L)
        base = torch.optim.Optimizer if is_torch(L) else MOptimizer
        lr = lib.tensor(0.5, dtype=lib.float64)
        opt = base([lib.zeros(2, requires_grad=True)], {"lr": lr})
        s = L.ExponentialLR(opt, 0.5)
        rec = []
        opt.step = (lambda *a, **k: None)                # the base classes have no update rule
        for _ in range(3):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")          # (which says so: optimizer.step was replaced)
                s.step()
            last = s.get_last_lr()[0]
            assert opt.param_groups[0]["lr"] is lr                  # the same tensor, filled
            assert last is not lr and float(last) == float(lr)      # a copy
            rec.append(float(last))
        out.append(rec)
    assert out[0] == out[1] == [0.25, 0.125, 0.0625]


# ------------------------------------------------------------------------------------------------ trajectories
def _quadratic(lib, p, c, t):
    return (c * (p - t) ** 2).sum()


TRAJ = {
    "sgd+onecycle": ("sgd", dict(lr=0.01), lambda L, o: L.OneCycleLR(o, 0.3, total_steps=120)),
    "sgd-nesterov+warmup-cosine": ("sgd", dict(lr=0.05, momentum=0.9, nesterov=True),
                                   lambda L, o: L.SequentialLR(o, [L.LinearLR(o, 0.1, total_iters=10),
                                                                   L.CosineAnnealingLR(o, 110)], [10])),
    "adam+onecycle": ("adam", dict(lr=1e-3, betas=(0.9, 0.99)),
                      lambda L, o: L.OneCycleLR(o, 0.05, total_steps=120, three_phase=True)),
    "adam+step": ("adam", dict(lr=0.05), lambda L, o: L.StepLR(o, 25, 0.5)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(TRAJ))
def test_trajectory_under_a_schedule_matches_torch(name, dtype):
    "120 steps of an optimizer under a schedule on a quadratic, each library computing its own gradient."
    kind, kw, make = TRAJ[name]
    rng = np.random.default_rng(0)
    p0, c, t = rng.normal(size=(3, 4)), rng.uniform(0.5, 3.0, size=(3, 4)), rng.normal(size=(3, 4))
    results = []
    for L in (ML, TL):
        lib = lib_of(L)
        dt = getattr(lib, dtype)
        p = lib.tensor(p0, dtype=dt, requires_grad=True)
        cc, tt = lib.tensor(c, dtype=dt), lib.tensor(t, dtype=dt)
        opt = (torch.optim.SGD if is_torch(L) else MSGD)([p], **kw) if kind == "sgd" else \
            (torch.optim.Adam if is_torch(L) else madam())([p], **kw)
        s = make(L, opt)
        traj = []
        for _ in range(120):
            opt.zero_grad()
            _quadratic(lib, p, cc, tt).backward()
            opt.step()
            s.step()
            traj.append(p.detach().clone())
        results.append((traj, [group_hypers(opt)]))
    for i, (a, b) in enumerate(zip(results[0][0], results[1][0])):
        assert_close(a, b, f"{name} {dtype} step {i}", **TOL[dtype])
    assert results[0][1] == results[1][1]


SCHED_FOR_TRAJ = {
    "onecycle": lambda L, o, k: L.OneCycleLR(o, 0.05 + k, total_steps=100),
    "cos": lambda L, o, k: L.CosineAnnealingLR(o, 10 + int(100 * k), 1e-4),
    "exp": lambda L, o, k: L.ExponentialLR(o, 0.95 + k / 10),
    "warm": lambda L, o, k: L.LinearLR(o, 0.05 + k, total_iters=30),
    "plateau": lambda L, o, k: L.ReduceLROnPlateau(o, patience=2, factor=0.5, threshold=k),
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=3), dtype=st.sampled_from(["float32", "float64"]),
       opt_name=st.sampled_from(["sgd", "sgd-momentum", "adam", "adamw"]), which=st.sampled_from(sorted(SCHED_FOR_TRAJ)),
       k=st.floats(0.0, 0.04), seed=st.integers(0, 2 ** 16))
def test_trajectory_hypothesis(shape, dtype, opt_name, which, k, seed):
    "100 steps; shapes, dtypes, optimizers and schedules drawn by hypothesis; the schedule also sees the loss."
    rng = np.random.default_rng(seed)
    p0, c, t = rng.normal(size=shape), rng.uniform(0.5, 3.0, size=shape), rng.normal(size=shape)
    res = []
    for L in (ML, TL):
        lib = lib_of(L)
        dt = getattr(lib, dtype)
        p = lib.tensor(p0, dtype=dt, requires_grad=True)
        cc, tt = lib.tensor(c, dtype=dt), lib.tensor(t, dtype=dt)
        if opt_name.startswith("sgd"):
            opt = (torch.optim.SGD if is_torch(L) else MSGD)([p], lr=0.02,
                                                              momentum=0.9 if opt_name == "sgd-momentum" else 0)
        elif opt_name == "adam":
            opt = (torch.optim.Adam if is_torch(L) else madam())([p], lr=0.02)
        else:
            from mytorch.optim.adaptive import AdamW
            opt = (torch.optim.AdamW if is_torch(L) else AdamW)([p], lr=0.02)
        s = SCHED_FOR_TRAJ[which](L, opt, k)
        traj, lrs = [], []
        for _ in range(100):
            opt.zero_grad()
            loss = _quadratic(lib, p, cc, tt)
            loss.backward()
            opt.step()
            # the plateau sees a metric both libraries agree on exactly: improving, then flat
            s.step(max(1.0 / (1 + len(traj)), 0.05)) if which == "plateau" else s.step()
            traj.append(p.detach().clone())
            lrs.append(group_hypers(opt))
        res.append((traj, lrs))
    for i, (a, b) in enumerate(zip(res[0][0], res[1][0])):
        assert_close(a, b, f"{opt_name}+{which} {dtype} step {i}", **TOL[dtype])
    assert res[0][1] == res[1][1]


def test_plateau_step_with_epoch_warns_and_sets_last_epoch():
    def scenario(L):
        s = L.ReduceLROnPlateau(make_opt(L, [0.1]), patience=0)
        s.step(1.0, epoch=7)
        s.step(2.0)
        return s.last_epoch, s.get_last_lr()
    m, t = _warnings_of(ML, scenario), _warnings_of(TL, scenario)
    assert m == t and len(m) == 1 and "epoch parameter" in m[0][1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert scenario(ML) == scenario(TL) == (8, [0.1 * 0.1])


def test_resumed_training_is_bitwise_in_float64():
    "Model + SGD(momentum) + OneCycleLR: checkpoint at step 40 of 100, resume in fresh objects: identical weights."
    def train(steps, state=None):
        rng = np.random.default_rng(1)
        p = mytorch.tensor(rng.normal(size=5), dtype=mytorch.float64, requires_grad=True)
        c = mytorch.tensor(rng.uniform(0.5, 2, size=5), dtype=mytorch.float64)
        opt = MSGD([p], lr=0.01, momentum=0.9)
        s = ML.OneCycleLR(opt, 0.2, total_steps=100)
        if state is not None:
            with mytorch.no_grad():
                p.copy_(state["p"])
            opt.load_state_dict(state["opt"])
            s.load_state_dict(state["sched"])
        for _ in range(steps):
            opt.zero_grad()
            (c * p ** 2).sum().backward()
            opt.step()
            s.step()
        return p, pickle.loads(pickle.dumps({"p": p.detach().clone(), "opt": opt.state_dict(),
                                             "sched": s.state_dict()}))
    full, _ = train(100)
    _, ck = train(40)
    resumed, _ = train(60, ck)
    np.testing.assert_array_equal(resumed.detach().array, full.detach().array)


# ------------------------------------------------------------------------------------------------ lr_find
def _lr_find_setup(seed=0):
    from mytorch.nn.layers import Linear
    import mytorch.nn.functional as F
    mytorch.manual_seed(seed)
    model = Linear(3, 2)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    batches = [(mytorch.tensor(X[i:i + 16]), mytorch.tensor(y[i:i + 16])) for i in range(0, 64, 16)]
    return model, MSGD(model.parameters(), lr=0.3, momentum=0.9), F.cross_entropy, batches


def test_lr_find_restores_the_model_and_the_optimizer():
    model, opt, loss_fn, batches = _lr_find_setup()
    x, y = batches[0]
    opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()          # some momentum state to keep
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    opt_before = opt.state_dict()
    buf = {k: v["momentum_buffer"].array.copy() for k, v in opt_before["state"].items()}
    groups = [{k: v for k, v in g.items()} for g in opt_before["param_groups"]]
    lrs, losses = ML.lr_find(model, opt, loss_fn, batches, num_it=30)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.detach().array, before[k].array)
    after = opt.state_dict()
    assert after["param_groups"] == groups
    for k, v in after["state"].items():
        np.testing.assert_array_equal(v["momentum_buffer"].array, buf[k])


def test_lr_find_rates_are_geometric_and_losses_smoothed():
    model, opt, loss_fn, batches = _lr_find_setup()
    lrs, losses = ML.lr_find(model, opt, loss_fn, batches, start_lr=1e-5, end_lr=1e-2, num_it=20)
    assert len(lrs) == len(losses) == 20
    np.testing.assert_allclose(lrs, np.geomspace(1e-5, 1e-2, 20), rtol=1e-12)
    # the first smoothed value is the first loss itself (bias correction)
    x, y = batches[0]
    np.testing.assert_allclose(losses[0], loss_fn(model(x), y).item(), rtol=1e-6)


def test_lr_find_stops_when_the_loss_diverges():
    model, opt, loss_fn, batches = _lr_find_setup()
    lrs, losses = ML.lr_find(model, opt, loss_fn, batches, start_lr=1e-3, end_lr=1e6, num_it=200)
    assert len(lrs) < 200
    assert losses[-1] > 4 * losses.min() or math.isnan(losses[-1])
    assert np.all(losses[:-1] <= 4 * np.minimum.accumulate(losses)[:-1])


# ------------------------------------------------------------------------------------------------ tests can fail
class ClosedFormCosine(ML.CosineAnnealingLR):
    "A plausible mutant: the textbook closed form instead of PyTorch's recursion (same maths, other rounding)."
    def get_lr(self):
        return self._get_closed_form_lr()


class LinearOffByOne(ML.LinearLR):
    "A mutant warm-up that starts one step late."
    def get_lr(self):
        if self.last_epoch == 0:
            return [g["lr"] for g in self.optimizer.param_groups]
        self.last_epoch -= 1
        try:
            return super().get_lr() if self.last_epoch > 0 else [g["lr"] * self.start_factor
                                                                 for g in self.optimizer.param_groups]
        finally:
            self.last_epoch += 1


def test_mutants_are_caught():
    def mutant(cls_m, cls_t, *args):
        return lambda L, o: (cls_m if L is ML else cls_t)(o, *args)
    with pytest.raises(AssertionError):
        same_run(mutant(ClosedFormCosine, TL.CosineAnnealingLR, 7), [0.1, 0.3], 40)
    with pytest.raises(AssertionError):
        same_run(mutant(LinearOffByOne, TL.LinearLR, 0.2, 1.0, 5), [0.1], 10)
    with pytest.raises(AssertionError):   # a wrong momentum (no cycling) in OneCycleLR
        same_run(lambda L, o: L.OneCycleLR(o, 1.0, total_steps=20, cycle_momentum=L is TL), [0.1], 20)
