"""Tests for nbs/10a_rnn.ipynb (mytorch/nn/rnn.py): RNNCellBase, RNNCell, RNNBase, RNN, against PyTorch 2.13.

* parity: a torch module's state_dict loaded through NumPy into mytorch's, then output, h_n, and the gradients of
  the input, hx and every parameter, in float64, for every combination of num_layers, nonlinearity, bias,
  batch_first, bidirectional, unbatched input and hx given or not; dropout between layers in eval mode; float32
  for a few cases; RNNCell likewise (bias, nonlinearity, batched or not, hx or not);
* gradcheck (float64) through RNNCell and a two-layer bidirectional RNN: input, hx and parameters;
* the other way round: mytorch's state_dict loads strictly into torch's module and gives the same output;
* parameter names, shapes, order, `all_weights`, `repr`, attributes, default init (bounds +-1/sqrt(hidden_size),
  variance), dtype= and device=, `.double()`;
* dropout: between layers only, in training only; the warning for one layer;
* errors: torch's exception types, and messages that start with torch's where torch writes its own (ours add the
  expected shape and a hint): bad options, input rank/size/dtype, hx rank/shape (batched, unbatched,
  batch_first), empty sequences, the cells' checks;
* the override contract of RNNBase that LSTM/GRU rely on: a subclass with a tuple state (LSTM-like) goes
  through forward's indexing, stacking, unbatched squeezing and bidirectional concatenation; RNNBase alone
  raises NotImplementedError;
* the public names, each also in torch.nn.

Tolerances: conftest's TOL / GRAD_TOL (float64 outputs 1e-10 relative, gradients 1e-8; float32 2e-5 / 1e-4)."""
import itertools
import warnings

import numpy as np
import pytest
import torch

import mytorch.nn.rnn as R
from conftest import GRAD_TOL, TOL, error_of, same_error
from mytorch._tensor import float32, float64, manual_seed, tensor, zeros
from mytorch.autograd.function import no_grad
from mytorch.autograd.gradcheck import gradcheck

TN = torch.nn
DT = {"float64": (float64, torch.float64), "float32": (float32, torch.float32)}


def arr(t):
    "A mytorch or torch tensor as a NumPy array."
    if isinstance(t, torch.Tensor): return t.detach().numpy()
    return np.asarray(t.detach().array)


def load_from_torch(m, t):
    "Copy torch module `t`'s state_dict into mytorch module `m`, through NumPy."
    m.load_state_dict({k: tensor(v.detach().numpy().copy()) for k, v in t.state_dict().items()})
    return m


def close(a, b, dtype="float64", grad=False, what=""):
    bounds = (GRAD_TOL if grad else TOL)[dtype]
    np.testing.assert_allclose(arr(a), arr(b), err_msg=what, **bounds)


def pair(kind, *args, dtype="float64", **kw):
    "A torch module and a mytorch module of the same class, options and weights."
    md, td = DT[dtype]
    t = getattr(TN, kind)(*args, dtype=td, **kw)
    m = getattr(R, kind)(*args, dtype=md, **kw)
    return load_from_torch(m, t), t


def run_both(m, t, xs, hs=None, dtype="float64", seed=0):
    """Forward and backward on both libraries with the same data: a random linear functional of output and h_n.
    Returns the mytorch and torch (output, h_n, x, h) for comparison."""
    md, td = DT[dtype]
    xm, xt = tensor(xs, dtype=md, requires_grad=True), torch.tensor(xs, dtype=td, requires_grad=True)
    hm = ht = None
    if hs is not None:
        hm, ht = tensor(hs, dtype=md, requires_grad=True), torch.tensor(hs, dtype=td, requires_grad=True)
    om, hnm = m(xm, hm)
    ot, hnt = t(xt, ht)
    rng = np.random.default_rng(seed)
    wo, wh = rng.standard_normal(tuple(ot.shape)), rng.standard_normal(tuple(hnt.shape))
    ((ot * torch.tensor(wo, dtype=td)).sum() + (hnt * torch.tensor(wh, dtype=td)).sum()).backward()
    ((om * tensor(wo, dtype=md)).sum() + (hnm * tensor(wh, dtype=md)).sum()).backward()
    return (om, hnm, xm, hm), (ot, hnt, xt, ht)


def assert_same_run(m, t, mine, theirs, dtype="float64"):
    (om, hnm, xm, hm), (ot, hnt, xt, ht) = mine, theirs
    assert tuple(om.shape) == tuple(ot.shape) and tuple(hnm.shape) == tuple(hnt.shape)
    assert om.dtype == DT[dtype][0] and hnm.dtype == DT[dtype][0]
    close(om, ot, dtype, what="output")
    close(hnm, hnt, dtype, what="h_n")
    close(xm.grad, xt.grad, dtype, grad=True, what="input grad")
    if hm is not None: close(hm.grad, ht.grad, dtype, grad=True, what="hx grad")
    for name, p in t.named_parameters():
        close(getattr(m, name).grad, p.grad, dtype, grad=True, what=f"{name}.grad")


# ------------------------------------------------------------------------------------------- parity: RNN
RNN_CASES = list(itertools.product([1, 2], ["tanh", "relu"], [True, False], [False, True], [False, True],
                                   [False, True], [False, True]))


@pytest.mark.parametrize("num_layers,nonlinearity,bias,batch_first,bidirectional,unbatched,give_hx", RNN_CASES)
def test_rnn_matches_torch_float64(num_layers, nonlinearity, bias, batch_first, bidirectional, unbatched,
                                   give_hx):
    m, t = pair("RNN", 3, 4, num_layers=num_layers, nonlinearity=nonlinearity, bias=bias,
                batch_first=batch_first, bidirectional=bidirectional)
    L, N, D = 5, 2, 2 if bidirectional else 1
    rng = np.random.default_rng(len(RNN_CASES))
    xs = rng.standard_normal((L, 3) if unbatched else ((N, L, 3) if batch_first else (L, N, 3)))
    hs = rng.standard_normal((num_layers * D, 4) if unbatched else (num_layers * D, N, 4)) if give_hx else None
    mine, theirs = run_both(m, t, xs, hs)
    assert_same_run(m, t, mine, theirs)


@pytest.mark.parametrize("kw", [dict(), dict(num_layers=2, bidirectional=True, batch_first=True),
                                dict(nonlinearity="relu", bias=False, num_layers=3)])
def test_rnn_matches_torch_float32(kw):
    m, t = pair("RNN", 6, 8, dtype="float32", **kw)
    rng = np.random.default_rng(1)
    D = 2 if kw.get("bidirectional") else 1
    xs = rng.standard_normal((3, 7, 6)).astype(np.float32)
    hs = rng.standard_normal((kw.get("num_layers", 1) * D, 3 if kw.get("batch_first") else 7, 8))
    mine, theirs = run_both(m, t, xs, hs.astype(np.float32), dtype="float32")
    assert_same_run(m, t, mine, theirs, dtype="float32")


@pytest.mark.parametrize("bidirectional", [False, True])
def test_dropout_in_eval_is_the_identity_and_matches_torch(bidirectional):
    m, t = pair("RNN", 3, 4, num_layers=3, dropout=0.4, bidirectional=bidirectional)
    m.eval(); t.eval()
    rng = np.random.default_rng(2)
    mine, theirs = run_both(m, t, rng.standard_normal((6, 2, 3)))
    assert_same_run(m, t, mine, theirs)


def test_longer_sequences_and_batch_sizes():
    m, t = pair("RNN", 2, 16, num_layers=2)
    rng = np.random.default_rng(3)
    for L, N in [(1, 1), (40, 3), (7, 17)]:
        m.zero_grad(); t.zero_grad()
        mine, theirs = run_both(m, t, rng.standard_normal((L, N, 2)))
        assert_same_run(m, t, mine, theirs)


def test_empty_batch_gives_torch_shapes():
    m, t = pair("RNN", 3, 4, num_layers=2)
    om, hm = m(tensor(np.zeros((5, 0, 3))))
    ot, ht = t(torch.zeros(5, 0, 3, dtype=torch.float64))
    assert tuple(om.shape) == tuple(ot.shape) == (5, 0, 4)
    assert tuple(hm.shape) == tuple(ht.shape) == (2, 0, 4)


def test_grad_fn_of_the_output_is_torchs():
    m, t = pair("RNN", 3, 4)
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    om, hm = m(tensor(x, requires_grad=True))
    ot, ht = t(torch.tensor(x, requires_grad=True))
    assert om.grad_fn.name() == type(ot.grad_fn).__name__ == "StackBackward0"
    om, _ = m(tensor(x[:, 0], requires_grad=True))
    ot, _ = t(torch.tensor(x[:, 0], requires_grad=True))
    assert om.grad_fn.name() == type(ot.grad_fn).__name__ == "SqueezeBackward1"


# ------------------------------------------------------------------------------------------- parity: RNNCell
@pytest.mark.parametrize("bias,nonlinearity,batched,give_hx,dtype",
                         list(itertools.product([True, False], ["tanh", "relu"], [True, False], [False, True],
                                                ["float64", "float32"])))
def test_rnncell_matches_torch(bias, nonlinearity, batched, give_hx, dtype):
    m, t = pair("RNNCell", 3, 5, bias=bias, nonlinearity=nonlinearity, dtype=dtype)
    md, td = DT[dtype]
    rng = np.random.default_rng(4)
    xs = rng.standard_normal((4, 3) if batched else (3,))
    hs = rng.standard_normal((4, 5) if batched else (5,)) if give_hx else None
    xm, xt = tensor(xs, dtype=md, requires_grad=True), torch.tensor(xs, dtype=td, requires_grad=True)
    hm = tensor(hs, dtype=md, requires_grad=True) if give_hx else None
    ht = torch.tensor(hs, dtype=td, requires_grad=True) if give_hx else None
    ym, yt = m(xm, hm), t(xt, ht)
    assert tuple(ym.shape) == tuple(yt.shape) and ym.dtype == md
    close(ym, yt, dtype, what="h'")
    w = rng.standard_normal(tuple(yt.shape))
    (yt * torch.tensor(w, dtype=td)).sum().backward()
    (ym * tensor(w, dtype=md)).sum().backward()
    close(xm.grad, xt.grad, dtype, grad=True, what="input grad")
    if give_hx: close(hm.grad, ht.grad, dtype, grad=True, what="hx grad")
    for name, p in t.named_parameters():
        close(getattr(m, name).grad, p.grad, dtype, grad=True, what=name)
    assert ym.grad_fn.name() == type(yt.grad_fn).__name__


def test_rnncell_unrolled_equals_rnn():
    "The cell over time is a one-layer RNN with the same weights."
    manual_seed(0)
    cell = R.RNNCell(3, 4, dtype=float64)
    rnn = R.RNN(3, 4, dtype=float64)
    rnn.load_state_dict({f"{k}_l0": v for k, v in cell.state_dict().items()})
    x = tensor(np.random.default_rng(5).standard_normal((6, 2, 3)))
    h, hs = None, []
    for t in range(6):
        h = cell(x[t], h)
        hs.append(arr(h))
    out, h_n = rnn(x)
    np.testing.assert_allclose(arr(out), np.stack(hs), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(arr(h_n)[0], hs[-1], rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------------------------------- gradcheck
def test_gradcheck_rnncell_inputs_and_parameters():
    manual_seed(0)
    cell = R.RNNCell(2, 3, dtype=float64)
    x = tensor(np.random.default_rng(6).standard_normal((2, 2)), requires_grad=True)
    h = tensor(np.random.default_rng(7).standard_normal((2, 3)), requires_grad=True)
    assert gradcheck(lambda x, h: cell(x, h), (x, h))
    params = list(cell.parameters())

    def f(x, h, *ps):
        with no_grad():
            for p, q in zip(params, ps): p.copy_(q)
        from mytorch.nn.functional.activation import linear, tanh
        return tanh(linear(x, ps[0], ps[2]) + linear(h, ps[1], ps[3]))
    assert gradcheck(f, (x, h, *[p.detach().clone().requires_grad_() for p in params]))


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_gradcheck_stacked_bidirectional_rnn(nonlinearity):
    manual_seed(1)
    rnn = R.RNN(2, 3, num_layers=2, bidirectional=True, nonlinearity=nonlinearity, dtype=float64)
    rng = np.random.default_rng(8)
    x = tensor(rng.standard_normal((4, 2, 2)), requires_grad=True)
    h = tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)
    assert gradcheck(lambda x, h: rnn(x, h)[0], (x, h))
    assert gradcheck(lambda x, h: rnn(x, h)[1], (x, h))


def test_gradcheck_rnn_parameters_through_the_layer():
    "The parameters' gradients by finite differences of the loss, perturbing each weight in place."
    manual_seed(2)
    rnn = R.RNN(2, 3, num_layers=2, batch_first=True, dtype=float64)
    x = tensor(np.random.default_rng(9).standard_normal((2, 5, 2)))
    w = tensor(np.random.default_rng(10).standard_normal((2, 5, 3)))
    loss = lambda: float(arr((rnn(x)[0] * w).sum()))
    rnn.zero_grad()
    (rnn(x)[0] * w).sum().backward()
    eps = 1e-6
    for name, p in rnn.named_parameters():
        a = p.array                                   # perturb the parameter's storage in place
        num = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            keep = a[i]
            a[i] = keep + eps; up = loss()
            a[i] = keep - eps; down = loss()
            a[i] = keep
            num[i] = (up - down) / (2 * eps)
        np.testing.assert_allclose(arr(p.grad), num, rtol=1e-6, atol=1e-8, err_msg=name)


# ------------------------------------------------------------------------------------------- state_dict, names
@pytest.mark.parametrize("kw", [dict(), dict(num_layers=3, bidirectional=True), dict(bias=False, num_layers=2),
                                dict(bias=False, bidirectional=True)])
def test_parameter_names_shapes_and_all_weights_are_torchs(kw):
    t = TN.RNN(5, 7, **kw)
    m = R.RNN(5, 7, **kw)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    assert list(m.state_dict().keys()) == list(t.state_dict().keys())
    assert [[tuple(p.shape) for p in ws] for ws in m.all_weights] == \
        [[tuple(p.shape) for p in ws] for ws in t.all_weights]
    for name in ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                 "bidirectional", "proj_size", "nonlinearity"]:
        assert getattr(m, name) == getattr(t, name), name
    assert type(m.dropout) is float


def test_cell_parameter_names_and_attributes_are_torchs():
    for kw in [dict(), dict(bias=False, nonlinearity="relu")]:
        t, m = TN.RNNCell(5, 7, **kw), R.RNNCell(5, 7, **kw)
        assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in t.named_parameters()]
        for name in ["input_size", "hidden_size", "bias", "nonlinearity"]:
            assert getattr(m, name) == getattr(t, name)
        if not kw.get("bias", True):
            assert m.bias_ih is None and m.bias_hh is None


def test_mytorch_state_dict_loads_into_torch():
    manual_seed(3)
    m = R.RNN(3, 4, num_layers=2, bidirectional=True, dtype=float64)
    t = TN.RNN(3, 4, num_layers=2, bidirectional=True, dtype=torch.float64)
    t.load_state_dict({k: torch.tensor(arr(v)) for k, v in m.state_dict().items()}, strict=True)
    x = np.random.default_rng(11).standard_normal((5, 2, 3))
    om, hm = m(tensor(x))
    ot, ht = t(torch.tensor(x))
    close(om, ot); close(hm, ht)


@pytest.mark.parametrize("kind,args,kw", [
    ("RNN", (10, 20), {}),
    ("RNN", (10, 20, 2), dict(nonlinearity="relu", bias=False, batch_first=True, dropout=0.5,
                             bidirectional=True)),
    ("RNN", (3, 4), dict(num_layers=3, dropout=0.25)),
    ("RNN", (3, 4), dict(nonlinearity="relu")),
    ("RNNCell", (10, 20), {}),
    ("RNNCell", (10, 20), dict(bias=False, nonlinearity="relu")),
    ("RNNCell", (10, 20), dict(nonlinearity="tanh")),
])
def test_repr_is_torchs(kind, args, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert repr(getattr(R, kind)(*args, **kw)) == repr(getattr(TN, kind)(*args, **kw))


def test_rnnbase_is_constructible_and_prints_as_torchs():
    for mode, gates in [("RNN_TANH", 1), ("RNN_RELU", 1), ("LSTM", 4), ("GRU", 3)]:
        m, t = R.RNNBase(mode, 3, 4, num_layers=2), TN.RNNBase(mode, 3, 4, num_layers=2)
        assert repr(m) == repr(t)
        assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in t.named_parameters()]
        assert m.weight_ih_l0.shape == (gates * 4, 3)


def test_positional_arguments_follow_torch():
    "RNN(input_size, hidden_size, num_layers, nonlinearity, bias, batch_first, dropout, bidirectional)."
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        args = (3, 4, 2, "relu", False, True, 0.5, True)
        assert repr(R.RNN(*args)) == repr(TN.RNN(*args))
        assert repr(R.RNNCell(3, 4, False, "relu")) == repr(TN.RNNCell(3, 4, False, "relu"))


# ------------------------------------------------------------------------------------------- init, dtype, device
@pytest.mark.parametrize("kind", ["RNN", "RNNCell"])
def test_default_init_is_uniform_in_one_over_sqrt_hidden(kind):
    manual_seed(0)
    H = 64
    m = getattr(R, kind)(200, H) if kind == "RNNCell" else R.RNN(200, H, num_layers=2)
    b = 1 / np.sqrt(H)
    for name, p in m.named_parameters():
        a = arr(p)
        assert p.dtype == float32, name
        assert np.abs(a).max() <= b, name
        if a.size > 1000: assert np.abs(a).max() > 0.99 * b, name      # and it fills the interval
    w = arr(m.weight_ih if kind == "RNNCell" else m.weight_ih_l0)
    assert abs(w.var() - b * b / 3) < 0.05 * b * b / 3
    assert abs(w.mean()) < 0.02 * b


def test_dtype_device_and_conversion():
    m = R.RNN(3, 4, dtype=float64)
    assert all(p.dtype == float64 for p in m.parameters())
    R.RNN(3, 4, device="cpu"); R.RNNCell(3, 4, device="cpu")
    for f in (lambda: R.RNN(3, 4, device="cuda"), lambda: R.RNNCell(3, 4, device="cuda")):
        assert isinstance(error_of(f), RuntimeError)
    m = R.RNN(3, 4).double()
    out, h = m(tensor(np.ones((2, 1, 3))))
    assert out.dtype == float64 and h.dtype == float64
    m.flatten_parameters()                                   # accepted, as torch's on the CPU


# ------------------------------------------------------------------------------------------- dropout
def test_dropout_acts_between_layers_in_training_only():
    manual_seed(0)
    m = R.RNN(3, 8, num_layers=2, dropout=0.5, dtype=float64)
    ref = R.RNN(3, 8, num_layers=2, dtype=float64)
    ref.load_state_dict(m.state_dict())
    x = tensor(np.random.default_rng(12).standard_normal((6, 4, 3)))
    assert np.array_equal(arr(m.eval()(x)[0]), arr(ref(x)[0]))
    m.train()
    out, h = m(x)
    assert not np.allclose(arr(out), arr(ref(x)[0]))
    assert (arr(out) != 0).all()                               # not applied after the last layer
    np.testing.assert_array_equal(arr(h)[1], arr(out)[-1])     # h_n is the undropped last state
    # the first layer is untouched by dropout: its h_n is the reference's
    np.testing.assert_allclose(arr(h)[0], arr(ref(x)[1])[0], rtol=1e-12, atol=1e-14)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = R.RNN(3, 8, dropout=0.5, dtype=float64)           # one layer: nothing to drop
    ref1 = R.RNN(3, 8, dtype=float64); ref1.load_state_dict(one.state_dict())
    assert np.array_equal(arr(one.train()(x)[0]), arr(ref1(x)[0]))


def test_dropout_with_one_layer_warns_as_torch():
    with warnings.catch_warnings(record=True) as mine:
        warnings.simplefilter("always")
        R.RNN(3, 4, dropout=0.5)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        TN.RNN(3, 4, dropout=0.5)
    assert [w.category for w in mine] == [w.category for w in theirs] == [UserWarning]
    assert str(mine[0].message) == str(theirs[0].message)
    assert mine[0].filename == __file__                        # points at the caller's line


# ------------------------------------------------------------------------------------------- errors
def both(kind, *args, **kw):
    "The mytorch and torch constructors of `kind` with these arguments, warnings silenced."
    def make(lib):
        def f():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return getattr(lib, kind)(*args, **kw)
        return f
    return make(R), make(TN)


@pytest.mark.parametrize("kind,args,kw", [
    ("RNN", (3, 4), dict(dropout=1.5)),
    ("RNN", (3, 4), dict(dropout=-0.1)),
    ("RNN", (3, 4), dict(dropout=True)),
    ("RNN", (3, 4), dict(dropout="0.5")),
    ("RNN", (3, 4), dict(bias=1)),
    ("RNN", (3, 4), dict(batch_first=None)),
    ("RNN", (3.0, 4), {}),
    ("RNN", (3, 4.0), {}),
    ("RNN", (0, 4), {}),
    ("RNN", (3, 0), {}),
    ("RNN", (3, 4), dict(num_layers=0)),
    ("RNN", (3, 4), dict(nonlinearity="sigmoid")),
    ("RNN", (3, 4), dict(proj_size=2)),
    ("RNNBase", ("XYZ", 3, 4), {}),
    ("RNNBase", ("LSTM", 3, 4), dict(proj_size=4)),
    ("RNNBase", ("LSTM", 3, 4), dict(proj_size=-1)),
])
def test_constructor_errors_are_torchs(kind, args, kw):
    same_error(*both(kind, *args, **kw))


def test_proj_size_is_not_implemented():
    e = error_of(lambda: R.RNNBase("LSTM", 3, 4, proj_size=2))
    assert isinstance(e, NotImplementedError) and "proj_size" in str(e)
    assert torch.nn.RNNBase("LSTM", 3, 4, proj_size=2).proj_size == 2     # torch has it


def test_rnncell_nonlinearity_is_checked_at_construction():
    "A deliberate difference: torch accepts the string and raises RuntimeError at the first call."
    e = error_of(lambda: R.RNNCell(3, 4, nonlinearity="sigmoid"))
    assert isinstance(e, ValueError) and "Select from 'tanh' or 'relu'" in str(e)
    t = TN.RNNCell(3, 4, nonlinearity="sigmoid")
    assert isinstance(error_of(lambda: t(torch.zeros(1, 3))), RuntimeError)


def forward_errors(m, t, x_shape, hx_shape=None, x_dtype="float64", hx_dtype="float64"):
    "Call both modules with zero tensors of these shapes and dtypes."
    def call(lib, mod):
        def f():
            if lib == "m":
                x = tensor(np.zeros(x_shape), dtype=DT[x_dtype][0])
                h = None if hx_shape is None else tensor(np.zeros(hx_shape), dtype=DT[hx_dtype][0])
            else:
                x = torch.zeros(x_shape, dtype=DT[x_dtype][1])
                h = None if hx_shape is None else torch.zeros(hx_shape, dtype=DT[hx_dtype][1])
            return mod(x, h)
        return f
    return call("m", m), call("t", t)


@pytest.mark.parametrize("kw,x_shape,hx_shape,words", [
    (dict(), (5, 2, 4), None, ["expected (L, N, 3)", "batch_first=False"]),   # feature size
    (dict(batch_first=True), (2, 5, 4), None, ["expected (N, L, 3)", "batch_first=True"]),
    (dict(), (5, 4), None, ["(L, 3) unbatched"]),                              # unbatched, wrong size
    (dict(), (5, 2, 3, 1), None, ["2D or 3D", "expected (L, N, 3)"]),         # rank
    (dict(), (3,), None, ["2D or 3D"]),
    (dict(num_layers=2), (5, 2, 3), (2, 4), ["3-D", "(2, 2, 4)"]),             # hx rank, batched
    (dict(num_layers=2), (5, 3), (2, 1, 4), ["2-D", "(2, 4)"]),                # hx rank, unbatched
    (dict(num_layers=2), (5, 2, 3), (1, 2, 4), ["(2, 2, 4)"]),                 # hx layers
    (dict(num_layers=2), (5, 2, 3), (2, 3, 4), ["(2, 2, 4)"]),                 # hx batch
    (dict(num_layers=2), (5, 2, 3), (2, 2, 5), ["(2, 2, 4)"]),                 # hx size
    (dict(bidirectional=True), (5, 2, 3), (1, 2, 4), ["(2, 2, 4)"]),           # directions
    (dict(batch_first=True), (2, 5, 3), (2, 1, 4), ["(1, 2, 4)", "batch_first applies"]),  # hx is not batch-first
    (dict(), (5, 3), (2, 4), ["(1, 4)"]),                                      # unbatched hx size
    (dict(), (0, 2, 3), None, ["(0, 2, 3)"]),                                  # empty sequence
])
def test_forward_errors_are_torchs_and_name_the_expected_shape(kw, x_shape, hx_shape, words):
    m, t = pair("RNN", 3, 4, **kw)
    e = same_error(*forward_errors(m, t, x_shape, hx_shape))
    for w in words:
        assert w in str(e), f"{w!r} not in: {e}"


def test_dtype_mismatch_errors():
    m, t = pair("RNN", 3, 4)
    e = same_error(*forward_errors(m, t, (5, 2, 3), x_dtype="float32"), message=False)
    assert "does not match weight dtype" in str(e) and "float32" in str(e)
    e = error_of(forward_errors(m, t, (5, 2, 3), (1, 2, 4), hx_dtype="float32")[0])
    assert isinstance(e, RuntimeError) and "float32" in str(e)
    assert isinstance(error_of(forward_errors(m, t, (5, 2, 3), (1, 2, 4), hx_dtype="float32")[1]), RuntimeError)


def test_non_tensor_input_raises_type_error():
    m = R.RNN(3, 4)
    for bad in ([[1.0, 2.0, 3.0]], np.zeros((5, 2, 3))):
        assert isinstance(error_of(lambda: m(bad)), TypeError)
    assert isinstance(error_of(lambda: m(tensor(np.zeros((5, 2, 3)), dtype=float32), [1.0])), TypeError)
    assert isinstance(error_of(lambda: R.RNNCell(3, 4)([1.0, 2.0, 3.0])), TypeError)


@pytest.mark.parametrize("x_shape,hx_shape", [
    ((4, 5), None),                 # input size
    ((4, 3, 1), None),              # input rank (ValueError)
    ((4, 3), (2, 4)),               # batch mismatch
    ((4, 3), (4, 6)),               # hidden size
    ((4, 3), (4, 4, 1)),            # hx rank (ValueError)
    ((3,), (1, 4)),                 # unbatched input, 2-D hx
    ((3,), (5,)),                   # unbatched hidden size
])
def test_rnncell_errors_are_torchs(x_shape, hx_shape):
    m, t = pair("RNNCell", 3, 4)
    # torch's message for an unbatched input with a 2-D hx is about its own unsqueeze: compare the type only
    same_error(*forward_errors(m, t, x_shape, hx_shape), message=hx_shape != (1, 4))


def test_rnncell_batched_input_with_1d_state_is_a_runtime_error():
    "torch raises RuntimeError or IndexError here, depending on whether hidden_size equals the batch size."
    m, t = pair("RNNCell", 3, 4)
    for n in (4, 2):
        e = error_of(forward_errors(m, t, (n, 3), (4,))[0])
        assert isinstance(e, RuntimeError) and f"({n}, 4)" in str(e) and "batched" in str(e)
    assert isinstance(error_of(forward_errors(m, t, (4, 3), (4,))[1]), IndexError)
    assert isinstance(error_of(forward_errors(m, t, (2, 3), (4,))[1]), RuntimeError)


def test_rnncell_dtype_mismatch_is_a_runtime_error_naming_both_dtypes():
    m, t = pair("RNNCell", 3, 4)
    for xd, hd in [("float32", "float64"), ("float64", "float32")]:
        e = same_error(*forward_errors(m, t, (2, 3), (2, 4), x_dtype=xd, hx_dtype=hd), message=False)
        assert "float32" in str(e) and "float64" in str(e)


# ------------------------------------------------------------------------------------------- the override contract
class PairRNN(R.RNN):
    "An RNN whose state is a tuple (h, 2h), as LSTM's (h, c) is a tuple: exercises forward's tuple handling."
    def _zero_state(self, batch_size, dtype):
        h = super()._zero_state(batch_size, dtype)
        return (h, h * 2)

    def _check_hx(self, hx, batch_size, is_batched):
        assert isinstance(hx, tuple) and len(hx) == 2
        return tuple(self.check_state(t, f"hx[{i}]", batch_size, is_batched) for i, t in enumerate(hx))

    def _run_layer(self, layer, x, state):
        h, c = state
        out, h = super()._run_layer(layer, x, h)
        return out, (h, c + 2 * h)


@pytest.mark.parametrize("kw,unbatched", [(dict(), False), (dict(num_layers=2, bidirectional=True), False),
                                          (dict(num_layers=2, batch_first=True), True)])
def test_a_subclass_with_a_tuple_state_goes_through_forward(kw, unbatched):
    manual_seed(4)
    m = PairRNN(3, 4, dtype=float64, **kw)
    ref = R.RNN(3, 4, dtype=float64, **kw)
    ref.load_state_dict(m.state_dict())
    LD = m.num_layers * (2 if m.bidirectional else 1)
    rng = np.random.default_rng(13)
    x = tensor(rng.standard_normal((5, 3) if unbatched else (2, 5, 3) if m.batch_first else (5, 2, 3)))
    out, (h_n, c_n) = m(x)
    out_r, h_r = ref(x)
    np.testing.assert_array_equal(arr(out), arr(out_r))
    np.testing.assert_array_equal(arr(h_n), arr(h_r))
    np.testing.assert_allclose(arr(c_n), 2 * arr(h_r), rtol=1e-15)
    assert tuple(c_n.shape) == ((LD, 4) if unbatched else (LD, 2, 4))
    hs = rng.standard_normal((LD, 4) if unbatched else (LD, 2, 4))
    h0, c0 = tensor(hs), tensor(hs * 3)
    out, (h_n, c_n) = m(x, (h0, c0))
    out_r, h_r = ref(x, tensor(hs))
    np.testing.assert_array_equal(arr(out), arr(out_r))
    np.testing.assert_allclose(arr(c_n), 3 * hs + 2 * arr(h_r), rtol=1e-12)
    e = error_of(lambda: m(x, (h0, tensor(np.zeros((LD + 1, 4) if unbatched else (LD + 1, 2, 4))))))
    assert isinstance(e, RuntimeError) and "hx[1]" in str(e)


def test_layer_weights_hand_each_layer_and_direction_its_parameters():
    m = R.RNN(3, 4, num_layers=2, bidirectional=True)
    lw = m.layer_weights(1, 1)
    assert isinstance(lw, R.LayerWeights)
    assert lw.w_ih is m.weight_ih_l1_reverse and lw.w_hh is m.weight_hh_l1_reverse
    assert lw.b_ih is m.bias_ih_l1_reverse and lw.b_hh is m.bias_hh_l1_reverse
    assert lw.w_ih.shape == (4, 8)
    nb = R.RNN(3, 4, bias=False).layer_weights(0)
    assert nb.b_ih is None and nb.b_hh is None


def test_rnnbase_without_the_hooks_raises_not_implemented():
    m = R.RNNBase("GRU", 3, 4)
    x = tensor(np.zeros((5, 2, 3)), dtype=float32)
    for hx in (None, zeros(1, 2, 4)):
        e = error_of(lambda: m(x, hx))
        assert isinstance(e, NotImplementedError) and "help(RNNBase)" in str(e)
    e = error_of(lambda: m._run_layer(m.layer_weights(0), x, zeros(2, 4)))
    assert isinstance(e, NotImplementedError) and "_run_layer" in str(e)


# ------------------------------------------------------------------------------------------- public names
@pytest.mark.parametrize("name", ["RNNBase", "RNN", "RNNCellBase", "RNNCell"])
def test_public_names_exist_in_torch_nn(name):
    assert name in R.__all__
    assert hasattr(torch.nn, name)
    assert issubclass(getattr(R, name), R.Module if hasattr(R, "Module") else object)
