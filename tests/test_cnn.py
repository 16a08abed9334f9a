"""tests/test_cnn.py: chapter 9's CNN chapter (nbs/09d_cnn.ipynb) and `mytorch.vision.utils.make_grid`.

make_grid
- Against torchvision's algorithm: torchvision is not installed (it is not a dependency of anything here), so
  `tv_make_grid` below restates torchvision 0.28's `make_grid` (torchvision/utils.py) step for step in torch:
  input rules (list -> stack; 2-D -> 1 x H x W; 3-D grey -> 3 channels; 4-D grey -> 3 channels), normalize
  (clone, clamp_ to the range, sub_ low, div_ max(high - low, 1e-5), per image if scale_each), a batch of one
  returned without padding, the grid of `new_full(pad_value)` with image k at row k // xmaps, column
  k % xmaps. Hypothesis draws batch, channels, height, width, nrow, padding, normalize, value_range,
  scale_each, pad_value, the input's form (4-D, 3-D, 2-D, list) and the dtype (float32, float64; uint8
  without normalize). Results must be equal: exactly for float64 and uint8, to 1 ulp-level for float32.
- Errors with torchvision's types and messages (not a tensor, a list containing a non-tensor, value_range not
  a tuple, unequal list shapes), and ours where torchvision fails obscurely (1-D / 5-D input, an empty batch,
  nrow < 1, negative padding, normalize on integer images: PyTorch's RuntimeError type).
- make_grid never records a graph and never changes its input.

The chapter's CNN (three Conv2d(3x3, padding 1, bias=False) -> BatchNorm2d -> ReLU -> MaxPool2d(2) blocks with 16,
32 and 64 channels, Flatten, Linear(576, 10)), built from mytorch.nn.conv_layers, against the same network in
PyTorch 2.13 from the same weights:
- one training-mode forward/backward on real Fashion-MNIST images: the loss, every parameter's gradient, the
  input's gradient and the running statistics, float32 (rtol 2e-4 / atol 2e-5 of each gradient's largest
  entry) and float64 (rtol 1e-9);
- ten steps of SGD with momentum in float64: weights, running statistics, num_batches_tracked and eval-mode
  outputs to 1e-9;
- a PyTorch state_dict (after a few Adam steps, so the running statistics are not the initial ones) converted
  through NumPy loads, keys in the same order, and gives the same eval-mode outputs;
- a short training with `fit` on 600 images must reach 65 % on 1,000 test images (the chapter's short run).
"""
import functools
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import mytorch
from mytorch.vision.utils import make_grid


def tv_make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
                 pad_value=0.0):
    "torchvision 0.28's make_grid, restated in torch (see the module docstring)."
    import torch
    if isinstance(tensor, list):
        tensor = torch.stack(tensor, dim=0)
    if tensor.dim() == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:
        if tensor.size(0) == 1:
            tensor = torch.cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.size(1) == 1:
        tensor = torch.cat((tensor, tensor, tensor), 1)
    if normalize:
        tensor = tensor.clone()

        def norm_range(t):
            low, high = value_range if value_range is not None else (float(t.min()), float(t.max()))
            t.clamp_(min=low, max=high)
            t.sub_(low).div_(max(high - low, 1e-5))
        if scale_each:
            for t in tensor:
                norm_range(t)
        else:
            norm_range(tensor)
    if tensor.size(0) == 1:
        return tensor.squeeze(0)
    nmaps = tensor.size(0)
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(tensor.size(2) + padding), int(tensor.size(3) + padding)
    grid = tensor.new_full((tensor.size(1), height * ymaps + padding, width * xmaps + padding), pad_value)
    k = 0
    for y in range(ymaps):
        for x in range(xmaps):
            if k >= nmaps:
                break
            grid.narrow(1, y * height + padding, height - padding).narrow(
                2, x * width + padding, width - padding).copy_(tensor[k])
            k += 1
    return grid


def both(a, form):
    "The array `a` as the same input for mytorch and torch: 'batch' (as is), or 'list' of its images."
    import torch
    m, t = mytorch.tensor(a), torch.from_numpy(a.copy())
    if form == "list":
        return list(m), list(t)
    return m, t


@st.composite
def grid_case(draw):
    dtype = draw(st.sampled_from(["float32", "float64", "uint8"]))
    form = draw(st.sampled_from(["batch4", "image3", "image2", "list"]))
    b = 1 if form in ("image3", "image2") else draw(st.integers(1, 11))
    c = 1 if form == "image2" else draw(st.sampled_from([1, 2, 3, 4]))
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    shape = {"batch4": (b, c, h, w), "list": (b, c, h, w), "image3": (c, h, w), "image2": (h, w)}[form]
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    if dtype == "uint8":
        a = rng.integers(0, 256, shape, dtype=np.uint8)
        normalize, pad_value = False, draw(st.sampled_from([0, 7, 255]))
    else:
        a = (rng.standard_normal(shape) * draw(st.sampled_from([1e-3, 1.0, 50.0]))).astype(dtype)
        if draw(st.booleans()):
            a[..., 0, 0] = a.flat[0]                    # ties and constant images
        normalize, pad_value = draw(st.booleans()), draw(st.sampled_from([0.0, 0.5, 1.0, -2.0]))
    kw = dict(nrow=draw(st.integers(1, 10)), padding=draw(st.integers(0, 3)), normalize=normalize,
              scale_each=draw(st.booleans()), pad_value=pad_value)
    if normalize and draw(st.booleans()):
        lo = draw(st.floats(-2, 1))
        kw["value_range"] = (lo, lo + draw(st.sampled_from([0.0, 1e-7, 0.5, 3.0])))
    return a, "list" if form == "list" else "batch", kw


@settings(max_examples=300, deadline=None)
@given(grid_case())
def test_make_grid_matches_torchvision(case):
    a, form, kw = case
    m_in, t_in = both(a, form)
    got, want = make_grid(m_in, **kw), tv_make_grid(t_in, **kw).numpy()
    assert isinstance(got, mytorch.Tensor) and not got.requires_grad
    assert got.dtype == np.dtype(str(want.dtype)), (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    if a.dtype == np.float32:
        np.testing.assert_allclose(got.array, want, rtol=1e-6, atol=1e-7)
    else:
        np.testing.assert_array_equal(got.array, want)
    np.testing.assert_array_equal(as_input_array(m_in), a)   # the input is unchanged


def as_input_array(m_in):
    return np.stack([t.array for t in m_in]) if isinstance(m_in, list) else m_in.array


@pytest.mark.parametrize("nrow, padding, n, shape", [
    (8, 2, 64, (3, 8 * 30 + 2, 8 * 30 + 2)),      # torchvision's classic 8 x 8 MNIST grid of 28 x 28 images
    (8, 2, 10, (3, 2 * 30 + 2, 8 * 30 + 2)),      # an incomplete last row
    (3, 0, 7, (3, 3 * 28, 3 * 28)),
    (20, 1, 5, (3, 29 + 1, 5 * 29 + 1)),          # nrow larger than the batch: one row
])
def test_make_grid_sizes(nrow, padding, n, shape):
    x = mytorch.zeros(n, 1, 28, 28)
    assert tuple(make_grid(x, nrow=nrow, padding=padding).shape) == shape


def test_make_grid_float32_normalize_is_torchvision_bitwise():
    import torch
    a = np.random.default_rng(0).standard_normal((16, 3, 5, 5)).astype(np.float32) * 3
    for kw in [dict(), dict(scale_each=True), dict(value_range=(-1.0, 2.0))]:
        got = make_grid(mytorch.tensor(a), normalize=True, **kw).array
        want = tv_make_grid(torch.from_numpy(a), normalize=True, **kw).numpy()
        np.testing.assert_array_equal(got, want)


def test_make_grid_no_graph_and_input_untouched():
    x = mytorch.randn(4, 3, 5, 5, requires_grad=True)
    before = x.array.copy()
    g = make_grid(x, normalize=True)
    assert not g.requires_grad and g.grad_fn is None
    np.testing.assert_array_equal(x.array, before)
    g.array[...] = 7                                 # the result does not alias the input
    np.testing.assert_array_equal(x.array, before)
    one = make_grid(x[:1].detach())
    one.array[...] = 7
    np.testing.assert_array_equal(x.array, before)


def test_make_grid_errors():
    x = mytorch.randn(2, 3, 4, 4)
    cases = [
        (lambda: make_grid(np.zeros((2, 3, 4, 4))), TypeError, "tensor or list of tensors expected, got"),
        (lambda: make_grid([x[0], np.zeros((3, 4, 4))]), TypeError,
         "tensor or list of tensors expected, got a list containing <class 'numpy.ndarray'>"),
        (lambda: make_grid(x, normalize=True, value_range=[0, 1]), TypeError,
         "value_range has to be a tuple (min, max) if specified. min and max are numbers"),
        (lambda: make_grid([x[0], mytorch.randn(3, 4, 5)]), RuntimeError, "equal size"),
        (lambda: make_grid(mytorch.randn(5)), ValueError, "got shape (5,)"),
        (lambda: make_grid(mytorch.randn(1, 2, 3, 4, 4)), ValueError, "(1, 2, 3, 4, 4)"),
        (lambda: make_grid(mytorch.randn(0, 3, 4, 4)), ValueError, "empty batch"),
        (lambda: make_grid(x, nrow=0), ValueError, "nrow must be >= 1"),
        (lambda: make_grid(x, padding=-1), ValueError, "padding >= 0"),
        (lambda: make_grid(mytorch.zeros(2, 1, 3, 3, dtype=mytorch.uint8), normalize=True), RuntimeError,
         "result type Float can't be cast to the desired output type"),
    ]
    for fn, exc, msg in cases:
        with pytest.raises(exc) as info:
            fn()
        assert msg in str(info.value), (msg, str(info.value))


def test_torchvision_errors_are_these():
    "The torchvision messages we copy, raised by the restated algorithm's torch calls where torch raises them."
    import torch
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type"):
        tv_make_grid(torch.zeros(2, 1, 3, 3, dtype=torch.uint8), normalize=True)
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        tv_make_grid([torch.zeros(3, 4, 4), torch.zeros(3, 4, 5)])


def test_make_grid_is_exported():
    import mytorch.vision.utils as vu
    assert vu.__all__ == ["make_grid"]
    import inspect
    assert list(inspect.signature(make_grid).parameters) == [
        "tensor", "nrow", "padding", "normalize", "value_range", "scale_each", "pad_value"]
    assert inspect.signature(make_grid).parameters["pad_value"].default == 0.0


# ------------------------------------------------------------------------------------------- the chapter's CNN
def cnn(lib, dtype=None):
    "The chapter's network in mytorch (lib='mytorch') or torch (lib='torch')."
    if lib == "torch":
        import torch
        nn = torch.nn
        conv, bn, relu, pool = nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.MaxPool2d
        seq, flat, lin = nn.Sequential, nn.Flatten, nn.Linear
    else:
        from mytorch.nn.conv_layers import Conv2d as conv, BatchNorm2d as bn, MaxPool2d as pool
        from mytorch.nn.layers import ReLU as relu, Flatten as flat, Linear as lin
        from mytorch.nn.module import Sequential as seq
    layers = []
    for a, b in zip([1, 16, 32], [16, 32, 64]):
        layers += [conv(a, b, 3, padding=1, bias=False), bn(b), relu(), pool(2)]
    net = seq(*layers, flat(), lin(576, 10))
    return net.double() if dtype == "float64" else net


def twins(dtype, seed=0):
    "The CNN in torch (PyTorch's init) and in mytorch with the same weights and buffers."
    import torch
    torch.manual_seed(seed)
    t = cnn("torch", dtype)
    m = cnn("mytorch", dtype)
    m.load_state_dict({k: mytorch.tensor(v.numpy().copy()) for k, v in t.state_dict().items()})
    return m, t


@functools.lru_cache(maxsize=2)
def _fashion_arrays(train):
    from mytorch.datasets import FashionMNIST
    ds = FashionMNIST(train=train)
    return ds.data.array, ds.targets.array


def fashion(n, train=True, offset=0):
    "n prepared Fashion-MNIST images (float32 N x 1 x 28 x 28, the chapter's scaling) and their labels."
    data, targets = _fashion_arrays(train)
    x = data[offset:offset + n].astype(np.float32) / 255
    return ((x - 0.2860) / 0.3530).reshape(-1, 1, 28, 28).astype(np.float32), targets[offset:offset + n]


TOLS = {"float32": dict(rtol=2e-4, atol=2e-5), "float64": dict(rtol=1e-9, atol=1e-11)}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cnn_loss_and_gradients_match_torch(dtype):
    """One forward/backward of the chapter's CNN in training mode on 64 real images: the loss, every parameter's
    gradient, the input's gradient and BatchNorm's updated running statistics equal PyTorch's."""
    import torch
    m, t = twins(dtype)
    x, y = fashion(64)
    x = x.astype(dtype)
    mx, tx = mytorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    from mytorch.nn.layers import CrossEntropyLoss
    lm = CrossEntropyLoss()(m(mx), mytorch.tensor(y.astype(np.int64)))
    lt = torch.nn.CrossEntropyLoss()(t(tx), torch.from_numpy(y.astype(np.int64)))
    lm.backward(); lt.backward()
    assert lm.dtype == np.dtype(dtype)
    np.testing.assert_allclose(lm.item(), lt.item(), **TOLS[dtype])
    for (name, p), q in zip(m.named_parameters(), t.parameters()):
        assert p.grad.dtype == np.dtype(dtype)
        scale = float(np.abs(q.grad.numpy()).max())
        np.testing.assert_allclose(p.grad.array / scale, q.grad.numpy() / scale, **TOLS[dtype], err_msg=name)
    scale = float(np.abs(tx.grad.numpy()).max())
    np.testing.assert_allclose(mx.grad.array / scale, tx.grad.numpy() / scale, **TOLS[dtype])
    for k, v in t.state_dict().items():
        np.testing.assert_allclose(m.state_dict()[k].array, v.numpy(), **TOLS[dtype], err_msg=k)
    assert m[-1](m[-2](mytorch.randn(2, 64, 3, 3, dtype=getattr(mytorch, dtype)))).grad_fn is not None


def test_cnn_training_matches_torch_float64():
    """Ten steps of SGD with momentum (Adam would amplify rounding differences of parameters whose gradient is
    near 0) on real batches in float64: the weights, the running statistics, num_batches_tracked and the
    eval-mode outputs equal PyTorch's to 1e-9."""
    import torch
    from mytorch.nn.layers import CrossEntropyLoss
    from mytorch.optim.sgd import SGD
    m, t = twins("float64", seed=1)
    om, ot = SGD(m.parameters(), lr=0.05, momentum=0.9), torch.optim.SGD(t.parameters(), lr=0.05, momentum=0.9)
    x, y = fashion(320)
    for i in range(0, 320, 32):
        xb, yb = x[i:i + 32].astype(np.float64), y[i:i + 32].astype(np.int64)
        lm = CrossEntropyLoss()(m(mytorch.tensor(xb)), mytorch.tensor(yb))
        lt = torch.nn.CrossEntropyLoss()(t(torch.from_numpy(xb)), torch.from_numpy(yb))
        om.zero_grad(); lm.backward(); om.step()
        ot.zero_grad(); lt.backward(); ot.step()
        np.testing.assert_allclose(lm.item(), lt.item(), rtol=1e-9)
    for k, v in t.state_dict().items():
        got = m.state_dict()[k].array
        assert got.dtype == np.dtype(str(v.dtype).split(".")[-1]), k
        np.testing.assert_allclose(got, v.numpy(), rtol=1e-9, atol=1e-11, err_msg=k)
    assert int(m.state_dict()["1.num_batches_tracked"].item()) == 10
    m.eval(); t.eval()
    xe = fashion(100, train=False)[0].astype(np.float64)
    with torch.no_grad():
        want = t(torch.from_numpy(xe)).numpy()
    np.testing.assert_allclose(m(mytorch.tensor(xe)).detach().array, want, rtol=1e-9, atol=1e-11)


def test_torch_state_dict_loads_into_the_chapter_cnn():
    """A PyTorch CNN of the chapter's architecture, trained a few steps (so its running statistics are not the
    initial ones), converted through NumPy: mytorch's CNN loads it (same keys, in the same order) and gives the
    same eval-mode outputs in float32."""
    import torch
    torch.manual_seed(3)
    t = cnn("torch")
    opt = torch.optim.Adam(t.parameters(), lr=1e-3)
    x, y = fashion(256, offset=1000)
    for i in range(0, 256, 64):
        loss = torch.nn.functional.cross_entropy(t(torch.from_numpy(x[i:i + 64])),
                                                 torch.from_numpy(y[i:i + 64].astype(np.int64)))
        opt.zero_grad(); loss.backward(); opt.step()
    sd = {k: mytorch.tensor(v.numpy()) for k, v in t.state_dict().items()}
    m = cnn("mytorch")
    assert list(m.state_dict()) == list(t.state_dict())
    m.load_state_dict(sd)
    m.eval(); t.eval()
    xe = fashion(200, train=False)[0]
    with torch.no_grad():
        want = t(torch.from_numpy(xe)).numpy()
    np.testing.assert_allclose(m(mytorch.tensor(xe)).detach().array, want, rtol=1e-4, atol=1e-5)


def test_cnn_learns_on_a_subset():
    """The chapter's short run, made a test: the CNN trained with `fit` for 3 epochs on 600 training images
    (Adam lr 4e-3, batches of 50) gets at least 65 % of 1,000 test images right (76 % to 79 % in our runs with
    seeds 0-4; chance is 10 %), and its training loss falls."""
    from mytorch.nn.layers import CrossEntropyLoss
    from mytorch.optim.adaptive import Adam
    from mytorch.train import evaluate, fit
    from mytorch.utils.data import DataLoader, TensorDataset
    mytorch.manual_seed(0)
    net = cnn("mytorch")
    x, y = fashion(600)
    xt, yt = fashion(1000, train=False)
    dl = DataLoader(TensorDataset(mytorch.tensor(x), mytorch.tensor(y.astype(np.int64))), batch_size=50,
                    shuffle=True)
    hist = fit(net, CrossEntropyLoss(), Adam(net.parameters(), lr=4e-3), dl, epochs=3, progress=False)
    _, acc = evaluate(net, CrossEntropyLoss(), DataLoader(TensorDataset(
        mytorch.tensor(xt), mytorch.tensor(yt.astype(np.int64))), batch_size=500))
    assert acc >= 0.65, acc
    assert hist["train_loss"][-1] < 0.7 * hist["train_loss"][0], hist["train_loss"]
