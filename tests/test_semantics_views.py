"""Tensor semantics, part 2: views and in-place operations (chapter 03 `mytorch/autograd.py`: `apply_inplace`,
`_mark_view`, `_refresh_view`, `CopySlices`, `_write_through_view`; chapter 04 `mytorch/ops.py`: the view ops GetItem,
Reshape, Permute, Transpose, Expand). Every scenario is written once as `fn(lib)` and run on mytorch and on torch 2.13:
values, version counters, gradients and errors must agree."""
import warnings

import numpy as np
import pytest
import torch

import mytorch
from conftest import as_numpy, attempt


# ----------------------------------------------------------------------------- comparing the two libraries
def version(t):
    "The value of a tensor's version counter (torch: an int; mytorch: a shared counter object)."
    v = t._version
    return v if isinstance(v, int) else v.value


def snapshot(x):
    "Something comparable: arrays for tensors (copied), ints/None/bools as they are, recursively in tuples/dicts."
    if isinstance(x, (torch.Tensor, mytorch.Tensor)):
        return ("tensor", np.array(as_numpy(x), copy=True))
    if isinstance(x, (list, tuple)):
        return tuple(snapshot(e) for e in x)
    if isinstance(x, dict):
        return {k: snapshot(v) for k, v in x.items()}
    return x


def assert_same(m, t, where="result"):
    "mytorch's snapshot `m` equals torch's `t` (arrays: same shape and dtype name, values close, NaNs alike)."
    if isinstance(t, tuple) and t and t[0] == "tensor":
        assert isinstance(m, tuple) and m and m[0] == "tensor", f"{where}: torch gives a tensor, mytorch {m!r}"
        a, b = m[1], t[1]
        assert a.shape == b.shape, f"{where}: shape {a.shape} != torch's {b.shape}"
        assert str(a.dtype) == str(b.dtype), f"{where}: dtype {a.dtype} != torch's {b.dtype}"
        np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), rtol=1e-6, atol=1e-9,
                                   equal_nan=True, err_msg=where)
    elif isinstance(t, tuple):
        assert isinstance(m, tuple) and len(m) == len(t), f"{where}: {m!r} vs torch's {t!r}"
        for i, (a, b) in enumerate(zip(m, t)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(t, dict):
        assert set(m) == set(t), f"{where}: keys {sorted(m)} vs torch's {sorted(t)}"
        for k in t:
            assert_same(m[k], t[k], f"{where}[{k!r}]")
    else:
        assert m == t, f"{where}: mytorch {m!r}, torch {t!r}"


def outcome(scenario, lib):
    "('ok', snapshot of what the scenario returns) or ('error', exception type name, message)."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")       # torch warns when .grad of a non-leaf is read
            return ("ok", snapshot(scenario(lib)))
    except Exception as e:                         # noqa: BLE001 - we compare what both libraries raise
        return ("error", type(e).__name__, str(e))


def same_as_torch(scenario, error=None, contains=""):
    """Run `scenario(lib)` on both libraries. Without `error` both must succeed and return the same things; with
    `error` both must raise that exception type, and mytorch's message must contain `contains`."""
    t, m = outcome(scenario, torch), outcome(scenario, mytorch)
    if error is None:
        assert t[0] == "ok", f"torch raised: {t}"
        assert m[0] == "ok", f"mytorch raised {m[1]}: {m[2]} (torch gives {t[1]})"
        assert_same(m[1], t[1])
    else:
        assert t[:2] == ("error", error), f"torch did not raise {error}: {t}"
        assert m[:2] == ("error", error), f"mytorch did not raise {error}: {m}"
        assert contains.lower() in m[2].lower(), f"mytorch's message lacks {contains!r}: {m[2]}"


def same_outcome(scenario):
    "Whatever torch does: both succeed with the same results, or both raise the same exception type."
    t, m = outcome(scenario, torch), outcome(scenario, mytorch)
    if t[0] == "ok":
        assert m[0] == "ok", f"mytorch raised {m[1]}: {m[2]} (torch gives {t[1]})"
        assert_same(m[1], t[1])
    else:
        assert m[:2] == t[:2], f"torch raises {t[1]}: {t[2]}\nmytorch: {m}"


def grid(L, requires_grad=False):
    "x = [[0, 1, 2], [3, 4, 5]] (float64, a leaf)."
    return L.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], dtype=L.float64, requires_grad=requires_grad)


WEIGHTS = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]])


# ----------------------------------------------------------------------------- in-place through views, no grad
def write_0_1(x): x[0][1] = 5.0
def mul_row(x): x[0].mul_(10)
def zero_column(x): x[:, 2].zero_()
def flat_write(x): x.view(-1)[1] = -1
def rows_iadd(x):
    for row in x:
        row += 1
def rows_by_index(x):
    for i in range(len(x)):
        x[i] += i + 1
def transpose_write(x): x.T[0] = 1
def unsqueeze_write(x): x.unsqueeze(0)[0, 1] = 2
def reshape_view_add(x): x.reshape(3, 2)[1].add_(7)
def narrow_fill(x): x.narrow(1, 1, 2).fill_(9)
def select_sub(x): x.select(1, 0).sub_(3)
def permute_div(x): x.permute(1, 0)[2].div_(4)
def transpose_copy(x): x.transpose(0, 1)[1:].copy_(x.detach()[:, :2] * 0 + 1)
def ellipsis_none(x): x[None, ..., 1][0, 0] += 100
def step_slice(x): x[:, ::2] *= -1
def view_of_view(x): x.view(3, 2)[1:].view(-1)[0] = 42


INPLACE = [write_0_1, mul_row, zero_column, flat_write, rows_iadd, rows_by_index, transpose_write,
           unsqueeze_write, reshape_view_add, narrow_fill, select_sub, permute_div, transpose_copy, ellipsis_none,
           step_slice, view_of_view]


@pytest.mark.parametrize("write", INPLACE, ids=lambda f: f.__name__)
def test_inplace_through_view_without_grad(write):
    "The base sees the write, and the base's version counter moves as torch's."
    def scenario(L):
        x = grid(L)
        v0 = version(x)
        write(x)
        return {"x": x, "version": version(x) - v0}
    same_as_torch(scenario)


@pytest.mark.parametrize("write", INPLACE, ids=lambda f: f.__name__)
def test_inplace_through_view_of_nonleaf_then_backward(write):
    """h = x * 1 is written through a view; every leaf gets torch's gradient and h torch's values and version.
    (torch refuses `for row in h: row += 1` here: iteration gives unbind's views, which may not be modified in place
    while a graph is recorded.)"""
    def scenario(L):
        x = grid(L, requires_grad=True)
        h = x * 1.0
        v0 = version(h)
        write(h)
        loss = (h * L.tensor(WEIGHTS)).sum()
        loss.backward()
        return {"h": h, "version": version(h) - v0, "x.grad": x.grad, "leaf": h.is_leaf,
                "grad_fn": h.grad_fn is not None}
    same_outcome(scenario)


def test_views_share_version_counter():
    def scenario(L):
        x = grid(L)
        v, w = x[0], x.T
        x.add_(1)
        out = [version(x), version(v), version(w)]
        v.mul_(2)
        out += [version(x), version(v), version(w)]
        c = x.clone()
        return out + [version(c), v._base is x, w._base is x, x._base is None]
    same_as_torch(scenario)


def test_value_written_through_view_gets_gradient():
    "x[0] = w with w a leaf: w.grad is the gradient of the overwritten row; x's gradient there is 0."
    def scenario(L):
        x = grid(L, requires_grad=True)
        w = L.tensor([7.0, 8.0, 9.0], dtype=L.float64, requires_grad=True)
        h = x * 2.0
        h.T[1].mul_(w[0])                          # column 1 scaled by w[0]
        h[0] = w                                   # row 0 replaced by w
        (h * L.tensor(WEIGHTS)).sum().backward()
        return {"h": h, "x.grad": x.grad, "w.grad": w.grad}
    same_as_torch(scenario)


def test_inplace_on_view_then_use_view_and_base():
    "After the write, both the view and the base are used in the loss (the view's node is regenerated)."
    def scenario(L):
        x = grid(L, requires_grad=True)
        h = x * 2.0
        v = h[:, 1:]
        v.mul_(3)
        loss = (v * v).sum() + (h * L.tensor(WEIGHTS)).sum()
        loss.backward()
        return {"h": h, "v": v, "x.grad": x.grad}
    same_as_torch(scenario)


def test_two_views_written_one_after_the_other():
    def scenario(L):
        x = grid(L, requires_grad=True)
        h = x * x
        a, b = h[0], h[:, 0]
        a.add_(1)
        b.mul_(5)                                  # overlaps a at h[0, 0]
        (h.sum() + a.sum() * 2 + b.sum() * 3).backward()
        return {"h": h, "a": a, "b": b, "x.grad": x.grad, "versions": (version(h), version(a), version(b))}
    same_as_torch(scenario)


def test_inplace_on_base_then_view_used():
    "A stale view: taken before the base is changed in place, used after: torch regenerates its gradient."
    def scenario(L):
        x = grid(L, requires_grad=True)
        h = x * 1.0
        v = h[0]
        u = h.T[1:]
        h.mul_(2)
        h.add_(x)                                  # x enters h's history a second time
        loss = (v * L.tensor([1.0, 2.0, 3.0], dtype=L.float64)).sum() + (u * u).sum()
        loss.backward()
        return {"v": v, "u": u, "x.grad": x.grad}
    same_as_torch(scenario)


def test_stale_view_of_view():
    def scenario(L):
        x = grid(L, requires_grad=True)
        h = x.sin()
        v = h.view(3, 2)[1:].T
        h[1].sub_(x[0] * 3)
        (v.exp() * 2).sum().backward()
        return {"v": v, "x.grad": x.grad}
    same_as_torch(scenario)


def test_view_of_leaf_requiring_grad_cannot_be_written():
    for write in INPLACE:
        same_as_torch(lambda L: write(grid(L, requires_grad=True)), "RuntimeError", "leaf")


def test_leaf_requiring_grad_cannot_be_written():
    same_as_torch(lambda L: grid(L, requires_grad=True).mul_(2), "RuntimeError", "leaf Variable")
    same_as_torch(lambda L: grid(L, requires_grad=True).__setitem__(0, 1.0), "RuntimeError", "leaf Variable")


@pytest.mark.parametrize("write", INPLACE, ids=lambda f: f.__name__)
def test_view_of_leaf_can_be_written_under_no_grad(write):
    def scenario(L):
        x = grid(L, requires_grad=True)
        with L.no_grad():
            write(x)
        (x * x).sum().backward()                   # x is still a leaf, and usable
        return {"x": x, "leaf": x.is_leaf, "requires_grad": x.requires_grad, "x.grad": x.grad,
                "version": version(x)}
    same_as_torch(scenario)


def test_saved_view_modified_through_base_raises_on_backward():
    def scenario(L):
        x = grid(L, requires_grad=True)
        h = x * 1.0
        v = h[0]
        y = v * v                                  # saves v
        h.add_(1)
        y.sum().backward()
    same_as_torch(scenario, "RuntimeError", "modified by an inplace operation")


def test_saved_base_modified_through_view_raises_on_backward():
    def scenario(L):
        x = grid(L, requires_grad=True)
        h = x * 1.0
        y = h * h                                  # saves h
        h[0].mul_(2)
        y.sum().backward()
    same_as_torch(scenario, "RuntimeError", "modified by an inplace operation")


def test_saved_view_modified_through_other_view_raises_on_backward():
    def scenario(L):
        x = grid(L, requires_grad=True)
        h = x * 1.0
        y = h.T.sin()                              # saves h.T
        h.view(-1)[2] = 0.0
        y.sum().backward()
    same_as_torch(scenario, "RuntimeError", "modified by an inplace operation")


def test_saved_output_modified_through_view_raises_on_backward():
    "exp saves its output: writing into that output through a view invalidates it."
    def scenario(L):
        x = grid(L, requires_grad=True)
        h = x.exp()
        h[:, 1:].mul_(3)
        h.sum().backward()
    same_as_torch(scenario, "RuntimeError", "modified by an inplace operation")


def test_unrelated_inplace_does_not_break_backward():
    "Modifying a tensor that is not saved (exp saves its output, not its input) is fine in both."
    def scenario(L):
        x = grid(L, requires_grad=True)
        h = x * 1.0
        y = h[1].exp()
        h[0].zero_()
        y.sum().backward()
        return {"x.grad": x.grad, "y": y, "h": h}
    same_as_torch(scenario)


# ----------------------------------------------------------------------------- expanded tensors
def expanded(L):
    return L.tensor([[1.0, 2.0, 3.0]]).expand(2, 3)


def test_expanded_tensor_overlapping_writes_raise():
    "Writes where several elements share memory raise RuntimeError in both (torch: 'single memory location')."
    for write in (lambda y: y.add_(1), lambda y: y.mul_(2), lambda y: y.__setitem__((slice(None), 0), 1.0),
                  lambda y: y.__iadd__(1), lambda y: y.copy_(y.detach() + 1)):
        same_as_torch(lambda L: write(expanded(L)), "RuntimeError", "memory location")


@pytest.mark.parametrize("name", ["setitem_one_element", "zero_", "fill_", "row_mul_"])
def test_expanded_tensor_writes_torch_allows(name):
    """torch 2.13 checks internal overlap only in some in-place kernels: writing one element, zero_, fill_ and an
    in-place op on a non-overlapping row of an expanded tensor work and write into the base."""
    write = {"setitem_one_element": lambda y: y.__setitem__((0, 0), 7.0), "zero_": lambda y: y.zero_(),
             "fill_": lambda y: y.fill_(2.0), "row_mul_": lambda y: y[0].mul_(2)}[name]

    def scenario(L):
        base = L.tensor([[1.0, 2.0, 3.0]])
        y = base.expand(2, 3)
        write(y)
        return {"base": base, "y": y, "version": version(base)}
    same_as_torch(scenario)
