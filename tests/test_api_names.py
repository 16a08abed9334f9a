"""The everyday tensor API of issue "Tensor semantics": every name a PyTorch user types exists in mytorch, where
PyTorch has it (top level and/or as a Tensor method), and a representative call agrees with PyTorch: same values,
same dtype, same shape. The per-notebook test files test each op in depth; this file keeps the list."""
import math

import numpy as np
import pytest
import torch

import mytorch

TOP_LEVEL = """sum mean max min abs add sub mul div pow neg exp log sqrt mm bmm dot outer addmm einsum matmul cumsum
cumprod sort argsort topk flip roll tril triu diag index_select scatter scatter_add nonzero unique tile
repeat_interleave eq ne lt le gt ge isnan isinf isfinite all any equal allclose lerp erf sign log1p expm1 rsqrt
reciprocal square as_tensor from_numpy empty empty_like randint randperm multinomial bernoulli normal zeros ones
full arange linspace eye rand randn tensor is_tensor numel inference_mode no_grad enable_grad set_grad_enabled
manual_seed cat stack where clamp maximum minimum softmax log_softmax result_type promote_types get_default_dtype
set_default_dtype float32 float64 float16 int64 int32 int16 int8 uint8 float long int bool half double""".split()

METHODS = """add sub mul div pow neg exp t long int float double half bool type type_as contiguous is_contiguous
stride cpu to is_floating_point element_size clamp clamp_ clamp_min clamp_max eq ne lt le gt ge any all numel
uniform_ normal_ bernoulli_ random_ new_zeros new_ones new_full new_tensor add_ sub_ mul_ div_ pow_ abs_ exp_
sqrt_ zero_ fill_ copy_ view reshape transpose permute unsqueeze squeeze expand flatten unbind select narrow
split chunk detach clone item tolist numpy sum mean max min argmax argmin cumsum sort topk flip roll
index_select scatter scatter_add gather masked_fill masked_fill_ unfold __floordiv__ __mod__ __and__ __or__
__xor__ __invert__ __abs__ __pos__ __ipow__ __index__ __format__""".split()


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_top_level_name_exists(name):
    assert hasattr(torch, name), f"torch.{name} is not a PyTorch name (fix the list)"
    assert hasattr(mytorch, name), f"mytorch.{name} is missing"


@pytest.mark.parametrize("name", METHODS)
def test_method_exists(name):
    assert hasattr(torch.Tensor, name), f"torch.Tensor.{name} is not a PyTorch method (fix the list)"
    assert hasattr(mytorch.Tensor, name), f"mytorch.Tensor.{name} is missing"


def _m(L):
    return L.tensor([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]])


def _i(L):
    return L.tensor([[3, -2, 7], [4, 5, -6]])


CALLS = {
    "sum_dtype": lambda L: _i(L).sum(dtype=L.float64),
    "sum_int32": lambda L: _i(L).to(L.int32).sum(),
    "mean_dtype": lambda L: _i(L).mean(dtype=L.float32),
    "top_sum": lambda L: L.sum(_m(L), 1),
    "top_max": lambda L: L.max(_m(L)),
    "top_min_dim": lambda L: L.min(_m(L), 1).values,
    "top_abs": lambda L: L.abs(_m(L)),
    "add_alpha": lambda L: L.add(_m(L), _m(L), alpha=2),
    "sub": lambda L: L.sub(_m(L), 1),
    "mul": lambda L: L.mul(_m(L), 2),
    "div_floor": lambda L: L.div(_i(L), 4, rounding_mode="floor"),
    "div_trunc": lambda L: L.div(_i(L), 4, rounding_mode="trunc"),
    "pow": lambda L: L.pow(_m(L), 2),
    "neg": lambda L: L.neg(_m(L)),
    "mm": lambda L: L.mm(_m(L), _m(L).t()),
    "bmm": lambda L: L.bmm(_m(L)[None], _m(L).t()[None]),
    "dot": lambda L: L.dot(_m(L)[0], _m(L)[1]),
    "outer": lambda L: L.outer(_m(L)[0], _m(L)[1]),
    "addmm": lambda L: L.addmm(L.ones(2, 2), _m(L), _m(L).t(), beta=0.5, alpha=2),
    "einsum": lambda L: L.einsum("ij,kj->ik", _m(L), _m(L)),
    "cumsum": lambda L: L.cumsum(_m(L), 1),
    "cumprod": lambda L: _m(L).cumprod(0),
    "sort": lambda L: L.sort(_m(L), 1).values,
    "sort_idx": lambda L: _m(L).sort(1, descending=True).indices,
    "argsort": lambda L: L.argsort(_m(L), 1),
    "topk": lambda L: L.topk(_m(L), 2).values,
    "flip": lambda L: L.flip(_m(L), (0, 1)),
    "roll": lambda L: L.roll(_m(L), 1, 1),
    "tril": lambda L: L.tril(L.ones(3, 3)),
    "triu": lambda L: L.triu(L.ones(3, 3), 1),
    "diag_vec": lambda L: L.diag(_m(L)[0]),
    "diag_mat": lambda L: L.diag(_m(L)[:, :2]),
    "index_select": lambda L: L.index_select(_m(L), 1, L.tensor([2, 0, 2])),
    "scatter": lambda L: L.zeros(2, 3).scatter(1, L.tensor([[2], [0]]), 5.0),
    "scatter_add": lambda L: L.scatter_add(L.zeros(2, 3), 1, L.tensor([[0, 0], [2, 2]]), L.ones(2, 2)),
    "nonzero": lambda L: L.nonzero(_i(L) > 0),
    "unique": lambda L: L.unique(L.tensor([3, 1, 3, 2, 1])),
    "tile": lambda L: L.tile(_m(L), (2, 1)),
    "repeat_interleave": lambda L: L.repeat_interleave(L.tensor([1, 2]), 2),
    "eq": lambda L: L.eq(_m(L), 0.5),
    "ne": lambda L: L.ne(_m(L), 0.5),
    "lt": lambda L: L.lt(_m(L), 0.5),
    "le": lambda L: L.le(_m(L), 0.5),
    "gt": lambda L: L.gt(_m(L), 0.5),
    "ge": lambda L: L.ge(_m(L), 0.5),
    "isnan": lambda L: L.isnan(L.tensor([1.0, math.nan, math.inf])),
    "isinf": lambda L: L.isinf(L.tensor([1.0, math.nan, -math.inf])),
    "isfinite": lambda L: L.isfinite(L.tensor([1.0, math.nan, math.inf])),
    "all": lambda L: L.all(_i(L) > -10),
    "any_dim": lambda L: (_i(L) > 4).any(1),
    "equal": lambda L: L.tensor(L.equal(_m(L), _m(L))),
    "allclose": lambda L: L.tensor(L.allclose(_m(L), _m(L) + 1e-9)),
    "lerp": lambda L: L.lerp(_m(L), L.zeros(2, 3), 0.25),
    "erf": lambda L: L.erf(_m(L)),
    "sign": lambda L: L.sign(_m(L)),
    "log1p": lambda L: L.log1p(_m(L).abs()),
    "expm1": lambda L: L.expm1(_m(L)),
    "rsqrt": lambda L: L.rsqrt(_m(L).abs()),
    "reciprocal": lambda L: L.reciprocal(_m(L)),
    "square": lambda L: L.square(_m(L)),
    "as_tensor": lambda L: L.as_tensor([1, 2, 3]),
    "from_numpy": lambda L: L.from_numpy(np.arange(4, dtype=np.int32)),
    "empty_shape": lambda L: L.tensor(L.empty(2, 3).shape),
    "empty_like_dtype": lambda L: L.tensor(L.empty_like(_i(L)).shape),
    "randint_shape": lambda L: L.tensor(L.randint(0, 10, (3, 4)).shape),
    "randint_dtype": lambda L: L.randint(5, (2,)) * 0,
    "randperm_sorted": lambda L: L.randperm(6).sort().values,
    "multinomial_shape": lambda L: L.tensor(L.multinomial(L.tensor([0.2, 0.8]), 3, replacement=True).shape),
    "bernoulli_01": lambda L: L.bernoulli(L.tensor([0.0, 1.0, 1.0])),
    "normal_shape": lambda L: L.tensor(L.normal(0.0, 1.0, size=(2, 5)).shape),
    "Tensor_sizes": lambda L: L.tensor(L.Tensor(2, 3).shape),
    "uniform_range": lambda L: (L.empty(100).uniform_(2, 3) >= 2).all(),
    "normal_fill_shape": lambda L: L.tensor(L.empty(3, 2).normal_().shape),
    "bernoulli_fill": lambda L: L.zeros(4).bernoulli_(1.0),
    "random_range": lambda L: (L.zeros(50).random_(0, 3) < 3).all(),
    "new_zeros": lambda L: _i(L).new_zeros(2),
    "new_ones": lambda L: _m(L).new_ones((1, 2)),
    "new_full": lambda L: _i(L).new_full((2,), 7),
    "new_tensor": lambda L: _m(L).new_tensor([1, 2]),
    "t": lambda L: _m(L).t(),
    "long": lambda L: _m(L).long(),
    "int": lambda L: _m(L).int(),
    "float": lambda L: _i(L).float(),
    "double": lambda L: _i(L).double(),
    "half": lambda L: _m(L).half(),
    "bool": lambda L: _i(L).bool(),
    "type_as": lambda L: _m(L).type_as(_i(L)),
    "contiguous": lambda L: _m(L).t().contiguous(),
    "is_contiguous": lambda L: L.tensor([_m(L).is_contiguous(), _m(L).t().is_contiguous()]),
    "stride": lambda L: L.tensor(_m(L).t().stride()),
    "cpu": lambda L: _m(L).cpu(),
    "to_cpu": lambda L: _m(L).to("cpu"),
    "is_floating_point": lambda L: L.tensor([_m(L).is_floating_point(), _i(L).is_floating_point()]),
    "element_size": lambda L: L.tensor([_m(L).element_size(), _i(L).element_size(), _m(L).half().element_size()]),
    "clamp_": lambda L: _m(L).clamp_(-1, 1),
    "clamp_min": lambda L: _m(L).clamp_min(0),
    "clamp_max": lambda L: _m(L).clamp_max(0),
    "is_tensor": lambda L: L.tensor([L.is_tensor(_m(L)), L.is_tensor([1])]),
    "numel": lambda L: L.tensor(L.numel(_m(L))),
    "floordiv": lambda L: _i(L) // 4,
    "mod": lambda L: _i(L) % 4,
    "and": lambda L: (_i(L) > 0) & (_i(L) < 5),
    "or": lambda L: (_i(L) > 4) | (_i(L) < -3),
    "xor": lambda L: _i(L) ^ 3,
    "invert": lambda L: ~(_i(L) > 0),
    "builtin_abs": lambda L: abs(_m(L)),
    "pos": lambda L: +_m(L),
    "ipow": lambda L: _ipow(_m(L)),
    "index": lambda L: L.tensor([10, 20, 30, 40][L.tensor(2)]),
    "format": lambda L: L.tensor(float(f"{_m(L).sum():.3f}")),
    "eq_none": lambda L: L.tensor([_m(L) == None, _m(L) != None]),  # noqa: E711
}


def _ipow(t):
    t **= 2
    return t


def _as_numpy(x):
    if isinstance(x, torch.Tensor):
        return x.detach().numpy(), str(x.dtype).split(".")[-1]
    return np.asarray(x.array), str(x.dtype)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_call_agrees_with_torch(name):
    mytorch.manual_seed(0); torch.manual_seed(0)
    got, want = CALLS[name](mytorch), CALLS[name](torch)
    (g, gd), (w, wd) = _as_numpy(got), _as_numpy(want)
    assert gd == wd, f"{name}: dtype {gd}, torch gives {wd}"
    assert g.shape == w.shape, f"{name}: shape {g.shape}, torch gives {w.shape}"
    np.testing.assert_allclose(g.astype(np.float64), w.astype(np.float64), rtol=1e-3, atol=1e-5, err_msg=name)


def test_dtype_aliases_are_the_dtypes():
    assert mytorch.float is mytorch.float32 and mytorch.long is mytorch.int64 and mytorch.half is mytorch.float16
    assert mytorch.int is mytorch.int32 and mytorch.double is mytorch.float64 and mytorch.bool == np.dtype(bool)
    assert str(mytorch.uint8) == str(torch.uint8).split(".")[-1]


def test_device_and_inference_mode():
    t = mytorch.ones(2)
    assert (t.device == "cpu") == (torch.ones(2).device == "cpu") and str(t.device) == "cpu"
    assert t.to("cpu") is t and t.cpu() is t
    with mytorch.inference_mode():
        y = mytorch.ones(2, requires_grad=True) * 2
    assert not y.requires_grad


def test_every_tensor_method_and_function_has_a_docstring():
    "help() shows documentation, never nbdev's cell markers (`# %% ../nbs/...`), which stand in for a missing one."
    import inspect, pydoc
    missing = []
    for name in dir(mytorch.Tensor):
        obj = getattr(mytorch.Tensor, name)
        f = obj.fget if isinstance(obj, property) else obj
        if callable(f) and (getattr(f, "__module__", "") or "").startswith("mytorch") and name != "_bump_version":
            if not inspect.getdoc(f): missing.append(f"Tensor.{name}")
    for name in dir(mytorch):
        obj = getattr(mytorch, name)
        if (not name.startswith("_") and callable(obj)
                and (getattr(obj, "__module__", "") or "").startswith("mytorch") and not inspect.getdoc(obj)):
            missing.append(name)
    assert not missing, f"no docstring: {missing}"
    assert "%%" not in pydoc.render_doc(mytorch.Tensor, renderer=pydoc.plaintext)
