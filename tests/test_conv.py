"""Tests for nbs/09_conv.ipynb (mytorch/nn/functional/conv.py), against PyTorch 2.13 as the oracle.

`conv1d`, `conv2d`, `conv_transpose2d`, `unfold` and `fold`: forward values and result dtype, input, weight and bias
gradients (the same random upstream gradient in both libraries) in float32 and float64, over random shapes, strides,
paddings (int, tuple, 'same', 'valid'), dilations, groups, output paddings, batched and unbatched inputs and empty
batches (hypothesis); `gradcheck` (finite differences, float64); grad_fn names; the errors (PyTorch's exception
type, PyTorch's wording where the notebook keeps it, plus our hint); no float64 upcast for float32 inputs.

Tolerances: float64 agrees with torch to 1e-10 relative (a different order of additions); float32 to 1e-4 relative
and 1e-4 absolute on values scaled by the size of the dot products (sums of up to a few hundred products of
standard normals).
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import HealthCheck, given, settings, strategies as st

import mytorch
from mytorch.autograd import gradcheck
from mytorch.nn.functional import conv as C
from mytorch.nn.functional.conv import conv1d, conv2d, conv_transpose2d, fold, unfold

pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same.:UserWarning")
SETTINGS = dict(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOL = {"float32": dict(rtol=1e-4, atol=1e-4), "float64": dict(rtol=1e-10, atol=1e-10)}


def leaves(arrays, dtype):
    "The same values as mytorch and torch leaves that require grad (None stays None)."
    m = [None if a is None else mytorch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    t = [None if a is None else torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    return m, t


def close(a, b, dtype, what, scale=1.0):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs torch {b.shape}"
    tol = TOL[dtype]
    np.testing.assert_allclose(a, b, rtol=tol["rtol"], atol=tol["atol"] * scale, err_msg=what)


def compare(fm, ft, arrays, dtype, seed=0):
    """fm(*mytorch leaves) and ft(*torch leaves): values, dtype, grad_fn name and every gradient."""
    (m, t) = leaves(arrays, dtype)
    ym, yt = fm(*m), ft(*t)
    scale = max(1.0, float(np.abs(yt.detach().numpy()).max(initial=0)))
    close(ym, yt, dtype, "forward", scale)
    assert str(ym.dtype) == str(yt.dtype).split(".")[-1]
    assert ym.grad_fn.name() == type(yt.grad_fn).__name__
    g = np.random.default_rng(seed).standard_normal(yt.shape).astype(dtype)
    ym.backward(mytorch.tensor(g))
    yt.backward(torch.tensor(g))
    for k, (a, b) in enumerate(zip(m, t)):
        if a is None: continue
        gs = max(1.0, float(np.abs(b.grad.numpy()).max(initial=0)))
        close(a.grad, b.grad, dtype, f"gradient of input {k}", gs)
        assert str(a.grad.dtype) == dtype, f"gradient {k} is {a.grad.dtype}, not {dtype}"


# ----------------------------------------------------------------------------------- strategies
@st.composite
def conv_cases(draw, nd):
    "(x, w, b, kwargs) for conv1d (nd=1) or conv2d (nd=2), valid by construction."
    g = draw(st.integers(1, 3))
    cin, cout = g * draw(st.integers(1, 3)), g * draw(st.integers(1, 3))
    k = [draw(st.integers(1, 4)) for _ in range(nd)]
    d = [draw(st.integers(1, 3)) for _ in range(nd)]
    mode = draw(st.sampled_from(["int", "tuple", "same", "valid"]))
    s = [1] * nd if mode == "same" else [draw(st.integers(1, 3)) for _ in range(nd)]
    p = [draw(st.integers(0, 2)) for _ in range(nd)] if mode in ("int", "tuple") else [0] * nd
    if mode == "int": p = [p[0]] * nd
    size = [max(1, di * (ki - 1) + 1 - 2 * pi + draw(st.integers(0, 5)))
            for ki, di, pi in zip(k, d, p)]
    if mode == "valid":
        size = [max(n, di * (ki - 1) + 1) for n, ki, di in zip(size, k, d)]
    n = draw(st.sampled_from([None, 0, 1, 2, 3]))                  # None: unbatched
    shape = ([] if n is None else [n]) + [cin] + size
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    x = rng.standard_normal(shape)
    w = rng.standard_normal([cout, cin // g] + k)
    b = rng.standard_normal(cout) if draw(st.booleans()) else None
    padding = {"int": p[0], "tuple": tuple(p), "same": "same", "valid": "valid"}[mode]
    stride = s[0] if draw(st.booleans()) and len(set(s)) == 1 else tuple(s)
    kw = dict(stride=stride, padding=padding, dilation=tuple(d), groups=g)
    return x, w, b, kw


@st.composite
def transpose_cases(draw):
    g = draw(st.integers(1, 3))
    cin, cout = g * draw(st.integers(1, 3)), g * draw(st.integers(1, 3))
    k = [draw(st.integers(1, 4)) for _ in range(2)]
    s = [draw(st.integers(1, 3)) for _ in range(2)]
    d = [draw(st.integers(1, 3)) for _ in range(2)]
    op = [draw(st.integers(0, max(si, di) - 1)) for si, di in zip(s, d)]
    size = [draw(st.integers(1, 5)) for _ in range(2)]
    full = [(n - 1) * si + di * (ki - 1) + 1 + o for n, si, di, ki, o in zip(size, s, d, k, op)]
    pmax = (min(full) - 1) // 2
    p = [draw(st.integers(0, min(2, pmax))) for _ in range(2)]
    n = draw(st.sampled_from([None, 0, 1, 2]))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    x = rng.standard_normal(([] if n is None else [n]) + [cin] + size)
    w = rng.standard_normal([cin, cout // g] + k)
    b = rng.standard_normal(cout) if draw(st.booleans()) else None
    return x, w, b, dict(stride=tuple(s), padding=tuple(p), output_padding=tuple(op), groups=g,
                         dilation=tuple(d))


@st.composite
def unfold_cases(draw):
    k = [draw(st.integers(1, 3)) for _ in range(2)]
    d = [draw(st.integers(1, 2)) for _ in range(2)]
    p = [draw(st.integers(0, 2)) for _ in range(2)]
    s = [draw(st.integers(1, 3)) for _ in range(2)]
    size = [max(1, di * (ki - 1) + 1 - 2 * pi + draw(st.integers(0, 5)))
            for ki, di, pi in zip(k, d, p)]
    n = draw(st.sampled_from([None, 0, 1, 2]))
    c = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    x = rng.standard_normal(([] if n is None else [n]) + [c] + size)
    return x, dict(kernel_size=tuple(k), dilation=tuple(d), padding=tuple(p), stride=tuple(s))


def _call(f, lib_f, *args, kw):
    def fn(*ts):
        return lib_f(*ts, **kw)
    return fn


# ----------------------------------------------------------------------------------- forward + backward parity
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@settings(**SETTINGS)
@given(case=conv_cases(2))
def test_conv2d_matches_torch(dtype, case):
    x, w, b, kw = case
    arrays = [x, w] if b is None else [x, w, b]
    compare(lambda *t: conv2d(*t, **kw), lambda *t: TF.conv2d(*t, **kw), arrays, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@settings(**SETTINGS)
@given(case=conv_cases(1))
def test_conv1d_matches_torch(dtype, case):
    x, w, b, kw = case
    arrays = [x, w] if b is None else [x, w, b]
    compare(lambda *t: conv1d(*t, **kw), lambda *t: TF.conv1d(*t, **kw), arrays, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@settings(**SETTINGS)
@given(case=transpose_cases())
def test_conv_transpose2d_matches_torch(dtype, case):
    x, w, b, kw = case
    arrays = [x, w] if b is None else [x, w, b]
    compare(lambda *t: conv_transpose2d(*t, **kw), lambda *t: TF.conv_transpose2d(*t, **kw),
            arrays, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@settings(**SETTINGS)
@given(case=unfold_cases())
def test_unfold_and_fold_match_torch(dtype, case):
    x, kw = case
    compare(lambda t: unfold(t, **kw), lambda t: TF.unfold(t, **kw), [x], dtype)
    cols = TF.unfold(torch.tensor(x), **kw).numpy()
    size = x.shape[-2:]
    compare(lambda t: fold(t, size, **kw), lambda t: TF.fold(t, size, **kw), [cols], dtype)


def test_weight_only_and_input_only_gradients():
    "Only the gradients asked for are computed (and saved for), and they are still right."
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 4, 6, 5)), rng.standard_normal((6, 2, 3, 3))
    for need_x, need_w in [(True, False), (False, True)]:
        xm, wm = mytorch.tensor(x, requires_grad=need_x), mytorch.tensor(w, requires_grad=need_w)
        xt, wt = torch.tensor(x, requires_grad=need_x), torch.tensor(w, requires_grad=need_w)
        conv2d(xm, wm, padding=1, groups=2).sum().backward()
        TF.conv2d(xt, wt, padding=1, groups=2).sum().backward()
        if need_x: close(xm.grad, xt.grad, "float64", "input grad")
        else: assert xm.grad is None
        if need_w: close(wm.grad, wt.grad, "float64", "weight grad")
        else: assert wm.grad is None


def test_no_grad_and_int_inputs():
    x, w = np.arange(2 * 3 * 5 * 5).reshape(2, 3, 5, 5) % 7, np.arange(4 * 3 * 9).reshape(4, 3, 3, 3) % 5
    ym = conv2d(mytorch.tensor(x), mytorch.tensor(w), stride=2)
    yt = TF.conv2d(torch.tensor(x), torch.tensor(w), stride=2)
    assert str(ym.dtype) == "int64" and np.array_equal(ym.numpy(), yt.numpy())
    with mytorch.no_grad():
        y = conv2d(mytorch.randn(1, 3, 5, 5, requires_grad=True), mytorch.randn(2, 3, 3, 3))
    assert y.grad_fn is None and not y.requires_grad


def test_float32_stays_float32():
    "No float64 on the way: result and every gradient in float32, and the weight gradient in its layout."
    x = mytorch.randn(4, 6, 9, 9, requires_grad=True)
    w = mytorch.randn(8, 3, 3, 3, requires_grad=True)
    b = mytorch.randn(8, requires_grad=True)
    y = conv2d(x, w, b, padding=1, groups=2)
    y.sum().backward()
    assert y.dtype == mytorch.float32
    assert all(t.grad.dtype == mytorch.float32 for t in (x, w, b))
    assert w.grad.shape == w.shape and w.grad.numpy().flags["C_CONTIGUOUS"]
    assert y.array.flags["C_CONTIGUOUS"] and x.grad.array.flags["C_CONTIGUOUS"]


def test_same_padding_even_kernel_and_dilation():
    "'same' puts the odd extra row/column of padding at the end, as PyTorch."
    rng = np.random.default_rng(1)
    for k, d in [((2, 4), (1, 1)), ((3, 2), (2, 3)), ((4, 4), (1, 2))]:
        x, w = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3) + k)
        compare(lambda x, w: conv2d(x, w, padding="same", dilation=d),
                lambda x, w: TF.conv2d(x, w, padding="same", dilation=d), [x, w], "float64")


# ----------------------------------------------------------------------------------- gradcheck, names
@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(dilation=2, padding=(2, 0)),
                                dict(groups=2, stride=(1, 2), padding="same")])
def test_gradcheck_conv2d(kw):
    mytorch.manual_seed(0)
    x = mytorch.randn(2, 4, 7, 6, dtype=mytorch.float64, requires_grad=True)
    w = mytorch.randn(6, 4 // kw.get("groups", 1), 3, 2, dtype=mytorch.float64, requires_grad=True)
    b = mytorch.randn(6, dtype=mytorch.float64, requires_grad=True)
    if kw.get("padding") == "same": kw = dict(kw, stride=1)
    assert gradcheck(lambda x, w, b: conv2d(x, w, b, **kw), [x, w, b])


def test_gradcheck_conv1d_transpose_unfold_fold():
    mytorch.manual_seed(1)
    f64 = dict(dtype=mytorch.float64, requires_grad=True)
    s, w1 = mytorch.randn(2, 4, 9, **f64), mytorch.randn(6, 2, 3, **f64)
    assert gradcheck(lambda s, w: conv1d(s, w, stride=2, padding=1, dilation=2, groups=2), [s, w1])
    x, wt, b = mytorch.randn(2, 4, 3, 4, **f64), mytorch.randn(4, 3, 3, 2, **f64), mytorch.randn(6, **f64)
    assert gradcheck(lambda x, w, b: conv_transpose2d(x, w, b, stride=(2, 1), padding=1,
                                                      output_padding=(1, 0), groups=2), [x, wt, b])
    img = mytorch.randn(2, 3, 6, 5, **f64)
    assert gradcheck(lambda t: unfold(t, (3, 2), dilation=(1, 2), padding=1, stride=(2, 1)), [img])
    cols = mytorch.randn(3 * 4, 16, **f64)                          # unbatched
    assert gradcheck(lambda c: fold(c, (7, 5), 2, stride=(2, 1), padding=(1, 0)), [cols])


def test_grad_fn_names():
    "The node names torch gives, including for unbatched inputs (Squeeze on top for the convolutions only)."
    rng = np.random.default_rng(2)
    cases = [
        (lambda L, x, w: L.conv2d(x, w), (2, 3, 5, 5), (4, 3, 3, 3)),
        (lambda L, x, w: L.conv2d(x, w), (3, 5, 5), (4, 3, 3, 3)),
        (lambda L, x, w: L.conv1d(x, w), (3, 5), (4, 3, 3)),
        (lambda L, x, w: L.conv1d(x, w), (2, 3, 5), (4, 3, 3)),
        (lambda L, x, w: L.conv_transpose2d(x, w), (2, 3, 5, 5), (3, 4, 3, 3)),
        (lambda L, x, w: L.conv_transpose2d(x, w), (3, 5, 5), (3, 4, 3, 3)),
        (lambda L, x, w: L.unfold(x * w.sum(), 2), (3, 5, 5), ()),
        (lambda L, x, w: L.fold(x * w.sum(), (3, 3), 2), (12, 4), ()),
    ]
    for f, xs, ws in cases:
        x, w = rng.standard_normal(xs), rng.standard_normal(ws)
        ym = f(C, mytorch.tensor(x, requires_grad=True), mytorch.tensor(w, requires_grad=True))
        yt = f(TF, torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True))
        assert ym.grad_fn.name() == type(yt.grad_fn).__name__, (xs, ws)
    for f, name in [(lambda: conv2d(mytorch.randn(1, 1, 3, 3, requires_grad=True), mytorch.randn(1, 1, 2, 2)),
                     "ConvolutionBackward0"),
                    (lambda: unfold(mytorch.randn(1, 1, 3, 3, requires_grad=True), 2), "Im2ColBackward0"),
                    (lambda: fold(mytorch.randn(1, 4, 4, requires_grad=True), 3, 2), "Col2ImBackward0")]:
        assert f().grad_fn.name() == name


def test_public_names():
    "Every name the notebook exports exists in torch.nn.functional and agrees with it on a call."
    for name in ["conv1d", "conv2d", "conv_transpose2d", "unfold", "fold"]:
        assert callable(getattr(C, name)) and hasattr(TF, name), name
    x = np.random.default_rng(3).standard_normal((1, 2, 4, 4))
    assert np.allclose(C.unfold(mytorch.tensor(x), 2).numpy(), TF.unfold(torch.tensor(x), 2).numpy())


# ----------------------------------------------------------------------------------- errors
def outcome(f):
    try:
        f()
    except Exception as e:                                         # noqa: BLE001 - compared with torch's
        return e
    return None


def R(*shape, dtype="float32"):
    return np.zeros(shape, dtype=dtype)


# (name, scenario on a library L, must our message contain torch's message verbatim?)
ERRORS = [
    ("channels", lambda L, T: L.conv2d(T(R(8, 1, 28, 28)), T(R(32, 3, 3, 3))), True),
    ("kernel too big", lambda L, T: L.conv2d(T(R(1, 3, 2, 2)), T(R(4, 3, 3, 3))), True),
    ("dilated kernel too big", lambda L, T: L.conv2d(T(R(1, 3, 5, 5)), T(R(4, 3, 3, 3)), dilation=3), True),
    ("kernel too big 1d", lambda L, T: L.conv1d(T(R(1, 3, 2)), T(R(4, 3, 3))), True),
    ("groups out", lambda L, T: L.conv2d(T(R(1, 4, 5, 5)), T(R(3, 2, 3, 3)), groups=2), True),
    ("groups in", lambda L, T: L.conv2d(T(R(1, 3, 5, 5)), T(R(4, 1, 3, 3)), groups=2), True),
    ("zero filters", lambda L, T: L.conv2d(T(R(1, 3, 5, 5)), T(R(0, 3, 3, 3))), True),
    ("2-D input", lambda L, T: L.conv2d(T(R(28, 28)), T(R(4, 1, 3, 3))), True),
    ("5-D input", lambda L, T: L.conv2d(T(R(1, 2, 3, 4, 5)), T(R(4, 3, 3, 3))), True),
    ("4-D input to conv1d", lambda L, T: L.conv1d(T(R(2, 3, 5, 5)), T(R(4, 3, 3))), True),
    ("bias size", lambda L, T: L.conv2d(T(R(1, 3, 5, 5)), T(R(4, 3, 3, 3)), T(R(3))), True),
    ("bias 2-D", lambda L, T: L.conv2d(T(R(1, 3, 5, 5)), T(R(4, 3, 3, 3)), T(R(4, 1))), True),
    ("stride 0", lambda L, T: L.conv2d(T(R(1, 3, 5, 5)), T(R(4, 3, 3, 3)), stride=0), True),
    ("padding < 0", lambda L, T: L.conv2d(T(R(1, 3, 5, 5)), T(R(4, 3, 3, 3)), padding=-1), True),
    ("dilation 0", lambda L, T: L.conv2d(T(R(1, 3, 5, 5)), T(R(4, 3, 3, 3)), dilation=(1, 0)), True),
    ("groups 0", lambda L, T: L.conv2d(T(R(1, 3, 5, 5)), T(R(4, 3, 3, 3)), groups=0), True),
    ("same strided", lambda L, T: L.conv2d(T(R(1, 3, 5, 5)), T(R(4, 3, 3, 3)), padding="same", stride=2), True),
    ("bad string", lambda L, T: L.conv2d(T(R(1, 3, 5, 5)), T(R(4, 3, 3, 3)), padding="foo"), True),
    ("padding length", lambda L, T: L.conv2d(T(R(1, 3, 5, 5)), T(R(4, 3, 3, 3)), padding=(1, 2, 3)), True),
    ("stride length 1d", lambda L, T: L.conv1d(T(R(1, 3, 5)), T(R(4, 3, 3)), padding=(1, 1)), True),
    ("padding float", lambda L, T: L.conv2d(T(R(1, 3, 5, 5)), T(R(4, 3, 3, 3)), padding=1.5), False),
    ("input dtype", lambda L, T: L.conv2d(T(R(1, 3, 5, 5, dtype="float64")), T(R(4, 3, 3, 3))), False),
    ("bias dtype", lambda L, T: L.conv2d(T(R(1, 3, 5, 5)), T(R(4, 3, 3, 3)), T(R(4, dtype="float64"))), False),
    ("weight 3-D", lambda L, T: L.conv2d(T(R(1, 3, 5, 5)), T(R(4, 3, 3))), False),
    ("list input", lambda L, T: L.conv2d([1.0], T(R(4, 3, 3, 3))), False),
    ("transposed channels", lambda L, T: L.conv_transpose2d(T(R(2, 3, 5, 5)), T(R(4, 4, 3, 3))), True),
    ("transposed bias", lambda L, T: L.conv_transpose2d(T(R(2, 3, 5, 5)), T(R(3, 4, 3, 3)), T(R(3))), True),
    ("output padding", lambda L, T: L.conv_transpose2d(T(R(2, 3, 5, 5)), T(R(3, 4, 3, 3)), stride=2,
                                                       output_padding=2), True),
    ("output padding < 0", lambda L, T: L.conv_transpose2d(T(R(2, 3, 5, 5)), T(R(3, 4, 3, 3)),
                                                           output_padding=-1), True),
    ("transposed 2-D", lambda L, T: L.conv_transpose2d(T(R(2, 3)), T(R(3, 4, 3, 3))), True),
    ("transposed groups", lambda L, T: L.conv_transpose2d(T(R(2, 4, 5, 5)), T(R(4, 4, 3, 3)), groups=3), True),
    ("transposed empty output", lambda L, T: L.conv_transpose2d(T(R(2, 3, 2, 2)), T(R(3, 4, 3, 3)), padding=3),
     False),
    ("transposed padding str", lambda L, T: L.conv_transpose2d(T(R(2, 3, 5, 5)), T(R(3, 4, 3, 3)),
                                                               padding="same"), True),
    ("unfold too small", lambda L, T: L.unfold(T(R(2, 3, 2, 2)), 3), True),
    ("unfold kernel length", lambda L, T: L.unfold(T(R(2, 3, 5, 5)), (3, 3, 3)), True),
    ("unfold stride 0", lambda L, T: L.unfold(T(R(2, 3, 5, 5)), 3, stride=0), True),
    ("unfold dilation 0", lambda L, T: L.unfold(T(R(2, 3, 5, 5)), 3, dilation=0), True),
    ("unfold padding < 0", lambda L, T: L.unfold(T(R(2, 3, 5, 5)), 3, padding=-1), True),
    ("unfold kernel 0", lambda L, T: L.unfold(T(R(2, 3, 5, 5)), 0), True),
    ("unfold 5-D", lambda L, T: L.unfold(T(R(1, 2, 3, 5, 5)), 3), True),
    ("unfold zero channels", lambda L, T: L.unfold(T(R(2, 0, 5, 5)), 3), True),
    ("unfold int", lambda L, T: L.unfold(T(np.zeros((2, 3, 5, 5), dtype=np.int64)), 3), False),
    ("fold divisible", lambda L, T: L.fold(T(R(2, 26, 9)), (5, 5), 3), True),
    ("fold blocks", lambda L, T: L.fold(T(R(2, 27, 8)), (5, 5), 3), True),
    ("fold too small", lambda L, T: L.fold(T(R(2, 27, 9)), (2, 2), 3), True),
    ("fold output_size length", lambda L, T: L.fold(T(R(2, 27, 9)), (5, 5, 5), 3), True),
    ("fold 4-D", lambda L, T: L.fold(T(R(2, 2, 27, 9)), (5, 5), 3), True),
    ("fold 1-D", lambda L, T: L.fold(T(R(27)), (5, 5), 3), True),
]


@pytest.mark.parametrize("name,scenario,verbatim", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_like_torch(name, scenario, verbatim):
    et = outcome(lambda: scenario(TF, torch.tensor))
    em = outcome(lambda: scenario(C, mytorch.tensor))
    assert et is not None, f"{name}: torch raised nothing"
    assert em is not None, f"{name}: mytorch raised nothing; torch: {et!r}"
    assert type(em) is type(et), f"{name}: {type(em).__name__} vs torch's {type(et).__name__}: {em}"
    if verbatim:
        assert str(et).split("\n")[0] in str(em), f"{name}: {em} does not contain torch's {et}"


@pytest.mark.parametrize("scenario,words", [
    (lambda: conv2d(mytorch.zeros(8, 1, 28, 28), mytorch.zeros(32, 3, 3, 3)), ["conv2d", "hint"]),
    (lambda: conv2d(mytorch.zeros(1, 3, 2, 2), mytorch.zeros(4, 3, 3, 3)), ["conv2d", "(2 x 2)", "hint"]),
    (lambda: conv2d(mytorch.zeros(1, 4, 5, 5), mytorch.zeros(3, 2, 3, 3), groups=2), ["conv2d", "hint"]),
    (lambda: conv2d(mytorch.zeros(1, 3, 5, 5, dtype=mytorch.float64), mytorch.zeros(4, 3, 3, 3)),
     ["conv2d", "float64", "float32", "hint"]),
    (lambda: conv1d(mytorch.zeros(2, 3, 5), mytorch.zeros(4, 3, 3, 3)), ["conv1d", "(4, 3, 3, 3)", "hint"]),
])
def test_errors_name_the_op_and_give_a_hint(scenario, words):
    e = outcome(scenario)
    assert e is not None and all(w in str(e) for w in words), (str(e), words)


def test_torch_accepts_what_we_accept():
    "Edge inputs that work in both: an empty batch, length-1 tuples, stride given as a list, an int output_size."
    x = np.random.default_rng(4).standard_normal((0, 3, 5, 5))
    w = np.random.default_rng(5).standard_normal((4, 3, 3, 3))
    for kw in [dict(stride=[2], padding=(1,)), dict(padding=[1, 0], dilation=[2, 1])]:
        assert conv2d(mytorch.tensor(x), mytorch.tensor(w), **kw).shape == \
            tuple(TF.conv2d(torch.tensor(x), torch.tensor(w), **kw).shape)
    c = np.random.default_rng(6).standard_normal((2, 12, 16))
    close(fold(mytorch.tensor(c), 5, 2), TF.fold(torch.tensor(c), 5, 2), "float64", "fold int size")


def test_unfold_2d_input_is_a_runtime_error():
    "Deliberately not matched (see the notebook): torch raises IndexError from deep inside; we say what is wrong."
    assert isinstance(outcome(lambda: TF.unfold(torch.zeros(5, 5), 3)), IndexError)
    e = outcome(lambda: unfold(mytorch.zeros(5, 5), 3))
    assert isinstance(e, RuntimeError) and "3D or 4D" in str(e) and "[5, 5]" in str(e)


def test_a_cnn_sized_layer_in_float32():
    "A layer of the chapter's CNN (long dot products, float32 accumulation) agrees with torch, gradients too."
    rng = np.random.default_rng(7)
    x, w, b = rng.standard_normal((8, 16, 14, 14)), rng.standard_normal((32, 16, 3, 3)) * 0.1, rng.standard_normal(32)
    compare(lambda x, w, b: conv2d(x, w, b, padding=1), lambda x, w, b: TF.conv2d(x, w, b, padding=1),
            [x, w, b], "float32")
    compare(lambda x, w: conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
            lambda x, w: TF.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
            [x, rng.standard_normal((16, 8, 3, 3))], "float32")


def test_saves_only_what_backward_needs():
    "The columns (k*k times the input) are kept only when the weight needs a gradient; the weight only for the input."
    x = mytorch.randn(2, 3, 6, 6)
    w = mytorch.randn(4, 3, 3, 3, requires_grad=True)
    cols, weight, _ = conv2d(x, w).grad_fn.saved_tensors
    assert cols is not None and weight is None
    x.requires_grad_(True)
    w2 = mytorch.randn(4, 3, 3, 3)
    cols, weight, _ = conv2d(x, w2).grad_fn.saved_tensors
    assert cols is None and weight is not None


def test_weight_modified_in_place_before_backward_raises_like_torch():
    def scenario(lib, tensor):
        x = tensor(np.ones((1, 2, 4, 4)), requires_grad=True)
        w = tensor(np.ones((3, 2, 3, 3)), requires_grad=True)
        y = lib.nn.functional.conv2d(x, w) if lib is torch else conv2d(x, w)
        with lib.no_grad():
            w.add_(1.0)
        y.sum().backward()
    et, em = outcome(lambda: scenario(torch, torch.tensor)), outcome(lambda: scenario(mytorch, mytorch.tensor))
    assert isinstance(et, RuntimeError) and isinstance(em, RuntimeError), (et, em)
    assert "modified by an inplace operation" in str(em)
