"""Gradient clipping (nbs/06c_clip_grad.ipynb, `mytorch.nn.utils.clip_grad`) against PyTorch 2.13.

Tolerances. The total norm and the clipped gradients agree with torch to conftest's tolerance for their dtype
(float64: rtol 1e-10, float32: rtol 2e-5, float16: rtol 2e-3). They are not bit-identical because each library sums
the squares in its own order (NumPy's BLAS dot, torch's vectorised kernels). Given the *same* total norm,
`clip_grads_with_norm_` agrees with torch bit for bit (the same two roundings of max_norm / (total + 1e-6), the same
multiplication dtype), and so does `clip_grad_value_`. Training with clipping + SGD for 100 steps (float64) follows
torch's trajectory to 1e-9.
"""
import inspect
import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import mytorch
from mytorch.nn.utils import clip_grad as C
from mytorch.nn.utils.clip_grad import (clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_,
                                        get_total_norm)
from conftest import TOL, as_numpy, assert_close, outcome

import torch.nn.utils as TU

PUBLIC = ["get_total_norm", "clip_grads_with_norm_", "clip_grad_norm_", "clip_grad_value_"]
INF = math.inf


# ------------------------------------------------------------------------------------------- helpers
def params(lib, grads):
    "Leaf tensors (zeros) of each gradient's shape and dtype, with `.grad` set (None stays None)."
    out = []
    for g in grads:
        if isinstance(g, tuple):                       # (shape, dtype) of a parameter without a gradient
            p = lib.tensor(np.zeros(g[0], dtype=g[1]), requires_grad=True)
        else:
            p = lib.tensor(np.zeros_like(g), requires_grad=True)
            p.grad = lib.tensor(g.copy())
        out.append(p)
    return out


def grads_of(ps):
    return [None if p.grad is None else as_numpy(p.grad).copy() for p in ps]


def loosest(grads):
    """The tolerance of the least precise gradient: a float64 total norm (and every gradient scaled by it) carries
    the rounding of a float32 or float16 gradient's own norm."""
    names = {np.dtype(g[1] if isinstance(g, tuple) else g.dtype).name for g in grads}
    return TOL["float16" if "float16" in names else "float32" if "float32" in names else "float64"]


def check_same_grads(mps, tps, exact=False, bounds=None):
    for i, (m, t) in enumerate(zip(mps, tps)):
        if exact and t.grad is not None:
            assert_close(m.grad, t.grad, what=f"grad {i}", rtol=0, atol=0)
        else:
            assert_close(m.grad, t.grad, what=f"grad {i}", **(bounds or {}))


def run_norm(fn_m, fn_t, grads, *args, **kwargs):
    """clip_grad_norm_ (or a stand-in) on both libraries: the outcomes (norm or error) must agree, and so must the
    clipped gradients."""
    mps, tps = params(mytorch, grads), params(torch, grads)
    m = outcome(lambda lib: fn_m(mps, *args, **kwargs), mytorch)
    t = outcome(lambda lib: fn_t(tps, *args, **kwargs), torch)
    assert m[0] == t[0], f"mytorch {m}, torch {t}"
    if t[0] == "error":
        assert m[1] == t[1], f"exception type: mytorch {m}, torch {t}"
        return
    assert_close(m[1], t[1], what="total norm", **loosest(grads))
    check_same_grads(mps, tps, bounds=loosest(grads))


# hypothesis: a list of 1-4 gradients of random shapes (0-d and size-0 included) and dtypes, some of them missing
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6)


@st.composite
def grad_lists(draw, dtypes=("float32", "float64")):
    n = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    out = []
    for _ in range(n):
        shape, dtype = draw(shapes), np.dtype(draw(st.sampled_from(dtypes)))
        if draw(st.integers(0, 5)) == 0:
            out.append((shape, dtype))               # no gradient
        else:
            scale = 10.0 ** draw(st.integers(-3, 3))
            out.append((rng.standard_normal(shape) * scale).astype(dtype))
    return out


NORM_TYPES = [2.0, 1.0, 3.0, 0.5, INF, -INF, 0.0, -1.0, "inf", 2]


# ------------------------------------------------------------------------------------------- names and signatures
@pytest.mark.parametrize("name", PUBLIC)
def test_public_names_and_signatures_are_pytorchs(name):
    assert hasattr(TU, name), f"torch.nn.utils.{name} is not a PyTorch name (fix the list)"
    mine, theirs = inspect.signature(getattr(C, name)), inspect.signature(getattr(TU, name))
    assert [(p.name, p.default) for p in mine.parameters.values()] == \
        [(p.name, p.default) for p in theirs.parameters.values()], (mine, theirs)
    assert getattr(C, name).__doc__


@pytest.mark.parametrize("name", PUBLIC)
def test_public_names_are_in_nn_utils_as_in_torch(name):
    "`nn.utils.clip_grad_norm_(...)`, as PyTorch users write it."
    import mytorch.nn as nn
    assert getattr(nn.utils, name) is getattr(C, name) and hasattr(torch.nn.utils, name)


# ------------------------------------------------------------------------------------------- parity
@settings(max_examples=300, deadline=None)
@given(grads=grad_lists(), norm_type=st.sampled_from(NORM_TYPES),
       max_norm=st.sampled_from([1e-3, 0.1, 1.0, 3.0, 1e3, 0.0, -1.0]))
def test_clip_grad_norm_matches_torch(grads, norm_type, max_norm):
    run_norm(clip_grad_norm_, TU.clip_grad_norm_, grads, max_norm, norm_type=norm_type)


@settings(max_examples=60, deadline=None)
@given(grads=grad_lists(), norm_type=st.sampled_from(NORM_TYPES))
def test_get_total_norm_matches_torch(grads, norm_type):
    gs = [g for g in grads if not isinstance(g, tuple)]
    m = outcome(lambda lib: get_total_norm([mytorch.tensor(g) for g in gs], norm_type), mytorch)
    t = outcome(lambda lib: TU.get_total_norm([torch.tensor(g) for g in gs], norm_type), torch)
    assert m[0] == t[0] and (m[0] == "ok" or m[1] == t[1]), (m, t)
    if t[0] == "ok":
        assert_close(m[1], t[1], what="total norm", **loosest(grads))


@settings(max_examples=200, deadline=None)
@given(grads=grad_lists(dtypes=("float16", "float32", "float64")), max_norm=st.sampled_from([0.01, 1.0, 50.0]),
       total=st.sampled_from([0.0, 1e-7, 0.3, 1.0, 7.25, 1e4, INF, math.nan]),
       total_dtype=st.sampled_from(["float16", "float32", "float64"]))
def test_clip_grads_with_norm_is_bitwise_torchs(grads, max_norm, total, total_dtype):
    "The same total norm gives the same clipped gradients, bit for bit, whatever the dtypes."
    mps, tps = params(mytorch, grads), params(torch, grads)
    tn = np.array(total, dtype=total_dtype)
    assert clip_grads_with_norm_(mps, max_norm, mytorch.tensor(tn)) is None
    TU.clip_grads_with_norm_(tps, max_norm, torch.tensor(tn))
    check_same_grads(mps, tps, exact=True)


@settings(max_examples=150, deadline=None)
@given(grads=grad_lists(dtypes=("float16", "float32", "float64")),
       clip_value=st.sampled_from([0.0, 1e-3, 0.1, 1.0, 7.5, 1e3, -0.5, INF, math.nan, 3]))
def test_clip_grad_value_is_bitwise_torchs(grads, clip_value):
    if all(isinstance(g, tuple) for g in grads):
        grads = grads + [np.ones(2, np.float32)]        # torch raises with no gradient at all (tested below)
    mps, tps = params(mytorch, grads), params(torch, grads)
    assert clip_grad_value_(mps, clip_value) is None
    TU.clip_grad_value_(tps, clip_value)
    for i, (m, t) in enumerate(zip(mps, tps)):
        if t.grad is not None:
            np.testing.assert_array_equal(as_numpy(m.grad), as_numpy(t.grad), err_msg=f"grad {i}")
            assert m.grad.dtype == t.grad.numpy().dtype


@pytest.mark.parametrize("norm_type", [2.0, 1.0, INF, 0.5])
def test_float16_norms_are_summed_in_float32_as_torch(norm_type):
    rng = np.random.default_rng(1)
    cases = [[np.array([300.0, 400.0], np.float16)],                        # 500: the squares overflow float16
             [rng.standard_normal((7, 5)).astype(np.float16) * 30, np.array([1.5], np.float16)],
             [np.array([3.0, 4.0], np.float16), np.array([1.0, 2.0], np.float32)]]   # stacked as float32
    for grads in cases:
        run_norm(clip_grad_norm_, TU.clip_grad_norm_, grads, 1.0, norm_type=norm_type)


def test_float32_sums_of_squares_overflow_and_underflow_as_torch():
    for g in (np.array([1e20, 1e20], np.float32), np.array([1e-30, 1e-30], np.float32),
              np.array([3e38, -3e38], np.float32)):
        for p in (2.0, 1.0, INF):
            run_norm(clip_grad_norm_, TU.clip_grad_norm_, [g], 1.0, norm_type=p)
    ps = params(mytorch, [np.array([1e20, 1e20], np.float32)])
    assert clip_grad_norm_(ps, 1.0).item() == INF


def test_nonfinite_gradients_without_the_error_match_torch():
    for g in ([math.nan, 1.0], [INF, 2.0], [-INF, 2.0], [INF, -INF]):
        for p in (2.0, 1.0, INF, -INF, 0.0):
            run_norm(clip_grad_norm_, TU.clip_grad_norm_, [np.array(g, np.float32), np.ones(3)], 1.0,
                     norm_type=p)


@pytest.mark.parametrize("foreach", [None, True, False])
def test_foreach_is_accepted_and_changes_nothing(foreach):
    grads = [np.array([3.0, 4.0], np.float32), np.array([[1.0, -2.0]], np.float64)]
    run_norm(clip_grad_norm_, TU.clip_grad_norm_, grads, 1.0, foreach=foreach)
    mps, tps = params(mytorch, grads), params(torch, grads)
    clip_grad_value_(mps, 1.5, foreach=foreach); TU.clip_grad_value_(tps, 1.5, foreach=foreach)
    check_same_grads(mps, tps, exact=True)


# ------------------------------------------------------------------------------------------- what a call accepts
def test_a_single_tensor_a_list_and_a_generator_work():
    g = np.array([[3.0, 4.0], [12.0, 0.0]], np.float32)
    for wrap in (lambda ps: ps[0], lambda ps: ps, lambda ps: (p for p in ps), lambda ps: tuple(ps)):
        run_norm(lambda ps, *a: clip_grad_norm_(wrap(ps), *a), lambda ps, *a: TU.clip_grad_norm_(wrap(ps), *a),
                 [g], 2.0)
        mps, tps = params(mytorch, [g * 3]), params(torch, [g * 3])
        clip_grad_value_(wrap(mps), 5.0); TU.clip_grad_value_(wrap(tps), 5.0)
        check_same_grads(mps, tps, exact=True)
        mps, tps = params(mytorch, [g]), params(torch, [g])
        clip_grads_with_norm_(wrap(mps), 1.0, mytorch.tensor(13.0))
        TU.clip_grads_with_norm_(wrap(tps), 1.0, torch.tensor(13.0))
        check_same_grads(mps, tps, exact=True)
    assert_close(get_total_norm(mytorch.tensor(g)), TU.get_total_norm(torch.tensor(g)))
    assert_close(get_total_norm(mytorch.tensor(x) for x in g), TU.get_total_norm(torch.tensor(x) for x in g))


def test_max_norm_and_norm_type_are_converted_with_float_as_torch():
    g = [np.array([3.0, 4.0], np.float32)]
    for max_norm in (1, True, np.float64(2.5), "2.5"):
        run_norm(clip_grad_norm_, TU.clip_grad_norm_, g, max_norm)
    run_norm(lambda ps, m: clip_grad_norm_(ps, mytorch.tensor(m)), lambda ps, m: TU.clip_grad_norm_(ps, torch.tensor(m)),
             g, 1.0)
    for norm_type in (True, 3, "2", "-inf", mytorch.tensor(1.0)):
        t_type = torch.tensor(1.0) if isinstance(norm_type, mytorch.Tensor) else norm_type
        m, t = clip_grad_norm_(params(mytorch, g), 1.0, norm_type), TU.clip_grad_norm_(params(torch, g), 1.0, t_type)
        assert_close(m, t)


@pytest.mark.parametrize("bad", ["a", None, [1.0], "fro", {}])
def test_bad_numbers_raise_float_s_errors_as_torch(bad):
    g = [np.array([3.0, 4.0], np.float32)]
    cases = [lambda lib, fn: fn["norm"](params(lib, g), bad),
             lambda lib, fn: fn["norm"]([], bad),                            # converted even with nothing to clip
             lambda lib, fn: fn["norm"](params(lib, g), 1.0, norm_type=bad),
             lambda lib, fn: fn["value"](params(lib, g), bad)]
    fns = {mytorch: {"norm": clip_grad_norm_, "value": clip_grad_value_},
           torch: {"norm": TU.clip_grad_norm_, "value": TU.clip_grad_value_}}
    for case in cases:
        m, t = (outcome(lambda lib: case(lib, fns[lib]), lib) for lib in (mytorch, torch))
        assert t[0] == "error" and m == t, (m, t)


def test_no_gradients_at_all():
    for ps in ([], [mytorch.zeros(2, requires_grad=True)]):
        n = clip_grad_norm_(ps, 1.0)
        assert n.shape == () and n.item() == 0.0 and n.dtype == mytorch.float32
        assert clip_grads_with_norm_(ps, 1.0, n) is None
    mytorch.set_default_dtype(mytorch.float64); torch.set_default_dtype(torch.float64)
    try:
        assert clip_grad_norm_([], 1.0).dtype == mytorch.float64 and TU.clip_grad_norm_([], 1.0).dtype == torch.float64
        assert get_total_norm([]).dtype == mytorch.float64
    finally:
        mytorch.set_default_dtype(mytorch.float32); torch.set_default_dtype(torch.float32)


def test_clip_grad_value_without_gradients_returns_quietly_where_torch_fails():
    "Listed in the chapter's 'deliberately not matched': PyTorch 2.13 fails inside its grouping helper."
    assert clip_grad_value_([mytorch.zeros(2, requires_grad=True)], 1.0) is None
    assert clip_grad_value_([], 1.0) is None
    with pytest.raises(RuntimeError):
        TU.clip_grad_value_([torch.zeros(2, requires_grad=True)], 1.0)


def test_an_empty_generator_warns_as_torch_and_points_at_the_caller():
    for lib, fn in ((mytorch, clip_grad_norm_), (torch, TU.clip_grad_norm_)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fn((p for p in []), 1.0)
            fn([], 1.0)                                                         # a list: no warning
        assert [(w.category, str(w.message)) for w in caught] == [
            (UserWarning, "`parameters` is an empty generator, no gradient clipping will occur.")], caught
        if lib is mytorch:
            assert caught[0].filename == __file__, caught[0].filename


def test_the_returned_norm_is_a_detached_0d_tensor_in_the_promoted_dtype():
    for dtypes, want in [(("float32",), "float32"), (("float64", "float32"), "float64"),
                         (("float16", "float32"), "float32"), (("float16",), "float16")]:
        grads = [np.array([1.0, 2.0], d) for d in dtypes]
        ps = params(mytorch, grads)
        for p in ps: p.grad.requires_grad_(True)       # even a gradient that requires grad
        n = clip_grad_norm_(ps, 1.0)
        assert n.shape == () and str(n.dtype) == want and not n.requires_grad and n.grad_fn is None
        assert_close(n, TU.clip_grad_norm_(params(torch, grads), 1.0))


def test_a_gradient_that_requires_grad_is_clipped_in_place_without_a_graph():
    res = {}
    for lib, fn in ((mytorch, clip_grad_norm_), (torch, TU.clip_grad_norm_)):
        x = lib.zeros(2, dtype=lib.float64, requires_grad=True)
        x.grad = g = lib.tensor([3.0, 12.0], dtype=lib.float64, requires_grad=True)
        n = fn([x], 1.0)
        assert x.grad is g and g.grad_fn is None and not n.requires_grad
        res[lib] = (n, g)
    assert_close(res[mytorch][0], res[torch][0]); assert_close(res[mytorch][1], res[torch][1])


def test_non_contiguous_gradients_are_clipped_in_place():
    g = np.arange(6.0, dtype=np.float32).reshape(3, 2)
    res = {}
    for lib, norm, value in ((mytorch, clip_grad_norm_, clip_grad_value_),
                             (torch, TU.clip_grad_norm_, TU.clip_grad_value_)):
        p = lib.zeros(2, 3, requires_grad=True)
        p.grad = lib.tensor(g).t()
        assert not p.grad.is_contiguous()
        n = norm([p], 1.0)
        res[lib] = n, p.grad.clone()
        value([p], 0.2)
        res[lib] += (p.grad,)
    for a, b in zip(res[mytorch], res[torch]): assert_close(a, b)


def test_clipping_bumps_the_gradients_version_counter():
    ps = params(mytorch, [np.array([3.0, 4.0], np.float32), np.array([1.0], np.float32)])
    before = [p.grad._version.value for p in ps]
    clip_grad_norm_(ps, 100.0)                                   # even a factor of 1 is an in-place multiply
    mid = [p.grad._version.value for p in ps]
    clip_grad_value_(ps, 0.5)
    after = [p.grad._version.value for p in ps]
    assert all(b < m < a for b, m, a in zip(before, mid, after)), (before, mid, after)


def test_below_the_limit_the_gradients_are_unchanged_bit_for_bit():
    g = np.random.default_rng(0).standard_normal((5, 7)).astype(np.float32)
    ps = params(mytorch, [g])
    n = clip_grad_norm_(ps, 1e6)
    np.testing.assert_array_equal(as_numpy(ps[0].grad), g)
    assert_close(n, torch.linalg.vector_norm(torch.tensor(g)))


# ------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("norm_type", [2.0, 1, "inf", INF, 0.5])
@pytest.mark.parametrize("bad", [math.nan, INF, -INF])
def test_error_if_nonfinite_raises_torchs_error_and_leaves_the_gradients(norm_type, bad):
    grads = [np.array([bad, 1.0], np.float32), np.array([2.0], np.float64)]
    mps, tps = params(mytorch, grads), params(torch, grads)
    m = outcome(lambda lib: clip_grad_norm_(mps, 1.0, norm_type, error_if_nonfinite=True), mytorch)
    t = outcome(lambda lib: TU.clip_grad_norm_(tps, 1.0, norm_type, error_if_nonfinite=True), torch)
    assert t[0] == "error" and m == t, (m, t)
    check_same_grads(mps, tps, exact=True)                       # both untouched
    np.testing.assert_array_equal(as_numpy(mps[1].grad), [2.0])
    m = outcome(lambda lib: get_total_norm([p.grad for p in mps], norm_type, True), mytorch)
    assert m == t


def test_error_if_nonfinite_passes_finite_norms():
    run_norm(clip_grad_norm_, TU.clip_grad_norm_, [np.array([3.0, 4.0], np.float32)], 1.0,
             error_if_nonfinite=True)


@pytest.mark.parametrize("norm_type", [INF, -INF, -1.0, -0.5])
def test_norms_without_an_identity_raise_on_empty_gradients(norm_type):
    grads = [np.zeros((0, 3), np.float32), np.array([2.0], np.float32)]
    mps, tps = params(mytorch, grads), params(torch, grads)
    m = outcome(lambda lib: clip_grad_norm_(mps, 1.0, norm_type), mytorch)
    t = outcome(lambda lib: TU.clip_grad_norm_(tps, 1.0, norm_type), torch)
    assert m[:2] == t[:2] == ("error", "RuntimeError"), (m, t)
    assert "on an empty tensor because the operation does not have an identity" in m[2]


def test_integer_tensors_have_no_norm():
    m = outcome(lambda lib: get_total_norm([mytorch.tensor([3, 4])]), mytorch)
    t = outcome(lambda lib: TU.get_total_norm([torch.tensor([3, 4])]), torch)
    assert m[:2] == t[:2] == ("error", "RuntimeError"), (m, t)
    assert "Expected a floating point" in m[2]


def test_a_clip_value_that_overflows_the_dtype_raises_and_clips_nothing():
    grads = [np.array([1.0, 2.0], np.float32), np.array([1.0, 2.0], np.float16)]
    mps, tps = params(mytorch, grads), params(torch, grads)
    m = outcome(lambda lib: clip_grad_value_(mps, 1e5), mytorch)
    t = outcome(lambda lib: TU.clip_grad_value_(tps, 1e5), torch)
    assert m[:2] == t[:2] == ("error", "RuntimeError") and "without overflow" in m[2], (m, t)
    for p, g in zip(mps, grads): np.testing.assert_array_equal(as_numpy(p.grad), g)
    mps, tps = params(mytorch, grads), params(torch, grads)
    clip_grad_value_(mps, 65504.0); TU.clip_grad_value_(tps, 65504.0)        # the largest float16 fits
    check_same_grads(mps, tps, exact=True)


def test_clip_grads_with_norm_wants_a_tensor_norm():
    m = outcome(lambda lib: clip_grads_with_norm_(params(mytorch, [np.ones(2, np.float32)]), 1.0, 5.0), mytorch)
    t = outcome(lambda lib: TU.clip_grads_with_norm_(params(torch, [np.ones(2, np.float32)]), 1.0, 5.0), torch)
    assert m[:2] == t[:2] == ("error", "TypeError"), (m, t)
    assert "get_total_norm" in m[2]


# ------------------------------------------------------------------------------------------- in a training loop
def test_training_with_clipping_follows_torchs_trajectory():
    "100 steps of SGD with momentum on a small tanh net, the gradients clipped every step (most steps clip)."
    from mytorch.optim.sgd import SGD
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((32, 4)), rng.standard_normal((32, 1)) * 10
    w1, w2 = rng.standard_normal((4, 16)), rng.standard_normal((16, 1))
    runs = {}
    for lib, opt_cls, clip in ((mytorch, SGD, clip_grad_norm_), (torch, torch.optim.SGD, TU.clip_grad_norm_)):
        ps = [lib.tensor(w.copy(), requires_grad=True) for w in (w1, w2)]
        X, Y = lib.tensor(x), lib.tensor(y)
        opt = opt_cls(ps, lr=0.05, momentum=0.9)
        norms = []
        for _ in range(100):
            opt.zero_grad()
            loss = (((X @ ps[0]).tanh() @ ps[1] - Y) ** 2).mean()
            loss.backward()
            norms.append(clip(ps, 1.0).item())
            opt.step()
        runs[lib] = norms, [as_numpy(p).copy() for p in ps]
    (mn, mp), (tn, tp) = runs[mytorch], runs[torch]
    assert sum(n > 1.0 for n in tn) > 50, "the test should clip on most steps"
    np.testing.assert_allclose(mn, tn, rtol=1e-9)
    for a, b in zip(mp, tp): np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------------------------------- the tests can fail
def _per_tensor(ps, max_norm, norm_type=2.0, **kw):
    "A plausible mistake: clip every tensor separately."
    ps = list(ps)
    total = get_total_norm([p.grad for p in ps if p.grad is not None], norm_type)
    for p in ps:
        if p.grad is not None: clip_grad_norm_(p, max_norm, norm_type)
    return total


def _no_min(ps, max_norm, norm_type=2.0, **kw):
    "Another: forget min(1, .), so small gradients are scaled *up*."
    ps = list(ps)
    total = get_total_norm([p.grad for p in ps if p.grad is not None], norm_type)
    for p in ps:
        if p.grad is not None: p.grad.array[...] *= max_norm / (total.item() + 1e-6)
    return total


def _no_eps(ps, max_norm, norm_type=2.0, **kw):
    "Another: max_norm / total without the 1e-6 (differs only in the last bits, and for a zero gradient)."
    ps = list(ps)
    total = get_total_norm([p.grad for p in ps if p.grad is not None], norm_type)
    coef = min(1.0, max_norm / total.item()) if total.item() else 1.0
    for p in ps:
        if p.grad is not None: p.grad.array[...] *= np.float32(coef)
    return total


@pytest.mark.parametrize("mutant", [_per_tensor, _no_min, _no_eps])
def test_the_parity_check_catches_wrong_clipping(mutant):
    grads = [np.array([3.0, 4.0], np.float64), np.array([12.0, 0.0], np.float64)]
    run_norm(clip_grad_norm_, TU.clip_grad_norm_, grads, 1.3)            # the real one passes
    with pytest.raises(AssertionError):
        run_norm(mutant, TU.clip_grad_norm_, grads if mutant is not _no_min else [g / 100 for g in grads], 1.3)


def test_the_bitwise_check_catches_a_division_in_float64():
    "max_norm / (total + 1e-6) computed once in float64 differs from torch's two float32 roundings somewhere."
    rng = np.random.default_rng(0)
    differ = 0
    for total in rng.uniform(1, 100, 200).astype(np.float32):
        g = rng.standard_normal(8).astype(np.float32)
        coef = np.float32(min(1.0, 0.7 / (float(total) + 1e-6)))
        t = params(torch, [g]); TU.clip_grads_with_norm_(t, 0.7, torch.tensor(total))
        m = params(mytorch, [g]); clip_grads_with_norm_(m, 0.7, mytorch.tensor(total))
        np.testing.assert_array_equal(as_numpy(m[0].grad), as_numpy(t[0].grad))
        differ += not np.array_equal(g * coef, as_numpy(t[0].grad))
    assert differ > 0


def test_a_modules_parameters_generator_is_clipped_as_torch():
    "The everyday call: clip_grad_norm_(model.parameters(), max_norm) on a Linear layer's gradients."
    from mytorch.nn.layers import Linear
    rng = np.random.default_rng(3)
    x = rng.standard_normal((8, 5)).astype(np.float32)
    m_lin, t_lin = Linear(5, 3), torch.nn.Linear(5, 3)
    with torch.no_grad():
        t_lin.weight.copy_(torch.tensor(m_lin.weight.array)); t_lin.bias.copy_(torch.tensor(m_lin.bias.array))
    norms = []
    for lin, lib, clip in ((m_lin, mytorch, clip_grad_norm_), (t_lin, torch, TU.clip_grad_norm_)):
        (lin(lib.tensor(x)) ** 2).sum().backward()
        norms.append(clip(lin.parameters(), 0.5))
    assert_close(norms[0], norms[1])
    assert norms[1].item() > 0.5
    assert_close(m_lin.weight.grad, t_lin.weight.grad); assert_close(m_lin.bias.grad, t_lin.bias.grad)
