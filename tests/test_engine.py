"""Chapter 03: the backward engine itself: deep graphs without recursion, the children-counting order, no graph
when nothing needs one, freeing of saved arrays, unbroadcast once per edge, gradcheck, and the Function contract."""
import sys
import weakref

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import mytorch
from mytorch import Tensor
from mytorch.autograd import Function, gradcheck
from mytorch.autograd.engine import unbroadcast
from mytorch.autograd.gradcheck import GradcheckError
from mytorch.autograd.engine import graph_dependencies as _graph_dependencies


def test_100k_op_chain_backpropagates():
    x = mytorch.tensor(1.0, requires_grad=True)
    xt = torch.tensor(1.0, requires_grad=True)
    y, yt = x, xt
    for _ in range(100_000):
        y = y * 1.00001
    for _ in range(100_000):
        yt = yt * 1.00001
    y.backward(); yt.backward()
    assert abs(x.grad.item() - xt.grad.item()) < 1e-3 * xt.grad.item()
    assert abs(x.grad.item() - np.e) < 1e-2


def test_engine_does_not_recurse():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(3_000):
        y = y + 1.0
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(250)          # a recursive walk of 3,000 nodes would need > 3,000 frames
    try:
        y.sum().backward()
    finally:
        sys.setrecursionlimit(limit)
    assert x.grad.tolist() == [1.0, 1.0]


class Counted(Function, arrays=True):
    "Multiply by 2, counting backward calls per node."
    calls = []
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * 2
    @staticmethod
    def backward(ctx, g):
        Counted.calls.append(ctx)
        return g * 2


def test_each_node_runs_once_after_all_its_consumers():
    Counted.calls = []
    x = mytorch.tensor([1.0, -1.0], requires_grad=True)
    a = Counted.apply(x)                 # used by three consumers
    b = Counted.apply(a * a)
    c = Counted.apply(a + b)
    d = (a.exp() + b * c).sum()
    deps = _graph_dependencies(d.grad_fn)
    assert deps[a.grad_fn] == 4          # a*a counts twice, a+b and a.exp() once each
    d.backward()
    assert Counted.calls.count(a.grad_fn) == 1 and len(Counted.calls) == 3
    # order: every consumer of a ran before a
    assert Counted.calls.index(a.grad_fn) > Counted.calls.index(b.grad_fn)
    assert Counted.calls.index(b.grad_fn) > Counted.calls.index(c.grad_fn)
    xt = torch.tensor([1.0, -1.0], requires_grad=True)
    at = xt * 2; bt = (at * at) * 2; ct = (at + bt) * 2
    (at.exp() + bt * ct).sum().backward()
    np.testing.assert_allclose(x.grad.array, xt.grad.numpy(), rtol=1e-5)


def test_no_graph_under_no_grad_or_without_requires_grad():
    ctxs = []
    class Spy(Function, arrays=True):
        @staticmethod
        def forward(ctx, a):
            ctxs.append(ctx); ctx.save_for_backward(a); return a + 1
        @staticmethod
        def backward(ctx, g): return g
    w = mytorch.tensor([1.0, 2.0], requires_grad=True)
    with mytorch.no_grad():
        r1 = Spy.apply(w)
    r2 = Spy.apply(mytorch.tensor([1.0, 2.0]))
    for r, ctx in zip((r1, r2), ctxs):
        assert r.grad_fn is None and not r.requires_grad and ctx.saved_tensors == ()
    r3 = Spy.apply(w)
    assert r3.grad_fn is ctxs[2] and ctxs[2].saved_tensors[0] is w.array
    ops = [lambda t: t + t, lambda t: t * 2.0, lambda t: t @ t, lambda t: t.exp(), lambda t: t.sum(dim=0),
           lambda t: t.mean(), lambda t: (t ** 2).sqrt(), lambda t: t.sigmoid(), lambda t: t.clone(), lambda t: t.double()]
    with mytorch.no_grad():
        for op in ops:
            assert op(w).grad_fn is None
    for op in ops:
        assert op(mytorch.tensor([1.0, 2.0])).grad_fn is None
        assert op(w).grad_fn is not None


def test_saved_arrays_freed_after_backward_unless_retained():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).exp().sin()
    nodes = list(_graph_dependencies(y.sum().grad_fn))
    y.sum().backward(retain_graph=True)
    assert all(n._saved != () for n in nodes if type(n).__name__ in ("Mul", "Exp", "Sin"))
    z = y.sum(); nodes = list(_graph_dependencies(z.grad_fn))
    z.backward()
    assert all(n._saved == () for n in nodes)


def test_graph_is_released_with_its_output():
    x = mytorch.tensor(np.ones(1000), requires_grad=True)
    y = (x * 2.0).exp()
    ref = weakref.ref(y.grad_fn)
    del y
    assert ref() is None                    # no reference cycles: freed at once, no gc needed


def test_accumulation_copies_the_first_gradient():
    a = mytorch.tensor([1.0, 2.0], requires_grad=True)
    b = mytorch.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()                # Add returns the same array for both inputs
    assert a.grad.array is not b.grad.array
    a.grad.array += 10
    assert b.grad.tolist() == [1.0, 1.0]


def test_backward_contract_errors():
    class TooMany(Function, arrays=True):
        @staticmethod
        def forward(ctx, a): return a * 1
        @staticmethod
        def backward(ctx, g): return g, g
    class WrongShape(Function, arrays=True):
        @staticmethod
        def forward(ctx, a): return a.sum()
        @staticmethod
        def backward(ctx, g): return np.ones(7)
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="returned 2 gradients"):
        TooMany.apply(x).sum().backward()
    with pytest.raises(RuntimeError, match="cannot be summed to shape"):
        WrongShape.apply(x).backward()


def test_needs_input_grad_and_python_numbers():
    seen = {}
    class Spy(Function, arrays=True):
        @staticmethod
        def forward(ctx, a, b, scale):
            seen["types"] = (type(a), type(b), type(scale)); seen["needs"] = ctx.needs_input_grad
            return a * b * scale
        @staticmethod
        def backward(ctx, g): return None, g, None
    w = mytorch.tensor([1.0], requires_grad=True)
    Spy.apply(mytorch.tensor([2.0]), w, 3.0).sum().backward()
    assert seen["types"] == (np.ndarray, np.ndarray, float) and seen["needs"] == (False, True, False)
    assert w.grad.tolist() == [1.0]         # only what backward returned, the engine does not scale


def test_backward_may_return_broadcast_shaped_gradients():
    class Bias(Function, arrays=True):        # returns the gradient in the output's (broadcast) shape for both inputs
        @staticmethod
        def forward(ctx, x, b): return x + b
        @staticmethod
        def backward(ctx, g): return g, g
    x = mytorch.tensor(np.ones((4, 3)), requires_grad=True)
    b = mytorch.tensor(np.zeros((1, 3)), requires_grad=True)
    Bias.apply(x, b).backward(np.arange(12.0).reshape(4, 3))
    assert b.grad.shape == (1, 3) and b.grad.tolist() == [[18.0, 22.0, 26.0]]


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_unbroadcast_is_the_adjoint_of_broadcasting(data):
    shapes, out = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=1, min_dims=0, max_dims=4, max_side=3))
    shape = shapes[0]
    g = data.draw(hnp.arrays(np.float64, out, elements=st.floats(-3, 3)))
    v = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-3, 3)))
    r = unbroadcast(g, shape)
    assert r.shape == tuple(shape)
    # <unbroadcast(g), v> == <g, broadcast(v)>: summing is the adjoint of copying
    np.testing.assert_allclose(np.sum(r * v), np.sum(g * np.broadcast_to(v, out)), rtol=1e-9, atol=1e-9)


def test_gradcheck_accepts_right_and_rejects_wrong():
    rng = np.random.default_rng(0)
    x = mytorch.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    assert gradcheck(lambda x: (x * x).sin().sum(dim=0), x)
    assert x.grad is None
    class Wrong(Function, arrays=True):
        @staticmethod
        def forward(ctx, a): ctx.save_for_backward(a); return np.sin(a)
        @staticmethod
        def backward(ctx, g): return g * np.cos(ctx.saved_tensors[0]) * 1.01
    with pytest.raises(GradcheckError, match=r"gradient of input 0 \(shape \(3, 2\)\)"):
        gradcheck(Wrong.apply, x)
    with pytest.raises(GradcheckError, match="requires grad"):
        gradcheck(lambda x: x * 2.0, mytorch.tensor([1.0]))
    idx = mytorch.tensor([0, 1])           # integer inputs pass through unchanged
    assert gradcheck(lambda x, i: x * i, (mytorch.tensor([1.0, 2.0], requires_grad=True), idx))
    assert idx.dtype == mytorch.int64


def test_add_to_class_refuses_a_second_definition():
    def other(self): return 0
    other.__module__ = "somebody_else"
    with pytest.raises(RuntimeError, match="already defined"):
        mytorch._tensor.add_to_class(Tensor, "exp")(other)
    assert Tensor.exp.__module__ == "mytorch.autograd.basic_ops"
    assert Tensor.sum.__name__ == "sum" and "Sum over" in Tensor.sum.__doc__


def test_public_functions_have_docstrings():
    import importlib
    mods = ["mytorch._tensor", "mytorch.autograd.function", "mytorch.autograd.engine",
            "mytorch.autograd.gradcheck", "mytorch.autograd.basic_ops", "mytorch.autograd.inplace"]
    for ag in map(importlib.import_module, mods):
        _check_docstrings(ag)


def _check_docstrings(ag):
    missing = [n for n in ag.__all__ if callable(getattr(ag, n)) and not isinstance(getattr(ag, n), np.dtype)
               and not (getattr(ag, n).__doc__ or "").strip()]
    assert not missing, missing


# What a node saves decides which in-place changes its backward survives: PyTorch saves an operand only when a
# gradient it must compute uses it (a / b keeps a only when b needs its gradient; a matmul keeps each operand only
# for the other's gradient, and keeps a copy where its decomposition copied). Each case: build z from a and b
# (non-leaves, or plain tensors when they need no gradient), change one of a, b, z in place, then backward.
_SAVE_OPS = {
    "mul": lambda a, b: a * b, "mul_scalar": lambda a, b: a * 2.0, "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b, "div": lambda a, b: a / b, "pow": lambda a, b: a ** b,
    "div_scalar": lambda a, b: a / 2.0, "rdiv_scalar": lambda a, b: 2.0 / a,
    "pow_scalar": lambda a, b: a ** 2, "pow_half": lambda a, b: a ** 0.5, "rpow_scalar": lambda a, b: 2.0 ** a,
    "neg": lambda a, b: -a, "exp": lambda a, b: a.exp(), "log": lambda a, b: a.log(),
    "sin": lambda a, b: a.sin(), "cos": lambda a, b: a.cos(), "sqrt": lambda a, b: a.sqrt(),
    "abs": lambda a, b: a.abs(), "relu": lambda a, b: a.relu(), "sigmoid": lambda a, b: a.sigmoid(),
    "tanh": lambda a, b: a.tanh(), "clone": lambda a, b: a.clone(), "double": lambda a, b: a.double(),
    "sum": lambda a, b: a.sum(0), "mean": lambda a, b: a.mean(),
}
_MATMUL_SHAPES = [((2, 3), (3, 2)), ((3,), (3, 2)), ((2, 3), (3,)), ((3,), (3,)), ((4, 2, 3), (4, 3, 2)),
                  ((4, 2, 3), (3, 2)), ((3, 2), (4, 2, 3)), ((2, 1, 2, 3), (4, 3, 2)), ((3,), (4, 3, 2)),
                  ((1, 2, 3), (4, 3, 2)), ((4, 2, 3), (1, 3, 2)), ((2, 2, 2, 3), (1, 3, 2))]


def _after_inplace(lib, f, shapes, grads, changed):
    "(raised, gradients) of backward after `changed` ('a', 'b' or 'z') was changed in place."
    rng = np.random.default_rng(0)
    ts = []
    for shape, g in zip(shapes, grads):
        t = lib.tensor(rng.uniform(0.5, 2.0, shape), requires_grad=g)
        ts.append((t, t.clone() if g else t))
    (la, a), (lb, b) = ts
    z = f(a, b)
    {"a": a, "b": b, "z": z}[changed].add_(1.0)
    try:
        z.sum().backward()
    except RuntimeError as e:
        assert "modified by an inplace operation" in str(e)
        return True, None
    return False, [None if t.grad is None else t.grad.numpy() for t, _ in ts]


_SAVE_CASES = ([(name, f, ((2, 3), (2, 3)), grads, changed) for name, f in _SAVE_OPS.items()
                for grads in [(True, True), (True, False), (False, True)] for changed in "abz"
                if grads[0] or name in ("add", "mul", "sub", "div", "pow")]
               + [(f"matmul{sa}{sb}", lambda a, b: a @ b, (sa, sb), grads, changed) for sa, sb in _MATMUL_SHAPES
                  for grads in [(True, True), (True, False), (False, True)] for changed in "abz"])


@pytest.mark.parametrize("name,f,shapes,grads,changed", _SAVE_CASES,
                         ids=[f"{c[0]}-{''.join('g' if g else 'n' for g in c[3])}-{c[4]}" for c in _SAVE_CASES])
def test_inplace_change_after_an_op_raises_exactly_as_in_torch(name, f, shapes, grads, changed):
    raised, grads_m = _after_inplace(mytorch, f, shapes, grads, changed)
    raised_t, grads_t = _after_inplace(torch, f, shapes, grads, changed)
    assert raised == raised_t, f"{name}: mytorch raises={raised}, torch raises={raised_t}"
    if not raised:      # and when it does not raise, the gradient is torch's
        for gm, gt in zip(grads_m, grads_t):
            assert (gm is None) == (gt is None)
            if gm is not None:
                np.testing.assert_allclose(gm, gt, rtol=1e-5, atol=1e-6)


def test_the_saving_cases_cover_both_outcomes():
    "The parametrized comparison above is not vacuous: torch raises in some cases and not in others."
    outcomes = {_after_inplace(torch, f, s, g, c)[0] for _, f, s, g, c in _SAVE_CASES}
    assert outcomes == {True, False}
    assert _after_inplace(torch, _SAVE_OPS["div"], ((3,), (3,)), (True, False), "a")[0] is False
    assert _after_inplace(torch, _SAVE_OPS["pow_scalar"], ((3,), (3,)), (True, False), "a")[0] is True


# ------------------------------------------------------------------------------- 03e's log1p exercise check
def _log1p_check():
    "`check_log1p` from the 03e notebook, run in the namespace the reader has."
    import json
    from pathlib import Path
    import mytorch.autograd.basic_ops as bo
    nb = Path(__file__).resolve().parent.parent / "nbs" / "03e_basic_ops.ipynb"
    code = ["".join(c["source"]) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code"]
    cell = next(c for c in code if c.startswith("def check_log1p(Log1p):"))
    ns = {k: getattr(bo, k) for k in dir(bo) if not k.startswith("__")}
    exec("from mytorch.testing import test_eq, test_close, test_fail\n"
         "from mytorch.autograd.gradcheck import *\n" + cell, ns)
    return ns["check_log1p"]


def _make_log1p(forward, backward, name="Log1p"):
    def fwd(ctx, a): ctx.save_for_backward(a); return forward(a)
    def bwd(ctx, g): return backward(g, ctx.saved_tensors[0])
    return type(name, (Function,), {"forward": staticmethod(fwd), "backward": staticmethod(bwd)}, arrays=True)


def test_log1p_exercise_check_accepts_the_answer_and_rejects_wrong_ones(capsys):
    check = _log1p_check()
    check(_make_log1p(np.log1p, lambda g, a: g / (1 + a)))
    assert "log1p: correct" in capsys.readouterr().out
    with pytest.raises(TypeError):        # no answer: chapter 04's Tensor.log1p must not make it pass
        check()
    wrong = [_make_log1p(np.log1p, lambda g, a: g / a),                   # the derivative of log
             _make_log1p(lambda a: np.log(1 + a), lambda g, a: g / (1 + a)),  # inaccurate for tiny x
             _make_log1p(np.log1p, lambda g, a: g / (1 + a), "LogOnePlus")]    # PyTorch's node name
    for Log1p in wrong:
        with pytest.raises(Exception):
            check(Log1p)


def test_in_place_writes_into_empty_tensors_are_no_ops_as_in_torch():
    import torch
    for lib in (mytorch, torch):
        e = lib.empty(0, 3)
        e.uniform_()
        e.normal_()
        e.copy_(lib.empty(0, 3))
        e.zero_()
        e.add_(1.0)
        assert tuple(e.shape) == (0, 3)


def test_fill_of_integer_tensors_wraps_or_raises_as_torch():
    import torch
    cases = [("uint8", -3), ("uint8", -128), ("uint8", -129), ("uint8", -255), ("uint8", -256), ("uint8", 255), ("uint8", 256), ("int8", 127),
             ("int8", 128), ("int8", -128), ("int8", -129), ("int16", 40000), ("int32", 2 ** 31),
             ("int64", -(2 ** 63)), ("uint8", True), ("int32", 7)]
    for dt, v in cases:
        results = []
        for lib in (mytorch, torch):
            t = lib.zeros(3, dtype=getattr(lib, dt))
            try:
                t.fill_(v)
                results.append(t.tolist())
            except RuntimeError:
                results.append("RuntimeError")
        assert results[0] == results[1], (dt, v, results)


def test_a_leaf_gradient_is_laid_out_as_its_leaf_as_torch():
    """The first gradient is copied in the leaf's memory layout (PyTorch matches the parameter's strides): the
    weight of `x @ w.T` gets a transposed gradient, which stored as it arrives would be column-major."""
    rng = np.random.default_rng(0)
    x0, w0 = rng.standard_normal((5, 3)).astype(np.float32), rng.standard_normal((4, 3)).astype(np.float32)
    x, w = mytorch.tensor(x0), mytorch.tensor(w0, requires_grad=True)
    (x @ w.T).sum().backward()
    tw = torch.tensor(w0, requires_grad=True)
    (torch.tensor(x0) @ tw.T).sum().backward()
    assert tw.grad.is_contiguous()
    assert w.grad.array.flags["C_CONTIGUOUS"], w.grad.array.strides
    np.testing.assert_array_equal(w.grad.array, tw.grad.numpy())
    # a column-major leaf keeps a column-major gradient, as PyTorch keeps the leaf's strides
    wf = mytorch.tensor(np.asfortranarray(w0), requires_grad=True)
    (x @ wf.T).sum().backward()
    assert wf.grad.array.flags["F_CONTIGUOUS"]
    tf = torch.tensor(w0).t().contiguous().t().requires_grad_()
    (torch.tensor(x0) @ tf.T).sum().backward()
    assert tf.grad.stride() == tf.stride()
