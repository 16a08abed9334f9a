"""Forward mode and double backward on the whole op catalog (chapters 03 and 04), in float64.

For every differentiable entry of op_catalog.OPS:
* its JVP (forward mode, `mytorch.autograd.forward_ad`) equals PyTorch's forward-mode tangent;
* its JVP agrees with its own VJP: <w, J u> == <J^T w, u> for random u, w;
* its double backward (`create_graph=True`) equals PyTorch's, for the gradient with respect to
  the inputs and to the output gradient w;
* and it agrees with finite differences of the first-order gradient (gradgradcheck, one random
  direction at a time)."""
import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfw

import mytorch
from mytorch.autograd import forward_ad as mfw
from op_catalog import OPS
from test_op_catalog import arrays_for, grad_flags, make_inputs, outputs

SPECS = [s for s in OPS if s.grad]
IDS = [s.name for s in SPECS]
TOL = dict(rtol=1e-7, atol=1e-9)


def _rng(spec, salt):
    return np.random.default_rng(abs(hash((spec.name, salt))) % 2**32)


def _floats(outs):
    return [k for k, o in enumerate(outs) if o.dtype.kind == "f" if hasattr(o.dtype, "kind")]


def _is_float(t):
    return t.is_floating_point() if isinstance(t, torch.Tensor) else t.dtype.kind == "f"


def _tangents(spec, arrays, flags):
    rng = np.random.default_rng(7 + len(spec.name))
    return [rng.standard_normal(a.shape) if f else None for a, f in zip(arrays, flags)]


def _mytorch_jvp(spec, arrays, flags, tangents):
    mt, _ = make_inputs(arrays, flags, "float64")
    with mfw.dual_level():
        duals = [mfw.make_dual(m, mytorch.tensor(t)) if t is not None else m for m, t in zip(mt, tangents)]
        outs = outputs(spec.fn(mytorch, *duals))
        return [(o.array.copy(), None if (t := mfw.unpack_dual(o).tangent) is None else t.array.copy())
                for o in outs]


def _torch_jvp(spec, arrays, flags, tangents):
    _, tt = make_inputs(arrays, flags, "float64")
    with tfw.dual_level():
        duals = [tfw.make_dual(t, torch.tensor(u)) if u is not None else t for t, u in zip(tt, tangents)]
        outs = outputs(spec.fn(torch, *duals))
        return [(o.detach().numpy().copy(), None if (t := tfw.unpack_dual(o).tangent) is None else t.detach().numpy().copy())
                for o in outs]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_jvp_matches_torch(spec):
    arrays, flags = arrays_for(spec), grad_flags(spec)
    tangents = _tangents(spec, arrays, flags)
    mine = _mytorch_jvp(spec, arrays, flags, tangents)
    try: theirs = _torch_jvp(spec, arrays, flags, tangents)
    except (NotImplementedError, RuntimeError) as e:
        pytest.skip(f"PyTorch's forward mode does not support it: {e}")
    assert len(mine) == len(theirs)
    for k, ((mp, mtan), (tp, ttan)) in enumerate(zip(mine, theirs)):
        np.testing.assert_allclose(mp, tp, **TOL, err_msg=f"{spec.name}: primal {k}")
        if ttan is None or not np.issubdtype(tp.dtype, np.floating):
            assert mtan is None or not np.any(mtan), f"{spec.name}: output {k} has a tangent, torch's has none"
            continue
        assert mtan is not None, f"{spec.name}: output {k} has no tangent, torch's is {ttan}"
        assert mtan.shape == ttan.shape, f"{spec.name}: tangent {k} shape {mtan.shape} vs torch {ttan.shape}"
        np.testing.assert_allclose(mtan, ttan, **TOL, err_msg=f"{spec.name}: tangent of output {k}")


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_jvp_agrees_with_vjp(spec):
    "<w, J u> from forward mode equals <J^T w, u> from reverse mode."
    arrays, flags = arrays_for(spec), grad_flags(spec)
    tangents = _tangents(spec, arrays, flags)
    (primal, tan), *_ = _mytorch_jvp(spec, arrays, flags, tangents)
    w = np.random.default_rng(3).standard_normal(primal.shape)
    mt, _ = make_inputs(arrays, flags, "float64")
    out = outputs(spec.fn(mytorch, *mt))[0]
    out.backward(mytorch.tensor(w))
    lhs = 0.0 if tan is None else float(np.sum(w * tan))
    rhs = sum(float(np.sum(m.grad.array * u)) for m, u in zip(mt, tangents) if u is not None and m.grad is not None)
    assert np.isclose(lhs, rhs, rtol=1e-7, atol=1e-9), f"{spec.name}: <w, Ju> = {lhs} but <J^T w, u> = {rhs}"


def _second_order(lib, spec, arrays, flags, w, v):
    "Gradients of s = sum_k <v_k, d<w, f(x)>/dx_k> with respect to the inputs and to w."
    if lib is mytorch:
        xs, _ = make_inputs(arrays, flags, "float64")
        wt = mytorch.tensor(w, requires_grad=True)
        grad = mytorch.autograd.grad
    else:
        _, xs = make_inputs(arrays, flags, "float64")
        wt = torch.tensor(w, requires_grad=True)
        grad = torch.autograd.grad
    out = outputs(spec.fn(lib, *xs))[0]
    wanted = [x for x, f in zip(xs, flags) if f]
    gs = grad(out, wanted, grad_outputs=wt, create_graph=True, allow_unused=True)
    terms = [(g * lib.tensor(vk)).sum() for g, vk in zip(gs, v) if g is not None]
    s = terms[0]
    for t in terms[1:]: s = s + t
    if not s.requires_grad: return [np.zeros(x.shape) for x in wanted] + [np.zeros(w.shape)]
    seconds = grad(s, wanted + [wt], allow_unused=True)
    return [np.zeros(tuple(x.shape)) if g is None else (g.array if lib is mytorch else g.detach().numpy(force=True))
            for g, x in zip(seconds, wanted + [wt])]


def _first_order_dot(spec, arrays, flags, w, v):
    "s(x) = sum_k <v_k, d<w, f(x)>/dx_k>, by first-order backward only."
    xs, _ = make_inputs(arrays, flags, "float64")
    out = outputs(spec.fn(mytorch, *xs))[0]
    out.backward(mytorch.tensor(w))
    wanted = [x for x, f in zip(xs, flags) if f]
    return sum(float(np.sum(x.grad.array * vk)) for x, vk in zip(wanted, v) if x.grad is not None)


def _inputs_for(spec):
    arrays, flags = arrays_for(spec), grad_flags(spec)
    mt, _ = make_inputs(arrays, flags, "float64")
    out = outputs(spec.fn(mytorch, *mt))[0]
    rng = np.random.default_rng(11 + len(spec.name))
    w = rng.standard_normal(tuple(out.shape))
    v = [rng.standard_normal(a.shape) for a, f in zip(arrays, flags) if f]
    return arrays, flags, w, v


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_double_backward_matches_torch(spec):
    arrays, flags, w, v = _inputs_for(spec)
    mine = _second_order(mytorch, spec, arrays, flags, w, v)
    try: theirs = _second_order(torch, spec, arrays, flags, w, v)
    except (NotImplementedError, RuntimeError) as e:
        pytest.skip(f"PyTorch's double backward does not support it: {e}")
    for k, (m, t) in enumerate(zip(mine, theirs)):
        np.testing.assert_allclose(m, t, **TOL, err_msg=f"{spec.name}: second-order gradient {k} (last: w)")


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_gradgradcheck(spec):
    "The double backward against central differences of the first-order gradient, along one direction."
    arrays, flags, w, v = _inputs_for(spec)
    second = _second_order(mytorch, spec, arrays, flags, w, v)
    rng = np.random.default_rng(5)
    u = [rng.standard_normal(a.shape) if f else None for a, f in zip(arrays, flags)]
    eps = 1e-6
    plus = [a + eps * d if d is not None else a for a, d in zip(arrays, u)]
    minus = [a - eps * d if d is not None else a for a, d in zip(arrays, u)]
    numeric = (_first_order_dot(spec, plus, flags, w, v) - _first_order_dot(spec, minus, flags, w, v)) / (2 * eps)
    analytic = sum(float(np.sum(s * d)) for s, d in zip(second, [d for d in u if d is not None]))
    assert np.isclose(analytic, numeric, rtol=1e-5, atol=1e-6), \
        f"{spec.name}: double backward gives {analytic}, finite differences {numeric}"
