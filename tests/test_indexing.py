"""Unit tests for nbs/04c_indexing.ipynb -> mytorch/indexing.py: names and signatures against PyTorch 2.13, dtypes
of results and indices, graph node names, PyTorch's exception types for bad input, in-place variants, views, and the
places where the gradient is worth a closer look (repeated indices, zeros in cumprod, einsum's VJP). Values and
gradients of the differentiable ops over many shapes are in tests/op_catalog_indexing.py (run by test_op_catalog)."""
import itertools

import numpy as np
import pytest
import torch

import mytorch as mt
from conftest import dtype_name as dname

RNG = np.random.default_rng(0)
X34 = RNG.standard_normal((3, 4))
X234 = RNG.standard_normal((2, 3, 4))


def lib_tensor(lib, a, grad=False, dtype=None):
    "The same data as a tensor of mytorch or torch (float64 for float arrays unless dtype is given)."
    a = np.asarray(a)
    if dtype is None and a.dtype.kind == "f": dtype = "float64"
    return lib.tensor(a, dtype=getattr(lib, dtype) if dtype else None, requires_grad=grad)


def assert_same(m, t, what=""):
    "Same type (tensor or tuple), shape, dtype and values (NaN where NaN)."
    if isinstance(t, tuple):
        assert isinstance(m, tuple) and len(m) == len(t), f"{what}: {type(m)} vs {type(t)}"
        for k, (a, b) in enumerate(zip(m, t)): assert_same(a, b, f"{what}[{k}]")
        return
    assert isinstance(m, mt.Tensor), f"{what}: got {type(m).__name__}"
    assert tuple(m.shape) == tuple(t.shape), f"{what}: shape {tuple(m.shape)} vs {tuple(t.shape)}"
    assert dname(m) == dname(t), f"{what}: dtype {m.dtype} vs {t.dtype}"
    np.testing.assert_allclose(np.asarray(m.array, dtype=float), t.detach().numpy().astype(float),
                               rtol=1e-6, atol=1e-6, equal_nan=True, err_msg=what)


def both(fn, *arrays, grad=False, dtypes=None):
    "Run fn(lib, *tensors) on both libraries and compare the results (values, dtypes, shapes)."
    dtypes = dtypes or [None] * len(arrays)
    mo = fn(mt, *[lib_tensor(mt, a, grad, d) for a, d in zip(arrays, dtypes)])
    to = fn(torch, *[lib_tensor(torch, a, grad, d) for a, d in zip(arrays, dtypes)])
    assert_same(mo, to, getattr(fn, "__name__", "fn"))
    return mo, to


# ----------------------------------------------------------------------------- names, as in torch
FUNCTIONS = ["mm", "bmm", "dot", "outer", "addmm", "einsum", "mv", "cumsum", "cumprod", "sort", "argsort", "topk",
             "kthvalue", "unique", "nonzero", "argwhere", "count_nonzero", "index_select", "scatter", "scatter_add",
             "take", "take_along_dim", "masked_select", "index_add", "index_fill", "flip", "fliplr", "flipud", "roll",
             "tril", "triu", "diag", "diagonal", "trace", "tile", "repeat_interleave", "movedim", "moveaxis",
             "swapaxes", "swapdims"]
IN_PLACE = ["scatter_", "scatter_add_", "index_add_", "index_fill_", "tril_", "triu_"]


@pytest.mark.parametrize("name", FUNCTIONS + IN_PLACE)
def test_names_exist_where_torch_has_them(name):
    for where_m, where_t, label in [(mt, torch, "top level"), (mt.Tensor, torch.Tensor, "Tensor method")]:
        assert hasattr(where_m, name) == hasattr(where_t, name), f"{name} as a {label}: torch has it: {hasattr(where_t, name)}"
    assert getattr(mt.Tensor, name, getattr(mt, name, None)).__doc__, f"{name} has no docstring"


def test_return_types_are_named_tuples_like_torch():
    x = mt.tensor(X34)
    for r, name in [(x.sort(), "sort"), (x.topk(2), "topk"), (x.kthvalue(1), "kthvalue")]:
        assert type(r).__name__ == name and r._fields == ("values", "indices")
        assert r.indices.dtype == mt.int64
    assert mt.return_types.sort is type(x.sort()) and mt.return_types.topk is type(x.topk(1))


# representative calls of every function, as functions and as methods, against torch
CALLS = [
    ("mm", lambda L, a, b: L.mm(a, b), [X34, X34.T]),
    ("bmm", lambda L, a, b: a.bmm(b), [X234, X234.transpose(0, 2, 1)]),
    ("dot", lambda L, a: L.dot(a, a), [X34[0]]),
    ("outer", lambda L, a, b: L.outer(a, b), [X34[0], X34[1, :3]]),
    ("addmm", lambda L, c, a, b: L.addmm(c, a, b, beta=2, alpha=0.5), [X34[:, :3], X34, X34.T]),
    ("einsum", lambda L, a, b: L.einsum("bij,bkj->bik", a, b), [X234, X234]),
    ("mv", lambda L, a, v: a.mv(v), [X34, X34[0]]),
    ("cumsum", lambda L, a: L.cumsum(a, 1), [X34]),
    ("cumprod", lambda L, a: a.cumprod(dim=-1), [X34]),
    ("sort", lambda L, a: tuple(L.sort(a, 0, True)), [X34]),
    ("argsort", lambda L, a: L.argsort(a, dim=1), [X34]),
    ("topk", lambda L, a: tuple(a.topk(3, dim=1, largest=False)), [X34]),
    ("kthvalue", lambda L, a: tuple(L.kthvalue(a, 2, 0, keepdim=True)), [X34]),
    ("unique", lambda L, a: L.unique(a, sorted=True, return_inverse=True, return_counts=True),
     [np.array([3, 1, 3, 0, 1])]),
    ("nonzero", lambda L, a: L.nonzero(a > 0), [X34]),
    ("argwhere", lambda L, a: L.argwhere(a), [np.array([[0, 1], [2, 0]])]),
    ("count_nonzero", lambda L, a: L.count_nonzero(a > 0, dim=1), [X34]),
    ("index_select", lambda L, a: L.index_select(a, 1, L.tensor([3, 0, 3])), [X34]),
    ("scatter", lambda L, a: L.scatter(a, 1, L.tensor([[1], [0], [3]]), 7.0), [X34]),
    ("scatter_add", lambda L, a, s: L.scatter_add(a, 0, L.tensor([[0, 0, 2, 2]]), s), [X34, X34[:1]]),
    ("take", lambda L, a: L.take(a, L.tensor([0, -1, 5])), [X34]),
    ("take_along_dim", lambda L, a: L.take_along_dim(a, L.tensor([[0], [3], [1]]), dim=1), [X34]),
    ("masked_select", lambda L, a: L.masked_select(a, a > 0), [X34]),
    ("index_add", lambda L, a, s: L.index_add(a, 0, L.tensor([2, 2]), s, alpha=3), [X34, X34[:2]]),
    ("index_fill", lambda L, a: L.index_fill(a, 1, L.tensor([0, 2]), -1.0), [X34]),
    ("flip", lambda L, a: L.flip(a, (0, 2)), [X234]),
    ("fliplr", lambda L, a: L.fliplr(a), [X34]),
    ("flipud", lambda L, a: L.flipud(a), [X34]),
    ("roll", lambda L, a: L.roll(a, 2, 1), [X34]),
    ("tril", lambda L, a: L.tril(a, 1), [X34]),
    ("triu", lambda L, a: L.triu(a, -1), [X34]),
    ("diag", lambda L, a: L.diag(a, 1), [X34[0]]),
    ("diagonal", lambda L, a: L.diagonal(a, 1, 0, 2) * 1.0, [X234]),
    ("trace", lambda L, a: L.trace(a), [X34]),
    ("tile", lambda L, a: L.tile(a, (2, 1, 1)), [X34]),
    ("repeat_interleave", lambda L, a: L.repeat_interleave(a, 2, dim=0), [X34]),
    ("movedim", lambda L, a: L.movedim(a, 0, 2) * 1.0, [X234]),
    ("moveaxis", lambda L, a: L.moveaxis(a, (0, 1), (1, 2)) * 1.0, [X234]),
    ("swapaxes", lambda L, a: L.swapaxes(a, 0, 2) * 1.0, [X234]),
    ("swapdims", lambda L, a: a.swapdims(1, 2) * 1.0, [X234]),
]


def test_calls_cover_every_function():
    assert sorted(n for n, _, _ in CALLS) == sorted(FUNCTIONS)


@pytest.mark.parametrize("name,fn,arrays", CALLS, ids=[c[0] for c in CALLS])
def test_representative_call_matches_torch(name, fn, arrays):
    both(fn, *arrays)


# ----------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("dtype", ["int32", "int64", "bool", "uint8", "float32", "float64"])
@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
def test_scan_dtypes_like_torch(op, dtype):
    a = np.array([[1, 0, 2], [3, 1, 1]])
    both(lambda L, x: getattr(x, op)(1), a.astype(dtype), dtypes=[dtype])
    both(lambda L, x: getattr(L, op)(x, 0, dtype=L.float64), a.astype(dtype), dtypes=[dtype])


def test_scan_dtype_argument_is_checked_like_torch():
    for lib in (mt, torch):
        with pytest.raises(TypeError): lib.tensor([1, 2]).cumsum(0, dtype="float32")
        with pytest.raises(TypeError): lib.tensor([1, 2]).cumsum(0, lib.float64)    # dtype is keyword-only


def test_scan_of_0d_and_empty():
    both(lambda L, x: (x.cumsum(0), x.cumprod(-1)), np.array(2.5))
    both(lambda L, x: (x.cumsum(0), x.cumprod(1)), np.zeros((0, 3)))


@pytest.mark.parametrize("dtype", ["int32", "int64", "float32", "bool"])
def test_sort_family_dtypes(dtype):
    a = np.array([[3, 1, 2, 0], [1, 1, 0, 2]]).astype(dtype)
    both(lambda L, x: tuple(x.sort(stable=True)), a, dtypes=[dtype])
    both(lambda L, x: tuple(x.sort(dim=0, descending=True, stable=True)), a, dtypes=[dtype])
    both(lambda L, x: x.argsort(stable=True, descending=True), a, dtypes=[dtype])
    if dtype != "bool":
        both(lambda L, x: tuple(x.topk(2, dim=1)), np.array([[3, 1, 2, 0], [1, 5, 0, 2]]).astype(dtype),
             dtypes=[dtype])


def test_sort_nan_and_stable_ties_like_torch():
    a = np.array([[3., np.nan, 1., 1., 2., 1.], [np.nan, 0., np.nan, -1., 5., 0.]])
    for desc in (False, True):
        both(lambda L, x: tuple(L.sort(x, dim=1, descending=desc, stable=True)), a)
        both(lambda L, x: L.argsort(x, dim=-1, descending=desc, stable=True), a)
    # ties in topk: torch's order among equal values is its kernel's; compare values and the set of indices
    (mv, mi), (tv, ti) = mt.tensor([1., 3., 3., 2., 3.]).topk(3), torch.tensor([1., 3., 3., 2., 3.]).topk(3)
    assert mv.tolist() == tv.tolist() and sorted(mi.tolist()) == sorted(ti.tolist())


def test_sort_0d_and_topk_0d():
    both(lambda L, x: (tuple(x.sort()), x.argsort(), tuple(x.topk(1)), tuple(x.kthvalue(1))), np.array(2.0))


def test_unique_like_torch():
    a = np.array([3, 1, 2, 3, 1, 7, 0])
    for inv, cnt in itertools.product([False, True], repeat=2):
        both(lambda L, x: L.unique(x, return_inverse=inv, return_counts=cnt), a)
        both(lambda L, x: x.unique(sorted=False, return_inverse=inv, return_counts=cnt), a.reshape(7, 1))
    both(lambda L, x: x.unique(return_counts=True), np.array([3., np.nan, 1., np.nan]))   # NaNs stay apart
    m = np.array([[1, 2], [1, 2], [0, 5]])
    for dim in (0, 1, -1):
        both(lambda L, x: x.unique(dim=dim, return_inverse=True, return_counts=True), m)
    both(lambda L, x: x.unique(return_inverse=True, return_counts=True), np.array(3.0))
    both(lambda L, x: x.unique(return_inverse=True, return_counts=True), np.zeros(0))
    both(lambda L, x: x.unique(dim=0, return_inverse=True, return_counts=True), np.zeros((0, 3)))
    both(lambda L, x: x.unique(), np.array([True, False, True]))


def test_unique_has_no_gradient():
    "A deliberate difference: torch marks unique's values requires_grad (and fails in backward); ours do not."
    u = mt.tensor(X34, requires_grad=True).unique()
    assert not u.requires_grad and u.grad_fn is None
    with pytest.raises(RuntimeError): torch.tensor(X34, requires_grad=True).unique().sum().backward()


def test_nonzero_argwhere_count_nonzero_like_torch():
    m = np.array([[0., 2.], [3., 0.], [np.nan, 0.]])
    both(lambda L, x: (x.nonzero(), L.argwhere(x), x.count_nonzero(), x.count_nonzero(0), x.count_nonzero((0, 1))), m)
    both(lambda L, x: x.nonzero(as_tuple=True), m)
    for v in (3.0, 0.0):
        both(lambda L, x: (x.nonzero(), x.argwhere(), x.count_nonzero()), np.array(v))
        both(lambda L, x: L.nonzero(x, as_tuple=True), np.array(v))
    both(lambda L, x: x.count_nonzero(0), np.zeros((0, 3)))
    for lib in (mt, torch):
        with pytest.raises(TypeError): lib.tensor(m).nonzero(True)                # as_tuple is keyword-only
        assert not lib.tensor(m, requires_grad=True).nonzero().requires_grad


def test_index_dtypes_like_torch():
    x = X34
    for kind in ("int32", "int64"):
        both(lambda L, a: a.index_select(1, L.tensor([2, 0], dtype=getattr(L, kind))), x)
        both(lambda L, a: a.scatter(1, L.tensor([[1], [2], [0]], dtype=getattr(L, kind)), 0.0), x)
        both(lambda L, a: a.index_add(0, L.tensor([1], dtype=getattr(L, kind)), a[:1]), x)
        both(lambda L, a: a.repeat_interleave(L.tensor([1, 0, 2], dtype=getattr(L, kind)), dim=0), x)
    both(lambda L, a: a.index_select(1, L.tensor(2)), x)                       # a 0-d index keeps the dim
    both(lambda L, a: a.index_select(0, L.tensor(0)), np.array(5.0))          # 0-d input
    both(lambda L, a: a.index_select(0, L.tensor([], dtype=L.int64)), x)
    both(lambda L, a: a.index_select(1, L.tensor([1])), np.zeros((0, 3)))


def test_integer_and_bool_values_like_torch():
    i = np.arange(12).reshape(3, 4)
    both(lambda L, a: (L.mm(a, a.T), a.trace(), L.einsum("ij,kj->ik", a, a), a[0].dot(a[1]), a.mv(a[0])), i)
    both(lambda L, a: L.addmm(a[:, :3], a, a.T[:, :3], beta=2, alpha=3), i)
    both(lambda L, a: a.scatter(1, L.tensor([[0], [1], [2]]), 5.7), i)         # the value is truncated, as torch
    both(lambda L, a: (a.flip(0), a.roll(1), a.tril(), a.diag(), a.tile(2), a.repeat_interleave(2)), i)
    both(lambda L, a: (a.triu(1), a.flip(1), a.take(L.tensor([3]))), np.eye(3, dtype=bool))
    both(lambda L, a: a.outer(L.tensor([0.5, 2.0], dtype=L.float32)), np.arange(3))   # outer promotes


# ----------------------------------------------------------------------------- graph node names
NODE_CALLS = [
    lambda L, a, b: a.mm(b.T), lambda L, a, b: a.unsqueeze(0).bmm(b.T.unsqueeze(0)),
    lambda L, a, b: a[0].dot(b[1]), lambda L, a, b: a[0].outer(b[1]), lambda L, a, b: a.mv(b[0]),
    lambda L, a, b: L.addmm(a[:, :3], a, b.T), lambda L, a, b: a.cumsum(0), lambda L, a, b: a.cumprod(1),
    lambda L, a, b: a.sort().values, lambda L, a, b: a.topk(2).values, lambda L, a, b: a.kthvalue(2).values,
    lambda L, a, b: a.index_select(1, L.tensor([0, 0])), lambda L, a, b: a.scatter(1, L.tensor([[0], [1], [2]]), b[:, :1]),
    lambda L, a, b: a.scatter(1, L.tensor([[0], [1], [2]]), 1.0),
    lambda L, a, b: a.scatter_add(1, L.tensor([[0], [1], [2]]), b[:, :1]),
    lambda L, a, b: a.take(L.tensor([0, 5])), lambda L, a, b: a.take_along_dim(L.tensor([[0], [1], [2]]), 1),
    lambda L, a, b: a.masked_select(b > 0), lambda L, a, b: a.index_add(0, L.tensor([0, 0]), b[:2]),
    lambda L, a, b: a.index_fill(1, L.tensor([0]), 1.0), lambda L, a, b: a.index_fill(1, L.tensor([0]), b[0, 0]),
    lambda L, a, b: a.flip(0), lambda L, a, b: a.fliplr(), lambda L, a, b: a.roll(1), lambda L, a, b: a.tril(),
    lambda L, a, b: a.triu(), lambda L, a, b: a[0].diag(), lambda L, a, b: a.diag(), lambda L, a, b: a.diagonal(),
    lambda L, a, b: a.trace(), lambda L, a, b: a.tile((2,)), lambda L, a, b: a.repeat_interleave(L.tensor([1, 2, 0]), dim=0),
    lambda L, a, b: a.repeat_interleave(L.tensor(2), dim=1),
    lambda L, a, b: a.unsqueeze(0).movedim(0, 2), lambda L, a, b: a.moveaxis(0, 1), lambda L, a, b: a.swapaxes(0, 1),
    lambda L, a, b: a.swapdims(0, 1),
    lambda L, a, b: L.einsum("ij,kj->ik", a, b), lambda L, a, b: L.einsum("ij->ji", a), lambda L, a, b: L.einsum("ij->i", a),
    lambda L, a, b: L.einsum("ij,ij->ij", a, b), lambda L, a, b: L.einsum("ii->i", a[:, :3]),
    lambda L, a, b: L.einsum("ij,ij->", a, b), lambda L, a, b: L.einsum("i,j->ij", a[0], b[0]),
    lambda L, a, b: L.einsum("ij,j,k->ik", a, b[0], b[1]),
]


@pytest.mark.parametrize("k", range(len(NODE_CALLS)))
def test_graph_node_names_like_torch(k):
    fn = NODE_CALLS[k]
    names = []
    for lib in (mt, torch):
        a, b = lib_tensor(lib, X34, True), lib_tensor(lib, X34[::-1].copy(), True)
        out = fn(lib, a, b)
        node = out.grad_fn
        names.append(node.name() if lib is mt else type(node).__name__)
    assert names[0] == names[1]


def test_repeat_interleave_int_node_is_torch_view_name():
    # torch builds int repeats from expand + view: ViewBackward0; ours is an index_select named the same
    for lib in (mt, torch):
        a = lib_tensor(lib, X34, True)
        node = a.repeat_interleave(2, dim=1).grad_fn
        assert (node.name() if lib is mt else type(node).__name__) == "ViewBackward0"


# ----------------------------------------------------------------------------- errors: PyTorch's exception types
ERRORS = [
    ("mm 1-d", lambda L: L.mm(L.ones(3), L.ones(3, 2)), "mm"),
    ("mm shapes", lambda L: L.ones(2, 4).mm(L.ones(3, 2)), "cannot be multiplied"),
    ("mm dtypes", lambda L: L.ones(2, 3).mm(L.ones(3, 2, dtype=L.float64)), "same dtype"),
    ("mm int float", lambda L: L.ones(2, 3, dtype=L.int64).mm(L.ones(3, 2)), "same dtype"),
    ("bmm 2-d", lambda L: L.bmm(L.ones(2, 3), L.ones(3, 2)), "3-D"),
    ("bmm batch", lambda L: L.bmm(L.ones(2, 2, 3), L.ones(3, 3, 2)), "batch sizes differ"),
    ("bmm inner", lambda L: L.bmm(L.ones(2, 2, 3), L.ones(2, 4, 2)), "cannot be multiplied"),
    ("bmm dtype", lambda L: L.bmm(L.ones(2, 2, 3), L.ones(2, 3, 2, dtype=L.float64)), "same dtype"),
    ("dot 2-d", lambda L: L.dot(L.ones(2, 2), L.ones(2)), "1-D"),
    ("dot 0-d", lambda L: L.dot(L.tensor(1.), L.tensor(2.)), "1-D"),
    ("dot size", lambda L: L.dot(L.ones(2), L.ones(3)), "dot"),
    ("dot dtype", lambda L: L.dot(L.ones(2), L.ones(2, dtype=L.float64)), "same dtype"),
    ("outer 2-d", lambda L: L.outer(L.ones(2, 2), L.ones(2)), "1-D"),
    ("mv size", lambda L: L.mv(L.ones(2, 3), L.ones(4)), "mv"),
    ("mv 2-d vec", lambda L: L.mv(L.ones(2, 3), L.ones(3, 1)), "1-D"),
    ("addmm 3-d", lambda L: L.addmm(L.ones(2, 5), L.ones(2, 2, 3), L.ones(3, 5)), "2-D"),
    ("addmm bias", lambda L: L.addmm(L.ones(3, 5), L.ones(2, 3), L.ones(3, 5)), "broadcast"),
    ("addmm dtype", lambda L: L.addmm(L.ones(2, 5, dtype=L.float64), L.ones(2, 3), L.ones(3, 5)), "same dtype"),
    ("addmm positional beta", lambda L: L.ones(2, 2).addmm(L.ones(2, 2), L.ones(2, 2), 2), None),
    ("einsum too many", lambda L: L.einsum("ij->ij", L.ones(2, 2), L.ones(2, 2)), "more operands"),
    ("einsum too few", lambda L: L.einsum("ij,jk->ik", L.ones(2, 2)), "fewer operands"),
    ("einsum ndim", lambda L: L.einsum("ijk,jk->ik", L.ones(2, 3), L.ones(3, 4)), "operand 0 has 2 dims"),
    ("einsum size", lambda L: L.einsum("ij,jk->ik", L.ones(2, 3), L.ones(4, 4)), "subscript j"),
    ("einsum out", lambda L: L.einsum("ij,jk->iz", L.ones(2, 3), L.ones(3, 4)), "output subscript z"),
    ("einsum dup out", lambda L: L.einsum("ij,jk->ii", L.ones(2, 3), L.ones(3, 4)), "output subscript i"),
    ("einsum char", lambda L: L.einsum("i1,jk->ik", L.ones(2, 3), L.ones(3, 4)), "invalid subscript"),
    ("einsum diag", lambda L: L.einsum("ii->i", L.ones(3, 2)), "repeated"),
    ("einsum two ellipses", lambda L: L.einsum("...i...->i", L.ones(5, 2, 3)), "einsum"),
    ("einsum dtype", lambda L: L.einsum("ij,jk->ik", L.ones(2, 3), L.ones(3, 4, dtype=L.float64)), "same dtype"),
    ("einsum no operand", lambda L: L.einsum("->"), "at least one operand"),
    ("cumsum dim", lambda L: L.ones(3).cumsum(2), "out of range"),
    ("cumsum 0-d dim", lambda L: L.tensor(3.).cumsum(1), "out of range"),
    ("cumsum no dim", lambda L: L.ones(3).cumsum(), None),
    ("sort dim", lambda L: L.ones(2, 3).sort(2), "out of range"),
    ("sort positional stable", lambda L: L.sort(L.ones(3), 0, True, True), None),
    ("topk k", lambda L: L.ones(2, 3).topk(4), "k=4"),
    ("topk negative k", lambda L: L.ones(2, 3).topk(-1), "k=-1"),
    ("topk 0-d k", lambda L: L.tensor(2.).topk(2), "topk"),
    ("topk bool", lambda L: L.tensor([True, False]).topk(1), "bool"),
    ("topk dim", lambda L: L.ones(2, 3).topk(1, 2), "out of range"),
    ("kthvalue 0", lambda L: L.ones(2, 3).kthvalue(0), "kthvalue"),
    ("kthvalue big", lambda L: L.ones(2, 3).kthvalue(4), "kthvalue"),
    ("unique dim 0-d", lambda L: L.tensor(3.).unique(dim=0), "no dimensions"),
    ("unique dim range", lambda L: L.ones(2, 2).unique(dim=2), "out of range"),
    ("unique dim empty", lambda L: L.zeros(0, 3).unique(dim=1), "0-sized"),
    ("count_nonzero dup", lambda L: L.ones(2, 3).count_nonzero((0, 0)), "count_nonzero"),
    ("index_select 2-d index", lambda L: L.ones(3, 4).index_select(1, L.tensor([[2]])), "vector"),
    ("index_select negative", lambda L: L.ones(3, 4).index_select(1, L.tensor([-1])), "out of bounds"),
    ("index_select oob", lambda L: L.ones(3, 4).index_select(1, L.tensor([4])), "out of bounds"),
    ("index_select float", lambda L: L.ones(3, 4).index_select(1, L.tensor([1.])), "int32 or int64"),
    ("index_select int16", lambda L: L.ones(3, 4).index_select(1, L.tensor([1], dtype=L.int16)), "int32 or int64"),
    ("index_select list", lambda L: L.ones(3, 4).index_select(1, [1]), "Tensor"),
    ("index_select dim", lambda L: L.ones(3, 4).index_select(2, L.tensor([1])), "out of range"),
    ("index_select 0-d input", lambda L: L.tensor(5.).index_select(0, L.tensor([0, 0])), "only 1 value"),
    ("scatter src dtype", lambda L: L.zeros(3, 4).scatter(1, L.tensor([[0]]), L.ones(1, 1, dtype=L.float64)), "dtype"),
    ("scatter index > src", lambda L: L.zeros(3, 4).scatter(1, L.tensor([[0, 1, 2, 3, 0]]), L.ones(3, 4)), "no larger"),
    ("scatter index dims", lambda L: L.zeros(3, 4).scatter(1, L.tensor([0, 1]), L.ones(3, 4)), "number of dims"),
    ("scatter oob", lambda L: L.zeros(3, 4).scatter(1, L.tensor([[4]]), L.ones(3, 4)), "out of bounds"),
    ("scatter negative", lambda L: L.zeros(3, 4).scatter(1, L.tensor([[-1]]), L.ones(3, 4)), "out of bounds"),
    ("scatter float index", lambda L: L.zeros(3, 4).scatter(1, L.tensor([[1.]]), 1.0), "int32 or int64"),
    ("scatter src 0-d", lambda L: L.zeros(3, 4).scatter(1, L.tensor([[1]]), L.tensor(2.)), "number of dims"),
    ("scatter dim", lambda L: L.zeros(3, 4).scatter(2, L.tensor([[1]]), 1.0), "out of range"),
    ("scatter_add number", lambda L: L.zeros(3, 4).scatter_add(1, L.tensor([[0]]), 2.), "Tensor"),
    ("scatter_add dtype", lambda L: L.zeros(3, 4).scatter_add(1, L.tensor([[0]]), L.ones(1, 1, dtype=L.float64)), "dtype"),
    ("index_add count", lambda L: L.zeros(3, 2).index_add(0, L.tensor([0, 0]), L.ones(3, 2)), "index_add"),
    ("index_add shape", lambda L: L.zeros(3, 2).index_add(0, L.tensor([0, 0]), L.ones(2, 3)), "shape"),
    ("index_add dtype", lambda L: L.zeros(3, 2).index_add(0, L.tensor([0]), L.ones(1, 2, dtype=L.float64)), "dtype"),
    ("index_add oob", lambda L: L.zeros(3, 2).index_add(0, L.tensor([3]), L.ones(1, 2)), "out of bounds"),
    ("index_add negative", lambda L: L.zeros(3, 2).index_add(0, L.tensor([-1]), L.ones(1, 2)), "out of bounds"),
    ("index_add 2-d index", lambda L: L.zeros(3, 2).index_add(0, L.tensor([[0]]), L.ones(1, 2)), "vector"),
    ("index_add float index", lambda L: L.zeros(3, 2).index_add(0, L.tensor([0.]), L.ones(1, 2)), "int32 or int64"),
    ("index_add positional alpha", lambda L: L.zeros(3, 2).index_add(0, L.tensor([0]), L.ones(1, 2), 2), None),
    ("index_fill 1-d value", lambda L: L.zeros(3, 2).index_fill(1, L.tensor([1]), L.tensor([3.])), "0-dimensional"),
    ("index_fill oob", lambda L: L.zeros(3, 2).index_fill(1, L.tensor([2]), 3.), "out of bounds"),
    ("index_fill int32", lambda L: L.zeros(3, 2).index_fill(1, L.tensor([1], dtype=L.int32), 3.), "int64"),
    ("take oob", lambda L: L.ones(3, 4).take(L.tensor([12])), "out of range"),
    ("take oob negative", lambda L: L.ones(3, 4).take(L.tensor([-13])), "out of range"),
    ("take int32", lambda L: L.ones(3, 4).take(L.tensor([1], dtype=L.int32)), "int64"),
    ("take empty input", lambda L: L.zeros(0).take(L.tensor([0])), "take"),
    ("take_along_dim dims", lambda L: L.ones(3, 4).take_along_dim(L.tensor([0]), dim=1), "number of dims"),
    ("take_along_dim int32", lambda L: L.ones(3, 4).take_along_dim(L.tensor([[0]], dtype=L.int32), dim=1), "int64"),
    ("take_along_dim broadcast", lambda L: L.ones(3, 4).take_along_dim(L.tensor([[0], [1]]), dim=1), "broadcast"),
    ("masked_select not bool", lambda L: L.ones(3, 4).masked_select(L.tensor([1, 0, 0, 1])), "boolean"),
    ("masked_select shape", lambda L: L.ones(3, 4).masked_select(L.tensor([True, False])), "broadcast"),
    ("flip dup", lambda L: L.ones(3, 4).flip(0, 0), "flip"),
    ("flip no dims", lambda L: L.ones(3, 4).flip(), None),
    ("flip dim", lambda L: L.ones(3, 4).flip(2), "out of range"),
    ("fliplr 1-d", lambda L: L.ones(3).fliplr(), ">= 2-d"),
    ("flipud 0-d", lambda L: L.tensor(3.).flipud(), ">= 1-d"),
    ("roll mismatch", lambda L: L.ones(3, 4).roll((1, 2), (0,)), "align"),
    ("roll no dims", lambda L: L.ones(3, 4).roll((1, 2)), "align"),
    ("roll 0-d dim", lambda L: L.tensor(1.).roll(1, 0), "no dimensions"),
    ("roll dim", lambda L: L.ones(3, 4).roll(1, 2), "out of range"),
    ("tril 1-d", lambda L: L.ones(3).tril(), "at least 2 dimensions"),
    ("triu 0-d", lambda L: L.tensor(1.).triu(), "at least 2 dimensions"),
    ("diag 3-d", lambda L: L.ones(2, 2, 2).diag(), "1-D or 2-D"),
    ("diag 0-d", lambda L: L.tensor(1.).diag(), "1-D or 2-D"),
    ("diagonal same dims", lambda L: L.ones(3, 4).diagonal(0, 0, 0), "cannot be identical"),
    ("diagonal 1-d", lambda L: L.ones(3).diagonal(), "out of range"),
    ("trace 3-d", lambda L: L.ones(3, 3, 3).trace(), "matrix"),
    ("trace 1-d", lambda L: L.ones(3).trace(), "matrix"),
    ("tile negative", lambda L: L.ones(2, 3).tile((-1,)), "negative"),
    ("repeat_interleave negative", lambda L: L.ones(2, 3).repeat_interleave(-1), "non-negative"),
    ("repeat_interleave negative tensor", lambda L: L.ones(2, 3).repeat_interleave(L.tensor([-1, 1]), dim=0), "non-negative"),
    ("repeat_interleave count", lambda L: L.ones(2, 3).repeat_interleave(L.tensor([1, 2, 3]), dim=0), "count per slice"),
    ("repeat_interleave 2-d repeats", lambda L: L.ones(2, 3).repeat_interleave(L.tensor([[1, 1]]), dim=0), "0-d or 1-d"),
    ("repeat_interleave float repeats", lambda L: L.ones(2, 3).repeat_interleave(L.tensor([1., 1.]), dim=0), "repeat_interleave"),
    ("repeat_interleave dim", lambda L: L.ones(2, 3).repeat_interleave(2, dim=2), "out of range"),
    ("repeat_interleave output_size", lambda L: L.ones(2, 3).repeat_interleave(2, dim=0, output_size=5), "output_size"),
    ("movedim count", lambda L: L.ones(2, 3, 4).movedim((0, 1), (2,)), "movedim"),
    ("movedim repeated source", lambda L: L.ones(2, 3, 4).movedim((0, 0), (1, 2)), "repeated dim in source"),
    ("movedim repeated destination", lambda L: L.ones(2, 3, 4).movedim((0, 1), (2, 2)), "repeated dim in destination"),
    ("movedim dim", lambda L: L.ones(2, 3, 4).movedim(3, 0), "out of range"),
    ("swapaxes dim", lambda L: L.ones(2, 3, 4).swapaxes(0, 3), "out of range"),
]


@pytest.mark.parametrize("name,fn,message", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_like_torch(name, fn, message):
    with pytest.raises(Exception) as et: fn(torch)
    with pytest.raises(Exception) as em: fn(mt)
    assert em.type is et.type, f"{name}: mytorch raised {em.type.__name__}, torch {et.type.__name__}: {em.value}"
    if message is not None:
        assert message in str(em.value), f"{name}: {message!r} not in {str(em.value)!r}"
    op = name.split()[0]
    if message is not None and em.type is not TypeError:
        assert op in str(em.value), f"{name}: the message should name the op: {em.value}"


def test_errors_where_torch_does_not_raise():
    "Better than torch: an out-of-range index in take_along_dim reads garbage in torch 2.13; ours raises IndexError."
    x = mt.ones(3, 4)
    with pytest.raises(IndexError, match="take_along_dim"): x.take_along_dim(mt.tensor([[4]]), dim=1)
    torch.ones(3, 4).take_along_dim(torch.tensor([[4]]), dim=1)        # no error there


# ----------------------------------------------------------------------------- in-place variants
INPLACE = [
    ("scatter_", lambda L, x, s: x.scatter_(1, L.tensor([[0, 2], [1, 3], [2, 0]]), s), (3, 2)),
    ("scatter_ value", lambda L, x, s: x.scatter_(1, L.tensor([[0, 2], [1, 3], [2, 0]]), 0.5), (3, 2)),
    ("scatter_add_", lambda L, x, s: x.scatter_add_(1, L.tensor([[0, 0], [1, 3], [2, 2]]), s), (3, 2)),
    ("index_add_", lambda L, x, s: x.index_add_(0, L.tensor([2, 2, 0]), s, alpha=2.0), (3, 4)),
    ("index_fill_", lambda L, x, s: x.index_fill_(1, L.tensor([1, 3]), -1.0), (3, 2)),
    ("index_fill_ tensor", lambda L, x, s: x.index_fill_(1, L.tensor([1, 3]), s[0, 0]), (3, 2)),
    ("tril_", lambda L, x, s: x.tril_(1), (3, 2)),
    ("triu_", lambda L, x, s: x.triu_(), (3, 2)),
]


@pytest.mark.parametrize("name,fn,sshape", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_values_versions_and_gradients_like_torch(name, fn, sshape):
    src = RNG.standard_normal(sshape)
    results = []
    for lib in (mt, torch):
        w = lib_tensor(lib, X34, True)
        s = lib_tensor(lib, src, True)
        x = w * 2.0                                             # a non-leaf
        v0 = x._version.value if lib is mt else x._version
        out = fn(lib, x, s)
        assert out is x
        v1 = x._version.value if lib is mt else x._version
        node = x.grad_fn.name() if lib is mt else type(x.grad_fn).__name__
        (x * lib_tensor(lib, np.arange(12.).reshape(3, 4))).sum().backward()
        results.append((x.detach().numpy().copy(), v1 - v0, node, w.grad.numpy().copy(),
                        None if s.grad is None else s.grad.numpy().copy()))
    (xm, dvm, nm, wm, sm), (xt, dvt, nt, wt, st) = results
    np.testing.assert_allclose(xm, xt, rtol=1e-12)
    assert dvm == dvt == 1 and nm == nt
    np.testing.assert_allclose(wm, wt, rtol=1e-12)
    assert (sm is None) == (st is None)
    if st is not None: np.testing.assert_allclose(sm, st, rtol=1e-12)


@pytest.mark.parametrize("name,fn,sshape", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_on_a_leaf_that_requires_grad_raises_like_torch(name, fn, sshape):
    for lib in (mt, torch):
        x = lib_tensor(lib, X34, True)
        with pytest.raises(RuntimeError, match="leaf"):
            fn(lib, x, lib_tensor(lib, RNG.standard_normal(sshape)))


def test_inplace_without_grad_and_inside_no_grad():
    for lib in (mt, torch):
        x = lib.zeros(2, 3)
        x.scatter_(1, lib.tensor([[2], [0]]), 1.0).index_add_(0, lib.tensor([1]), lib.ones(1, 3))
        assert x.tolist() == [[0, 0, 1], [2, 1, 1]]
        p = lib.zeros(2, 3, requires_grad=True)
        grad_off = mt.no_grad if lib is mt else torch.no_grad
        with grad_off():
            p.index_fill_(1, lib.tensor([0]), 5.0)
        assert p.tolist() == [[5, 0, 0], [5, 0, 0]] and p.grad_fn is None


def test_inplace_invalidates_saved_values_like_torch():
    for lib in (mt, torch):
        x = lib_tensor(lib, X34, True) * 1.0
        y = x.exp()                                    # saves its output ...
        y.scatter_(1, lib.tensor([[0], [1], [2]]), 0.0)  # ... which is then changed in place
        z = x.cumprod(1)                               # saves x
        x.tril_()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


def test_inplace_through_a_view_like_torch():
    results = []
    for lib in (mt, torch):
        w = lib_tensor(lib, X34, True)
        h = w * 1.0
        h[1].scatter_(0, lib.tensor([0, 2]), lib_tensor(lib, [10., 20.]))   # a row, which is a view of h
        h.diagonal().mul_(3.0)
        (h * h).sum().backward()
        results.append((h.detach().numpy().copy(), w.grad.numpy().copy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


# ----------------------------------------------------------------------------- views
def test_diagonal_is_a_view_like_torch():
    for lib in (mt, torch):
        x = lib.zeros(3, 4)
        d = x.diagonal(1)
        d.fill_(1.0)
        assert x.tolist() == [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
        x[0, 1] = 7.0
        assert d.tolist() == [7, 1, 1]                  # the view sees the base's change
        assert x.diag(1).tolist() == [7, 1, 1]
        dc = x.diag(1)
        dc.fill_(0.0)
        assert x[0, 1].item() == 7                      # diag of a matrix is a copy
    m = mt.tensor(X234)
    for off, d1, d2 in [(0, 0, 1), (1, 2, 1), (-1, 0, 2), (-3, 1, 2), (4, 1, 2)]:
        assert np.shares_memory(m.diagonal(off, d1, d2).array, m.array) or m.diagonal(off, d1, d2).numel() == 0
        np.testing.assert_array_equal(m.diagonal(off, d1, d2).array,
                                      torch.tensor(X234).diagonal(off, d1, d2).numpy())


def test_diagonal_view_gradients_and_version_like_torch():
    results = []
    for lib in (mt, torch):
        w = lib_tensor(lib, X34, True)
        h = w * 2.0
        d = h.diagonal()
        d.zero_()                                       # writes into h
        (h * lib_tensor(lib, np.arange(12.).reshape(3, 4))).sum().backward()
        results.append((h.detach().numpy().copy(), w.grad.numpy().copy()))
    for a, b in zip(*results): np.testing.assert_allclose(a, b, rtol=1e-12)


def test_movedim_and_swapaxes_inherit_views_from_permute_and_transpose():
    x = mt.tensor(X234)
    for v in (x.movedim(0, 2), x.moveaxis((0, 1), (2, 0)), x.swapaxes(0, 1), x.swapdims(-1, 0)):
        assert np.shares_memory(v.array, x.array) == np.shares_memory(x.permute(2, 0, 1).array, x.array)
    for lib in (mt, torch):
        t = lib.tensor(1.5)
        assert t.movedim(0, 0).item() == 1.5 and t.swapaxes(0, 0).item() == 1.5


def test_results_do_not_share_memory_with_inputs():
    "Outputs of copying ops are fresh arrays: writing into one must not change the input."
    x = mt.tensor(X34)
    before = X34.copy()
    outs = [x.flip(0), x.flip([]), x.roll(0), x.tril(5), x.tile(1), x.repeat_interleave(1, dim=0),
            mt.einsum("ij->ij", x), mt.einsum("ij->ji", x), mt.einsum("ii->i", x[:, :3]),
            x.sort().values, x.scatter(1, mt.tensor([[0]]), 0.0), x.index_fill(0, mt.tensor([0]), 1.0)]
    for o in outs:
        o.array[...] = 0
    np.testing.assert_array_equal(x.array, before)


# ----------------------------------------------------------------------------- gradients worth a closer look
def test_scatter_with_repeated_places_gives_the_gradient_to_the_winner():
    "With repeated places, torch leaves the winner open and gives every writer a gradient; ours: the winner only."
    a = mt.zeros(3, 4, dtype=mt.float64, requires_grad=True)
    s = mt.tensor(RNG.standard_normal((3, 2)), requires_grad=True)
    idx = mt.tensor([[1, 1], [0, 3], [2, 2]])
    out = a.scatter(1, idx, s)
    want = np.zeros((3, 4))
    want[0, 1], want[1, 0], want[1, 3], want[2, 2] = s.array[0, 1], s.array[1, 0], s.array[1, 1], s.array[2, 1]
    np.testing.assert_array_equal(out.array, want)                   # the last write to a place wins
    assert mt.autograd.gradcheck(lambda a, s: a.scatter(1, idx, s), (a, s))
    out.backward(mt.ones(3, 4, dtype=mt.float64))
    assert s.grad.tolist() == [[0, 1], [1, 1], [0, 1]]
    assert a.grad.tolist() == [[1, 0, 1, 1], [0, 1, 1, 0], [1, 1, 0, 1]]


def test_scatter_src_larger_than_index_gets_zero_gradient():
    "torch 2.13 fails in backward here (a gradient of the index's shape); ours pads with zeros."
    s = mt.tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    out = mt.zeros(3, 4, dtype=mt.float64).scatter_add(1, mt.tensor([[0, 0], [2, 3], [1, 1]]), s)
    out.backward(mt.tensor(np.arange(12.).reshape(3, 4)))
    assert s.grad.tolist() == [[0, 0, 0, 0], [6, 7, 0, 0], [9, 9, 0, 0]]
    assert mt.autograd.gradcheck(lambda s: mt.zeros(3, 4, dtype=mt.float64).scatter(1, mt.tensor([[0, 2], [3, 1], [1, 0]]), s),
                        (s,))


def test_index_fill_negative_index_with_tensor_value():
    "torch 2.13's IndexFillBackward1 fails on a negative index; ours wraps it like the forward does."
    x = mt.tensor(X34, requires_grad=True)
    v = mt.tensor(2.0, dtype=mt.float64, requires_grad=True)
    assert mt.autograd.gradcheck(lambda x, v: x.index_fill(1, mt.tensor([-1, 1, 3]), v), (x, v))
    x.index_fill(1, mt.tensor([-1, 1, 3]), v).sum().backward()
    assert v.grad.item() == 6.0


@pytest.mark.parametrize("values", [[2., 0., 3., 0., 5.], [0., 0., 1., 2.], [1., 2., 3., 0.], [0.], [3., -1., 0.5]])
def test_cumprod_gradient_with_zeros_like_torch(values):
    a = np.array(values)
    for lib_fn in ((lambda L, x: x.cumprod(0)), (lambda L, x: (x.unsqueeze(0) * L.ones(2, 1, dtype=x.dtype)).cumprod(1))):
        mo, to = both(lib_fn, a, grad=True)
    g = RNG.standard_normal(len(a))
    xm, xt = mt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    xm.cumprod(0).backward(mt.tensor(g)); xt.cumprod(0).backward(torch.tensor(g))
    np.testing.assert_allclose(xm.grad.array, xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert mt.autograd.gradcheck(lambda x: x.cumprod(0), (mt.tensor(a, requires_grad=True),))


def test_sort_and_topk_gradients_go_to_the_source_positions():
    x = mt.tensor([[3., 1., 2.], [0., 5., 4.]], requires_grad=True)
    x.topk(2).values.backward(mt.tensor([[10., 20.], [30., 40.]]))
    assert x.grad.tolist() == [[10., 0., 20.], [0., 30., 40.]]


EINSUMS = [("ij,jk->ik", [(3, 4), (4, 5)]), ("bqd,bkd->bqk", [(2, 3, 4), (2, 5, 4)]), ("ii->i", [(3, 3)]),
           ("ii", [(4, 4)]), ("iij->ji", [(3, 3, 2)]), ("iji->j", [(2, 3, 2)]), ("ij->", [(3, 4)]), ("ij->j", [(3, 4)]),
           ("i,j->ij", [(3,), (4,)]), ("i,i->i", [(3,), (3,)]), ("i,i", [(3,), (3,)]), ("...ij,...jk", [(2, 3, 4), (4, 5)]),
           ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]), ("ij,jk->ik", [(3, 1), (4, 5)]),
           ("ij,jk->ik", [(3, 1), (1, 5)]), ("bi,bi->b", [(1, 3), (4, 3)]), ("ij,jk,kl->li", [(2, 3), (3, 4), (4, 2)]),
           ("ij,j,k->ik", [(2, 3), (3,), (4,)]), ("ab,cd->", [(2, 3), (4, 1)]), ("Ab,bC", [(2, 3), (3, 4)]),
           ("...", [(2, 3)]), ("i...->...", [(2, 3, 4)]), ("->", [()]), (",->", [(), ()]), ("ij,jk->ik", [(2, 0), (0, 3)]),
           ("ij,jk->ik", [(0, 3), (3, 2)]), ("ii,i->i", [(1, 1), (3,)])]


@pytest.mark.parametrize("eq,shapes", EINSUMS, ids=[f"{e}-{s}" for e, s in EINSUMS])
def test_einsum_values_gradients_and_node_names_like_torch(eq, shapes):
    arrays = [RNG.standard_normal(s) for s in shapes]
    mo, to = both(lambda L, *ts: L.einsum(eq, *ts), *arrays, grad=True)
    assert mo.grad_fn.name() == type(to.grad_fn).__name__
    g = RNG.standard_normal(tuple(to.shape))
    ms = [mt.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    mt.einsum(eq, *ms).backward(mt.tensor(g)); torch.einsum(eq, *ts).backward(torch.tensor(g))
    for m, t in zip(ms, ts): np.testing.assert_allclose(m.grad.array, t.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert mt.autograd.gradcheck(lambda *t: mt.einsum(eq, *t), [mt.tensor(a, requires_grad=True) for a in arrays])


def test_einsum_vjp_is_the_swapped_einsum():
    "The rule the chapter derives: the gradient of an operand is the einsum with its subscripts and the output's swapped."
    a, b, c = (mt.tensor(RNG.standard_normal(s), requires_grad=True) for s in [(2, 3), (3, 4), (4, 5)])
    g = mt.tensor(RNG.standard_normal((5, 2)))
    mt.einsum("ij,jk,kl->li", a, b, c).backward(g)
    np.testing.assert_allclose(a.grad.array, mt.einsum("li,jk,kl->ij", g, b, c).array, rtol=1e-12)
    np.testing.assert_allclose(b.grad.array, mt.einsum("ij,li,kl->jk", a, g, c).array, rtol=1e-12)
    np.testing.assert_allclose(c.grad.array, mt.einsum("ij,jk,li->kl", a, b, g).array, rtol=1e-12)


def test_einsum_operand_forms_and_float32():
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((4, 2))
    both(lambda L, x, y: L.einsum("ij,jk", [x, y]), a, b)
    both(lambda L, x, y: L.einsum("ij,jk", (x, y)), a, b)
    both(lambda L, x, y: L.einsum(x, [0, 1], y, [1, 2]), a, b)
    both(lambda L, x, y: L.einsum(x, [Ellipsis, 0], y, [0, 1], [Ellipsis, 1]), a, b)
    both(lambda L, x, y: L.einsum("ij,jk->ki", x, y), a, b, dtypes=["float32", "float32"])


def test_matrix_product_gradients_only_where_needed():
    a, b = mt.tensor(X34, requires_grad=True), mt.tensor(X34.T)
    c = mt.tensor(RNG.standard_normal((3, 3)))
    (a.mm(b) + c.addmm(b.T, b) + mt.einsum("ij,jk->ik", a, b)).sum().backward()
    assert b.grad is None and c.grad is None and a.grad.shape == (3, 4)


def test_addmm_beta_zero_ignores_nan_like_torch():
    c = np.full((2, 2), np.nan)
    both(lambda L, c, a, b: L.addmm(c, a, b, beta=0), c, np.ones((2, 3)), np.ones((3, 2)))
    both(lambda L, c, a, b: L.addmm(c, a, b, beta=0, alpha=0.5), c, np.ones((2, 3)), np.ones((3, 2)))


def test_repeat_interleave_variants_like_torch():
    x = np.arange(6.).reshape(2, 3)
    both(lambda L, a: (a.repeat_interleave(2), a.repeat_interleave(L.tensor([1, 2]), dim=0),
                       a.repeat_interleave(L.tensor(2), dim=1), a.repeat_interleave(L.tensor([2]), dim=0),
                       a.repeat_interleave(L.tensor([1, 2, 0, 1, 1, 1])),
                       a.repeat_interleave(2, dim=0, output_size=4)), x)
    both(lambda L, a: a.repeat_interleave(2), np.array(3.0))
    both(lambda L, r: L.repeat_interleave(r), np.array([2, 0, 1]))


def test_flip_roll_tile_argument_forms_like_torch():
    x = X234
    both(lambda L, a: (a.flip(0), a.flip(0, 2), a.flip((0, -1)), a.flip([1]), a.flip([])), x)
    both(lambda L, a: (a.roll(1), a.roll(-7), a.roll((1, 2), (0, 2)), a.roll([1, 1], [1, 1]), a.roll(1, -1)), x)
    both(lambda L, a: (a.tile(2), a.tile(2, 1), a.tile((1, 2, 1, 1)), a.tile(()), a.tile((0,))), x)
    both(lambda L, a: (a.flip(0), a.roll(3), a.flip([])), np.array(1.5))
    both(lambda L, a: (a.flip(0), a.roll(1, 0), a.tile(2)), np.zeros((0, 3)))


def test_take_and_masked_select_edge_cases_like_torch():
    both(lambda L, a: (a.take(L.tensor(3)), a.take(L.tensor([], dtype=L.int64))), X34)
    both(lambda L, a: a.take(L.tensor([0, 0])), np.array(2.0))
    both(lambda L, a: a.masked_select(L.tensor(True)), X34)
    both(lambda L, a: a.masked_select(L.tensor([True, False, True, True])), np.array(2.0))
    both(lambda L, a: a.take_along_dim(L.tensor([[[0]], [[1]]]), 1), np.arange(6.).reshape(1, 3, 2))


def test_scatter_and_index_ops_on_0d_tensors_like_torch():
    both(lambda L, a: a.scatter(0, L.tensor(0), L.tensor(5.0, dtype=L.float64)), np.array(1.0))
    both(lambda L, a: a.scatter(0, L.tensor(1), L.tensor([5.0], dtype=L.float64)), np.zeros(3))
    both(lambda L, a: a.index_add(0, L.tensor([0]), L.tensor(2.0, dtype=L.float64)), np.array(1.0))
    both(lambda L, a: a.index_fill(0, L.tensor([0]), 4.0), np.array(1.0))


def test_no_graph_without_grad():
    x = mt.tensor(X34)
    for out in (x.sort().values, x.scatter(1, mt.tensor([[0]]), 1.0), mt.einsum("ij->j", x), x.cumprod(0), x.diagonal(),
                x.topk(1).values, x.index_select(0, mt.tensor([0])), x.mm(x.T)):
        assert out.grad_fn is None and not out.requires_grad
    with mt.no_grad():
        assert mt.einsum("ij->j", mt.tensor(X34, requires_grad=True)).grad_fn is None


# ----------------------------------------------------------------------------- randomised: adjoints and einsums
def random_einsum(r):
    "A random equation (1-3 operands, repeated letters, sums, broadcast size-1 dims, explicit or implicit output)."
    letters = list("abcdef")
    size = {c: int(r.integers(1, 4)) for c in letters}
    terms, shapes = [], []
    for _ in range(int(r.integers(1, 4))):
        t = "".join(r.choice(letters, int(r.integers(0, 4))))
        terms.append(t)
        shapes.append(tuple(1 if r.random() < 0.15 else size[c] for c in t))
    for t, s in zip(terms, shapes):          # a repeated letter within one operand needs equal sizes
        for c in set(t):
            if t.count(c) > 1:
                k = [i for i, ch in enumerate(t) if ch == c]
                s_list = list(s); n = s_list[k[0]]
                for i in k: s_list[i] = n
                shapes[terms.index(t)] = tuple(s_list)
    used = sorted(set("".join(terms)))
    if r.random() < 0.3: return ",".join(terms), shapes
    out = "".join(r.permutation([c for c in used if r.random() < 0.5])) if used else ""
    return ",".join(terms) + "->" + out, shapes


@pytest.mark.parametrize("seed", range(60))
def test_random_einsums_match_torch(seed):
    r = np.random.default_rng(seed)
    eq, shapes = random_einsum(r)
    arrays = [r.standard_normal(s) for s in shapes]
    try:
        to = torch.einsum(eq, *[torch.tensor(a, requires_grad=True) for a in arrays])
    except RuntimeError as e:            # an equation torch rejects must be rejected by mytorch too
        with pytest.raises(RuntimeError): mt.einsum(eq, *[mt.tensor(a) for a in arrays])
        return
    ms = [mt.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    mo, to = mt.einsum(eq, *ms), torch.einsum(eq, *ts)
    assert_same(mo, to, eq)
    assert mo.grad_fn.name() == type(to.grad_fn).__name__, eq
    g = r.standard_normal(tuple(to.shape))
    mo.backward(mt.tensor(g)); to.backward(torch.tensor(g))
    for m, t in zip(ms, ts): np.testing.assert_allclose(m.grad.array, t.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=eq)


@pytest.mark.parametrize("seed", range(20))
def test_random_pick_and_put_match_torch_and_are_adjoint(seed):
    r = np.random.default_rng(100 + seed)
    shape = tuple(int(n) for n in r.integers(1, 5, int(r.integers(1, 4))))
    dim = int(r.integers(-len(shape), len(shape)))
    n = shape[dim]
    x = r.standard_normal(shape)
    # gather / scatter_add with repeats: an index no larger than x outside dim
    ishape = tuple(int(r.integers(1, s + 1)) if d != dim % len(shape) else int(r.integers(1, 6))
                   for d, s in enumerate(shape))
    idx = r.integers(0, n, ishape)
    y = r.standard_normal(ishape)
    mo, _ = both(lambda L, a, s: L.zeros(*shape, dtype=L.float64).scatter_add(dim, L.tensor(idx), s), x, y, grad=True)
    gx = mt.tensor(x).gather(dim, mt.tensor(idx))
    assert np.isclose(np.sum(gx.array * y), np.sum(x * mo.array))      # <gather(x), y> = <x, scatter_add(y)>
    # index_select / index_add with repeats
    vec = r.integers(0, n, int(r.integers(0, 6)))
    src_shape = shape[:dim % len(shape)] + (len(vec),) + shape[dim % len(shape) + 1:]
    s = r.standard_normal(src_shape)
    sel, _ = both(lambda L, a: a.index_select(dim, L.tensor(vec, dtype=L.int64)), x, grad=True)
    add, _ = both(lambda L, a, b: a.index_add(dim, L.tensor(vec, dtype=L.int64), b), np.zeros(shape), s, grad=True)
    assert np.isclose(np.sum(sel.array * s), np.sum(x * add.array))     # <select(x), s> = <x, index_add(s)>
    # take with repeats and negative positions
    flat = r.integers(-x.size, x.size, int(r.integers(1, 7)))
    both(lambda L, a: a.take(L.tensor(flat)), x, grad=True)
    for fn in (lambda a, b: a.scatter_add(dim, mt.tensor(idx), b), lambda a, b: a.index_select(dim, mt.tensor(vec)) * 2,
               lambda a, b: a.take(mt.tensor(flat))):
        xs = [mt.tensor(x, requires_grad=True), mt.tensor(y, requires_grad=True)]
        assert mt.autograd.gradcheck(fn, xs)
