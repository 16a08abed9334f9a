"""Unit tests for chapter 04 (nbs/04_ops.ipynb -> mytorch/ops.py): PyTorch's choices at ties and boundaries,
signatures, assignment, bad-input messages. Property tests over shapes live in test_broadcasting.py."""
import math
import re
import warnings

import numpy as np
import pytest
import torch

import mytorch as mt
from mytorch import ops
from mytorch.ops import cat, chunk, maximum, minimum, stack, where
from conftest import m64, t64


def same(fn_m, fn_t, *inputs, upstream=None, fd=True):
    "Value and gradients of fn_m (mytorch) and fn_t (torch) agree, and mytorch's pass gradcheck when fd."
    xs, ts = [m64(a) for a in inputs], [t64(a) for a in inputs]
    ym, yt = fn_m(*xs), fn_t(*ts)
    assert ym.shape == tuple(yt.shape)
    np.testing.assert_allclose(ym.array, yt.detach().numpy(), rtol=1e-9, atol=1e-12)
    g = np.ones(ym.shape) if upstream is None else upstream
    ym.backward(g)
    yt.backward(torch.tensor(g, dtype=torch.float64))
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad.array, t.grad.numpy(), rtol=1e-9, atol=1e-12)
    if fd: assert mt.autograd.gradcheck(fn_m, [m64(a) for a in inputs])


RNG = np.random.default_rng(0)
X34 = RNG.standard_normal((3, 4))
X234 = RNG.standard_normal((2, 3, 4))


# ------------------------------------------------------------------ unbroadcast is the adjoint of broadcasting
@pytest.mark.parametrize("shape,big", [((3, 1), (2, 3, 4)), ((4,), (5, 4)), ((), (2, 3)), ((2, 1, 3), (2, 5, 3))])
def test_unbroadcast_is_the_adjoint(shape, big):
    x, y = RNG.standard_normal(shape), RNG.standard_normal(big)
    assert np.isclose(np.sum(np.broadcast_to(x, big) * y), np.sum(x * mt.autograd.engine.unbroadcast(y, shape)))


def test_bias_gradient_is_the_batch_sum():
    x, w, b = RNG.standard_normal((4, 3)), RNG.standard_normal((3, 2)), RNG.standard_normal(2)
    same(lambda x, w, b: x @ w + b, lambda x, w, b: x @ w + b, x, w, b, upstream=RNG.standard_normal((4, 2)))


# ------------------------------------------------------------------ max / min / amax / amin
def test_max_returns_named_tuple_like_torch():
    r, rt = mt.tensor(X234).max(dim=1), torch.tensor(X234).max(dim=1)
    assert type(r).__name__ == "max" and r._fields == ("values", "indices")
    v, i = r
    np.testing.assert_array_equal(v.array, rt.values.numpy())
    np.testing.assert_array_equal(i.array, rt.indices.numpy())
    assert i.dtype == mt.int64
    rk = mt.tensor(X234).min(-1, keepdim=True)
    assert rk.values.shape == (2, 3, 1) and rk.indices.shape == (2, 3, 1) and type(rk).__name__ == "min"


def test_ties_follow_torch():
    x = [1., 3., 3., 2.]
    same(lambda t: t.max(), lambda t: t.max(), x, fd=False)                     # shared: [0, .5, .5, 0]
    same(lambda t: t.amax(dim=0), lambda t: t.amax(dim=0), x, fd=False)
    same(lambda t: t.max(dim=0).values, lambda t: t.max(dim=0).values, x, fd=False)   # all to index 1
    same(lambda t: t.min(), lambda t: t.min(), [1., 1., 2.], fd=False)
    X = [[1., 3., 3.], [2., 2., 0.]]
    same(lambda t: t.amin(dim=1) + t.amax(dim=0).sum(), lambda t: t.amin(dim=1) + t.amax(dim=0).sum(), X, fd=False)
    assert mt.tensor(x).max().item() == 3 and m64(x).max(dim=0).indices.item() == torch.tensor(x).max(dim=0).indices.item()
    z = m64(x); z.max().backward()
    assert z.grad.tolist() == [0, 0.5, 0.5, 0]


def test_max_with_a_tensor_is_maximum_and_zero_d():
    a, b = RNG.standard_normal((3, 1)), RNG.standard_normal(4)
    same(lambda a, b: a.max(b), lambda a, b: a.max(b), a, b)
    r = mt.tensor(2.0).max(dim=0)
    assert r.values.shape == () and r.indices.item() == 0


def test_argmax_argmin_like_torch():
    X = np.array([[1., 3., 3.], [2., 2., 0.]])
    for kw in [{}, {"dim": 1}, {"dim": 0, "keepdim": True}, {"dim": -1}]:
        for f in ("argmax", "argmin"):
            got, want = getattr(mt.tensor(X), f)(**kw), getattr(torch.tensor(X), f)(**kw)
            assert got.shape == tuple(want.shape) and got.tolist() == want.tolist() and got.dtype == mt.int64
    assert not m64(X).argmax().requires_grad


# ------------------------------------------------------------------ var / std / logsumexp / norm / prod
@pytest.mark.parametrize("call", [
    lambda x: x.var(), lambda x: x.var(1), lambda x: x.var(1, False), lambda x: x.var(1, True, True),
    lambda x: x.var(False), lambda x: x.var(unbiased=False), lambda x: x.var(dim=(0, 2), correction=2),
    lambda x: x.var(dim=-1, keepdim=True, correction=0), lambda x: x.std(), lambda x: x.std(0, False, True),
    lambda x: x.std(dim=(0, 1), correction=0), lambda x: x.std(True)])
def test_var_std_signatures_like_torch(call):
    same(call, call, X234)


def test_std_of_a_constant_has_zero_gradient():
    same(lambda x: x.std(dim=1), lambda x: x.std(dim=1), [[1., 1., 1.], [1., 2., 3.]], fd=False)
    x = m64([2., 2.]); x.std().backward()
    assert x.grad.tolist() == [0, 0]


def test_var_degrees_of_freedom_warns_like_torch():
    with pytest.warns(UserWarning, match="degrees of freedom"):
        v = mt.tensor([1.0]).var()
    assert math.isnan(v.item())
    with pytest.raises(RuntimeError, match="var: std and var only support floating point"):
        mt.tensor([1, 2]).var()


def test_logsumexp_stable_and_like_torch():
    same(lambda x: x.logsumexp(dim=0), lambda x: x.logsumexp(dim=0), [1e4, 1e4, -1e4], fd=False)
    same(lambda x: x.logsumexp(dim=(0, 2), keepdim=True), lambda x: x.logsumexp(dim=(0, 2), keepdim=True), X234)
    y = mt.tensor([-math.inf, -math.inf]).logsumexp(0)
    assert y.item() == -math.inf


@pytest.mark.parametrize("p", [2, 1, 3, 1.5, math.inf, "fro"])
def test_norm_like_torch(p):
    same(lambda x: x.norm(p=p, dim=1), lambda x: x.norm(p=p, dim=1), X34)
    same(lambda x: x.norm(p=p), lambda x: x.norm(p=p), X34)


def test_norm_at_zero_and_bad_p():
    same(lambda x: x.norm(), lambda x: x.norm(), np.zeros(3), fd=False)
    same(lambda x: x.norm(p=1), lambda x: x.norm(p=1), [0., 1., -2.], fd=False)
    with pytest.raises(ValueError, match="norm: p must be"):
        mt.tensor([1.0]).norm(p=-1)
    with pytest.raises(RuntimeError, match="norm: expected a floating point"):
        mt.tensor([1, 2]).norm()


@pytest.mark.parametrize("values", [[2., 0., 3.], [2., 0., 0.], [0., 0., 0.], [2., 5., 3.], [[2., 0., 3.], [1., 2., 3.]]])
def test_prod_with_zeros_like_torch(values):
    same(lambda x: x.prod(), lambda x: x.prod(), values)
    same(lambda x: x.prod(dim=-1, keepdim=True), lambda x: x.prod(dim=-1, keepdim=True), values)
    with pytest.raises(TypeError, match="prod: dim must be an int"):
        mt.tensor(values).prod(dim=(0,))


def test_sum_mean_with_dims_from_chapter_03():
    for dim in [None, 0, -1, (0, 2), (-1, -3)]:
        for k in [False, True]:
            same(lambda x: x.sum(dim=dim, keepdim=k) * 2 + x.mean(dim=dim, keepdim=k) ** 2,
                 lambda x: x.sum(dim=dim, keepdim=k) * 2 + x.mean(dim=dim, keepdim=k) ** 2, X234)


# ------------------------------------------------------------------ shape operations
@pytest.mark.parametrize("call", [
    lambda x: x.reshape(4, -1), lambda x: x.reshape((6, 4)), lambda x: x.view(-1), lambda x: x.flatten(),
    lambda x: x.flatten(1), lambda x: x.flatten(0, -2), lambda x: x.unsqueeze(0), lambda x: x.unsqueeze(-1),
    lambda x: x.unsqueeze(1).squeeze(), lambda x: x.unsqueeze(1).squeeze(1), lambda x: x.unsqueeze(1).squeeze(0),
    lambda x: x.transpose(0, -1), lambda x: x.permute(2, 0, 1), lambda x: x.permute((1, 2, 0)), lambda x: x.mT,
    lambda x: x[:, :1].expand(5, 2, 3, 4), lambda x: x[:, :1].expand(-1, 5, -1), lambda x: x[0, :1].broadcast_to((2, 3, 4)),
    lambda x: x.repeat(2, 1, 3), lambda x: x.repeat(2, 1, 1, 2), lambda x: x.expand_as(x)])
def test_shape_ops_like_torch(call):
    same(call, call, X234, upstream=None)


def test_T_like_torch():
    same(lambda x: x.T, lambda x: x.T, X34)
    for shape in [(2, 3, 4), (3,)]:
        with pytest.warns(UserWarning, match="mT"):
            got = mt.tensor(np.zeros(shape)).T
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = torch.zeros(shape).T
        assert got.shape == tuple(want.shape)
    with pytest.raises(RuntimeError, match="mT: only supported on matrices"):
        mt.tensor([1., 2.]).mT


def test_views_share_storage_as_in_torch():
    "reshape (when possible), slicing, select and iteration give views: writes reach the source, as in torch."
    for lib in (mt, torch):
        x = lib.tensor([1., 2., 3., 4.])
        y = x.reshape(2, 2); y += 1
        z = x[1:3]; z[0] = 100.0
        for row in x.view(2, 2): row += 1
        x.view(-1)[3] = -1.0
        if lib is mt: got = x.tolist()
        else: want = x.tolist()
    assert got == want


def test_squeeze_and_flatten_zero_d():
    s = mt.tensor(2.0)
    assert s.flatten().shape == tuple(torch.tensor(2.0).flatten().shape) and s.unsqueeze(0).shape == (1,)
    assert mt.tensor(np.zeros((2, 3))).squeeze(1).shape == (2, 3)


# ------------------------------------------------------------------ indexing
@pytest.mark.parametrize("index", [1, -1, (slice(None), 2), (slice(0, 3, 2), None, Ellipsis, 1), (Ellipsis, slice(1, None)),
                                   [0, 0, 1], ([0, 1, 1], slice(None), [3, 3, 0]), (1, [2, 2, 0, 1]), ([[0, 1], [1, 1]],)])
def test_getitem_like_torch(index):
    tindex = tuple(torch.tensor(i) if isinstance(i, list) else i for i in (index if isinstance(index, tuple) else (index,)))
    same(lambda x: x[index], lambda x: x[tindex], X234)


def test_getitem_mask_and_tensor_indices():
    mask = X234[..., 0] > 0
    same(lambda x: x[mt.tensor(mask)], lambda x: x[torch.tensor(mask)], X234)
    same(lambda x: x[mt.tensor([0, 0, 2])], lambda x: x[torch.tensor([0, 0, 2])], X34)
    x = m64(np.zeros(3)); x[[0, 0, 2]].sum().backward()
    assert x.grad.tolist() == [2, 0, 1]               # repeated indices accumulate


def test_iteration():
    rows = list(mt.tensor(X34))
    assert len(rows) == 3 and all(np.array_equal(r.array, X34[i]) for i, r in enumerate(rows))
    with pytest.raises(TypeError, match="0-d"):
        iter(mt.tensor(1.0))


def test_gather_like_torch():
    idx = [[0, 0], [3, 1], [2, 2]]
    same(lambda x: x.gather(1, mt.tensor(idx)), lambda x: x.gather(1, torch.tensor(idx)), X34)
    same(lambda x: ops.gather(x, 0, mt.tensor([[2, 2, 2, 2]])), lambda x: torch.gather(x, 0, torch.tensor([[2, 2, 2, 2]])), X34)
    with pytest.raises(RuntimeError, match="gather: expected an integer index"):
        mt.tensor(X34).gather(1, mt.tensor([[0.0]]))
    with pytest.raises(RuntimeError, match="gather: index must have the same number of dims"):
        mt.tensor(X34).gather(1, mt.tensor([0, 1]))


def test_setitem_rules():
    x = mt.zeros(2, 3)
    x[0] = 1.0
    x[1, ::2] = mt.tensor([5., 6.])
    assert x.tolist() == [[1, 1, 1], [5, 0, 6]] and x._version.value == 2
    w = mt.tensor([1., 2.], requires_grad=True)
    with pytest.raises(RuntimeError, match="setitem: a leaf Variable that requires grad"):
        w[0] = 3.0
    with mt.no_grad():
        w[0] = 3.0
    assert w.tolist() == [3, 2] and w.is_leaf


def _write(lib_index, value_first=False):
    def f(x, v):
        h = x * 2.0
        h[lib_index] = v
        return h * x
    return f


@pytest.mark.parametrize("index,vshape", [(0, (4,)), ((slice(None), 1), (3,)), ((slice(0, 2), slice(1, 3)), (2,)),
                                          ((1, 2), ()), ((slice(None),), (1, 4)), (([0, 2], 1), (2,))])
def test_setitem_on_non_leaf_like_torch(index, vshape):
    tindex = tuple(torch.tensor(i) if isinstance(i, list) else i for i in (index if isinstance(index, tuple) else (index,)))
    v = RNG.standard_normal(vshape)
    same(_write(index), _write(tindex), X34, v)


def test_setitem_value_requiring_grad_makes_a_non_leaf():
    v, tv = m64(2.0), t64(2.0)
    b, tb = mt.zeros(3, dtype=mt.float64), torch.zeros(3, dtype=torch.float64)
    b[1] = v; tb[1] = tv
    assert b.requires_grad and not b.is_leaf and tb.requires_grad and not tb.is_leaf
    (b * mt.tensor([1., 2., 3.], dtype=mt.float64)).sum().backward()
    (tb * torch.tensor([1., 2., 3.], dtype=torch.float64)).sum().backward()
    assert v.grad.item() == tv.grad.item() == 2.0


def test_setitem_invalidates_saved_values():
    p = mt.tensor([1., 2.], requires_grad=True)
    q = p * 1.0
    r = (q * q).sum()
    q[0] = 0.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        r.backward()


def test_masked_fill_like_torch():
    mask = np.array([[True, False, True, False]] * 3)
    same(lambda x: x.masked_fill(mt.tensor(mask), -1.5), lambda x: x.masked_fill(torch.tensor(mask), -1.5), X34)
    same(lambda x, v: x.masked_fill(mt.tensor(mask[0]), v), lambda x, v: x.masked_fill(torch.tensor(mask[0]), v), X34, 0.5)
    t = mt.zeros(4); t.masked_fill_(mt.tensor([True, False, False, True]), 7.0)
    assert t.tolist() == [7, 0, 0, 7]
    assert mt.tensor([1, 2]).masked_fill(mt.tensor([True, False]), 2.5).tolist() == [2, 2]      # cast like torch
    with pytest.raises(RuntimeError, match="masked_fill: only supports boolean masks"):
        mt.tensor(X34).masked_fill(mt.tensor([1, 0, 1, 0]), 0.0)
    with pytest.raises(RuntimeError, match=re.escape("masked_fill: mask of shape (2, 3, 4) cannot be broadcast to the tensor's shape (3, 4)")):
        mt.tensor(X34).masked_fill(mt.tensor(np.ones((2, 3, 4), bool)), 0.0)


# ------------------------------------------------------------------ combining
def test_cat_stack_like_torch():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 1))
    same(lambda a, b: cat([a, b, a], dim=1), lambda a, b: torch.cat([a, b, a], dim=1), a, b)
    same(lambda a: ops.concat((a, a * 2), dim=0), lambda a: torch.concat((a, a * 2), dim=0), a)
    for dim in [0, 1, 2, -1]:
        same(lambda a: stack([a, a.exp(), a], dim=dim), lambda a: torch.stack([a, a.exp(), a], dim=dim), a)


def test_split_chunk_narrow_like_torch():
    x = RNG.standard_normal((7, 4))
    for arg in [3, 2, 7, 10, [2, 5], [0, 7], [1, 1, 5]]:
        same(lambda x: stack([p.sum(0) for p in x.split(arg)]), lambda x: torch.stack([p.sum(0) for p in x.split(arg)]), x)
        assert [p.shape for p in mt.tensor(x).split(arg)] == [tuple(p.shape) for p in torch.tensor(x).split(arg)]
    for n in [1, 2, 3, 4, 6, 9]:
        assert [p.shape for p in chunk(mt.tensor(x), n)] == [tuple(p.shape) for p in torch.chunk(torch.tensor(x), n)]
        assert [p.shape for p in mt.tensor(x).chunk(n, dim=1)] == [tuple(p.shape) for p in torch.tensor(x).chunk(n, dim=1)]
    same(lambda x: x.chunk(3, dim=1)[1][:3] * x.narrow(0, -3, 3)[:, :2], lambda x: x.chunk(3, dim=1)[1][:3] * x.narrow(0, -3, 3)[:, :2], x)


# ------------------------------------------------------------------ where / clamp / maximum / minimum / softmax
def test_where_dtypes_like_torch():
    c = [True, False]
    for x, y in [(1.0, 0.0), (mt.tensor([1, 2]), 0.5), (mt.tensor([1., 2.]), 0), (mt.tensor([1, 2]), 3)]:
        tx = torch.tensor(x.array) if isinstance(x, mt.Tensor) else x
        assert str(where(mt.tensor(c), x, y).dtype) == str(torch.where(torch.tensor(c), tx, y).dtype).replace("torch.", "")
    a = RNG.standard_normal(4)
    same(lambda a: a.where(mt.tensor(a.array > 0), 0.0), lambda a: a.where(torch.tensor(a.detach().numpy() > 0), 0.0), a)
    with pytest.raises(RuntimeError, match="where: expected condition to be a boolean tensor"):
        where(mt.tensor([1., 0.]), 1.0, 0.0)


@pytest.mark.parametrize("lo,hi", [(1., 2.), (2., 1.), (None, 1.), (1., None), (1.5, 1.5)])
def test_clamp_boundaries_like_torch(lo, hi):
    x = [0., 1., 1.5, 2., 3.]
    same(lambda t: t.clamp(lo, hi), lambda t: t.clamp(lo, hi), x, fd=False)
    same(lambda t: t.clip(min=lo, max=hi), lambda t: t.clip(min=lo, max=hi), x, fd=False)


def test_clamp_errors_and_tensor_bounds():
    with pytest.raises(RuntimeError, match="clamp: at least one of 'min' or 'max'"):
        mt.tensor([1.0]).clamp()
    with pytest.raises(RuntimeError, match="clamp: gradients with respect to min/max"):
        mt.tensor([1.0]).clamp(min=mt.tensor(0.0, requires_grad=True))
    lo = np.array([0.0, 0.5, -1.0])
    same(lambda x: x.clamp(min=mt.tensor(lo, dtype=mt.float64)), lambda x: x.clamp(min=torch.tensor(lo)), [0.2, 0.1, -3.0], fd=False)


def test_maximum_minimum_ties_split_like_torch():
    a, b = [1., 2., 3., 0.], [1., 1., 4., 0.]
    same(maximum, torch.maximum, a, b, fd=False)
    same(minimum, torch.minimum, a, b, fd=False)
    same(lambda a, b: a.maximum(b) + a.minimum(b), lambda a, b: a.maximum(b) + a.minimum(b), a, b, fd=False)


def test_softmax_log_softmax_stable_like_torch():
    logits = np.array([[1e4, 0., -1e4], [-1e4, -1e4, 3.]], dtype=np.float32)
    up = np.array([[1., 2., 3.], [4., 5., 6.]], dtype=np.float32)
    for f in ("softmax", "log_softmax"):
        xm, xt = mt.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
        ym, yt = getattr(xm, f)(dim=1), getattr(xt, f)(dim=1)
        assert ym.dtype == mt.float32 and np.isfinite(ym.array).all()
        np.testing.assert_allclose(ym.array, yt.detach().numpy(), rtol=1e-6, atol=1e-6)
        ym.backward(up); yt.backward(torch.tensor(up))
        assert np.isfinite(xm.grad.array).all()
        np.testing.assert_allclose(xm.grad.array, xt.grad.numpy(), rtol=1e-5, atol=1e-5)
    same(lambda x: ops.softmax(x, 0), lambda x: torch.softmax(x, 0), X34)
    same(lambda x: ops.log_softmax(x, -1), lambda x: torch.log_softmax(x, -1), X234)
    with pytest.raises(RuntimeError, match="softmax: expected a floating point tensor"):
        mt.tensor([1, 2]).softmax(0)


# ------------------------------------------------------------------ bad input: op name and shapes in the message
BAD = [
    (lambda: mt.randn(3, 4) + mt.randn(5), "add: shapes (3, 4) and (5,) cannot be broadcast"),
    (lambda: maximum(mt.randn(3, 4), mt.randn(5)), "maximum: shapes (3, 4) and (5,) cannot be broadcast"),
    (lambda: where(mt.randn(3) > 0, mt.randn(3), mt.randn(2)), "where: shapes (3,), (3,) and (2,) cannot be broadcast"),
    (lambda: mt.randn(3, 2).expand(3, 4), "expand: shape (3, 2) cannot be broadcast to (3, 4)"),
    (lambda: mt.randn(2, 3).expand(3), "expand: the number of sizes provided (1)"),
    (lambda: mt.randn(2, 3).reshape(4, -1), "reshape: cannot reshape (2, 3) into (4, -1)"),
    (lambda: mt.randn(2, 3).reshape(-1, -1), "reshape: cannot reshape (2, 3) into (-1, -1): only one dimension"),
    (lambda: mt.randn(2, 3).view(5), "view: cannot reshape (2, 3) into (5,)"),
    (lambda: mt.randn(2, 3).amax(dim=2), "amax: dim 2 is out of range for a tensor with 2 dimension(s)"),
    (lambda: mt.randn(2, 3).max(dim=-3), "max: dim -3 is out of range"),
    (lambda: mt.randn(2, 3).var(dim=5), "var: dim 5 is out of range"),
    (lambda: mt.randn(2, 3).softmax(dim=2), "softmax: dim 2 is out of range"),
    (lambda: mt.randn(2, 3).unsqueeze(3), "unsqueeze: dim 3 is out of range"),
    (lambda: mt.randn(2, 3).transpose(0, 2), "transpose: dim 2 is out of range"),
    (lambda: mt.randn(2, 3).permute(0, 0), "permute: duplicate dims"),
    (lambda: mt.randn(2, 3).permute(1, 0, 2), "permute: the tensor has 2 dims (shape (2, 3)) but 3 were given"),
    (lambda: mt.randn(2, 3).flatten(1, 0), "flatten: start_dim (1) cannot come after end_dim (0)"),
    (lambda: mt.randn(2, 3).repeat(2), "repeat: number of repeat dims (1)"),
    (lambda: mt.randn(3)[5], "getitem: index 5 is out of bounds for dim 0 with size 3"),
    (lambda: mt.randn(3, 4)[:, [0, 7]], "getitem: index 7 is out of bounds for dim 1 with size 4"),
    (lambda: mt.randn(3, 4)[1, 2, 3], "getitem: too many indices for tensor"),
    (lambda: mt.randn(3)[mt.tensor([True, False])], "getitem: boolean index did not match"),
    (lambda: mt.randn(2, 3).gather(1, mt.tensor([[0, 5]])), "gather: index 5 is out of bounds for dim 1 with size 3"),
    (lambda: cat([mt.randn(2, 3), mt.randn(3, 3)], dim=1), "cat: tensors must have the same shape except in dim 1, got (2, 3) and (3, 3)"),
    (lambda: cat([mt.randn(2, 3), mt.randn(3)]), "cat: tensors must have the same number of dimensions, got (2, 3) and (3,)"),
    (lambda: cat([]), "cat: expected a non-empty list of tensors"),
    (lambda: cat(mt.randn(2)), "cat: expected a list or tuple of tensors"),
    (lambda: stack([mt.randn(2, 3), mt.randn(3, 3)]), "stack: expects each tensor to be equal size, but got (2, 3) at entry 0 and (3, 3) at entry 1"),
    (lambda: mt.randn(7, 2).split([2, 4]), "split: split sizes [2, 4] must be non-negative and sum to 7"),
    (lambda: mt.randn(7, 2).chunk(0), "chunk: expects `chunks` to be greater than 0"),
    (lambda: mt.randn(6).narrow(0, 5, 2), "narrow: start (5) + length (2) exceeds dimension size (6)"),
]


@pytest.mark.parametrize("fn,message", BAD, ids=[m.split(":")[0] + str(i) for i, (_, m) in enumerate(BAD)])
def test_bad_input_messages(fn, message):
    with pytest.raises((RuntimeError, IndexError, TypeError, ValueError), match=re.escape(message)):
        fn()


def test_setitem_shape_error():
    t = mt.zeros(3, 4)
    with pytest.raises(RuntimeError, match=re.escape("setitem: cannot assign a value of shape (3,) to an indexed region of shape (4,)")):
        t[0] = mt.randn(3)
    with pytest.raises(IndexError, match="setitem: index 3 is out of bounds for dim 0 with size 3"):
        t[3] = 1.0


# ------------------------------------------------------------------ module surface
def test_functional_forms_and_docstrings():
    for name in ["cat", "concat", "stack", "where", "maximum", "minimum", "softmax", "log_softmax", "logsumexp", "amax",
                 "amin", "argmax", "argmin", "var", "std", "prod", "norm", "reshape", "flatten", "squeeze", "unsqueeze",
                 "transpose", "permute", "broadcast_to", "gather", "masked_fill", "narrow", "split", "chunk", "clamp", "clip"]:
        assert name in ops.__all__ and callable(getattr(ops, name)), name
    for builtin in ["max", "min", "sum", "abs", "all", "any", "pow", "round"]:
        assert builtin not in ops.__all__
    for name in ["max", "min", "amax", "var", "std", "reshape", "view", "expand", "repeat", "__getitem__", "__setitem__",
                 "gather", "masked_fill", "split", "chunk", "clamp", "softmax", "log_softmax", "norm", "prod"]:
        assert getattr(mt.Tensor, name).__doc__, name
    x = mt.tensor(X34)
    assert ops.transpose(x, 0, 1).shape == (4, 3) and ops.reshape(x, (2, 6)).shape == (2, 6)
    assert ops.permute(x, (1, 0)).shape == (4, 3) and ops.squeeze(ops.unsqueeze(x, 0)).shape == (3, 4)


def test_no_graph_without_grad():
    x = mt.tensor(X34)
    for y in [x.amax(dim=1), x[0], x.reshape(12), x.softmax(1), cat([x, x]), x.max(dim=0).values, x.var()]:
        assert y.grad_fn is None and not y.requires_grad


# ------------------------------------------------------------------ one base for the reductions, checks outside forward
REDUCTIONS = ["AMax", "AMin", "MaxAll", "MinAll", "Var", "Std", "LogSumExp", "Norm", "Prod"]


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions_share_the_base(name):
    "Each reduction writes only its formulas: forward/backward (dims, keepdim, expand-back) come from Reduction."
    cls = getattr(ops, name)
    assert issubclass(cls, ops.Reduction)
    assert "forward" not in vars(cls) and "backward" not in vars(cls)


class _SumOfCubes(ops.Reduction):
    "A new reduction in a few lines: y = sum x^3, VJP 3 x^2 g."
    def reduce(ctx, a):
        ctx.save_for_backward(a)
        return np.add.reduce(a ** 3, axis=ctx.axis, keepdims=True)
    def vjp(ctx, g):
        a, = ctx.saved_tensors
        return 3 * a * a * g


@pytest.mark.parametrize("shape", [(), (4,), (2, 3, 4)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_a_new_reduction_matches_torch(shape, keepdim):
    x = RNG.standard_normal(shape)
    for dim in {0: [None], 1: [None, 0, -1]}.get(len(shape), [None, 0, -1, (0, -1)]):
        dims = mt.autograd.basic_ops.norm_dims("soc", dim, len(shape))
        torch_dim = tuple(range(len(shape))) if dim is None else dim
        same(lambda t: _SumOfCubes.apply(t, dims=dims, keepdim=keepdim),
             lambda t: (t ** 3).sum(dim=torch_dim, keepdim=keepdim), x)


def test_reduction_forward_assumes_checked_arguments():
    "The methods check dims and dtypes; the Function is called with normalised dims and does no checking."
    x = mt.tensor(X234)
    y = ops.AMax.apply(x, dims=(0, 2), keepdim=False)
    np.testing.assert_array_equal(y.array, X234.max(axis=(0, 2)))
    with pytest.raises(IndexError, match="amax: dim 3 is out of range"):
        x.amax(3)
    with pytest.raises(RuntimeError, match="std and var only support floating point"):
        mt.tensor([1, 2, 3]).var()


def test_setitem_without_grad_goes_through_inplace_like_torch():
    "One in-place path: versions, writes through views and into an expanded tensor, as torch."
    for lib in (mt, torch):
        base = lib.zeros(2, 3)
        view = base[1]
        view[0] = 5.0
        base[0, 1:] = 2.0
        assert base.tolist() == [[0, 2, 2], [5, 0, 0]]
        version = base._version if lib is torch else base._version.value
        assert version == 2
        e = lib.zeros(1).expand(3)
        e[0] = 7.0
        assert e.tolist() == [7, 7, 7]
