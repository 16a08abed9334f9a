"""Tests for nbs/09b_normalization.ipynb (mytorch/nn/functional/normalization.py), against PyTorch 2.13 as the oracle.

`batch_norm` (train and eval modes, running statistics over several steps, momentum, the module's cumulative
1/n momentum, empty batches), `layer_norm`, `group_norm`: forward values and dtypes, the gradients of input, weight
and bias (float32 and float64, hypothesis over shapes and options), `gradcheck`, PyTorch's grad_fn names, and every
error with PyTorch's exception type (and PyTorch's wording where the notebook keeps it). `dropout2d`/`dropout1d`:
whole channels dropped, the scale, the statistics of the mask, PyTorch's warnings for 3-D (and other) inputs, the
identity cases, in-place, and the errors. Tolerances: conftest's TOL/GRAD_TOL per dtype (float64 ~1e-10, float32
~2e-5 for values and 1e-4 for gradients); float32 sums run in another order than PyTorch's kernels.

The last tests show that the parity checks can fail: a backward without its projection term and a biased running
variance (both plausible mistakes) are caught."""
import inspect
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings, strategies as st

import mytorch
import mytorch.nn.functional.normalization as N
from mytorch.autograd.gradcheck import gradcheck
from conftest import assert_close, error_of, same_error

NAMES = ["batch_norm", "layer_norm", "group_norm", "dropout2d", "dropout1d"]
FLOATS = ["float32", "float64"]
FAST = settings(max_examples=100, deadline=None)


def test_all_is_exactly_the_functions_of_the_notebook():
    assert sorted(N.__all__) == sorted(NAMES)
    for name in NAMES:
        assert callable(getattr(N, name)) and getattr(N, name).__doc__, name


@pytest.mark.parametrize("name", NAMES)
def test_signature_is_torchs(name):
    ours, theirs = inspect.signature(getattr(N, name)), inspect.signature(getattr(TF, name))
    assert list(ours.parameters) == list(theirs.parameters)
    for p, q in zip(ours.parameters.values(), theirs.parameters.values()):
        assert p.kind == q.kind and p.default == q.default, f"{name}: {p} vs {q}"


# ------------------------------------------------------------------------------------------- running both libraries
def both(arrays, grad):
    "The arrays as mytorch and torch tensors ({name: array} -> two dicts; None stays None)."
    m, t = {}, {}
    for k, a in arrays.items():
        if a is None:
            m[k] = t[k] = None
            continue
        g = k in grad
        m[k] = mytorch.tensor(a.copy(), requires_grad=g)
        t[k] = torch.tensor(a.copy(), requires_grad=g)
    return m, t


def compare(fm, ft, arrays, grad, g, what):
    """Run fm(**mytorch tensors) and ft(**torch tensors), backpropagate g, and compare the outputs, the gradients of
    the names in `grad`, and the final values of every input (running statistics are updated in place)."""
    m, t = both(arrays, grad)
    ym, yt = fm(**m), ft(**t)
    assert_close(ym, yt, f"{what}: output")
    if grad:
        assert ym.grad_fn.name() == type(yt.grad_fn).__name__, f"{what}: {ym.grad_fn.name()}"
        ym.backward(mytorch.tensor(g)); yt.backward(torch.tensor(g))
        for k in grad:
            assert_close(m[k].grad, t[k].grad, f"{what}: grad of {k}",
                         **_grad_tol(arrays[k].dtype))
    for k in arrays:
        if arrays[k] is not None:
            assert_close(m[k].detach(), t[k].detach(), f"{what}: {k} after the call")
    return ym


def _grad_tol(dtype):
    return dict(rtol=1e-8, atol=1e-9) if dtype == np.float64 else dict(rtol=2e-4, atol=2e-4)


# ------------------------------------------------------------------------------------------- batch_norm
@st.composite
def bn_cases(draw):
    n = draw(st.integers(1, 5))
    c = draw(st.integers(1, 4))
    spatial = draw(st.lists(st.integers(1, 4), min_size=0, max_size=2))
    return dict(shape=(n, c, *spatial), training=draw(st.booleans()), affine=draw(st.sampled_from(
        ["none", "weight", "bias", "both"])), stats=draw(st.booleans()),
        momentum=draw(st.sampled_from([0.1, 0.0, 1.0, 0.37])), eps=draw(st.sampled_from([1e-5, 1e-3, 0.5])),
        dtype=draw(st.sampled_from(FLOATS)), seed=draw(st.integers(0, 2**31)))


@FAST
@given(bn_cases())
def test_batch_norm_matches_torch(case):
    rng = np.random.default_rng(case["seed"])
    shape, dt, c = case["shape"], case["dtype"], case["shape"][1]
    training = case["training"] or not case["stats"]          # eval needs running statistics
    if training and math.prod(shape) // c == 1:                # one value per channel: both raise
        same_error(lambda: N.batch_norm(mytorch.randn(*shape), None, None, training=True),
                   lambda: TF.batch_norm(torch.randn(*shape), None, None, training=True), message=False)
        return
    arrays = dict(x=(rng.standard_normal(shape) * 3 + 1).astype(dt),
                  w=rng.standard_normal(c).astype(dt) if case["affine"] in ("weight", "both") else None,
                  b=rng.standard_normal(c).astype(dt) if case["affine"] in ("bias", "both") else None,
                  rm=rng.standard_normal(c).astype(dt) if case["stats"] else None,
                  rv=(rng.random(c) + 0.5).astype(dt) if case["stats"] else None)
    grad = [k for k in ("x", "w", "b") if arrays[k] is not None]
    kw = dict(training=training, momentum=case["momentum"], eps=case["eps"])
    compare(lambda x, w, b, rm, rv: N.batch_norm(x, rm, rv, w, b, **kw),
            lambda x, w, b, rm, rv: TF.batch_norm(x, rm, rv, w, b, **kw),
            arrays, grad, rng.standard_normal(shape).astype(dt), f"batch_norm {case}")


@pytest.mark.parametrize("dt", FLOATS)
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 7), (3, 3, 4, 5)])
def test_batch_norm_running_statistics_over_several_steps(dt, shape):
    """Five training steps then eval, with the default momentum and with the module's cumulative average (what
    BatchNorm(momentum=None) passes: 1 / num_batches_tracked), against torch's functional and module."""
    rng = np.random.default_rng(0)
    c = shape[1]
    for momentum in (0.1, None):
        rm, rv = mytorch.zeros(c, dtype=getattr(mytorch, dt)), mytorch.ones(c, dtype=getattr(mytorch, dt))
        module = (torch.nn.BatchNorm1d if len(shape) < 4 else torch.nn.BatchNorm2d)(
            c, momentum=momentum, affine=False).to(getattr(torch, dt))
        for step in range(1, 6):
            x = (rng.standard_normal(shape) * step + step).astype(dt)
            ym = N.batch_norm(mytorch.tensor(x), rm, rv, training=True,
                              momentum=1 / step if momentum is None else momentum)
            yt = module(torch.tensor(x))
            assert_close(ym, yt.detach(), f"step {step}")
            assert_close(rm, module.running_mean, f"running_mean, step {step}")
            assert_close(rv, module.running_var, f"running_var, step {step}")
        module.eval()
        x = rng.standard_normal(shape).astype(dt)
        assert_close(N.batch_norm(mytorch.tensor(x), rm, rv), module(torch.tensor(x)).detach(), "eval")


def test_batch_norm_eval_uses_only_the_running_statistics():
    rng = np.random.default_rng(1)
    rm, rv = mytorch.tensor([1.0, -2.0]), mytorch.tensor([4.0, 0.25])
    x = mytorch.tensor(rng.standard_normal((3, 2, 2)).astype(np.float32))
    y = N.batch_norm(x, rm, rv, eps=0.0)
    want = (x.numpy() - np.array([1.0, -2.0])[:, None]) / np.sqrt(np.array([4.0, 0.25]))[:, None]
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-6)
    assert rm.tolist() == [1.0, -2.0] and rv.tolist() == [4.0, 0.25]     # not updated
    y1 = N.batch_norm(x[:1], rm, rv, eps=0.0)                                   # one example is fine in eval
    np.testing.assert_allclose(y1.numpy(), y.numpy()[:1], rtol=1e-6)


def test_batch_norm_running_statistics_are_updated_in_place_without_a_version_bump():
    "The tensors passed in are updated (not replaced); like torch's kernel, the version counter is not bumped."
    rm, rv = mytorch.zeros(3), mytorch.ones(3)
    arr_m, arr_v, ver = rm.array, rv.array, rm._version.value
    rm_t, rv_t = torch.zeros(3), torch.ones(3)
    x = np.random.default_rng(2).standard_normal((5, 3)).astype(np.float32)
    N.batch_norm(mytorch.tensor(x), rm, rv, training=True)
    TF.batch_norm(torch.tensor(x), rm_t, rv_t, training=True)
    assert rm.array is arr_m and rv.array is arr_v
    assert_close(rm, rm_t); assert_close(rv, rv_t)
    assert rm._version.value == ver and rm_t._version == 0


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_of_an_empty_batch(training):
    rm, rv = mytorch.tensor([0.5, 1.0]), mytorch.tensor([2.0, 3.0])
    rm_t, rv_t = torch.tensor([0.5, 1.0]), torch.tensor([2.0, 3.0])
    ym = N.batch_norm(mytorch.zeros(0, 2, 3), rm, rv, training=training)
    yt = TF.batch_norm(torch.zeros(0, 2, 3), rm_t, rv_t, training=training)
    assert_close(ym, yt); assert_close(rm, rm_t); assert_close(rv, rv_t)


def test_batch_norm_gradcheck_train_and_eval():
    rng = np.random.default_rng(3)
    x = mytorch.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    w = mytorch.tensor(rng.standard_normal(2), requires_grad=True)
    b = mytorch.tensor(rng.standard_normal(2), requires_grad=True)
    rm, rv = mytorch.tensor(rng.standard_normal(2)), mytorch.tensor(rng.random(2) + 0.5)
    assert gradcheck(lambda x, w, b: N.batch_norm(x, None, None, w, b, training=True), [x, w, b])
    assert gradcheck(lambda x, w, b: N.batch_norm(x, rm, rv, w, b), [x, w, b])
    assert gradcheck(lambda x: N.batch_norm(x, None, None, training=True), [x])
    x2 = mytorch.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    assert gradcheck(lambda x: N.batch_norm(x, None, None, training=True), [x2])


@pytest.mark.parametrize("fn", [lambda F, x: F.batch_norm(x, None, None, training=True),
                                lambda F, x: F.layer_norm(x, (3, 2)), lambda F, x: F.group_norm(x, 3)],
                         ids=["batch_norm", "layer_norm", "group_norm"])
def test_relu_in_place_on_the_output_is_allowed(fn):
    """`relu_` right after a norm (ResNet's ReLU(inplace=True)): the output is a fresh array even without affine
    parameters, so writing into it does not corrupt what backward saved; torch allows it too."""
    x = mytorch.randn(4, 3, 2, requires_grad=True)
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    y, yt = fn(N, x), fn(TF, xt)
    y.relu_(); yt.relu_()
    y.sum().backward(); yt.sum().backward()
    assert_close(x.grad, xt.grad, rtol=1e-4, atol=1e-5)


def test_batch_norm_one_value_per_channel_raises():
    for shape in [(1, 3), (1, 3, 1), (1, 2, 1, 1)]:
        e = same_error(lambda: N.batch_norm(mytorch.randn(*shape), None, None, training=True),
                       lambda: TF.batch_norm(torch.randn(*shape), None, None, training=True), message=False)
        assert str(e).startswith("Expected more than 1 value per channel when training, got input size "
                                 + str(shape)), e
        assert "hint" in str(e)


BN_ERRORS = [   # (what, scenario(lib, F), compare messages)
    ("eval without running stats", lambda L, F: F.batch_norm(L.randn(4, 3), None, None), True),
    ("only running_mean", lambda L, F: F.batch_norm(L.randn(4, 3), L.zeros(3), None, training=True), True),
    ("momentum None", lambda L, F: F.batch_norm(L.randn(4, 3), L.zeros(3), L.ones(3), training=True,
                                                momentum=None), False),
    ("eps 0 in training", lambda L, F: F.batch_norm(L.randn(4, 3), None, None, training=True, eps=0.0), True),
    ("negative eps", lambda L, F: F.batch_norm(L.randn(4, 3), L.zeros(3), L.ones(3), eps=-1.0), True),
    ("running_mean size", lambda L, F: F.batch_norm(L.randn(4, 2), L.zeros(3), L.ones(3)), True),
    ("running_var size", lambda L, F: F.batch_norm(L.randn(4, 3), L.zeros(3), L.ones(2)), True),
    ("weight size", lambda L, F: F.batch_norm(L.randn(4, 3), None, None, L.ones(2), training=True), True),
    ("bias size", lambda L, F: F.batch_norm(L.randn(4, 3), None, None, None, L.ones(4), training=True), True),
    ("int input", lambda L, F: F.batch_norm(L.arange(12).reshape(4, 3), None, None, training=True), False),
    ("float64 input, float32 stats", lambda L, F: F.batch_norm(L.randn(4, 3, dtype=L.float64), L.zeros(3),
                                                                 L.ones(3)), True),
    ("float32 input, float64 weight", lambda L, F: F.batch_norm(L.randn(4, 3), None, None,
                                                                  L.ones(3, dtype=L.float64),
                                                                  training=True), False),
    ("1-d input", lambda L, F: F.batch_norm(L.randn(3), L.zeros(3), L.ones(3)), False),
]


@pytest.mark.parametrize("what, scenario, message", BN_ERRORS, ids=[e[0] for e in BN_ERRORS])
def test_batch_norm_errors(what, scenario, message):
    e = same_error(lambda: scenario(mytorch, N), lambda: scenario(torch, TF), message=message)
    assert "batch_norm" in str(e) or message or "hint" in str(e), e


# ------------------------------------------------------------------------------------------- layer_norm
@st.composite
def ln_cases(draw):
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=4)))
    k = draw(st.integers(1, len(shape)))
    return dict(shape=shape, k=k, affine=draw(st.sampled_from(["none", "weight", "bias", "both"])),
                eps=draw(st.sampled_from([1e-5, 1e-2])), dtype=draw(st.sampled_from(FLOATS)),
                as_list=draw(st.booleans()), seed=draw(st.integers(0, 2**31)))


@FAST
@given(ln_cases())
def test_layer_norm_matches_torch(case):
    rng = np.random.default_rng(case["seed"])
    shape, dt, k = case["shape"], case["dtype"], case["k"]
    ns = shape[len(shape) - k:]
    arrays = dict(x=(rng.standard_normal(shape) * 2 - 1).astype(dt),
                  w=rng.standard_normal(ns).astype(dt) if case["affine"] in ("weight", "both") else None,
                  b=rng.standard_normal(ns).astype(dt) if case["affine"] in ("bias", "both") else None)
    grad = [k_ for k_ in ("x", "w", "b") if arrays[k_] is not None]
    nsa = list(ns) if case["as_list"] else ns
    compare(lambda x, w, b: N.layer_norm(x, nsa, w, b, case["eps"]),
            lambda x, w, b: TF.layer_norm(x, nsa, w, b, case["eps"]),
            arrays, grad, rng.standard_normal(shape).astype(dt), f"layer_norm {case}")


def test_layer_norm_gradcheck():
    rng = np.random.default_rng(4)
    x = mytorch.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    w = mytorch.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = mytorch.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda x, w, b: N.layer_norm(x, (3, 4), w, b), [x, w, b])
    assert gradcheck(lambda x: N.layer_norm(x, (4,)), [x])


LN_ERRORS = [
    ("int normalized_shape", lambda L, F: F.layer_norm(L.randn(2, 3), 3), False),
    ("empty normalized_shape", lambda L, F: F.layer_norm(L.randn(2, 3), ()), True),
    ("wrong normalized_shape", lambda L, F: F.layer_norm(L.randn(4, 3, 5), (4,)), True),
    ("too long normalized_shape", lambda L, F: F.layer_norm(L.randn(3, 5), (2, 3, 5)), True),
    ("weight shape", lambda L, F: F.layer_norm(L.randn(2, 5), (5,), L.ones(4)), True),
    ("bias shape", lambda L, F: F.layer_norm(L.randn(2, 5), (5,), None, L.ones(1, 5)), True),
    ("int input", lambda L, F: F.layer_norm(L.arange(6).reshape(2, 3), (3,)), False),
    ("mixed dtype", lambda L, F: F.layer_norm(L.randn(2, 3, dtype=L.float64), (3,), L.ones(3)), True),
]


@pytest.mark.parametrize("what, scenario, message", LN_ERRORS, ids=[e[0] for e in LN_ERRORS])
def test_layer_norm_errors(what, scenario, message):
    same_error(lambda: scenario(mytorch, N), lambda: scenario(torch, TF), message=message)


# ------------------------------------------------------------------------------------------- group_norm
@st.composite
def gn_cases(draw):
    groups = draw(st.integers(1, 3))
    c = groups * draw(st.integers(1, 3))
    n = draw(st.integers(1, 3))
    spatial = draw(st.lists(st.integers(1, 4), min_size=0, max_size=2))
    return dict(shape=(n, c, *spatial), groups=groups, affine=draw(st.sampled_from(["none", "weight", "both"])),
                eps=draw(st.sampled_from([1e-5, 1e-2])), dtype=draw(st.sampled_from(FLOATS)),
                seed=draw(st.integers(0, 2**31)))


@FAST
@given(gn_cases())
def test_group_norm_matches_torch(case):
    rng = np.random.default_rng(case["seed"])
    shape, dt, c, G = case["shape"], case["dtype"], case["shape"][1], case["groups"]
    if c // G * math.prod(shape[2:]) == 1 and shape[0] > 1:   # one value per group: see the next test
        return
    if shape[0] * c // G * math.prod(shape[2:]) == 1:         # PyTorch's (odd) one-value check
        e = same_error(lambda: N.group_norm(mytorch.randn(*shape), G), lambda: TF.group_norm(torch.randn(*shape), G))
        assert "hint" in str(e)
        return
    arrays = dict(x=(rng.standard_normal(shape) * 2 + 3).astype(dt),
                  w=rng.standard_normal(c).astype(dt) if case["affine"] != "none" else None,
                  b=rng.standard_normal(c).astype(dt) if case["affine"] == "both" else None)
    grad = [k for k in ("x", "w", "b") if arrays[k] is not None]
    compare(lambda x, w, b: N.group_norm(x, G, w, b, case["eps"]),
            lambda x, w, b: TF.group_norm(x, G, w, b, case["eps"]),
            arrays, grad, rng.standard_normal(shape).astype(dt), f"group_norm {case}")


def test_group_norm_of_one_value_per_group_is_the_bias():
    """With one value per group (x - mean = 0) the output is exactly the bias here; PyTorch's fused kernel leaves a
    rounding residue times 1/sqrt(eps), ~1e-5 (see the notebook's "Last bits"). Gradients: zero in both."""
    x = mytorch.randn(3, 2, requires_grad=True)
    b = mytorch.tensor([0.5, -1.0], requires_grad=True)
    y = N.group_norm(x, 2, None, b)
    assert (y.detach().numpy() == np.array([0.5, -1.0])).all()
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    yt = TF.group_norm(xt, 2, None, torch.tensor([0.5, -1.0]))
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), atol=1e-3)
    y.sum().backward(); yt.sum().backward()
    assert_close(x.grad, xt.grad)


def test_group_norm_gradcheck_and_its_extremes():
    rng = np.random.default_rng(5)
    x = mytorch.tensor(rng.standard_normal((2, 6, 2, 2)), requires_grad=True)
    w = mytorch.tensor(rng.standard_normal(6), requires_grad=True)
    b = mytorch.tensor(rng.standard_normal(6), requires_grad=True)
    for G in (1, 2, 3, 6):
        assert gradcheck(lambda x, w, b: N.group_norm(x, G, w, b), [x, w, b])
    np.testing.assert_allclose(N.group_norm(x, 1).detach().numpy(), N.layer_norm(x, (6, 2, 2)).detach().numpy(),
                               atol=1e-12)


GN_ERRORS = [
    ("1-d input", lambda L, F: F.group_norm(L.randn(6), 2), True),
    ("not divisible", lambda L, F: F.group_norm(L.randn(2, 5, 3), 2), True),
    ("weight shape", lambda L, F: F.group_norm(L.randn(2, 6, 3), 3, L.ones(3)), True),
    ("bias shape", lambda L, F: F.group_norm(L.randn(2, 6, 3), 3, None, L.ones(2, 3)), False),  # torch: "[0]"
    ("one value", lambda L, F: F.group_norm(L.randn(1, 3), 3), True),
    ("zero groups", lambda L, F: F.group_norm(L.randn(2, 6, 3), 0), False),
    ("int input", lambda L, F: F.group_norm(L.arange(12).reshape(2, 6), 3), False),
    ("mixed dtype", lambda L, F: F.group_norm(L.randn(2, 6, dtype=L.float64), 3, L.ones(6)), True),
]


@pytest.mark.parametrize("what, scenario, message", GN_ERRORS, ids=[e[0] for e in GN_ERRORS])
def test_group_norm_errors(what, scenario, message):
    same_error(lambda: scenario(mytorch, N), lambda: scenario(torch, TF), message=message)


# ------------------------------------------------------------------------------------------- dropout2d / dropout1d
def _maps(y, shape):
    "y as rows, one per (n, c) channel."
    return y.numpy().reshape(shape[0] * shape[1], -1)


@pytest.mark.parametrize("shape", [(50, 20, 3, 4), (50, 20, 6)])
@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout2d_drops_whole_channels_and_scales_the_rest(shape, p):
    mytorch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                        # the 3-D warning, tested below
        y = N.dropout2d(mytorch.ones(*shape), p)
    rows = _maps(y, shape)
    assert (rows == rows[:, :1]).all(), "a channel is not all dropped or all kept"
    kept = rows[:, 0] != 0
    np.testing.assert_allclose(rows[kept], 1 / (1 - p), rtol=1e-6)
    se = math.sqrt(p * (1 - p) / len(kept))
    assert abs((~kept).mean() - p) < 5 * se, f"dropped {(~kept).mean():.3f}, p = {p}"
    assert y.dtype == mytorch.float32


@pytest.mark.parametrize("p", [0.5, 1.0])
@pytest.mark.parametrize("dt", FLOATS)
def test_dropout2d_gradient_is_the_mask_and_node_is_torchs(p, dt):
    x = mytorch.randn(3, 4, 2, 2, dtype=getattr(mytorch, dt), requires_grad=True)
    y = N.dropout2d(x, p)
    y.backward(mytorch.ones(3, 4, 2, 2, dtype=getattr(mytorch, dt)))
    yt = TF.dropout2d(torch.randn(3, 4, 2, 2, dtype=getattr(torch, dt), requires_grad=True), p)
    assert y.grad_fn.name() == type(yt.grad_fn).__name__ == "MulBackward0"
    mask = (y.detach() / x.detach()).numpy()
    np.testing.assert_allclose(x.grad.numpy(), mask, rtol=1e-6)
    assert x.grad.dtype == x.dtype
    if p == 1.0:
        assert (y.detach().numpy() == 0).all()


def test_dropout_identity_cases_return_the_input():
    x = mytorch.randn(2, 3, 4, 4)
    assert N.dropout2d(x, training=False) is x
    assert N.dropout2d(x, p=0.0) is x
    e = mytorch.randn(0, 3, 4, 4)
    assert N.dropout2d(e) is e
    x3 = mytorch.randn(2, 3, 4)
    assert N.dropout1d(x3, training=False) is x3
    xt = torch.randn(2, 3, 4, 4)
    assert TF.dropout2d(xt, training=False) is xt and TF.dropout2d(xt, p=0.0) is xt


def test_dropout2d_inplace():
    leaf = mytorch.randn(2, 3, 2, 2, requires_grad=True)
    h = leaf * 1
    y = N.dropout2d(h, 0.5, inplace=True)
    assert y is h
    y.sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), (h.detach() / leaf.detach()).numpy(), rtol=1e-6)
    same_error(lambda: N.dropout2d(leaf, inplace=True), lambda: TF.dropout2d(torch.randn(2, 3, 2, 2,
                                                                               requires_grad=True), inplace=True),
               message=False)


def test_dropout1d_unbatched_and_batched():
    mytorch.manual_seed(1)
    y = N.dropout1d(mytorch.ones(40, 7), 0.5)                 # (C, L): one draw per channel
    assert y.shape == (40, 7) and (y.numpy() == y.numpy()[:, :1]).all()
    assert 0 < (y.numpy()[:, 0] == 0).sum() < 40
    x = mytorch.randn(5, 7, requires_grad=True)
    y = N.dropout1d(x, 0.5)
    yt = TF.dropout1d(torch.randn(5, 7, requires_grad=True), 0.5)
    assert y.grad_fn.name() == type(yt.grad_fn).__name__      # SqueezeBackward1
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), (y.detach() / x.detach()).numpy(), rtol=1e-6)
    h = x * 1
    assert N.dropout1d(h, 0.5, inplace=True) is h             # in place, unbatched
    y = N.dropout1d(mytorch.ones(4, 30, 3), 0.5)               # (N, C, L)
    assert (y.numpy() == y.numpy()[..., :1]).all()


def _warnings_of(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [(w.category, str(w.message)) for w in caught]


@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4), (2, 3, 4, 4), (2, 3, 1, 2, 2)])
def test_dropout2d_warnings_are_torchs(shape):
    "ERRATA §3.9: a 3-D input is taken as (N, C, L) with PyTorch's warning; 2-D and 5-D warn too; 4-D does not."
    ours = _warnings_of(lambda: N.dropout2d(mytorch.randn(*shape)))
    theirs = _warnings_of(lambda: TF.dropout2d(torch.randn(*shape)))
    assert ours == theirs
    assert bool(ours) == (len(shape) != 4)


def test_dropout_warning_points_at_the_callers_line():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        N.dropout2d(mytorch.randn(2, 3, 4))
    assert caught and caught[0].filename == __file__


DROPOUT_ERRORS = [
    ("p > 1", lambda L, F: F.dropout2d(L.randn(2, 3, 4, 4), 1.5), True),
    ("p < 0", lambda L, F: F.dropout1d(L.randn(2, 3, 4), -0.1), True),
    ("p nan", lambda L, F: F.dropout2d(L.randn(2, 3, 4, 4), float("nan")), True),
    ("1-d input", lambda L, F: F.dropout2d(L.randn(3)), True),
    ("int input", lambda L, F: F.dropout2d(L.arange(16).reshape(1, 1, 4, 4)), False),
    ("dropout1d 4-d", lambda L, F: F.dropout1d(L.randn(2, 3, 4, 5)), True),
    ("dropout1d 1-d", lambda L, F: F.dropout1d(L.randn(5)), True),
]


@pytest.mark.parametrize("what, scenario, message", DROPOUT_ERRORS, ids=[e[0] for e in DROPOUT_ERRORS])
def test_dropout_errors(what, scenario, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_error(lambda: scenario(mytorch, N), lambda: scenario(torch, TF), message=message)


# ------------------------------------------------------------------------------------------- the checks can fail
def test_parity_catches_a_backward_without_the_projection(monkeypatch):
    "Dropping the x̂·mean(g x̂) term of the hand-derived backward (a plausible slip) must fail the comparison."
    def wrong(gxhat, xhat, scale, sum_g, sum_gx, m):
        return scale * (gxhat - sum_g / m)
    monkeypatch.setattr(N, "_normalize_backward", wrong)
    rng = np.random.default_rng(6)
    arrays = dict(x=rng.standard_normal((4, 3, 2)), w=None, b=None, rm=None, rv=None)
    with pytest.raises(AssertionError, match="grad of x"):
        compare(lambda x, w, b, rm, rv: N.batch_norm(x, rm, rv, w, b, training=True),
                lambda x, w, b, rm, rv: TF.batch_norm(x, rm, rv, w, b, training=True),
                arrays, ["x"], rng.standard_normal((4, 3, 2)), "wrong backward")


def test_parity_catches_a_biased_running_variance(monkeypatch):
    "Updating running_var with the biased variance (ERRATA §3.8) must fail the comparison."
    original = N._stats
    def biased(x, sum_, m, eps):
        mean, xc, var, invstd = original(x, sum_, m, eps)
        return mean, xc, var * (m - 1) / m, invstd           # the update's m/(m-1) then gives the biased var
    monkeypatch.setattr(N, "_stats", biased)
    rng = np.random.default_rng(7)
    arrays = dict(x=rng.standard_normal((4, 3)), w=None, b=None, rm=np.zeros(3), rv=np.ones(3))
    with pytest.raises(AssertionError, match="rv after the call"):
        compare(lambda x, w, b, rm, rv: N.batch_norm(x, rm, rv, w, b, training=True),
                lambda x, w, b, rm, rv: TF.batch_norm(x, rm, rv, w, b, training=True),
                arrays, [], None, "biased running_var")


# ------------------------------------------------------------------------------------------- deliberately not matched
@pytest.mark.parametrize("fn", [lambda L, F, x: F.batch_norm(x, L.zeros(3), L.ones(3), L.ones(3), L.zeros(3), True),
                                lambda L, F, x: F.layer_norm(x, (2,), L.ones(2), L.zeros(2)),
                                lambda L, F, x: F.group_norm(x, 3, L.ones(3), L.zeros(3))],
                         ids=["batch_norm", "layer_norm", "group_norm"])
def test_mixed_precision_is_refused_with_a_hint(fn):
    "PyTorch's CPU kernels take a float16 input with float32 parameters; here all must share the input's dtype."
    x = np.random.default_rng(8).standard_normal((4, 3, 2))
    assert fn(torch, TF, torch.tensor(x, dtype=torch.float16)).dtype == torch.float16
    e = error_of(lambda: fn(mytorch, N, mytorch.tensor(x, dtype=mytorch.float16)))
    assert isinstance(e, RuntimeError) and "mixed dtype" in str(e) and "hint" in str(e), e
