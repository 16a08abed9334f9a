"""Tests for chapter 05a (nbs/05a_init.ipynb -> mytorch/nn/init.py): every `nn.init` function against
torch.nn.init 2.13. Deterministic results (calculate_gain, the fans, constant_/zeros_/ones_/eye_) are
compared exactly; random fills by their distribution (mean, std, bounds, exact formulas) with fixed seeds and
tolerances of many standard errors, since mytorch's stream is not PyTorch's; orthogonal_ by orthogonality.
Also: in place (the same object back), dtype/shape/requires_grad kept, no graph recorded, `generator=`
reproducibility, signatures, warnings, and every error with PyTorch's exception type and message."""
import inspect
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.init as T

from conftest import same_error

import mytorch as mt
from mytorch.creation import Generator
from mytorch.nn import init as M
from mytorch.nn.init import _calculate_correct_fan, _calculate_fan_in_and_fan_out

PUBLIC = ["calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_", "eye_",
          "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
          "trunc_normal_", "orthogonal_"]
NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]
FLOATS = ["float16", "float32", "float64"]


def make(lib, shape, dtype="float32", requires_grad=False):
    "zeros of `shape` in mytorch or torch."
    dt = getattr(lib, dtype)
    return lib.zeros(*shape, dtype=dt, requires_grad=requires_grad) if shape else \
        lib.zeros((), dtype=dt, requires_grad=requires_grad)


def arr(t):
    return t.array if isinstance(t, mt.Tensor) else t.detach().numpy()


def dname(t):
    return str(t.dtype).replace("torch.", "")


# ----------------------------------------------------------------------------- names and signatures
def test_public_names_are_torchs_minus_the_documented_omissions():
    assert sorted(M.__all__) == sorted(PUBLIC)
    omitted = set(T.__all__) - set(M.__all__)
    assert omitted == {"dirac_", "sparse_", "uniform", "normal", "constant", "eye", "dirac",
                       "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
                       "orthogonal", "sparse"}


@pytest.mark.parametrize("name", PUBLIC)
def test_signature_matches_torch(name):
    mp = inspect.signature(getattr(M, name)).parameters
    tp = inspect.signature(getattr(T, name)).parameters
    assert list(mp) == list(tp)
    for p in tp:
        assert mp[p].default == tp[p].default, (p, mp[p].default, tp[p].default)
        assert mp[p].kind == tp[p].kind, p
    assert getattr(M, name).__doc__


def test_import_paths():
    import mytorch.nn.init as init_module
    assert init_module is M and M.kaiming_uniform_ is init_module.kaiming_uniform_


# ------------------------------------------------------------------------------------ calculate_gain
@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
@pytest.mark.parametrize("param", [None, 0, 1, 0.2, -0.5, 3.0, np.float64(0.1)])
def test_calculate_gain_exact(nonlinearity, param):
    m, t = M.calculate_gain(nonlinearity, param), T.calculate_gain(nonlinearity, param)
    assert m == t and type(m) is type(t), (m, t)


def test_calculate_gain_defaults_follow_errata():
    "ERRATA 3.8: leaky_relu's default slope is 0.01 in calculate_gain; kaiming's default a=0."
    assert M.calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01 ** 2)) == T.calculate_gain("leaky_relu")
    assert M.calculate_gain("leaky_relu", 0) == math.sqrt(2)
    assert inspect.signature(M.kaiming_normal_).parameters["a"].default == 0


@pytest.mark.parametrize("nonlinearity, param", [
    ("gelu", None), ("ReLU", None), ("", None), ("leaky_relu", True), ("leaky_relu", "0.1"),
    ("leaky_relu", np.float32(0.1)), ("leaky_relu", np.int64(1)), ("leaky_relu", [0.1])])
def test_calculate_gain_errors(nonlinearity, param):
    same_error(lambda: M.calculate_gain(nonlinearity, param),
               lambda: T.calculate_gain(nonlinearity, param))


# ---------------------------------------------------------------------------------------------- fans
@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (1, 1), (0, 4), (8, 3, 5), (8, 3, 5, 5), (2, 3, 4, 5, 6),
                                   (4, 2, 0, 3)])
def test_fans_match_torch(shape):
    m, t = make(mt, shape), make(torch, shape)
    assert _calculate_fan_in_and_fan_out(m) == T._calculate_fan_in_and_fan_out(t)
    for mode in ["fan_in", "fan_out", "FAN_IN", "Fan_Out"]:
        assert _calculate_correct_fan(m, mode) == T._calculate_correct_fan(t, mode)


@pytest.mark.parametrize("shape", [(), (3,), (0,)])
def test_fans_need_two_dimensions(shape):
    same_error(lambda: _calculate_fan_in_and_fan_out(make(mt, shape)),
               lambda: T._calculate_fan_in_and_fan_out(make(torch, shape)))


@pytest.mark.parametrize("fn", ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"])
@pytest.mark.parametrize("shape", [(), (5,)])
def test_scaled_fills_need_two_dimensions(fn, shape):
    same_error(lambda: getattr(M, fn)(make(mt, shape)), lambda: getattr(T, fn)(make(torch, shape)))


# ------------------------------------------------------------------------------- deterministic fills
DETERMINISTIC = [("constant_", (0.5,)), ("constant_", (-3,)), ("constant_", (1.7,)), ("constant_", (2,)),
                 ("zeros_", ()), ("ones_", ()), ("eye_", ())]


@pytest.mark.parametrize("name, args", DETERMINISTIC)
@pytest.mark.parametrize("dtype", FLOATS + ["int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2), (0, 3)])
def test_deterministic_fills_exact(name, args, dtype, shape):
    m, t = mt.randn(*shape).to(getattr(mt, dtype)), torch.randn(*shape).to(getattr(torch, dtype))
    rm, rt = getattr(M, name)(m, *args), getattr(T, name)(t, *args)
    assert rm is m and rt is t
    assert dname(m) == dname(t) == dtype and tuple(m.shape) == tuple(t.shape)
    np.testing.assert_array_equal(arr(m), arr(t))


def test_constant_with_a_tensor_value():
    m, t = M.constant_(mt.zeros(3), mt.tensor(2.5)), T.constant_(torch.zeros(3), torch.tensor(2.5))
    np.testing.assert_array_equal(arr(m), arr(t))


@pytest.mark.parametrize("shape", [(), (3,), (2, 2, 2)])
def test_eye_needs_two_dimensions(shape):
    same_error(lambda: M.eye_(make(mt, shape)), lambda: T.eye_(make(torch, shape)))


# --------------------------------------------------------------------- in place, without a graph
def call(lib, name, t):
    "Apply init function `name` with representative arguments."
    mod = M if lib is mt else T
    args = {"uniform_": (-1.0, 2.0), "normal_": (0.5, 2.0), "constant_": (0.25,),
            "trunc_normal_": (0.0, 1.0, -1.0, 1.5)}.get(name, ())
    return getattr(mod, name)(t, *args)


@pytest.mark.parametrize("name", PUBLIC[1:])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_in_place_on_a_leaf_that_requires_grad(name, dtype):
    for lib in (mt, torch):
        w = make(lib, (4, 6), dtype, requires_grad=True)
        out = call(lib, name, w)
        assert out is w
        assert w.requires_grad and w.is_leaf and w.grad_fn is None
        assert dname(w) == dtype and tuple(w.shape) == (4, 6)
        assert torch.is_grad_enabled() and mt.is_grad_enabled()       # no_grad scope restored
        if name not in ("zeros_",):                                      # the fill happened
            assert np.any(arr(w) != 0)


@pytest.mark.parametrize("name", PUBLIC[1:])
def test_random_and_constant_fills_work_on_a_float16_tensor(name):
    if name == "orthogonal_":
        same_error(lambda: call(mt, name, make(mt, (4, 4), "float16")),
                   lambda: call(torch, name, make(torch, (4, 4), "float16")), message=False)
        return
    m, t = call(mt, name, make(mt, (4, 6), "float16")), call(torch, name, make(torch, (4, 6), "float16"))
    assert dname(m) == dname(t) == "float16"


@pytest.mark.parametrize("name", PUBLIC[1:])
def test_no_graph_is_recorded_on_a_non_leaf(name):
    "Inside the init function's no_grad, a non-leaf keeps its grad_fn (torch: MulBackward0)."
    x, xt = mt.ones(4, 6, requires_grad=True), torch.ones(4, 6, requires_grad=True)
    y, yt = x * 2, xt * 2
    call(mt, name, y), call(torch, name, yt)
    assert y.grad_fn.name() == yt.grad_fn.name() == "MulBackward0"


@pytest.mark.parametrize("name", ["constant_", "ones_", "zeros_", "uniform_", "normal_"])
def test_fill_writes_through_a_view(name):
    for lib in (mt, torch):
        base = lib.full((4, 3), 7.0)
        call(lib, name, base[1:3])
        a = arr(base)
        assert np.all(a[[0, 3]] == 7.0)
        assert name == "constant_" and np.all(a[1:3] == 0.25) or name != "constant_"
        assert np.all(a[1:3] != 7.0)


def test_works_on_a_parameter():
    module = pytest.importorskip("mytorch.nn.module")
    p = module.Parameter(mt.zeros(3, 5))
    assert M.kaiming_uniform_(p) is p and isinstance(p, module.Parameter) and p.requires_grad
    assert M.eye_(p) is p
    np.testing.assert_array_equal(p.array, np.eye(3, 5))


# ------------------------------------------------------------------------------------ random fills
N = (400, 500)                        # 200,000 samples: the sample std is within ~0.2% of the true one


def moments(a):
    a = np.asarray(a, np.float64)
    return a.mean(), a.std()


RANDOM = [  # name, kwargs, true mean, true std, bound (|x| <= bound) or None
    ("uniform_", dict(a=-2.0, b=3.0), 0.5, 5 / math.sqrt(12), None),
    ("uniform_", dict(), 0.5, 1 / math.sqrt(12), None),
    ("normal_", dict(mean=1.5, std=0.3), 1.5, 0.3, None),
    ("normal_", dict(), 0.0, 1.0, None),
    ("xavier_uniform_", dict(), 0, math.sqrt(2 / 900), math.sqrt(6 / 900)),
    ("xavier_uniform_", dict(gain=2.5), 0, 2.5 * math.sqrt(2 / 900), 2.5 * math.sqrt(6 / 900)),
    ("xavier_normal_", dict(gain=0.5), 0, 0.5 * math.sqrt(2 / 900), None),
    ("kaiming_uniform_", dict(), 0, math.sqrt(2 / 500), math.sqrt(6 / 500)),
    ("kaiming_uniform_", dict(a=math.sqrt(5)), 0, 1 / math.sqrt(3 * 500), 1 / math.sqrt(500)),
    ("kaiming_uniform_", dict(mode="fan_out", nonlinearity="relu"), 0, math.sqrt(2 / 400),
     math.sqrt(6 / 400)),
    ("kaiming_normal_", dict(), 0, math.sqrt(2 / 500), None),
    ("kaiming_normal_", dict(a=0.2, nonlinearity="leaky_relu", mode="fan_out"), 0,
     math.sqrt(2 / 1.04) / math.sqrt(400), None),
    ("kaiming_normal_", dict(nonlinearity="tanh"), 0, 5 / 3 / math.sqrt(500), None),
    ("kaiming_normal_", dict(nonlinearity="linear"), 0, 1 / math.sqrt(500), None),
    ("kaiming_normal_", dict(nonlinearity="selu", mode="FAN_IN"), 0, 0.75 / math.sqrt(500), None),
]


@pytest.mark.parametrize("name, kwargs, mean, std, bound", RANDOM)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_random_fill_distribution_matches_torch(name, kwargs, mean, std, bound, dtype):
    m = getattr(M, name)(make(mt, N, dtype), **kwargs, generator=Generator().manual_seed(0))
    t = getattr(T, name)(make(torch, N, dtype), **kwargs, generator=torch.Generator().manual_seed(0))
    assert dname(m) == dname(t) == dtype
    (mm, ms), (tm, ts) = moments(arr(m)), moments(arr(t))
    for got in (mm, tm):
        assert abs(got - mean) < 0.01 * std, (got, mean)                 # ~20 standard errors
    for got in (ms, ts):
        assert abs(got - std) < 0.01 * std, (got, std)
    if bound is not None:
        for a in (arr(m), arr(t)):
            assert np.abs(a).max() <= bound * (1 + 1e-6) and np.abs(a).max() > 0.99 * bound
    if name == "uniform_":
        lo, hi = kwargs.get("a", 0.0), kwargs.get("b", 1.0)
        for a in (arr(m), arr(t)):
            assert a.min() >= lo and a.max() <= hi and a.min() < lo + 0.01 and a.max() > hi - 0.01


@pytest.mark.parametrize("shape", [(64, 3, 5, 5), (16, 32, 7)])
def test_kaiming_and_xavier_use_the_receptive_field(shape):
    fan_in = shape[1] * math.prod(shape[2:])
    fan_out = shape[0] * math.prod(shape[2:])
    m = M.kaiming_normal_(make(mt, shape), generator=Generator().manual_seed(1))
    t = T.kaiming_normal_(make(torch, shape), generator=torch.Generator().manual_seed(1))
    for a in (arr(m), arr(t)):
        assert abs(a.std() - math.sqrt(2 / fan_in)) < 0.03 * math.sqrt(2 / fan_in)
    m = M.xavier_uniform_(make(mt, shape), generator=Generator().manual_seed(1))
    t = T.xavier_uniform_(make(torch, shape), generator=torch.Generator().manual_seed(1))
    for a in (arr(m), arr(t)):
        assert np.abs(a).max() <= math.sqrt(6 / (fan_in + fan_out)) * (1 + 1e-6)
        assert abs(a.std() - math.sqrt(2 / (fan_in + fan_out))) < 0.03 * math.sqrt(2 / (fan_in + fan_out))


RANDOM_NAMES = ["uniform_", "normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                "kaiming_normal_", "trunc_normal_", "orthogonal_"]


@pytest.mark.parametrize("name", PUBLIC[1:])
@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (2, 0, 4)])
def test_zero_element_tensors_are_returned_unchanged(name, shape):
    if name == "eye_" and len(shape) != 2:           # the rank is checked first, in both
        same_error(lambda: M.eye_(make(mt, shape)), lambda: T.eye_(make(torch, shape)))
        return
    for lib in (mt, torch):
        t = make(lib, shape)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # kaiming_*_ warns (tested above)
            assert call(lib, name, t) is t
        assert tuple(t.shape) == shape


@pytest.mark.parametrize("name", RANDOM_NAMES)
def test_same_seed_same_numbers(name):
    fn = getattr(M, name)
    a = fn(mt.zeros(6, 7), generator=Generator().manual_seed(3))
    b = fn(mt.zeros(6, 7), generator=Generator().manual_seed(3))
    c = fn(mt.zeros(6, 7), generator=Generator().manual_seed(4))
    np.testing.assert_array_equal(a.array, b.array)
    assert not np.array_equal(a.array, c.array)
    mt.manual_seed(11); d = fn(mt.zeros(6, 7))
    mt.manual_seed(11); e = fn(mt.zeros(6, 7))
    np.testing.assert_array_equal(d.array, e.array)


@pytest.mark.parametrize("name", RANDOM_NAMES)
def test_a_generator_leaves_the_default_stream_alone(name):
    mt.manual_seed(5); expected = mt.randn(4)
    mt.manual_seed(5); getattr(M, name)(mt.zeros(3, 4), generator=Generator().manual_seed(0))
    np.testing.assert_array_equal(mt.randn(4).array, expected.array)


@pytest.mark.parametrize("name", RANDOM_NAMES)
def test_a_wrong_generator_is_a_type_error(name):
    same_error(lambda: getattr(M, name)(mt.zeros(3, 4), generator=3),
               lambda: getattr(T, name)(torch.zeros(3, 4), generator=3), message=False)


@pytest.mark.parametrize("name", RANDOM_NAMES)
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_random_fills_refuse_integer_tensors(name, dtype):
    if name == "trunc_normal_" and dtype == "uint8":
        # PyTorch fails converting the bound -2 to uint8 (RuntimeError); mytorch raises the
        # NotImplementedError of every other integer dtype (the chapter lists this).
        with pytest.raises(NotImplementedError):
            M.trunc_normal_(make(mt, (3, 4), dtype))
        return
    same_error(lambda: getattr(M, name)(make(mt, (3, 4), dtype)),
               lambda: getattr(T, name)(make(torch, (3, 4), dtype)), message=False)


def test_uniform_and_normal_argument_errors():
    same_error(lambda: M.uniform_(mt.zeros(3), 2, 1), lambda: T.uniform_(torch.zeros(3), 2, 1),
               message=False)
    same_error(lambda: M.normal_(mt.zeros(3), 0, -1), lambda: T.normal_(torch.zeros(3), 0, -1),
               message=False)


# --------------------------------------------------------------------------------------------- kaiming
@pytest.mark.parametrize("fn", ["kaiming_uniform_", "kaiming_normal_"])
@pytest.mark.parametrize("kwargs", [dict(mode="fan_avg"), dict(mode="in"), dict(nonlinearity="gelu"),
                                    dict(nonlinearity="leaky_relu", a="x")])
def test_kaiming_errors(fn, kwargs):
    same_error(lambda: getattr(M, fn)(mt.zeros(3, 4), **kwargs),
               lambda: getattr(T, fn)(torch.zeros(3, 4), **kwargs))


@pytest.mark.parametrize("fn", ["kaiming_uniform_", "kaiming_normal_"])
@pytest.mark.parametrize("shape", [(0, 4), (3, 0, 2), (0,)])
def test_kaiming_zero_elements_warn_and_return(fn, shape):
    results = []
    for lib, mod in ((mt, M), (torch, T)):
        t = make(lib, shape)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert getattr(mod, fn)(t) is t
        results.append([(w.category, str(w.message)) for w in caught])
    assert results[0] == results[1] == [(UserWarning, "Initializing zero-element tensors is a no-op")]


def test_kaiming_warning_points_at_the_caller():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        M.kaiming_uniform_(mt.zeros(0, 3))
    assert caught[0].filename == __file__


# -------------------------------------------------------------------------------------- trunc_normal_
def truncated_moments(mean, std, a, b):
    cdf = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi) if math.isfinite(z) else 0.0
    al, be = (a - mean) / std, (b - mean) / std
    z, d = cdf(be) - cdf(al), phi(al) - phi(be)
    ap = al * phi(al) if math.isfinite(al) else 0.0
    bp = be * phi(be) if math.isfinite(be) else 0.0
    return mean + std * d / z, std * math.sqrt(1 + (ap - bp) / z - (d / z) ** 2)


TRUNC = [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -2.0, 2.0), (0.5, 2.0, -1.0, 3.0), (0.0, 1.0, 1.5, 3.0),
         (0.0, 1.0, -0.1, 0.1), (1.0, 1.0, -math.inf, math.inf), (0.0, 1.0, 0.0, math.inf),
         (3.0, 1.0, -1.0, 1.5)]


@pytest.mark.parametrize("mean, std, a, b", TRUNC)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_trunc_normal_distribution_matches_torch(mean, std, a, b, dtype):
    true_mean, true_std = truncated_moments(mean, std, a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # the last case warns in both (tested below)
        m = M.trunc_normal_(make(mt, N, dtype), mean, std, a, b, generator=Generator().manual_seed(0))
        t = T.trunc_normal_(make(torch, N, dtype), mean, std, a, b,
                            generator=torch.Generator().manual_seed(0))
    assert dname(m) == dname(t) == dtype
    for x in (arr(m), arr(t)):
        assert x.min() >= np.asarray(a, x.dtype) and x.max() <= np.asarray(b, x.dtype)
        got_mean, got_std = moments(x)
        assert abs(got_mean - true_mean) < 0.01 * true_std, (got_mean, true_mean)
        assert abs(got_std - true_std) < 0.01 * true_std, (got_std, true_std)


def test_trunc_normal_bounds_are_absolute():
    "ERRATA 3.8: with std=0.02 the default [-2, 2] cuts nothing (it is 100 std away)."
    x = M.trunc_normal_(mt.zeros(*N), std=0.02, generator=Generator().manual_seed(0)).array
    assert abs(x.std() - 0.02) < 0.0003 and np.abs(x).max() < 0.2


@pytest.mark.parametrize("kwargs", [dict(mean=5.0, a=-1.0, b=1.0), dict(mean=-4.0, std=1.0, a=-1.0, b=2.0)])
def test_trunc_normal_warns_when_the_mean_is_far(kwargs):
    results = []
    for lib, mod in ((mt, M), (torch, T)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mod.trunc_normal_(make(lib, (50,)), **kwargs)
        results.append([(w.category, str(w.message)) for w in caught])
    assert results[0] == results[1] and len(results[0]) == 1


@pytest.mark.parametrize("kwargs", [dict(a=1.0, b=-1.0), dict(std=0.0)])
def test_trunc_normal_errors(kwargs):
    same_error(lambda: M.trunc_normal_(mt.zeros(10), **kwargs),
               lambda: T.trunc_normal_(torch.zeros(10), **kwargs), message=False)


# ---------------------------------------------------------------------------------------- orthogonal_
@pytest.mark.parametrize("shape", [(5, 5), (3, 8), (8, 3), (1, 6), (6, 1), (4, 2, 3), (6, 2, 2, 2)])
@pytest.mark.parametrize("gain", [1, 0.5, 3.0])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_orthogonal(shape, gain, dtype):
    for lib, mod, gen in ((mt, M, Generator), (torch, T, torch.Generator)):
        w = make(lib, shape, dtype, requires_grad=True)
        assert mod.orthogonal_(w, gain, generator=gen().manual_seed(0)) is w
        assert dname(w) == dtype and tuple(w.shape) == shape and w.requires_grad
        flat = arr(w).astype(np.float64).reshape(shape[0], -1)
        small = min(flat.shape)
        gram = flat @ flat.T if flat.shape[0] == small else flat.T @ flat
        tol = 1e-5 if dtype == "float32" else 1e-12
        np.testing.assert_allclose(gram, gain ** 2 * np.eye(small), atol=tol * gain ** 2 * 10)


def test_orthogonal_entries_have_torchs_distribution():
    "A Haar-random n x n orthogonal matrix has entries of mean 0 and variance 1/n; the signs are not biased."
    n = 300
    m = M.orthogonal_(mt.zeros(n, n, dtype=mt.float64), generator=Generator().manual_seed(0)).array
    t = T.orthogonal_(torch.zeros(n, n, dtype=torch.float64), generator=torch.Generator().manual_seed(0))
    for a in (m, t.numpy()):
        assert abs(a.mean()) < 10 / n / math.sqrt(n)            # sd of the mean is 1/n^1.5
        assert abs(a.std() - 1 / math.sqrt(n)) < 0.01 / math.sqrt(n)
        assert abs(np.diag(a).mean()) < 0.01                       # the sign fix leaves no bias


@pytest.mark.parametrize("shape", [(), (4,), (0,)])
def test_orthogonal_needs_two_dimensions(shape):
    same_error(lambda: M.orthogonal_(make(mt, shape)), lambda: T.orthogonal_(make(torch, shape)))


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (2, 0, 4)])
def test_orthogonal_of_nothing_returns_the_tensor(shape):
    m, t = make(mt, shape), make(torch, shape)
    assert M.orthogonal_(m) is m and T.orthogonal_(t) is t
