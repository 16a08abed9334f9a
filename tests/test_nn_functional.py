"""Tests for nbs/05b_functional.ipynb (mytorch/nn/functional/activation.py), against PyTorch 2.13 as the oracle.

Every function of the notebook: forward values and result dtype (float32 and float64), input gradients and weight
gradients against torch's, `gradcheck`, every option, the grad_fn names where we write a Function (elsewhere the
names of composed ops may differ, see the notebook's "deliberately not matched"), in-place variants, dropout's
statistics, and the errors with PyTorch's exception types."""
import inspect
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import mytorch
import mytorch.nn.functional.activation as F
import mytorch.pointwise
from mytorch.autograd import gradcheck
from conftest import as_numpy, assert_close, dtype_name

FLOATS = ["float32", "float64"]


def pair(arr, dtype="float64", grad=False):
    "The same values as a mytorch and a torch tensor (leaves; requires grad if asked)."
    arr = np.asarray(arr).astype(dtype)
    m = mytorch.tensor(arr.copy(), requires_grad=grad)
    t = torch.tensor(arr.copy(), requires_grad=grad)
    return m, t


def outcome(fn):
    "(result, None) or (None, exception) of fn(), warnings silenced."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(), None
    except Exception as e:                                   # noqa: BLE001 - compared with torch's
        return None, e


def same_error(fm, ft):
    "Both raise, with the same exception type; returns mytorch's exception."
    rm, em = outcome(fm)
    rt, et = outcome(ft)
    assert et is not None, f"torch did not raise (got {rt})"
    assert em is not None, f"mytorch did not raise, torch raised {type(et).__name__}: {et}"
    assert type(em) is type(et), f"mytorch raised {type(em).__name__}: {em}; torch {type(et).__name__}: {et}"
    return em


# ------------------------------------------------------------------------------------------- names, signatures
NAMES = """relu leaky_relu elu gelu silu sigmoid tanh softplus logsigmoid softmax log_softmax linear dropout
embedding one_hot pad""".split()


def test_all_is_exactly_the_functions_of_the_notebook():
    assert sorted(F.__all__) == sorted(NAMES)
    for name in NAMES:
        assert hasattr(TF, name), f"torch.nn.functional.{name} does not exist (fix the list)"
        assert callable(getattr(F, name)) and getattr(F, name).__doc__, name


def test_softplus_and_logsigmoid_are_chapter_04s():
    assert F.softplus is mytorch.pointwise.softplus
    assert F.logsigmoid is mytorch.pointwise.logsigmoid


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "silu", "sigmoid", "tanh", "softmax",
                                  "log_softmax", "dropout", "embedding", "pad"])
def test_signature_is_torchs(name):
    "Python-level torch functions: the same parameter names, kinds and defaults."
    ours, theirs = inspect.signature(getattr(F, name)), inspect.signature(getattr(TF, name))
    assert list(ours.parameters) == list(theirs.parameters)
    for p, q in zip(ours.parameters.values(), theirs.parameters.values()):
        assert p.kind == q.kind and p.default == q.default, f"{name}: {p} vs {q}"


# torch's builtins have no inspectable signature: their documented ones (checked by calling below)
BUILTIN_SIGNATURES = {"gelu": "(input, *, approximate='none')", "softplus": "(input, beta=1.0, threshold=20.0)",
                      "logsigmoid": "(input)", "linear": "(input, weight, bias=None)",
                      "one_hot": "(tensor, num_classes=-1)"}


@pytest.mark.parametrize("name", list(BUILTIN_SIGNATURES))
def test_signature_of_builtins(name):
    assert str(inspect.signature(getattr(F, name))) == BUILTIN_SIGNATURES[name]


def test_builtin_argument_conventions_agree_with_torch():
    m, t = pair([-1.0, 0.5, 2.0])
    same_error(lambda: F.gelu(m, "tanh"), lambda: TF.gelu(t, "tanh"))            # keyword-only
    assert_close(F.softplus(m, 2, 5), TF.softplus(t, 2, 5))                      # positional
    assert_close(F.one_hot(mytorch.tensor([1, 0]), 3), TF.one_hot(torch.tensor([1, 0]), 3))
    w = np.arange(6.0).reshape(2, 3)
    assert_close(F.linear(pair(w)[0], pair(w)[0], bias=pair([1.0, 2.0])[0]),
                 TF.linear(pair(w)[1], pair(w)[1], bias=pair([1.0, 2.0])[1]))
    assert_close(F.linear(input=pair(w)[0], weight=pair(w)[0]), TF.linear(input=pair(w)[1], weight=pair(w)[1]))


# ------------------------------------------------------------------------------------------- activations
# (id, fn(F, L, x)): L is the library (mytorch or torch), F its functional module
ACTS = [
    ("relu", lambda F, L, x: F.relu(x)),
    ("leaky_relu", lambda F, L, x: F.leaky_relu(x)),
    ("leaky_relu_0.2", lambda F, L, x: F.leaky_relu(x, 0.2)),
    ("leaky_relu_neg", lambda F, L, x: F.leaky_relu(x, negative_slope=-0.5)),
    ("leaky_relu_big", lambda F, L, x: F.leaky_relu(x, 3.0)),
    ("elu", lambda F, L, x: F.elu(x)),
    ("elu_0.5", lambda F, L, x: F.elu(x, 0.5)),
    ("elu_alpha_neg", lambda F, L, x: F.elu(x, alpha=-1.5)),
    ("gelu", lambda F, L, x: F.gelu(x)),
    ("gelu_none", lambda F, L, x: F.gelu(x, approximate="none")),
    ("gelu_tanh", lambda F, L, x: F.gelu(x, approximate="tanh")),
    ("silu", lambda F, L, x: F.silu(x)),
    ("sigmoid", lambda F, L, x: F.sigmoid(x)),
    ("tanh", lambda F, L, x: F.tanh(x)),
    ("softplus", lambda F, L, x: F.softplus(x)),
    ("softplus_beta_threshold", lambda F, L, x: F.softplus(x, beta=2.0, threshold=5.0)),
    ("softplus_beta_small", lambda F, L, x: F.softplus(x, 0.5, 3.0)),
    ("logsigmoid", lambda F, L, x: F.logsigmoid(x)),
    ("softmax_1", lambda F, L, x: F.softmax(x, 1)),
    ("softmax_0", lambda F, L, x: F.softmax(x, dim=0)),
    ("softmax_neg", lambda F, L, x: F.softmax(x, -1)),
    ("log_softmax_1", lambda F, L, x: F.log_softmax(x, 1)),
    ("log_softmax_0", lambda F, L, x: F.log_softmax(x, dim=0)),
    ("softmax_dtype", lambda F, L, x: F.softmax(x, 1, dtype=L.float64)),
    ("log_softmax_dtype", lambda F, L, x: F.log_softmax(x, 1, dtype=L.float64)),
    ("softmax_dtype32", lambda F, L, x: F.softmax(x, 0, dtype=L.float32)),
]
ACT_IDS = [a[0] for a in ACTS]
# values away from the kink at 0 (finite differences), including the far tails
DATA = np.array([[-30.0, -4.2, -1.3, -0.4, -0.05], [0.07, 0.6, 1.9, 4.5, 25.0]])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,fn", ACTS, ids=ACT_IDS)
def test_activation_forward_and_input_gradient(name, fn, dtype):
    m, t = pair(DATA, dtype, grad=True)
    ym, yt = fn(F, mytorch, m), fn(TF, torch, t)
    f32 = dtype_name(yt) == "float32"                   # softmax(..., dtype=) changes the dtype
    assert_close(ym, yt, rtol=1e-6 if f32 else 1e-12, atol=1e-6 if f32 else 1e-14)
    g = np.linspace(-1, 1, DATA.size).reshape(DATA.shape)
    ym.backward(mytorch.tensor(g.astype(dtype_name(ym))))
    yt.backward(torch.tensor(g.astype(dtype_name(yt))))
    f32 = f32 or dtype == "float32"
    assert_close(m.grad, t.grad, "input gradient", rtol=1e-5 if f32 else 1e-10, atol=1e-6 if f32 else 1e-12)


# softmax(..., dtype=float32) computes in float32, too coarse for finite differences: its gradient is checked
# against torch above instead
_GRADCHECKED = [(n, f) for n, f in ACTS if n != "softmax_dtype32"]


@pytest.mark.parametrize("name,fn", _GRADCHECKED, ids=[n for n, _ in _GRADCHECKED])
def test_activation_gradcheck(name, fn):
    x = mytorch.tensor(DATA / 3, dtype=mytorch.float64, requires_grad=True)   # moderate values
    assert gradcheck(lambda x: fn(F, mytorch, x), [x])


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softplus",
                                  "logsigmoid"])
def test_activation_special_values(name):
    "nan, 0, -0, large values: values and gradients as torch's (PyTorch's sides of the kinks)."
    v = [math.nan, 0.0, -0.0, 1.0, -1.0, 100.0, -100.0, 1000.0, -1000.0]
    for dtype in FLOATS:
        m, t = pair(v, dtype, grad=True)
        ym, yt = getattr(F, name)(m), getattr(TF, name)(t)
        assert_close(ym, yt, f"{name} values")
        if name != "relu":          # chapter 03's relu(-0.0) is +0.0 (torch: -0.0)
            assert np.array_equal(np.signbit(as_numpy(ym)[1:3]), np.signbit(as_numpy(yt)[1:3])), "sign of zero"
        ym.sum().backward(); yt.sum().backward()
        assert_close(m.grad, t.grad, f"{name} gradient")


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softplus",
                                  "logsigmoid", "softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "float16"])
def test_activation_dtypes(name, dtype):
    "Integer and bool inputs: the same result dtype, or the same exception type, as torch."
    arr = np.array([-2, 0, 3]).astype(dtype)
    m, t = mytorch.tensor(arr), torch.tensor(arr)
    extra = (0,) if name in ("softmax", "log_softmax") else ()
    rm, em = outcome(lambda: getattr(F, name)(m, *extra))
    rt, et = outcome(lambda: getattr(TF, name)(t, *extra))
    if et is not None:
        assert em is not None and type(em) is type(et), f"mytorch {em!r}, torch {et!r}"
        assert name in str(em) or "Boolean" in str(em), f"the message should name the op: {em}"
    else:
        assert em is None, f"mytorch raised {em!r}"
        assert_close(rm, rt, rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "gelu", "softplus", "logsigmoid", "softmax",
                                  "log_softmax"])
def test_grad_fn_names_of_our_functions(name):
    "Where mytorch writes (or reuses) one Function, its node has torch's name."
    m, t = pair(DATA, grad=True)
    extra = (1,) if name in ("softmax", "log_softmax") else ()
    for kwargs in ([{}, {"approximate": "tanh"}] if name == "gelu" else [{}]):
        assert getattr(F, name)(m, *extra, **kwargs).grad_fn.name() == \
            getattr(TF, name)(t, *extra, **kwargs).grad_fn.name()


def test_gelu_saves_only_its_input():
    x = mytorch.tensor(DATA, requires_grad=True)
    y = F.gelu(x)
    assert len(y.grad_fn.saved_tensors) == 1 and y.grad_fn.saved_tensors[0] is x.array


def test_gelu_errors():
    m, t = pair(DATA)
    e = same_error(lambda: F.gelu(m, approximate="fast"), lambda: TF.gelu(t, approximate="fast"))
    assert "none or tanh" in str(e)
    same_error(lambda: F.gelu(m, approximate=None), lambda: TF.gelu(t, approximate=None))


@pytest.mark.parametrize("name,kwargs", [("relu", {}), ("leaky_relu", {"negative_slope": 0.3}),
                                         ("elu", {"alpha": 0.7}), ("silu", {})])
@pytest.mark.parametrize("dtype", FLOATS)
def test_inplace_activations(name, kwargs, dtype):
    m, t = pair(DATA, dtype, grad=True)
    hm, ht = m * 2, t * 2
    vm = hm._version.value
    om = getattr(F, name)(hm, inplace=True, **kwargs)
    ot = getattr(TF, name)(ht, inplace=True, **kwargs)
    assert om is hm and ot is ht
    assert hm._version.value > vm
    assert_close(hm, ht)
    g = np.linspace(-1, 1, DATA.size).reshape(DATA.shape).astype(dtype)
    hm.backward(mytorch.tensor(g)); ht.backward(torch.tensor(g))
    assert_close(m.grad, t.grad, "gradient through the in-place activation")
    # a leaf that requires grad is refused, as in torch
    same_error(lambda: getattr(F, name)(m, inplace=True, **kwargs),
               lambda: getattr(TF, name)(t, inplace=True, **kwargs))
    # no grad: plain overwrite
    pm, pt = pair(DATA, dtype)
    getattr(F, name)(pm, inplace=True, **kwargs); getattr(TF, name)(pt, inplace=True, **kwargs)
    assert_close(pm, pt)


def test_elu_gradient_is_finite_for_large_inputs():
    "The `where` trap: the unused branch of elu must not produce inf * 0 = nan."
    m, t = pair([100.0, 1e30, -1e30], "float32", grad=True)
    F.elu(m).sum().backward(); TF.elu(t).sum().backward()
    assert_close(m.grad, t.grad)


@pytest.mark.parametrize("shape,expected_dim", [((), 0), ((4,), 0), ((2, 3), 1), ((2, 3, 4), 0), ((2, 3, 4, 2), 1)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_implicit_dim_warns_and_guesses_as_torch(name, shape, expected_dim):
    arr = np.random.default_rng(0).normal(size=shape)
    m, t = pair(arr)
    with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name}"):
        ym = getattr(F, name)(m)
    with pytest.warns(UserWarning):
        yt = getattr(TF, name)(t)
    assert_close(ym, yt)
    if shape:
        assert_close(ym, getattr(TF, name)(t, expected_dim))


def test_softmax_warning_points_at_the_caller():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        F.softmax(mytorch.tensor([1.0, 2.0]))
    assert w[0].filename == __file__


def test_softmax_errors_and_dtype_option():
    m, t = pair([1, 2, 3], "int64")
    assert_close(F.softmax(m, 0, dtype=mytorch.float64), TF.softmax(t, 0, dtype=torch.float64))
    same_error(lambda: F.softmax(m, 0), lambda: TF.softmax(t, 0))
    m, t = pair([1.0, 2.0])
    same_error(lambda: F.softmax(m, 2), lambda: TF.softmax(t, 2))
    same_error(lambda: F.log_softmax(m, 0, dtype=mytorch.int64), lambda: TF.log_softmax(t, 0, dtype=torch.int64))


# ------------------------------------------------------------------------------------------- linear
LINEAR = [  # (input shape, weight shape, bias shape or None)
    ((4,), (3, 4), (3,)), ((5, 4), (3, 4), (3,)), ((5, 4), (3, 4), None), ((2, 5, 4), (3, 4), (3,)),
    ((2, 1, 5, 4), (3, 4), None), ((5, 4), (4,), None), ((5, 4), (3, 4), (5, 1)), ((5, 4), (3, 4), ()),
    ((5, 4), (3, 4), (5, 3)), ((0, 4), (3, 4), (3,)), ((5, 4), (1, 4), (1,)),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", LINEAR, ids=str)
def test_linear_forward_and_gradients(shapes, dtype):
    rng = np.random.default_rng(1)
    xs, ws, bs = shapes
    xm, xt = pair(rng.normal(size=xs), dtype, grad=True)
    wm, wt = pair(rng.normal(size=ws), dtype, grad=True)
    bm, bt = pair(rng.normal(size=bs), dtype, grad=True) if bs is not None else (None, None)
    ym, yt = F.linear(xm, wm, bm), TF.linear(xt, wt, bt)
    assert_close(ym, yt)
    g = rng.normal(size=tuple(yt.shape)).astype(dtype)
    ym.backward(mytorch.tensor(g)); yt.backward(torch.tensor(g))
    assert_close(xm.grad, xt.grad, "input gradient")
    assert_close(wm.grad, wt.grad, "weight gradient")
    if bs is not None:
        assert_close(bm.grad, bt.grad, "bias gradient")


@pytest.mark.parametrize("needs", [(True, True, True), (False, True, True), (True, False, True), (True, True, False)])
def test_linear_2d_with_bias_is_one_addmm_node_as_torch(needs):
    "2-D input with a bias: torch records AddmmBackward0(bias, input, TBackward0(weight)); so do we."
    rng = np.random.default_rng(3)
    (xm, xt), (wm, wt), (bm, bt) = (pair(rng.normal(size=s), "float32", grad=n)
                                    for s, n in zip([(6, 4), (3, 4), (3,)], needs))
    ym, yt = F.linear(xm, wm, bm), TF.linear(xt, wt, bt)
    assert ym.grad_fn.name() == yt.grad_fn.name() == "AddmmBackward0"
    tnames = [f and type(f).__name__ for f, _ in yt.grad_fn.next_functions]
    mnames = [f if f is None else ("AccumulateGrad" if isinstance(f, mytorch.Tensor) else f.name())
              for f in ym.grad_fn.next_functions]
    assert mnames == tnames
    ym.sum().backward(); yt.sum().backward()
    for m, t in [(xm, xt), (wm, wt), (bm, bt)]:
        assert (m.grad is None) == (t.grad is None)
        if m.grad is not None:
            assert_close(m.grad, t.grad)
            assert m.grad.numpy().flags.c_contiguous == t.grad.is_contiguous()


def test_linear_saved_input_modified_in_place_is_an_error():
    x = mytorch.randn(4, 3, requires_grad=True)
    w, b = mytorch.randn(2, 3, requires_grad=True), mytorch.randn(2, requires_grad=True)
    h = x * 1
    y = F.linear(h, w, b)
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.parametrize("shapes", [s for s in LINEAR if 0 not in s[0]], ids=str)
def test_linear_gradcheck(shapes):
    rng = np.random.default_rng(2)
    ts = [mytorch.tensor(rng.normal(size=s), dtype=mytorch.float64, requires_grad=True)
          for s in shapes if s is not None]
    assert gradcheck(lambda *a: F.linear(*a), ts)


def test_linear_integers_as_torch():
    x, w = np.arange(6).reshape(2, 3), np.arange(-3, 3).reshape(2, 3)
    assert_close(F.linear(mytorch.tensor(x), mytorch.tensor(w)), TF.linear(torch.tensor(x), torch.tensor(w)))


LINEAR_ERRORS = [  # (input, weight, bias): as numpy shapes/dtypes, or a non-tensor
    ("in_features", (32, 785), (10, 784), (10,)),
    ("in_features_3d", (2, 3, 4), (2, 5), None),
    ("in_features_1d", (4,), (2, 5), None),
    ("0d_input", (), (2, 4), None),
    ("3d_weight", (3, 4), (2, 2, 4), None),
    ("1d_weight_with_bias", (3, 4), (4,), ()),
    ("bias_shape", (3, 4), (2, 4), (3,)),
    ("bias_too_big", (3, 4), (2, 4), (4, 3, 2)),
]


@pytest.mark.parametrize("name,xs,ws,bs", LINEAR_ERRORS, ids=[e[0] for e in LINEAR_ERRORS])
def test_linear_errors(name, xs, ws, bs):
    mk = lambda L, s: None if s is None else L.zeros(*s) if s else L.zeros(())
    e = same_error(lambda: F.linear(mk(mytorch, xs), mk(mytorch, ws), mk(mytorch, bs)),
                   lambda: TF.linear(mk(torch, xs), mk(torch, ws), mk(torch, bs)))
    assert "linear" in str(e)


def test_linear_error_names_the_layout():
    e = same_error(lambda: F.linear(mytorch.zeros(32, 785), mytorch.zeros(10, 784)),
                   lambda: TF.linear(torch.zeros(32, 785), torch.zeros(10, 784)))
    for part in ["(32, 785)", "(10, 784)", "in_features=784", "(out_features, in_features)"]:
        assert part in str(e), str(e)


@pytest.mark.parametrize("dt", [("float32", "float64", None), ("float32", "float32", "float64"),
                                ("float64", "float32", "float32")])
def test_linear_dtype_mismatch_is_an_error(dt):
    xd, wd, bd = dt
    mk = lambda L, s, d: None if d is None else L.zeros(*s, dtype=getattr(L, d))
    e = same_error(lambda: F.linear(mk(mytorch, (3, 4), xd), mk(mytorch, (2, 4), wd), mk(mytorch, (2,), bd)),
                   lambda: TF.linear(mk(torch, (3, 4), xd), mk(torch, (2, 4), wd), mk(torch, (2,), bd)))
    assert "dtype" in str(e)


def test_linear_bias_must_be_a_tensor():
    same_error(lambda: F.linear(mytorch.zeros(3, 4), mytorch.zeros(2, 4), 1.0),
               lambda: TF.linear(torch.zeros(3, 4), torch.zeros(2, 4), 1.0))


# ------------------------------------------------------------------------------------------- dropout
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", FLOATS)
def test_dropout_statistics(p, dtype):
    mytorch.manual_seed(0)
    x = mytorch.tensor(np.linspace(0.5, 1.5, 200_000).astype(dtype))
    y = F.dropout(x, p)
    assert y.dtype == x.dtype and y.shape == x.shape
    zero = as_numpy(y) == 0
    se = math.sqrt(p * (1 - p) / x.numel())
    assert abs(zero.mean() - p) < 5 * se, f"fraction zeroed {zero.mean()} for p={p}"
    np.testing.assert_allclose(as_numpy(y)[~zero], (as_numpy(x)[~zero] / np.asarray(1 - p, dtype)).astype(dtype),
                               rtol=1e-6)
    assert abs(as_numpy(y).astype(np.float64).mean() - as_numpy(x).astype(np.float64).mean()) < 0.01
    # torch's dropout has the same statistics
    torch.manual_seed(0)
    tz = (TF.dropout(torch.tensor(as_numpy(x)), p) == 0).double().mean().item()
    assert abs(tz - zero.mean()) < 10 * se


def test_dropout_is_reproducible_with_a_seed():
    x = mytorch.ones(1000)
    mytorch.manual_seed(5); a = F.dropout(x, 0.3)
    mytorch.manual_seed(5); b = F.dropout(x, 0.3)
    mytorch.manual_seed(6); c = F.dropout(x, 0.3)
    assert np.array_equal(as_numpy(a), as_numpy(b)) and not np.array_equal(as_numpy(a), as_numpy(c))


@pytest.mark.parametrize("dtype", FLOATS)
def test_dropout_gradient_is_the_mask_scaled(dtype):
    mytorch.manual_seed(1)
    x = mytorch.tensor(np.linspace(1, 2, 1000).astype(dtype), requires_grad=True)
    y = F.dropout(x, 0.25)
    assert y.grad_fn.name() == TF.dropout(torch.ones(2, requires_grad=True), 0.25).grad_fn.name()
    y.backward(mytorch.ones(1000, dtype=getattr(mytorch, dtype)))
    keep = as_numpy(y) != 0
    np.testing.assert_allclose(as_numpy(x.grad), np.where(keep, 1 / 0.75, 0).astype(dtype), rtol=1e-6)
    def same_mask_each_call(x):
        mytorch.manual_seed(3)
        return F.dropout(x, 0.25)
    assert gradcheck(same_mask_each_call,
                     [mytorch.tensor(np.linspace(1, 2, 20), dtype=mytorch.float64, requires_grad=True)])


@pytest.mark.parametrize("p", [0.0, 0.4, 1.0])
def test_dropout_eval_and_p0_return_the_input(p):
    m, t = pair(DATA, "float32", grad=True)
    assert (F.dropout(m, p, training=False) is m) == (TF.dropout(t, p, training=False) is t) is True
    assert (F.dropout(m, p, False) is m)
    if p == 0.0:
        assert F.dropout(m, 0.0) is m and TF.dropout(t, 0.0) is t
    empty_m, empty_t = pair(np.zeros((0, 3)), "float32")
    assert (F.dropout(empty_m, p) is empty_m) == (TF.dropout(empty_t, p) is empty_t)


def test_dropout_p1_gives_zeros_and_zero_gradient():
    m, t = pair(DATA, "float64", grad=True)
    ym, yt = F.dropout(m, 1.0), TF.dropout(t, 1.0)
    assert_close(ym, yt)
    assert ym.grad_fn.name() == yt.grad_fn.name()
    ym.sum().backward(); yt.sum().backward()
    assert_close(m.grad, t.grad)


def test_dropout_inplace():
    mytorch.manual_seed(0)
    m, t = pair(np.ones(1000), "float32", grad=True)
    hm, ht = m * 1, t * 1
    assert F.dropout(hm, 0.5, inplace=True) is hm and TF.dropout(ht, 0.5, inplace=True) is ht
    assert hm.grad_fn.name() == ht.grad_fn.name()
    zero = as_numpy(hm) == 0
    assert 0.4 < zero.mean() < 0.6 and np.allclose(as_numpy(hm)[~zero], 2.0)
    hm.sum().backward()
    assert np.array_equal(as_numpy(m.grad), as_numpy(hm.detach()))    # the same mask
    same_error(lambda: F.dropout(m, 0.5, inplace=True), lambda: TF.dropout(t, 0.5, inplace=True))
    pm = mytorch.ones(10)
    assert F.dropout(pm, 0.5, inplace=True) is pm


@pytest.mark.parametrize("p", [-0.1, 1.5, math.nan, "a"])
def test_dropout_bad_p(p):
    m, t = pair(DATA, "float32")
    e = same_error(lambda: F.dropout(m, p), lambda: TF.dropout(t, p))
    if not isinstance(p, str):
        assert "between 0 and 1" in str(e)


def test_dropout_integer_input_as_torch():
    m, t = pair([1, 2, 3], "int64")
    same_error(lambda: F.dropout(m, 0.5), lambda: TF.dropout(t, 0.5))
    assert_close(F.dropout(m, 0.5, training=False), TF.dropout(t, 0.5, training=False))
    assert_close(F.dropout(m, 1.0), TF.dropout(t, 1.0))


# ------------------------------------------------------------------------------------------- one_hot
@pytest.mark.parametrize("idx,n", [([2, 0, 1], -1), ([[1], [3]], 5), (3, 4), ([[0, 0], [1, 1]], -1), ([], 3),
                                   (np.zeros((2, 0), dtype=np.int64), 2), ([4], 5)], ids=str)
def test_one_hot(idx, n):
    a = np.asarray(idx, dtype=np.int64)
    ym, yt = F.one_hot(mytorch.tensor(a), n), TF.one_hot(torch.tensor(a), n)
    assert_close(ym, yt)
    assert ym.dtype == mytorch.int64


@pytest.mark.parametrize("idx,dtype,n", [([1, 5], "int64", 3), ([-1, 2], "int64", -1), ([-1, 2], "int64", 5),
                                         ([1, 2], "int64", -2), ([1, 2], "int64", 0), ([], "int64", -1),
                                         ([], "int64", 0), ([1.0, 2.0], "float32", -1), ([1, 2], "int32", 3),
                                         ([1, 0], "bool", 2), ([1, 2], "uint8", 3)], ids=str)
def test_one_hot_errors(idx, dtype, n):
    a = np.asarray(idx).astype(dtype)
    e = same_error(lambda: F.one_hot(mytorch.tensor(a), n), lambda: TF.one_hot(torch.tensor(a), n))
    assert "one_hot" in str(e) or "Class values" in str(e)


def test_one_hot_needs_a_tensor():
    same_error(lambda: F.one_hot([1, 2]), lambda: TF.one_hot([1, 2]))


# ------------------------------------------------------------------------------------------- embedding
EMB = [  # (indices, options)
    ([1, 3, 3, 0], {}), ([[1, 4], [4, 0]], {}), (2, {}), ([[1, 2, 2], [0, 2, 4]], {"padding_idx": 2}),
    ([[1, 2, 2], [0, 2, 4]], {"padding_idx": -3}), ([1, 1, 2, 1, 0], {"scale_grad_by_freq": True}),
    ([1, 1, 2, 1, 0], {"scale_grad_by_freq": True, "padding_idx": 1}), (np.zeros((2, 0), dtype=np.int64), {}),
]


@pytest.mark.parametrize("idx_dtype", ["int64", "int32"])
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("idx,opts", EMB, ids=str)
def test_embedding_forward_and_weight_gradient(idx, opts, dtype, idx_dtype):
    rng = np.random.default_rng(3)
    wm, wt = pair(rng.normal(size=(5, 3)), dtype, grad=True)
    a = np.asarray(idx).astype(idx_dtype)
    ym, yt = F.embedding(mytorch.tensor(a), wm, **opts), TF.embedding(torch.tensor(a), wt, **opts)
    assert_close(ym, yt)
    assert ym.grad_fn.name() == yt.grad_fn.name() == "EmbeddingBackward0"
    g = rng.normal(size=tuple(yt.shape)).astype(dtype)
    ym.backward(mytorch.tensor(g)); yt.backward(torch.tensor(g))
    assert_close(wm.grad, wt.grad, "weight gradient")
    if "padding_idx" in opts:
        assert not as_numpy(wm.grad)[opts["padding_idx"]].any(), "the padding row gets no gradient"


def test_embedding_gradcheck():
    w = mytorch.tensor(np.random.default_rng(4).normal(size=(6, 2)), dtype=mytorch.float64, requires_grad=True)
    i = mytorch.tensor([[0, 5, 5], [2, 1, 0]])
    assert gradcheck(lambda w: F.embedding(i, w), [w])
    # with padding_idx the padding row's true gradient is cut off on purpose: no gradcheck, but zero
    y = F.embedding(i, w, padding_idx=5)
    y.sum().backward()
    assert not as_numpy(w.grad)[5].any()


@pytest.mark.parametrize("max_norm,norm_type", [(1.0, 2.0), (0.5, 1.0), (2.0, 3.0), (100.0, 2.0)])
def test_embedding_max_norm_renormalises_the_weight_as_torch(max_norm, norm_type):
    rng = np.random.default_rng(5)
    wm, wt = pair(rng.normal(size=(6, 3)) * 2, "float64")
    i = np.array([[1, 1, 3], [0, 3, 3]])
    ym = F.embedding(mytorch.tensor(i), wm, max_norm=max_norm, norm_type=norm_type)
    yt = TF.embedding(torch.tensor(i), wt, max_norm=max_norm, norm_type=norm_type)
    assert_close(ym, yt)
    assert_close(wm, wt, "the weight, renormalised in place (rows 0, 1, 3 only)")


def test_embedding_max_norm_on_a_parameter_that_requires_grad():
    rng = np.random.default_rng(6)
    wm, wt = pair(rng.normal(size=(4, 3)) * 3, "float32", grad=True)
    ym = F.embedding(mytorch.tensor([0, 2]), wm, max_norm=1.0)
    yt = TF.embedding(torch.tensor([0, 2]), wt, max_norm=1.0)
    assert_close(ym, yt); assert_close(wm.detach(), wt.detach())
    ym.sum().backward(); yt.sum().backward()
    assert_close(wm.grad, wt.grad)


def test_embedding_integer_weight():
    w = np.arange(10).reshape(5, 2)
    assert_close(F.embedding(mytorch.tensor([2, 3]), mytorch.tensor(w)),
                 TF.embedding(torch.tensor([2, 3]), torch.tensor(w)))


EMB_ERRORS = [
    ("out_of_range", [1, 5], (5, 3), {}), ("negative", [1, -1], (5, 3), {}),
    ("float_indices", np.array([1.0, 2.0]), (5, 3), {}), ("bool_indices", np.array([True]), (5, 3), {}),
    ("uint8_indices", np.array([1], dtype=np.uint8), (5, 3), {}), ("weight_1d", [1], (5,), {}),
    ("weight_3d", [1], (5, 2, 2), {}), ("padding_too_big", [1], (5, 3), {"padding_idx": 5}),
    ("padding_too_small", [1], (5, 3), {"padding_idx": -6}),
]


@pytest.mark.parametrize("name,idx,ws,opts", EMB_ERRORS, ids=[e[0] for e in EMB_ERRORS])
def test_embedding_errors(name, idx, ws, opts):
    a = np.asarray(idx)
    same_error(lambda: F.embedding(mytorch.tensor(a), mytorch.zeros(*ws), **opts),
               lambda: TF.embedding(torch.tensor(a), torch.zeros(*ws), **opts))


def test_embedding_index_error_names_op_index_and_size():
    e = same_error(lambda: F.embedding(mytorch.tensor([[1, 2], [7, 0]]), mytorch.zeros(5, 3)),
                   lambda: TF.embedding(torch.tensor([[1, 2], [7, 0]]), torch.zeros(5, 3)))
    for part in ["embedding", "7", "num_embeddings=5"]:
        assert part in str(e), str(e)


def test_embedding_needs_tensors_and_refuses_sparse():
    same_error(lambda: F.embedding([1, 2], mytorch.zeros(5, 3)), lambda: TF.embedding([1, 2], torch.zeros(5, 3)))
    # deliberately not matched: mytorch has no sparse gradients
    with pytest.raises(NotImplementedError, match="sparse"):
        F.embedding(mytorch.tensor([1]), mytorch.zeros(5, 3, requires_grad=True), sparse=True)


def test_embedding_is_one_hot_times_the_weight():
    rng = np.random.default_rng(7)
    w = mytorch.tensor(rng.normal(size=(7, 4)), dtype=mytorch.float64)
    i = mytorch.tensor([[3, 6, 0], [3, 3, 1]])
    np.testing.assert_allclose(as_numpy(F.embedding(i, w)), as_numpy(F.one_hot(i, 7).double() @ w), rtol=1e-15)


# ------------------------------------------------------------------------------------------- pad
PADS = [  # (shape, pad, value)
    ((2, 3), (1, 1), None), ((2, 3), (1, 0, 0, 1), 9.0), ((2, 3), (-1, 1), None), ((2, 3), (-2, -1), None),
    ((2, 3), (), None), ((2, 3), [1, 2], 0.5), ((2, 3), (0, 0), None), ((1, 2, 2), (1, 1, 1, 1, 1, 1), -1.0),
    ((2, 3, 4), (2, -1, -1, 0), 3.0), ((3,), (-1, -1), None), ((2, 3), (0, 0, -1, 2), float("inf")),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,padding,value", PADS, ids=str)
def test_pad_forward_and_gradient(shape, padding, value, dtype):
    rng = np.random.default_rng(8)
    m, t = pair(rng.normal(size=shape), dtype, grad=True)
    ym, yt = F.pad(m, padding, value=value), TF.pad(t, padding, value=value)
    assert_close(ym, yt)
    g = rng.normal(size=tuple(yt.shape)).astype(dtype)
    ym.backward(mytorch.tensor(g)); yt.backward(torch.tensor(g))
    assert_close(m.grad, t.grad, "input gradient")
    assert ym.grad_fn.name() == "ConstantPadNdBackward0"
    if padding and dtype == "float64" and value != float("inf"):
        assert gradcheck(lambda x: F.pad(x, padding, "constant", value), [m.detach().requires_grad_()])


@pytest.mark.parametrize("dtype,value", [("int64", 2.5), ("int64", 7), ("bool", 1), ("int32", -3), ("float32", 2)])
def test_pad_value_in_the_input_dtype(dtype, value):
    a = np.array([1, 0, 2]).astype(dtype)
    assert_close(F.pad(mytorch.tensor(a), (1, 2), value=value), TF.pad(torch.tensor(a), (1, 2), value=value))


PAD_ERRORS = [
    ("odd", (2, 3), (1,), "constant"), ("too_long", (2, 3), (1, 1, 1, 1, 1, 1), "constant"),
    ("0d", (), (1, 1), "constant"), ("crop_too_much", (2, 3), (-2, -2), "constant"),
    ("float_pad", (2, 3), (1.0, 2), "constant"), ("unknown_mode", (2, 3), (1, 1), "foo"),
]


@pytest.mark.parametrize("name,shape,padding,mode", PAD_ERRORS, ids=[e[0] for e in PAD_ERRORS])
def test_pad_errors(name, shape, padding, mode):
    e = same_error(lambda: F.pad(mytorch.zeros(*shape) if shape else mytorch.zeros(()), padding, mode),
                   lambda: TF.pad(torch.zeros(*shape) if shape else torch.zeros(()), padding, mode))
    assert "pad" in str(e).lower()


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_other_modes_are_not_implemented(mode):
    "Deliberately not matched: PyTorch has these modes; we raise NotImplementedError naming the mode."
    with pytest.raises(NotImplementedError, match=mode):
        F.pad(mytorch.zeros(1, 2, 3), (1, 1), mode=mode)


# ------------------------------------------------------------------------------------------- non-tensor input
@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softmax",
                                  "log_softmax", "dropout", "pad"])
def test_non_tensor_input_as_torch(name):
    "A list where a tensor belongs: torch's exception type (TypeError, or AttributeError where torch's own is)."
    args = {"softmax": (0,), "log_softmax": (0,), "pad": ((1, 1),)}.get(name, ())
    if name in ("softmax", "log_softmax"):      # deliberately: torch's AttributeError is an accident
        with pytest.raises(TypeError, match=name):
            getattr(F, name)([1.0, 2.0], *args)
        return
    same_error(lambda: getattr(F, name)([1.0, 2.0], *args), lambda: getattr(TF, name)([1.0, 2.0], *args))
