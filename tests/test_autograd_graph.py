"""autograd.grad, create_graph, gradient hooks and forward_ad's API, each against PyTorch 2.13."""
import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfw

import mytorch
from mytorch.autograd import forward_ad as mfw

LIBS = [mytorch, torch]


def arr(t):
    if t is None: return None
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.array


def both(fn):
    "fn(lib) for mytorch and torch: (mine, theirs)."
    return fn(mytorch), fn(torch)


def assert_same(a, b, what=""):
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b), what
        for k, (x, y) in enumerate(zip(a, b)): assert_same(x, y, f"{what}[{k}]")
        return
    assert (a is None) == (b is None), f"{what}: None in one library only"
    if a is not None: np.testing.assert_allclose(arr(a), arr(b), rtol=1e-10, atol=1e-12, err_msg=what)


def errors_like_torch(fn):
    "fn(lib) raises the same exception type in both libraries; returns mytorch's message."
    caught = []
    for lib in LIBS:
        with pytest.raises(Exception) as e: fn(lib)
        caught.append(e)
    assert caught[0].type is caught[1].type, f"mytorch raised {caught[0].type.__name__}, torch {caught[1].type.__name__}: {caught[0].value}"
    return str(caught[0].value)


def x_of(lib, values=(0.5, -1.5, 2.0), grad=True):
    return lib.tensor(list(values), dtype=lib.float64, requires_grad=grad)


# ------------------------------------------------------------------ autograd.grad
def test_grad_of_several_outputs_and_inputs():
    def f(lib):
        x, w = x_of(lib), x_of(lib, (1.0, 2.0, 3.0))
        y1, y2 = (x * w).sum(), (x.sin() * w).sum()
        return lib.autograd.grad([y1, y2], [x, w])
    assert_same(*both(f))


def test_grad_with_grad_outputs_and_nonleaf_input():
    def f(lib):
        x = x_of(lib)
        h = x.exp()
        y = h * x
        return lib.autograd.grad(y, [h, x], grad_outputs=lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64))
    assert_same(*both(f))


def test_grad_does_not_touch_dot_grad():
    for lib in LIBS:
        x = x_of(lib)
        lib.autograd.grad((x * x).sum(), x)
        assert x.grad is None


def test_grad_unused_input_raises_unless_allowed():
    msg = errors_like_torch(lambda lib: lib.autograd.grad((x_of(lib) * 2).sum(), [x_of(lib)]))
    assert "allow_unused" in msg
    mine, theirs = both(lambda lib: lib.autograd.grad((x_of(lib) * 2).sum(), [x_of(lib)], allow_unused=True))
    assert mine == (None,) and theirs == (None,)
    mine, theirs = both(lambda lib: lib.autograd.grad((x_of(lib) * 2).sum(), [x_of(lib)], materialize_grads=True))
    assert_same(mine, theirs)


def test_grad_input_that_does_not_require_grad():
    errors_like_torch(lambda lib: lib.autograd.grad((x_of(lib) * 2).sum(), [x_of(lib, grad=False)]))


def test_grad_of_nonscalar_output_needs_grad_outputs():
    errors_like_torch(lambda lib: lib.autograd.grad(x_of(lib) * 2, x_of(lib)))


def test_second_grad_through_a_freed_graph_raises():
    def f(lib):
        x = x_of(lib)
        y = (x ** 3).sum()
        lib.autograd.grad(y, x)
        lib.autograd.grad(y, x)
    assert "second time" in errors_like_torch(f)


def test_differentiating_a_gradient_built_without_create_graph_raises():
    def f(lib):
        x = x_of(lib)
        g, = lib.autograd.grad((x ** 3).sum(), x)
        lib.autograd.grad(g.sum(), x)
    errors_like_torch(f)


# ------------------------------------------------------------------ create_graph
FUNCS = {
    "cube": lambda x: (x ** 3).sum(),
    "sin_times_cube": lambda x: (x.sin() * x ** 3).sum(),
    "x_times_x": lambda x: (x * x * x).sum(),
    "softmax_dot": lambda x: (x.softmax(dim=0) * x).sum(),
    "logsumexp_sq": lambda x: x.logsumexp(dim=0) * (x * x).sum(),
    "matmul_tanh": lambda x: ((x.reshape(3, 1) @ x.reshape(1, 3)).tanh()).sum(),
}


@pytest.mark.parametrize("name", FUNCS)
@pytest.mark.parametrize("order", [2, 3])
def test_higher_order_derivatives_match_torch(name, order):
    def f(lib):
        x = x_of(lib)
        y, out = FUNCS[name](x), []
        for k in range(order):
            y, = lib.autograd.grad(y.sum() if k else y, x, create_graph=k < order - 1)
            out.append(y)
        return out
    assert_same(*both(f), f"{name} order {order}")


def test_backward_create_graph_gives_a_differentiable_grad():
    def f(lib):
        x = x_of(lib)
        (x.sin() * x).sum().backward(create_graph=True)
        g = x.grad
        assert g.requires_grad and g.grad_fn is not None
        x.grad = None
        g.pow(2).sum().backward()
        return x.grad
    assert_same(*both(f))


def test_backward_inputs_only_accumulates_there():
    def f(lib):
        x, w = x_of(lib), x_of(lib, (1.0, 2.0, 3.0))
        (x * w).sum().backward(inputs=[w])
        return x.grad, w.grad
    assert_same(*both(f))


def test_custom_function_double_backward():
    def f(lib):
        class Cube(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3
            @staticmethod
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return 3 * x ** 2 * g
        x = x_of(lib)
        g, = lib.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
        return g, lib.autograd.grad(g.sum(), x)
    assert_same(*both(f))


def test_double_backward_of_an_op_without_jvp_is_a_clear_error():
    x = mytorch.tensor(np.random.default_rng(0).standard_normal((1, 1, 4, 4)), requires_grad=True)
    w = mytorch.tensor(np.random.default_rng(1).standard_normal((1, 1, 2, 2)), requires_grad=True)
    from mytorch.nn.functional import conv2d
    from mytorch.autograd.function import Function
    out = conv2d(x, w)
    if getattr(type(out.grad_fn), "jvp", None) is not None: pytest.skip("conv2d has a jvp now")
    g, = mytorch.autograd.grad(out.sum(), x, create_graph=True)
    with pytest.raises(NotImplementedError, match="jvp"): mytorch.autograd.grad(g.sum(), w)


# ------------------------------------------------------------------ hooks
def test_leaf_and_nonleaf_hooks_change_the_gradient():
    def f(lib):
        x = x_of(lib)
        h = x * 2
        seen = []
        h.register_hook(lambda g: seen.append(arr(g).copy()) or g * 10)
        x.register_hook(lambda g: g + 1)
        (h.sin()).sum().backward()
        return x.grad, seen[0]
    (gm, sm), (gt, st) = both(f)
    assert_same(gm, gt)
    np.testing.assert_allclose(sm, st)


def test_hooks_run_in_order_and_can_be_removed():
    def f(lib):
        x = x_of(lib)
        h1 = x.register_hook(lambda g: g * 2)
        x.register_hook(lambda g: g + 1)
        (x * 1.0).sum().backward()
        first = arr(x.grad).copy()
        h1.remove(); h1.remove()       # removing twice is fine
        x.grad = None
        (x * 1.0).sum().backward()
        return first, arr(x.grad)
    (a, b), (c, d) = both(f)
    np.testing.assert_allclose(a, c); np.testing.assert_allclose(b, d)


def test_hook_sees_the_total_gradient_of_a_leaf_used_twice():
    def f(lib):
        x = x_of(lib)
        seen = []
        x.register_hook(lambda g: seen.append(arr(g).copy()))
        (x * 2 + x * 3).sum().backward()
        return seen
    mine, theirs = both(f)
    assert len(mine) == len(theirs) == 1
    np.testing.assert_allclose(mine[0], theirs[0])


def test_hooks_run_for_autograd_grad_too():
    def f(lib):
        x = x_of(lib)
        x.register_hook(lambda g: g * 0 + 7)
        return lib.autograd.grad((x * x).sum(), x)
    assert_same(*both(f))


def test_retain_grad_keeps_the_hooked_gradient():
    def f(lib):
        x = x_of(lib)
        h = x * 2
        h.retain_grad()
        h.register_hook(lambda g: g * 3)
        h.sum().backward()
        return h.grad, x.grad
    assert_same(*both(f))


def test_register_hook_on_a_tensor_without_grad_raises():
    errors_like_torch(lambda lib: x_of(lib, grad=False).register_hook(lambda g: g))


def test_hook_returning_a_wrong_shape_raises():
    errors_like_torch(lambda lib: (lambda x: (x.register_hook(lambda g: g[:1]), (x * 2).sum().backward()))(x_of(lib)))


def test_handle_as_context_manager():
    x = x_of(mytorch)
    with x.register_hook(lambda g: g * 100):
        (x * 1.0).sum().backward()
    inside = x.grad.array.copy()
    x.grad = None
    (x * 1.0).sum().backward()
    np.testing.assert_allclose(inside, 100 * x.grad.array)


# ------------------------------------------------------------------ forward_ad
def test_forward_ad_api_and_errors_match_torch():
    for lib, F in ((mytorch, mfw), (torch, tfw)):
        x = x_of(lib)
        assert F.unpack_dual(x).tangent is None                 # outside a level: (primal, None)
        assert F.unpack_dual(x).primal is x
        with pytest.raises(RuntimeError): F.make_dual(x, x)     # outside a level
        with F.dual_level():
            with pytest.raises(ValueError): F.make_dual(x, lib.tensor([1, 2, 3]))
            with pytest.raises(RuntimeError): F.make_dual(x, lib.ones(4, dtype=lib.float64))
            with pytest.raises(RuntimeError):
                with F.dual_level(): pass
            d = F.make_dual(x.float() if lib is mytorch else x.float(), lib.ones(3, dtype=lib.float64))
            assert F.unpack_dual(d).tangent.dtype == (lib.float64)   # another float dtype is kept
            y = F.make_dual(x, lib.ones(3, dtype=lib.float64)) * 2
            p, t = F.unpack_dual(y)
            assert type(F.unpack_dual(y)).__name__ == "UnpackedDualTensor"
            np.testing.assert_allclose(arr(t), [2.0, 2.0, 2.0])
        assert F.unpack_dual(y).tangent is None                 # dropped when the level closes


def test_forward_mode_tangents_carry_reverse_mode_history_like_torch():
    def f(lib, F):
        x = x_of(lib)
        with F.dual_level():
            t = F.unpack_dual((F.make_dual(x, lib.ones(3, dtype=lib.float64)) ** 3).sum()).tangent
            assert t.requires_grad
            return lib.autograd.grad(t, x)
    assert_same(f(mytorch, mfw), f(torch, tfw))


def test_create_graph_inside_a_dual_level_is_a_clear_error():
    x = x_of(mytorch)
    with mfw.dual_level():
        y = (mfw.make_dual(x, mytorch.ones(3, dtype=mytorch.float64)) ** 3).sum()
        with pytest.raises(NotImplementedError, match="forward-over-reverse"):
            mytorch.autograd.grad(y, x, create_graph=True)


def test_custom_function_without_jvp_in_forward_mode_raises():
    class Twice(mytorch.autograd.Function):
        @staticmethod
        def forward(ctx, x): return x * 2
        @staticmethod
        def backward(ctx, g): return g * 2
    with mfw.dual_level():
        d = mfw.make_dual(x_of(mytorch), mytorch.ones(3, dtype=mytorch.float64))
        with pytest.raises(NotImplementedError): Twice.apply(d)


def test_custom_function_with_jvp_in_forward_mode():
    class Twice(mytorch.autograd.Function):
        @staticmethod
        def forward(ctx, x): return x * 2
        @staticmethod
        def backward(ctx, g): return g * 2
        @staticmethod
        def jvp(ctx, t): return t * 2
    with mfw.dual_level():
        d = mfw.make_dual(x_of(mytorch), mytorch.tensor([1.0, 2.0, 3.0], dtype=mytorch.float64))
        np.testing.assert_allclose(mfw.unpack_dual(Twice.apply(d)).tangent.array, [2.0, 4.0, 6.0])


def test_roots_may_be_leaves_and_repeat():
    "A leaf can be a root of the sweep, and a root listed twice gets the sum of its gradients (as torch)."
    def f(lib):
        x = x_of(lib)
        y = x * 3
        g = lib.ones(3, dtype=lib.float64)
        return lib.autograd.grad([x, y, x], [x], [g, g, 2 * g])
    assert_same(*both(f))

    def f(lib):
        x = x_of(lib)
        lib.autograd.backward([x, (x * x).sum()], [lib.ones(3, dtype=lib.float64), None])
        return x.grad
    assert_same(*both(f))
