"""Edge cases of chapter 04 (nbs/04_ops.ipynb -> mytorch/ops.py), each checked against PyTorch 2.13 on the same call:
size-0 dims in every reduction and softmax, gradients at boundaries (zeros, NaN, inf), the grad_fn node names,
dtype promotion in the multi-input ops, and no NumPy RuntimeWarning leaking out of an op.

Every case is written once as `fn(lib, *tensors)` and runs unchanged on lib=mytorch and lib=torch."""
import contextlib
import math
import re
import warnings

import numpy as np
import pytest
import torch

import mytorch as mt
from conftest import dtype_name
from conftest import as_numpy as as_np

nan, inf = math.nan, math.inf


# ----------------------------------------------------------------------------- running one case on both libraries
def make(lib, data, dtype="float64", grad=False):
    "A tensor of `lib` holding `data` as `dtype` (a NumPy dtype name)."
    arr = np.array(data, dtype=dtype)
    if lib is torch:
        return torch.tensor(arr, requires_grad=grad)
    return mt.tensor(arr, dtype=arr.dtype, requires_grad=grad)


@contextlib.contextmanager
def recorded():
    """Record warnings under Python's default action plus mytorch's module filter (as `import mytorch` installs it:
    NumPy floating-point warnings raised in mytorch's code are ignored). Anything else NumPy says is recorded."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        warnings.filterwarnings("ignore", message=".*encountered in", category=RuntimeWarning,
                                module=r"mytorch(\.|$)")
        yield caught


def runtime_warnings(caught):
    return [f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in caught
            if issubclass(w.category, RuntimeWarning)]


def run(lib, fn, datas, dtype, grad, upstream=None):
    "fn on `lib`'s tensors: (output, input grads or None, warnings recorded)."
    with recorded() as caught:
        xs = [make(lib, d, dtype, grad) for d in datas]
        y = fn(lib, *xs)
        grads = None
        if grad:
            g = np.ones(tuple(y.shape)) if upstream is None else np.asarray(upstream, dtype=float)
            y.backward(torch.tensor(g, dtype=y.dtype) if lib is torch else mt.tensor(g, dtype=y.dtype))
            grads = [x.grad for x in xs]
    return y, grads, list(caught)


def assert_close(m, t, what, rtol=1e-7, atol=1e-12):
    "Same shape, same dtype name, values close (NaN equals NaN, infinities equal)."
    assert tuple(m.shape) == tuple(t.shape), f"{what}: shape {tuple(m.shape)} vs torch {tuple(t.shape)}"
    assert dtype_name(m) == dtype_name(t), f"{what}: dtype {dtype_name(m)} vs torch {dtype_name(t)}"
    np.testing.assert_allclose(as_np(m).astype(np.float64), as_np(t).astype(np.float64), rtol=rtol, atol=atol,
                               err_msg=what)


def same(fn, *datas, dtype="float64", grad=True, upstream=None, rtol=1e-7):
    """Value, dtype and input gradients of fn agree with torch; mytorch warns (UserWarning) exactly when torch does,
    and never with a RuntimeWarning."""
    ym, gm, wm = run(mt, fn, datas, dtype, grad, upstream)
    yt, gt, wt = run(torch, fn, datas, dtype, grad, upstream)
    assert_close(ym, yt, "value", rtol=rtol)
    if grad:
        for k, (a, b) in enumerate(zip(gm, gt)):
            assert (a is None) == (b is None), f"grad {k}: {a} vs torch {b}"
            if b is not None:
                assert_close(a, b, f"grad {k}", rtol=rtol)
    assert not runtime_warnings(wm), runtime_warnings(wm)
    user = lambda ws: [str(w.message) for w in ws if issubclass(w.category, UserWarning)]
    assert bool(user(wm)) == bool(user(wt)), f"warnings: {user(wm)} vs torch {user(wt)}"
    return ym, yt


def error_of(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 (any error is the answer)
        return e
    return None


# ============================================================================= 1. size-0 dims
EMPTY_ERRORS = [  # (shape, call): torch raises; mytorch must raise the same type naming the op, the dim and the shape
    ((0, 3), lambda x: x.max()), ((0, 3), lambda x: x.min()), ((0, 3), lambda x: x.amax()),
    ((0, 3), lambda x: x.amin()), ((0, 3), lambda x: x.argmax()), ((0, 3), lambda x: x.argmin()),
    ((0,), lambda x: x.max()), ((0, 3), lambda x: x.amax(())),
    ((0, 3), lambda x: x.max(0)), ((0, 3), lambda x: x.max(-2)), ((0, 3), lambda x: x.min(dim=0)),
    ((0, 3), lambda x: x.amax(0)), ((0, 3), lambda x: x.amax(-2)), ((0, 3), lambda x: x.amin(0)),
    ((0, 3), lambda x: x.argmax(0)), ((0, 3), lambda x: x.argmin(-2)),
    ((3, 0), lambda x: x.max(-1)), ((3, 0), lambda x: x.argmax(-1)), ((3, 0), lambda x: x.amax(-1)),
    ((3, 0), lambda x: x.amax((1, 0))), ((3, 0), lambda x: x.amax((0, -1))), ((3, 0), lambda x: x.amin((-1, -2))),
    ((2, 0, 3), lambda x: x.max(1, keepdim=True)), ((0,), lambda x: x.argmax(0, keepdim=True)),
    ((0, 3), lambda x: x.norm(p=inf)), ((0, 3), lambda x: x.norm(p=inf, dim=0)),
]


@pytest.mark.parametrize("shape,call", EMPTY_ERRORS)
def test_max_like_reductions_over_nothing_raise_like_torch(shape, call):
    et = error_of(lambda: call(torch.zeros(shape)))
    em = error_of(lambda: call(mt.zeros(*shape)))
    assert et is not None and em is not None, (et, em)
    assert type(em) is type(et), f"{type(em).__name__}: {em} vs torch {type(et).__name__}: {et}"
    op = re.match(r"(\w+)", str(et)).group(1)
    found = re.search(r"Expected reduction dim (-?\d+) to have non-zero size", str(et))
    if found:                                   # the dim as torch reports it (as given for amax, wrapped for max)
        assert f"Expected reduction dim {found.group(1)} to have non-zero size" in str(em), str(em)
        assert str(em).startswith(f"{op}:") and str(tuple(shape)) in str(em)
    elif "Expected reduction dim to be specified" in str(et):
        assert str(em).startswith(f"{op}: Expected reduction dim to be specified") and "(0," in str(em)
    else:                                       # norm(p=inf): no identity
        assert str(em).startswith("norm:") and "inf norm" in str(em)


EMPTY_RESULTS = [  # reductions with an identity (or a nan) over size-0 dims: value, dtype, gradient, warnings
    ("sum", lambda m, x: x.sum()), ("sum_dim0", lambda m, x: x.sum(0)), ("sum_dim1", lambda m, x: x.sum(1)),
    ("prod", lambda m, x: x.prod()), ("prod_dim0", lambda m, x: x.prod(0)), ("prod_dim1", lambda m, x: x.prod(1)),
    ("prod_keep", lambda m, x: x.prod(0, keepdim=True)),
    ("mean", lambda m, x: x.mean()), ("mean_dim0", lambda m, x: x.mean(0)), ("mean_dim1", lambda m, x: x.mean(1)),
    ("lse_dim0", lambda m, x: x.logsumexp(0)), ("lse_dim1", lambda m, x: x.logsumexp(1)),
    ("lse_all", lambda m, x: x.logsumexp((0, 1))), ("lse_keep", lambda m, x: x.logsumexp(0, keepdim=True)),
    ("softmax0", lambda m, x: x.softmax(0)), ("softmax1", lambda m, x: x.softmax(1)),
    ("log_softmax0", lambda m, x: x.log_softmax(0)), ("log_softmax1", lambda m, x: m.log_softmax(x, 1)),
    ("var", lambda m, x: x.var()), ("var0", lambda m, x: x.var(0)), ("var1", lambda m, x: x.var(1)),
    ("var_corr0", lambda m, x: x.var(0, correction=0)), ("std", lambda m, x: x.std()),
    ("std0", lambda m, x: x.std(0)), ("std1_keep", lambda m, x: x.std(1, keepdim=True)),
    ("norm", lambda m, x: x.norm()), ("norm_dim0", lambda m, x: x.norm(dim=0)), ("norm_p1", lambda m, x: x.norm(p=1)),
    ("norm_p3", lambda m, x: x.norm(p=3)), ("norm_p05", lambda m, x: x.norm(p=0.5, dim=0)),
    ("norm_inf_dim1", lambda m, x: x.norm(p=inf, dim=1)),
    ("amax_dim1", lambda m, x: x.amax(1)), ("amin_dim1", lambda m, x: x.amin(1, keepdim=True)),
    ("max_dim1", lambda m, x: x.max(1).values), ("min_dim1", lambda m, x: x.min(1).values),
    ("sum_then_softmax", lambda m, x: x.sum(0).softmax(0)),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,fn", EMPTY_RESULTS, ids=[n for n, _ in EMPTY_RESULTS])
def test_reductions_over_nothing_like_torch(name, fn, dtype):
    same(fn, np.zeros((0, 3)), dtype=dtype)


def test_reductions_over_nothing_of_a_1d_tensor():
    for fn in [lambda m, x: x.sum(), lambda m, x: x.prod(), lambda m, x: x.mean(), lambda m, x: x.logsumexp(0),
               lambda m, x: x.softmax(0), lambda m, x: x.var(), lambda m, x: x.std(), lambda m, x: x.norm(p=2.5)]:
        same(fn, np.zeros(0))


def test_var_warning_follows_torchs_count():
    "PyTorch warns when numel(input)/numel(output) - correction <= 0, with 0 for an empty output."
    for shape, call in [((1, 3), lambda x: x.var(0)), ((2, 3), lambda x: x.var(0, correction=2)),
                        ((2, 3), lambda x: x.std(1, correction=3)), ((0, 3), lambda x: x.var(1)),
                        ((2, 3), lambda x: x.var(0))]:
        with recorded() as wm:
            call(mt.zeros(*shape))
        with recorded() as wt:
            call(torch.zeros(shape))
        assert len(wm) == len(wt), ([str(w.message) for w in wm], [str(w.message) for w in wt])
        assert all("degrees of freedom is <= 0" in str(w.message) for w in wm)


# ============================================================================= 2. gradients at boundaries
NORM_INPUTS = [[0., 1., -2.], [0., 0., 0.], [1., nan, 3.], [1., inf, 3.], [1., -3., 3.], [0., -inf, 2.], [-0., 4., 0.]]


@pytest.mark.parametrize("p", [0.5, 1, 1.5, 2, 3, 4.5, inf])
@pytest.mark.parametrize("data", NORM_INPUTS, ids=[str(d) for d in NORM_INPUTS])
def test_norm_value_and_gradient_at_zeros_nan_inf_like_torch(p, data):
    same(lambda m, x: x.norm(p=p), data)
    same(lambda m, x: x.reshape(1, 3).norm(p=p, dim=1, keepdim=True), data)


def test_norm_p_below_one_at_a_zero_is_zero_like_torch():
    x = mt.tensor([0., 1., -2.], requires_grad=True)
    x.norm(p=0.5).backward()
    t = torch.tensor([0., 1., -2.], requires_grad=True)
    t.norm(p=0.5).backward()
    assert x.grad.array[0] == 0 == t.grad[0].item()
    np.testing.assert_allclose(x.grad.array, t.grad.numpy(), rtol=1e-6)


def test_norm_fro_over_three_dims_raises_like_torch():
    for lib in (mt, torch):
        with pytest.raises(RuntimeError):
            lib.zeros(2, 3, 4).norm(dim=(0, 1, 2))
        assert lib.zeros(2, 3, 4).norm(p=2, dim=(0, 1, 2)).shape == ()
    with pytest.raises(RuntimeError, match="norm: p='fro' over dims"):
        mt.zeros(2, 3, 4).norm(p="fro", dim=(0, 1, 2))


EXTREMA = [[1., nan, 3., nan], [1., nan, 3.], [nan], [1., inf, -inf], [2., 2., 1.], [-inf, -inf], [nan, nan]]


@pytest.mark.parametrize("op", ["max", "min", "amax", "amin"])
@pytest.mark.parametrize("data", EXTREMA, ids=[str(d) for d in EXTREMA])
def test_full_extrema_with_nan_and_ties_like_torch(op, data):
    "max()/min(): a NaN result sends the gradient to the NaNs (evenly_distribute_backward); amax/amin: NaN grads."
    same(lambda m, x: getattr(x, op)(), data)


ROWS = [[1., nan, 3., nan], [1., 2., 2., 0.], [nan, 1., 1., 1.], [inf, -inf, inf, 0.]]


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_dim_returns_the_first_nan_and_its_index_like_torch(op, keepdim):
    ym, yt = same(lambda m, x: getattr(x, op)(1, keepdim=keepdim).values, ROWS)
    im = getattr(mt.tensor(ROWS), op)(1, keepdim=keepdim).indices
    it = getattr(torch.tensor(ROWS), op)(1, keepdim=keepdim).indices
    assert im.tolist() == it.tolist() and dtype_name(im) == "int64"


@pytest.mark.parametrize("op", ["amax", "amin"])
def test_amax_dim_with_nan_like_torch(op):
    same(lambda m, x: getattr(x, op)(1), ROWS)
    same(lambda m, x: getattr(x, op)((0, 1), keepdim=True), ROWS)


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_with_nan_like_torch(op):
    for call in [lambda x: getattr(x, op)(1), lambda x: getattr(x, op)(), lambda x: getattr(x, op)(0, keepdim=True)]:
        assert call(mt.tensor(ROWS)).tolist() == call(torch.tensor(ROWS)).tolist()


def test_max_of_a_0d_tensor_with_a_dim_like_torch():
    for kd in (False, True):
        same(lambda m, x: (x * 2).max(0, keepdim=kd).values, 3.)
        assert mt.tensor(3.).max(0, keepdim=kd).indices.tolist() == torch.tensor(3.).max(0, keepdim=kd).indices.tolist()
    same(lambda m, x: x.prod(0), 3.)


CLAMP_INPUT = [nan, -1., 0., 1., 2., 3., inf, -inf]


@pytest.mark.parametrize("lo,hi", [(0., 2.), (0., None), (None, 2.), (nan, None), (None, nan), (2., 0.), (1., 1.),
                                   (-inf, inf), (nan, nan)])
def test_clamp_with_nan_like_torch(lo, hi):
    same(lambda m, x: x.clamp(lo, hi), CLAMP_INPUT)
    same(lambda m, x: x.clip(min=lo, max=hi), CLAMP_INPUT, dtype="float32")


def test_clamp_with_tensor_bounds_holding_nan_like_torch():
    same(lambda m, x: x.clamp(min=m.tensor([nan, 0., 0., 0., 0., 0., nan, 0.], dtype=x.dtype)), CLAMP_INPUT)


PAIRS = [([nan, 2., 1., nan, 0.], [nan, nan, 1., 0., 1.]), ([1., -inf, inf, 3.], [1., inf, inf, -inf])]


@pytest.mark.parametrize("op", ["maximum", "minimum"])
@pytest.mark.parametrize("a,b", PAIRS)
def test_maximum_minimum_with_nan_and_ties_like_torch(op, a, b):
    same(lambda m, x, y: getattr(m, op)(x, y), a, b)
    same(lambda m, x, y: getattr(x, op)(y.reshape(-1, 1)), a, b)         # broadcasting
    if op == "maximum":
        same(lambda m, x, y: x.max(y), a, b)


SOFT = [[1., nan], [1., inf], [-inf, -inf], [inf, inf], [-inf, 1.], [1e4, -1e4], [3., 3.]]


@pytest.mark.parametrize("data", SOFT, ids=[str(d) for d in SOFT])
def test_logsumexp_softmax_at_infinities_and_nan_like_torch(data):
    same(lambda m, x: x.logsumexp(0), data)
    same(lambda m, x: x.softmax(0), data, upstream=[1., 2.])
    same(lambda m, x: x.log_softmax(0), data, upstream=[1., 2.])


def test_logsumexp_keeps_the_exact_softmax_gradient_where_finite():
    x = mt.tensor([1e4, 1e4, -1e4], requires_grad=True)         # float32: exp(x - lse) would be off by ~1e-3
    x.logsumexp(0).backward()
    assert x.grad.tolist() == [0.5, 0.5, 0.0]


@pytest.mark.parametrize("data", [[1., inf], [1., nan, 2.], [1.], [2., 2.], [-inf, inf]])
def test_var_std_with_non_finite_input_like_torch(data):
    same(lambda m, x: x.var(), data)
    same(lambda m, x: x.std(), data)


@pytest.mark.parametrize("data", [[2., 0., 3.], [0., 0., 4.], [2., 5., 0.5], [0.]])
def test_prod_with_zeros_like_torch(data):
    same(lambda m, x: x.prod(), data)
    same(lambda m, x: x.reshape(1, -1).prod(1), data)


# ============================================================================= 3. grad_fn names
def _mask(lib):
    return lib.tensor([[True, False, True, False]] * 3)


NAMES = [
    ("max_all", lambda m, x: x.max()), ("max_dim", lambda m, x: x.max(1).values),
    ("max_dim_keep", lambda m, x: x.max(-1, keepdim=True).values), ("max_0d_dim", lambda m, x: x.sum().max(0).values),
    ("min_all", lambda m, x: x.min()), ("min_dim", lambda m, x: x.min(0).values),
    ("amax", lambda m, x: x.amax()), ("amax_dim", lambda m, x: x.amax(1)), ("amin", lambda m, x: x.amin((0, 1))),
    ("logsumexp", lambda m, x: x.logsumexp(1)), ("logsumexp_fn", lambda m, x: m.logsumexp(x, 0)),
    ("norm", lambda m, x: x.norm()), ("norm_p1", lambda m, x: x.norm(p=1)), ("norm_p3", lambda m, x: x.norm(p=3, dim=1)),
    ("norm_inf", lambda m, x: x.norm(p=inf)), ("norm_fro_2dims", lambda m, x: x.norm(dim=(0, 1))),
    ("norm_05", lambda m, x: x.norm(p=0.5, dim=0, keepdim=True)),
    ("prod_all", lambda m, x: x.prod()), ("prod_dim", lambda m, x: x.prod(1)), ("prod_0d_dim", lambda m, x: x.sum().prod(0)),
    ("var", lambda m, x: x.var()), ("var_dim", lambda m, x: x.var(1, correction=0)), ("std", lambda m, x: x.std()),
    ("std_dim", lambda m, x: x.std(0, keepdim=True)),
    ("clamp_min", lambda m, x: x.clamp(min=0.)), ("clamp_max", lambda m, x: x.clamp(max=0.)),
    ("clamp_both", lambda m, x: x.clamp(-1., 1.)), ("clip", lambda m, x: x.clip(-1, 1)),
    ("clamp_tensor", lambda m, x: x.clamp(min=m.zeros(4, dtype=x.dtype))),
    ("clamp_tensors", lambda m, x: x.clamp(m.zeros(4, dtype=x.dtype), m.ones(4, dtype=x.dtype))),
    ("softmax", lambda m, x: x.softmax(1)), ("log_softmax", lambda m, x: x.log_softmax(0)),
    ("softmax_fn", lambda m, x: m.softmax(x, -1)),
    ("gather", lambda m, x: x.gather(1, m.tensor([[0], [1], [3]]))),
    ("where", lambda m, x: m.where(x > 0, x, x * 2)), ("where_scalar", lambda m, x: m.where(x > 0, x, 0.)),
    ("where_method", lambda m, x: x.where(x > 0, 1.)),
    ("repeat", lambda m, x: x.repeat(2, 1)), ("cat", lambda m, x: m.cat([x, x])), ("concat", lambda m, x: m.concat([x, x], 1)),
    ("stack", lambda m, x: m.stack([x, x], 1)),
    ("masked_fill", lambda m, x: x.masked_fill(_mask(m), 0.)),
    ("masked_fill_tensor", lambda m, x: x.masked_fill(_mask(m), m.tensor(1., dtype=x.dtype))),
    ("maximum", lambda m, x: m.maximum(x, x * 0.5)),
    ("minimum", lambda m, x: m.minimum(x, x * 0.5)), ("max_binary", lambda m, x: x.max(x * 2)),
    ("expand", lambda m, x: x[:, :1].expand(3, 4)), ("broadcast_to", lambda m, x: m.broadcast_to(x, (2, 3, 4))),
    ("reshape", lambda m, x: x.reshape(4, 3)), ("view", lambda m, x: x.view(-1)), ("flatten", lambda m, x: x.flatten()),
    ("squeeze", lambda m, x: x.unsqueeze(0).squeeze()), ("squeeze_dim", lambda m, x: x.unsqueeze(0).squeeze(0)),
    ("unsqueeze", lambda m, x: x.unsqueeze(1)), ("permute", lambda m, x: x.permute(1, 0)),
    ("transpose", lambda m, x: x.transpose(0, 1)), ("T", lambda m, x: x.T), ("mT", lambda m, x: x.mT),
    ("getitem_int", lambda m, x: x[1]), ("getitem_slice", lambda m, x: x[1:]), ("getitem_none", lambda m, x: x[None]),
    ("getitem_list", lambda m, x: x[[0, 0, 2]]), ("getitem_mask", lambda m, x: x[x > 0]),
    ("narrow", lambda m, x: x.narrow(1, 1, 2)), ("select", lambda m, x: x.select(1, 2)),
    ("transpose_reshape_copy", lambda m, x: x.T.reshape(-1)),
]


def _grad_fn_name(t):
    return type(t.grad_fn).__name__ if isinstance(t, torch.Tensor) else t.grad_fn.name()


@pytest.mark.parametrize("name,fn", NAMES, ids=[n for n, _ in NAMES])
def test_grad_fn_name_like_torch(name, fn):
    data = np.random.default_rng(0).standard_normal((3, 4))
    ym, yt = fn(mt, make(mt, data, grad=True)), fn(torch, make(torch, data, grad=True))
    assert _grad_fn_name(ym) == _grad_fn_name(yt)


MULTI = [
    ("split", lambda m, x: x.split(2)), ("split_dim", lambda m, x: x.split(3, dim=1)),
    ("split_sizes", lambda m, x: x.split([1, 2])), ("chunk", lambda m, x: x.chunk(2, 1)),
    ("unbind", lambda m, x: x.unbind()), ("unbind_dim", lambda m, x: x.unbind(1)),
]


@pytest.mark.parametrize("name,fn", MULTI, ids=[n for n, _ in MULTI])
def test_grad_fn_names_of_the_pieces_like_torch(name, fn):
    data = np.random.default_rng(0).standard_normal((3, 4))
    pm, pt = fn(mt, make(mt, data, grad=True)), fn(torch, make(torch, data, grad=True))
    assert [_grad_fn_name(p) for p in pm] == [_grad_fn_name(p) for p in pt]
    assert [tuple(p.shape) for p in pm] == [tuple(p.shape) for p in pt]


def test_setitem_node_names_like_torch():
    for index, value in [((0,), 1.0), (([0, 2],), 0.0)]:
        names = []
        for lib in (mt, torch):
            h = make(lib, np.ones((3, 4)), grad=True) * 2
            h[index] = value
            names.append(_grad_fn_name(h))
        assert names[0] == names[1]


# ============================================================================= 4. dtype promotion
def _t(lib, data, dtype):
    return make(lib, data, dtype)


C = [True, False]
PROMOTION = [
    # where(cond, x, y)
    ("where_f32_0d_f64", lambda m: m.where(m.tensor(C), _t(m, [1.5, -2.], "float32"), _t(m, 2., "float64"))),
    ("where_i64_float", lambda m: m.where(m.tensor(C), _t(m, [1, -3], "int64"), 1.5)),
    ("where_i32_float", lambda m: m.where(m.tensor(C), _t(m, [1, -3], "int32"), 1.5)),
    ("where_i32_int", lambda m: m.where(m.tensor(C), _t(m, [1, -3], "int32"), 2)),
    ("where_float_i32", lambda m: m.where(m.tensor(C), 1.5, _t(m, [1, -3], "int32"))),
    ("where_ints", lambda m: m.where(m.tensor(C), 1, 2)), ("where_float_int", lambda m: m.where(m.tensor(C), 1., 2)),
    ("where_bools", lambda m: m.where(m.tensor(C), True, False)),
    ("where_f32_f64", lambda m: m.where(m.tensor(C), _t(m, [1.5, 2], "float32"), _t(m, [1., 2.], "float64"))),
    ("where_i32_f16", lambda m: m.where(m.tensor(C), _t(m, [1, 2], "int32"), _t(m, [1., 2.], "float16"))),
    ("where_bool_i32", lambda m: m.where(m.tensor(C), m.tensor(C), _t(m, [1, -3], "int32"))),
    ("where_u8_i32", lambda m: m.where(m.tensor(C), _t(m, [1, 2], "uint8"), _t(m, [1, -3], "int32"))),
    ("where_f16_float", lambda m: m.where(m.tensor(C), _t(m, [1., 2.], "float16"), 2.5)),
    ("where_i32_0d_i64", lambda m: m.where(m.tensor(C), _t(m, [1, 2], "int32"), _t(m, 5, "int64"))),
    ("where_f16_0d_f64", lambda m: m.where(m.tensor(C), _t(m, [1., 2.], "float16"), _t(m, 5., "float64"))),
    ("where_0d_0d", lambda m: m.where(m.tensor(C), _t(m, 1., "float64"), _t(m, 5., "float32"))),
    ("where_i32_0d_f64", lambda m: m.where(m.tensor(C), _t(m, [1, 2], "int32"), _t(m, 5.5, "float64"))),
    ("where_method_i32", lambda m: _t(m, [1, 2], "int32").where(m.tensor(C), 0.5)),
    # maximum / minimum
    ("maximum_i32_f32", lambda m: m.maximum(_t(m, [1, -3], "int32"), _t(m, [1.5, -2.], "float32"))),
    ("maximum_i32_0d_f64", lambda m: m.maximum(_t(m, [1, -3], "int32"), _t(m, 1., "float64"))),
    ("maximum_f32_0d_f64", lambda m: m.maximum(_t(m, [1.5, -3], "float32"), _t(m, 1., "float64"))),
    ("maximum_f16_f64", lambda m: m.maximum(_t(m, [1., 2.], "float16"), _t(m, [1., 3.], "float64"))),
    ("maximum_bools", lambda m: m.maximum(m.tensor(C), m.tensor([False, False]))),
    ("minimum_i32_u8", lambda m: m.minimum(_t(m, [1, -3], "int32"), _t(m, [1, 2], "uint8"))),
    ("minimum_i64_f16", lambda m: m.minimum(_t(m, [1, -3], "int64"), _t(m, [0.5, 2.], "float16"))),
    ("max_binary_i32_f32", lambda m: _t(m, [1, -3], "int32").max(_t(m, [1.5, -2.], "float32"))),
    # cat / stack
    ("cat_f32_f64", lambda m: m.cat([_t(m, [1.5, -2.], "float32"), _t(m, [1., 2.], "float64")])),
    ("cat_i32_f16", lambda m: m.cat([_t(m, [1, -3], "int32"), _t(m, [1., 2.], "float16")])),
    ("cat_i32_i64", lambda m: m.cat([_t(m, [1, -3], "int32"), _t(m, [1, -3], "int64")])),
    ("cat_bool_u8", lambda m: m.cat([m.tensor(C), _t(m, [1, 2], "uint8")])),
    ("cat_i32_bool", lambda m: m.cat([_t(m, [1, -3], "int32"), m.tensor(C)])),
    ("cat_legacy_empty", lambda m: m.cat([_t(m, np.zeros(0), "float64"), _t(m, np.ones((2, 3)), "float32")])),
    ("cat_legacy_empty_last", lambda m: m.cat([_t(m, np.ones((2, 3)), "float32"), _t(m, np.zeros(0), "float32")], 1)),
    ("cat_all_empty", lambda m: m.cat([_t(m, np.zeros(0), "int32"), _t(m, np.zeros(0), "int64")])),
    ("stack_f32_f64", lambda m: m.stack([_t(m, [1.5, -2.], "float32"), _t(m, [1., 2.], "float64")])),
    ("stack_i32_f16", lambda m: m.stack([_t(m, [1, -3], "int32"), _t(m, [1., 2.], "float16")], 1)),
    ("stack_bool_i64", lambda m: m.stack([m.tensor(C), _t(m, [1, -3], "int64")])),
    ("stack_0d", lambda m: m.stack([_t(m, 1., "float32"), _t(m, 2., "float64")])),
    # masked_fill keeps the input's dtype
    ("masked_fill_i64_float", lambda m: _t(m, [1, -3], "int64").masked_fill(m.tensor(C), 1.5)),
    ("masked_fill_i32_0d_f64", lambda m: _t(m, [1, -3], "int32").masked_fill(m.tensor(C), _t(m, 2.5, "float64"))),
    ("masked_fill_bool_int", lambda m: m.tensor(C).masked_fill(m.tensor([False, True]), 2)),
    ("masked_fill_u8_negative", lambda m: _t(m, [1, 2], "uint8").masked_fill(m.tensor(C), -1)),
    ("masked_fill_f16_inf", lambda m: _t(m, [1., 2.], "float16").masked_fill(m.tensor(C), inf)),
    ("masked_fill_f32_0d_f64", lambda m: _t(m, [1.5, 2.], "float32").masked_fill(m.tensor(C), _t(m, 2.5, "float64"))),
    ("masked_fill_i32_nan_free", lambda m: _t(m, [1, 2], "int32").masked_fill(m.tensor(C), -7.9)),
    # clamp: the result dtype of the tensor and the bounds
    ("clamp_i64_floats", lambda m: _t(m, [1, 0], "int64").clamp(0.5, 1.5)),
    ("clamp_i64_min_float", lambda m: _t(m, [1, 0], "int64").clamp(min=0.5)),
    ("clamp_i64_ints", lambda m: _t(m, [1, 5], "int64").clamp(0, 1)),
    ("clamp_i32_ints", lambda m: _t(m, [1, 5], "int32").clamp(0, 1)),
    ("clamp_i32_int_float", lambda m: _t(m, [1, 5], "int32").clamp(0, 1.5)),
    ("clamp_u8_negative", lambda m: _t(m, [1, 2], "uint8").clamp(min=-1)),
    ("clamp_bool_ints", lambda m: m.tensor(C).clamp(0, 1)),
    ("clamp_bool_float", lambda m: m.tensor(C).clamp(0.5)),
    ("clamp_i32_bool", lambda m: _t(m, [1, -3], "int32").clamp(True)),
    ("clamp_f16_float", lambda m: _t(m, [1., 5.], "float16").clamp(0.5, 2.5)),
    ("clamp_i32_tensor_f64", lambda m: _t(m, [1, -3], "int32").clamp(min=_t(m, [0.5, 0.5], "float64"))),
    ("clamp_i32_0d_f64", lambda m: _t(m, [1, -3], "int32").clamp(min=_t(m, 0.5, "float64"))),
    ("clamp_f32_tensor_f64", lambda m: _t(m, [1.5, -3], "float32").clamp(min=_t(m, [0.5, 0.5], "float64"))),
    ("clamp_f32_tensor_i64", lambda m: _t(m, [1.5, -3], "float32").clamp(min=_t(m, [0, 0], "int64"))),
    ("clamp_i32_tensor_i64", lambda m: _t(m, [1, -3], "int32").clamp(min=_t(m, [0, 0], "int64"))),
    ("clamp_f32_tensors", lambda m: _t(m, [1.5, -3], "float32").clamp(_t(m, [0., 0.], "float32"), _t(m, [1., 1.], "float32"))),
]


@pytest.mark.parametrize("name,fn", PROMOTION, ids=[n for n, _ in PROMOTION])
def test_promotion_like_torch(name, fn):
    with recorded() as caught:
        m = fn(mt)
    t = fn(torch)
    assert_close(m, t, name)
    assert not runtime_warnings(caught), runtime_warnings(caught)


OVERFLOW = [  # torch raises RuntimeError ("value cannot be converted to type ... without overflow")
    ("clamp_u8_300", lambda m: _t(m, [1, 2], "uint8").clamp(0, 300)),
    ("clamp_i8_range", lambda m: _t(m, [1, 2], "int8").clamp(-200, 100)),
    ("clamp_f16_big", lambda m: _t(m, [1., 2.], "float16").clamp(0.5, 1e6)),
    ("masked_fill_i8_1000", lambda m: _t(m, [1, 2], "int8").masked_fill(m.tensor(C), 1000)),
    ("masked_fill_i8_1e10", lambda m: _t(m, [1, 2], "int8").masked_fill(m.tensor(C), 1e10)),
    ("masked_fill_i32_nan", lambda m: _t(m, [1, 2], "int32").masked_fill(m.tensor(C), nan)),
    ("masked_fill_f16_big", lambda m: _t(m, [1., 2.], "float16").masked_fill(m.tensor(C), 1e6)),
    ("masked_fill_u8_minus_300", lambda m: _t(m, [1, 2], "uint8").masked_fill(m.tensor(C), -300)),
]


@pytest.mark.parametrize("name,fn", OVERFLOW, ids=[n for n, _ in OVERFLOW])
def test_a_number_that_does_not_fit_raises_like_torch(name, fn):
    with pytest.raises(RuntimeError):
        fn(torch)
    with pytest.raises(RuntimeError, match=r"^(clamp|masked_fill): value .* cannot be converted to type \w+ "
                                           r"without overflow"):
        fn(mt)


def test_clamp_mixing_a_tensor_and_a_number_raises_like_torch():
    for lib in (mt, torch):
        with pytest.raises(TypeError):
            lib.zeros(3).clamp(lib.zeros(3), 1.0)


def test_where_with_a_uint8_condition_warns_like_torch():
    for lib in (mt, torch):
        with pytest.warns(UserWarning, match="uint8 condition"):
            out = lib.where(_t(lib, [1, 0], "uint8"), _t(lib, [1., 2.], "float32"), 0.)
        assert out.tolist() == [1., 0.]
    with pytest.raises(RuntimeError, match="where: expected condition to be a boolean tensor"):
        mt.where(mt.tensor([1., 0.]), 1., 0.)


PROMOTED_GRADS = [
    ("cat", lambda m, a, b: m.cat([a, b])), ("stack", lambda m, a, b: m.stack([a, b], 1)),
    ("where", lambda m, a, b: m.where(m.tensor([True, False]), a, b)),
    ("where_0d", lambda m, a, b: m.where(m.tensor([True, False]), a, b[0])),
    ("maximum", lambda m, a, b: m.maximum(a, b)), ("minimum_0d", lambda m, a, b: m.minimum(a, b[1])),
    ("masked_fill_0d", lambda m, a, b: a.masked_fill(m.tensor([True, False]), b[0])),
]


@pytest.mark.parametrize("name,fn", PROMOTED_GRADS, ids=[n for n, _ in PROMOTED_GRADS])
def test_gradients_come_back_in_each_inputs_dtype_like_torch(name, fn):
    out, grads = {}, {}
    for lib in (mt, torch):
        a = make(lib, [1.5, -2.], "float32", grad=True)
        b = make(lib, [0.25, 3.], "float64", grad=True)
        y = fn(lib, a, b)
        y.backward(lib.ones_like(y))
        out[lib], grads[lib] = y, (a.grad, b.grad)
    assert_close(out[mt], out[torch], name, rtol=1e-6)
    for gm, gt in zip(grads[mt], grads[torch]):
        assert (gm is None) == (gt is None)
        if gt is not None:
            assert_close(gm, gt, f"{name} grad", rtol=1e-6)


def test_cat_legacy_empty_gradient_like_torch():
    grads = []
    for lib in (mt, torch):
        e = make(lib, np.zeros(0), grad=True)
        x = make(lib, np.ones((2, 3)), grad=True)
        lib.cat([e, x, e], 1).sum().backward()
        grads.append((as_np(e.grad).shape, as_np(x.grad)))
    assert grads[0][0] == grads[1][0] and np.array_equal(grads[0][1], grads[1][1])


# ============================================================================= 5. no NumPy RuntimeWarning from an op
NASTY = [0., -0., inf, -inf, nan, 1., -2., 0.5, 3e38, -3e38, 1e-45, 2.]   # 12 values: reshaped to (3, 4)
HOT = [  # every chapter-05 op on inputs with inf, nan and zeros; forward and backward
    lambda m, x: x.max(), lambda m, x: x.min(), lambda m, x: x.max(1).values, lambda m, x: x.min(0).values,
    lambda m, x: x.amax(1), lambda m, x: x.amin(), lambda m, x: x.max(1).values * x.argmax(1),
    lambda m, x: x.argmin() * x,
    lambda m, x: x.var(), lambda m, x: x.std(1), lambda m, x: x.var(0, correction=0), lambda m, x: x.std(),
    lambda m, x: x.logsumexp(1), lambda m, x: x.logsumexp((0, 1)), lambda m, x: x.softmax(1),
    lambda m, x: x.log_softmax(0), lambda m, x: x.prod(), lambda m, x: x.prod(1),
    lambda m, x: x.norm(), lambda m, x: x.norm(p=1, dim=1), lambda m, x: x.norm(p=0.5), lambda m, x: x.norm(p=3),
    lambda m, x: x.norm(p=1.5, dim=0), lambda m, x: x.norm(p=inf, dim=1),
    lambda m, x: x.clamp(0., 1.), lambda m, x: x.clamp(min=nan), lambda m, x: x.clip(max=-inf),
    lambda m, x: m.maximum(x, x.T.reshape(3, 4)), lambda m, x: m.minimum(x, x * 0),
    lambda m, x: m.where(x > 0, x, x * inf), lambda m, x: x.masked_fill(x != x, 0.),
    lambda m, x: x.masked_fill(x > 1, m.tensor(inf, dtype=x.dtype, requires_grad=True)),
    lambda m, x: m.cat([x, x * 0], 1), lambda m, x: m.stack([x, -x]), lambda m, x: x.repeat(2, 3),
    lambda m, x: x.gather(1, m.tensor([[0, 0], [1, 3], [2, 2]])), lambda m, x: x[[0, 0, 2]],
    lambda m, x: x[x > 0], lambda m, x: x.reshape(4, 3).T, lambda m, x: x.permute(1, 0).flatten(),
    lambda m, x: x.split(1)[1], lambda m, x: x.chunk(2, 1)[0], lambda m, x: x.unbind(1)[3],
    lambda m, x: x.narrow(1, 1, 2), lambda m, x: x.unsqueeze(0).expand(2, 3, 4),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("k", range(len(HOT)))
def test_no_numpy_runtime_warning_on_inf_nan_and_zeros(k, dtype):
    x = mt.tensor(np.array(NASTY).reshape(3, 4).astype(dtype), dtype=np.dtype(dtype), requires_grad=True)
    with recorded() as caught:
        y = HOT[k](mt, x)
        y.backward(np.ones(y.shape))                        # the engine's part (chapter 03) stays quiet too
        y2 = HOT[k](mt, x.detach().requires_grad_())
        g = np.array([inf, -inf, nan, 0.] * (y2.array.size // 4 + 1))[:y2.array.size].reshape(y2.shape)
        if y2.grad_fn is not None:
            y2.grad_fn.backward(y2.grad_fn, g)              # the op's own backward on a nasty upstream gradient
    assert not runtime_warnings(caught), runtime_warnings(caught)


@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0)])
def test_no_numpy_warning_on_empty_input(shape):
    x = mt.zeros(*shape, requires_grad=True)
    ops = [lambda x: x.sum(-1), lambda x: x.prod(-1), lambda x: x.logsumexp(-1), lambda x: x.softmax(-1),
           lambda x: x.log_softmax(0), lambda x: x.var(-1), lambda x: x.std(0), lambda x: x.norm(dim=-1),
           lambda x: x.norm(p=3), lambda x: x.mean(-1)]
    with recorded() as caught:
        for op in ops:
            y = op(x)
            y.backward(np.ones(y.shape))
    assert not runtime_warnings(caught), runtime_warnings(caught)
    assert all(issubclass(w.category, UserWarning) and "degrees of freedom" in str(w.message) for w in caught)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_backward_fast_path_and_edges_as_torch(dtype):
    "relu's VJP: one multiply when all is finite, np.where's exact rule when inf/nan would leak (ERRATA 3.2)."
    import torch
    cases = [([-1.0, 0.0, 2.0, 3.0], [0.5, 1.0, -2.0, 4.0]),                  # fast path
             ([-1.0, 0.0, 2.0, float("nan")], [1.0, 1.0, 1.0, 1.0]),        # relu'(nan) = 1
             ([-1.0, 0.0, 2.0, 3.0], [float("inf"), -float("inf"), float("nan"), 1.0])]   # no inf*0
    for xs, gs in cases:
        a = mt.tensor(np.array(xs, dtype), requires_grad=True)
        b = torch.tensor(np.array(xs, dtype), requires_grad=True)
        a.relu().backward(mt.tensor(np.array(gs, dtype)))
        b.relu().backward(torch.tensor(np.array(gs, dtype)))
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
        assert a.grad.dtype == a.dtype
