"""Tensor semantics, part 3: `.data` and `detach()` (chapter 03 `mytorch/autograd.py`: `Tensor.data`, `Tensor.detach`,
the version counters), and custom autograd Functions written exactly as in PyTorch's tutorials
(`_as_tensor_function`, `_apply_on_tensors`). Each scenario is written once as `fn(lib)` and run on mytorch and on
torch 2.13; values, versions, gradients and errors must agree."""
import math

import numpy as np
import pytest
import torch

import mytorch
from test_semantics_views import same_as_torch, version


# ----------------------------------------------------------------------------- .data
def test_data_shares_storage_without_grad():
    def scenario(L):
        p = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        d = p.data
        d[0] = 10.0
        d.mul_(2)
        return {"p": p, "d": d, "d.requires_grad": d.requires_grad, "d.grad_fn": d.grad_fn is None,
                "d.is_leaf": d.is_leaf, "p.version": version(p), "d.version": version(d),
                "p.requires_grad": p.requires_grad}
    same_as_torch(scenario)


def test_data_of_a_nonleaf():
    def scenario(L):
        x = L.tensor([1.0, -2.0], requires_grad=True)
        h = x * 3.0
        d = h.data
        d.add_(1)                                  # invisible to autograd
        h.sum().backward()
        return {"h": h, "d.requires_grad": d.requires_grad, "x.grad": x.grad, "h.version": version(h),
                "d.is_leaf": d.is_leaf}
    same_as_torch(scenario)


def test_write_through_data_is_invisible_to_autograd():
    "A saved tensor changed through .data: no error at backward (the gradient uses the new values), as torch."
    def scenario(L):
        p = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = p * p                                  # saves p
        p.data.mul_(10)
        y.sum().backward()
        return {"p.grad": p.grad, "y": y, "p.version": version(p)}
    same_as_torch(scenario)


def test_write_through_detach_is_seen_by_autograd():
    def scenario(L):
        p = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = p * p
        p.detach().mul_(10)
        y.sum().backward()
    same_as_torch(scenario, "RuntimeError", "modified by an inplace operation")


def test_detach_shares_version_counter_and_storage():
    def scenario(L):
        p = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        d = p.detach()
        d.add_(1)
        d[2] = 0.0
        return {"p": p, "versions": (version(p), version(d)), "d.requires_grad": d.requires_grad,
                "d.is_leaf": d.is_leaf}
    same_as_torch(scenario)


def test_sgd_step_through_data():
    "The classic pre-no_grad update: p.data -= lr * p.grad, then w.grad.data.zero_()."
    def scenario(L):
        p = L.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
        x = L.tensor([1.0, 2.0])
        history = []
        for _ in range(3):
            loss = ((p @ x) ** 2).sum()
            loss.backward()
            p.data -= 0.01 * p.grad
            history.append(p.detach().clone())
            p.grad.data.zero_()
        return {"p": p, "history": tuple(history), "p.grad": p.grad, "p.version": version(p),
                "leaf": p.is_leaf, "requires_grad": p.requires_grad}
    same_as_torch(scenario)


def test_grad_data_zero():
    def scenario(L):
        w = L.tensor([1.0, 2.0], requires_grad=True)
        (w * w).sum().backward()
        g = w.grad
        w.grad.data.zero_()
        return {"w.grad": w.grad, "same object": g is w.grad}
    same_as_torch(scenario)


def test_data_assignment_replaces_storage():
    "p.data = other: p now uses other's storage (the shape and dtype may change), still a leaf that requires grad."
    def scenario(L):
        p = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        other = L.tensor([[5.0, 6.0], [7.0, 8.0]], dtype=L.float64)
        p.data = other
        other[0, 0] = -1.0                         # p sees it: same storage
        (p * p).sum().backward()
        return {"p": p, "shape": tuple(p.shape), "dtype": str(p.dtype).split(".")[-1], "leaf": p.is_leaf,
                "requires_grad": p.requires_grad, "p.grad": p.grad}
    same_as_torch(scenario)


def test_data_assignment_of_a_non_tensor_raises():
    same_as_torch(lambda L: setattr(L.tensor([1.0], requires_grad=True), "data", [1.0]), "TypeError")
    same_as_torch(lambda L: setattr(L.tensor([1.0]), "data", np.zeros(1)), "TypeError")


def test_data_assignment_of_integers_to_a_tensor_requiring_grad_raises():
    same_as_torch(lambda L: setattr(L.tensor([1.0], requires_grad=True), "data", L.tensor([1, 2])), "RuntimeError")


def test_data_assignment_of_integers_without_grad():
    def scenario(L):
        p = L.tensor([1.0, 2.0])
        p.data = L.tensor([1, 2, 3])
        return {"p": p, "dtype": str(p.dtype).split(".")[-1]}
    same_as_torch(scenario)


# ----------------------------------------------------------------------------- custom Functions, as in the tutorials
def make(lib):
    "The tutorials' Functions, written once for either library."
    Function = lib.autograd.Function

    class MyReLU(Function):
        """PyTorch tutorial "Defining new autograd functions"."""
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    class Exp(Function):
        "torch.autograd.Function's docstring example."
        @staticmethod
        def forward(ctx, i):
            result = i.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            result, = ctx.saved_tensors
            return grad_output * result

    class MulAdd(Function):
        "Two tensor inputs and a number; gradients only where ctx.needs_input_grad asks, None for the number."
        seen = []

        @staticmethod
        def forward(ctx, a, b, scale):
            ctx.save_for_backward(a, b)
            ctx.scale = scale
            MulAdd.seen.append(tuple(ctx.needs_input_grad))
            return a * b * scale + a

        @staticmethod
        def backward(ctx, grad_output):
            a, b = ctx.saved_tensors
            grad_a = grad_b = None
            if ctx.needs_input_grad[0]:
                grad_a = grad_output * b * ctx.scale + grad_output
            if ctx.needs_input_grad[1]:
                grad_b = grad_output * a * ctx.scale
            return grad_a, grad_b, None

    class Masked(Function):
        "Returns None for its second tensor input, even though that input requires grad."
        @staticmethod
        def forward(ctx, x, mask):
            ctx.save_for_backward(mask)
            return x * mask

        @staticmethod
        def backward(ctx, grad_output):
            mask, = ctx.saved_tensors
            return grad_output * mask, None

    class LegendrePolynomial3(Function):
        """PyTorch tutorial "Learning PyTorch with examples": P3(x) = (5x^3 - 3x) / 2."""
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    return dict(MyReLU=MyReLU, Exp=Exp, MulAdd=MulAdd, Masked=Masked, P3=LegendrePolynomial3)


X = np.array([[-1.5, 0.5, 2.0], [0.25, -0.75, 1.0]])
W = np.array([[0.5, -1.0], [2.0, 0.3], [-0.7, 1.1]])


def test_tutorial_myrelu():
    def scenario(L):
        F = make(L)
        x = L.tensor(X, requires_grad=True)
        w = L.tensor(W, requires_grad=True)
        hidden = F["MyReLU"].apply(x @ w)
        y = (hidden * L.tensor([[1.0, -2.0]])).sum()
        y.backward()
        return {"hidden": hidden, "x.grad": x.grad, "w.grad": w.grad, "requires_grad": hidden.requires_grad,
                "leaf": hidden.is_leaf}
    same_as_torch(scenario)


def test_tutorial_exp():
    def scenario(L):
        x = L.tensor(X, requires_grad=True)
        y = make(L)["Exp"].apply(x)
        (y * 2.0).sum().backward()
        return {"y": y, "x.grad": x.grad}
    same_as_torch(scenario)


def test_custom_function_output_modified_in_place_raises_on_backward():
    "Exp saves its output: modifying the returned tensor in place must invalidate it, as torch."
    def scenario(L):
        x = L.tensor(X, requires_grad=True)
        y = make(L)["Exp"].apply(x)
        y.add_(1)
        y.sum().backward()
    same_as_torch(scenario, "RuntimeError", "modified by an inplace operation")


def test_custom_function_input_modified_in_place_raises_on_backward():
    def scenario(L):
        x = L.tensor(X, requires_grad=True)
        h = x * 1.0
        y = make(L)["MyReLU"].apply(h)
        h.mul_(2)
        y.sum().backward()
    same_as_torch(scenario, "RuntimeError", "modified by an inplace operation")


def test_custom_function_output_version_starts_at_zero():
    def scenario(L):
        x = L.tensor(X, requires_grad=True)
        y = make(L)["Exp"].apply(x)
        return version(y)
    same_as_torch(scenario)


@pytest.mark.parametrize("grads", [(True, True), (True, False), (False, True)])
def test_needs_input_grad_and_none_for_a_number(grads):
    def scenario(L):
        F = make(L)
        a = L.tensor(X, requires_grad=grads[0])
        b = L.tensor(X[::-1].copy(), requires_grad=grads[1])
        out = F["MulAdd"].apply(a, b, 3.0)
        out.sum().backward()
        return {"out": out, "a.grad": a.grad, "b.grad": b.grad, "needs_input_grad": tuple(F["MulAdd"].seen)}
    same_as_torch(scenario)


def test_needs_input_grad_without_grad_mode():
    def scenario(L):
        F = make(L)
        a = L.tensor(X, requires_grad=True)
        with L.no_grad():
            out = F["MulAdd"].apply(a, a, 2.0)
        return {"out": out, "requires_grad": out.requires_grad, "grad_fn": out.grad_fn is None}
    same_as_torch(scenario)


def test_backward_returning_none_for_a_tensor_input():
    def scenario(L):
        x = L.tensor(X, requires_grad=True)
        mask = L.tensor((X > 0) * 1.0, requires_grad=True)
        y = make(L)["Masked"].apply(x, mask)
        (y * 3.0).sum().backward()
        return {"y": y, "x.grad": x.grad, "mask.grad": mask.grad}
    same_as_torch(scenario)


def test_custom_function_retain_graph_accumulates():
    def scenario(L):
        x = L.tensor(X, requires_grad=True)
        y = make(L)["P3"].apply(x).sum()
        y.backward(retain_graph=True)
        first = x.grad.clone()
        y.backward()
        return {"first": first, "x.grad": x.grad}
    same_as_torch(scenario)


def test_custom_function_node_name():
    """torch names the node of a custom Function `<ClassName>Backward` (no 0). (mytorch's node is an instance of the
    Function class itself, so only name() and the repr carry PyTorch's name: a documented difference.)"""
    def scenario(L):
        x = L.tensor(X, requires_grad=True)
        F = make(L)
        nodes = [F[k].apply(x).grad_fn for k in ("MyReLU", "Exp", "P3")]
        return tuple(n.name() if L is mytorch else type(n).__name__ for n in nodes)
    same_as_torch(scenario)


def test_tutorial_legendre_training_loop():
    """The tutorial's loop: y = a + b P3(c + d x) fitted to sin(x) with manual updates under no_grad."""
    def scenario(L):
        P3 = make(L)["P3"].apply
        x = L.linspace(-math.pi, math.pi, 200, dtype=L.float64)
        y = x.sin()
        a, b, c, d = (L.full((), v, dtype=L.float64, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3))
        lr, losses = 5e-6, []
        for _ in range(20):
            y_pred = a + b * P3(c + d * x)
            loss = ((y_pred - y) ** 2).sum()
            losses.append(loss.item())
            loss.backward()
            with L.no_grad():
                a -= lr * a.grad
                b -= lr * b.grad
                c -= lr * c.grad
                d -= lr * d.grad
                a.grad = None
                b.grad = None
                c.grad = None
                d.grad = None
        return {"params": (a, b, c, d), "losses": L.tensor(losses, dtype=L.float64)}
    same_as_torch(scenario)
