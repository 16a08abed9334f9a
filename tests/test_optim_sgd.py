"""SGD (mytorch.optim.sgd, nbs/06a_sgd.ipynb) against PyTorch 2.13.

Trajectory parity: both libraries start from the same values, and each computes its own gradient of the same loss
(a quadratic bowl plus a small tanh term, so the gradient is not linear) with its own autograd, then steps its own
SGD; parameters are compared after every step, for at least 100 steps, in float32 and float64, with hypothesis over
the hyper-parameters (lr, momentum, dampening, weight_decay, nesterov, maximize) and the parameters' shapes.

Tolerances (stated once, used everywhere below):
- float64: rtol 1e-9, atol 1e-12. The only differences are rounding: PyTorch's `add_(x, alpha=a)` is one fused
  multiply-add, NumPy rounds `a * x` first, and the two tanh implementations may differ in the last bit.
- float32: rtol 1e-4, atol 1e-5, the same roundings at 24 bits, accumulated over 100+ steps (the updates contract,
  so errors do not grow without bound).
Resuming from a `state_dict` is compared with the uninterrupted run bit for bit (mytorch against itself).
"""
import copy
import inspect
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import array_shapes

import mytorch
from mytorch.optim.optimizer import Optimizer
from mytorch.optim.sgd import SGD

from conftest import outcome

import torch                                   # the oracle: a missing torch fails, never skips

TOLS = {"float64": dict(rtol=1e-9, atol=1e-12), "float32": dict(rtol=1e-4, atol=1e-5)}
SGD_KEYS = ["lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize", "foreach",
            "differentiable", "fused"]


# --------------------------------------------------------------------------------------------- the two runs
def lib_of(name):
    return mytorch if name == "mytorch" else torch


def sgd_of(name):
    return SGD if name == "mytorch" else torch.optim.SGD


def make_problem(seed, shapes, dtype):
    "Initial values and the loss's constants (curvature w in [0.2, 1], centre c) for each shape, as NumPy."
    rng = np.random.default_rng(seed)
    starts = [rng.normal(size=s).astype(dtype) for s in shapes]
    consts = [(rng.uniform(0.2, 1.0, size=s).astype(dtype), rng.normal(size=s).astype(dtype)) for s in shapes]
    return starts, consts


def loss_of(lib, params, consts, sign=1.0):
    "sign * sum over params of 0.5 w (p - c)^2 + 0.1 tanh(p): the same loss in either library."
    total = 0.0
    for p, (w, c) in zip(params, consts):
        total = total + (0.5 * w * (p - c) ** 2 + 0.1 * p.tanh()).sum()
    return total * sign


def run(name, starts, consts, groups, steps, sign=1.0, between=None, opt_cls=None, **kw):
    """Run one library's SGD for `steps` steps and return the parameters' values after every step (NumPy copies)
    and the optimizer. `groups`: None (all parameters in one group, hyper-parameters `kw`) or a list of (indices,
    group options). `between(t, opt)` runs before step t (to change hyper-parameters mid-run)."""
    lib = lib_of(name)
    params = [lib.tensor(a.copy(), requires_grad=True) for a in starts]
    cs = [(lib.tensor(w), lib.tensor(c)) for w, c in consts]
    if groups is None:
        opt = (opt_cls or sgd_of(name))(params, **kw)
    else:
        opt = (opt_cls or sgd_of(name))([dict(params=[params[i] for i in idx], **g) for idx, g in groups], **kw)
    trace = []
    for t in range(steps):
        if between is not None:
            between(t, opt)
        opt.zero_grad()
        loss_of(lib, params, cs, sign).backward()
        opt.step()
        trace.append([p.detach().numpy().copy() for p in params])
    return trace, opt


def assert_traces_close(mine, theirs, dtype, what=""):
    assert len(mine) == len(theirs)
    for t, (ms, ts) in enumerate(zip(mine, theirs)):
        for i, (m, r) in enumerate(zip(ms, ts)):
            assert m.dtype == r.dtype, f"{what} step {t + 1}, param {i}: dtype {m.dtype} vs torch {r.dtype}"
            np.testing.assert_allclose(m, r, err_msg=f"{what} step {t + 1}, param {i}", **TOLS[dtype])


def both(starts, consts, groups=None, steps=100, dtype="float64", **kw):
    "Run mytorch and torch alike and compare every step; return the two optimizers."
    mine, mopt = run("mytorch", starts, consts, groups, steps, **kw)
    theirs, topt = run("torch", starts, consts, groups, steps, **kw)
    assert_traces_close(mine, theirs, dtype, what=str(kw))
    return mopt, topt


# --------------------------------------------------------------------------------------------- API
def test_signature_is_torchs():
    ours, theirs = inspect.signature(SGD), inspect.signature(torch.optim.SGD)
    assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == \
        [(p.name, p.kind, p.default) for p in theirs.parameters.values()]


def test_sgd_is_an_optimizer_and_exported():
    import mytorch.optim.sgd as mod
    assert issubclass(SGD, Optimizer) and mod.__all__ == ["SGD"]


@pytest.mark.parametrize("kw", [{}, dict(lr=0.1, momentum=0.9), dict(momentum=0.9, nesterov=True),
                                dict(lr=0.5, momentum=0.3, dampening=0.2, weight_decay=1e-3, maximize=True),
                                dict(foreach=True), dict(foreach=False)])
def test_defaults_and_groups_as_torch(kw):
    m = SGD([mytorch.tensor([1.0], requires_grad=True)], **kw)
    t = torch.optim.SGD([torch.tensor([1.0], requires_grad=True)], **kw)
    assert list(m.defaults) == SGD_KEYS == list(t.defaults)
    assert m.defaults == t.defaults
    mg, tg = m.param_groups[0], t.param_groups[0]
    assert sorted(mg) == sorted(tg) and {k: v for k, v in mg.items() if k != "params"} == \
        {k: v for k, v in tg.items() if k != "params"}


# --------------------------------------------------------------------------------------------- errors
BAD = [dict(lr=-0.1), dict(lr=-1e-8, momentum=-1), dict(momentum=-0.5), dict(weight_decay=-1e-4),
       dict(nesterov=True), dict(nesterov=True, momentum=0.9, dampening=0.1),
       dict(nesterov=True, momentum=-0.1), dict(fused=True, differentiable=True),
       dict(fused=True, foreach=True)]
ACCEPTED = [dict(momentum=1.5), dict(dampening=-0.5), dict(momentum=0.9, dampening=2.0), dict(lr=0.0),
            dict(nesterov=True, momentum=0.9), dict(foreach=True, momentum=0.9)]


@pytest.mark.parametrize("kw", BAD + ACCEPTED)
def test_constructor_errors_as_torch(kw):
    def scenario(lib):
        opt = sgd_of("mytorch" if lib is mytorch else "torch")([lib.tensor([1.0], requires_grad=True)], **kw)
        return sorted((k, str(v)) for k, v in opt.param_groups[0].items() if k != "params")
    ours, theirs = outcome(scenario, mytorch), outcome(scenario, torch)
    assert ours == theirs


@pytest.mark.parametrize("make_lr", [lambda lib: lib.tensor([0.1, 0.2]), lambda lib: lib.zeros(2, 3)])
def test_tensor_lr_must_have_one_element(make_lr):
    def scenario(lib):
        sgd_of("mytorch" if lib is mytorch else "torch")([lib.tensor([1.0], requires_grad=True)], lr=make_lr(lib))
    assert outcome(scenario, mytorch) == outcome(scenario, torch) == \
        ("error", "ValueError", "Tensor lr must be 1-element")


@pytest.mark.parametrize("make_lr", [lambda lib: lib.tensor(-0.5), lambda lib: lib.tensor([-0.5])])
def test_negative_tensor_lr_message_as_torch(make_lr):
    "f'{lr}' of a 0-d tensor formats its value, of a 1-element tensor its repr: both as torch."
    def scenario(lib):
        sgd_of("mytorch" if lib is mytorch else "torch")([lib.tensor([1.0], requires_grad=True)],
                                                           lr=make_lr(lib))
    ours = outcome(scenario, mytorch)
    assert ours[:2] == ("error", "ValueError") and ours == outcome(scenario, torch)


@pytest.mark.parametrize("flag", ["fused", "differentiable"])
def test_unsupported_flags_raise_a_clear_error(flag):
    "Deliberately not matched: PyTorch runs these; mytorch has one NumPy update and says so."
    p = mytorch.tensor([1.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match=f"{flag}=True.*not supported"):
        SGD([p], **{flag: True})
    assert issubclass(NotImplementedError, RuntimeError)
    torch.optim.SGD([torch.tensor([1.0], requires_grad=True)], **{flag: True})   # torch accepts it


def test_base_class_errors_reach_through():
    "Errors of the base (O1's) surface unchanged through SGD's constructor, as in torch."
    for non_leaf in (False, True):
        def scenario(lib, non_leaf=non_leaf):
            ps = [lib.tensor([1.0], requires_grad=True) * 2] if non_leaf else []
            sgd_of("mytorch" if lib is mytorch else "torch")(ps, lr=0.1)
        ours = outcome(scenario, mytorch)
        assert ours[0] == "error" and ours == outcome(scenario, torch)


# --------------------------------------------------------------------------------------------- trajectories
shapes_st = st.lists(array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4), min_size=1, max_size=3)


@st.composite
def sgd_options(draw):
    momentum = draw(st.sampled_from([0.0, 0.0, 0.5, 0.9, 0.99]) | st.floats(0.01, 0.95))
    nesterov = momentum > 0 and draw(st.booleans())
    dampening = 0.0 if nesterov else draw(st.sampled_from([0.0, 0.0, 0.1, 0.5, 0.9]) | st.floats(-0.5, 1.0))
    return dict(lr=draw(st.sampled_from([0.0, 0.01, 0.1, 0.5]) | st.floats(1e-4, 0.5)),
                momentum=momentum, dampening=dampening, nesterov=nesterov,
                weight_decay=draw(st.sampled_from([0.0, 0.0, 1e-4, 0.01, 0.1])),
                maximize=draw(st.booleans()))


@settings(max_examples=30, deadline=None)
@given(opts=sgd_options(), shapes=shapes_st, dtype=st.sampled_from(["float32", "float64"]),
       seed=st.integers(0, 2 ** 16), steps=st.integers(100, 130))
def test_trajectory_parity(opts, shapes, dtype, seed, steps):
    starts, consts = make_problem(seed, shapes, dtype)
    sign = -1.0 if opts["maximize"] else 1.0        # maximize the negated loss: the same, convergent, problem
    mine, mopt = run("mytorch", starts, consts, None, steps, sign=sign, **opts)
    theirs, topt = run("torch", starts, consts, None, steps, sign=sign, **opts)
    assert_traces_close(mine, theirs, dtype, what=str(opts))
    ms, ts = mopt.state_dict()["state"], topt.state_dict()["state"]
    assert sorted(ms) == sorted(ts)
    for i in ts:
        assert list(ms[i]) == list(ts[i]) == ["momentum_buffer"]
        np.testing.assert_allclose(ms[i]["momentum_buffer"].numpy(), ts[i]["momentum_buffer"].numpy(),
                                   **TOLS[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", [dict(lr=0.1), dict(lr=0.1, momentum=0.9), dict(lr=0.05, momentum=0.9, nesterov=True),
                                dict(lr=0.1, momentum=0.8, dampening=0.5, weight_decay=0.05),
                                dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True)])
def test_every_option_for_200_steps(kw, dtype):
    starts, consts = make_problem(3, [(3, 4), (4,), ()], dtype)
    sign = -1.0 if kw.get("maximize") else 1.0
    mine, _ = run("mytorch", starts, consts, None, 200, sign=sign, **kw)
    theirs, _ = run("torch", starts, consts, None, 200, sign=sign, **kw)
    assert_traces_close(mine, theirs, dtype, what=str(kw))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_per_group_hyperparameters(dtype):
    starts, consts = make_problem(5, [(2, 3), (3,), (4,), ()], dtype)
    groups = [([0], dict(lr=0.02)), ([1], dict(momentum=0.9, nesterov=True, lr=0.05)),
              ([2], dict(weight_decay=0.1, dampening=0.3)), ([3], dict(maximize=True, momentum=0.0))]
    # group 3 maximizes its own (negated) part: give it the negated loss through its constants' sign
    consts = consts[:3] + [(-consts[3][0], consts[3][1])]
    both(starts, consts, groups=groups, steps=120, dtype=dtype, lr=0.1, momentum=0.5)


def test_per_group_lrs_differ_as_expected():
    "One SGD step with two groups moves each group by its own lr (a direct check, not only parity)."
    a, b = mytorch.tensor([1.0, 2.0], requires_grad=True), mytorch.tensor([3.0], requires_grad=True)
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    ((a * a).sum() + (b * b).sum()).backward()
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), [1 - 0.1 * 2, 2 - 0.1 * 4], rtol=1e-6)
    np.testing.assert_allclose(b.detach().numpy(), [3 - 0.5 * 6], rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_hyperparameters_changed_between_steps(dtype):
    "A scheduler changes lr and momentum in the groups: PyTorch's buffer (lr outside it) must be followed."
    def between(t, opt):
        g = opt.param_groups[0]
        g["lr"] = 0.1 * 0.97 ** t
        g["momentum"] = [0.0, 0.9, 0.5, 0.0, 0.95][t // 25]     # off, on, changed, off (stale buffer), on
        g["nesterov"] = 25 <= t < 50
    starts, consts = make_problem(7, [(3, 2), (5,)], dtype)
    mine, _ = run("mytorch", starts, consts, None, 125, between=between, lr=0.1)
    theirs, _ = run("torch", starts, consts, None, 125, between=between, lr=0.1)
    assert_traces_close(mine, theirs, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_tensor_lr(dtype):
    for make in (lambda lib: lib.tensor(0.05), lambda lib: lib.tensor([0.05])):
        starts, consts = make_problem(11, [(4,)], dtype)
        mine, _ = run("mytorch", starts, consts, None, 100, lr=make(mytorch), momentum=0.9)
        theirs, _ = run("torch", starts, consts, None, 100, lr=make(torch), momentum=0.9)
        assert_traces_close(mine, theirs, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_tensor_weight_decay(dtype, momentum):
    "torch 2.13 types weight_decay `float | Tensor`; a 0-d Tensor once gave a silently wrong path here."
    starts, consts = make_problem(12, [(4,), (2, 3)], dtype)
    mine, _ = run("mytorch", starts, consts, None, 100, lr=0.05, momentum=momentum,
                  weight_decay=mytorch.tensor(0.3))
    theirs, _ = run("torch", starts, consts, None, 100, lr=0.05, momentum=momentum,
                    weight_decay=torch.tensor(0.3))
    assert_traces_close(mine, theirs, dtype)


def test_foreach_true_gives_the_same_numbers_as_torch_foreach():
    starts, consts = make_problem(13, [(3, 3), (2,)], "float64")
    both(starts, consts, steps=100, lr=0.1, momentum=0.9, nesterov=True, foreach=True)


def test_nesterov_in_an_added_group_without_momentum_is_plain_sgd():
    "add_param_group does not validate (in torch either): nesterov=True with momentum 0 is plain SGD."
    starts, consts = make_problem(17, [(3,), (2,)], "float64")
    def between(t, opt):
        if t == 0:
            params = opt.param_groups[0]["params"]
            opt.param_groups[0]["params"] = params[:1]
            opt.add_param_group({"params": params[1:], "nesterov": True, "momentum": 0.0})
    mine, _ = run("mytorch", starts, consts, None, 100, between=between, lr=0.1, momentum=0.9)
    theirs, _ = run("torch", starts, consts, None, 100, between=between, lr=0.1, momentum=0.9)
    assert_traces_close(mine, theirs, "float64")


def test_closure_returns_the_loss_and_steps_as_torch():
    for name in ("mytorch", "torch"):
        lib = lib_of(name)
        p = lib.tensor([1.0, -2.0], requires_grad=True)
        opt = sgd_of(name)([p], lr=0.1, momentum=0.9)
        def closure():
            opt.zero_grad()
            loss = (p * p).sum()
            loss.backward()
            return loss
        losses = [opt.step(closure).item() for _ in range(100)]
        if name == "mytorch":
            mine = (losses, p.detach().numpy().copy())
        else:
            np.testing.assert_allclose(mine[0], losses, rtol=1e-5, atol=1e-7)
            np.testing.assert_allclose(mine[1], p.detach().numpy(), rtol=1e-4, atol=1e-6)


def test_training_a_small_network_as_torch():
    "An MLP (Linear-Tanh-Linear, MSE) trained 100 steps with momentum, Nesterov and weight decay, in float64."
    from mytorch.nn.layers import Linear
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(32, 4)), rng.normal(size=(32, 2))
    W1, b1, W2, b2 = rng.normal(size=(8, 4)) * 0.5, rng.normal(size=8) * 0.1, rng.normal(size=(2, 8)) * 0.5, \
        np.zeros(2)
    results = {}
    for name in ("mytorch", "torch"):
        lib = lib_of(name)
        lin1 = Linear(4, 8, dtype=mytorch.float64) if name == "mytorch" else torch.nn.Linear(4, 8, dtype=torch.float64)
        lin2 = Linear(8, 2, dtype=mytorch.float64) if name == "mytorch" else torch.nn.Linear(8, 2, dtype=torch.float64)
        with (mytorch.no_grad() if name == "mytorch" else torch.no_grad()):
            for p, v in ((lin1.weight, W1), (lin1.bias, b1), (lin2.weight, W2), (lin2.bias, b2)):
                p.copy_(lib.tensor(v))
        params = [lin1.weight, lin1.bias, lin2.weight, lin2.bias]
        opt = sgd_of(name)([{"params": [lin1.weight, lin2.weight], "weight_decay": 1e-3},
                            {"params": [lin1.bias, lin2.bias]}], lr=0.05, momentum=0.9, nesterov=True)
        x, y = lib.tensor(X), lib.tensor(Y)
        for _ in range(100):
            opt.zero_grad()
            ((lin2(lin1(x).tanh()) - y) ** 2).mean().backward()
            opt.step()
        results[name] = [p.detach().numpy().copy() for p in params]
    for m, t in zip(results["mytorch"], results["torch"]):
        np.testing.assert_allclose(m, t, **TOLS["float64"])


# --------------------------------------------------------------------------------------------- bookkeeping
def test_parameters_without_grad_are_skipped_and_get_no_state():
    for name in ("mytorch", "torch"):
        lib = lib_of(name)
        a, b = lib.tensor([1.0, 2.0], requires_grad=True), lib.tensor([3.0], requires_grad=True)
        opt = sgd_of(name)([a, b], lr=0.1, momentum=0.9)
        (a * a).sum().backward()
        v = b._version if name == "torch" else b._version.value
        opt.step()
        assert b.grad is None and b.detach().numpy().tolist() == [3.0]
        assert (b._version if name == "torch" else b._version.value) == v
        assert list(opt.state_dict()["state"]) == [0]


def test_no_state_without_momentum_as_torch():
    starts, consts = make_problem(19, [(3,)], "float64")
    mopt, topt = both(starts, consts, steps=100, lr=0.1, weight_decay=0.1, maximize=False)
    assert mopt.state_dict()["state"] == {} == topt.state_dict()["state"]
    assert len(mopt.state) == 0


def test_state_dict_layout_as_torch():
    starts, consts = make_problem(23, [(2, 2), (3,), ()], "float64")
    groups = [([0, 2], dict(lr=0.05)), ([1], dict(nesterov=True))]
    mopt, topt = both(starts, consts, groups=groups, steps=100, lr=0.1, momentum=0.9)
    ms, ts = mopt.state_dict(), topt.state_dict()
    assert list(ms) == list(ts) == ["state", "param_groups"]
    assert ms["param_groups"] == ts["param_groups"]
    assert sorted(ms["state"]) == sorted(ts["state"]) == [0, 1, 2]
    for i in ts["state"]:
        m, t = ms["state"][i]["momentum_buffer"], ts["state"][i]["momentum_buffer"]
        assert tuple(m.shape) == tuple(t.shape) and str(m.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(m.numpy(), t.numpy(), **TOLS["float64"])


def test_first_buffer_is_the_processed_gradient():
    "b_1 = g_1 after maximize and weight decay, without dampening (PyTorch's first step)."
    for name in ("mytorch", "torch"):
        lib = lib_of(name)
        p = lib.tensor([1.0, -2.0], dtype=lib.float64, requires_grad=True)
        opt = sgd_of(name)([p], lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.1, maximize=True)
        (p * p).sum().backward()
        opt.step()
        np.testing.assert_array_equal(opt.state[p]["momentum_buffer"].numpy(),
                                      -2 * np.array([1.0, -2.0]) + 0.1 * np.array([1.0, -2.0]))


@pytest.mark.parametrize("kw", [dict(maximize=True), dict(weight_decay=0.1), dict(momentum=0.9),
                                dict(momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True)])
def test_grad_is_never_modified(kw):
    p = mytorch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    opt = SGD([p], lr=0.1, **kw)
    for _ in range(3):
        opt.zero_grad()
        (p * p).sum().backward()
        g = p.grad.numpy().copy()
        arr = p.grad.array
        opt.step()
        assert p.grad.array is arr
        np.testing.assert_array_equal(p.grad.numpy(), g)


@pytest.mark.parametrize("kw", [dict(momentum=0.9), dict(momentum=0.9, nesterov=True)])
def test_buffer_is_not_the_grad(kw):
    "Without maximize or weight decay the first buffer is the gradient's value: a copy, not .grad's array."
    p = mytorch.tensor([1.0, -2.0], requires_grad=True)
    opt = SGD([p], lr=0.1, **kw)
    (p * p).sum().backward()
    for _ in range(3):                                   # the same .grad, stepped three times
        opt.step()
    assert opt.state[p]["momentum_buffer"].array is not p.grad.array
    np.testing.assert_array_equal(p.grad.numpy(), [2.0, -4.0])


def test_buffer_and_parameter_are_updated_in_place():
    p = mytorch.tensor(np.ones((4, 4)), requires_grad=True)
    arr = p.array
    opt = SGD([p], lr=0.1, momentum=0.9)
    (p * p).sum().backward()
    opt.step()
    buf = opt.state[p]["momentum_buffer"]
    for _ in range(5):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
        assert opt.state[p]["momentum_buffer"] is buf and buf.array.shape == (4, 4)
    assert p.array is arr                                    # the parameter's storage is kept
    assert len(opt.state) == 1 and list(opt.state[p]) == ["momentum_buffer"]


def test_memory_does_not_grow_with_steps():
    import tracemalloc
    p = mytorch.tensor(np.ones(10_000), requires_grad=True)
    opt = SGD([p], lr=1e-3, momentum=0.9, nesterov=True, weight_decay=1e-4)
    p.grad = mytorch.tensor(np.full(10_000, 0.5))
    for _ in range(3):
        opt.step()
    tracemalloc.start()
    try:
        for _ in range(20):
            opt.step()
        mid = tracemalloc.get_traced_memory()[0]
        for _ in range(200):
            opt.step()
        end = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert end - mid < 4_000, f"{end - mid} bytes kept over 200 steps"


def test_step_bumps_the_version_so_a_stale_graph_raises_as_in_torch():
    def scenario(lib):
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        opt = sgd_of("mytorch" if lib is mytorch else "torch")([p], lr=0.1)
        y = (p * p).sum()                  # saves p
        y.backward(retain_graph=True)
        opt.step()
        y.backward()                       # p was changed in place since
    ours, theirs = outcome(scenario, mytorch), outcome(scenario, torch)
    assert ours[:2] == theirs[:2] == ("error", "RuntimeError")
    assert "modified by an inplace operation" in ours[2] and "modified by an inplace operation" in theirs[2]


def test_step_leaves_no_graph():
    p = mytorch.tensor([1.0, 2.0], requires_grad=True)
    opt = SGD([p], lr=0.1, momentum=0.9)
    (p * p).sum().backward()
    opt.step()
    assert p.grad_fn is None and p.is_leaf and p.requires_grad
    assert opt.state[p]["momentum_buffer"].requires_grad is False


# --------------------------------------------------------------------------------------------- resume
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", [dict(lr=0.1, momentum=0.9), dict(lr=0.05, momentum=0.9, nesterov=True,
                                                                 weight_decay=0.01),
                                dict(lr=0.1, momentum=0.5, dampening=0.3, maximize=True), dict(lr=0.1)])
def test_resume_from_state_dict_is_exact(kw, dtype):
    "Save mid-run, load into a fresh optimizer over fresh parameters, continue: bit for bit the same run."
    starts, consts = make_problem(29, [(3, 2), (4,)], dtype)
    sign = -1.0 if kw.get("maximize") else 1.0
    full, _ = run("mytorch", starts, consts, None, 120, sign=sign, **kw)
    first, opt = run("mytorch", starts, consts, None, 60, sign=sign, **kw)
    saved = copy.deepcopy(opt.state_dict())
    del opt
    params = [mytorch.tensor(a.copy(), requires_grad=True) for a in first[-1]]
    fresh = SGD(params, lr=123.0)                            # groups' hyper-parameters come from the state dict
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == kw["lr"]
    cs = [(mytorch.tensor(w), mytorch.tensor(c)) for w, c in consts]
    for t in range(60, 120):
        fresh.zero_grad()
        loss_of(mytorch, params, cs, sign).backward()
        fresh.step()
        for p, want in zip(params, full[t]):
            assert np.array_equal(p.detach().numpy(), want), f"step {t + 1} differs after resuming"


def test_resume_from_torchs_state_dict():
    "torch's state_dict, converted to mytorch tensors, continues torch's run in mytorch."
    starts, consts = make_problem(31, [(3, 3), (2,)], "float64")
    kw = dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)
    full, _ = run("torch", starts, consts, None, 120, **kw)
    first, topt = run("torch", starts, consts, None, 60, **kw)
    sd = topt.state_dict()
    converted = {"state": {i: {k: mytorch.tensor(v.numpy().copy()) for k, v in s.items()}
                           for i, s in sd["state"].items()},
                 "param_groups": copy.deepcopy(sd["param_groups"])}
    params = [mytorch.tensor(a.copy(), requires_grad=True) for a in first[-1]]
    opt = SGD(params)
    opt.load_state_dict(converted)
    cs = [(mytorch.tensor(w), mytorch.tensor(c)) for w, c in consts]
    for t in range(60, 120):
        opt.zero_grad()
        loss_of(mytorch, params, cs).backward()
        opt.step()
        for p, want in zip(params, full[t]):
            np.testing.assert_allclose(p.detach().numpy(), want, **TOLS["float64"])


def test_loading_an_old_checkpoint_fills_in_the_newer_options_as_torch():
    "Groups saved before nesterov/maximize/foreach/differentiable/fused existed get PyTorch's defaults."
    results = []
    for name in ("mytorch", "torch"):
        lib = lib_of(name)
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        opt = sgd_of(name)([p], lr=0.1, momentum=0.9)
        sd = copy.deepcopy(opt.state_dict())
        for key in ("nesterov", "maximize", "foreach", "differentiable", "fused"):
            del sd["param_groups"][0][key]
        opt.load_state_dict(sd)
        results.append({k: v for k, v in opt.param_groups[0].items() if k != "params"})
    assert results[0] == results[1]
    assert results[0]["fused"] is False                    # False here, where the constructor's default is None


def test_loading_float64_state_into_float32_parameters_casts_the_buffer():
    for name in ("mytorch", "torch"):
        lib = lib_of(name)
        p64 = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        opt = sgd_of(name)([p64], lr=0.1, momentum=0.9)
        (p64 * p64).sum().backward()
        opt.step()
        p32 = lib.tensor([1.0, 2.0], requires_grad=True)
        opt32 = sgd_of(name)([p32], lr=0.1, momentum=0.9)
        opt32.load_state_dict(opt.state_dict())
        assert str(opt32.state[p32]["momentum_buffer"].dtype).endswith("float32")


# --------------------------------------------------------------------------------------------- tests that can fail
class ZeroBufferSGD(SGD):
    "Wrong: the buffer starts at zero (so step 1 is damped and scaled), as some libraries do."
    def _update(self, p, grad, state, group):
        if group["momentum"] != 0 and state.get("momentum_buffer") is None:
            state["momentum_buffer"] = mytorch.tensor(np.zeros_like(p))
        super()._update(p, grad, state, group)


class DampeningAsFactorSGD(SGD):
    "Wrong: b = mu b + tau g (dampening read as the weight of the gradient, not 1 - tau)."
    def _update(self, p, grad, state, group):
        super()._update(p, grad, state, {**group, "dampening": 1 - group["dampening"]})


class LrInsideSGD(SGD):
    "Wrong for PyTorch: Sutskever's form, the learning rate inside the buffer (differs once lr changes)."
    def _update(self, p, grad, state, group):
        v = state.get("momentum_buffer")
        if v is None:
            v = state["momentum_buffer"] = mytorch.tensor(np.zeros_like(p))
        v.array[...] = group["momentum"] * v.array + group["lr"] * grad
        p -= v.array


class NesterovAsHeavyBallSGD(SGD):
    "Wrong: nesterov=True steps along the buffer (the heavy ball)."
    def _update(self, p, grad, state, group):
        super()._update(p, grad, state, {**group, "nesterov": False})


class DecayAfterMomentumSGD(SGD):
    "Wrong: weight decay added to the step, not to the gradient that enters the buffer."
    def _update(self, p, grad, state, group):
        p_before = p.copy()
        super()._update(p, grad, state, {**group, "weight_decay": 0})
        p -= group["lr"] * group["weight_decay"] * p_before


class MaximizeAfterDecaySGD(SGD):
    "Wrong: the sign flipped after weight decay (so maximize=True grows the weights)."
    def _update(self, p, grad, state, group):
        if group["maximize"] and group["weight_decay"]:
            g = -(grad + group["weight_decay"] * p)
            p -= group["lr"] * g
        else:
            super()._update(p, grad, state, group)


@pytest.mark.parametrize("broken, kw, between", [
    (ZeroBufferSGD, dict(lr=0.1, momentum=0.9, dampening=0.5), None),    # same as damping step 1
    (DampeningAsFactorSGD, dict(lr=0.1, momentum=0.9, dampening=0.3), None),
    (LrInsideSGD, dict(lr=0.1, momentum=0.9), lambda t, opt: opt.param_groups[0].update(lr=0.1 * 0.9 ** t)),
    (NesterovAsHeavyBallSGD, dict(lr=0.1, momentum=0.9, nesterov=True), None),
    (DecayAfterMomentumSGD, dict(lr=0.1, momentum=0.9, weight_decay=0.1), None),
    (MaximizeAfterDecaySGD, dict(lr=0.1, weight_decay=0.1, maximize=True), None),
])
def test_parity_check_catches_a_wrong_update(broken, kw, between):
    "Each broken variant differs from torch where the comparison above looks: it must fail there."
    for dtype in ("float32", "float64"):
        starts, consts = make_problem(37, [(3, 2), (4,)], dtype)
        sign = -1.0 if kw.get("maximize") else 1.0
        theirs, _ = run("torch", starts, consts, None, 100, sign=sign, between=between, **kw)
        ok, _ = run("mytorch", starts, consts, None, 100, sign=sign, between=between, **kw)
        assert_traces_close(ok, theirs, dtype)                  # the real SGD passes
        bad, _ = run("mytorch", starts, consts, None, 100, sign=sign, between=between, opt_cls=broken, **kw)
        with pytest.raises(AssertionError):
            assert_traces_close(bad, theirs, dtype)
