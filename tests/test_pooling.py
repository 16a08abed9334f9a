"""Tests for nbs/09a_pooling.ipynb (mytorch/nn/functional/pooling.py), against PyTorch 2.13 as the oracle.

Every function of the notebook: forward values, result dtype and (with return_indices) the int64 indices, input
gradients against torch's for a random upstream gradient, in float32 and float64, over random shapes, kernel
sizes, strides, paddings, dilations and ceil_mode (hypothesis); `gradcheck`; the grad_fn names; ties (one element
gets the gradient, ERRATA §3.2), NaN and -inf; unbatched input (ERRATA §3.9); integer dtypes; and the errors, with
PyTorch's exception type and a message that starts with PyTorch's (a hint may follow).

Tolerances are conftest's per dtype (float64 1e-10 relative; float32 2e-5, gradients 1e-4): sums are added in
another order than torch's kernels. Max values and indices are compared exactly.
"""
import inspect
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import HealthCheck, given, settings, strategies as st

import mytorch
import mytorch.nn.functional.pooling as P
from mytorch.autograd import gradcheck
from conftest import assert_close, dtype_name, same_error, tol

NAMES = """max_pool1d max_pool2d avg_pool1d avg_pool2d adaptive_avg_pool1d adaptive_avg_pool2d
adaptive_max_pool1d adaptive_max_pool2d max_unpool2d""".split()
FLOATS = ["float32", "float64"]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def pair(arr, dtype="float64", grad=False):
    "The same values as a mytorch and a torch tensor (leaves; requiring grad if asked)."
    arr = np.asarray(arr).astype(dtype)
    return (mytorch.tensor(arr.copy(), requires_grad=grad and arr.dtype.kind == "f"),
            torch.tensor(arr.copy(), requires_grad=grad and arr.dtype.kind == "f"))


def run_both(fn, arr, dtype, *, seed=0, backward=True):
    """fn(F, x) on mytorch and on torch, for the same input. Both raise (same type, torch's message first), or
    both return: then values (and indices) agree, and for floats the input gradients of the same random upstream
    gradient agree. Returns mytorch's result."""
    m, t = pair(arr, dtype, grad=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rt = fn(TF, t)
    except Exception:                                  # noqa: BLE001 - mytorch must raise the same
        same_error(lambda: fn(P, m), lambda: fn(TF, t))
        return None
    rm = fn(P, m)
    ym, yt = (rm[0], rt[0]) if isinstance(rt, tuple) else (rm, rt)
    assert_close(ym, yt, "values")
    if isinstance(rt, tuple):
        assert_close(rm[1], rt[1], "indices")
    if backward and ym.dtype.kind == "f" and yt.numel():
        g = np.random.default_rng(seed).standard_normal(tuple(yt.shape)).astype(dtype)
        ym.backward(mytorch.tensor(g))
        yt.backward(torch.tensor(g))
        assert_close(m.grad, t.grad, "input gradient", **tol(dtype, grad=True))
    return rm


def data(draw, shape, ties):
    "Random values; with `ties`, small integers so that windows hold equal maxima."
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    return rng.integers(-3, 4, shape).astype(np.float64) if ties else rng.standard_normal(shape)


# ------------------------------------------------------------------------------------------- names, signatures
def test_all_is_exactly_the_functions_of_the_notebook():
    assert sorted(P.__all__) == sorted(NAMES)
    for name in NAMES:
        assert hasattr(TF, name), f"torch.nn.functional.{name} does not exist (fix the list)"
        assert callable(getattr(P, name)) and getattr(P, name).__doc__, name


SIGNATURES = {
    "max_pool2d": "(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False)",
    "max_pool1d": "(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False)",
    "avg_pool2d": "(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, "
                  "divisor_override=None)",
    "avg_pool1d": "(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True)",
    "adaptive_avg_pool2d": "(input, output_size)",
    "adaptive_avg_pool1d": "(input, output_size)",
    "adaptive_max_pool2d": "(input, output_size, return_indices=False)",
    "adaptive_max_pool1d": "(input, output_size, return_indices=False)",
    "max_unpool2d": "(input, indices, kernel_size, stride=None, padding=0, output_size=None)",
}


@pytest.mark.parametrize("name", NAMES)
def test_signature_is_torchs(name):
    "torch's documented signatures (its boolean_dispatch wrappers show only *args, **kwargs to inspect)."
    ours = inspect.signature(getattr(P, name))
    assert str(ours) == SIGNATURES[name]
    try:
        theirs = inspect.signature(getattr(TF, name))
    except ValueError:                                 # a builtin: its docstring states the signature
        theirs = None
    if theirs is not None and "args" not in theirs.parameters:
        assert list(theirs.parameters) == list(ours.parameters)
        assert [q.default for q in theirs.parameters.values()] == [q.default for q in ours.parameters.values()]
    else:
        assert name + SIGNATURES[name] in " ".join((getattr(TF, name).__doc__ or "").split())


def test_keyword_arguments_are_torchs():
    x = np.random.default_rng(0).standard_normal((1, 2, 6, 6))
    run_both(lambda F, t: F.max_pool2d(t, kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True,
                                       return_indices=True), x, "float64")
    run_both(lambda F, t: F.avg_pool2d(input=t, kernel_size=(2, 3), stride=1, padding=(1, 0), ceil_mode=False,
                                       count_include_pad=False, divisor_override=None), x, "float64")
    run_both(lambda F, t: F.adaptive_max_pool2d(t, output_size=(2, 3), return_indices=True), x, "float64")


# ------------------------------------------------------------------------------------------- max_pool2d
@st.composite
def pool_case(draw, dilation=True):
    k = tuple(draw(st.integers(1, 3)) for _ in range(2))
    d = tuple(draw(st.integers(1, 3)) for _ in range(2)) if dilation else (1, 1)
    p = tuple(draw(st.integers(0, ((k_ - 1) * d_ + 1) // 2)) for k_, d_ in zip(k, d))
    s = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3)), st.integers(1, 3)))
    lead = draw(st.sampled_from([(2, 3), (1, 1), (3,), (0, 2)]))
    H, W = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    shape = lead + (H, W)
    return shape, k, s, p, d, draw(st.booleans())


@SETTINGS
@given(case=pool_case(), dtype=st.sampled_from(FLOATS), ties=st.booleans(), special=st.booleans(),
       data=st.data())
def test_max_pool2d_matches_torch(case, dtype, ties, special, data):
    shape, k, s, p, d, ceil = case
    x = globals()["data"](data.draw, shape, ties)
    if special and x.size:                             # NaN and -inf: NaN wins, -inf is still a value
        x.flat[:: max(x.size // 3, 1)] = np.nan
        x.flat[1:: max(x.size // 2, 1)] = -np.inf
    try:                                               # torch's backward writes out of bounds for a
        ti = TF.max_pool2d(torch.tensor(x), k, s, p, d, ceil, return_indices=True)[1]   # window of padding
        inside = bool((ti < shape[-2] * shape[-1]).all())                                 # only: skip it
    except RuntimeError:
        inside = True
    run_both(lambda F, t: F.max_pool2d(t, k, s, p, d, ceil, return_indices=True), x, dtype, backward=inside)
    run_both(lambda F, t: F.max_pool2d(t, k, s, p, d, ceil), x, dtype, backward=inside)


@pytest.mark.parametrize("dtype", FLOATS)
def test_max_pool2d_cnn_sizes(dtype):
    x = np.random.default_rng(1).standard_normal((8, 16, 28, 28))
    for args in [(2,), (2, 2), (3, 2, 1), (3, 1, 1)]:
        run_both(lambda F, t: F.max_pool2d(t, *args, return_indices=True), x, dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_max_pool2d_cnn_sizes_without_indices_on_relu_ties(dtype):
    "The CNN's case (2x2 windows, stride 2, no indices: the fast path) on ReLU output, full of tied zeros."
    rng = np.random.default_rng(4)
    x = np.maximum(rng.standard_normal((8, 16, 28, 28)), 0)
    x[:, :, ::3] = 0.0                                  # whole rows of ties
    x[0, 0, :2, :2] = 1.5                              # a window of four equal maxima
    for args in [(2,), (2, 2), ((2, 2), (2, 2))]:
        run_both(lambda F, t: F.max_pool2d(t, *args), x, dtype)
    m = mytorch.tensor(x[:1, :1, :2, :2].copy(), requires_grad=True)
    P.max_pool2d(m, 2).sum().backward()
    assert m.grad.numpy().tolist() == [[[[1.0, 0.0], [0.0, 0.0]]]]       # all to the first, as torch


def test_max_pool2d_gradcheck_and_name():
    x = mytorch.tensor(np.random.default_rng(2).standard_normal((2, 3, 7, 6)), requires_grad=True)
    for kw in [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
               dict(kernel_size=(2, 3), stride=1, dilation=(2, 1), ceil_mode=True), dict(kernel_size=3, stride=1)]:
        assert gradcheck(lambda t: P.max_pool2d(t, **kw), [x])
    assert P.max_pool2d(x, 2).grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    assert P.max_pool2d(x, 2, return_indices=True)[0].grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    assert P.max_pool2d(x.detach(), 2).grad_fn is None


def test_max_pool2d_ties_send_the_gradient_to_one_element():
    "ERRATA §3.2: unlike amax, max pooling gives a tie's whole gradient to one element (torch: the first)."
    x = np.array([[[[2.0, 2.0, 1.0, 5.0], [2.0, 2.0, 5.0, 5.0]]]])
    run_both(lambda F, t: F.max_pool2d(t, 2, return_indices=True), x, "float64")
    m = mytorch.tensor(x, requires_grad=True)
    P.max_pool2d(m, 2).sum().backward()
    assert m.grad.numpy().tolist() == [[[[1.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]]]]


def test_max_pool2d_overlapping_windows_add_up():
    x = np.zeros((1, 1, 5, 5)); x[0, 0, 2, 2] = 9.0       # the centre wins all four 3x3/2 windows
    m = run_both(lambda F, t: F.max_pool2d(t, 3, 2), x, "float64")
    assert m.shape == (1, 1, 2, 2)
    mm = mytorch.tensor(x, requires_grad=True)
    P.max_pool2d(mm, 3, 2).sum().backward()
    assert mm.grad.numpy()[0, 0, 2, 2] == 4.0


def test_max_pool2d_window_of_padding_only():
    """Dilation can make a window hold padding only: torch gives -inf and an index outside the plane; its backward
    then writes out of bounds (not compared); ours gives that window no gradient."""
    x = np.arange(2.0).reshape(1, 1, 1, 2)
    for s in [None, 1]:
        run_both(lambda F, t: F.max_pool2d(t, (1, 2), s, (0, 1), (1, 3), return_indices=True), x, "float64",
                 backward=False)
        m = mytorch.tensor(x, requires_grad=True)
        y = P.max_pool2d(m, (1, 2), s, (0, 1), (1, 3))
        y.backward(mytorch.ones(*y.shape, dtype=mytorch.float64))
        assert m.grad.numpy().tolist() == [[[[0.0, 0.0]]]]


def test_max_pool2d_unbatched_and_empty_batch():
    x = np.random.default_rng(3).standard_normal((3, 6, 5))
    run_both(lambda F, t: F.max_pool2d(t, 2, return_indices=True), x, "float32")
    run_both(lambda F, t: F.max_pool2d(t, 2), np.zeros((0, 2, 4, 4)), "float32")


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "bool", "float16"])
def test_max_pool2d_dtypes(dtype):
    x = np.random.default_rng(4).integers(-100, 100, (2, 2, 5, 5))
    run_both(lambda F, t: F.max_pool2d(t, 2, padding=1, return_indices=True), x, dtype)


# ------------------------------------------------------------------------------------------- avg_pool2d
@SETTINGS
@given(case=pool_case(dilation=False), dtype=st.sampled_from(FLOATS), include=st.booleans(),
       divisor=st.sampled_from([None, None, 1, 3, -2]), data=st.data())
def test_avg_pool2d_matches_torch(case, dtype, include, divisor, data):
    shape, k, s, p, _, ceil = case
    x = globals()["data"](data.draw, shape, False)
    run_both(lambda F, t: F.avg_pool2d(t, k, s, p, ceil, include, divisor), x, dtype)


def test_avg_pool2d_gradcheck_name_and_cases():
    x = mytorch.tensor(np.random.default_rng(5).standard_normal((2, 3, 7, 6)), requires_grad=True)
    for kw in [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
               dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0), count_include_pad=False),
               dict(kernel_size=2, divisor_override=3)]:
        assert gradcheck(lambda t: P.avg_pool2d(t, **kw), [x])
    assert P.avg_pool2d(x, 2).grad_fn.name() == "AvgPool2DBackward0"
    ones = np.ones((1, 1, 5, 5))
    for kw in [dict(padding=1), dict(padding=1, ceil_mode=True), dict(padding=1, ceil_mode=True,
               count_include_pad=False), dict(ceil_mode=True, divisor_override=3)]:
        run_both(lambda F, t: F.avg_pool2d(t, 2, 2, **kw), ones, "float32")


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float16"])
def test_avg_pool2d_dtypes(dtype):
    "int64 divides with truncation toward zero, as torch's kernel (C integer division)."
    x = np.random.default_rng(6).integers(-100, 100, (2, 2, 5, 5))
    run_both(lambda F, t: F.avg_pool2d(t, 3, 2, 1), x, dtype)
    run_both(lambda F, t: F.avg_pool2d(t, 2, ceil_mode=True, count_include_pad=False), x, dtype)


def test_avg_pool2d_cnn_size_and_unbatched():
    run_both(lambda F, t: F.avg_pool2d(t, 2), np.random.default_rng(7).standard_normal((8, 16, 28, 28)),
             "float32")
    run_both(lambda F, t: F.avg_pool2d(t, 3, 1, 1), np.random.default_rng(8).standard_normal((4, 5, 6)),
             "float64")


# ------------------------------------------------------------------------------------------- adaptive
@SETTINGS
@given(lead=st.sampled_from([(2, 3), (1, 1), (3,), (0, 2)]), H=st.integers(1, 12), W=st.integers(1, 12),
       oh=st.one_of(st.none(), st.integers(0, 14)), ow=st.one_of(st.none(), st.integers(0, 14)),
       dtype=st.sampled_from(FLOATS), ties=st.booleans(), data=st.data())
def test_adaptive_pools_match_torch(lead, H, W, oh, ow, dtype, ties, data):
    x = globals()["data"](data.draw, lead + (H, W), ties)
    out = (oh, ow) if data.draw(st.booleans()) else (oh if oh is not None else 3)
    run_both(lambda F, t: F.adaptive_avg_pool2d(t, out), x, dtype)
    run_both(lambda F, t: F.adaptive_max_pool2d(t, out, return_indices=True), x, dtype)
    run_both(lambda F, t: F.adaptive_max_pool2d(t, out), x, dtype)


def test_adaptive_nan_ties_and_names():
    x = np.random.default_rng(9).integers(-2, 3, (2, 3, 7, 9)).astype(np.float64)
    x[0, 0, 1, 1] = x[1, 2, 3, 4] = x[1, 2, 3, 5] = np.nan
    run_both(lambda F, t: F.adaptive_max_pool2d(t, (3, 4), return_indices=True), x, "float64")
    m = mytorch.tensor(np.random.default_rng(10).standard_normal((2, 3, 7, 9)), requires_grad=True)
    t = torch.tensor(m.detach().numpy(), requires_grad=True)
    for fm, ft in [(P.adaptive_avg_pool2d(m, (3, 4)), TF.adaptive_avg_pool2d(t, (3, 4))),
                   (P.adaptive_avg_pool2d(m, 1), TF.adaptive_avg_pool2d(t, 1)),
                   (P.adaptive_max_pool2d(m, (3, 4)), TF.adaptive_max_pool2d(t, (3, 4))),
                   (P.adaptive_avg_pool1d(m[0], 1), TF.adaptive_avg_pool1d(t[0], 1)),
                   (P.max_pool1d(m[0], 2), TF.max_pool1d(t[0], 2)),
                   (P.avg_pool1d(m[0], 2), TF.avg_pool1d(t[0], 2)),
                   (P.adaptive_max_pool1d(m[0], 2), TF.adaptive_max_pool1d(t[0], 2))]:
        assert fm.grad_fn.name() == ft.grad_fn.name()
        below, theirs = fm.grad_fn.next_functions[0], ft.grad_fn.next_functions[0][0]
        if theirs.name() != "torch::autograd::AccumulateGrad":   # the node under Squeeze: the 2-d pool's
            assert below.name() == theirs.name()
    for out in [(3, 4), (2, 9), 1, (5, None)]:
        assert gradcheck(lambda t: P.adaptive_avg_pool2d(t, out), [m])
        assert gradcheck(lambda t: P.adaptive_max_pool2d(t, out), [m])


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "float16"])
def test_adaptive_dtypes(dtype):
    x = np.random.default_rng(11).integers(-100, 100, (2, 2, 5, 5))
    run_both(lambda F, t: F.adaptive_avg_pool2d(t, 2), x, dtype)
    run_both(lambda F, t: F.adaptive_max_pool2d(t, 2, return_indices=True), x, dtype)


# ------------------------------------------------------------------------------------------- 1-d
@SETTINGS
@given(lead=st.sampled_from([(2, 3), (3,), (0, 2)]), L=st.integers(1, 12), k=st.integers(1, 4),
       s=st.one_of(st.none(), st.integers(1, 3)), d=st.integers(1, 2), pp=st.integers(0, 2), ceil=st.booleans(),
       include=st.booleans(), out=st.integers(0, 8), dtype=st.sampled_from(FLOATS), ties=st.booleans(),
       data=st.data())
def test_pools_1d_match_torch(lead, L, k, s, d, pp, ceil, include, out, dtype, ties, data):
    x = globals()["data"](data.draw, lead + (L,), ties)
    try:                                               # a window of padding only: torch's backward
        ti = TF.max_pool1d(torch.tensor(x), k, s, pp, d, ceil, return_indices=True)[1]   # is not safe
        inside = bool((ti < L).all())
    except RuntimeError:
        inside = True
    run_both(lambda F, t: F.max_pool1d(t, k, s, pp, d, ceil, return_indices=True), x, dtype, backward=inside)
    run_both(lambda F, t: F.max_pool1d(t, k, s, pp, d, ceil), x, dtype, backward=inside)
    run_both(lambda F, t: F.avg_pool1d(t, k, s, pp, ceil, include), x, dtype)
    run_both(lambda F, t: F.adaptive_avg_pool1d(t, out), x, dtype)
    run_both(lambda F, t: F.adaptive_max_pool1d(t, out, return_indices=True), x, dtype)


def test_pools_1d_gradcheck_and_dtypes():
    x = mytorch.tensor(np.random.default_rng(12).standard_normal((2, 3, 9)), requires_grad=True)
    for f in [lambda t: P.max_pool1d(t, 3, 2, 1), lambda t: P.avg_pool1d(t, 3, 2, 1, ceil_mode=True),
              lambda t: P.adaptive_avg_pool1d(t, 4), lambda t: P.adaptive_max_pool1d(t, 4)]:
        assert gradcheck(f, [x])
    ints = np.arange(12).reshape(2, 6)
    for dtype in ["int64", "int32"]:
        run_both(lambda F, t: F.max_pool1d(t, 2), ints, dtype)                 # torch: NotImplementedError
        run_both(lambda F, t: F.max_pool1d(t, 2, return_indices=True), ints, dtype)
        run_both(lambda F, t: F.avg_pool1d(t, 2), ints, dtype)


# ------------------------------------------------------------------------------------------- max_unpool2d
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("k,s,p,size", [(2, None, 0, None), (2, 2, 0, (8, 9)), (3, 2, 1, (8, 8)), (3, 3, 1, (8, 8)),
                                        (2, 2, 0, (1, 1, 8, 8))])
def test_max_unpool2d_matches_torch(dtype, k, s, p, size):
    x = np.random.default_rng(13).standard_normal((2, 3, 8, 8))
    _, it = TF.max_pool2d(torch.tensor(x), k, s, p, return_indices=True)
    y = TF.max_pool2d(torch.tensor(x), k, s, p).numpy()
    im = mytorch.tensor(it.numpy())
    run_both(lambda F, t: F.max_unpool2d(t, im if F is P else it, k, s, p, size), y, dtype)
    run_both(lambda F, t: F.max_unpool2d(t[0], im[0] if F is P else it[0], k, s, p,
                                         None if size is None else size[-2:]), y, dtype)


def test_max_unpool2d_gradcheck_name_and_errors():
    y, i = P.max_pool2d(mytorch.tensor(np.random.default_rng(14).standard_normal((1, 2, 4, 4))), 2,
                        return_indices=True)
    y = y.double().requires_grad_()
    assert gradcheck(lambda t: P.max_unpool2d(t, i, 2), [y])
    assert P.max_unpool2d(y, i, 2).grad_fn.name() == "MaxUnpool2DBackward0"
    yt, it = torch.tensor(y.detach().numpy()), torch.tensor(i.numpy())
    bad_t = it.clone(); bad_t[0, 1, 1, 0] = 100                # one index outside the 4x4 plane
    bad = mytorch.tensor(bad_t.numpy())
    for fm, ft in [(lambda: P.max_unpool2d(y, i, 2, output_size=(7, 7)), lambda: TF.max_unpool2d(yt, it, 2, output_size=(7, 7))),
                   (lambda: P.max_unpool2d(y, i, 2, output_size=(4, 4, 4)), lambda: TF.max_unpool2d(yt, it, 2, output_size=(4, 4, 4))),
                   (lambda: P.max_unpool2d(y, i.int(), 2), lambda: TF.max_unpool2d(yt, it.int(), 2)),
                   (lambda: P.max_unpool2d(y, i[..., :1], 2), lambda: TF.max_unpool2d(yt, it[..., :1], 2)),
                   (lambda: P.max_unpool2d(y, bad, 2), lambda: TF.max_unpool2d(yt, bad_t, 2)),
                   (lambda: P.max_unpool2d(y[0, 0], i[0, 0], 2), lambda: TF.max_unpool2d(yt[0, 0], it[0, 0], 2)),
                   (lambda: P.max_unpool2d(y.long(), i, 2), lambda: TF.max_unpool2d(yt.long(), it, 2))]:
        same_error(fm, ft)


# ------------------------------------------------------------------------------------------- errors
X = np.random.default_rng(15).standard_normal((2, 3, 7, 7))
ERRORS = [
    ("pad_too_big", lambda F, t: F.max_pool2d(t, 2, padding=2)),
    ("pad_too_big_3", lambda F, t: F.max_pool2d(t, 3, padding=2)),
    ("avg_pad_too_big", lambda F, t: F.avg_pool2d(t, 2, padding=2)),
    ("pad_negative", lambda F, t: F.max_pool2d(t, 2, padding=-1)),
    ("window_too_big", lambda F, t: F.max_pool2d(t, 9)),
    ("avg_window_too_big", lambda F, t: F.avg_pool2d(t, 9)),
    ("dilated_too_big", lambda F, t: F.max_pool2d(t, 3, dilation=4)),
    ("kernel_zero", lambda F, t: F.max_pool2d(t, 0)),
    ("kernel_negative", lambda F, t: F.max_pool2d(t, -1)),
    ("stride_zero", lambda F, t: F.max_pool2d(t, 2, stride=0)),
    ("stride_negative", lambda F, t: F.max_pool2d(t, 2, stride=-1)),
    ("dilation_zero", lambda F, t: F.max_pool2d(t, 2, dilation=0)),
    ("avg_stride_zero", lambda F, t: F.avg_pool2d(t, 2, stride=0)),
    ("avg_pad_negative", lambda F, t: F.avg_pool2d(t, 2, padding=-1)),
    ("kernel_3_tuple", lambda F, t: F.max_pool2d(t, (2, 2, 2))),
    ("avg_kernel_3_tuple", lambda F, t: F.avg_pool2d(t, (2, 2, 2))),
    ("stride_3_tuple", lambda F, t: F.max_pool2d(t, 2, (1, 2, 3))),
    ("padding_3_tuple", lambda F, t: F.max_pool2d(t, 2, padding=(1, 2, 3))),
    ("dilation_3_tuple", lambda F, t: F.max_pool2d(t, 2, dilation=(1, 2, 3))),
    ("avg_padding_3_tuple", lambda F, t: F.avg_pool2d(t, 2, padding=(1, 2, 3))),
    ("kernel_float", lambda F, t: F.max_pool2d(t, 2.0)),
    ("kernel_bool", lambda F, t: F.max_pool2d(t, True)),
    ("max_2d_input", lambda F, t: F.max_pool2d(t[0, 0], 2)),
    ("max_5d_input", lambda F, t: F.max_pool2d(t[None], 2)),
    ("avg_2d_input", lambda F, t: F.avg_pool2d(t[0, 0], 2)),
    ("avg_5d_input", lambda F, t: F.avg_pool2d(t[None], 2)),
    ("max_empty_channels", lambda F, t: F.max_pool2d(t[:, :0], 2)),
    ("max_empty_height", lambda F, t: F.max_pool2d(t[:, :, :0], 2)),
    ("avg_empty_channels", lambda F, t: F.avg_pool2d(t[:, :0], 2)),
    ("divisor_zero", lambda F, t: F.avg_pool2d(t, 2, divisor_override=0)),
    ("divisor_float", lambda F, t: F.avg_pool2d(t, 2, divisor_override=2.5)),
    ("adaptive_avg_3_sizes", lambda F, t: F.adaptive_avg_pool2d(t, (2, 2, 2))),
    ("adaptive_max_3_sizes", lambda F, t: F.adaptive_max_pool2d(t, (2, 2, 2))),
    ("adaptive_avg_negative", lambda F, t: F.adaptive_avg_pool2d(t, -1)),
    ("adaptive_max_negative", lambda F, t: F.adaptive_max_pool2d(t, -1)),
    ("adaptive_avg_2d_input", lambda F, t: F.adaptive_avg_pool2d(t[0, 0], 2)),
    ("adaptive_max_2d_input", lambda F, t: F.adaptive_max_pool2d(t[0, 0], 2)),
    ("adaptive_avg_5d_input", lambda F, t: F.adaptive_avg_pool2d(t[None], 2)),
    ("adaptive_avg_empty_height", lambda F, t: F.adaptive_avg_pool2d(t[:, :, :0], 2)),
    ("adaptive_max_empty_width", lambda F, t: F.adaptive_max_pool2d(t[:, :, :, :0], 2)),
    ("max1d_4d_input", lambda F, t: F.max_pool1d(t, 2)),
    ("max1d_1d_input", lambda F, t: F.max_pool1d(t[0, 0, 0], 2)),
    ("max1d_kernel_zero", lambda F, t: F.max_pool1d(t[0], 0)),
    ("max1d_pad_too_big", lambda F, t: F.max_pool1d(t[0], 2, padding=2)),
    ("max1d_pad_negative", lambda F, t: F.max_pool1d(t[0], 2, padding=-1)),
    ("max1d_window_too_big", lambda F, t: F.max_pool1d(t[0], 9)),
    ("max1d_stride_zero", lambda F, t: F.max_pool1d(t[0], 2, stride=0)),
    ("max1d_dilation_zero", lambda F, t: F.max_pool1d(t[0], 2, dilation=0)),
    ("max1d_kernel_pair", lambda F, t: F.max_pool1d(t[0], (2, 2))),
    ("max1d_empty_length", lambda F, t: F.max_pool1d(t[0, :, :, :0], 2)),
    ("avg1d_4d_input", lambda F, t: F.avg_pool1d(t, 2)),
    ("avg1d_1d_input", lambda F, t: F.avg_pool1d(t[0, 0, 0], 2)),
    ("avg1d_kernel_pair", lambda F, t: F.avg_pool1d(t[0], (2, 2))),
    ("avg1d_pad_too_big", lambda F, t: F.avg_pool1d(t[0], 2, padding=2)),
    ("avg1d_window_too_big", lambda F, t: F.avg_pool1d(t[0], 9)),
    ("avg1d_stride_zero", lambda F, t: F.avg_pool1d(t[0], 2, stride=0)),
    ("max1d_indices_4d_input", lambda F, t: F.max_pool1d(t, 2, return_indices=True)),
    ("max1d_indices_kernel_pair", lambda F, t: F.max_pool1d(t[0], (2, 2), return_indices=True)),
    ("max1d_indices_pad_too_big", lambda F, t: F.max_pool1d(t[0], 2, 2, 2, return_indices=True)),
    ("max1d_indices_stride_zero", lambda F, t: F.max_pool1d(t[0], 2, 0, return_indices=True)),
    ("max1d_indices_window_too_big", lambda F, t: F.max_pool1d(t[0], 9, return_indices=True)),
    ("max1d_stride_pair", lambda F, t: F.max_pool1d(t[0], 2, (1, 1))),
    ("max1d_padding_pair", lambda F, t: F.max_pool1d(t[0], 2, 1, (1, 1))),
    ("max_pad_over_half_dilated_kernel", lambda F, t: F.max_pool2d(t, (2, 3), None, (0, 2), (1, 2))),
    ("max_stride_then_pad", lambda F, t: F.max_pool2d(t, 2, 0, -1)),
]


@pytest.mark.parametrize("grad", [False, True])
@pytest.mark.parametrize("name,fn", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_are_torchs(name, fn, grad):
    "With and without grad: torch's 1-d pools take another path (and wording) when the input requires grad."
    m, t = pair(X, grad=grad)
    same_error(lambda: fn(P, m), lambda: fn(TF, t))


def test_errors_name_the_shapes_with_a_hint():
    m = pair(X)[0]
    msg = str(same_error(lambda: P.max_pool2d(m[0, 0], 2), lambda: TF.max_pool2d(pair(X)[1][0, 0], 2)))
    assert "(7, 7)" in msg and "hint" in msg
    msg = str(same_error(lambda: P.max_pool2d(m, 9), lambda: TF.max_pool2d(pair(X)[1], 9)))
    assert "hint" in msg and "(7, 7)" in msg
    with pytest.raises(TypeError, match="must be Tensor"):
        P.max_pool2d([[1.0]], 2)


def test_return_indices_is_a_tuple_of_value_and_int64_index():
    m = mytorch.tensor(X)
    for y in [P.max_pool2d(m, 2, return_indices=True), P.adaptive_max_pool2d(m, 3, return_indices=True),
              P.max_pool1d(m[0], 2, return_indices=True)]:
        assert isinstance(y, tuple) and len(y) == 2 and dtype_name(y[1]) == "int64"
