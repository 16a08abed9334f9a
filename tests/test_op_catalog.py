"""Runs every entry of op_catalog.OPS (chapter 03's AUTOGRAD_OPS and chapter 04's BROADCAST_OPS) three ways:
forward values against PyTorch (float64 and float32), mytorch.autograd.gradcheck in float64 (finite differences), and
gradient parity with PyTorch for a random upstream gradient. A hypothesis test then builds random expression trees
from the chapter-03 ops and compares values and gradients with PyTorch."""
import zlib

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import mytorch
from op_catalog import OPS
from conftest import dtype_name
from conftest import GRAD_TOL, TOL

TORCH_DTYPE = {"float32": torch.float32, "float64": torch.float64}


def sample(domain, shape, rng):
    "Input values for a spec's domain (see opspec.OpSpec)."
    if domain == "real": return rng.standard_normal(shape)
    if domain == "positive": return rng.uniform(0.5, 2.0, shape)
    if domain == "unit": return rng.uniform(-0.9, 0.9, shape)
    if domain == "nonzero": return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    raise ValueError(f"unknown domain {domain!r}")


def arrays_for(spec):
    rng = np.random.default_rng(zlib.crc32(spec.name.encode()))
    return [np.asarray(sample(spec.domain, shape, rng)) for shape in spec.shapes]


def grad_flags(spec):
    "Which inputs require grad: the spec's list, or all of them."
    return list(spec.requires_grad) if spec.requires_grad else [True] * len(spec.shapes)


def make_inputs(arrays, flags, dtype):
    mt = [mytorch.tensor(a, dtype=getattr(mytorch, dtype), requires_grad=f) for a, f in zip(arrays, flags)]
    tt = [torch.tensor(a, dtype=TORCH_DTYPE[dtype], requires_grad=f) for a, f in zip(arrays, flags)]
    return mt, tt


def outputs(out):
    "An op's result as a list of tensors (a few ops return tuples)."
    return list(out) if isinstance(out, (tuple, list)) else [out]


def check_same(m, t, tol, what):
    assert isinstance(m, mytorch.Tensor), f"{what}: mytorch returned {type(m).__name__}, not a Tensor"
    assert tuple(m.shape) == tuple(t.shape), f"{what}: shape {tuple(m.shape)} vs torch {tuple(t.shape)}"
    assert dtype_name(m) == dtype_name(t), f"{what}: dtype {m.dtype} vs torch {t.dtype}"
    np.testing.assert_allclose(np.asarray(m.array, dtype=np.float64) if m.dtype.kind in "fiub" else m.array,
                               t.detach().numpy().astype(np.float64) if t.dtype != torch.bool else t.numpy(),
                               err_msg=what, **tol)


ids = [s.name for s in OPS]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("spec", OPS, ids=ids)
def test_forward_matches_torch(spec, dtype):
    arrays = arrays_for(spec)
    flags = grad_flags(spec) if spec.grad else [True] * len(arrays)
    mt, tt = make_inputs(arrays, flags, dtype)
    mo, to = outputs(spec.fn(mytorch, *mt)), outputs(spec.fn(torch, *tt))
    assert len(mo) == len(to)
    for k, (m, t) in enumerate(zip(mo, to)):
        check_same(m, t, TOL[dtype], f"{spec.name} output {k} ({dtype})")
        assert m.requires_grad == t.requires_grad, f"{spec.name}: requires_grad {m.requires_grad} vs torch {t.requires_grad}"
        assert (m.grad_fn is None) == (t.grad_fn is None)
    if not spec.grad:
        assert all(not m.requires_grad for m in mo), f"{spec.name}: a grad=False op must return a tensor without grad"


grad_specs = [s for s in OPS if s.grad]


@pytest.mark.parametrize("spec", grad_specs, ids=[s.name for s in grad_specs])
def test_gradcheck(spec):
    mt, _ = make_inputs(arrays_for(spec), grad_flags(spec), "float64")
    assert mytorch.autograd.gradcheck(lambda *ts: outputs(spec.fn(mytorch, *ts))[0], mt)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("spec", grad_specs, ids=[s.name for s in grad_specs])
def test_grad_matches_torch(spec, dtype):
    arrays, flags = arrays_for(spec), grad_flags(spec)
    mt, tt = make_inputs(arrays, flags, dtype)
    mo, to = outputs(spec.fn(mytorch, *mt))[0], outputs(spec.fn(torch, *tt))[0]
    v = np.random.default_rng(1).standard_normal(tuple(to.shape))
    mo.backward(mytorch.tensor(v, dtype=mo.dtype))
    to.backward(torch.tensor(v, dtype=to.dtype))
    for k, (m, t, f) in enumerate(zip(mt, tt, flags)):
        if not f:
            assert m.grad is None and t.grad is None
            continue
        assert (m.grad is None) == (t.grad is None), f"{spec.name}: input {k} grad is None in one library only"
        if t.grad is not None: check_same(m.grad, t.grad, GRAD_TOL[dtype], f"{spec.name} grad of input {k} ({dtype})")


def test_catalog_names_are_unique():
    assert len(set(ids)) == len(ids), [n for n in ids if ids.count(n) > 1]


# ----------------------------------------------------------------------------- random expression trees
UNARY = {
    "neg": lambda t: -t,
    "sin": lambda t: t.sin(),
    "cos": lambda t: t.cos(),
    "tanh": lambda t: t.tanh(),
    "sigmoid": lambda t: t.sigmoid(),
    "exp_tanh": lambda t: t.tanh().exp(),
    "log_sq1": lambda t: (t * t + 1.0).log(),
    "sqrt_sq1": lambda t: (t * t + 1.0).sqrt(),
    "abs": lambda t: t.abs(),
    "relu": lambda t: t.relu(),
    "square": lambda t: t ** 2,
    "rsub": lambda t: 1.5 - t,
    "half": lambda t: 0.5 * t,
    "mean_all": lambda t: t.mean(),
    "sum_last_keep": lambda t: t.sum(dim=-1, keepdim=True) if t.ndim else t,
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div_safe": lambda a, b: a / (b * b + 1.0),
    "pow_safe": lambda a, b: (a * a + 1.0) ** b.tanh(),
}
LEAF_SHAPES = {"x": (2, 3), "y": (3,), "z": ()}     # all mutually broadcastable

trees = st.recursive(
    st.sampled_from(sorted(LEAF_SHAPES)).map(lambda n: ("leaf", n)),
    lambda sub: st.one_of(
        st.tuples(st.just("u"), st.sampled_from(sorted(UNARY)), sub),
        st.tuples(st.just("b"), st.sampled_from(sorted(BINARY)), sub, sub)),
    max_leaves=8)


def evaluate(tree, env):
    kind = tree[0]
    if kind == "leaf": return env[tree[1]]
    if kind == "u": return UNARY[tree[1]](evaluate(tree[2], env))
    return BINARY[tree[1]](evaluate(tree[2], env), evaluate(tree[3], env))


values = st.fixed_dictionaries({n: hnp.arrays(np.float64, s, elements=st.floats(-2, 2)) for n, s in LEAF_SHAPES.items()})


@settings(max_examples=60, deadline=None)
@given(tree=trees, data=values)
def test_random_expression_trees_match_torch(tree, data):
    menv = {n: mytorch.tensor(a, requires_grad=True) for n, a in data.items()}
    tenv = {n: torch.tensor(a, requires_grad=True) for n, a in data.items()}
    mo, to = evaluate(tree, menv), evaluate(tree, tenv)
    np.testing.assert_allclose(mo.array, to.detach().numpy(), rtol=1e-9, atol=1e-12)
    v = np.linspace(-1.0, 1.0, to.numel()).reshape(tuple(to.shape))
    mo.backward(v); to.backward(torch.tensor(v))
    for n in LEAF_SHAPES:
        m, t = menv[n].grad, tenv[n].grad
        assert (m is None) == (t is None), f"{n}: grad is None in one library only, tree {tree}"
        if t is not None: np.testing.assert_allclose(m.array, t.numpy(), rtol=1e-8, atol=1e-10, err_msg=f"{n}, tree {tree}")
