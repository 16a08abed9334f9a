"""Tests for nbs/05d_layers.ipynb (mytorch/nn/layers.py), against PyTorch 2.13 as the oracle.

* every layer and loss module against torch's with the same weights copied in: forward (values and dtype), input
  gradient and parameter gradients, in float32 and float64; gradcheck in float64;
* the default initialisation: Linear's bounds are exactly +-1/sqrt(fan_in) and its weight, bias and Embedding's
  weight follow torch's distributions (two-sample Kolmogorov-Smirnov against torch's draws, fixed seeds);
* repr and state_dict keys equal to torch's for the same architectures (nested, buffers, no bias, options);
* summary: totals equal to the sum of numel (shared parameters once, frozen ones apart), shapes per layer;
* the bad-input errors of issue 9 item 10 that belong to layers, with PyTorch's exception types;
* the public names of the module, each also in torch.nn."""
import contextlib
import io
import math
import warnings

import numpy as np
import pytest
import torch

import mytorch
import mytorch.nn.layers as L
from mytorch._tensor import tensor, manual_seed, float32, float64, int64, int32
from mytorch.autograd import gradcheck, no_grad
from mytorch.nn.module import Sequential

TN = torch.nn
DT = {"float32": (float32, torch.float32, dict(rtol=2e-5, atol=2e-6)),
      "float64": (float64, torch.float64, dict(rtol=1e-10, atol=1e-12))}

NAMES = ["Linear", "Identity", "Flatten", "Unflatten", "Dropout", "Embedding", "ReLU", "LeakyReLU", "ELU",
         "GELU", "SiLU", "Sigmoid", "Tanh", "Softplus", "Softmax", "LogSoftmax", "MSELoss", "L1Loss",
         "SmoothL1Loss", "HuberLoss", "NLLLoss", "CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss"]


def arr(t):
    "A mytorch or torch tensor as a NumPy array."
    if isinstance(t, torch.Tensor): return t.detach().numpy()
    return np.asarray(t.detach().array)


def copy_params(mine, theirs):
    "Copy torch module `theirs`'s parameters and buffers into `mine`, by name."
    ours = dict(mine.named_parameters())
    with no_grad():
        for name, p in theirs.named_parameters():
            ours[name].copy_(tensor(p.detach().numpy().copy()))


def check_grads(mine, theirs, xs_m, xs_t, out_m, out_t, tol, seed=0):
    "Backward the same random grad_output through both; compare input and parameter grads."
    g = np.random.default_rng(seed).normal(size=tuple(out_t.shape))
    out_m.backward(tensor(g.astype(arr(out_m).dtype)))
    out_t.backward(torch.from_numpy(g.astype(arr(out_t).dtype)))
    for xm, xt in zip(xs_m, xs_t):
        if xt.requires_grad:
            np.testing.assert_allclose(arr(xm.grad), arr(xt.grad), **tol)
    ours = dict(mine.named_parameters())
    for name, p in theirs.named_parameters():
        if p.requires_grad:
            np.testing.assert_allclose(arr(ours[name].grad), arr(p.grad), **tol, err_msg=name)


# ----------------------------------------------------------------------------------------- layers vs torch
LAYERS = {
    "Linear": (lambda nn: nn.Linear(5, 3), (4, 5)),
    "Linear-no-bias": (lambda nn: nn.Linear(5, 3, bias=False), (4, 5)),
    "Linear-3d": (lambda nn: nn.Linear(5, 3), (2, 4, 5)),
    "Linear-1d": (lambda nn: nn.Linear(5, 3), (5,)),
    "Identity": (lambda nn: nn.Identity(3, x=1), (3, 4)),
    "Flatten": (lambda nn: nn.Flatten(), (2, 3, 4, 5)),
    "Flatten-0-1": (lambda nn: nn.Flatten(0, 1), (2, 3, 4)),
    "Flatten-neg": (lambda nn: nn.Flatten(-3, -2), (2, 3, 4, 5)),
    "Unflatten": (lambda nn: nn.Unflatten(1, (2, 3)), (4, 6)),
    "Unflatten-infer": (lambda nn: nn.Unflatten(-1, [2, -1]), (4, 5, 6)),
    "Unflatten-0": (lambda nn: nn.Unflatten(0, (2, 2)), (4, 3)),
    "Dropout-eval": (lambda nn: nn.Dropout(0.3).eval(), (3, 4)),
    "Dropout-p0": (lambda nn: nn.Dropout(0.0), (3, 4)),
    "ReLU": (lambda nn: nn.ReLU(), (3, 4)),
    "LeakyReLU": (lambda nn: nn.LeakyReLU(0.2), (3, 4)),
    "LeakyReLU-default": (lambda nn: nn.LeakyReLU(), (3, 4)),
    "ELU": (lambda nn: nn.ELU(0.5), (3, 4)),
    "GELU": (lambda nn: nn.GELU(), (3, 4)),
    "GELU-tanh": (lambda nn: nn.GELU(approximate="tanh"), (3, 4)),
    "SiLU": (lambda nn: nn.SiLU(), (3, 4)),
    "Sigmoid": (lambda nn: nn.Sigmoid(), (3, 4)),
    "Tanh": (lambda nn: nn.Tanh(), (3, 4)),
    "Softplus": (lambda nn: nn.Softplus(), (3, 4)),
    "Softplus-opts": (lambda nn: nn.Softplus(beta=2.0, threshold=1.0), (3, 4)),
    "Softmax": (lambda nn: nn.Softmax(dim=1), (3, 4)),
    "Softmax-0": (lambda nn: nn.Softmax(dim=0), (3, 4, 2)),
    "LogSoftmax": (lambda nn: nn.LogSoftmax(dim=-1), (3, 4)),
    "MLP": (lambda nn: nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.Tanh(), nn.Linear(8, 6),
                                     nn.GELU(), nn.Linear(6, 2), nn.LogSoftmax(1)), (5, 3, 4)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_matches_torch(name, dtype):
    factory, shape = LAYERS[name]
    md, td, tol = DT[dtype]
    theirs = factory(TN).to(td)
    mine = factory(L if name != "MLP" else _nn()).to(md)
    copy_params(mine, theirs)
    x = np.random.default_rng(1).normal(size=shape) * 2
    xm, xt = tensor(x, dtype=md, requires_grad=True), torch.tensor(x, dtype=td, requires_grad=True)
    out_m, out_t = mine(xm), theirs(xt)
    assert tuple(out_m.shape) == tuple(out_t.shape)
    assert str(out_m.dtype) == str(out_t.dtype).replace("torch.", "")
    np.testing.assert_allclose(arr(out_m), arr(out_t), **tol)
    check_grads(mine, theirs, [xm], [xt], out_m, out_t, tol)


def _nn():
    "The layers plus Sequential, as a namespace like torch.nn."
    import types
    return types.SimpleNamespace(**{n: getattr(L, n) for n in NAMES}, Sequential=Sequential)


@pytest.mark.parametrize("name", [n for n in LAYERS if not n.startswith("Dropout")])
def test_layer_gradcheck(name):
    "Input gradient by mytorch's gradcheck; parameter gradients by central differences (float64)."
    factory, shape = LAYERS[name]
    mine = factory(L if name != "MLP" else _nn()).to(float64)
    x = tensor(np.random.default_rng(2).normal(size=shape), dtype=float64, requires_grad=True)
    assert gradcheck(lambda x: mine(x), [x])
    if not list(mine.parameters()): return
    rng = np.random.default_rng(4)
    v = rng.normal(size=tuple(mine(x).shape))
    loss = lambda: float((arr(mine(x.detach())) * v).sum())
    mine.zero_grad()
    mine(x.detach()).backward(tensor(v))
    for name_, p in mine.named_parameters():
        flat = p.array.reshape(-1)                     # the parameter's own storage
        for i in rng.choice(flat.size, size=min(flat.size, 8), replace=False):
            old = flat[i]
            flat[i] = old + 1e-6; up = loss()
            flat[i] = old - 1e-6; down = loss()
            flat[i] = old
            assert abs((up - down) / 2e-6 - arr(p.grad).reshape(-1)[i]) < 1e-6, (name_, i)


def test_inplace_activations():
    for make, fn in [(lambda nn: nn.ReLU(inplace=True), None), (lambda nn: nn.LeakyReLU(0.1, True), None),
                     (lambda nn: nn.ELU(1.0, inplace=True), None), (lambda nn: nn.SiLU(inplace=True), None)]:
        x = np.random.default_rng(0).normal(size=(3, 4))
        xm, xt = tensor(x), torch.tensor(x, dtype=torch.float32)
        ym, yt = make(L)(xm), make(TN)(xt)
        assert ym is xm and yt is xt
        np.testing.assert_allclose(arr(xm), arr(xt), rtol=1e-6, atol=1e-7)


# ----------------------------------------------------------------------------------------- Dropout, Embedding
def test_dropout_train():
    manual_seed(0)
    d = L.Dropout(0.3)
    x = tensor(np.ones((200, 300)), requires_grad=True)
    y = d(x)
    a = arr(y)
    assert abs((a == 0).mean() - 0.3) < 0.01
    np.testing.assert_allclose(np.unique(a), [0.0, 1 / 0.7], rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(arr(x.grad), a, rtol=1e-6)       # grad = mask / (1 - p)
    d.eval()
    assert (arr(d(x)) == 1).all()
    assert (arr(L.Dropout(1.0)(x)) == 0).all()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("padding_idx", [None, 0, 3, -1])
def test_embedding_matches_torch(dtype, padding_idx):
    md, td, tol = DT[dtype]
    theirs = TN.Embedding(7, 4, padding_idx=padding_idx).to(td)
    mine = L.Embedding(7, 4, padding_idx=padding_idx).to(md)
    assert mine.padding_idx == theirs.padding_idx
    copy_params(mine, theirs)
    idx = np.array([[0, 3, 6, 3], [6, 1, 1, 2]])
    for it in (int64, int32):
        out_m = mine(tensor(idx, dtype=it))
        out_t = theirs(torch.tensor(idx, dtype=torch.int64 if it == int64 else torch.int32))
        np.testing.assert_allclose(arr(out_m), arr(out_t), **tol)
        assert str(out_m.dtype) == dtype
        mine.zero_grad(); theirs.zero_grad()
        check_grads(mine, theirs, [], [], out_m, out_t, tol)


def test_embedding_init_and_padding_row():
    manual_seed(0)
    e = L.Embedding(50, 8, padding_idx=4)
    assert (arr(e.weight)[4] == 0).all()
    assert e.weight.requires_grad and e.weight.dtype == float32
    e2 = L.Embedding(5, 3, _weight=tensor(np.ones((5, 3)), dtype=float32), _freeze=True)
    assert not e2.weight.requires_grad
    f = L.Embedding.from_pretrained(tensor(np.eye(3), dtype=float32), freeze=False, padding_idx=1)
    t = TN.Embedding.from_pretrained(torch.eye(3), freeze=False, padding_idx=1)
    assert repr(f) == repr(t) and f.weight.requires_grad
    np.testing.assert_array_equal(arr(f(tensor([2, 1]))), arr(t(torch.tensor([2, 1]))))


# ----------------------------------------------------------------------------------------- loss modules vs torch
def _probs(rng, shape): return 1 / (1 + np.exp(-rng.normal(size=shape)))


LOSSES = {
    "MSE": (lambda nn: nn.MSELoss(), "reg"), "MSE-sum": (lambda nn: nn.MSELoss(reduction="sum"), "reg"),
    "MSE-none": (lambda nn: nn.MSELoss(reduction="none"), "reg"),
    "L1": (lambda nn: nn.L1Loss(), "reg"), "L1-none": (lambda nn: nn.L1Loss(reduction="none"), "reg"),
    "SmoothL1": (lambda nn: nn.SmoothL1Loss(beta=0.5), "reg"),
    "SmoothL1-sum": (lambda nn: nn.SmoothL1Loss(reduction="sum"), "reg"),
    "Huber": (lambda nn: nn.HuberLoss(delta=0.7), "reg"),
    "Huber-none": (lambda nn: nn.HuberLoss(reduction="none"), "reg"),
    "NLL": (lambda nn: nn.NLLLoss(), "logp"), "NLL-ignore": (lambda nn: nn.NLLLoss(ignore_index=2), "logp"),
    "NLL-weight": (lambda nn: nn.NLLLoss(weight=W(nn)), "logp"),
    "CE": (lambda nn: nn.CrossEntropyLoss(), "cls"),
    "CE-weight-sum": (lambda nn: nn.CrossEntropyLoss(weight=W(nn), reduction="sum"), "cls"),
    "CE-smooth": (lambda nn: nn.CrossEntropyLoss(label_smoothing=0.1, ignore_index=1), "cls"),
    "CE-probs": (lambda nn: nn.CrossEntropyLoss(weight=W(nn)), "probs"),
    "CE-none": (lambda nn: nn.CrossEntropyLoss(reduction="none"), "cls"),
    "BCE": (lambda nn: nn.BCELoss(), "bin"), "BCE-weight": (lambda nn: nn.BCELoss(weight=W(nn)), "bin"),
    "BCE-none": (lambda nn: nn.BCELoss(reduction="none"), "bin"),
    "BCEL": (lambda nn: nn.BCEWithLogitsLoss(), "logit"),
    "BCEL-pos": (lambda nn: nn.BCEWithLogitsLoss(pos_weight=W(nn), weight=W(nn)), "logit"),
    "BCEL-sum": (lambda nn: nn.BCEWithLogitsLoss(reduction="sum"), "logit"),
}
_DTYPE = {}


def W(nn):
    "A per-class weight of 4 entries in the library of `nn` and the dtype under test."
    w = np.array([1.0, 2.0, 0.5, 1.5])
    return torch.tensor(w, dtype=_DTYPE["t"]) if nn is TN else tensor(w, dtype=_DTYPE["m"])


def _loss_data(kind, rng):
    if kind == "reg": return rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), True
    if kind == "logp":
        x = rng.normal(size=(6, 4)); x = x - np.log(np.exp(x).sum(1, keepdims=True))
        return x, np.array([0, 3, 2, 1, 2, 0]), False
    if kind == "cls": return rng.normal(size=(6, 4)), np.array([0, 3, 2, 1, 2, 0]), False
    if kind == "probs": return rng.normal(size=(6, 4)), _probs(rng, (6, 4)), True
    if kind == "bin": return _probs(rng, (5, 4)), (rng.random((5, 4)) > 0.5).astype(float), True
    return rng.normal(size=(5, 4)) * 3, rng.random((5, 4)), True


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_matches_torch(name, dtype):
    factory, kind = LOSSES[name]
    md, td, tol = DT[dtype]
    _DTYPE.update(m=md, t=td)
    mine, theirs = factory(L), factory(TN)
    x, y, float_target = _loss_data(kind, np.random.default_rng(3))
    xm, xt = tensor(x, dtype=md, requires_grad=True), torch.tensor(x, dtype=td, requires_grad=True)
    ym = tensor(y, dtype=md) if float_target else tensor(y, dtype=int64)
    yt = torch.tensor(y, dtype=td) if float_target else torch.tensor(y, dtype=torch.int64)
    out_m, out_t = mine(xm, ym), theirs(xt, yt)
    assert tuple(out_m.shape) == tuple(out_t.shape) and str(out_m.dtype) == dtype
    np.testing.assert_allclose(arr(out_m), arr(out_t), **tol)
    check_grads(mine, theirs, [xm], [xt], out_m, out_t, tol)
    assert list(mine.state_dict().keys()) == list(theirs.state_dict().keys())
    assert repr(mine) == repr(theirs)
    for attr in ("reduction", "ignore_index", "label_smoothing", "beta", "delta"):
        assert getattr(mine, attr, None) == getattr(theirs, attr, None), attr


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_gradcheck(name):
    factory, kind = LOSSES[name]
    _DTYPE.update(m=float64, t=torch.float64)
    mine = factory(L)
    x, y, float_target = _loss_data(kind, np.random.default_rng(5))
    ym = tensor(y, dtype=float64) if float_target else tensor(y, dtype=int64)
    assert gradcheck(lambda x: mine(x, ym), [tensor(x, dtype=float64, requires_grad=True)])


@pytest.mark.parametrize("flags", [dict(size_average=False), dict(reduce=False), dict(size_average=True),
                                   dict(size_average=False, reduce=True)])
@pytest.mark.parametrize("cls", ["MSELoss", "L1Loss", "NLLLoss", "CrossEntropyLoss", "BCELoss",
                                 "BCEWithLogitsLoss", "SmoothL1Loss"])
def test_legacy_reduction_flags(cls, flags):
    with warnings.catch_warnings(record=True) as wm:
        warnings.simplefilter("always")
        mine = getattr(L, cls)(**flags)
    with warnings.catch_warnings(record=True) as wt:
        warnings.simplefilter("always")
        theirs = getattr(TN, cls)(**flags)
    assert mine.reduction == theirs.reduction
    assert [str(w.message) for w in wm] == [str(w.message) for w in wt]
    assert all(w.category is UserWarning for w in wm)


def test_loss_buffers_follow_dtype():
    m = L.CrossEntropyLoss(weight=tensor([1.0, 2.0])).to(float64)
    assert m.weight.dtype == float64
    assert [n for n, _ in m.named_buffers()] == ["weight"] and list(m.parameters()) == []


# ----------------------------------------------------------------------------------------- default init
def ks_statistic(a, b):
    "Two-sample Kolmogorov-Smirnov statistic."
    a, b = np.sort(np.ravel(a)), np.sort(np.ravel(b))
    grid = np.concatenate([a, b])
    return np.abs(np.searchsorted(a, grid, "right") / a.size - np.searchsorted(b, grid, "right") / b.size).max()


def ks_critical(n, m, alpha=1e-4):
    return math.sqrt(-math.log(alpha / 2) / 2) * math.sqrt((n + m) / (n * m))


@pytest.mark.parametrize("fan_in,fan_out", [(784, 256), (3, 1000), (1000, 3)])
def test_linear_default_init(fan_in, fan_out):
    manual_seed(0); torch.manual_seed(0)
    mine, theirs = L.Linear(fan_in, fan_out), TN.Linear(fan_in, fan_out)
    bound = 1 / math.sqrt(fan_in)
    for name in ("weight", "bias"):
        a, b = arr(getattr(mine, name)), arr(getattr(theirs, name))
        assert a.dtype == np.float32
        assert a.shape == b.shape
        assert np.abs(a).max() <= np.float32(bound)                 # bounds exactly
        if a.size >= 1000:
            assert np.abs(a).max() > 0.99 * bound                   # and the interval is filled
            assert ks_statistic(a, b) < ks_critical(a.size, b.size), name
            assert abs(a.var() - bound ** 2 / 3) < 0.05 * bound ** 2 / 3


def test_linear_init_seeded_and_dtype():
    manual_seed(5); a = arr(L.Linear(10, 4).weight)
    manual_seed(5); b = arr(L.Linear(10, 4).weight)
    np.testing.assert_array_equal(a, b)                            # same seed, same weights
    lin = L.Linear(10, 4, dtype=float64)
    assert lin.weight.dtype == float64 and lin.bias.dtype == float64
    lin.reset_parameters()
    assert np.abs(arr(lin.weight)).max() <= 1 / math.sqrt(10)


def test_embedding_default_init():
    manual_seed(0); torch.manual_seed(0)
    a, b = arr(L.Embedding(500, 64).weight), arr(TN.Embedding(500, 64).weight)
    assert ks_statistic(a, b) < ks_critical(a.size, b.size)
    assert abs(a.mean()) < 0.01 and abs(a.std() - 1) < 0.01


# ----------------------------------------------------------------------------------------- repr, state_dict
def _models(nn):
    return [
        nn.Linear(784, 10), nn.Linear(3, 2, bias=False), nn.Identity(), nn.Flatten(), nn.Flatten(0, 2),
        nn.Unflatten(1, (1, 28, 28)), nn.Unflatten(-1, [2, -1]), nn.Dropout(), nn.Dropout(0.1, inplace=True),
        nn.Embedding(10, 3), nn.Embedding(10, 3, padding_idx=-1), nn.Embedding(10, 3, norm_type=1.0),
        nn.ReLU(), nn.ReLU(True), nn.LeakyReLU(), nn.LeakyReLU(0.2, inplace=True), nn.ELU(), nn.ELU(0.5, True),
        nn.GELU(), nn.GELU("tanh"), nn.SiLU(), nn.SiLU(inplace=True), nn.Sigmoid(), nn.Tanh(), nn.Softplus(),
        nn.Softplus(2, 10), nn.Softmax(), nn.Softmax(dim=1), nn.LogSoftmax(-1),
        nn.MSELoss(), nn.CrossEntropyLoss(label_smoothing=0.1), nn.BCEWithLogitsLoss(pos_weight=None),
        nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, 128),
                      nn.ReLU(), nn.Linear(128, 10)),
        nn.Sequential(nn.Embedding(100, 16, padding_idx=0), nn.Flatten(),
                      nn.Sequential(nn.Linear(64, 32), nn.GELU(approximate="tanh")),
                      nn.Sequential(nn.Linear(32, 32, bias=False), nn.SiLU(), nn.Linear(32, 4)),
                      nn.LogSoftmax(dim=1)),
    ]


def test_repr_and_state_dict_keys_match_torch():
    for mine, theirs in zip(_models(_nn()), _models(TN)):
        assert repr(mine) == repr(theirs)
        assert list(mine.state_dict().keys()) == list(theirs.state_dict().keys()), repr(theirs)
        assert [(n, tuple(p.shape)) for n, p in mine.named_parameters()] == \
               [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]


def test_buffers_in_state_dict_match_torch():
    for make in [lambda nn, T: nn.CrossEntropyLoss(weight=T([1.0, 2.0])),
                 lambda nn, T: nn.NLLLoss(weight=T([1.0, 2.0])),
                 lambda nn, T: nn.BCELoss(weight=T([1.0, 2.0])),
                 lambda nn, T: nn.BCEWithLogitsLoss(weight=T([1.0]), pos_weight=T([2.0])),
                 lambda nn, T: nn.BCEWithLogitsLoss(pos_weight=T([2.0])),
                 lambda nn, T: nn.Sequential(nn.Linear(2, 2), nn.CrossEntropyLoss(weight=T([1.0, 2.0])))]:
        mine, theirs = make(_nn(), tensor), make(TN, torch.tensor)
        assert list(mine.state_dict().keys()) == list(theirs.state_dict().keys())


def test_attributes_match_torch():
    pairs = [(L.Linear(4, 3), TN.Linear(4, 3), ["in_features", "out_features"]),
             (L.Flatten(2, 3), TN.Flatten(2, 3), ["start_dim", "end_dim"]),
             (L.Unflatten(1, (2, 3)), TN.Unflatten(1, (2, 3)), ["dim", "unflattened_size"]),
             (L.Dropout(0.2), TN.Dropout(0.2), ["p", "inplace"]),
             (L.Embedding(5, 2, padding_idx=-2), TN.Embedding(5, 2, padding_idx=-2),
              ["num_embeddings", "embedding_dim", "padding_idx", "max_norm", "norm_type",
               "scale_grad_by_freq", "sparse"]),
             (L.LeakyReLU(), TN.LeakyReLU(), ["negative_slope", "inplace"]),
             (L.ELU(), TN.ELU(), ["alpha", "inplace"]), (L.GELU(), TN.GELU(), ["approximate"]),
             (L.Softplus(), TN.Softplus(), ["beta", "threshold"]), (L.Softmax(), TN.Softmax(), ["dim"]),
             (L.CrossEntropyLoss(), TN.CrossEntropyLoss(),
              ["reduction", "ignore_index", "label_smoothing", "weight"])]
    for mine, theirs, attrs in pairs:
        for a in attrs:
            assert getattr(mine, a) == getattr(theirs, a), (theirs, a)
        assert mine.training == theirs.training


# ----------------------------------------------------------------------------------------- summary
def _summary(model, size, **kw):
    with contextlib.redirect_stdout(io.StringIO()) as out:
        table = L.summary(model, size, **kw)
    assert out.getvalue().rstrip("\n") == table                    # printed and returned
    return table


def _count(table, label):
    return int(table.split(f"{label}: ")[1].split("\n")[0].replace(",", ""))


def test_summary_totals_equal_numel():
    nn = _nn()
    for model, size in [(_models(nn)[-2], (32, 1, 28, 28)), (_models(nn)[-1], (8, 4)),
                        (nn.Sequential(nn.Linear(3, 5)), (2, 3)), (nn.Sequential(nn.ReLU()), (2, 3))]:
        size_dtype = dict(dtype=int64) if isinstance(model[0], L.Embedding) else {}
        table = _summary(model, size, **size_dtype)
        total = sum(p.numel() for p in model.parameters())
        assert _count(table, "Total params") == total
        assert _count(table, "Trainable params") == total and _count(table, "Non-trainable params") == 0
        rows = [r for r in table.split("\n") if r.rstrip().split(" ")[-1].replace(",", "").isdigit()
                and not r.startswith(("Total", "Trainable", "Non-trainable"))]
        assert sum(int(r.split()[-1].replace(",", "")) for r in rows) == total


def test_summary_shapes_frozen_and_shared():
    nn = _nn()
    model = _models(nn)[-2]
    table = _summary(model, (32, 1, 28, 28))
    body = table.split("\n")
    for label, shape, count in [("0 (Flatten)", "(32, 784)", "0"), ("1 (Linear)", "(32, 256)", "200,960"),
                                ("4 (Linear)", "(32, 128)", "32,896"), ("6 (Linear)", "(32, 10)", "1,290")]:
        row = next(r for r in body if r.strip().startswith(label))
        assert shape in row and row.split()[-1] == count
    assert _count(table, "Total params") == 235146
    model[1].requires_grad_(False)
    table = _summary(model, (32, 1, 28, 28))
    assert _count(table, "Non-trainable params") == 200960 and _count(table, "Trainable params") == 34186
    lin = nn.Linear(4, 4)
    shared = nn.Sequential(lin, nn.ReLU(), lin)                    # one module used twice
    table = _summary(shared, (2, 4))
    assert _count(table, "Total params") == 20
    assert len([r for r in table.split("\n") if "(Linear)" in r]) == 2   # one row per call
    assert arr(lin.weight).dtype == np.float32
    t64 = _summary(nn.Sequential(nn.Linear(2, 2)).to(float64), (1, 2))   # input dtype follows the model
    assert _count(t64, "Total params") == 6
    for m in shared.modules():                                      # hooks removed afterwards
        assert not getattr(m, "_forward_hooks", {}) and not getattr(m, "_forward_pre_hooks", {})


def test_summary_error_names_layer():
    model = _models(_nn())[-2]
    with pytest.raises(RuntimeError, match=r"Linear\(in_features=784\): input of shape \(32, 812\)"):
        _summary(model, (32, 1, 28, 29))


# ----------------------------------------------------------------------------------------- errors (item 10)
def _torch_exc(f):
    try: f()
    except Exception as e: return type(e)
    raise AssertionError("torch raised nothing")


@pytest.mark.parametrize("x,contains", [
    (np.zeros((32, 785)), ["Linear(in_features=784): input of shape (32, 785)", "expected (*, 784)", "hint"]),
    (np.zeros((32, 28, 28)), ["input of shape (32, 28, 28)", "flatten"]),
    (np.zeros(()), ["input of shape ()", "hint"]),
    (np.zeros((784, 3)), ["input of shape (784, 3)"]),
])
def test_linear_bad_shape(x, contains):
    exc = _torch_exc(lambda: TN.Linear(784, 10)(torch.tensor(x, dtype=torch.float32)))
    with pytest.raises(exc) as e:
        L.Linear(784, 10)(tensor(x, dtype=float32))
    for s in contains: assert s in str(e.value)


def test_linear_bad_dtype_and_type():
    exc = _torch_exc(lambda: TN.Linear(4, 2)(torch.zeros(3, 4, dtype=torch.float64)))
    with pytest.raises(exc, match=r"Linear\(in_features=4\): input of dtype float64 but weight of dtype float32"):
        L.Linear(4, 2)(tensor(np.zeros((3, 4)), dtype=float64))
    with pytest.raises(exc, match="int64"):
        L.Linear(4, 2)(tensor(np.zeros((3, 4), dtype=np.int64)))
    exc = _torch_exc(lambda: TN.Linear(4, 2)([[0.0] * 4]))
    with pytest.raises(exc, match="Tensor"):
        L.Linear(4, 2)([[0.0] * 4])


@pytest.mark.parametrize("idx,contains", [([3, 10], "index 10 out of range"), ([-1, 2], "index -1 out of range"),
                                          ([[0, 1], [99, 2]], "index 99 out of range")])
def test_embedding_index_out_of_range(idx, contains):
    exc = _torch_exc(lambda: TN.Embedding(10, 3)(torch.tensor(idx)))
    assert exc is IndexError
    with pytest.raises(IndexError) as e:
        L.Embedding(10, 3)(tensor(idx))
    assert contains in str(e.value) and "Embedding(10, 3)" in str(e.value) and "[0, 9]" in str(e.value)


@pytest.mark.parametrize("np_dtype,m_dtype", [(np.float32, float32), (np.uint8, None), (np.bool_, None)])
def test_embedding_bad_index_dtype(np_dtype, m_dtype):
    idx = np.array([1, 2]).astype(np_dtype)
    exc = _torch_exc(lambda: TN.Embedding(10, 3)(torch.from_numpy(idx)))
    with pytest.raises(exc, match="int64 or int32"):
        L.Embedding(10, 3)(tensor(idx))


def test_constructor_errors_match_torch():
    cases = [lambda nn: nn.Dropout(-0.1), lambda nn: nn.Dropout(1.5),
             lambda nn: nn.Embedding(5, 2, padding_idx=5), lambda nn: nn.Embedding(5, 2, padding_idx=-6),
             lambda nn: nn.Unflatten(1, 6), lambda nn: nn.Unflatten(1, (2, 3.0)),
             lambda nn: nn.Embedding(5, 2, _weight=(torch if nn is TN else mytorch).zeros(4, 2))]
    for make in cases:
        exc = _torch_exc(lambda: make(TN))
        with pytest.raises(exc) as e:
            make(_nn())
        try: make(TN)
        except Exception as t: assert str(e.value) == str(t)


def test_unflatten_errors_match_torch():
    for size, shape, dim in [((2, 3), (2, 7), 1), ((2, -1, -1), (2, 8), 1), ((3, -1), (2, 8), 1),
                             ((2, 2), (2, 4), 2)]:
        exc = _torch_exc(lambda: TN.Unflatten(dim, size)(torch.zeros(*shape)))
        with pytest.raises(exc):
            L.Unflatten(dim, size)(mytorch.zeros(*shape))
    with pytest.raises(RuntimeError, match=r"unflatten: Provided sizes \[2, 3\] don't multiply up to the size "
                                           r"of dim 1 \(7\) in the input tensor"):
        L.Unflatten(1, (2, 3))(mytorch.zeros(2, 7))


@pytest.mark.parametrize("kw", [dict(max_norm=1.0), dict(max_norm=0.5, norm_type=1.0),
                                dict(scale_grad_by_freq=True), dict(scale_grad_by_freq=True, padding_idx=2)])
def test_embedding_options_match_torch(kw):
    theirs = TN.Embedding(6, 3, **kw).double()
    mine = L.Embedding(6, 3, **kw).to(float64)
    copy_params(mine, theirs)
    assert repr(mine) == repr(theirs)
    idx = np.array([[0, 2, 2, 5], [5, 1, 2, 0]])
    out_m, out_t = mine(tensor(idx)), theirs(torch.tensor(idx))
    np.testing.assert_allclose(arr(out_m), arr(out_t), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(arr(mine.weight), arr(theirs.weight), rtol=1e-7, atol=1e-9)  # renormed
    check_grads(mine, theirs, [], [], out_m, out_t, dict(rtol=1e-7, atol=1e-9))


def test_embedding_sparse_raises():
    e = L.Embedding(5, 2, sparse=True)
    assert repr(e) == repr(TN.Embedding(5, 2, sparse=True))
    with pytest.raises(NotImplementedError, match="sparse"):
        e(tensor([1, 2]))


def test_edge_cases_match_torch():
    with pytest.raises(_torch_exc(lambda: TN.Flatten()(torch.zeros(3)))):
        L.Flatten()(mytorch.zeros(3))
    for lib, T in ((L, mytorch), (TN, torch)):                       # implicit softmax dim warns
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
            assert tuple(lib.Softmax()(T.zeros(2, 3)).shape) == (2, 3)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        lin = L.Linear(0, 3)                                          # zero fan-in: bias bound 0
    assert "zero-element" in str(w[0].message) and (arr(lin.bias) == 0).all()
    assert tuple(L.Embedding(4, 2)(tensor(3)).shape) == (2,)         # a 0-d index


def test_device_argument():
    assert L.Linear(2, 2, device="cpu").weight.shape == (2, 2)
    with pytest.raises(RuntimeError, match="CPU"):
        L.Linear(2, 2, device="cuda")


# ----------------------------------------------------------------------------------------- names
def test_public_names():
    assert sorted(L.__all__) == sorted(NAMES + ["summary"])
    for n in NAMES:
        assert hasattr(TN, n), n
        assert issubclass(getattr(L, n), mytorch.nn.module.Module)
    import mytorch.nn as mnn
    missing = [n for n in NAMES if getattr(mnn, n, None) is not getattr(L, n)]
    assert not missing, f"mytorch.nn does not export {missing}"
