"""Tests for nbs/09c_conv_layers.ipynb (mytorch/nn/conv_layers.py), against PyTorch 2.13 as the oracle.

* every layer against torch's, the same parameters and buffers copied in through `load_state_dict` (so loading
  a converted torch `state_dict` is exercised everywhere): output (shape, dtype, values), grad_fn name, input
  gradient and parameter gradients, float32 and float64; hypothesis over the convolutions' options (channels,
  kernel, stride, padding as ints/tuples/'same'/'valid', dilation, groups, bias, unbatched input,
  output_padding) and the pooling layers' options;
* the padding modes 'reflect', 'replicate', 'circular' (mytorch pads by an index gather), in the hypothesis
  cases and at their size limits, with torch's errors beyond them;
* gradcheck (float64) through each convolution layer, input and parameters;
* BatchNorm1d/2d: outputs, gradients, running_mean, running_var and num_batches_tracked over several training
  steps and then in eval mode, against torch, for momentum 0.1 / 0.3 / None, affine and track_running_stats on
  and off, 2-D and 3-D input for BatchNorm1d; reset_running_stats; `.to()` keeps the counter int64;
* LayerNorm and GroupNorm (options, train = eval), Dropout1d/2d (whole channels, rate, eval identity);
* default initialisation: bounds exactly +-1/sqrt(fan_in) (fan_in from weight.shape[1] * kernel area, also for
  ConvTranspose2d), distributions against torch's draws (two-sample Kolmogorov-Smirnov), norms ones/zeros;
* repr, state_dict keys, parameter and buffer names equal to torch's; a torch CNN's state_dict converted
  through NumPy loads, and both models then agree in training (outputs and updated buffers) and in eval; and
  the other way round, mytorch's state_dict loads strictly into torch's model;
* errors: option checks with torch's exception type and message (prefix: ours adds the values and a hint), bad
  input with torch's exception type and a message naming the layer; ConvTranspose2d's output_size;
* the dtype= and device= arguments (CPU only);
* the public names, each also in torch.nn.

Tolerances: outputs float64 rtol 1e-10 / atol 1e-12, float32 rtol = atol = 2e-5 (conftest's TOL); gradients
float64 1e-8 / 1e-10, float32 1e-4 (conftest's GRAD_TOL), except where a comment says otherwise."""
import math
import types
import warnings

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings, strategies as st

import mytorch.nn.conv_layers as L
from conftest import GRAD_TOL, TOL, error_of, same_error
from mytorch._tensor import float32, float64, int64, manual_seed, tensor
from mytorch.autograd.function import no_grad
from mytorch.autograd.gradcheck import gradcheck
from mytorch.nn.layers import Flatten, Linear, ReLU
from mytorch.nn.module import Sequential

TN = torch.nn
DT = {"float32": (float32, torch.float32), "float64": (float64, torch.float64)}
NAMES = ["Conv1d", "Conv2d", "ConvTranspose2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d",
         "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm",
         "Dropout1d", "Dropout2d"]
NN = types.SimpleNamespace(**{n: getattr(L, n) for n in NAMES}, Sequential=Sequential, ReLU=ReLU,
                           Flatten=Flatten, Linear=Linear)
FAST = settings(max_examples=25, deadline=None)
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")


def arr(t):
    "A mytorch or torch tensor as a NumPy array."
    if isinstance(t, torch.Tensor): return t.detach().numpy()
    return np.asarray(t.detach().array)


def to_mytorch_state(theirs):
    "torch state_dict -> mytorch tensors, through NumPy (the way a user moves a model across)."
    return {k: tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()}


def twins(factory, dtype):
    "(mine, theirs): factory(NN) and factory(torch.nn) in `dtype`, torch's parameters and buffers loaded."
    md, td = DT[dtype]
    theirs = factory(TN).to(td)
    mine = factory(NN).to(md)
    result = mine.load_state_dict(to_mytorch_state(theirs))
    assert not result.missing_keys and not result.unexpected_keys
    return mine, theirs


def check_close(m, t, dtype, what, grad=False):
    tol = (GRAD_TOL if grad else TOL)[dtype]
    assert arr(m).shape == arr(t).shape, f"{what}: shape {arr(m).shape} vs torch {arr(t).shape}"
    np.testing.assert_allclose(arr(m), arr(t), err_msg=what, **tol)


def compare(mine, theirs, x, dtype, seed=0, grad_fn=True, **call):
    """Forward the array x through both (x requires grad), compare output, dtype, grad_fn name; backward the same
    random gradient and compare the input's and every parameter's gradient. Returns the two outputs."""
    md, td = DT[dtype]
    xm = tensor(x, dtype=md, requires_grad=True)
    xt = torch.tensor(x, dtype=td, requires_grad=True)
    out_m, out_t = mine(xm, **call), theirs(xt, **call)
    if isinstance(out_t, tuple):                           # (values, indices)
        np.testing.assert_array_equal(arr(out_m[1]), arr(out_t[1]), err_msg="indices")
        assert str(out_m[1].dtype) == "int64"
        out_m, out_t = out_m[0], out_t[0]
    check_close(out_m, out_t, dtype, "output")
    assert str(out_m.dtype) == dtype
    if grad_fn:
        assert out_m.grad_fn.name() == type(out_t.grad_fn).__name__
    g = np.random.default_rng(seed).normal(size=tuple(out_t.shape))
    out_m.backward(tensor(g, dtype=md))
    out_t.backward(torch.tensor(g, dtype=td))
    check_close(xm.grad, xt.grad, dtype, "input gradient", grad=True)
    ours = dict(mine.named_parameters())
    for name, p in theirs.named_parameters():
        check_close(ours[name].grad, p.grad, dtype, f"gradient of {name}", grad=True)
    return out_m, out_t


def normal(shape, seed=1, scale=1.0, shift=0.0):
    return np.random.default_rng(seed).normal(size=shape) * scale + shift


# ----------------------------------------------------------------------------------------- names
def test_public_names():
    assert sorted(L.__all__) == sorted(NAMES)
    for n in NAMES:
        assert isinstance(getattr(L, n), type) and hasattr(TN, n), n


# ----------------------------------------------------------------------------------------- convolutions
@st.composite
def conv_cases(draw, dims):
    "(constructor kwargs, input shape) for Conv1d (dims=1) or Conv2d (dims=2) with a valid input size."
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 3))
    k = tuple(draw(st.integers(1, 4)) for _ in range(dims))
    square = dims == 2 and draw(st.booleans())            # kernel_size given as an int
    if square: k = (k[0], k[0])
    stride = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    choices = [st.tuples(*[st.integers(0, 2)] * dims), st.just("valid")]
    if all(s == 1 for s in stride): choices.append(st.just("same"))
    padding = draw(st.one_of(*choices))
    pad = (0,) * dims if isinstance(padding, str) else padding
    size = tuple(draw(st.integers(max(1, d * (kk - 1) + 1 - 2 * p), d * (kk - 1) + 7))
                 for kk, d, p in zip(k, dilation, pad))
    mode = draw(st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"]))
    if padding == "same": pads = [(d * (kk - 1) // 2, d * (kk - 1) - d * (kk - 1) // 2) for kk, d in zip(k, dilation)]
    else: pads = [(p, p) for p in pad]
    if mode == "reflect": assume(all(max(b) < n for b, n in zip(pads, size)))
    if mode == "circular": assume(all(max(b) <= n for b, n in zip(pads, size)))
    kw = dict(in_channels=cin, out_channels=cout, kernel_size=k[0] if square else k,
              stride=stride, padding=padding, dilation=dilation, groups=groups, bias=draw(st.booleans()),
              padding_mode=mode)
    shape = ((draw(st.integers(1, 3)),) if draw(st.booleans()) else ()) + (cin,) + size
    return kw, shape


@FAST
@given(case=conv_cases(2), dtype=st.sampled_from(["float32", "float64"]))
def test_conv2d_matches_torch(case, dtype):
    kw, shape = case
    mine, theirs = twins(lambda nn: nn.Conv2d(**kw), dtype)
    assert repr(mine) == repr(theirs)
    compare(mine, theirs, normal(shape), dtype)


@FAST
@given(case=conv_cases(1), dtype=st.sampled_from(["float32", "float64"]))
def test_conv1d_matches_torch(case, dtype):
    kw, shape = case
    mine, theirs = twins(lambda nn: nn.Conv1d(**kw), dtype)
    assert repr(mine) == repr(theirs)
    compare(mine, theirs, normal(shape), dtype)


@st.composite
def conv_transpose_cases(draw):
    groups = draw(st.sampled_from([1, 1, 2]))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 3))
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    size = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    out = [(h - 1) * s - 2 * p + d * (kk - 1) + op + 1
           for h, s, p, d, kk, op in zip(size, stride, padding, dilation, k, output_padding)]
    assume(min(out) >= 1)
    kw = dict(in_channels=cin, out_channels=cout, kernel_size=k, stride=stride, padding=padding,
              output_padding=output_padding, groups=groups, bias=draw(st.booleans()), dilation=dilation)
    shape = ((draw(st.integers(1, 3)),) if draw(st.booleans()) else ()) + (cin,) + size
    return kw, shape


@FAST
@given(case=conv_transpose_cases(), dtype=st.sampled_from(["float32", "float64"]))
def test_conv_transpose2d_matches_torch(case, dtype):
    kw, shape = case
    mine, theirs = twins(lambda nn: nn.ConvTranspose2d(**kw), dtype)
    assert repr(mine) == repr(theirs)
    compare(mine, theirs, normal(shape), dtype)


@pytest.mark.parametrize("output_size,shape", [((28, 28), (2, 8, 14, 14)), ([28, 27], (2, 8, 14, 14)),
                                               ([2, 3, 27, 28], (2, 8, 14, 14)), ((27, 27), (2, 8, 14, 14)),
                                               ([3, 28, 27], (8, 14, 14)), ((28, 28), (8, 14, 14))])
def test_conv_transpose2d_output_size(output_size, shape):
    mine, theirs = twins(lambda nn: nn.ConvTranspose2d(8, 3, 3, stride=2, padding=1), "float64")
    compare(mine, theirs, normal(shape), "float64", output_size=output_size)


def test_conv_transpose2d_output_size_errors():
    mine, theirs = twins(lambda nn: nn.ConvTranspose2d(8, 3, 3, stride=2, padding=1), "float32")
    xm, xt = tensor(normal((2, 8, 14, 14)), dtype=float32), torch.randn(2, 8, 14, 14)
    e = same_error(lambda: mine(xm, output_size=(30, 30)), lambda: theirs(xt, output_size=(30, 30)),
                   message=False)
    assert str(e).startswith("requested an output size of [30, 30], but valid sizes range from [27, 27] to "
                              "[28, 28] (for an input of [14, 14])")
    same_error(lambda: mine(xm, output_size=(1, 28, 28)), lambda: theirs(xt, output_size=(1, 28, 28)),
               exact=True)


@pytest.mark.parametrize("make", [
    lambda nn: nn.Conv2d(4, 6, (2, 3), stride=(2, 1), padding=1, dilation=(1, 2), groups=2),
    lambda nn: nn.Conv2d(2, 3, 3, padding="same", bias=False),
    lambda nn: nn.Conv1d(4, 2, 3, stride=2, padding=2, groups=2),
    lambda nn: nn.Conv2d(2, 2, 3, padding=(2, 1), padding_mode="reflect"),
    lambda nn: nn.Conv1d(2, 2, 2, padding="same", padding_mode="circular"),
    lambda nn: nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, groups=2)])
def test_conv_layers_gradcheck(make):
    "The layer's input, weight and bias gradients by finite differences, through the layer's own forward."
    manual_seed(0)
    layer = make(NN).to(float64)
    names = [n for n, _ in layer.named_parameters()]
    shape = (1, layer.in_channels) + (4,) * len(layer.kernel_size)
    x = tensor(normal(shape, seed=3), dtype=float64, requires_grad=True)

    def through_layer(x, *params):                         # gradcheck's copies stand in for the parameters
        for n, p in zip(names, params): layer._parameters[n] = p
        return layer(x)
    assert gradcheck(through_layer, [x, *layer.parameters()])


def test_conv_unbatched_equals_batched():
    manual_seed(0)
    for layer, shape in [(L.Conv2d(3, 4, 3, padding=1), (3, 7, 6)), (L.Conv1d(3, 4, 3), (3, 9)),
                         (L.ConvTranspose2d(3, 4, 3, stride=2), (3, 4, 5))]:
        x = tensor(normal(shape), dtype=float32)
        np.testing.assert_allclose(arr(layer(x)), arr(layer(x[None]))[0], rtol=1e-6, atol=1e-6)


# ----------------------------------------------------------------------------------------- default init
def ks_statistic(a, b):
    "Two-sample Kolmogorov-Smirnov statistic."
    a, b = np.sort(np.ravel(a)), np.sort(np.ravel(b))
    grid = np.concatenate([a, b])
    return np.abs(np.searchsorted(a, grid, "right") / a.size - np.searchsorted(b, grid, "right") / b.size).max()


def ks_critical(n, m, alpha=1e-4):
    return math.sqrt(-math.log(alpha / 2) / 2) * math.sqrt((n + m) / (n * m))


@pytest.mark.parametrize("make,fan_in", [
    (lambda nn: nn.Conv2d(16, 32, 3), 16 * 9), (lambda nn: nn.Conv2d(4, 3000, 2), 16),
    (lambda nn: nn.Conv2d(6, 12, (3, 5), groups=3), 2 * 15), (lambda nn: nn.Conv1d(5, 2000, 4), 20),
    (lambda nn: nn.ConvTranspose2d(4, 2000, 3), 2000 * 9),
    (lambda nn: nn.ConvTranspose2d(3000, 4, 2, groups=2), 2 * 4)])
def test_conv_default_init(make, fan_in):
    manual_seed(0); torch.manual_seed(0)
    mine, theirs = make(NN), make(TN)
    bound = 1 / math.sqrt(fan_in)
    for name in ("weight", "bias"):
        a, b = arr(getattr(mine, name)), arr(getattr(theirs, name))
        assert a.dtype == np.float32 and a.shape == b.shape, name
        assert np.abs(a).max() <= np.float32(bound), name              # the bound, exactly
        assert np.abs(b).max() <= np.float32(bound), name              # (the fan_in above is torch's too)
        if a.size >= 1000:
            assert np.abs(a).max() > 0.99 * bound                      # and it fills the interval
            assert ks_statistic(a, b) < ks_critical(a.size, b.size), name
            assert abs(a.var() - bound ** 2 / 3) < 0.06 * bound ** 2 / 3


def test_conv_init_seeded_and_reset():
    manual_seed(3); a = arr(L.Conv2d(3, 4, 3).weight)
    manual_seed(3); b = arr(L.Conv2d(3, 4, 3).weight)
    np.testing.assert_array_equal(a, b)
    c = L.Conv2d(3, 4, 3, dtype=float64)
    assert c.weight.dtype == float64 and c.bias.dtype == float64
    with no_grad(): c.weight.fill_(7.0)
    c.reset_parameters()
    assert np.abs(arr(c.weight)).max() <= 1 / math.sqrt(27)


@pytest.mark.parametrize("make", [lambda nn: nn.BatchNorm1d(5), lambda nn: nn.BatchNorm2d(5),
                                  lambda nn: nn.LayerNorm((5, 2)), lambda nn: nn.GroupNorm(5, 5)])
def test_norm_default_init(make):
    mine, theirs = make(NN), make(TN)
    for name, t in theirs.state_dict().items():
        m = mine.state_dict()[name]
        np.testing.assert_array_equal(arr(m), arr(t), err_msg=name)
        assert str(m.dtype) == str(t.dtype).replace("torch.", ""), name


# ----------------------------------------------------------------------------------------- pooling
@st.composite
def pool_cases(draw):
    kind = draw(st.sampled_from(["max", "avg", "max1d", "avg1d"]))
    dims = 1 if kind.endswith("1d") else 2
    k = tuple(draw(st.integers(1, 4)) for _ in range(dims))
    stride = draw(st.one_of(st.none(), st.tuples(*[st.integers(1, 3)] * dims)))
    padding = tuple(draw(st.integers(0, kk // 2)) for kk in k)
    kw = dict(kernel_size=k if dims == 1 or draw(st.booleans()) else k[0], stride=stride,
              padding=padding if draw(st.booleans()) else padding[0], ceil_mode=draw(st.booleans()))
    if dims == 2 and not isinstance(kw["kernel_size"], tuple): k = (k[0], k[0])
    if not isinstance(kw["padding"], tuple): padding = (padding[0],) * dims
    assume(all(p <= kk // 2 for p, kk in zip(padding, k)))
    if kind.startswith("max"):
        kw["dilation"] = draw(st.integers(1, 2))
        kw["return_indices"] = draw(st.booleans())
        eff = [kw["dilation"] * (kk - 1) + 1 for kk in k]
    else:
        kw["count_include_pad"] = draw(st.booleans())
        if kind == "avg": kw["divisor_override"] = draw(st.sampled_from([None, None, 3]))
        eff = list(k)
    size = tuple(draw(st.integers(max(1, e - 2 * p), e + 6)) for e, p in zip(eff, padding))
    shape = ((draw(st.integers(1, 2)),) if draw(st.booleans()) else ()) + (draw(st.integers(1, 3)),) + size
    name = {"max": "MaxPool2d", "avg": "AvgPool2d", "max1d": "MaxPool1d", "avg1d": "AvgPool1d"}[kind]
    return name, kw, shape


@FAST
@given(case=pool_cases(), dtype=st.sampled_from(["float32", "float64"]))
def test_pooling_matches_torch(case, dtype):
    name, kw, shape = case
    mine, theirs = twins(lambda nn: getattr(nn, name)(**kw), dtype)
    assert repr(mine) == repr(theirs)
    x = np.random.default_rng(2).permutation(np.prod(shape)).reshape(shape) / 7.0   # no ties
    try:
        compare(mine, theirs, x, dtype)
    except RuntimeError:                                   # torch refuses some ceil_mode/padding combinations
        assert error_of(lambda: theirs(torch.tensor(x))) is not None
        same_error(lambda: mine(tensor(x, dtype=DT[dtype][0])), lambda: theirs(torch.tensor(x, dtype=DT[dtype][1])),
                   message=False)


ADAPTIVE = [("AdaptiveAvgPool2d", 1, (2, 3, 7, 5), {}), ("AdaptiveAvgPool2d", (3, 2), (2, 3, 7, 5), {}),
            ("AdaptiveAvgPool2d", (None, 2), (3, 7, 5), {}), ("AdaptiveAvgPool2d", 4, (1, 2, 4, 4), {}),
            ("AdaptiveMaxPool2d", 1, (2, 3, 7, 5), {}), ("AdaptiveMaxPool2d", (3, 2), (2, 3, 7, 5), {}),
            ("AdaptiveMaxPool2d", (2, None), (3, 6, 5), {}),
            ("AdaptiveMaxPool2d", (3, 2), (2, 3, 7, 5), dict(return_indices=True)),
            ("AdaptiveMaxPool2d", 2, (3, 6, 5), dict(return_indices=True))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,output_size,shape,kw", ADAPTIVE)
def test_adaptive_pooling_matches_torch(name, output_size, shape, kw, dtype):
    mine, theirs = twins(lambda nn: getattr(nn, name)(output_size, **kw), dtype)
    assert repr(mine) == repr(theirs)
    x = np.random.default_rng(4).permutation(np.prod(shape)).reshape(shape) / 5.0
    compare(mine, theirs, x, dtype)


# ----------------------------------------------------------------------------------------- BatchNorm
BN_CASES = {
    "2d": (lambda nn: nn.BatchNorm2d(3), (4, 3, 5, 6)),
    "2d-momentum": (lambda nn: nn.BatchNorm2d(3, momentum=0.3, eps=1e-3), (4, 3, 5, 6)),
    "2d-cumulative": (lambda nn: nn.BatchNorm2d(3, momentum=None), (4, 3, 5, 6)),
    "2d-no-affine": (lambda nn: nn.BatchNorm2d(3, affine=False), (4, 3, 2, 2)),
    "2d-no-bias": (lambda nn: nn.BatchNorm2d(3, bias=False), (4, 3, 2, 2)),
    "2d-no-stats": (lambda nn: nn.BatchNorm2d(3, track_running_stats=False), (4, 3, 5, 6)),
    "1d": (lambda nn: nn.BatchNorm1d(5), (8, 5)),
    "1d-3d-input": (lambda nn: nn.BatchNorm1d(5), (4, 5, 7)),
    "1d-cumulative": (lambda nn: nn.BatchNorm1d(5, momentum=None, affine=False), (8, 5)),
    "1d-two-samples": (lambda nn: nn.BatchNorm1d(5), (2, 5)),
    "1d-no-stats": (lambda nn: nn.BatchNorm1d(5, track_running_stats=False, affine=False), (6, 5, 3)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(BN_CASES))
def test_batch_norm_trajectory_matches_torch(name, dtype):
    """Five training steps on shifting batches (outputs, gradients, buffers after each), then eval (outputs,
    gradients, buffers untouched), then train again; then reset_running_stats."""
    factory, shape = BN_CASES[name]
    mine, theirs = twins(factory, dtype)
    assert repr(mine) == repr(theirs)
    assert list(mine.state_dict()) == list(theirs.state_dict())
    with torch.no_grad():                                  # non-trivial gamma and beta
        for p in theirs.parameters(): p.copy_(torch.randn(p.shape, generator=torch.Generator().manual_seed(5)))
    mine.load_state_dict(to_mytorch_state(theirs))
    for step in range(7):
        if step == 5: mine.eval(); theirs.eval()
        if step == 6: mine.train(); theirs.train()
        mine.zero_grad(); theirs.zero_grad()
        compare(mine, theirs, normal(shape, seed=step, scale=1 + step, shift=step - 2), dtype, seed=step)
        for key, t in theirs.state_dict().items():
            m = mine.state_dict()[key]
            assert str(m.dtype) == str(t.dtype).replace("torch.", ""), key
            if t.dtype == torch.int64: assert int(m) == int(t), key
            else: check_close(m, t, dtype, f"step {step}: {key}")
    mine.reset_running_stats(); theirs.reset_running_stats()
    for key, t in theirs.state_dict().items():
        np.testing.assert_array_equal(arr(mine.state_dict()[key]), arr(t), err_msg=key)


def test_batch_norm_buffers():
    bn = L.BatchNorm2d(4)
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert bn.num_batches_tracked.shape == () and bn.num_batches_tracked.dtype == int64
    assert not bn.running_mean.requires_grad
    bn.to(float64)
    assert (bn.running_mean.dtype, bn.running_var.dtype, bn.weight.dtype) == (float64,) * 3
    assert bn.num_batches_tracked.dtype == int64
    bn.double(); bn.float()
    assert bn.num_batches_tracked.dtype == int64 and bn.running_var.dtype == float32
    free = L.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert free.weight is None and free.bias is None and free.running_mean is None
    assert free.num_batches_tracked is None and list(free.state_dict()) == []
    assert "weight" in free._parameters and "running_var" in free._buffers   # registered as None, as torch


def test_batch_norm_eval_is_per_sample():
    manual_seed(0)
    bn = L.BatchNorm2d(3)
    for _ in range(3): bn(tensor(normal((8, 3, 4, 4), shift=2), dtype=float32))
    bn.eval()
    x = tensor(normal((5, 3, 4, 4)), dtype=float32)
    np.testing.assert_allclose(arr(bn(x[2:3])), arr(bn(x))[2:3], rtol=1e-6, atol=1e-6)
    assert int(bn.num_batches_tracked) == 3


# ----------------------------------------------------------------------------------------- LayerNorm, GroupNorm
NORM_CASES = {
    "ln": (lambda nn: nn.LayerNorm(6), (4, 6)),
    "ln-2d": (lambda nn: nn.LayerNorm([3, 4], eps=1e-3), (2, 5, 3, 4)),
    "ln-no-affine": (lambda nn: nn.LayerNorm((4,), elementwise_affine=False), (3, 2, 4)),
    "ln-no-bias": (lambda nn: nn.LayerNorm(4, bias=False), (3, 4)),
    "gn": (lambda nn: nn.GroupNorm(2, 6), (3, 6, 4, 5)),
    "gn-1": (lambda nn: nn.GroupNorm(1, 4, eps=1e-3), (2, 4, 3)),
    "gn-instance": (lambda nn: nn.GroupNorm(4, 4, affine=False), (2, 4, 3, 3)),
    "gn-no-bias": (lambda nn: nn.GroupNorm(2, 4, bias=False), (2, 4, 5)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(NORM_CASES))
def test_layer_and_group_norm_match_torch(name, dtype):
    factory, shape = NORM_CASES[name]
    mine, theirs = twins(factory, dtype)
    assert repr(mine) == repr(theirs)
    assert list(mine.state_dict()) == list(theirs.state_dict()) and list(mine.buffers()) == []
    for attr in ("normalized_shape", "eps", "elementwise_affine", "num_groups", "num_channels", "affine"):
        assert getattr(mine, attr, None) == getattr(theirs, attr, None), attr
    with torch.no_grad():
        for p in theirs.parameters(): p.copy_(torch.randn(p.shape, generator=torch.Generator().manual_seed(2)))
    mine.load_state_dict(to_mytorch_state(theirs))
    out_m, _ = compare(mine, theirs, normal(shape, scale=3, shift=1), dtype)
    mine.eval()
    check_close(mine(tensor(normal(shape, scale=3, shift=1), dtype=DT[dtype][0])), out_m, dtype, "eval")


# ----------------------------------------------------------------------------------------- dropout
@pytest.mark.parametrize("cls,shape", [("Dropout2d", (60, 50, 3, 3)), ("Dropout1d", (60, 50, 4)),
                                       ("Dropout1d", (3000, 4))])
def test_channel_dropout(cls, shape):
    manual_seed(0)
    layer = getattr(L, cls)(0.3)
    assert repr(layer) == repr(getattr(TN, cls)(0.3))
    x = tensor(np.ones(shape), dtype=float32, requires_grad=True)
    y = arr(layer(x))
    planes = y.reshape(-1, int(np.prod(shape[-1 if cls == "Dropout1d" else -2:])))   # a row per channel
    assert np.ptp(planes, axis=1).max() == 0                             # whole channels kept or zeroed
    assert abs((planes[:, 0] == 0).mean() - 0.3) < 0.03                  # at the rate p
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.7)}
    layer.eval()
    np.testing.assert_array_equal(arr(layer(x)), arr(x))


def test_dropout_option_errors():
    for cls in ("Dropout1d", "Dropout2d"):
        same_error(lambda: getattr(L, cls)(1.5), lambda: getattr(TN, cls)(1.5), exact=True)


def test_dropout2d_warns_on_3d_input_as_torch():
    with warnings.catch_warnings(record=True) as wm:
        warnings.simplefilter("always")
        L.Dropout2d()(tensor(np.ones((2, 3, 4)), dtype=float32))
    with warnings.catch_warnings(record=True) as wt:
        warnings.simplefilter("always")
        TN.Dropout2d()(torch.ones(2, 3, 4))
    assert [str(w.message) for w in wm] == [str(w.message).split(" (Triggered internally")[0] for w in wt]


# ----------------------------------------------------------------------------------------- repr, state_dict
def _models(nn):
    return [
        nn.Conv2d(1, 8, 3), nn.Conv2d(1, 8, 3, padding="same"), nn.Conv2d(1, 8, 3, padding="valid"),
        nn.Conv2d(3, 8, (3, 5), stride=2, padding=1, dilation=2, bias=False),
        nn.Conv2d(4, 8, 3, groups=4, padding=(0, 0), stride=(1, 2)), nn.Conv1d(2, 4, 3), nn.Conv1d(2, 4, 3, 2, 1, 2),
        nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1), nn.ConvTranspose2d(4, 2, 3, groups=2, dilation=2),
        nn.MaxPool2d(2), nn.MaxPool2d((2, 3), stride=1, padding=1, ceil_mode=True), nn.MaxPool1d(3, 2),
        nn.AvgPool2d(2), nn.AvgPool2d(3, 2, 1, True, False, 2), nn.AvgPool1d(3), nn.AvgPool1d(3, 1, 1),
        nn.AdaptiveAvgPool2d(1), nn.AdaptiveAvgPool2d((1, None)), nn.AdaptiveMaxPool2d(3, return_indices=True),
        nn.BatchNorm1d(4), nn.BatchNorm2d(3, eps=1e-3, momentum=None, affine=False),
        nn.BatchNorm2d(3, track_running_stats=False), nn.BatchNorm2d(3, bias=False),
        nn.LayerNorm(5), nn.LayerNorm([2, 3], elementwise_affine=False), nn.LayerNorm(4, bias=False),
        nn.GroupNorm(2, 4), nn.GroupNorm(1, 3, affine=False), nn.GroupNorm(2, 4, bias=False),
        nn.Dropout2d(), nn.Dropout1d(0.1, inplace=True)]


def test_repr_state_dict_and_attributes_match_torch():
    attrs = ["in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
             "output_padding", "transposed", "padding_mode", "return_indices", "ceil_mode", "count_include_pad",
             "divisor_override", "output_size", "num_features", "eps", "momentum", "affine",
             "track_running_stats", "normalized_shape", "elementwise_affine", "num_groups", "num_channels", "p",
             "inplace"]
    for mine, theirs in zip(_models(NN), _models(TN)):
        assert repr(mine) == repr(theirs)
        assert list(mine.state_dict()) == list(theirs.state_dict()), repr(theirs)
        assert [(n, tuple(p.shape)) for n, p in mine.named_parameters()] == \
               [(n, tuple(p.shape)) for n, p in theirs.named_parameters()], repr(theirs)
        assert [(n, tuple(b.shape)) for n, b in mine.named_buffers()] == \
               [(n, tuple(b.shape)) for n, b in theirs.named_buffers()], repr(theirs)
        for a in attrs:
            assert getattr(mine, a, None) == getattr(theirs, a, None), (repr(theirs), a)
        assert mine.training == theirs.training


def cnn(nn):
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 12, 3, padding="same", groups=4, bias=False), nn.GroupNorm(3, 12), nn.ReLU(),
        nn.AvgPool2d(2), nn.Dropout2d(0.2), nn.Conv2d(12, 6, 1), nn.BatchNorm2d(6, momentum=None), nn.ReLU(),
        nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.LayerNorm(24), nn.Linear(24, 10))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_torch_state_dict_loads_and_models_agree(dtype):
    torch.manual_seed(0)
    md, td = DT[dtype]
    theirs = cnn(TN).to(td)
    for _ in range(2):                                     # move the running statistics away from 0 and 1
        theirs(torch.randn(16, 1, 12, 12, dtype=td) * 3 + 1)
    theirs[8].p = 0.0                                      # Dropout2d off: each library draws its own masks
    mine = cnn(NN).to(md)
    mine[8].p = 0.0
    assert list(mine.state_dict()) == list(theirs.state_dict())
    mine.load_state_dict(to_mytorch_state(theirs))
    assert int(mine[1].num_batches_tracked) == 2
    x = normal((6, 1, 12, 12), seed=7)
    compare(mine, theirs, x, dtype, grad_fn=False)        # training mode: batch statistics, buffers updated
    for key, t in theirs.state_dict().items():
        m = mine.state_dict()[key]
        if t.dtype == torch.int64: assert int(m) == int(t), key
        else: check_close(m, t, dtype, key)
    mine.eval(); theirs.eval()
    mine.zero_grad(); theirs.zero_grad()
    compare(mine, theirs, normal((3, 1, 12, 12), seed=8), dtype, grad_fn=False)
    back = cnn(TN).to(td)                                  # and the other way round
    back.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in mine.state_dict().items()})
    back.eval()
    xt = torch.tensor(normal((3, 1, 12, 12), seed=9), dtype=td)
    check_close(mine(tensor(arr(xt), dtype=md)), back(xt), dtype, "torch model with mytorch's weights")


# ----------------------------------------------------------------------------------------- errors
OPTION_ERRORS = [
    lambda nn: nn.Conv2d(3, 4, 3, groups=2), lambda nn: nn.Conv2d(4, 3, 3, groups=2),
    lambda nn: nn.Conv2d(4, 4, 3, groups=0), lambda nn: nn.Conv1d(4, 4, 3, groups=-1),
    lambda nn: nn.Conv2d(1, 2, 3, stride=2, padding="same"), lambda nn: nn.Conv1d(1, 2, 3, stride=2, padding="same"),
    lambda nn: nn.ConvTranspose2d(1, 2, 3, padding_mode="reflect"),
    lambda nn: nn.ConvTranspose2d(3, 4, 3, groups=2), lambda nn: nn.GroupNorm(4, 6),
    lambda nn: nn.Dropout2d(-0.5)]


@pytest.mark.parametrize("i", range(len(OPTION_ERRORS)))
def test_option_errors_as_torch(i):
    "Torch's exception type and message; ours may add the values and a hint after it."
    e = same_error(lambda: OPTION_ERRORS[i](NN), lambda: OPTION_ERRORS[i](TN))
    assert isinstance(e, ValueError)


@pytest.mark.parametrize("make", [lambda nn: nn.Conv2d(1, 2, 3, padding="full"),
                                  lambda nn: nn.Conv2d(1, 2, 3, padding_mode="mirror")])
def test_option_errors_naming_a_set(make):
    "torch prints a Python set here (its order varies between runs): compare up to it."
    e_m, e_t = error_of(lambda: make(NN)), error_of(lambda: make(TN))
    assert type(e_m) is type(e_t) is ValueError
    assert str(e_m).split("{")[0] == str(e_t).split("{")[0]
    assert str(e_m).split("}")[1] == str(e_t).split("}")[1]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding,shape", [((2, 1), (2, 3, 4, 5)), ("same", (3, 5, 4)), ((3, 0), (1, 3, 3, 6))])
def test_padding_modes_match_torch(mode, padding, shape):
    "The three gathered paddings, at their limits too (reflect: padding < size; circular: padding <= size)."
    make = lambda nn: nn.Conv2d(3, 2, (4, 3), padding=padding, padding_mode=mode)
    if mode == "reflect" and padding == (3, 0):
        x = normal(shape)
        same_error(lambda: make(NN)(tensor(x, dtype=float32)), lambda: make(TN)(torch.tensor(x, dtype=torch.float32)),
                   message=False)
        return
    mine, theirs = twins(make, "float64")
    assert repr(mine) == repr(theirs)
    compare(mine, theirs, normal(shape), "float64")


BAD_INPUTS = [   # (layer factory, input shape, dtype, what our message must contain)
    (lambda nn: nn.Conv2d(3, 8, 3), (8, 1, 28, 28), "float32",
     "Conv2d(in_channels=3): input of shape (8, 1, 28, 28) has 1 channel; expected 3; hint"),
    (lambda nn: nn.Conv2d(1, 8, 3), (8, 28, 28), "float32", "x.unsqueeze(1)"),
    (lambda nn: nn.Conv2d(1, 8, 3), (8, 28, 28, 1), "float32", "x.permute(0, 3, 1, 2)"),
    (lambda nn: nn.Conv2d(1, 8, 3), (28, 28), "float32", "x[None, None]"),
    (lambda nn: nn.Conv2d(1, 8, 3), (1, 1, 1, 28, 28), "float32", "Conv2d(in_channels=1): input of shape"),
    (lambda nn: nn.Conv2d(2, 8, 3), (4, 2, 8, 8), "float64", "float64"),
    (lambda nn: nn.Conv1d(16, 4, 3), (20, 50, 16), "float32", "x.permute(0, 2, 1)"),
    (lambda nn: nn.Conv1d(16, 4, 3), (20, 16, 2, 2), "float32", "Conv1d(in_channels=16)"),
    (lambda nn: nn.ConvTranspose2d(4, 2, 3), (2, 3, 5, 5), "float32", "ConvTranspose2d(in_channels=4)"),
    (lambda nn: nn.Conv1d(1, 1, 3, padding=3, padding_mode="reflect"), (1, 1, 3), "float32",
     "Conv1d(padding_mode='reflect'): padding (3, 3) of a dimension of size 3"),
    (lambda nn: nn.Conv2d(1, 1, 3, padding=4, padding_mode="circular"), (1, 1, 3, 5), "float32",
     "wrap around more than once"),
    (lambda nn: nn.Conv2d(2, 1, 3, padding=1, padding_mode="replicate"), (1, 1, 3, 5), "float32",
     "Conv2d(in_channels=2): input of shape (1, 1, 3, 5) has 1 channel; expected 2"),
    (lambda nn: nn.BatchNorm2d(3), (3, 5, 5), "float32",
     "BatchNorm2d(num_features=3): expected 4D input (got 3D input); hint"),
    (lambda nn: nn.BatchNorm1d(3), (2, 3, 4, 4), "float32", "BatchNorm2d"),
    (lambda nn: nn.BatchNorm1d(3), (1, 3), "float32",
     "BatchNorm1d(num_features=3): Expected more than 1 value per channel when training, got input size (1, 3)"),
    (lambda nn: nn.BatchNorm2d(3), (1, 3, 1, 1), "float32", "model.eval()"),
    (lambda nn: nn.BatchNorm2d(3), (2, 4, 5, 5), "float32", "BatchNorm2d(num_features=3): input of shape"),
    (lambda nn: nn.BatchNorm2d(3).eval(), (2, 4, 5, 5), "float32", "has 4 channels; expected 3"),
]


@pytest.mark.parametrize("i", range(len(BAD_INPUTS)))
def test_bad_input_errors(i):
    "torch's exception type; our message names the layer, the shape and a fix."
    make, shape, dtype, text = BAD_INPUTS[i]
    mine, theirs = make(NN), make(TN)
    x = normal(shape)
    e = same_error(lambda: mine(tensor(x, dtype=DT[dtype][0])),
                   lambda: theirs(torch.tensor(x, dtype=DT[dtype][1])), message=False)
    assert text in str(e), str(e)
    if isinstance(mine, L.BatchNorm1d) or isinstance(mine, L.BatchNorm2d):
        assert int(mine.num_batches_tracked) == int(theirs.num_batches_tracked)   # counted (or not) as torch


@pytest.mark.parametrize("make", [lambda nn, **kw: nn.Conv2d(2, 3, 3, **kw), lambda nn, **kw: nn.Conv1d(2, 3, 3, **kw),
                                  lambda nn, **kw: nn.ConvTranspose2d(2, 3, 3, **kw),
                                  lambda nn, **kw: nn.BatchNorm2d(3, **kw), lambda nn, **kw: nn.BatchNorm1d(3, **kw),
                                  lambda nn, **kw: nn.LayerNorm((2, 3), **kw), lambda nn, **kw: nn.GroupNorm(1, 3, **kw)])
def test_dtype_and_device_arguments(make):
    "dtype= builds the floating tensors in that dtype (num_batches_tracked stays int64); device may only be the CPU."
    mine, theirs = make(NN, dtype=float64), make(TN, dtype=torch.float64)
    for (name, m), (_, t) in zip(mine.state_dict().items(), theirs.state_dict().items()):
        assert str(m.dtype) == str(t.dtype).replace("torch.", ""), name
    make(NN, device="cpu")
    e = error_of(lambda: make(NN, device="cuda"))
    assert isinstance(e, RuntimeError) and "CPU" in str(e)
