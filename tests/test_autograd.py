"""Chapter 03: the engine's semantics, grad mode, in-place rules, dtypes, creation functions and repr, each compared
with PyTorch. A scenario is written once as `fn(lib)` and run with lib=mytorch and lib=torch: both must raise the
same kind of error (or both succeed), and for mytorch the message must say what went wrong."""
import warnings

import numpy as np
import pytest
import torch

import mytorch


def outcome(scenario, lib):
    "None when `scenario(lib)` runs, else (exception type name, message)."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")        # torch warns when .grad of a non-leaf is read
            scenario(lib)
    except Exception as e:                          # noqa: BLE001 - we compare what both libraries raise
        return type(e).__name__, str(e)
    return None


def same_outcome(scenario, expect_error=None, contains=""):
    "Both libraries behave alike; with `expect_error`, both raise that type and mytorch's message has `contains`."
    m, t = outcome(scenario, mytorch), outcome(scenario, torch)
    if expect_error is None:
        assert m is None and t is None, f"mytorch: {m}, torch: {t}"
    else:
        assert t is not None and t[0] == expect_error, f"torch did not raise {expect_error}: {t}"
        assert m is not None and m[0] == expect_error, f"mytorch did not raise {expect_error}: {m}"
        assert contains in m[1], f"mytorch's message lacks {contains!r}: {m[1]}"


# ----------------------------------------------------------------------------- backward() and its gradient
def test_implicit_gradient_only_for_one_element_outputs():
    same_outcome(lambda L: (L.tensor([1.0, 2.0], requires_grad=True) * 2.0).backward(),
                 "RuntimeError", "grad can be implicitly created only for scalar outputs")
    same_outcome(lambda L: (L.tensor([[3.0]], requires_grad=True) * 2.0).backward())     # one element: fine
    same_outcome(lambda L: (L.tensor([1.0, 2.0], requires_grad=True) * 2.0).sum().backward())


def test_backward_gradient_argument():
    def run(L):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        (x * x).backward(L.tensor([1.0, 0.0, 0.5]))
        return x.grad.tolist()
    assert run(mytorch) == run(torch) == [2.0, 0.0, 3.0]
    same_outcome(lambda L: (L.tensor([1.0, 2.0], requires_grad=True) * 2.0).backward(L.ones(3)), "RuntimeError", "shape")


def test_backward_without_grad_raises():
    same_outcome(lambda L: L.tensor([1.0]).backward(), "RuntimeError", "does not require grad")
    def under_no_grad(L):
        x = L.tensor([1.0], requires_grad=True)
        with L.no_grad(): y = x * 2.0
        y.backward()
    same_outcome(under_no_grad, "RuntimeError", "does not require grad")


def test_backward_on_a_leaf_accumulates_into_it():
    def run(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        x.backward(L.tensor([3.0, 4.0]))
        return x.grad.tolist()
    assert run(mytorch) == run(torch) == [3.0, 4.0]


# ----------------------------------------------------------------------------- accumulation, freeing, retain
def test_gradients_accumulate_across_calls():
    def run(L):
        w = L.tensor([1.0, 2.0], requires_grad=True)
        (w * 3.0).sum().backward()
        (w * w).sum().backward()
        first = w.grad.tolist()
        w.grad = None
        (w * 5.0).sum().backward()
        return first, w.grad.tolist()
    assert run(mytorch) == run(torch) == ([5.0, 7.0], [5.0, 5.0])


def test_second_backward_through_freed_graph_raises():
    def twice(op, retain):
        def scenario(L):
            x = L.tensor([1.0, 2.0], requires_grad=True)
            y = op(x).sum()
            y.backward(retain_graph=retain)
            y.backward()
        return scenario
    for op in [lambda x: x * x, lambda x: x * 2.0, lambda x: x.exp(), lambda x: x / 3.0, lambda x: x.sin(),
               lambda x: x.tanh(), lambda x: x ** 2]:
        same_outcome(twice(op, False), "RuntimeError", "backward through the graph a second time")
        same_outcome(twice(op, True))                      # retain_graph=True keeps the saved values
    for op in [lambda x: x + 1.0, lambda x: -x, lambda x: x - 2.0]:
        same_outcome(twice(op, False))                     # nodes that saved nothing can be traversed again


def test_retain_graph_then_second_backward_accumulates():
    def run(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward(retain_graph=True); y.backward()
        return x.grad.tolist()
    assert run(mytorch) == run(torch) == [4.0, 8.0]


def test_retain_grad_and_non_leaf_grad():
    def run(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        h = x * 3.0; h.retain_grad()
        g = x * 2.0
        (h * h + g).sum().backward()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return h.grad.tolist(), g.grad is None, h.is_leaf, x.is_leaf
    assert run(mytorch) == run(torch)
    same_outcome(lambda L: L.tensor([1.0]).retain_grad(), "RuntimeError", "requires_grad=False")


# ----------------------------------------------------------------------------- grad mode
def test_no_grad_context_and_decorator():
    for L in (mytorch, torch):
        w = L.tensor([1.0, 2.0], requires_grad=True)
        with L.no_grad():
            assert not L.is_grad_enabled()
            y = (w * w).exp().sum()
            with L.enable_grad():
                assert L.is_grad_enabled() and (w * 2.0).requires_grad
        assert L.is_grad_enabled()
        assert y.grad_fn is None and not y.requires_grad and y.is_leaf

        @L.no_grad()
        def f(v): return v * w, L.is_grad_enabled()
        out, mode = f(L.tensor([1.0, 1.0]))
        assert out.grad_fn is None and mode is False and L.is_grad_enabled()

        @L.enable_grad()
        def g(v): return v * 2.0
        with L.no_grad(): assert g(w).requires_grad


def test_set_grad_enabled_function_context_and_decorator():
    for L in (mytorch, torch):
        w = L.tensor([1.0], requires_grad=True)
        L.set_grad_enabled(False)
        try:
            assert not L.is_grad_enabled() and (w * 2.0).grad_fn is None
        finally:
            L.set_grad_enabled(True)
        assert L.is_grad_enabled()
        with L.set_grad_enabled(False):
            assert not L.is_grad_enabled()
        assert L.is_grad_enabled()
        with L.set_grad_enabled(True):
            assert (w * 2.0).requires_grad

        @L.set_grad_enabled(False)
        def f(): return L.is_grad_enabled()
        assert L.is_grad_enabled() and f() is False and L.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    for L in (mytorch, torch):
        with pytest.raises(ValueError):
            with L.no_grad(): raise ValueError
        assert L.is_grad_enabled()


def test_detach_and_requires_grad_flags():
    for L in (mytorch, torch):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        d = x.detach()
        assert not d.requires_grad and d.is_leaf and (d * 2.0).grad_fn is None
        assert L.tensor([1.0]).requires_grad_().requires_grad
    same_outcome(lambda L: L.tensor([1, 2], requires_grad=True), "RuntimeError", "floating point")
    same_outcome(lambda L: setattr(L.tensor([1.0], requires_grad=True) * 2.0, "requires_grad", False), "RuntimeError", "leaf")
    same_outcome(lambda L: L.tensor([1.0], requires_grad=True).numpy(), "RuntimeError", "detach")
    same_outcome(lambda L: L.tensor([1.0, 2.0]).item(), "RuntimeError", "2 elements")
    same_outcome(lambda L: bool(L.tensor([1.0, 2.0])), "RuntimeError", "ambiguous")


# ----------------------------------------------------------------------------- in-place operations
def test_inplace_on_leaf_requiring_grad():
    for op in [lambda x: x.add_(1.0), lambda x: x.mul_(2.0), lambda x: x.sub_(1.0), lambda x: x.div_(2.0),
               lambda x: x.zero_(), lambda x: x.fill_(3.0), lambda x: x.copy_(x.detach() * 2)]:
        same_outcome(lambda L: op(L.tensor([1.0, 2.0], requires_grad=True)), "RuntimeError",
                     "a leaf Variable that requires grad is being used in an in-place operation")

    def iadd(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        x += 1.0
    same_outcome(iadd, "RuntimeError", "leaf Variable")

    def optimizer_step(L):
        p = L.tensor([1.0, 2.0], requires_grad=True)
        (p * p).sum().backward()
        with L.no_grad():
            p -= 0.1 * p.grad
            p.add_(p.grad, alpha=-0.1)
        p.grad.zero_()
        return p.tolist(), p.is_leaf, p.requires_grad, p.grad.tolist()
    assert optimizer_step(mytorch) == optimizer_step(torch)


@pytest.mark.parametrize("saver", ["sin", "mul", "exp_output", "pow", "matmul", "div"])
def test_modifying_a_saved_tensor_then_backward_raises(saver):
    def scenario(L):
        x = L.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        h = x * 2.0
        out = {"sin": lambda: h.sin(), "mul": lambda: h * x, "exp_output": lambda: h.exp(), "pow": lambda: h ** 2,
               "matmul": lambda: h @ x, "div": lambda: x / h}[saver]()
        if saver == "exp_output": out.add_(1.0)          # exp saved its output
        else: h.mul_(3.0)
        out.sum().backward()
    same_outcome(scenario, "RuntimeError", "modified by an inplace operation")


def test_modifying_an_unsaved_tensor_is_fine_and_recorded():
    def run(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        h = x * 2.0
        z = h + 1.0                 # Add saves nothing
        h *= 3.0                    # recorded in the graph
        h.add_(x)
        (z.sum() + (h * h).sum()).backward()
        return x.grad.tolist(), h.tolist(), h.is_leaf
    assert run(mytorch) == run(torch)


def test_version_counter_is_shared_with_detach():
    def scenario(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        e = x.exp()
        e.detach().zero_()
        e.sum().backward()
    same_outcome(scenario, "RuntimeError", "modified by an inplace operation")


def test_inplace_into_plain_tensor_joins_graph():
    def run(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        buf = L.zeros(2)
        buf += x * x
        buf.mul_(x)
        buf.sum().backward()
        return x.grad.tolist(), buf.is_leaf, buf.requires_grad
    assert run(mytorch) == run(torch)


def test_inplace_values_and_errors():
    for L in (mytorch, torch):
        assert L.tensor([np.inf, 1.0]).zero_().tolist() == [0.0, 0.0]
        assert L.tensor([1.0, 2.0]).fill_(L.tensor(3.0)).tolist() == [3.0, 3.0]
        assert L.tensor([1, 2]).copy_(L.tensor([1.7, 2.2])).tolist() == [1, 2]
        assert L.zeros(2, 2).copy_(L.tensor([1.0, 2.0])).tolist() == [[1.0, 2.0], [1.0, 2.0]]
    same_outcome(lambda L: L.tensor([1.0, 2.0]).add_(L.ones(2, 2)), "RuntimeError", "shape")
    same_outcome(lambda L: L.tensor([1, 2]).add_(1.5), "RuntimeError", "can't be cast")
    same_outcome(lambda L: L.tensor([1.0, 2.0]).fill_(L.tensor([1.0, 2.0])), "RuntimeError", "0-dimension")


def test_fill_with_grad_value_and_copy_grad():
    def run(L):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        v = L.tensor(2.0, requires_grad=True)
        h = x * 1.0
        h.fill_(v)
        k = x * 1.0
        k.copy_(v * x)
        (h * x + k).sum().backward()
        return x.grad.tolist(), v.grad.tolist()
    assert run(mytorch) == run(torch)


# ----------------------------------------------------------------------------- dtypes
DTYPE_CASES = {
    "python_floats": lambda L: L.tensor([1.0, 2.0]),
    "python_ints": lambda L: L.tensor([1, 2]),
    "python_bools": lambda L: L.tensor([True, False]),
    "mixed_int_float": lambda L: L.tensor([1, 2.5]),
    "numpy_float64": lambda L: L.tensor(np.zeros(3)),
    "numpy_float32": lambda L: L.tensor(np.zeros(3, dtype=np.float32)),
    "numpy_int32": lambda L: L.tensor(np.zeros(3, dtype=np.int32)),
    "explicit_float64": lambda L: L.tensor([1.0], dtype=L.float64),
    "float64_times_python_float": lambda L: L.tensor([1.0], dtype=L.float64) * 2.5,
    "float32_times_python_float": lambda L: L.tensor([1.0]) * 2.5,
    "float32_plus_python_int": lambda L: L.tensor([1.0]) + 2,
    "int_times_python_float": lambda L: L.tensor([1, 2]) * 0.5,
    "int_plus_python_int": lambda L: L.tensor([1, 2]) + 3,
    "int_div_int": lambda L: L.tensor([1, 2]) / L.tensor([2, 2]),
    "int_div_python_int": lambda L: L.tensor([1, 2]) / 2,
    "int_plus_float32": lambda L: L.tensor([1, 2]) + L.tensor([0.5, 0.5]),
    "float32_plus_float64": lambda L: L.tensor([1.0]) + L.tensor([1.0], dtype=L.float64),
    "exp_of_int": lambda L: L.tensor([1, 2]).exp(),
    "sqrt_of_int": lambda L: L.tensor([1, 4]).sqrt(),
    "sum_of_int": lambda L: L.tensor([1, 2]).sum(),
    "sum_of_bool": lambda L: L.tensor([True, True]).sum(),
    "neg_of_int": lambda L: -L.tensor([1, 2]),
    "int_pow_int": lambda L: L.tensor([1, 2]) ** 2,
    "comparison": lambda L: L.tensor([1.0]) < 2.0,
    "double": lambda L: L.tensor([1.0]).double(),
    "float_of_int": lambda L: L.tensor([1]).float(),
    "to_float64": lambda L: L.tensor([1]).to(L.float64),
    "float16_plus_python_float": lambda L: L.tensor([1.0], dtype=L.float16) + 1.5,
    "matmul_float64": lambda L: L.ones(2, 2, dtype=L.float64) @ L.ones(2, dtype=L.float64),
    "default_dtype": lambda L: L.zeros(1) if L is torch else L.zeros(1, dtype=L.get_default_dtype()),
}


@pytest.mark.parametrize("case", sorted(DTYPE_CASES))
def test_dtype_rules_match_torch(case):
    m, t = DTYPE_CASES[case](mytorch), DTYPE_CASES[case](torch)
    assert str(m.dtype) == str(t.dtype).replace("torch.", ""), f"{case}: mytorch {m.dtype}, torch {t.dtype}"
    np.testing.assert_allclose(np.asarray(m.array, dtype=np.float64), t.numpy().astype(np.float64), rtol=1e-6)


def test_float32_leaf_gets_float32_grad_through_float64_math():
    for L in (mytorch, torch):
        w = L.tensor([1.0, 2.0], requires_grad=True)
        (w.double() * L.tensor([3.0, 4.0], dtype=L.float64)).sum().backward()
        assert str(w.grad.dtype).endswith("float32") and w.grad.tolist() == [3.0, 4.0]
        v = L.tensor([1.0, 2.0], requires_grad=True)
        (v.float() * 2.0).sum().backward()          # float() of a float32 tensor is the tensor itself
        assert v.grad.tolist() == [2.0, 2.0]


# ----------------------------------------------------------------------------- creation functions
CREATION = {
    "zeros_varargs": lambda L: L.zeros(2, 3),
    "zeros_tuple": lambda L: L.zeros((2, 3)),
    "zeros_0d": lambda L: L.zeros(()),
    "ones": lambda L: L.ones(3),
    "ones_float64": lambda L: L.ones(2, 2, dtype=L.float64),
    "ones_int": lambda L: L.ones(2, dtype=L.int64),
    "full_float": lambda L: L.full((2, 3), 1.5),
    "full_int": lambda L: L.full((2,), 7),
    "full_bool": lambda L: L.full((2,), True),
    "full_dtype": lambda L: L.full((2,), 7, dtype=L.float32),
    "arange_stop": lambda L: L.arange(5),
    "arange_start_stop_step": lambda L: L.arange(1, 7, 2),
    "arange_float_step": lambda L: L.arange(0, 1, 0.1),
    "arange_float_stop": lambda L: L.arange(5.0),
    "arange_negative_step": lambda L: L.arange(5, 0, -1),
    "arange_dtype": lambda L: L.arange(3, dtype=L.float64),
    "linspace": lambda L: L.linspace(0, 1, 7),
    "linspace_negative": lambda L: L.linspace(-2.5, 3, 4),
    "eye": lambda L: L.eye(3),
    "eye_rect": lambda L: L.eye(2, 4),
    "tensor_0d": lambda L: L.tensor(3.5),
    "tensor_nested": lambda L: L.tensor([[1.0, 2.0], [3.0, 4.0]]),
    "tensor_empty": lambda L: L.tensor([]),
    "zeros_like": lambda L: L.zeros_like(L.tensor([[1, 2]])),
    "ones_like_float64": lambda L: L.ones_like(L.tensor([1.0], dtype=L.float64)),
    "full_like": lambda L: L.full_like(L.tensor([1.0, 2.0]), 4.0),
    "zeros_like_dtype": lambda L: L.zeros_like(L.tensor([1, 2]), dtype=L.float32),
}


@pytest.mark.parametrize("case", sorted(CREATION))
def test_creation_matches_torch(case):
    m, t = CREATION[case](mytorch), CREATION[case](torch)
    assert tuple(m.shape) == tuple(t.shape)
    assert str(m.dtype) == str(t.dtype).replace("torch.", ""), f"{case}: mytorch {m.dtype}, torch {t.dtype}"
    np.testing.assert_allclose(np.asarray(m.array, dtype=np.float64), t.numpy().astype(np.float64), rtol=1e-6, atol=1e-7)
    assert not m.requires_grad and m.is_leaf


def test_random_creation_shapes_dtypes_and_seed():
    for name in ["rand", "randn"]:
        for L in (mytorch, torch):
            f = getattr(L, name)
            a, b, c = f(2, 3), f((4,), dtype=L.float64), f(2, requires_grad=True)
            assert tuple(a.shape) == (2, 3) and str(a.dtype).endswith("float32")
            assert tuple(b.shape) == (4,) and str(b.dtype).endswith("float64")
            assert c.requires_grad and c.is_leaf
            assert tuple(getattr(L, name + "_like")(a).shape) == (2, 3)
        mytorch.manual_seed(123); first = getattr(mytorch, name)(5).tolist()
        mytorch.manual_seed(123); assert getattr(mytorch, name)(5).tolist() == first
    u = mytorch.rand(10_000).array
    assert 0.0 <= u.min() and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.02
    n = mytorch.randn(10_000).array
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1.0) < 0.05
    assert mytorch.zeros(2, requires_grad=True).requires_grad


# ----------------------------------------------------------------------------- repr
REPR_CASES = [
    lambda L: L.tensor([1.0, 2.0, 3.0]),
    lambda L: L.tensor([1.5, 2.0]),
    lambda L: L.tensor([[1.0, 2.0], [3.0, 4.0]]),
    lambda L: L.tensor(3.0),
    lambda L: L.tensor(2.5),
    lambda L: L.tensor([1, 2, 3]),
    lambda L: L.tensor([True, False]),
    lambda L: L.tensor([0.1, 0.25]),
    lambda L: L.tensor([-1.5, 2.25]),
    lambda L: L.tensor([1e-5, 1.0]),
    lambda L: L.tensor([123456.0, 1.0]),
    lambda L: L.tensor([1e10, 1.0]),
    lambda L: L.tensor([0.0, 0.0]),
    lambda L: L.tensor([]),
    lambda L: L.zeros(0, 3),
    lambda L: L.tensor([], dtype=L.int64),
    lambda L: L.zeros(2, 0, dtype=L.bool),
    lambda L: L.Tensor([1, 2]),
    lambda L: L.tensor([1.0, 2.0], dtype=L.float64),
    lambda L: L.tensor([1.5, 2.0], dtype=L.float64, requires_grad=True),
    lambda L: L.tensor([1, 2], dtype=L.int32),
    lambda L: L.tensor([[1.0, 2.0]], requires_grad=True),
    lambda L: L.arange(30.0),
    lambda L: L.arange(30.0) / 7,
    lambda L: L.arange(2000.0),
    lambda L: L.tensor(np.random.default_rng(0).standard_normal((3, 4)), dtype=L.float32),
    lambda L: L.tensor(np.random.default_rng(0).uniform(-2, 2, (40, 50)).round(1) + 0.05, dtype=L.float32),
    lambda L: L.tensor([1.0, 2.0], requires_grad=True) * 2.0,
    lambda L: (L.tensor([1.0, 2.0], requires_grad=True) * 2.0).sum(),
    lambda L: L.tensor([1.0, 2.0], requires_grad=True).exp(),
    lambda L: L.tensor([1.0, 2.0], dtype=L.float64, requires_grad=True) - 1.0,
]


@pytest.mark.parametrize("k", range(len(REPR_CASES)))
def test_repr_matches_torch(k):
    m, t = repr(REPR_CASES[k](mytorch)), repr(REPR_CASES[k](torch))
    t = t.replace("torch.", "mytorch.")
    assert m == t
