"""Tests for nbs/04b_pointwise.ipynb (mytorch/pointwise.py), against PyTorch 2.13 as the oracle.

* forward parity over dtypes (float32/float64/float16/int32/int64/int8/uint8/bool) for every one-input op, every
  two-input op (tensor-tensor over all dtype pairs, tensor-number, number-tensor): values, result dtype, or the
  same exception class where PyTorch raises;
* gradients: the differentiable ops are catalog entries (tests/op_catalog_pointwise.py: forward, gradcheck, grad
  parity); here, in addition, their grad_fn names against torch, and boundary gradients;
* in-place variants: values, the returned object, version bump, autograd on a non-leaf, error on a leaf that
  requires grad, dtype errors;
* operators and protocols (//, %, &, |, ^, ~, abs(), +, __index__, __format__, in-place operators, == None);
* error messages; the list of public names against torch; no RuntimeWarning on inputs with inf/nan/0."""
import math
import operator
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import mytorch
import mytorch.pointwise as pw
from op_catalog_pointwise import POINTWISE_OPS, F
from op_catalog import OPS
from conftest import dtype_name as dtname

ALL_DTYPES = ["float32", "float64", "float16", "int32", "int64", "int8", "uint8", "bool"]
PAIR_DTYPES = ["float32", "float64", "int32", "int64", "uint8", "bool"]
TOL = {"float64": dict(rtol=1e-12, atol=1e-300), "float32": dict(rtol=2e-6, atol=1e-37),
       "float16": dict(rtol=2e-3, atol=1e-6)}


def mdt(name): return mytorch.bool if name == "bool" else getattr(mytorch, name)
def tdt(name): return getattr(torch, name)


def pair(arr):
    "The same array as a mytorch and a torch tensor."
    arr = np.asarray(arr)
    return mytorch.tensor(arr.copy()), torch.from_numpy(arr.copy())


def sample(dtype, kind="a"):
    "Test data per dtype: a has negatives, zero, specials; b (a divisor) has no zero."
    if dtype.startswith("float"):
        v = ([-7.5, -2.0, -0.5, 0.0, 0.3, 1.0, 3.25, 8.0, np.inf, -np.inf, np.nan] if kind == "a"
             else [2.0, -3.0, 0.75, 1.0, -4.0, 2.5, -1.5, 3.0, 2.0, -2.0, 5.0])
    elif dtype == "bool":
        v = [True, False, True, True, False, True] if kind == "a" else [True] * 6
    elif dtype == "uint8":
        v = [0, 1, 7, 9, 200, 255] if kind == "a" else [2, 3, 5, 1, 7, 255]
    else:
        v = [-7, -2, -1, 0, 3, 8] if kind == "a" else [2, -3, 5, 1, -4, 7]
    return np.array(v, dtype=np.bool_ if dtype == "bool" else dtype)


def check_same(m, t, what=""):
    "mytorch result m equals torch result t: type, shape, dtype, values (nan where nan)."
    if isinstance(t, torch.Tensor):
        assert isinstance(m, mytorch.Tensor), f"{what}: got {type(m).__name__}"
        assert tuple(m.shape) == tuple(t.shape), f"{what}: shape {tuple(m.shape)} vs {tuple(t.shape)}"
        assert str(m.dtype) == dtname(t), f"{what}: dtype {m.dtype} vs torch {dtname(t)}"
        assert m.requires_grad == t.requires_grad, f"{what}: requires_grad"
        tv = t.detach().numpy()
        if tv.dtype.kind == "f":
            np.testing.assert_allclose(m.array.astype(np.float64), tv.astype(np.float64), err_msg=what,
                                       **TOL[dtname(t)])
        else:
            np.testing.assert_array_equal(m.array, tv, err_msg=what)
    else:
        assert type(m) is type(t) and m == t, f"{what}: {m!r} vs torch {t!r}"


def same_behaviour(fm, ft, what=""):
    """Run the mytorch call fm and the torch call ft: both succeed with the same result, or both raise and
    mytorch's exception is an instance of torch's exception class."""
    try:
        t = ft()
    except Exception as e:
        with pytest.raises(type(e)):
            fm()
        return None
    with warnings.catch_warnings():
        user_sees_no_warnings()
        m = fm()
    check_same(m, t, what)
    return m


def user_sees_no_warnings():
    """Inside catch_warnings(): make every RuntimeWarning an error, except the NumPy floating-point warnings
    that mytorch filters in its own modules (as installed by mytorch/autograd.py); the strict test without that
    filter is test_no_runtime_warning_on_special_values."""
    warnings.simplefilter("error", RuntimeWarning)
    warnings.filterwarnings("ignore", message=".*encountered in", category=RuntimeWarning,
                            module=r"mytorch(\.|$)")


def known_chapter03_gap(request, reason):
    "Mark this test as an expected failure caused by chapter 03's code (strict: passing means fixed)."
    request.node.add_marker(pytest.mark.xfail(strict=True, reason="chapter 03: " + reason))


# ============================================================================ names
TOP_LEVEL = """add sub subtract mul multiply div divide true_divide pow square neg negative abs absolute
positive exp exp2 expm1 log log2 log10 log1p sqrt rsqrt reciprocal sin cos tan tanh sigmoid relu erf sign
floor ceil round trunc lerp fmod remainder floor_divide clamp clip clamp_min clamp_max eq ne lt le gt ge
greater less greater_equal less_equal not_equal isnan isinf isfinite equal allclose isclose logical_and
logical_or logical_xor logical_not bitwise_and bitwise_or bitwise_xor bitwise_not all any neg_ negative_
abs_ exp_ exp2_ expm1_ log_ log2_ log10_ log1p_ sqrt_ rsqrt_ reciprocal_ square_ sin_ cos_ tan_ tanh_
sigmoid_ relu_ erf_ floor_ ceil_ round_ trunc_ clamp_ clip_ clamp_min_ clamp_max_""".split()

METHODS = """add sub subtract mul multiply div divide true_divide pow square neg negative abs absolute
positive exp2 expm1 log2 log10 log1p rsqrt reciprocal tan erf sign floor ceil round trunc lerp fmod
remainder floor_divide clamp_min clamp_max eq ne lt le gt ge greater less greater_equal less_equal
not_equal isnan isinf isfinite equal allclose isclose logical_and logical_or logical_xor logical_not
bitwise_and bitwise_or bitwise_xor bitwise_not all any __floordiv__ __rfloordiv__ __mod__ __rmod__ __and__
__rand__ __or__ __ror__ __xor__ __rxor__ __invert__ __abs__ __pos__ __index__ __format__ __ifloordiv__
__imod__ __iand__ __ior__ __ixor__ __eq__ __ne__ __lt__ __le__ __gt__ __ge__""".split()

INPLACE = """neg negative abs absolute exp exp2 expm1 log log2 log10 log1p sqrt rsqrt reciprocal square sin
cos tan tanh sigmoid relu erf sign floor ceil round trunc pow fmod remainder floor_divide subtract multiply
divide true_divide lerp clamp clip clamp_min clamp_max bitwise_and bitwise_or bitwise_xor bitwise_not eq ne
lt le gt ge greater less greater_equal less_equal not_equal logical_and logical_or logical_xor
logical_not""".split()


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_top_level_name(name):
    assert hasattr(torch, name), f"torch.{name} is not a PyTorch name (fix the list)"
    assert callable(getattr(mytorch, name, None)), f"mytorch.{name} is missing"
    assert getattr(mytorch, name).__doc__, f"mytorch.{name} has no docstring"


@pytest.mark.parametrize("name", METHODS + [n + "_" for n in INPLACE])
def test_method_name(name):
    assert hasattr(torch.Tensor, name), f"torch.Tensor.{name} is not a PyTorch method (fix the list)"
    assert hasattr(mytorch.Tensor, name), f"mytorch.Tensor.{name} is missing"
    if not name.startswith("__i"):
        assert getattr(mytorch.Tensor, name).__doc__, f"Tensor.{name} has no docstring"


def test_nn_functional_names_are_plain_functions():
    for name in ["logsigmoid", "softplus"]:
        assert hasattr(torch.nn.functional, name)
        assert callable(getattr(pw, name)) and getattr(pw, name).__doc__


def test_every_exported_name_exists_and_reaches_mytorch():
    for name in pw.__all__:
        assert hasattr(pw, name), name
        obj = getattr(pw, name)
        if name in mytorch._NOT_TOP_LEVEL or isinstance(obj, type) and issubclass(obj, mytorch.autograd.Function):
            # nn.functional's names and the op classes stay in their module
            assert not hasattr(mytorch, name), name
            continue
        assert getattr(mytorch, name) is getattr(pw, name), f"mytorch.{name} is not pointwise.{name}"


def test_no_name_was_created_twice():
    "The ops made by loops are named after themselves (nothing renamed by a later registration)."
    for name in ["exp2", "log1p", "floor", "sign", "eq", "greater", "subtract", "all", "any", "round"]:
        assert getattr(mytorch, name).__name__ == name, name
    assert mytorch.greater.__doc__ == "Alias of `gt`." and mytorch.gt.__name__ == "gt"


# ============================================================================ one-input ops over dtypes
UNARY = ["exp2", "expm1", "log2", "log10", "log1p", "rsqrt", "reciprocal", "tan", "erf", "floor", "ceil",
         "trunc", "round", "sign", "neg", "negative", "abs", "absolute", "square", "positive", "isnan",
         "isinf", "isfinite", "logical_not", "bitwise_not"]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("name", UNARY)
def test_unary_function_matches_torch(name, dtype, request):
    a = sample(dtype)
    m, t = pair(a)
    same_behaviour(lambda: getattr(mytorch, name)(m), lambda: getattr(torch, name)(t), f"{name}({dtype})")
    if hasattr(torch.Tensor, name):
        same_behaviour(lambda: getattr(m, name)(), lambda: getattr(t, name)(), f"x.{name}() ({dtype})")


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("decimals", [0, 1, 2, -1, -2])
def test_round_decimals_matches_torch(decimals, dtype):
    rng = np.random.default_rng(decimals + 10)
    a = (rng.standard_normal(200) * 500).astype(np.float64)
    a = np.concatenate([a, [0.125, 2.5, -2.5, 1234.5, 1250.0, np.inf, np.nan]])
    a = a.astype(np.bool_ if dtype == "bool" else dtype) if dtype.startswith("float") else sample(dtype)
    m, t = pair(a)
    same_behaviour(lambda: mytorch.round(m, decimals=decimals), lambda: torch.round(t, decimals=decimals),
                   f"round(decimals={decimals}) {dtype}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_erf_accuracy(dtype):
    x = np.concatenate([np.linspace(-7, 7, 20001), np.geomspace(1e-30, 6, 500), -np.geomspace(1e-30, 6, 500),
                        [0.0, -0.0, np.inf, -np.inf, np.nan, 3e38]]).astype(dtype)
    m, t = pair(x)
    check_same(mytorch.erf(m), torch.erf(t), "erf")
    exact = np.array([math.erf(v) if np.isfinite(v) else np.nan for v in x.astype(np.float64)])
    got = mytorch.erf(m).array.astype(np.float64)
    ok = np.isfinite(exact) & (exact != 0)
    tol = 1e-15 if dtype == "float64" else 6e-8
    assert (np.abs(got[ok] - exact[ok]) / np.abs(exact[ok])).max() < tol


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_logsigmoid_softplus_forward_and_grad_match_torch(dtype):
    x = np.concatenate([np.linspace(-120, 120, 481), [0.0, -0.0, 19.99, 20.0, 20.01, np.inf, -np.inf, np.nan]])
    x = x.astype(dtype)
    for name, kw in [("logsigmoid", {}), ("softplus", {}), ("softplus", dict(beta=2.0, threshold=5.0)),
                     ("softplus", dict(beta=0.5, threshold=30.0))]:
        m, t = pair(x)
        m.requires_grad_(); t.requires_grad_()
        ym, yt = getattr(pw, name)(m, **kw), getattr(torch.nn.functional, name)(t, **kw)
        check_same(ym, yt, f"{name}{kw} {dtype}")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ym.sum().backward()
        yt.sum().backward()
        if dtype == "float16":       # torch computes the float16 backward in float32: compare loosely
            np.testing.assert_allclose(m.grad.array.astype(float), t.grad.numpy().astype(float), rtol=2e-3,
                                       atol=1e-4)
        else:
            check_same(m.grad, t.grad, f"grad of {name}{kw} {dtype}")


def test_logsigmoid_minus_20_in_float32():
    x = mytorch.tensor(-20.0, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = mytorch.pointwise.logsigmoid(x)
        y.backward()
    assert y.item() == -20.0 and x.grad.item() == 1.0 and y.dtype == mytorch.float32
    assert y.grad_fn.name() == "LogSigmoidBackward0"


@pytest.mark.parametrize("name", ["logsigmoid", "softplus"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "uint8"])
def test_logsigmoid_softplus_refuse_integers(name, dtype):
    m, t = pair(sample(dtype))
    same_behaviour(lambda: getattr(pw, name)(m), lambda: getattr(torch.nn.functional, name)(t))


# ============================================================================ two-input ops over dtypes
BINARY = {
    "add": (mytorch.add, torch.add), "sub": (mytorch.sub, torch.sub),
    "subtract": (mytorch.subtract, torch.subtract), "mul": (mytorch.mul, torch.mul),
    "multiply": (mytorch.multiply, torch.multiply), "div": (mytorch.div, torch.div),
    "divide": (mytorch.divide, torch.divide), "true_divide": (mytorch.true_divide, torch.true_divide),
    "div_trunc": (lambda a, b: mytorch.div(a, b, rounding_mode="trunc"),
                  lambda a, b: torch.div(a, b, rounding_mode="trunc")),
    "div_floor": (lambda a, b: mytorch.div(a, b, rounding_mode="floor"),
                  lambda a, b: torch.div(a, b, rounding_mode="floor")),
    "floor_divide": (mytorch.floor_divide, torch.floor_divide),
    "remainder": (mytorch.remainder, torch.remainder), "fmod": (mytorch.fmod, torch.fmod),
    "pow": (mytorch.pow, torch.pow),
    "clamp_min": (mytorch.clamp_min, torch.clamp_min), "clamp_max": (mytorch.clamp_max, torch.clamp_max),
    "add_alpha": (lambda a, b: mytorch.add(a, b, alpha=2), lambda a, b: torch.add(a, b, alpha=2)),
    "sub_alpha_float": (lambda a, b: mytorch.sub(a, b, alpha=0.5), lambda a, b: torch.sub(a, b, alpha=0.5)),
    **{n: (getattr(mytorch, n), getattr(torch, n)) for n in
       "eq ne lt le gt ge greater less greater_equal less_equal not_equal logical_and logical_or logical_xor "
       "bitwise_and bitwise_or bitwise_xor isclose".split()},
    "floordiv_op": (operator.floordiv, operator.floordiv), "mod_op": (operator.mod, operator.mod),
    "and_op": (operator.and_, operator.and_), "or_op": (operator.or_, operator.or_),
    "xor_op": (operator.xor, operator.xor), "lt_op": (operator.lt, operator.lt),
    "eq_op": (operator.eq, operator.eq), "ge_op": (operator.ge, operator.ge),
}


@pytest.mark.parametrize("db", PAIR_DTYPES)
@pytest.mark.parametrize("da", PAIR_DTYPES)
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_tensor_tensor_matches_torch(name, da, db, request):
    fm, ft = BINARY[name]
    (ma, ta), (mb, tb) = pair(sample(da)), pair(sample(db, "b"))
    same_behaviour(lambda: fm(ma, mb), lambda: ft(ta, tb), f"{name}({da}, {db})")


SCALARS = [3, -2, 2.5, -0.75, True, False, 0.0]
CH03_ARITHMETIC = {"add", "sub", "subtract", "mul", "multiply", "add_alpha"}   # chapter 03's Functions


INTEGER_DIVISIONS = ("floor_divide", "remainder", "fmod", "div_trunc", "div_floor", "floordiv_op", "mod_op")
# (integer division by zero is tested on its own below)
TENSOR_NUMBER = [(n, d, s) for n in BINARY for d in PAIR_DTYPES for s in SCALARS
                 if not (n in INTEGER_DIVISIONS and s in (0, False) and d != "bool")]


@pytest.mark.parametrize("name, da, scalar", TENSOR_NUMBER, ids=[f"{n}-{d}-{s!r}" for n, d, s in TENSOR_NUMBER])
def test_binary_tensor_number_matches_torch(name, da, scalar, request):
    fm, ft = BINARY[name]
    ma, ta = pair(sample(da))
    same_behaviour(lambda: fm(ma, scalar), lambda: ft(ta, scalar), f"{name}({da}, {scalar!r})")


REFLECTED = {"radd": (lambda s, t: s + t), "rfloordiv": (lambda s, t: s // t), "rmod": (lambda s, t: s % t),
             "rand": (lambda s, t: s & t), "ror": (lambda s, t: s | t), "rxor": (lambda s, t: s ^ t),
             "rlt": (lambda s, t: s < t), "req": (lambda s, t: s == t)}
LEFT_FUNCTIONS = ["add", "remainder", "floor_divide", "pow", "bitwise_and", "bitwise_or", "fmod", "mul"]


@pytest.mark.parametrize("scalar", [7, -7, 2.5, True], ids=repr)
@pytest.mark.parametrize("da", PAIR_DTYPES)
@pytest.mark.parametrize("name", list(REFLECTED) + LEFT_FUNCTIONS)
def test_number_on_the_left_matches_torch(name, da, scalar, request):
    mb, tb = pair(sample(da, "b"))
    if name in REFLECTED:
        fn = REFLECTED[name]
        same_behaviour(lambda: fn(scalar, mb), lambda: fn(scalar, tb), f"{name}({scalar!r}, {da})")
    else:
        same_behaviour(lambda: getattr(mytorch, name)(scalar, mb), lambda: getattr(torch, name)(scalar, tb),
                       f"{name}({scalar!r}, {da})")


@pytest.mark.parametrize("name", ["floor_divide", "remainder", "fmod", "div_trunc", "div_floor", "floordiv_op",
                                  "mod_op"])
@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "int8"])
def test_integer_division_by_zero_raises(name, dtype):
    fm, ft = BINARY[name]
    (ma, ta), (mb, tb) = pair(sample(dtype)), pair(np.array([1, 0, 2, 1, 1, 3], dtype=dtype))
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        ft(ta, tb)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        fm(ma, mb)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        fm(ma, 0)


@pytest.mark.parametrize("name", ["div", "true_divide", "floor_divide", "remainder", "fmod", "div_trunc",
                                  "div_floor"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float_division_by_zero_is_silent(name, dtype):
    fm, ft = BINARY[name]
    a = np.array([1.0, -1.0, 0.0, -0.0, np.inf, np.nan], dtype=dtype)
    (ma, ta), (mb, tb) = pair(a), pair(np.zeros(6, dtype=dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same_behaviour(lambda: fm(ma, mb), lambda: ft(ta, tb), name)
        same_behaviour(lambda: fm(ma, 0.0), lambda: ft(ta, 0.0), name)


@pytest.mark.parametrize("name", ["remainder", "fmod", "floor_divide", "div_trunc", "div_floor"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "float64", "float32"])
def test_division_signs_on_a_grid(name, dtype):
    "Every sign combination, exact multiples included: r = a - b q with the right q."
    a = np.repeat(np.arange(-12, 13), 10).astype(dtype)
    b = np.tile(np.array([-5, -4, -3, -2, -1, 1, 2, 3, 4, 5]), 25).astype(dtype)
    if dtype.startswith("float"):
        a, b = a * 0.5, b * 0.75
    fm, ft = BINARY[name]
    (ma, ta), (mb, tb) = pair(a), pair(b)
    same_behaviour(lambda: fm(ma, mb), lambda: ft(ta, tb), name)


@pytest.mark.parametrize("name", [n for n in BINARY if not n.endswith("_op")])
def test_binary_shape_error_names_both_shapes(name):
    fm, ft = BINARY[name]
    (ma, ta), (mb, tb) = pair(np.ones((2, 3), np.float32)), pair(np.ones(4, np.float32))
    with pytest.raises(RuntimeError):
        ft(ta, tb)
    with pytest.raises(RuntimeError) as err:
        fm(ma, mb)
    assert "(2, 3)" in str(err.value) and "(4,)" in str(err.value), str(err.value)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), name=st.sampled_from(["remainder", "fmod", "floor_divide", "div_trunc", "lt", "eq",
                                             "bitwise_xor", "logical_or", "clamp_min", "isclose"]),
       dtype=st.sampled_from(["int64", "int32", "float64"]))
def test_random_broadcast_shapes_match_torch(data, name, dtype):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3)).input_shapes
    a = data.draw(hnp.arrays(dtype, shapes[0], elements=st.integers(-20, 20)))
    b = data.draw(hnp.arrays(dtype, shapes[1], elements=st.integers(-6, 6).filter(bool)))
    fm, ft = BINARY[name]
    (ma, ta), (mb, tb) = pair(a), pair(b)
    same_behaviour(lambda: fm(ma, mb), lambda: ft(ta, tb), f"{name} {shapes}")


# ============================================================================ lerp, clamp_min/max, isclose, ...
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lerp_matches_torch_and_is_exact_at_the_ends(dtype):
    rng = np.random.default_rng(3)
    s, e = rng.standard_normal(50).astype(dtype), rng.standard_normal(50).astype(dtype)
    (ms, ts), (me, te) = pair(s), pair(e)
    for w in [0.0, 0.3, 0.5, 0.7, 1.0, -0.5, 2.0]:
        check_same(mytorch.lerp(ms, me, w), torch.lerp(ts, te, w), f"lerp w={w}")
    assert mytorch.lerp(ms, me, 1.0).tolist() == e.tolist() and mytorch.lerp(ms, me, 0.0).tolist() == s.tolist()
    w = rng.uniform(-1, 2, 50).astype(dtype)
    mw, tw = pair(w)
    check_same(mytorch.lerp(ms, me, mw), torch.lerp(ts, te, tw), "lerp tensor weight")
    check_same(ms.lerp(me, mytorch.tensor(0.25, dtype=mytorch.float64)),
               ts.lerp(te, torch.tensor(0.25, dtype=torch.float64)), "0-d weight of another dtype")


@pytest.mark.parametrize("case", ["end_dtype", "weight_dtype", "int_input", "end_number", "shapes"])
def test_lerp_errors_match_torch(case):
    def run(L):
        a = L.tensor([1.0, 2.0])
        if case == "end_dtype": return L.lerp(a, a.double(), 0.5)
        if case == "weight_dtype": return L.lerp(a, a, L.tensor([0.5, 0.5], dtype=L.float64))
        if case == "int_input": return L.lerp(L.tensor([1, 2]), L.tensor([3, 4]), 0.5)
        if case == "end_number": return L.lerp(a, 3.0, 0.5)
        return L.lerp(a, L.ones(3), 0.5)
    same_behaviour(lambda: run(mytorch), lambda: run(torch), case)


def test_clamp_min_max_boundaries_and_nan_match_torch():
    def run(L):
        x = L.tensor([-1.0, 0.0, 0.5, 1.0, float("nan"), 2.0], requires_grad=True)
        lo = L.tensor([0.0, 0.0, 1.0, 1.0, 0.0, float("nan")], requires_grad=True)
        y1, y2, y3 = L.clamp_min(x, lo), L.clamp_max(x, lo), x.clamp_min(0.0) + x.clamp_max(1.0)
        (y1.sum() + 2 * y2.sum() + y3.sum()).backward()
        return [y1, y2, y3, x.grad, lo.grad, y1.grad_fn.name(), y3.grad_fn.name()]
    for k, (m, t) in enumerate(zip(run(mytorch), run(torch))):
        if isinstance(t, str): assert m == t
        else: check_same(m.detach() if k < 3 else m, t.detach() if k < 3 else t, f"output {k}")


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_isclose_allclose_equal_match_torch(dtype):
    a = sample(dtype)
    b = a.copy()
    if dtype.startswith("float"):
        b = (a * (1 + np.array([0, 1e-6, 1e-4, 0, 1e-9, 0, 2e-5, 1e-5, 0, 0, 0]))).astype(dtype)
    (ma, ta), (mb, tb) = pair(a), pair(b)
    for kw in [{}, dict(equal_nan=True), dict(rtol=0.0, atol=0.0), dict(rtol=1e-3), dict(atol=0.5)]:
        check_same(mytorch.isclose(ma, mb, **kw), torch.isclose(ta, tb, **kw), f"isclose {kw}")
        assert mytorch.allclose(ma, mb, **kw) == torch.allclose(ta, tb, **kw), kw
        assert ma.allclose(mb, **kw) == ta.allclose(tb, **kw), kw
    assert mytorch.equal(ma, mb) == torch.equal(ta, tb)
    assert mytorch.equal(ma, ma) == torch.equal(ta, ta)      # nan is never equal
    assert mytorch.equal(ma, ma[:2]) is False
    same_behaviour(lambda: mytorch.isclose(ma, mb, rtol=-1.0), lambda: torch.isclose(ta, tb, rtol=-1.0))
    same_behaviour(lambda: mytorch.isclose(ma, 1.0), lambda: torch.isclose(ta, 1.0))
    same_behaviour(lambda: mytorch.equal(ma, 1.0), lambda: torch.equal(ta, 1.0))


def test_isclose_is_asymmetric_like_torch():
    "rtol scales |other| only, so swapping the arguments can change the answer (checked in the chapter too)."
    for a, b in [([1.0], [2.0]), ([2.0], [1.0]), ([1.0, -3.0], [1.6, -2.0])]:
        (ma, ta), (mb, tb) = pair(np.array(a)), pair(np.array(b))
        check_same(mytorch.isclose(ma, mb, rtol=0.5, atol=0.0), torch.isclose(ta, tb, rtol=0.5, atol=0.0), f"{a} {b}")
    assert mytorch.isclose(mytorch.tensor([1.0]), mytorch.tensor([2.0]), rtol=0.5, atol=0).item() is True
    assert mytorch.isclose(mytorch.tensor([2.0]), mytorch.tensor([1.0]), rtol=0.5, atol=0).item() is False


def test_equal_across_dtypes_and_isclose_dtype_error():
    m, t = pair(np.array([1, 2, 3]))
    assert mytorch.equal(m, m.double()) is True and torch.equal(t, t.double()) is True
    same_behaviour(lambda: mytorch.isclose(m, m.double()), lambda: torch.isclose(t, t.double()))
    same_behaviour(lambda: mytorch.allclose(m.float(), m.double()), lambda: torch.allclose(t.float(), t.double()))


@pytest.mark.parametrize("fn", ["all", "any"])
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "uint8", "int8"])
@pytest.mark.parametrize("dim", [None, 0, 1, -1, (0, 2), [1, 2], (), 3, -4])
@pytest.mark.parametrize("keepdim", [False, True])
def test_all_any_match_torch(fn, dtype, dim, keepdim):
    a = np.array([[[0, 1, 2], [3, 0, 5]], [[1, 1, 1], [0, 0, 0]]]).astype(np.bool_ if dtype == "bool" else dtype)
    m, t = pair(a)
    same_behaviour(lambda: getattr(mytorch, fn)(m, dim=dim, keepdim=keepdim),
                   lambda: getattr(torch, fn)(t, dim=dim, keepdim=keepdim), f"{fn}(dim={dim})")
    same_behaviour(lambda: getattr(m, fn)(dim, keepdim), lambda: getattr(t, fn)(dim, keepdim), f"method {fn}")


@pytest.mark.parametrize("fn", ["all", "any"])
def test_all_any_edges_match_torch(fn):
    for arr, dim in [(np.zeros(0, np.float32), None), (np.zeros((0, 3)), 0), (np.zeros((0, 3)), 1),
                     (np.array(2.0), None), (np.array(0), 0), (np.array(1), -1)]:
        m, t = pair(arr)
        same_behaviour(lambda: getattr(mytorch, fn)(m, dim=dim), lambda: getattr(torch, fn)(t, dim=dim),
                       f"{fn} {arr.shape} dim={dim}")
    x = mytorch.ones(3, requires_grad=True)
    assert not mytorch.all(x > 0).requires_grad


def test_isnan_isinf_isfinite_need_tensors():
    for name in ["isnan", "isinf", "isfinite"]:
        same_behaviour(lambda: getattr(mytorch, name)(1.0), lambda: getattr(torch, name)(1.0))


# ============================================================================ comparisons: None, types
def test_compare_with_none_and_other_objects_like_torch():
    for L in (mytorch, torch):
        t = L.tensor([1.0, 2.0])
        assert (t == None) is False and (t != None) is True          # noqa: E711
        assert (t == "a") is False and (t != "a") is True
        assert (t == [1.0, 2.0]) is False
        for op in (operator.lt, operator.le, operator.gt, operator.ge):
            with pytest.raises(TypeError):
                op(t, None)
        with pytest.raises(TypeError):
            L.eq(t, None)
        with pytest.raises(TypeError):
            t.eq(None)
    same_behaviour(lambda: mytorch.tensor([1.0, 2.0]) == np.array([1.0, 3.0]),
                   lambda: torch.tensor([1.0, 2.0]) == np.array([1.0, 3.0]))


def test_comparisons_promote_like_torch():
    cases = [(np.array([2, 3]), 2.5), (np.array([255], np.uint8), -1), (np.array([16777217]), 16777216.0),
             (np.array([1, 0], np.bool_), 0.5), (np.array([1.5, 2.0], np.float32), np.float64(1.5))]
    for arr, num in cases:
        m, t = pair(arr)
        for op in (operator.eq, operator.lt, operator.ge):
            same_behaviour(lambda: op(m, num), lambda: op(t, num), f"{arr} {op.__name__} {num}")


def test_comparison_results_are_outside_the_graph():
    x = mytorch.tensor([1.0, -1.0], requires_grad=True)
    for r in [x > 0, x == x, mytorch.isclose(x, x), mytorch.isnan(x), mytorch.logical_not(x), x.all()]:
        assert not r.requires_grad and r.grad_fn is None and r.dtype == mytorch.bool


# ============================================================================ grad_fn names and gradients
grad_specs = [s for s in POINTWISE_OPS if s.grad]
RENAMED = {"NotImplemented": "torch::autograd::NotImplemented"}


@pytest.mark.parametrize("spec", grad_specs, ids=[s.name for s in grad_specs])
def test_grad_fn_names_match_torch(spec):
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(0.5, 2.0, shape) for shape in spec.shapes]
    flags = list(spec.requires_grad) or [True] * len(arrays)
    mt = [mytorch.tensor(a, requires_grad=f) for a, f in zip(arrays, flags)]
    tt = [torch.tensor(a, dtype=torch.float32, requires_grad=f) for a, f in zip(arrays, flags)]
    mo, to = spec.fn(mytorch, *mt), spec.fn(torch, *tt)
    name = mo.grad_fn.name()
    assert RENAMED.get(name, name) == to.grad_fn.name(), f"{spec.name}: {name} vs torch {to.grad_fn.name()}"


def test_catalog_entries_are_in_the_catalog():
    names = {s.name for s in OPS}
    assert all(s.name in names for s in POINTWISE_OPS)


@pytest.mark.parametrize("case", ["floor_divide", "floordiv_op", "ifloordiv"])
def test_floor_divide_has_no_derivative_like_torch(case):
    def run(L):
        x = L.tensor([3.0, -4.5], requires_grad=True)
        if case == "floor_divide": y = L.floor_divide(x, 2.0)
        elif case == "floordiv_op": y = x // 2
        else:
            y = x * 1
            y //= 2
        assert y.requires_grad
        y.sum().backward()
    for L in (torch, mytorch):
        with pytest.raises(RuntimeError, match="not implemented"):
            run(L)


@pytest.mark.parametrize("name", ["abs", "sqrt_at_0", "sign", "floor", "round", "clamp_bounds", "remainder_jump",
                                  "rsqrt_at_0", "log2_at_0", "reciprocal_at_0", "logsigmoid_inf"])
def test_boundary_gradients_match_torch(name):
    def run(L):
        x = L.tensor([-1.0, 0.0, 0.5, 1.0, 2.5], dtype=L.float64, requires_grad=True)
        y = {"abs": lambda: L.abs(x), "sqrt_at_0": lambda: L.sqrt(x.abs()), "sign": lambda: L.sign(x),
             "floor": lambda: L.floor(x), "round": lambda: L.round(x),
             "clamp_bounds": lambda: L.clamp_min(x, 0.0) + L.clamp_max(x, 1.0),
             "remainder_jump": lambda: L.remainder(x, 0.5) + L.fmod(x, 1.0),
             "rsqrt_at_0": lambda: L.rsqrt(x.abs()), "log2_at_0": lambda: L.log2(x.abs()),
             "reciprocal_at_0": lambda: L.reciprocal(x),
             "logsigmoid_inf": lambda: F(L).logsigmoid(x * float("inf"))}[name]()
        y.sum().backward()
        return y, x.grad
    (my, mg), (ty, tg) = run(mytorch), run(torch)
    check_same(my.detach(), ty.detach(), name)
    check_same(mg, tg, name + " grad")


# ============================================================================ in-place variants
def inplace_args(L, name):
    "Arguments for x.<name>_(...) in library L."
    other = L.tensor([0.5, -1.5, 2.0, 1.0], dtype=L.float64, requires_grad=True)
    table = {"pow": (2,), "fmod": (0.7,), "remainder": (-0.7,), "floor_divide": (0.7,), "subtract": (other,),
             "multiply": (other,), "divide": (other,), "true_divide": (3.0,), "lerp": (other, 0.3),
             "clamp": (-0.5, 0.5), "clip": (-0.5, 0.5), "clamp_min": (other,), "clamp_max": (0.25,),
             "eq": (0.5,), "ne": (other,), "lt": (0.0,), "le": (other,), "gt": (0.0,), "ge": (other,),
             "greater": (0.0,), "less": (other,), "greater_equal": (0.5,), "less_equal": (other,),
             "not_equal": (other,), "logical_and": (other,), "logical_or": (other,), "logical_xor": (other,)}
    return table.get(name, ()), other


FLOAT_INPLACE = [n for n in INPLACE if not n.startswith("bitwise")]


@pytest.mark.parametrize("name", FLOAT_INPLACE)
def test_inplace_values_and_autograd_match_torch(name):
    def run(L):
        w = L.tensor([0.5, -1.5, 2.0, 0.25], dtype=L.float64, requires_grad=True)
        args, other = inplace_args(L, name)
        y = w * 1.5                                             # a non-leaf
        out = getattr(y, name + "_")(*args)
        assert out is y                                         # (the version counter: next test)
        result = {"y": y.detach().clone(), "requires_grad": y.requires_grad}
        if name in ("floor_divide",) or name.startswith("logical"):
            return result, None
        result["node"] = y.grad_fn.name()
        (y * L.tensor([1.0, 2.0, 3.0, 4.0], dtype=L.float64)).sum().backward()
        result["w.grad"], result["other.grad"] = w.grad, other.grad
        return result, None
    (m, _), (t, _) = run(mytorch), run(torch)
    for key in t:
        if isinstance(t[key], torch.Tensor): check_same(m[key], t[key], f"{name}_: {key}")
        elif t[key] is None: assert m[key] is None or not m[key].array.any(), f"{name}_: {key}"
        else: assert m[key] == t[key], f"{name}_: {key}: {m[key]} vs {t[key]}"


@pytest.mark.parametrize("name", FLOAT_INPLACE)
def test_inplace_version_counter_bumps(name):
    y = mytorch.tensor([0.5, -1.5, 2.0, 0.25], dtype=mytorch.float64)
    args, _ = inplace_args(mytorch, name)
    args = tuple(a.detach() if isinstance(a, mytorch.Tensor) else a for a in args)
    v = y._version.value
    assert getattr(y, name + "_")(*args) is y
    assert y._version.value == v + 1


@pytest.mark.parametrize("name", FLOAT_INPLACE)
def test_inplace_on_a_leaf_that_requires_grad_raises(name):
    # PyTorch 2.13 does not record the logical ops in place, so it lets them change a leaf: we record, and refuse
    for L in ((mytorch,) if name.startswith("logical") else (torch, mytorch)):
        w = L.tensor([0.5, -1.5, 2.0, 0.25], dtype=L.float64, requires_grad=True)
        args, _ = inplace_args(L, name)
        with pytest.raises(RuntimeError, match="leaf"):
            getattr(w, name + "_")(*args)
        with L.no_grad():
            getattr(w, name + "_")(*args)                        # allowed inside no_grad


@pytest.mark.parametrize("name", INPLACE)
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "float32"])
def test_inplace_dtypes_match_torch(name, dtype, request):
    def run(L):
        y = L.tensor(sample(dtype).copy())
        args, _ = inplace_args(L, name)
        args = tuple(a.detach().to(y.dtype) if isinstance(a, L.Tensor) else a for a in args)
        return getattr(y, name + "_")(*args)
    same_behaviour(lambda: run(mytorch), lambda: run(torch), f"{name}_ on {dtype}")


@pytest.mark.parametrize("name", [n for n in TOP_LEVEL if n.endswith("_")])
def test_top_level_inplace_functions_match_torch(name):
    def run(L):
        y = L.tensor([0.5, -1.5, 2.0, 0.25], dtype=L.float64)
        args = {"clamp_": (-0.5, 0.5), "clip_": (-0.5, 0.5), "clamp_min_": (0.1,), "clamp_max_": (0.1,)}
        out = getattr(L, name)(y, *args.get(name, ()))
        assert out is y
        return y
    same_behaviour(lambda: run(mytorch), lambda: run(torch), name)


def test_inplace_records_when_only_an_argument_requires_grad():
    def run(L):
        w = L.tensor([0.2, 0.7], requires_grad=True)
        y = L.zeros(2)
        y.lerp_(end=L.ones(2), weight=w)             # keyword arguments count too
        z = L.zeros(2)
        z.clamp_min_(w)
        (y * L.tensor([1.0, 2.0]) + z).sum().backward()
        return [y.detach(), z.detach(), w.grad, y.grad_fn.name(), z.grad_fn.name()]
    for k, (m, t) in enumerate(zip(run(mytorch), run(torch))):
        if isinstance(t, str): assert m == t, (k, m, t)
        else: check_same(m, t, f"item {k}")


def test_inplace_comparison_records_a_zero_gradient_node_like_torch():
    def run(L):
        w = L.tensor([0.5, -1.5, 2.0], requires_grad=True)
        z = L.tensor([0.0, 0.0, 3.0], requires_grad=True)
        y = L.ones(3)
        y.lt_(z)                                    # self needs no grad, other does
        h = w * 2
        h.ge_(0.0)
        (h * w + y).sum().backward()
        return [y.grad_fn.name(), h.grad_fn.name(), y.detach(), h.detach(), w.grad, z.grad]
    for k, (m, t) in enumerate(zip(run(mytorch), run(torch))):
        if isinstance(t, str): assert m == t, (k, m, t)
        else: check_same(m, t, f"item {k}")


def test_inplace_logical_ops_cut_the_history():
    "A deliberate difference: PyTorch 2.13 does not record logical_*_ (old grad_fn stays); we record zero."
    w = mytorch.tensor([0.5, -1.5, 0.0], requires_grad=True)
    y = w * 2
    y.logical_and_(mytorch.tensor([1.0, 1.0, 1.0]))
    assert y.grad_fn.name() == "LogicalAndBackward1" and y.tolist() == [1.0, 1.0, 0.0]
    y.sum().backward()
    assert w.grad.tolist() == [0.0, 0.0, 0.0]


def test_inplace_bitwise_and_augmented_operators_match_torch():
    def run(L):
        t = L.tensor([7, -7, 12, 5])
        t //= 2
        a = t.clone()
        t %= 3
        b = t.clone()
        t &= 6
        t |= 1
        t ^= 3
        m = L.tensor([True, False, True])
        m &= L.tensor([True, True, False])
        m |= L.tensor([False, True, False])
        m ^= True
        x = L.tensor([5.0, -5.0])
        x //= 2
        x %= 1.5
        n = L.tensor([12, 10])
        n.bitwise_and_(6).bitwise_or_(1).bitwise_xor_(L.tensor([3, 3])).bitwise_not_()
        return [a, b, t, m, x, n]
    for k, (m, t) in enumerate(zip(run(mytorch), run(torch))):
        check_same(m, t, f"result {k}")


def test_inplace_augmented_operator_errors_match_torch():
    def bool_and_int(L):
        m = L.tensor([True, False])
        m &= 1
    def float_and(L):
        x = L.tensor([1.0])
        x &= 1
    def int_mod_float(L):
        n = L.tensor([5])
        n %= 1.5
    def shape(L):
        x = L.tensor([1.0, 2.0])
        x %= L.tensor([1.0, 2.0, 3.0])
    for fn in (bool_and_int, float_and, int_mod_float, shape):
        same_behaviour(lambda: fn(mytorch), lambda: fn(torch), fn.__name__)


# ============================================================================ operators and protocols
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_invert_abs_pos_match_torch(dtype):
    m, t = pair(sample(dtype))
    same_behaviour(lambda: ~m, lambda: ~t, f"~ {dtype}")
    same_behaviour(lambda: abs(m), lambda: abs(t), f"abs() {dtype}")
    same_behaviour(lambda: +m, lambda: +t, f"+ {dtype}")
    if dtype != "bool":
        assert (+m) is m


def test_pos_and_abs_with_grad():
    x = mytorch.tensor([-1.5, 0.0, 2.0], requires_grad=True)
    assert (+x) is x
    y = abs(x)
    assert y.grad_fn.name() == "AbsBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [-1.0, 0.0, 1.0]


@pytest.mark.parametrize("data, dtype", [(3, "int64"), ([3], "int64"), ([[3]], "int32"), (True, "bool"),
                                         (5, "uint8"), (1.0, "float32"), ([1, 2], "int64"), (2.0, "float64"),
                                         ([], "int64")])
def test_index_matches_torch(data, dtype):
    m, t = pair(np.array(data, dtype=np.bool_ if dtype == "bool" else dtype))
    lst = list(range(10, 20))
    same_behaviour(lambda: operator.index(m), lambda: operator.index(t))
    same_behaviour(lambda: lst[m], lambda: lst[t])
    same_behaviour(lambda: lst[m:], lambda: lst[t:])
    same_behaviour(lambda: list(range(m)), lambda: list(range(t)))


@pytest.mark.parametrize("spec", ["", ".4f", ".2e", ">8.3f", "+.1f", "g", ".0%", "d", ">4d", "x", "s", "08.2f"])
@pytest.mark.parametrize("data, dtype", [(0.123456, "float32"), (2.5, "float64"), (7, "int64"), (True, "bool"),
                                         ([1.5, 2.0], "float32"), ([[1, 2]], "int64"), ([], "float32")])
def test_format_matches_torch(spec, data, dtype):
    m, t = pair(np.array(data, dtype=np.bool_ if dtype == "bool" else dtype))
    same_behaviour(lambda: format(m, spec), lambda: format(t, spec), f"format({data!r}, {spec!r})")
    if spec == "" and np.ndim(data) == 0:
        assert f"{m}" == f"{t}"


def test_format_of_a_loss_that_requires_grad():
    loss = (mytorch.tensor([0.5, 1.5], requires_grad=True) ** 2).mean()
    tloss = (torch.tensor([0.5, 1.5], requires_grad=True) ** 2).mean()
    assert f"loss {loss:.4f}" == f"loss {tloss:.4f}" == "loss 1.2500"


def test_operators_with_unsupported_operands_raise_type_error():
    for L in (mytorch, torch):
        t = L.tensor([1, 2])
        for op in (operator.floordiv, operator.mod, operator.and_, operator.or_, operator.xor):
            with pytest.raises(TypeError):
                op(t, "a")
            if op is not operator.mod:          # "a" % t is string formatting (it gives "a")
                with pytest.raises(TypeError):
                    op("a", t)
            with pytest.raises(TypeError):
                op(t, None)


# ============================================================================ dtype rules of the functions
def test_alpha_rules_match_torch():
    def run(L, a, b, alpha, fn="add"):
        return getattr(L, fn)(L.tensor(a), L.tensor(b), alpha=alpha)
    for a, b, alpha in [([1, 2], [3, 4], 2.5), ([1, 2], [3, 4], True), ([True], [True], 2),
                        ([True], [False], True), ([1.0], [2.0], True), ([1.0], [2.0], -0.5), ([1, 2], [3, 4], -2),
                        ([True], [True], 0), ([1, 2], [1.5, 2.5], 2)]:
        for fn in ("add", "sub"):
            same_behaviour(lambda: run(mytorch, a, b, alpha, fn), lambda: run(torch, a, b, alpha, fn),
                           f"{fn}({a}, {b}, alpha={alpha!r})")


def test_div_rounding_mode_validated_like_torch():
    m, t = pair(np.array([1.0, 2.0]))
    same_behaviour(lambda: mytorch.div(m, 2, rounding_mode="bad"), lambda: torch.div(t, 2, rounding_mode="bad"))
    same_behaviour(lambda: m.div(2, rounding_mode="floor"), lambda: t.div(2, rounding_mode="floor"))
    same_behaviour(lambda: m.divide(2, rounding_mode="trunc"), lambda: t.divide(2, rounding_mode="trunc"))


# ============================================================================ error messages
ERRORS = [
    (lambda: mytorch.tensor([1, 2]) < mytorch.tensor([1, 2, 3]), RuntimeError, ["lt", "(2,)", "(3,)"]),
    (lambda: mytorch.remainder(mytorch.ones(2, 3), mytorch.ones(4)), RuntimeError, ["remainder", "(2, 3)", "(4,)"]),
    (lambda: mytorch.logical_and(mytorch.ones(2), mytorch.ones(3)), RuntimeError, ["logical_and", "(2,)", "(3,)"]),
    (lambda: mytorch.tensor([4, 2]) // 0, RuntimeError, ["floor_divide", "ZeroDivisionError"]),
    (lambda: mytorch.tensor([4, 2]) % mytorch.tensor([1, 0]), RuntimeError, ["remainder", "ZeroDivisionError"]),
    (lambda: mytorch.div(mytorch.ones(2), 2, rounding_mode="round"), RuntimeError, ["div", "'round'"]),
    (lambda: mytorch.add(mytorch.tensor([1]), mytorch.tensor([1]), alpha=0.5), RuntimeError, ["add", "alpha=0.5"]),
    (lambda: mytorch.neg(mytorch.tensor([True])), RuntimeError, ["neg", "`~`"]),
    (lambda: mytorch.sub(mytorch.tensor([True]), mytorch.tensor([True])), RuntimeError, ["sub", "`^`"]),
    (lambda: mytorch.abs(mytorch.tensor([True])), NotImplementedError, ["abs", "bool"]),
    (lambda: mytorch.floor(mytorch.tensor([True])), NotImplementedError, ["floor", "bool"]),
    (lambda: mytorch.round(mytorch.tensor([1]), decimals=1), NotImplementedError, ["round", "int64"]),
    (lambda: mytorch.floor_divide(mytorch.tensor([True]), mytorch.tensor([True])), NotImplementedError,
     ["floor_divide", "bool"]),
    (lambda: mytorch.bitwise_and(mytorch.ones(2), 1), NotImplementedError, ["bitwise_and", "float32", "x > 0"]),
    (lambda: ~mytorch.ones(2), TypeError, ["~", "float32"]),
    (lambda: mytorch.lerp(mytorch.ones(2), mytorch.ones(2, dtype=mytorch.float64), 0.5), RuntimeError,
     ["lerp", "float32", "float64", "end"]),
    (lambda: mytorch.lerp(mytorch.ones(2), mytorch.ones(3), 0.5), RuntimeError, ["lerp", "(2,)", "(3,)"]),
    (lambda: mytorch.isclose(mytorch.tensor([1]), mytorch.tensor([1.0])), RuntimeError,
     ["isclose", "int64", "float32"]),
    (lambda: mytorch.isclose(mytorch.ones(1), mytorch.ones(1), atol=-1), RuntimeError, ["isclose", "atol"]),
    (lambda: mytorch.eq(mytorch.ones(1), None), TypeError, ["eq", "NoneType"]),
    (lambda: mytorch.logical_or(mytorch.ones(1), 1), TypeError, ["logical_or", "other", "int"]),
    (lambda: mytorch.fmod(5, mytorch.ones(1)), TypeError, ["fmod", "input"]),
    (lambda: operator.index(mytorch.tensor(1.0)), TypeError, ["index", "float32"]),
    (lambda: operator.index(mytorch.tensor([1, 2])), TypeError, ["single element", "(2,)"]),
    (lambda: format(mytorch.ones(2), ".2f"), TypeError, ["unsupported format string"]),
    (lambda: mytorch.all(mytorch.ones(2, 2), dim=2), IndexError, ["all", "dim 2"]),
    (lambda: mytorch.pointwise.logsigmoid(mytorch.tensor([1])), NotImplementedError, ["logsigmoid", "int64"]),
    (lambda: mytorch.tensor([4]).sqrt_(), RuntimeError, ["sqrt_", "float32", "int64"]),
    (lambda: mytorch.ones(2, requires_grad=True).exp2_(), RuntimeError, ["exp2_", "leaf"]),
    (lambda: (mytorch.ones(2, requires_grad=True) // 2).sum().backward(), RuntimeError,
     ["floor_divide", "not implemented", "rounding_mode"]),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_error_messages(k):
    fn, kind, parts = ERRORS[k]
    with pytest.raises(kind) as err:
        fn()
    for p in parts:
        assert p in str(err.value), f"{p!r} not in {str(err.value)!r}"


# ============================================================================ no RuntimeWarning
SPECIAL = [np.inf, -np.inf, np.nan, 0.0, -0.0, -1.0, 1e-45, 1e38, -1e38, 88.8, -104.0]
WARNING_CALLS = {
    **{n: (lambda n: lambda x, y: getattr(mytorch, n)(x))(n) for n in
       "exp2 expm1 log2 log10 log1p rsqrt reciprocal tan erf floor ceil trunc round sign neg abs square "
       "isnan isinf isfinite exp log sqrt sigmoid tanh relu".split()},
    "round_decimals": lambda x, y: mytorch.round(x, decimals=3),
    "logsigmoid": lambda x, y: pw.logsigmoid(x), "softplus": lambda x, y: pw.softplus(x, beta=0.5),
    "add": lambda x, y: mytorch.add(x, y, alpha=3.0), "sub": lambda x, y: mytorch.sub(x, y),
    "mul": lambda x, y: mytorch.mul(x, y), "div": lambda x, y: mytorch.div(x, y),
    "div_floor": lambda x, y: mytorch.div(x, y, rounding_mode="floor"),
    "div_trunc": lambda x, y: mytorch.div(x, y, rounding_mode="trunc"),
    "floor_divide": lambda x, y: (x // y).detach(), "remainder": lambda x, y: x % y,
    "fmod": lambda x, y: mytorch.fmod(x, y), "pow": lambda x, y: mytorch.pow(x, y),
    "clamp_min": lambda x, y: mytorch.clamp_min(x, y), "clamp_max": lambda x, y: x.clamp_max(y),
    "lerp": lambda x, y: mytorch.lerp(x, y, 0.7), "lerp_tensor": lambda x, y: mytorch.lerp(x, y, y),
    "compare": lambda x, y: (x < y) | (x == y) | (x != 0.0), "isclose": lambda x, y: mytorch.isclose(x, y),
    "allclose": lambda x, y: mytorch.tensor(mytorch.allclose(x, y, equal_nan=True)),
    "equal": lambda x, y: mytorch.tensor(mytorch.equal(x, y)),
    "logical": lambda x, y: mytorch.logical_xor(x, y) & mytorch.logical_not(y),
    "all_any": lambda x, y: mytorch.all(x) | mytorch.any(y, dim=0),
    "inplace": lambda x, y: (x * 1).log2_().exp2_().rsqrt_().lerp_(y, 0.3).remainder_(y),
}


# chapter 03's Add, Sub and Mul (the hot path) leave inf - inf and 0 * inf to the package's warning filter
CH03_FILTERED = {"add", "sub", "mul"}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(WARNING_CALLS))
def test_no_runtime_warning_on_special_values(name, dtype):
    """Forward and backward on every pair of special values with every warning an error: 04b's ops emit no
    NumPy floating-point warning at all; chapter 03's hot-path kernels are checked as the user sees them."""
    a = np.array([v for v in SPECIAL for _ in SPECIAL], dtype=dtype)
    b = np.array([v for _ in SPECIAL for v in SPECIAL], dtype=dtype)
    x = mytorch.tensor(a, requires_grad=True)
    y = mytorch.tensor(b, requires_grad=True)
    with warnings.catch_warnings():
        if name in CH03_FILTERED: user_sees_no_warnings()
        else: warnings.simplefilter("error")
        out = WARNING_CALLS[name](x, y)
        if out.requires_grad:
            out.sum().backward()
            if x.grad is not None: assert x.grad.shape == x.shape


@pytest.mark.parametrize("name", ["floor_divide", "remainder", "fmod", "div_trunc", "pow", "lerp_int", "abs",
                                  "round", "all", "compare"])
def test_no_runtime_warning_on_integer_extremes(name):
    info = np.iinfo(np.int64)
    a = mytorch.tensor(np.array([info.min, info.max, -1, 0, 1, 7], dtype=np.int64))
    b = mytorch.tensor(np.array([-1, 2, info.max, 3, info.min, -7], dtype=np.int64))
    call = {"floor_divide": lambda: a // b, "remainder": lambda: a % b, "fmod": lambda: mytorch.fmod(a, b),
            "div_trunc": lambda: mytorch.div(a, b, rounding_mode="trunc"), "pow": lambda: mytorch.pow(a, 2),
            "lerp_int": lambda: mytorch.exp2(a), "abs": lambda: mytorch.abs(a), "round": lambda: mytorch.round(a),
            "all": lambda: mytorch.all(a), "compare": lambda: a < 2.5}[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        call()
