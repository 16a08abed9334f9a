"""Forward mode through in-place ops (notebook 03f, "In-place ops in forward mode"), against torch.forward_ad.

Each scenario `fn(lib, fw)` runs unchanged with (mytorch, its forward_ad) and (torch, torch.autograd.forward_ad)
inside a dual level and returns a list of tensors; every primal and tangent must match PyTorch's (a missing
tangent on both sides counts as equal). The in-place op must hand the result's tangent to the tensor written
(`y.mul_(2)` gives 2t), and a write through a view must reach the tensors that share the storage."""
import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfw

import mytorch
from mytorch.autograd import forward_ad as mfw


def T(lib, a, requires_grad=False):
    return lib.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def dual(lib, fw, a, t):
    return fw.make_dual(T(lib, a), T(lib, t))


M23, R23 = np.ones((2, 3)), np.arange(6.0).reshape(2, 3)


def _view_then_base_write(lib, fw):
    y = dual(lib, fw, M23, R23); v = y[0]
    y.mul_(2)
    return [y, v * 1]


def _write_through_view(lib, fw):
    y = dual(lib, fw, M23, R23); v = y[0]; w = y[:, 1]
    v.mul_(3)
    return [y, v, w * 1]


def _view_of_plain_base_gets_tangent(lib, fw):
    b = T(lib, np.zeros((2, 3))); w = b[1]; u = b[:, 0]
    w.copy_(dual(lib, fw, np.ones(3), np.full(3, 7.0)))
    return [b, w, u * 1]


def _primal_written_dual_keeps_its_own(lib, fw):
    x = T(lib, np.zeros(3)); y = fw.make_dual(x, T(lib, np.ones(3)))
    x.copy_(dual(lib, fw, np.ones(3), np.full(3, 5.0)))
    return [x, y, y * 1]


def _op_result_written_through_view(lib, fw):
    z = dual(lib, fw, M23, R23) * 1; v = z[1]; c = z[:, 2]
    v.add_(dual(lib, fw, np.ones(3), np.full(3, 10.0)))
    return [z, v, c * 1]


def _two_make_duals_of_one_primal(lib, fw):
    x = T(lib, np.zeros(3)); y = fw.make_dual(x, T(lib, np.ones(3))); z = fw.make_dual(x, T(lib, np.full(3, 2.0)))
    y.mul_(3)
    return [y, z]


def _setitem_on_view(lib, fw):
    y = dual(lib, fw, M23, R23); v = y[1]
    v[0] = dual(lib, fw, 4.0, -1.0)
    return [y, v, y.sum()]


def _setitem_then_transposed_view(lib, fw):
    y = dual(lib, fw, M23, R23) * 1; v = y.T
    y[0, 1] = 5.0
    return [y, v * 1]


def _recorded_mul_(lib, fw):
    x = T(lib, [1.0, 2.0, 3.0], requires_grad=True)
    y = fw.make_dual(x * 1, T(lib, [0.5, 1.0, 2.0]))
    y.mul_(fw.make_dual(T(lib, [2.0, 3.0, 4.0]), T(lib, [1.0, 0.0, -1.0])))
    return [y]


def _recorded_setitem_nonleaf(lib, fw):
    x = T(lib, M23, requires_grad=True)
    h = fw.make_dual(x * 2, T(lib, R23))
    h[0] = dual(lib, fw, [1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    return [h]


def _recorded_write_through_view(lib, fw):
    x = T(lib, M23, requires_grad=True)
    h = fw.make_dual(x * 2, T(lib, R23)); v = h[:, 1]
    v.mul_(3)
    return [h, v]


SCENARIOS = {
    "mul_": lambda m, fw: (lambda y: [y.mul_(2), y])(dual(m, fw, [1.0, 2, 3], [0.5, 1, 2])),
    "mul_dual_other": lambda m, fw: [dual(m, fw, [1.0, 2, 3], [0.5, 1, 2]).mul_(dual(m, fw, [2.0, 2, 2], [1.0, 0, 1]))],
    "add_alpha": lambda m, fw: [dual(m, fw, [1.0, 2, 3], [0.5, 1, 2]).add_(dual(m, fw, [1.0, 1, 1], [3.0, 3, 3]), alpha=2)],
    "div_": lambda m, fw: [dual(m, fw, [1.0, 2, 3], [0.5, 1, 2]).div_(dual(m, fw, [2.0, 4, 8], [1.0, 1, 1]))],
    "iadd_operator": lambda m, fw: (lambda y: (y.__iadd__(dual(m, fw, [1.0, 1, 1], [3.0, 2, 1])), [y])[1])(dual(m, fw, [1.0, 2, 3], [0.5, 1, 2])),
    "plain_self_dual_other": lambda m, fw: [T(m, [1.0, 2, 3]).mul_(dual(m, fw, [2.0, 2, 2], [1.0, 0, 1]))],
    "zero_": lambda m, fw: [dual(m, fw, [1.0, 2, 3], [0.5, 1, 2]).zero_()],
    "fill_": lambda m, fw: [dual(m, fw, [1.0, 2, 3], [0.5, 1, 2]).fill_(4.0)],
    "fill_dual_value": lambda m, fw: [T(m, [1.0, 2, 3]).fill_(dual(m, fw, 2.0, 3.0))],
    "copy_": lambda m, fw: [T(m, [0.0, 0, 0]).copy_(dual(m, fw, [1.0, 2, 3], [0.5, 1, 2]))],
    "copy_broadcast": lambda m, fw: [T(m, M23).copy_(dual(m, fw, [1.0, 2, 3], [0.5, 1, 2]))],
    "setitem_dual_value": lambda m, fw: (lambda y: (y.__setitem__(slice(0, 2), dual(m, fw, [7.0], [9.0])), [y])[1])(dual(m, fw, [1.0, 2, 3], [0.5, 1, 2])),
    "setitem_number": lambda m, fw: (lambda y: (y.__setitem__(1, 5.0), [y])[1])(dual(m, fw, [1.0, 2, 3], [0.5, 1, 2])),
    "setitem_index_tensor": lambda m, fw: (lambda y: (y.__setitem__(m.tensor([0, 2]), dual(m, fw, [7.0, 8.0], [1.0, -1.0])), [y])[1])(dual(m, fw, [1.0, 2, 3], [0.5, 1, 2])),
    "masked_fill_": lambda m, fw: [dual(m, fw, [1.0, 2, 3], [0.5, 1, 2]).masked_fill_(m.tensor([True, False, True]), 0.0)],
    "then_out_of_place": lambda m, fw: (lambda y: [y.mul_(2).exp().sum()])(dual(m, fw, [0.1, 0.2, 0.3], [0.5, 1, 2])),
    "view_then_base_write": _view_then_base_write,
    "write_through_view": _write_through_view,
    "view_of_plain_base_gets_tangent": _view_of_plain_base_gets_tangent,
    "primal_written_dual_keeps_its_own": _primal_written_dual_keeps_its_own,
    "op_result_written_through_view": _op_result_written_through_view,
    "two_make_duals_of_one_primal": _two_make_duals_of_one_primal,
    "setitem_on_view": _setitem_on_view,
    "setitem_then_transposed_view": _setitem_then_transposed_view,
    "recorded_mul_": _recorded_mul_,
    "recorded_setitem_nonleaf": _recorded_setitem_nonleaf,
    "recorded_write_through_view": _recorded_write_through_view,
}


def _run(lib, fw, scenario):
    def arr(t): return t.detach().numpy().copy() if lib is torch else t.array.copy()
    with fw.dual_level():
        out = []
        for o in scenario(lib, fw):
            tangent = fw.unpack_dual(o).tangent
            out.append((arr(o), None if tangent is None else arr(tangent)))
        return out


@pytest.mark.parametrize("name", SCENARIOS)
def test_inplace_tangent_matches_torch(name):
    mine, theirs = _run(mytorch, mfw, SCENARIOS[name]), _run(torch, tfw, SCENARIOS[name])
    assert len(mine) == len(theirs)
    for k, ((mp, mt), (tp, tt)) in enumerate(zip(mine, theirs)):
        np.testing.assert_allclose(mp, tp, err_msg=f"{name}: primal {k}")
        assert (mt is None) == (tt is None), f"{name}: output {k}: tangent {mt} but torch's is {tt}"
        if tt is not None: np.testing.assert_allclose(mt, tt, err_msg=f"{name}: tangent {k}")


def test_mul_gives_twice_the_tangent():
    with mfw.dual_level():
        t = mytorch.tensor([0.5, 1.0, 2.0], dtype=mytorch.float64)
        y = mfw.make_dual(mytorch.tensor([1.0, 2.0, 3.0], dtype=mytorch.float64), t)
        assert y.mul_(2) is y
        np.testing.assert_array_equal(mfw.unpack_dual(y).tangent.array, 2 * t.array)
        np.testing.assert_array_equal(t.array, [0.5, 1.0, 2.0])      # the user's tangent is not changed


def test_tangents_are_dropped_with_the_level():
    with mfw.dual_level():
        y = mfw.make_dual(mytorch.tensor([1.0, 2.0]), mytorch.tensor([1.0, 1.0]))
    with mfw.dual_level():
        y.mul_(2)                       # a tangent of a closed level is not carried into the new one
        assert mfw.unpack_dual(y).tangent is None


def test_stale_view_read_directly():
    def scenario(lib, fw):
        y = dual(lib, fw, M23, R23); v = y[0]
        y.mul_(2)
        return [v]
    (mp, mt), = _run(mytorch, mfw, scenario)
    (tp, tt), = _run(torch, tfw, scenario)
    np.testing.assert_allclose(mt, tt)
