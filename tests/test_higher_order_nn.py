"""Forward mode and double backward of the fused Function classes of chapters 05b, 05c, 09b and 11, through the
nn.functional calls that reach them (gelu, linear, embedding, pad, nll_loss/cross_entropy, binary_cross_entropy,
layer_norm, batch_norm, group_norm, scaled_dot_product_attention).

Each case is checked the four ways tests/test_higher_order_ops.py checks the op catalog:
* its JVP (mytorch.autograd.forward_ad) equals PyTorch's forward-mode tangent;
* its JVP agrees with its own VJP: <w, J u> == <J^T w, u>;
* its double backward (create_graph=True) equals PyTorch's, for the gradients with respect to the inputs and to w;
* the double backward agrees with central differences of the first-order gradient (gradgradcheck, one direction).
A case PyTorch cannot serve as the oracle for (dropout: another random stream; embedding's padding_idx and
scale_grad_by_freq, where PyTorch's forward mode or double backward is not the transpose of its own backward)
compares its JVP with central differences of the forward instead, or skips the torch comparison, as it says."""
import zlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfw

import mytorch
import mytorch.nn.functional  # noqa: F401  (lib.nn.functional below)
from mytorch.autograd import forward_ad as mfw
from test_op_catalog import make_inputs, outputs


@dataclass
class Case:
    name: str
    fn: Callable                  # fn(lib, *tensors) -> tensor; constants (targets, indices, masks) built inside
    shapes: list                  # one shape per differentiable input
    domain: list = None           # per input: "real" (N(0,1)) or "prob" (uniform in [0.05, 0.95]); default real
    dtype: str = "float64"
    torch_jvp: str = "torch"      # "torch": against PyTorch; "fd": against central differences; or a skip reason
    torch_dd: str = "torch"       # "torch", or a skip reason
    tol: dict = field(default_factory=lambda: dict(rtol=1e-7, atol=1e-9))


def F(lib): return lib.nn.functional


I64 = lambda lib, a: lib.tensor(np.asarray(a, dtype=np.int64))
TARGET = [2, 0, 3, 3, 1]
IGNORED = [2, -100, 3, 1, -100]
IDX = [[1, 3, 3], [0, 5, 1]]
BOOL_MASK = np.random.default_rng(0).random((4, 6)) > 0.3
BOOL_MASK[2] = False                                   # a fully hidden row: weights 0, output 0
RM, RV = np.array([0.3, -0.2, 0.1]), np.array([1.5, 0.7, 2.0])
F32 = dict(rtol=1e-5, atol=1e-6)


def _bn(training, affine=True):
    def fn(lib, x, *wb):
        rm, rv = lib.tensor(RM.copy()), lib.tensor(RV.copy())
        return F(lib).batch_norm(x, rm, rv, *wb, training=training, momentum=0.2, eps=1e-3)
    return fn


def _sdpa(bool_mask=False, seed=None, **kw):
    def fn(lib, q, k, v, *float_mask):
        if seed is not None: lib.manual_seed(seed)          # the same dropout draw at every call
        mask = float_mask[0] if float_mask else lib.tensor(BOOL_MASK) if bool_mask else None
        return F(lib).scaled_dot_product_attention(q, k, v, attn_mask=mask, **kw)
    return fn


QKV = [(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 3)]
SKIP_PAD = ("PyTorch's forward mode lets the padding row's tangent through, unlike its backward and its double "
            "backward; mytorch's jvp is the transpose of the backward (see notebook 05b)")
SKIP_FREQ = "scale_grad_by_freq rescales the gradient only: PyTorch's forward mode and double backward ignore it"

CASES = [
    Case("gelu", lambda lib, x: F(lib).gelu(x), [(3, 5)]),
    Case("gelu_tanh", lambda lib, x: F(lib).gelu(x, approximate="tanh"), [(3, 5)]),
    Case("gelu_f32", lambda lib, x: F(lib).gelu(x), [(3, 5)], dtype="float32", tol=F32),
    Case("gelu_tanh_f32", lambda lib, x: F(lib).gelu(x, approximate="tanh"), [(3, 5)], dtype="float32", tol=F32),
    Case("linear_bias", lambda lib, x, w, b: F(lib).linear(x, w, b), [(4, 3), (5, 3), (5,)]),
    Case("linear_bias_3d", lambda lib, x, w, b: F(lib).linear(x, w, b), [(2, 4, 3), (5, 3), (5,)]),
    Case("linear_no_bias", lambda lib, x, w: F(lib).linear(x, w), [(4, 3), (5, 3)]),
    Case("embedding", lambda lib, w: F(lib).embedding(I64(lib, IDX), w), [(6, 3)]),
    Case("embedding_padding_idx", lambda lib, w: F(lib).embedding(I64(lib, IDX), w, padding_idx=3), [(6, 3)],
         torch_jvp=SKIP_PAD),
    Case("embedding_scale_grad_by_freq", lambda lib, w: F(lib).embedding(I64(lib, IDX), w, scale_grad_by_freq=True),
         [(6, 3)], torch_jvp=SKIP_FREQ, torch_dd=SKIP_FREQ),
    Case("pad", lambda lib, x: F(lib).pad(x, (1, 2, -1, 1), value=0.5), [(2, 3, 4)]),
    Case("nll_loss_mean", lambda lib, x: F(lib).nll_loss(x, I64(lib, TARGET)), [(5, 4)]),
    Case("nll_loss_sum", lambda lib, x: F(lib).nll_loss(x, I64(lib, TARGET), reduction="sum"), [(5, 4)]),
    Case("nll_loss_none", lambda lib, x: F(lib).nll_loss(x, I64(lib, TARGET), reduction="none"), [(5, 4)]),
    Case("nll_loss_weight_ignore", lambda lib, x: F(lib).nll_loss(
        x, I64(lib, IGNORED), weight=lib.tensor(np.array([0.5, 2.0, 1.0, 3.0]))), [(5, 4)]),
    Case("nll_loss_1d", lambda lib, x: F(lib).nll_loss(x, I64(lib, 2)), [(4,)]),
    Case("cross_entropy", lambda lib, x: F(lib).cross_entropy(x, I64(lib, TARGET)), [(5, 4)]),
    Case("cross_entropy_weight_ignore", lambda lib, x: F(lib).cross_entropy(
        x, I64(lib, IGNORED), weight=lib.tensor(np.array([0.5, 2.0, 1.0, 3.0])), reduction="sum"), [(5, 4)]),
    Case("binary_cross_entropy", lambda lib, x, t: F(lib).binary_cross_entropy(x, t), [(3, 4), (3, 4)],
         domain=["prob", "prob"]),
    Case("binary_cross_entropy_none_weight", lambda lib, x, t: F(lib).binary_cross_entropy(
        x, t, weight=lib.tensor(np.linspace(0.5, 2, 4)), reduction="none"), [(3, 4), (3, 4)], domain=["prob", "prob"]),
    Case("layer_norm", lambda lib, x, w, b: F(lib).layer_norm(x, (4,), w, b), [(3, 2, 4), (4,), (4,)]),
    Case("layer_norm_2d_no_affine", lambda lib, x: F(lib).layer_norm(x, (2, 4)), [(3, 2, 4)]),
    Case("batch_norm_train", _bn(True), [(4, 3, 2), (3,), (3,)]),
    Case("batch_norm_train_2d_no_affine", _bn(True), [(5, 3)]),
    Case("batch_norm_eval", _bn(False), [(4, 3, 2), (3,), (3,)]),
    Case("group_norm", lambda lib, x, w, b: F(lib).group_norm(x, 3, w, b), [(2, 6, 3), (6,), (6,)]),
    Case("group_norm_no_affine", lambda lib, x: F(lib).group_norm(x, 2, eps=1e-3), [(3, 4, 2)]),
    Case("sdpa", _sdpa(), QKV),
    Case("sdpa_bool_mask", _sdpa(bool_mask=True), QKV),
    Case("sdpa_float_mask", _sdpa(), QKV + [(4, 6)]),
    Case("sdpa_causal_scale", _sdpa(is_causal=True, scale=0.7), QKV),
    Case("sdpa_gqa", _sdpa(enable_gqa=True), [(1, 4, 3, 5), (1, 2, 6, 5), (1, 2, 6, 3)]),
    Case("sdpa_dropout", _sdpa(dropout_p=0.3, seed=5), [(2, 4, 5), (2, 6, 5), (2, 6, 3)],
         torch_jvp="fd", torch_dd="dropout draws from mytorch's generator: PyTorch's mask differs"),
]
IDS = [c.name for c in CASES]


def _arrays(case):
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    doms = case.domain or ["real"] * len(case.shapes)
    return [rng.uniform(0.05, 0.95, s) if d == "prob" else rng.standard_normal(s) for s, d in zip(case.shapes, doms)]


def _flags(case): return [True] * len(case.shapes)


def _np(t):
    return t.array if isinstance(t, mytorch.Tensor) else t.detach().numpy()


def _jvp(lib, case, arrays, tangents):
    "(primal, tangent) of the case's output, by the library's forward mode."
    fw, k = (mfw, 0) if lib is mytorch else (tfw, 1)
    xs = make_inputs(arrays, [False] * len(arrays), case.dtype)[k]
    with fw.dual_level():
        duals = [fw.make_dual(x, lib.tensor(u.astype(case.dtype))) for x, u in zip(xs, tangents)]
        out = outputs(case.fn(lib, *duals))[0]
        primal, tangent = fw.unpack_dual(out)
        return _np(primal).copy(), None if tangent is None else _np(tangent).copy()


def _value(case, arrays):
    xs, _ = make_inputs(arrays, [False] * len(arrays), case.dtype)
    return outputs(case.fn(mytorch, *xs))[0].array.astype(np.float64)


def _tangents(case, arrays):
    rng = np.random.default_rng(7 + len(case.name))
    return [rng.standard_normal(a.shape) for a in arrays]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jvp_matches_torch(case):
    if case.torch_jvp not in ("torch", "fd"): pytest.skip(case.torch_jvp)
    arrays = _arrays(case)
    tangents = _tangents(case, arrays)
    mp, mt = _jvp(mytorch, case, arrays, tangents)
    assert mt is not None, f"{case.name}: no tangent"
    if case.torch_jvp == "fd":               # against central differences of the forward
        eps = 1e-6
        plus = _value(case, [a + eps * u for a, u in zip(arrays, tangents)])
        minus = _value(case, [a - eps * u for a, u in zip(arrays, tangents)])
        np.testing.assert_allclose(mt, (plus - minus) / (2 * eps), rtol=1e-5, atol=1e-6, err_msg=case.name)
        return
    tp, tt = _jvp(torch, case, arrays, tangents)
    np.testing.assert_allclose(mp, tp, **case.tol, err_msg=f"{case.name}: primal")
    assert mt.shape == tt.shape, f"{case.name}: tangent shape {mt.shape} vs torch {tt.shape}"
    assert mt.dtype == tt.dtype, f"{case.name}: tangent dtype {mt.dtype} vs torch {tt.dtype}"
    np.testing.assert_allclose(mt, tt, **case.tol, err_msg=f"{case.name}: tangent")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jvp_agrees_with_vjp(case):
    "<w, J u> from forward mode equals <J^T w, u> from reverse mode."
    arrays = _arrays(case)
    tangents = _tangents(case, arrays)
    primal, tan = _jvp(mytorch, case, arrays, tangents)
    w = np.random.default_rng(3).standard_normal(primal.shape)
    mt, _ = make_inputs(arrays, _flags(case), case.dtype)
    out = outputs(case.fn(mytorch, *mt))[0]
    out.backward(mytorch.tensor(w.astype(case.dtype)))
    lhs = float(np.sum(w * tan))
    rhs = sum(float(np.sum(m.grad.array.astype(np.float64) * u)) for m, u in zip(mt, tangents) if m.grad is not None)
    tol = dict(rtol=1e-7, atol=1e-9) if case.dtype == "float64" else dict(rtol=1e-5, atol=1e-5)
    assert np.isclose(lhs, rhs, **tol), f"{case.name}: <w, Ju> = {lhs} but <J^T w, u> = {rhs}"


def _second_order(lib, case, arrays, w, v):
    "Gradients of s = sum_k <v_k, d<w, f(x)>/dx_k> with respect to the inputs and to w."
    mt, tt = make_inputs(arrays, _flags(case), case.dtype)
    xs = mt if lib is mytorch else tt
    wt = lib.tensor(w.astype(case.dtype), requires_grad=True)
    grad = mytorch.autograd.grad if lib is mytorch else torch.autograd.grad
    out = outputs(case.fn(lib, *xs))[0]
    gs = grad(out, xs, grad_outputs=wt, create_graph=True, allow_unused=True)
    terms = [(g * lib.tensor(vk.astype(case.dtype))).sum() for g, vk in zip(gs, v) if g is not None]
    s = terms[0]
    for t in terms[1:]: s = s + t
    seconds = grad(s, list(xs) + [wt], allow_unused=True)
    return [np.zeros(tuple(x.shape)) if g is None else _np(g).astype(np.float64)
            for g, x in zip(seconds, list(xs) + [wt])]


def _first_order_dot(case, arrays, w, v):
    "s(x) = sum_k <v_k, d<w, f(x)>/dx_k>, by first-order backward only."
    xs, _ = make_inputs(arrays, _flags(case), case.dtype)
    outputs(case.fn(mytorch, *xs))[0].backward(mytorch.tensor(w.astype(case.dtype)))
    return sum(float(np.sum(x.grad.array.astype(np.float64) * vk)) for x, vk in zip(xs, v) if x.grad is not None)


def _w_v(case, arrays):
    out = _value(case, arrays)
    rng = np.random.default_rng(11 + len(case.name))
    return rng.standard_normal(out.shape), [rng.standard_normal(a.shape) for a in arrays]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_double_backward_matches_torch(case):
    if case.torch_dd != "torch": pytest.skip(case.torch_dd)
    arrays = _arrays(case)
    w, v = _w_v(case, arrays)
    mine = _second_order(mytorch, case, arrays, w, v)
    theirs = _second_order(torch, case, arrays, w, v)
    for k, (m, t) in enumerate(zip(mine, theirs)):
        np.testing.assert_allclose(m, t, **case.tol, err_msg=f"{case.name}: second-order gradient {k} (last: w)")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradgradcheck(case):
    "The double backward against central differences of the first-order gradient, along one direction."
    arrays = _arrays(case)
    w, v = _w_v(case, arrays)
    second = _second_order(mytorch, case, arrays, w, v)
    u = [np.random.default_rng(5).standard_normal(a.shape) for a in arrays]
    if case.dtype == "float32":           # rounding: a wider step, a looser tolerance
        eps, tol = 1e-2, dict(rtol=2e-3, atol=2e-3)
    else:
        eps, tol = 1e-6, dict(rtol=1e-5, atol=1e-6)
    numeric = (_first_order_dot(case, [a + eps * d for a, d in zip(arrays, u)], w, v)
               - _first_order_dot(case, [a - eps * d for a, d in zip(arrays, u)], w, v)) / (2 * eps)
    analytic = sum(float(np.sum(s * d)) for s, d in zip(second, u))
    assert np.isclose(analytic, numeric, **tol), \
        f"{case.name}: double backward gives {analytic}, finite differences {numeric}"
