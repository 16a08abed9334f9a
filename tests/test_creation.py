"""Tests for chapter 04d (nbs/04d_creation.ipynb -> mytorch/creation.py): making tensors from NumPy (memory
sharing), empty/new_*, strides and contiguity, conversions, random sampling (statistics with fixed seeds and
tolerances of several standard errors, never timing), in-place random fills under autograd's rules,
inference_mode, and the top-level function forms. Everything deterministic is compared with PyTorch 2.13;
the differentiable ops also run through the op catalog (tests/op_catalog_creation.py)."""
import builtins

import numpy as np
import pytest
import torch

import mytorch as mt
from conftest import dtype_name as dname

LIBS = [mt, torch]
DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def arr(t):
    "The values of a mytorch or torch tensor as a NumPy array."
    return t.array if isinstance(t, mt.Tensor) else t.detach().numpy()


def same_meta(m, t):
    assert tuple(m.shape) == tuple(t.shape), (m.shape, t.shape)
    assert dname(m) == dname(t), (m.dtype, t.dtype)


def same_values(m, t, **tol):
    same_meta(m, t)
    np.testing.assert_allclose(np.asarray(arr(m), dtype=np.float64), np.asarray(arr(t), dtype=np.float64), **tol)


def raises_like_torch(call, match=None):
    "call(lib) raises in both libraries, with the same exception type; returns mytorch's exception."
    with pytest.raises(Exception) as want:
        call(torch)
    with pytest.raises(want.type, match=match) as got:
        call(mt)
    return got.value


def version(t):
    "The version counter's value (torch: an int; mytorch: a shared counter object)."
    return t._version if isinstance(t, torch.Tensor) else t._version.value


def within(count, n, p, k=5):
    "`count` successes in `n` draws fit probability `p` within k standard errors."
    return abs(count - n * p) <= k * np.sqrt(n * p * (1 - p)) + 1e-9


# ----------------------------------------------------------------------------- names
TOP_LEVEL = ["from_numpy", "as_tensor", "empty", "empty_like", "logspace", "Generator", "randint", "randint_like",
             "randperm", "multinomial", "bernoulli", "normal", "poisson", "inference_mode",
             "is_inference_mode_enabled", "sum", "max", "min", "t", "detach", "numel", "std_mean", "var_mean",
             "is_tensor", "is_floating_point", "is_complex"]
METHODS = ["new_zeros", "new_ones", "new_full", "new_empty", "new_tensor", "stride", "storage_offset", "data_ptr",
           "is_contiguous", "contiguous", "element_size", "itemsize", "nbytes", "t", "half", "char", "byte",
           "short", "int", "long", "bool", "type", "type_as", "is_floating_point", "is_complex", "cpu",
           "multinomial", "bernoulli", "uniform_", "normal_", "bernoulli_", "random_", "exponential_"]
# methods PyTorch has only on Tensor: mytorch must not add them at top level either
METHOD_ONLY = ["new_zeros", "new_ones", "new_full", "new_empty", "new_tensor", "stride", "storage_offset",
               "data_ptr", "is_contiguous", "contiguous", "element_size", "type_as", "uniform_", "normal_",
               "bernoulli_", "random_", "exponential_"]


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_top_level_name_exists_like_torch(name):
    assert hasattr(torch, name), f"torch has no {name}: the list is wrong"
    assert callable(getattr(mt, name)), name
    assert getattr(mt, name).__doc__, f"mytorch.{name} has no docstring"


@pytest.mark.parametrize("name", METHODS)
def test_method_exists_like_torch(name):
    assert hasattr(torch.Tensor, name), f"torch.Tensor has no {name}: the list is wrong"
    assert hasattr(mt.Tensor, name), name
    assert getattr(mt.Tensor, name).__doc__, f"Tensor.{name} has no docstring"


@pytest.mark.parametrize("name", METHOD_ONLY)
def test_method_only_names_are_not_top_level(name):
    assert not hasattr(torch, name)
    assert not hasattr(mt, name), f"mytorch.{name} exists, torch.{name} does not"


def test_creation_module_exports_only_torch_names():
    from mytorch import creation
    for name in creation.__all__:
        assert hasattr(torch, name) or name in {"MatrixTranspose", "Contiguous", "RandomSample"}, name


REPRESENTATIVE = {
    "from_numpy": lambda L: L.from_numpy(np.arange(6.0).reshape(2, 3)),
    "as_tensor": lambda L: L.as_tensor([[1, 2], [3, 4]]),
    "empty": lambda L: L.empty(2, 3).zero_(),
    "empty_like": lambda L: L.empty_like(L.ones(2, dtype=L.int32)).zero_(),
    "logspace": lambda L: L.logspace(-1, 2, 4),
    "sum": lambda L: L.sum(L.arange(6.0).reshape(2, 3), 1),
    "max": lambda L: L.max(L.tensor([[1.0, 5.0], [7.0, 2.0]]), 0).values,
    "min": lambda L: L.min(L.tensor([[1.0, 5.0], [7.0, 2.0]])),
    "t": lambda L: L.t(L.arange(6).reshape(2, 3)),
    "detach": lambda L: L.detach(L.ones(2, requires_grad=True)),
    "std_mean": lambda L: L.std_mean(L.tensor([1.0, 2.0, 4.0]))[0],
    "var_mean": lambda L: L.var_mean(L.tensor([1.0, 2.0, 4.0]), correction=0)[1],
    "new_full": lambda L: L.zeros(2, dtype=L.int16).new_full((2, 2), 3),
    "long": lambda L: L.tensor([1.9, -1.9]).long(),
    "half": lambda L: L.tensor([1.0 / 3]).half(),
}


@pytest.mark.parametrize("name", sorted(REPRESENTATIVE))
def test_representative_call_agrees_with_torch(name):
    same_values(REPRESENTATIVE[name](mt), REPRESENTATIVE[name](torch))


def test_predicates_like_torch():
    for L in LIBS:
        x = L.zeros(2, dtype=L.int32)
        assert L.is_tensor(x) and not L.is_tensor(np.zeros(2)) and not L.is_tensor([1])
        assert not L.is_floating_point(x) and L.is_floating_point(x.float()) and not L.is_complex(x)
        assert L.numel(L.zeros(2, 3)) == 6
    for name in ["is_floating_point", "numel", "is_complex"]:
        raises_like_torch(lambda L: getattr(L, name)([1.0, 2.0]))


# ----------------------------------------------------------------------------- from_numpy / as_tensor / tensor
@pytest.mark.parametrize("dtype", DTYPES)
def test_from_numpy_shares_memory_both_ways(dtype):
    a = np.arange(6).reshape(2, 3).astype(dtype)
    m, t = mt.from_numpy(a), torch.from_numpy(a.copy())
    same_values(m, t)
    assert m.array is a and np.shares_memory(m.numpy(), a)
    a[0, 0] = 1                                     # NumPy -> tensor
    assert m.tolist()[0][0] == 1
    with mt.no_grad():
        m.fill_(0)                                  # tensor -> NumPy
    assert not a.any()


def test_from_numpy_keeps_strides_and_0d_like_torch():
    a = np.arange(12.0).reshape(3, 4)
    for view in [a, a[:, 1:3], a[:, ::2], a.T, np.array(2.5)]:
        m, t = mt.from_numpy(view), torch.from_numpy(view)
        same_values(m, t)
        assert m.stride() == t.stride() and m.is_contiguous() == t.is_contiguous()
        assert np.shares_memory(m.numpy(), view) and np.shares_memory(t.numpy(), view)


@pytest.mark.parametrize("bad", [
    lambda L, a: L.from_numpy([1, 2]),
    lambda L, a: L.from_numpy(np.float64(2.0)),
    lambda L, a: L.from_numpy(np.array(["a", "b"])),
    lambda L, a: L.from_numpy(np.array([None, 1])),
    lambda L, a: L.from_numpy(a[:, ::-1]),
    lambda L, a: L.from_numpy(np.arange(3.0).astype(">f8")),
    lambda L, a: L.as_tensor(a[::-1]),
])
def test_from_numpy_errors_like_torch(bad):
    a = np.arange(6.0).reshape(2, 3)
    raises_like_torch(lambda L: bad(L, a))


def test_from_numpy_messages_and_departures():
    with pytest.raises(TypeError, match="from_numpy: expected np.ndarray"):
        mt.from_numpy([1, 2])
    with pytest.raises(ValueError, match="negative"):
        mt.from_numpy(np.arange(3)[::-1])
    with pytest.raises(TypeError, match="can't convert"):            # PyTorch has complex tensors; we do not
        mt.from_numpy(np.array([1 + 2j]))
    ro = np.arange(3.0)
    ro.flags.writeable = False
    with pytest.warns(UserWarning, match="not writable"):
        m = mt.from_numpy(ro)
    assert np.shares_memory(m.array, ro)


@pytest.mark.parametrize("dtype", [None, "float64", "float32", "int64"])
def test_as_tensor_shares_exactly_when_torch_does(dtype):
    a = np.arange(4.0)
    m = mt.as_tensor(a, dtype=None if dtype is None else getattr(mt, dtype))
    t = torch.as_tensor(a, dtype=None if dtype is None else getattr(torch, dtype))
    same_values(m, t)
    assert np.shares_memory(m.numpy(), a) == np.shares_memory(t.numpy(), a)


def test_as_tensor_of_tensors_lists_and_numbers_like_torch():
    for L in LIBS:
        x = L.ones(2)
        assert L.as_tensor(x) is x
        assert dname(L.as_tensor(x, dtype=L.float64)) == "float64"
        assert L.as_tensor(x, device="cpu") is x
    for data in [[1, 2], [1.0, 2.0], [[True, False]], 3, 2.5, np.float64(2.0), np.int32(3)]:
        same_values(mt.as_tensor(data), torch.as_tensor(data))
    with pytest.raises(RuntimeError, match="CPU only"):
        mt.as_tensor([1.0], device="cuda")


def test_tensor_copies_unlike_from_numpy():
    a = np.zeros(3)
    for L in LIBS:
        c = L.tensor(a)
        a[0] = 5.0
        assert c.tolist()[0] == 0.0 and not np.shares_memory(c.numpy(), a)
        a[0] = 0.0


# ----------------------------------------------------------------------------- empty, new_*, logspace
def test_empty_shape_dtype_like_torch():
    for call in [lambda L: L.empty(2, 3), lambda L: L.empty((4,)), lambda L: L.empty(()),
                 lambda L: L.empty([2, 0]), lambda L: L.empty(3, dtype=L.int64),
                 lambda L: L.empty_like(L.zeros(2, 3, dtype=L.float64)),
                 lambda L: L.empty_like(L.zeros(2, dtype=L.int32), dtype=L.float16)]:
        same_meta(call(mt), call(torch))
    for L in LIBS:
        e = L.empty(3, requires_grad=True)
        assert e.requires_grad and e.is_leaf
        assert L.empty_like(L.zeros(3, 4).t()).stride() == (1, 4)        # the layout is kept
    raises_like_torch(lambda L: L.empty())
    raises_like_torch(lambda L: L.empty(-1), match="negative dimension")
    raises_like_torch(lambda L: L.empty(2, dtype=L.int64, requires_grad=True))


NEW = {
    "zeros_varargs": lambda x, L: x.new_zeros(2, 3),
    "zeros_tuple": lambda x, L: x.new_zeros((2, 3)),
    "zeros_list_dtype": lambda x, L: x.new_zeros([2], dtype=L.float64),
    "ones": lambda x, L: x.new_ones(3),
    "ones_dtype": lambda x, L: x.new_ones((1, 2), dtype=L.bool),
    "full_float_value": lambda x, L: x.new_full((2,), 1.7),
    "full_dtype": lambda x, L: x.new_full((2, 2), 2, dtype=L.float32),
    "empty": lambda x, L: x.new_empty(2, 2).zero_(),
    "tensor_floats": lambda x, L: x.new_tensor([1.5, 2.5]),
    "tensor_ints": lambda x, L: x.new_tensor([[1, 2]]),
    "tensor_numpy": lambda x, L: x.new_tensor(np.array([1, 2])),
    "tensor_dtype": lambda x, L: x.new_tensor([1, 2], dtype=L.float64),
}


@pytest.mark.parametrize("src", ["float32", "float64", "int32", "uint8"])
@pytest.mark.parametrize("case", sorted(NEW))
def test_new_methods_use_self_dtype_like_torch(case, src):
    m = NEW[case](mt.zeros(1, dtype=getattr(mt, src)), mt)
    t = NEW[case](torch.zeros(1, dtype=getattr(torch, src)), torch)
    same_values(m, t)
    assert not m.requires_grad and m.is_leaf


def test_new_methods_requires_grad_and_errors_like_torch():
    for L in LIBS:
        x = L.zeros(2, requires_grad=True)
        assert not x.new_zeros(2).requires_grad and x.new_zeros(2, requires_grad=True).requires_grad
    raises_like_torch(lambda L: L.zeros(2, dtype=L.int32).new_zeros(2, requires_grad=True))
    raises_like_torch(lambda L: L.zeros(2).new_zeros(-1))
    raises_like_torch(lambda L: L.zeros(2).new_zeros())
    src = mt.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="detach"):
        c = mt.zeros(1).new_tensor(src)
    assert not c.requires_grad and not np.shares_memory(c.array, src.array)


@pytest.mark.parametrize("args,kw", [((0, 2, 3), {}), ((0, 3, 4), {"base": 2}), ((-2, 2, 5), {}),
                                     ((0, 2, 3), {"dtype": "float64"}), ((0, 2, 3), {"dtype": "int64"}),
                                     ((1, 1, 1), {}), ((0, 2, 0), {}), ((2.5, -1.0, 6), {"base": 3.0})])
def test_logspace_like_torch(args, kw):
    kw_m = {k: getattr(mt, v) if k == "dtype" else v for k, v in kw.items()}
    kw_t = {k: getattr(torch, v) if k == "dtype" else v for k, v in kw.items()}
    same_values(mt.logspace(*args, **kw_m), torch.logspace(*args, **kw_t), rtol=1e-6)


def test_logspace_errors_like_torch():
    raises_like_torch(lambda L: L.logspace(0, 2, -1))
    assert mt.logspace(0, 1, 2, requires_grad=True).requires_grad


# ----------------------------------------------------------------------------- strides and contiguity
def layouts(L):
    "The same layouts, made the same way in both libraries."
    x = L.arange(24.0).reshape(2, 3, 4)
    m = L.arange(12.0).reshape(3, 4)
    return {
        "contiguous": x, "matrix": m, "vector": L.arange(5.0), "scalar": L.tensor(3.0),
        "t": m.t(), "t_t": m.t().t(), "col_t": L.zeros(3, 1).t(), "row_t": L.zeros(1, 4).t(),
        "transpose01": x.transpose(0, 1), "transpose_last": x.transpose(-1, -2), "permute": x.permute(2, 0, 1),
        "mT": x.mT, "T": m.T, "slice_rows": m[1:], "slice_cols": m[:, 1:3], "step": m[:, ::2],
        "row": m[1], "col": m[:, 2], "element": m[2, 3], "narrow": m.narrow(1, 1, 2), "expand": L.zeros(3, 1).expand(3, 4),
        "expand_new_dim": L.zeros(4).expand(2, 4), "slice_of_t": m.t()[1:, ::2], "split": m.split(2, dim=1)[1],
        "chunk": x.chunk(2, dim=2)[1], "unbind": m.unbind(1)[3],
    }


LAYOUT_NAMES = list(layouts(mt))
# layouts that only chapter 03/04d make (no dependence on chapter 04's views)
OWN_LAYOUTS = {"contiguous", "matrix", "vector", "scalar", "t", "t_t", "col_t", "row_t"}


@pytest.mark.parametrize("name", LAYOUT_NAMES)
def test_strides_and_contiguity_like_torch(name):
    """Strides (in elements), storage offset, contiguity and memory sharing after transposes, slicing and expand.
    The layouts outside OWN_LAYOUTS need chapter 04's views (shared storage)."""
    m, t = layouts(mt)[name], layouts(torch)[name]
    same_values(m, t)
    assert m.stride() == t.stride(), f"{name}: stride {m.stride()} vs torch {t.stride()}"
    assert m.is_contiguous() == t.is_contiguous(), name
    assert m.storage_offset() == t.storage_offset(), f"{name}: offset {m.storage_offset()} vs {t.storage_offset()}"
    for d in range(-m.ndim, m.ndim):
        assert m.stride(d) == t.stride(d)


@pytest.mark.parametrize("name", LAYOUT_NAMES)
def test_contiguous_like_torch(name):
    m, t = layouts(mt)[name], layouts(torch)[name]
    mc, tc = m.contiguous(), t.contiguous()
    same_values(mc, tc)
    assert mc.is_contiguous() and mc.stride() == tc.stride()
    assert (mc is m) == (tc is t), f"{name}: contiguous() returned self in one library only"
    if mc is not m:
        assert not np.shares_memory(mc.array, m.array) and mc.storage_offset() == 0


def test_data_ptr_and_sizes_like_torch():
    for L in LIBS:
        m = L.zeros(3, 4, dtype=L.float64)
        assert m.t().data_ptr() == m.data_ptr()
        assert m.contiguous().data_ptr() == m.data_ptr() and m.clone().data_ptr() != m.data_ptr()
    for dtype in DTYPES:
        m, t = mt.zeros(2, 3, dtype=getattr(mt, dtype)), torch.zeros(2, 3, dtype=getattr(torch, dtype))
        assert m.element_size() == t.element_size() and m.itemsize == t.itemsize and m.nbytes == t.nbytes
    assert mt.zeros(3, 1).expand(3, 4).nbytes == torch.zeros(3, 1).expand(3, 4).nbytes == 48


def test_slicing_views_share_data_ptr_like_torch():
    "Needs chapter 04's views: a row of a matrix starts one row further in the same memory."
    for L in LIBS:
        m = L.zeros(3, 4)
        assert m[1].data_ptr() == m.data_ptr() + 4 * m.element_size()
        assert m[1:].storage_offset() == 4 and m[1:].detach().storage_offset() == 4


def test_stride_errors_and_from_numpy_offset_departure():
    raises_like_torch(lambda L: L.zeros(2, 3).stride(2))
    a = np.arange(12.0)
    # departure (see the chapter): the offset counts from the NumPy array that owns the memory
    assert mt.from_numpy(a[4:]).storage_offset() == 4 and torch.from_numpy(a[4:]).storage_offset() == 0


# ----------------------------------------------------------------------------- t()
def test_t_is_a_view_with_TBackward0_like_torch():
    for L in LIBS:
        x = L.zeros(3, 4)
        y = x.t()
        y[0, 1] = 7.0                                   # writes into x
        assert x[1, 0].item() == 7.0
        assert version(y) == version(x) and (L is torch or y._version is x._version)
        w = L.ones(3, 4, requires_grad=True)
        assert type(w.t().grad_fn).__name__ == "TBackward0" if L is torch else repr(w.t().grad_fn) == "<TBackward0>"
        for shape in [(), (4,)]:
            v = L.ones(shape, requires_grad=True).t()
            assert tuple(v.shape) == shape and v.grad_fn is not None
    raises_like_torch(lambda L: L.zeros(2, 3, 4).t(), match="2 dimensions")
    raises_like_torch(lambda L: L.t(L.zeros(2, 3, 4)))


def test_inplace_through_t_follows_autograd_rules_like_torch():
    raises_like_torch(lambda L: L.ones(3, 4, requires_grad=True).t().mul_(2), match="leaf")
    g = np.random.default_rng(0).standard_normal((4, 3))
    grads = []
    for L in LIBS:
        w = L.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
        h = w * 1.0
        ht = h.t()
        ht.mul_(3.0)                                    # through the view, into h
        (h * h).backward(L.tensor(g.T.copy()))
        grads.append(arr(w.grad))
    np.testing.assert_allclose(grads[0], grads[1])


def test_t_gradcheck():
    w = mt.tensor(np.random.default_rng(1).standard_normal((3, 4)), requires_grad=True)
    assert mt.autograd.gradcheck(lambda w: (w.t() @ w).contiguous() * w.t().sum(), (w,))


# ----------------------------------------------------------------------------- conversions
CONVERSIONS = ["half", "float", "double", "char", "byte", "short", "int", "long", "bool"]


@pytest.mark.parametrize("method", CONVERSIONS)
@pytest.mark.parametrize("src", ["float32", "float64", "int64", "uint8", "bool"])
def test_conversion_methods_like_torch(method, src):
    values = np.array([[1.7, -2.2, 0.0], [3.9, 250.0, -0.5]])
    if src in ("uint8", "bool"): values = np.abs(values)
    m = mt.tensor(values.astype(src)) if src != "bool" else mt.tensor(values > 1)
    t = torch.tensor(values.astype(src)) if src != "bool" else torch.tensor(values > 1)
    mm, tt = getattr(m, method)(), getattr(t, method)()
    if method == "byte" and src in ("float32", "float64"):
        same_meta(mm, tt)                    # negative floats to uint8 are undefined in C and in PyTorch
    else:
        same_values(mm, tt, rtol=1e-3)
    assert (mm is m) == (tt is t), f"{method} of {src}: returns self in one library only"


@pytest.mark.parametrize("method", CONVERSIONS)
def test_conversions_keep_or_leave_the_graph_like_torch(method):
    for L in LIBS:
        x = L.tensor([1.5, -2.5], requires_grad=True)
        y = getattr(x, method)()
        want = method in ("half", "float", "double")
        assert y.requires_grad == want and (y.grad_fn is not None) == (want and method != "float")
        if want:
            (y.float() * 3).sum().backward()
            assert x.grad.tolist() == [3.0, 3.0]


def test_type_like_torch():
    names = {"float16": "HalfTensor", "float32": "FloatTensor", "float64": "DoubleTensor", "int8": "CharTensor",
             "uint8": "ByteTensor", "int16": "ShortTensor", "int32": "IntTensor", "int64": "LongTensor",
             "bool": "BoolTensor"}
    for dtype, name in names.items():
        assert mt.zeros(1, dtype=getattr(mt, dtype)).type() == "mytorch." + name
        assert torch.zeros(1, dtype=getattr(torch, dtype)).type() == "torch." + name
        for L in LIBS:
            x = L.tensor([1.5, -2.0])
            assert dname(x.type(getattr(L, dtype))) == dtype
            assert dname(x.type(f"{L.__name__}.{name}")) == dtype
    for L in LIBS:
        x = L.tensor([1.5])
        assert x.type(L.float32) is x and x.type_as(L.zeros(1)) is x
        assert dname(x.type_as(L.zeros(1, dtype=L.int16))) == "int16"
        assert x.cpu() is x and x.is_floating_point() and not x.long().is_floating_point() and not x.is_complex()
    raises_like_torch(lambda L: L.tensor([1.0]).type("float64"), match="invalid type")
    raises_like_torch(lambda L: L.tensor([1.0]).type_as(np.zeros(1)))


def test_type_as_values_like_torch():
    a = np.array([2.7, -1.2, 300.0])
    for other in ["int32", "float16", "bool", "float64"]:
        same_values(mt.tensor(a).type_as(mt.zeros(1, dtype=getattr(mt, other))),
                    torch.tensor(a).type_as(torch.zeros(1, dtype=getattr(torch, other))), rtol=1e-3)


# ----------------------------------------------------------------------------- Generator and seeds
def test_generator_like_torch():
    for L in LIBS:
        g = L.Generator()
        assert g.initial_seed() == 67280421310721
        assert g.manual_seed(5) is g and g.initial_seed() == 5
        s = g.seed()
        assert isinstance(s, int) and g.initial_seed() == s
    raises_like_torch(lambda L: L.randint(0, 10, (3,), generator=3))
    raises_like_torch(lambda L: L.Generator(device="cuda"))


SAMPLERS = {
    "randint": lambda L, g: L.randint(0, 100, (6,), generator=g),
    "randint_high": lambda L, g: L.randint(7, (2, 3), generator=g),
    "randint_like": lambda L, g: L.randint_like(L.zeros(5), 3, 9, generator=g),
    "randperm": lambda L, g: L.randperm(9, generator=g),
    "multinomial": lambda L, g: L.multinomial(L.tensor([1.0, 2.0, 3.0, 4.0]), 3, generator=g),
    "multinomial_replacement": lambda L, g: L.multinomial(L.tensor([[1.0, 2.0], [3.0, 1.0]]), 5, True,
                                                          generator=g),
    "bernoulli": lambda L, g: L.bernoulli(L.full((8,), 0.5), generator=g),
    "normal_tensors": lambda L, g: L.normal(L.zeros(4), L.ones(4), generator=g),
    "normal_numbers": lambda L, g: L.normal(0.0, 1.0, (4,), generator=g),
    "poisson": lambda L, g: L.poisson(L.full((4,), 3.0), generator=g),
    "uniform_": lambda L, g: L.zeros(4).uniform_(generator=g),
    "normal_": lambda L, g: L.zeros(4).normal_(generator=g),
    "bernoulli_": lambda L, g: L.zeros(8).bernoulli_(generator=g),
    "random_": lambda L, g: L.zeros(4, dtype=L.int64).random_(generator=g),
    "random_to": lambda L, g: L.zeros(4).random_(1000, generator=g),
    "exponential_": lambda L, g: L.zeros(4).exponential_(generator=g),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_manual_seed_and_generators_make_every_sampler_reproducible(name):
    draw = SAMPLERS[name]
    mt.manual_seed(11); a = draw(mt, None).tolist()
    mt.manual_seed(11); b = draw(mt, None).tolist()
    mt.manual_seed(12); c = draw(mt, None).tolist()
    assert a == b, "manual_seed must replay the default stream"
    g1, g2 = mt.Generator().manual_seed(3), mt.Generator().manual_seed(3)
    assert draw(mt, g1).tolist() == draw(mt, g2).tolist(), "equal generators must agree"
    mt.manual_seed(11)
    draw(mt, mt.Generator().manual_seed(99))           # a generator leaves the default stream alone
    assert draw(mt, None).tolist() == a
    if name not in ("bernoulli", "bernoulli_"):
        assert a != c or name == "multinomial", "another seed should give other numbers"
    same_meta(draw(mt, None), draw(torch, None))


# ----------------------------------------------------------------------------- randint / randint_like / randperm
RANDINT_CALLS = {
    "high_size": lambda L: L.randint(10, (3,)),
    "low_high_size": lambda L: L.randint(3, 10, (2, 3)),
    "size_keyword": lambda L: L.randint(10, size=(3,)),
    "high_keyword": lambda L: L.randint(high=10, size=(3,)),
    "all_keywords": lambda L: L.randint(low=2, high=10, size=(3,)),
    "list_size": lambda L: L.randint(0, 3, [2, 3]),
    "scalar": lambda L: L.randint(0, 3, ()),
    "empty": lambda L: L.randint(0, 3, (0, 2)),
    "float_dtype": lambda L: L.randint(0, 10, (3,), dtype=L.float32),
    "bool_dtype": lambda L: L.randint(0, 2, (5,), dtype=L.bool),
    "uint8_dtype": lambda L: L.randint(0, 256, (5,), dtype=L.uint8),
    "int8_negative": lambda L: L.randint(-128, 0, (5,), dtype=L.int8),
    "big": lambda L: L.randint(0, 2 ** 40, (3,)),
    "requires_grad": lambda L: L.randint(0, 3, (3,), dtype=L.float64, requires_grad=True),
    "like": lambda L: L.randint_like(L.zeros(2, 3), 10),
    "like_low_high": lambda L: L.randint_like(L.zeros(2, 3, dtype=L.int32), 3, 10),
    "like_dtype": lambda L: L.randint_like(L.zeros(2), 10, dtype=L.int16),
    "like_high_keyword": lambda L: L.randint_like(L.zeros(2), high=4),
    "randperm": lambda L: L.randperm(7),
    "randperm_0": lambda L: L.randperm(0),
    "randperm_dtype": lambda L: L.randperm(5, dtype=L.float32),
    "randperm_requires_grad": lambda L: L.randperm(5, dtype=L.float32, requires_grad=True),
}


@pytest.mark.parametrize("name", sorted(RANDINT_CALLS))
def test_randint_randperm_signatures_like_torch(name):
    m, t = RANDINT_CALLS[name](mt), RANDINT_CALLS[name](torch)
    same_meta(m, t)
    assert m.requires_grad == t.requires_grad


@pytest.mark.parametrize("low,high,dtype", [(0, 10, "int64"), (-5, 5, "int32"), (3, 4, "int64"), (0, 2, "bool"),
                                            (0, 256, "uint8"), (-3, 3, "float32")])
def test_randint_is_uniform_on_its_range(low, high, dtype):
    mt.manual_seed(0)
    n = 30_000
    x = mt.randint(low, high, (n,), dtype=getattr(mt, dtype)).array.astype(np.int64)
    assert x.min() >= low and x.max() <= high - 1
    k = high - low
    counts = np.bincount(x - low, minlength=k)
    assert len(counts) == k and all(within(c, n, 1 / k) for c in counts)


def test_randperm_is_a_uniform_permutation():
    mt.manual_seed(1)
    perms = np.stack([mt.randperm(4).array for _ in range(6000)])
    assert (np.sort(perms, axis=1) == np.arange(4)).all()
    for pos in range(4):                                 # every value at every position with p = 1/4
        assert all(within((perms[:, pos] == v).sum(), 6000, 0.25) for v in range(4))
    big = mt.randperm(100_000).array
    assert np.array_equal(np.sort(big), np.arange(100_000))


@pytest.mark.parametrize("bad", [
    lambda L: L.randint(5, 2, (3,)),
    lambda L: L.randint(5, 5, (3,)),
    lambda L: L.randint(10),
    lambda L: L.randint(10, 3),
    lambda L: L.randint(0.5, 3.5, (3,)),
    lambda L: L.randint(0, 3, (-1,)),
    lambda L: L.randint(0, 3, (3,), dtype=L.bool),
    lambda L: L.randint(0, 300, (3,), dtype=L.uint8),
    lambda L: L.randint(-1, 3, (3,), dtype=L.uint8),
    lambda L: L.randint(0, 2 ** 40, (3,), dtype=L.int32),
    lambda L: L.randint(0, 3, (3,), requires_grad=True),
    lambda L: L.randint_like(L.zeros(2), 5, 2),
    lambda L: L.randperm(-1),
    lambda L: L.randperm(2.0),
    lambda L: L.randperm(300, dtype=L.uint8),
])
def test_randint_randperm_errors_like_torch(bad):
    raises_like_torch(bad)


def test_randint_error_messages():
    with pytest.raises(RuntimeError, match=r"randint: expects 'from' to be less than 'to', but got from=5 >= to=2"):
        mt.randint(5, 2, (3,))
    with pytest.raises(TypeError, match="size must be a tuple"):
        mt.randint(10)


# ----------------------------------------------------------------------------- multinomial
MULTINOMIAL_CALLS = {
    "1d": lambda L: L.multinomial(L.tensor([1.0, 2.0, 3.0]), 2),
    "1d_all": lambda L: L.multinomial(L.tensor([1.0, 2.0, 3.0]), 3),
    "2d": lambda L: L.multinomial(L.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]]), 1),
    "2d_replacement": lambda L: L.multinomial(L.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]]), 5, True),
    "replacement_keyword": lambda L: L.multinomial(L.tensor([1.0, 1.0]), 4, replacement=True),
    "float64": lambda L: L.multinomial(L.tensor([0.2, 0.8], dtype=L.float64), 1),
    "float16": lambda L: L.multinomial(L.tensor([0.2, 0.8], dtype=L.float16), 2),
    "zero_rows": lambda L: L.multinomial(L.ones(0, 3), 2),
    "requires_grad": lambda L: L.multinomial(L.tensor([1.0, 2.0], requires_grad=True), 1),
    "method": lambda L: L.tensor([1.0, 2.0, 3.0]).multinomial(2),
    "method_replacement": lambda L: L.tensor([[1.0, 2.0]]).multinomial(3, True),
}


@pytest.mark.parametrize("name", sorted(MULTINOMIAL_CALLS))
def test_multinomial_shapes_and_dtypes_like_torch(name):
    m, t = MULTINOMIAL_CALLS[name](mt), MULTINOMIAL_CALLS[name](torch)
    same_meta(m, t)
    assert not m.requires_grad and m.grad_fn is None


def test_multinomial_deterministic_cases_like_torch():
    for L in LIBS:
        assert L.multinomial(L.tensor([0.0, 0.0, 5.0]), 4, True).tolist() == [2, 2, 2, 2]
        assert L.multinomial(L.tensor([[0.0, 1.0], [1.0, 0.0]]), 1).tolist() == [[1], [0]]
        assert sorted(L.multinomial(L.tensor([1.0, 0.0, 0.0]), 3).tolist()) == [0, 1, 2]
        assert L.multinomial(L.tensor([1.0, 0.0, 0.0]), 3)[0].item() == 0   # positive weight first
        rows = L.multinomial(L.rand(50, 6) + 0.01, 6)                      # a permutation per row
        assert (np.sort(arr(rows), axis=1) == np.arange(6)).all()


def test_multinomial_with_replacement_matches_the_probabilities():
    w = np.array([1.0, 4.0, 2.0, 0.0, 3.0])
    n = 40_000
    draws = mt.multinomial(mt.tensor(w), n, True, generator=mt.Generator().manual_seed(0)).array
    p = w / w.sum()
    assert all(within((draws == k).sum(), n, p[k]) for k in range(5)) and not (draws == 3).any()
    rows = mt.multinomial(mt.tensor([[1.0, 3.0], [3.0, 1.0]]), n, True).array
    assert within((rows[0] == 1).sum(), n, 0.75) and within((rows[1] == 1).sum(), n, 0.25)


def test_multinomial_without_replacement_is_successive_sampling():
    """P(first = i) = p_i and P(second = j | first = i) = p_j / (1 - p_i): the exponential race's claim."""
    p = np.array([0.1, 0.2, 0.3, 0.4])
    n = 40_000
    mt.manual_seed(3)
    draws = mt.multinomial(mt.tensor(p).expand(n, 4).contiguous(), 2).array
    assert (draws[:, 0] != draws[:, 1]).all()
    for i in range(4):
        assert within((draws[:, 0] == i).sum(), n, p[i])
    for i, j in [(3, 0), (3, 2), (0, 3), (1, 2)]:
        assert within(((draws[:, 0] == i) & (draws[:, 1] == j)).sum(), n, p[i] * p[j] / (1 - p[i]))


@pytest.mark.parametrize("bad", [
    lambda L: L.multinomial(L.tensor([1.0, -1.0, 3.0]), 2),
    lambda L: L.multinomial(L.tensor([1.0, float("inf"), 3.0]), 2),
    lambda L: L.multinomial(L.tensor([1.0, float("nan"), 3.0]), 2),
    lambda L: L.multinomial(L.tensor([0.0, 0.0]), 1),
    lambda L: L.multinomial(L.tensor([0.0, 0.0]), 1, True),
    lambda L: L.multinomial(L.tensor([[1.0, 1.0], [0.0, 0.0]]), 1),
    lambda L: L.multinomial(L.tensor([1.0, 2.0, 3.0]), 4),
    lambda L: L.multinomial(L.ones(3, 2), 3),
    lambda L: L.multinomial(L.tensor([1, 2, 3]), 1),
    lambda L: L.multinomial(L.tensor(1.0), 1),
    lambda L: L.multinomial(L.ones(2, 2, 2), 1),
    lambda L: L.multinomial(L.tensor([1.0, 2.0]), 0),
    lambda L: L.multinomial(L.tensor([1.0, 2.0]), -1),
    lambda L: L.multinomial(L.tensor([1.0, 2.0]), 2.0),
    lambda L: L.multinomial(L.ones(0), 1),
])
def test_multinomial_errors_like_torch(bad):
    raises_like_torch(bad)


def test_multinomial_messages():
    with pytest.raises(RuntimeError, match="probability tensor contains either `inf`, `nan` or element < 0"):
        mt.multinomial(mt.tensor([1.0, -1.0]), 1)
    with pytest.raises(RuntimeError, match=r"invalid multinomial distribution \(sum of probabilities <= 0\)"):
        mt.multinomial(mt.tensor([0.0, 0.0]), 1)
    with pytest.raises(RuntimeError, match="without replacement.*replacement=True"):
        mt.multinomial(mt.tensor([1.0]), 2)


# ----------------------------------------------------------------------------- bernoulli / normal / poisson
SAMPLE_CALLS = {
    "bernoulli": lambda L: L.bernoulli(L.tensor([0.0, 0.5, 1.0])),
    "bernoulli_float64": lambda L: L.bernoulli(L.full((2, 3), 0.5, dtype=L.float64)),
    "bernoulli_p": lambda L: L.bernoulli(L.zeros(3), 0.3),
    "bernoulli_method": lambda L: L.tensor([0.2, 0.9]).bernoulli(),
    "normal_tt": lambda L: L.normal(L.tensor([0.0, 10.0]), L.tensor([1.0, 2.0])),
    "normal_tf": lambda L: L.normal(L.tensor([0.0, 10.0]), 2.0),
    "normal_t_default_std": lambda L: L.normal(L.tensor([0.0, 10.0])),
    "normal_ft": lambda L: L.normal(0.0, L.tensor([1.0, 2.0])),
    "normal_ff": lambda L: L.normal(0.0, 1.0, (2, 3)),
    "normal_ff_keyword": lambda L: L.normal(0.0, 1.0, size=(2, 3)),
    "normal_ints": lambda L: L.normal(0, 1, (2,)),
    "normal_ff_dtype": lambda L: L.normal(0.0, 1.0, (2,), dtype=L.float64),
    "normal_ff_requires_grad": lambda L: L.normal(0.0, 1.0, (2,), requires_grad=True),
    "normal_broadcast": lambda L: L.normal(L.tensor([[0.0], [1.0]]), L.tensor([1.0, 2.0])),
    "normal_promotes": lambda L: L.normal(L.tensor([0.0, 1.0], dtype=L.float64), L.tensor([1.0, 2.0])),
    "normal_float64_std": lambda L: L.normal(0.0, L.tensor([1.0, 2.0], dtype=L.float64)),
    "normal_0d": lambda L: L.normal(L.tensor(0.0), L.tensor(1.0)),
    "normal_keywords": lambda L: L.normal(mean=L.tensor([0.0]), std=L.tensor([1.0])),
    "poisson": lambda L: L.poisson(L.tensor([1.0, 5.0])),
    "poisson_float64": lambda L: L.poisson(L.tensor([[1.0, 5.0]], dtype=L.float64)),
}


@pytest.mark.parametrize("name", sorted(SAMPLE_CALLS))
def test_elementwise_samplers_like_torch(name):
    m, t = SAMPLE_CALLS[name](mt), SAMPLE_CALLS[name](torch)
    same_meta(m, t)
    assert m.requires_grad == t.requires_grad


@pytest.mark.parametrize("case", [
    ("bernoulli", lambda L, x: L.bernoulli(x), "BernoulliBackward0"),
    ("normal_tensor_mean", lambda L, x: L.normal(x, 2.0), "NormalBackward1"),
    ("normal_tensor_std", lambda L, x: L.normal(0.0, x), "NormalBackward2"),
    ("normal_both", lambda L, x: L.normal(x, x * 2), "NormalBackward3"),
    ("poisson", lambda L, x: L.poisson(x), "PoissonBackward0"),
], ids=lambda c: c[0] if isinstance(c, tuple) else None)
def test_samplers_record_zero_gradient_nodes_like_torch(case):
    _, call, node = case
    for L in LIBS:
        x = L.tensor([0.2, 0.7], requires_grad=True)
        y = call(L, x)
        name = type(y.grad_fn).__name__ if L is torch else y.grad_fn.name()
        assert y.requires_grad and name == node, (L.__name__, name)
        (y * 5).sum().backward()
        assert x.grad.tolist() == [0.0, 0.0]


def test_bernoulli_with_a_number_p_has_no_derivative_like_torch():
    "bernoulli(input, p): torch records a NotImplemented node, and backward raises."
    for L in LIBS:
        x = L.tensor([0.2, 0.7], requires_grad=True)
        y = L.bernoulli(x, 0.3)
        name = y.grad_fn.name()
        assert y.requires_grad and name.endswith("NotImplemented"), (L.__name__, name)
        with pytest.raises(RuntimeError, match="not implemented"):
            y.sum().backward()


def test_bernoulli_statistics_and_certain_cases():
    mt.manual_seed(4)
    p = np.linspace(0, 1, 11)
    n = 20_000
    draws = mt.bernoulli(mt.tensor(p).expand(n, 11).contiguous()).array
    assert set(np.unique(draws)) <= {0.0, 1.0}
    assert (draws[:, 0] == 0).all() and (draws[:, -1] == 1).all()
    assert all(within(draws[:, k].sum(), n, p[k]) for k in range(11))
    assert within(mt.bernoulli(mt.zeros(n), 0.3).array.sum(), n, 0.3)


def test_normal_statistics():
    mt.manual_seed(5)
    n = 40_000
    z = mt.normal(mt.tensor([0.0, -3.0, 10.0]).expand(n, 3).contiguous(), mt.tensor([1.0, 0.5, 4.0])).array
    np.testing.assert_allclose(z.mean(0), [0.0, -3.0, 10.0], atol=5 * 4 / np.sqrt(n))
    np.testing.assert_allclose(z.std(0), [1.0, 0.5, 4.0], rtol=5 / np.sqrt(2 * n))
    s = mt.normal(2.0, 3.0, (n,)).array
    assert abs(s.mean() - 2.0) < 5 * 3 / np.sqrt(n) and abs(s.std() - 3.0) < 5 * 3 / np.sqrt(2 * n)
    within_1 = (np.abs(mt.normal(0.0, 1.0, (n,)).array) < 1).sum()
    assert within(within_1, n, 0.682689)
    assert (mt.normal(mt.tensor([7.0]), 0.0).array == 7.0).all()           # std 0: the mean exactly


def test_poisson_statistics():
    mt.manual_seed(6)
    n = 40_000
    for rate in [0.5, 4.0, 30.0]:
        c = mt.poisson(mt.full((n,), rate)).array
        assert (c == np.round(c)).all() and c.min() >= 0
        assert abs(c.mean() - rate) < 5 * np.sqrt(rate / n)
        assert abs(c.var() - rate) < 5 * rate * np.sqrt(2 / n) + 5 * np.sqrt(rate / n)
    assert (mt.poisson(mt.zeros(5)).array == 0).all()


@pytest.mark.parametrize("bad", [
    lambda L: L.bernoulli(L.tensor([-0.5, 0.5])),
    lambda L: L.bernoulli(L.tensor([1.5])),
    lambda L: L.bernoulli(L.tensor([float("nan")])),
    lambda L: L.bernoulli(L.tensor([0, 1])),
    lambda L: L.bernoulli(L.zeros(2), p=1.3),
    lambda L: L.normal(0.0, -1.0, (2,)),
    lambda L: L.normal(L.tensor([0.0]), L.tensor([-1.0])),
    lambda L: L.normal(L.tensor([0.0]), -1.0),
    lambda L: L.normal(L.tensor([0.0, 1.0, 2.0]), L.tensor([1.0, 2.0])),
    lambda L: L.normal(L.tensor([0, 1]), 1.0),
    lambda L: L.normal(0.0, 1.0),
    lambda L: L.normal(0.0, 1.0, 5),
    lambda L: L.normal(L.zeros(2), L.ones(2), size=(2,)),
    lambda L: L.poisson(L.tensor([-1.0, 5.0])),
    lambda L: L.poisson(L.tensor([float("nan")])),
    lambda L: L.poisson(L.tensor([1, 5])),
])
def test_elementwise_sampler_errors_like_torch(bad):
    raises_like_torch(bad)


# ----------------------------------------------------------------------------- in-place random fills
FILLS = {
    "uniform_": lambda x: x.uniform_(),
    "uniform_range": lambda x: x.uniform_(2, 5),
    "normal_": lambda x: x.normal_(),
    "normal_params": lambda x: x.normal_(3.0, 2.0),
    "bernoulli_": lambda x: x.bernoulli_(),
    "bernoulli_p": lambda x: x.bernoulli_(0.3),
    "random_": lambda x: x.random_(),
    "random_to": lambda x: x.random_(10),
    "random_from_to": lambda x: x.random_(3, 10),
    "exponential_": lambda x: x.exponential_(),
    "exponential_rate": lambda x: x.exponential_(2.0),
}
NODES = {"uniform_": "UniformBackward0", "uniform_range": "UniformBackward0", "normal_": "NormalBackward0",
         "normal_params": "NormalBackward0", "bernoulli_": "BernoulliBackward2", "bernoulli_p": "BernoulliBackward2",
         "random_": "RandomBackward2", "random_to": "RandomBackward1", "random_from_to": "RandomBackward0",
         "exponential_": "ExponentialBackward0", "exponential_rate": "ExponentialBackward0"}


@pytest.mark.parametrize("name", sorted(FILLS))
def test_fill_is_in_place_and_bumps_the_version_like_torch(name):
    for L in LIBS:
        x = L.zeros(5)
        v = version(x)
        assert FILLS[name](x) is x and version(x) == v + 1
        view = x.detach()                               # shares storage and version counter
        FILLS[name](view)
        assert version(x) == v + 2 and np.shares_memory(arr(view), arr(x))


@pytest.mark.parametrize("name", sorted(FILLS))
def test_fill_follows_autograd_inplace_rules_like_torch(name):
    e = raises_like_torch(lambda L: FILLS[name](L.zeros(3, requires_grad=True)), match="leaf Variable")
    assert "no_grad" in str(e)
    for L in LIBS:
        w = L.zeros(3, requires_grad=True)
        with L.no_grad():
            FILLS[name](w)                              # initialising a parameter
        assert w.requires_grad and w.is_leaf and w.grad_fn is None
        h = w * 2
        FILLS[name](h)
        got = type(h.grad_fn).__name__ if L is torch else h.grad_fn.name()
        assert got == NODES[name], (L.__name__, got)
        (h * 3).sum().backward()
        assert w.grad.tolist() == [0.0, 0.0, 0.0]       # the old values were overwritten


def test_fill_through_a_view_of_a_non_leaf_like_torch():
    "Needs chapter 04's views: filling a row of h writes into h, whose node becomes CopySlices."
    grads = []
    for L in LIBS:
        w = L.ones(2, 3, requires_grad=True)
        h = w * 2
        h[0].normal_()
        name = type(h.grad_fn).__name__ if L is torch else h.grad_fn.name()
        assert name == "CopySlices"
        (h * 3).sum().backward()
        grads.append(arr(w.grad))
    np.testing.assert_array_equal(grads[0], grads[1])
    assert grads[0].tolist() == [[0, 0, 0], [6, 6, 6]]
    raises_like_torch(lambda L: L.ones(2, 3, requires_grad=True)[0].uniform_(), match="leaf")


def test_fill_of_a_saved_tensor_is_caught_at_backward_like_torch():
    def run(L):
        w = L.ones(3, requires_grad=True)
        h = w * 2
        y = h * h                                       # saves h
        h.normal_()
        y.sum().backward()
    raises_like_torch(run, match="modified by an inplace operation")


def test_fill_of_an_expanded_tensor_raises_like_torch():
    raises_like_torch(lambda L: L.zeros(3).expand(2, 3).uniform_())


FILL_ERRORS = [
    lambda L: L.zeros(3).uniform_(5, 2),
    lambda L: L.zeros(3, dtype=L.int64).uniform_(),
    lambda L: L.zeros(3).normal_(0, -1),
    lambda L: L.zeros(3, dtype=L.int64).normal_(),
    lambda L: L.zeros(3).bernoulli_(1.5),
    lambda L: L.zeros(3).bernoulli_(-0.1),
    lambda L: L.zeros(3).bernoulli_(L.tensor([0.0, 1.0])),
    lambda L: L.zeros(3).bernoulli_(L.tensor([0, 1, 1])),                 # integer p: not implemented
    lambda L: L.zeros(3, dtype=L.int64).bernoulli_(L.tensor([True, False, True])),
    lambda L: L.zeros(3).exponential_(-1),
    lambda L: L.zeros(3).exponential_(0),
    lambda L: L.zeros(3, dtype=L.int64).exponential_(),
    lambda L: L.zeros(3).random_(5, 2),
    lambda L: L.zeros(3, dtype=L.uint8).random_(300),
    lambda L: L.zeros(3, dtype=L.uint8).random_(-1, 3),
    lambda L: L.zeros(3, dtype=L.bool).random_(0, 3),
]


@pytest.mark.parametrize("bad", FILL_ERRORS)
def test_fill_errors_like_torch(bad):
    raises_like_torch(bad)


@pytest.mark.parametrize("dtype", DTYPES)
def test_random_without_bounds_covers_the_dtype_like_torch(dtype):
    "random_() draws 0 ... the largest integer the dtype holds exactly: 2**mantissa for floats, max for ints."
    torch.manual_seed(0)
    t = torch.zeros(200_000, dtype=getattr(torch, dtype)).random_()
    m = mt.zeros(200_000, dtype=getattr(mt, dtype)).random_()
    same_meta(m, t)
    lo_t, hi_t = float(t.double().min()), float(t.double().max())
    lo_m, hi_m = float(m.array.astype(np.float64).min()), float(m.array.astype(np.float64).max())
    assert lo_m >= 0 and lo_t >= 0 and (m.array == np.round(m.array.astype(np.float64))).all()
    bound = {"float16": 2 ** 11, "float32": 2 ** 24, "float64": 2 ** 53}.get(dtype)
    if bound is None:
        info = (0, 1) if dtype == "bool" else (np.iinfo(dtype).min, np.iinfo(dtype).max)
        bound = info[1]
    assert hi_m <= bound and hi_t <= bound
    assert hi_m >= 0.9 * bound and hi_t >= 0.9 * bound       # the draws reach the top of the range


def test_random_forms_like_torch():
    for L in LIBS:
        assert set(L.zeros(2000).random_(4).tolist()) == {0.0, 1.0, 2.0, 3.0}
        assert set(L.zeros(2000).random_(2, 5).tolist()) == {2.0, 3.0, 4.0}
        assert set(L.zeros(2000).random_(to=3).tolist()) == {0.0, 1.0, 2.0}
        assert set(L.zeros(2000, dtype=L.int8).random_(-5, 0).tolist()) == {-5, -4, -3, -2, -1}
        assert set(L.zeros(200, dtype=L.bool).random_().tolist()) == {False, True}
        x = L.zeros(2000, dtype=L.int32).random_(2_000_000_000, None)
        assert arr(x).min() >= 2_000_000_000


def test_fill_statistics():
    mt.manual_seed(8)
    n = 40_000
    u = mt.zeros(n, dtype=mt.float64).uniform_(-1, 3).array
    assert u.min() >= -1 and u.max() < 3 and abs(u.mean() - 1) < 5 * (4 / np.sqrt(12)) / np.sqrt(n)
    assert within((u < 0).sum(), n, 0.25)
    z = mt.zeros(n).normal_(-2.0, 0.5).array
    assert abs(z.mean() + 2) < 5 * 0.5 / np.sqrt(n) and abs(z.std() - 0.5) < 5 * 0.5 / np.sqrt(2 * n)
    e = mt.zeros(n).exponential_(4.0).array
    assert e.min() >= 0 and abs(e.mean() - 0.25) < 5 * 0.25 / np.sqrt(n)
    assert within((e > np.log(2) / 4).sum(), n, 0.5)                      # the median is ln 2 / rate
    b = mt.zeros(n, dtype=mt.uint8).bernoulli_(0.7).array
    assert set(np.unique(b)) == {0, 1} and within(b.sum(), n, 0.7)
    bt = mt.zeros(2, n).bernoulli_(mt.tensor([[0.1], [0.9]])).array
    assert within(bt[0].sum(), n, 0.1) and within(bt[1].sum(), n, 0.9)
    r = mt.zeros(n, dtype=mt.int64).random_(0, 6).array
    assert all(within((r == k).sum(), n, 1 / 6) for k in range(6))


@pytest.mark.parametrize("pdtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("dtype", ["int64", "uint8", "float32", "bool"])
def test_bernoulli_fill_with_a_float_p_tensor_like_torch(dtype, pdtype):
    "Any float p fills any dtype; certain p (0 and 1) makes the result deterministic."
    p = [0.0, 1.0, 1.0, 0.0]
    t = torch.zeros(4, dtype=getattr(torch, dtype)).bernoulli_(torch.tensor(p, dtype=getattr(torch, pdtype)))
    m = mt.zeros(4, dtype=getattr(mt, dtype)).bernoulli_(mt.tensor(p, dtype=getattr(mt, pdtype)))
    same_meta(m, t)
    assert m.tolist() == t.tolist()


# ----------------------------------------------------------------------------- inference_mode
def test_inference_mode_states_like_torch():
    for L in LIBS:
        x = L.ones(2, requires_grad=True)
        with L.inference_mode():
            assert L.is_inference_mode_enabled() and not L.is_grad_enabled()
            y = x * 2
            with L.inference_mode(False):
                assert not L.is_inference_mode_enabled() and L.is_grad_enabled()
            assert L.is_inference_mode_enabled() and not L.is_grad_enabled()
        assert not y.requires_grad and y.grad_fn is None
        assert L.is_grad_enabled() and not L.is_inference_mode_enabled()
        with L.no_grad():
            with L.inference_mode(False):
                assert L.is_grad_enabled()              # PyTorch: mode=False turns grad mode on
            assert not L.is_grad_enabled()
        with L.inference_mode() as ctx:
            assert ctx is None


def test_inference_mode_as_decorator_like_torch():
    for L in LIBS:
        @L.inference_mode
        def bare(): return L.is_grad_enabled(), L.is_inference_mode_enabled()
        @L.inference_mode()
        def called(): return L.is_grad_enabled(), L.is_inference_mode_enabled()
        @L.inference_mode(False)
        def off(): return L.is_grad_enabled(), L.is_inference_mode_enabled()
        assert bare() == (False, True) and called() == (False, True) and off() == (True, False)
        assert bare.__name__ == "bare"
        assert L.is_grad_enabled() and not L.is_inference_mode_enabled()


def test_inference_mode_restores_after_an_exception():
    with pytest.raises(KeyError):
        with mt.inference_mode():
            raise KeyError("boom")
    assert mt.is_grad_enabled() and not mt.is_inference_mode_enabled()


# ----------------------------------------------------------------------------- function forms
X = np.random.default_rng(2).standard_normal((3, 4))

FORMS = {
    "sum": lambda L, x: L.sum(x),
    "sum_dim": lambda L, x: L.sum(x, 1),
    "sum_keywords": lambda L, x: L.sum(x, dim=0, keepdim=True),
    "sum_input_keyword": lambda L, x: L.sum(input=x),
    "sum_dtype": lambda L, x: L.sum(x, dtype=L.float32),
    "max": lambda L, x: L.max(x),
    "max_dim_values": lambda L, x: L.max(x, 1).values,
    "max_dim_indices": lambda L, x: L.max(x, 1)[1],
    "max_keepdim": lambda L, x: L.max(x, dim=0, keepdim=True).values,
    "max_other": lambda L, x: L.max(x, x.flip(0) if hasattr(x, "flip") else x * 0.5),
    "min": lambda L, x: L.min(x),
    "min_dim": lambda L, x: L.min(x, -1).values,
    "t": lambda L, x: L.t(x),
    "detach": lambda L, x: L.detach(x),
    "std_mean_std": lambda L, x: L.std_mean(x, 1)[0],
    "std_mean_mean": lambda L, x: L.std_mean(x, 1)[1],
    "std_mean_unbiased": lambda L, x: L.std_mean(x, unbiased=False)[0],
    "std_mean_old_overload": lambda L, x: L.std_mean(x, False)[0],
    "var_mean_var": lambda L, x: L.var_mean(x, dim=1, correction=0, keepdim=True)[0],
    "var_mean_mean": lambda L, x: L.var_mean(x, dim=(0, 1))[1],
    "numel": lambda L, x: L.tensor(float(L.numel(x))),
}


@pytest.mark.parametrize("name", sorted(FORMS))
def test_function_forms_values_and_gradients_like_torch(name):
    xm, xt = mt.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    ym, yt = FORMS[name](mt, xm), FORMS[name](torch, xt)
    tol = 1e-6 if dname(yt) == "float32" else 1e-12
    same_values(ym, yt, rtol=tol, atol=tol)
    assert ym.requires_grad == yt.requires_grad
    if yt.requires_grad:
        g = np.random.default_rng(3).standard_normal(tuple(yt.shape))
        ym.backward(mt.tensor(g))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(xm.grad.array, xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_function_form_errors_like_torch():
    raises_like_torch(lambda L: L.t(L.zeros(2, 3, 4)))
    raises_like_torch(lambda L: L.sum(L.zeros(2, 3), 2))
    raises_like_torch(lambda L: L.max(L.zeros(2, 0), 1))
    raises_like_torch(lambda L: L.std_mean(L.zeros(2, 3), 2))
    assert mt.numel(mt.arange(24).reshape(2, 3, 4)) == 24


def test_function_forms_do_not_replace_builtins_in_the_package():
    import mytorch.autograd
    import mytorch.ops
    assert mt.sum is not builtins.sum and mt.max is not builtins.max
    assert "sum" not in vars(mytorch.autograd) and "max" not in vars(mytorch.ops)
    assert mt.sum(mt.tensor([1.0, 2.0])).item() == 3.0 and builtins.sum([1, 2]) == 3
