"""Tests for mytorch.manualgrad: hand-written layers against PyTorch, the gradient checker, training."""
import matplotlib

matplotlib.use("Agg")  # plot_decision_boundary is exercised headless

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mytorch.manualgrad import (
    SGD, CrossEntropyLoss, GradcheckError, Layer, Linear, MSELoss, ReLU, Sequential, Sigmoid, accuracy,
    fit, gradcheck, make_spirals, mlp, numerical_grad, plot_decision_boundary,
)

DTYPES = [np.float64, np.float32]
BATCHES = [1, 4, 33]
TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-6)}


def tt(a, grad=False):
    "A torch tensor with the same dtype as the NumPy array `a` (copied)."
    return torch.tensor(np.asarray(a)).requires_grad_(grad)


def assert_matches(ours, theirs, dtype):
    "Our array (or float) equals torch's tensor within the dtype's tolerance, and keeps the dtype."
    theirs = theirs.detach().numpy()
    if isinstance(ours, np.ndarray):
        assert ours.dtype == dtype, f"dtype {ours.dtype}, expected {np.dtype(dtype)}"
        assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, **TOL[dtype])


# ---------------------------------------------------------------------------------------------- Linear
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", BATCHES)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(dtype, n, bias):
    rng = np.random.default_rng(n)
    lin = Linear(5, 3, bias=bias, rng=rng, dtype=dtype)
    x = rng.standard_normal((n, 5)).astype(dtype)
    g = rng.standard_normal((n, 3)).astype(dtype)
    y = lin(x)
    dx = lin.backward(g)

    xt, wt = tt(x, True), tt(lin.weight, True)
    bt = tt(lin.bias, True) if bias else None
    yt = F.linear(xt, wt, bt)
    yt.backward(tt(g))
    assert_matches(y, yt, dtype)
    assert_matches(dx, xt.grad, dtype)
    assert_matches(lin.grad_weight, wt.grad, dtype)
    if bias:
        assert_matches(lin.grad_bias, bt.grad, dtype)
        assert set(lin.grads()) == set(lin.params()) == {"weight", "bias"}
    else:
        assert lin.bias is None and lin.grad_bias is None
        assert set(lin.grads()) == set(lin.params()) == {"weight"}
    for name, p in lin.params().items():
        assert lin.grads()[name].shape == p.shape


def test_linear_init_like_torch():
    n_in, n_out = 400, 300
    ours = Linear(n_in, n_out, rng=0)
    torch.manual_seed(0)
    theirs = torch.nn.Linear(n_in, n_out)
    k = 1 / np.sqrt(n_in)
    assert ours.weight.dtype == np.float32 and ours.bias.dtype == np.float32  # PyTorch's default dtype
    assert ours.weight.shape == tuple(theirs.weight.shape) and ours.bias.shape == tuple(theirs.bias.shape)
    for mine, torchs in [(ours.weight, theirs.weight), (ours.bias, theirs.bias)]:
        torchs = torchs.detach().numpy()
        assert np.abs(mine).max() <= k and np.abs(torchs).max() <= k
        assert np.abs(mine).max() > 0.95 * k  # uses the whole range, like torch
        np.testing.assert_allclose(mine.std(), torchs.std(), rtol=0.1)  # bias: only 300 draws
        np.testing.assert_allclose(mine.std(), k / np.sqrt(3), rtol=0.1)
    np.testing.assert_allclose(ours.weight.std(), k / np.sqrt(3), rtol=0.01)  # U(-k, k) has std k/sqrt(3)
    assert abs(ours.weight.mean()) < 0.01 * k


def test_linear_rng_argument():
    np.testing.assert_array_equal(Linear(4, 3, rng=7).weight, Linear(4, 3, rng=7).weight)
    assert not np.array_equal(Linear(4, 3, rng=7).weight, Linear(4, 3, rng=8).weight)
    gen = np.random.default_rng(0)
    a, b = Linear(4, 3, rng=gen), Linear(4, 3, rng=gen)  # one generator, consumed in turn
    assert not np.array_equal(a.weight, b.weight)
    assert Linear(4, 3, rng=0, dtype=np.float64).weight.dtype == np.float64
    assert repr(Linear(4, 3, bias=False)) == "Linear(in_features=4, out_features=3, bias=False)"


def test_linear_bad_input():
    lin = Linear(4, 3, rng=0)
    with pytest.raises(ValueError, match=r"Linear: expected input of shape \(N, 4\), got \(5, 3\)"):
        lin(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"x\[None\]"):
        lin(np.zeros(4))
    with pytest.raises(RuntimeError, match="call forward first"):
        Linear(4, 3).backward(np.zeros((2, 3)))
    lin(np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"grad has shape \(5, 4\) but the output had shape \(5, 3\)"):
        lin.backward(np.zeros((5, 4)))


# ----------------------------------------------------------------------------------------- activations
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", BATCHES)
@pytest.mark.parametrize("layer, torch_fn", [(ReLU, torch.relu), (Sigmoid, torch.sigmoid)], ids=["relu", "sigmoid"])
@pytest.mark.parametrize("tail", [(7,), (2, 3)])
def test_activation_matches_torch(layer, torch_fn, dtype, n, tail):
    rng = np.random.default_rng(n)
    x = (3 * rng.standard_normal((n, *tail))).astype(dtype)
    x.flat[::3] = 0.0  # the kink of ReLU: PyTorch's gradient there is 0
    g = rng.standard_normal(x.shape).astype(dtype)
    act = layer()
    y = act(x)
    dx = act.backward(g)
    xt = tt(x, True)
    yt = torch_fn(xt)
    yt.backward(tt(g))
    assert_matches(y, yt, dtype)
    assert_matches(dx, xt.grad, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_extreme_inputs(dtype):
    x = np.array([[-1e4, -1000.0, -100.0, -30.0, -1e-8, 0.0, 1e-8, 30.0, 100.0, 1000.0, 1e4]], dtype=dtype)
    g = np.ones_like(x)
    sig = Sigmoid()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = sig(x)
        dx = sig.backward(g)
    xt = tt(x, True)
    yt = torch.sigmoid(xt)
    yt.backward(tt(g))
    assert np.isfinite(y).all() and np.isfinite(dx).all()
    assert_matches(y, yt, dtype)
    assert_matches(dx, xt.grad, dtype)


def test_activation_bad_input():
    for layer in (ReLU(), Sigmoid()):
        with pytest.raises(RuntimeError, match=f"{type(layer).__name__}.backward: nothing is cached"):
            layer.backward(np.ones((2, 3)))
        layer(np.ones((2, 3)))
        with pytest.raises(ValueError, match=r"grad has shape \(3, 2\)"):
            layer.backward(np.ones((3, 2)))


# ---------------------------------------------------------------------------------------------- losses
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", BATCHES)
@pytest.mark.parametrize("tail", [(), (3,)])
def test_mse_matches_torch(dtype, n, tail):
    rng = np.random.default_rng(n)
    pred = rng.standard_normal((n, *tail)).astype(dtype)
    target = rng.standard_normal((n, *tail)).astype(dtype)
    mse = MSELoss()
    loss = mse(pred, target)
    grad = mse.backward()
    pt = tt(pred, True)
    lt = F.mse_loss(pt, tt(target))
    lt.backward()
    assert isinstance(loss, float)
    assert_matches(loss, lt, dtype)
    assert_matches(grad, pt.grad, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", BATCHES)
@pytest.mark.parametrize("c", [2, 5])
@pytest.mark.parametrize("scale", [1.0, 100.0, 1e4])  # large logits: log-sum-exp must keep it finite
def test_cross_entropy_matches_torch(dtype, n, c, scale):
    rng = np.random.default_rng(n * c)
    logits = (scale * rng.standard_normal((n, c))).astype(dtype)
    target = rng.integers(0, c, n)
    ce = CrossEntropyLoss()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = ce(logits, target)
        grad = ce.backward()
    zt = tt(logits, True)
    lt = F.cross_entropy(zt, torch.tensor(target))
    lt.backward()
    assert isinstance(loss, float) and np.isfinite(loss)
    tol = TOL[dtype] if scale == 1.0 else dict(rtol=TOL[dtype]["rtol"], atol=TOL[dtype]["atol"] * scale)
    np.testing.assert_allclose(loss, lt.item(), **tol)
    assert grad.dtype == dtype
    np.testing.assert_allclose(grad, zt.grad.numpy(), **TOL[dtype])


def test_cross_entropy_accepts_int32_targets():
    logits = np.random.default_rng(0).standard_normal((4, 3))
    target = np.array([0, 2, 1, 2])
    assert CrossEntropyLoss()(logits, target.astype(np.int32)) == CrossEntropyLoss()(logits, target)


def test_loss_bad_input():
    ce = CrossEntropyLoss()
    logits = np.zeros((2, 3))
    with pytest.raises(IndexError, match=r"in \[0, 3\)"):
        ce(logits, np.array([0, 3]))
    with pytest.raises(IndexError, match=r"in \[0, 3\)"):
        ce(logits, np.array([-1, 0]))
    with pytest.raises(TypeError, match="integer class indices"):
        ce(logits, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="one-hot"):
        ce(logits, np.eye(3)[[0, 1]])
    with pytest.raises(ValueError, match=r"logits of shape \(N, C\), got \(3,\)"):
        ce(np.zeros(3), np.array([0]))
    with pytest.raises(RuntimeError, match="call forward first"):
        CrossEntropyLoss().backward()
    with pytest.raises(ValueError, match=r"MSELoss: pred has shape \(4, 1\) but target has shape \(4,\)"):
        MSELoss()(np.zeros((4, 1)), np.zeros(4))
    with pytest.raises(RuntimeError, match="call forward first"):
        MSELoss().backward()


# ------------------------------------------------------------------------------------ networks (chains)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", BATCHES)
@pytest.mark.parametrize("act, torch_act", [(ReLU, torch.nn.ReLU), (Sigmoid, torch.nn.Sigmoid)], ids=["relu", "sigmoid"])
def test_mlp_matches_torch(dtype, n, act, torch_act):
    rng = np.random.default_rng(n)
    model = mlp([3, 8, 6, 4], act=act, rng=0, dtype=dtype)
    x = rng.standard_normal((n, 3)).astype(dtype)
    y = rng.integers(0, 4, n)
    ce = CrossEntropyLoss()
    loss = ce(model(x), y)
    dx = model.backward(ce.backward())

    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 8), torch_act(), torch.nn.Linear(8, 6), torch_act(),
                                 torch.nn.Linear(6, 4)).to(torch.float64 if dtype == np.float64 else torch.float32)
    assert list(model.params()) == list(tmodel.state_dict())  # same names: "0.weight", "0.bias", "2.weight", ...
    tmodel.load_state_dict({k: torch.tensor(v) for k, v in model.params().items()})
    xt = tt(x, True)
    lt = F.cross_entropy(tmodel(xt), torch.tensor(y))
    lt.backward()
    assert_matches(loss, lt, dtype)
    assert_matches(dx, xt.grad, dtype)
    grads = model.grads()
    for name, p in tmodel.named_parameters():
        assert_matches(grads[name], p.grad, dtype)


def test_sequential_container():
    model = mlp([2, 5, 3], rng=0)
    assert len(model) == 3 and isinstance(model[0], Linear) and isinstance(model[1], ReLU)
    assert "(1): ReLU()" in repr(model)
    # backward runs the layers in reverse: a hand-written chain gives the same input gradient
    x = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)
    g = np.ones((4, 3), dtype=np.float32)
    model(x)
    dx = model.backward(g)
    np.testing.assert_allclose(dx, model[0].backward(model[1].backward(model[2].backward(g))), rtol=1e-6)
    with pytest.raises(ValueError, match="mlp: need at least"):
        mlp([3])
    with pytest.raises(NotImplementedError, match="Layer.forward"):
        Layer()(x)


# ------------------------------------------------------------------------------------ gradient checker
def test_numerical_grad_matches_torch_autograd():
    x = np.random.default_rng(0).standard_normal((3, 4))
    x0 = x.copy()
    num = numerical_grad(lambda a: float(np.sum(np.sin(a) * a ** 2)), x)
    xt = tt(x0, True)
    (torch.sin(xt) * xt ** 2).sum().backward()
    np.testing.assert_allclose(num, xt.grad.numpy(), atol=1e-8)
    np.testing.assert_array_equal(x, x0)  # nudged entries were restored


def test_numerical_grad_restores_x_when_f_raises():
    x = np.zeros(3)

    def boom(a):
        if a[1] != 0:
            raise ZeroDivisionError("boom")
        return 0.0

    with pytest.raises(ZeroDivisionError):
        numerical_grad(boom, x)
    np.testing.assert_array_equal(x, np.zeros(3))


def test_numerical_grad_needs_float64():
    with pytest.raises(TypeError, match="float64"):
        numerical_grad(np.sum, np.zeros(3, dtype=np.float32))
    with pytest.raises(TypeError, match="float64"):
        numerical_grad(np.sum, [0.0, 1.0])


@pytest.mark.parametrize("make_layer, shape", [
    (lambda: Linear(4, 3, rng=0, dtype=np.float64), (5, 4)),
    (lambda: Linear(4, 3, bias=False, rng=0, dtype=np.float64), (1, 4)),
    (lambda: ReLU(), (6, 5)),
    (lambda: Sigmoid(), (6, 5)),
    (lambda: mlp([4, 6, 3], act=Sigmoid, rng=0, dtype=np.float64), (5, 4)),
    (lambda: mlp([4, 6, 6, 3], rng=0, dtype=np.float64), (5, 4)),
])
def test_gradcheck_accepts_correct_layers(make_layer, shape):
    x = np.random.default_rng(1).standard_normal(shape)
    x[np.abs(x) < 1e-3] = 0.5  # keep away from ReLU's kink
    assert gradcheck(make_layer(), x) is True


class _ReLUForgetsMask(ReLU):
    def backward(self, grad):
        return grad


class _LinearTransposedWeightGrad(Linear):
    def backward(self, grad):
        dx = super().backward(grad)
        self.grad_weight = self.x.T @ grad  # right shape when square, wrong values
        return dx


class _LinearMeanBias(Linear):
    def backward(self, grad):
        dx = super().backward(grad)
        self.grad_bias = grad.mean(axis=0)
        return dx


class _LinearNoBiasGrad(Linear):
    def backward(self, grad):
        self.grad_weight = grad.T @ self.x
        return grad @ self.weight


class _LinearOnePercentOff(Linear):
    def backward(self, grad):
        return 1.01 * super().backward(grad)


class _SigmoidUsesInput(Sigmoid):
    def forward(self, x):
        self.x = x
        return super().forward(x)

    def backward(self, grad):
        return grad * self.x * (1 - self.x)


@pytest.mark.parametrize("layer, culprit", [
    (_ReLUForgetsMask(), "gradient of input (shape (5, 3)) is wrong"),
    (_LinearTransposedWeightGrad(3, 3, rng=0, dtype=np.float64), "gradient of weight (shape (3, 3)) is wrong"),
    (_LinearTransposedWeightGrad(3, 2, rng=0, dtype=np.float64), "gradient of weight has shape (3, 2), expected (2, 3)"),
    (_LinearMeanBias(3, 2, rng=0, dtype=np.float64), "gradient of bias (shape (2,)) is wrong"),
    (_LinearNoBiasGrad(3, 2, rng=0, dtype=np.float64), "no gradient for bias"),
    (_LinearOnePercentOff(3, 2, rng=0, dtype=np.float64), "gradient of input (shape (5, 3)) is wrong"),
    (_SigmoidUsesInput(), "gradient of input (shape (5, 3)) is wrong"),
    (Sequential(Linear(3, 4, rng=0, dtype=np.float64), _ReLUForgetsMask(), Linear(4, 2, rng=1, dtype=np.float64)),
     "is wrong at index"),
], ids=["relu-no-mask", "linear-transpose-square", "linear-transpose-shape", "linear-mean-bias",
        "linear-no-bias-grad", "linear-1pct", "sigmoid-input", "sequential-with-bug"])
def test_gradcheck_catches_wrong_backward(layer, culprit):
    x = np.random.default_rng(2).standard_normal((5, 3))
    with pytest.raises(GradcheckError) as info:
        gradcheck(layer, x)
    assert culprit in str(info.value)
    assert f"gradcheck({type(layer).__name__})" in str(info.value)


def test_gradcheck_catches_shared_layer():
    shared = Linear(3, 3, rng=0, dtype=np.float64)  # used twice: our layers overwrite their cache
    with pytest.raises(GradcheckError, match="0.weight"):
        gradcheck(Sequential(shared, Sigmoid(), shared), np.random.default_rng(3).standard_normal((4, 3)))


def test_gradcheck_needs_float64():
    x = np.zeros((2, 4))
    with pytest.raises(TypeError, match="weight is float32"):
        gradcheck(Linear(4, 3, rng=0), x)
    with pytest.raises(TypeError, match="input is float32"):
        gradcheck(ReLU(), x.astype(np.float32))


class _CEForgetsMean(CrossEntropyLoss):
    def backward(self, grad=1.0):
        return super().backward(grad) * len(self.probs)


class _MSEForgetsTwo(MSELoss):
    def backward(self, grad=1.0):
        return super().backward(grad) / 2


class _MSEIgnoresGrad(MSELoss):
    def backward(self, grad=1.0):
        return super().backward()  # drops the incoming gradient: right only when it is 1


def test_gradcheck_on_losses():
    rng = np.random.default_rng(4)
    logits, labels, target = rng.standard_normal((5, 4)), rng.integers(0, 4, 5), rng.standard_normal((5, 4))
    assert gradcheck(CrossEntropyLoss(), (logits, labels)) is True
    assert gradcheck(MSELoss(), (logits, target)) is True
    with pytest.raises(GradcheckError, match=r"gradcheck\(_CEForgetsMean\): gradient of input \(shape \(5, 4\)\)"):
        gradcheck(_CEForgetsMean(), (logits, labels))
    with pytest.raises(GradcheckError, match="is wrong at index"):
        gradcheck(_MSEForgetsTwo(), (logits, target))
    with pytest.raises(GradcheckError, match="is wrong at index"):
        gradcheck(_MSEIgnoresGrad(), (logits, target))
    with pytest.raises(TypeError, match="input is float32"):
        gradcheck(MSELoss(), (logits.astype(np.float32), target))


# -------------------------------------------------------------------------------------------- training
def test_make_spirals():
    X, y = make_spirals(n_per_class=50, n_classes=4, rng=0)
    assert X.shape == (200, 2) and y.shape == (200,)
    assert X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [50] * 4)
    assert np.abs(X).max() <= 1.0 + 1e-6
    np.testing.assert_array_equal(make_spirals(rng=3)[0], make_spirals(rng=3)[0])
    assert not np.array_equal(make_spirals(rng=3)[0], make_spirals(rng=4)[0])


def test_training_reaches_95_percent_on_spirals():
    X, y = make_spirals(n_per_class=100, n_classes=3, rng=0)
    model = mlp([2, 64, 64, 3], rng=1)
    history = fit(model, CrossEntropyLoss(), SGD(model, lr=0.1, momentum=0.9), X, y, epochs=200, rng=2)
    assert len(history) == 200
    assert abs(history[0] - np.log(3)) < 0.3  # starts near a uniform guess
    assert history[-1] < 0.5 * history[0]
    assert accuracy(model, X, y) >= 0.95


def test_a_linear_model_cannot_fit_spirals():
    # the same loop with no hidden layer stays far from 95%: the accuracy test above really needs backprop
    X, y = make_spirals(rng=0)
    model = mlp([2, 3], rng=1)
    fit(model, CrossEntropyLoss(), SGD(model, lr=0.1, momentum=0.9), X, y, epochs=50, rng=2)
    assert accuracy(model, X, y) < 0.7


class _FakeModel:
    def __init__(self, params, grads):
        self._p, self._g = params, grads

    def params(self):
        return self._p

    def grads(self):
        return self._g


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_matches_torch(momentum):
    rng = np.random.default_rng(5)
    w = rng.standard_normal((3, 2))
    grads = [rng.standard_normal((3, 2)) for _ in range(4)]
    model = _FakeModel({"w": w}, {})
    opt = SGD(model, lr=0.1, momentum=momentum)
    wt = tt(w.copy(), True)
    topt = torch.optim.SGD([wt], lr=0.1, momentum=momentum)
    for g in grads:
        model._g = {"w": g}
        opt.step()
        wt.grad = tt(g)
        topt.step()
        np.testing.assert_allclose(w, wt.detach().numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n, batch_size", [(100, 32), (97, 32), (10, 3)])
def test_fit_history_is_the_size_weighted_mean_of_batch_losses(n, batch_size):
    "With lr=0 nothing changes, so each epoch's mean must be the whole data set's loss (a short last batch too)."
    X, y = make_spirals(n_per_class=50, rng=0)
    idx = np.random.default_rng(n).permutation(len(X))[:n]
    net = mlp([2, 8, 3], rng=0)
    history = fit(net, CrossEntropyLoss(), SGD(net, lr=0.0), X[idx], y[idx], epochs=3, batch_size=batch_size,
                  rng=1)
    assert len(history) == 3
    np.testing.assert_allclose(history, CrossEntropyLoss()(net(X[idx]), y[idx]), rtol=1e-6)


def test_sgd_validates():
    with pytest.raises(ValueError, match="learning rate"):
        SGD(_FakeModel({}, {}), lr=-1.0)
    with pytest.raises(ValueError, match="momentum"):
        SGD(_FakeModel({}, {}), lr=0.1, momentum=-0.5)
    with pytest.raises(RuntimeError, match="call backward before step"):
        SGD(mlp([2, 3], rng=0), lr=0.1).step()


def test_accuracy_and_decision_boundary_plot():
    class Fixed(Layer):  # predicts class 1 for every point
        def forward(self, x):
            out = np.zeros((len(x), 3))
            out[:, 1] = 1.0
            return out

    X, y = make_spirals(n_per_class=10, rng=0)
    assert accuracy(Fixed(), X, y) == pytest.approx(1 / 3)
    import matplotlib.pyplot as plt

    ax = plot_decision_boundary(Fixed(), X, y, resolution=20)
    assert ax.collections  # the filled regions and the scattered points
    plt.close(ax.figure)
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\)"):
        plot_decision_boundary(Fixed(), np.zeros((4, 3)), np.zeros(4, dtype=int))


# ------------------------------------------------------------------------ gradcheck: contract and growth
def test_gradcheck_has_chapter_03s_signature_and_error_kind():
    "The checker grows across chapters under one name: same parameters and defaults as mytorch.autograd.gradcheck."
    import inspect

    import mytorch
    ours, theirs = inspect.signature(gradcheck).parameters, inspect.signature(mytorch.autograd.gradcheck).parameters
    assert [(p.name, p.default) for p in ours.values()] == [(p.name, p.default) for p in theirs.values()]
    assert issubclass(GradcheckError, RuntimeError) and GradcheckError.__name__ == "GradcheckError"


class _NaNGrad(ReLU):
    def backward(self, grad):
        out = super().backward(grad).copy()
        out[0, 0] = np.nan
        return out


def test_gradcheck_rejects_nan_and_reports_the_tolerances():
    x = np.random.default_rng(0).standard_normal((3, 2)) + 3.0  # all positive: away from the kink
    with pytest.raises(GradcheckError, match=r"wrong at index \(0, 0\): backward gives nan"):
        gradcheck(_NaNGrad(), x)
    with pytest.raises(GradcheckError, match=r"1 of 6 elements off by more than atol=1e-05, rtol=0.001"):
        gradcheck(_NaNGrad(), x)


def test_gradcheck_seed_picks_the_random_upstream_gradient():
    # a backward that is right only for one particular g is caught by any seed; the seed changes g
    x = np.random.default_rng(0).standard_normal((4, 3))
    for seed in (0, 1, 2):
        assert gradcheck(Sigmoid(), x, seed=seed) is True
        with pytest.raises(GradcheckError):
            gradcheck(_SigmoidUsesInput(), x, seed=seed)


def test_layer_params_and_grads_follow_param_names():
    lin = Linear(3, 2, rng=0)
    assert Linear.param_names == ("weight", "bias") and Layer.param_names == ()
    assert list(lin.params()) == ["weight", "bias"] and lin.grads() == {"weight": None, "bias": None}
    assert lin.params()["weight"] is lin.weight  # the arrays themselves: an optimizer updates them in place
    nob = Linear(3, 2, bias=False, rng=0)
    assert list(nob.params()) == ["weight"] and list(nob.grads()) == ["weight"]
    assert ReLU().params() == {} and MSELoss().params() == {} and CrossEntropyLoss().grads() == {}


@pytest.mark.parametrize("dtype", DTYPES)
def test_loss_backward_applies_the_chain_rule_like_torch(dtype):
    rng = np.random.default_rng(9)
    logits, labels = rng.standard_normal((4, 3)).astype(dtype), rng.integers(0, 3, 4)
    target = rng.standard_normal((4, 3)).astype(dtype)
    for ours, theirs, tgt, ttgt in [(CrossEntropyLoss(), F.cross_entropy, labels, torch.tensor(labels)),
                                    (MSELoss(), F.mse_loss, target, tt(target))]:
        ours(logits, tgt)
        grad = ours.backward(2.5)
        zt = tt(logits, True)
        theirs(zt, ttgt).backward(torch.tensor(2.5, dtype=zt.dtype))
        assert_matches(grad, zt.grad, dtype)
        assert_matches(ours.backward(), zt.grad / 2.5, dtype)  # default: dL/dL = 1
        with pytest.raises(ValueError, match=r"grad has shape \(4, 3\) but the output had shape \(\)"):
            ours.backward(np.ones((4, 3)))


# ------------------------------------------------------------------------------- the chapter's exercises
import json
from pathlib import Path

NB = Path(__file__).resolve().parent.parent / "nbs" / "01_manualgrad.ipynb"


def _exercise_namespace():
    "The chapter's module, its check helpers (test_eq, ...) and its exercise checks, as the reader has them."
    import mytorch.manualgrad as mg
    ns = {k: getattr(mg, k) for k in dir(mg) if not k.startswith("__")}
    cells = json.loads(NB.read_text())["cells"]
    start = next(i for i, c in enumerate(cells) if "## Exercises" in "".join(c["source"]))
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    helpers = [c for c in code if "from mytorch.testing import test_eq" in c]
    # the exercise section's visible cells: helpers and checks (the folded cells are the solutions)
    checks = ["".join(c["source"]) for c in cells[start:] if c["cell_type"] == "code"
              and not "".join(c["source"]).startswith("#| code-fold: true")]
    assert len(helpers) == 1 and len(checks) == 5, (len(helpers), len(checks))
    for src in helpers + checks:
        exec(src, ns)
    return ns


@pytest.fixture(scope="module")
def ex():
    return _exercise_namespace()


class _Tanh(Layer):
    def forward(self, x):
        self.out = np.tanh(np.asarray(x))
        return self.out

    def backward(self, grad):
        return grad * (1 - self.out ** 2)


class _TanhWrongDerivative(_Tanh):
    def forward(self, x):
        self.x = np.asarray(x)
        return super().forward(x)

    def backward(self, grad):
        return grad * (1 - self.x ** 2)  # the derivative in terms of the input: wrong


class _TanhByExp(_Tanh):
    def forward(self, x):  # the textbook formula: overflows at |x| = 1000
        e, f = np.exp(x), np.exp(-x)
        self.out = (e - f) / (e + f)
        return self.out


class _TanhFloat64(_Tanh):
    def forward(self, x):
        return super().forward(np.asarray(x, dtype=np.float64))


class _Softmax(Layer):
    def forward(self, z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        self.p = e / e.sum(axis=1, keepdims=True)
        return self.p

    def backward(self, grad):
        return self.p * (grad - (grad * self.p).sum(axis=1, keepdims=True))


class _SoftmaxDiagonal(_Softmax):
    def backward(self, grad):
        return grad * self.p * (1 - self.p)  # only the diagonal of the Jacobian


class _SoftmaxNaive(_Softmax):
    def forward(self, z):
        e = np.exp(z)  # overflows for large logits
        self.p = e / e.sum(axis=1, keepdims=True)
        return self.p


class _SoftmaxZeros(_Softmax):
    def backward(self, grad):
        return np.zeros_like(grad)  # passes a check with g = 1, not a random g


def _sgd_wd(rule):
    "An SGD with weight decay whose step applies `rule(g, p, wd, v, momentum) -> (update, v)`."
    class Opt(SGD):
        def __init__(self, model, lr, momentum=0.0, weight_decay=0.0):
            super().__init__(model, lr, momentum)
            self.weight_decay = weight_decay

        def step(self):
            grads = self.model.grads()
            for name, p in self.model.params().items():
                upd, self.velocity[name] = rule(grads[name], p, self.weight_decay, self.velocity.get(name),
                                                self.momentum)
                p -= self.lr * upd
    return Opt


def _momentum(d, v, mu):
    return d.copy() if v is None or not mu else mu * v + d


def _right(g, p, wd, v, mu):
    v = _momentum(g + wd * p, v, mu)
    return v, v


def _half(g, p, wd, v, mu):  # the derivative of wd/2 * p**2 is wd * p, not wd/2 * p
    v = _momentum(g + wd / 2 * p, v, mu)
    return v, v


def _after_momentum(g, p, wd, v, mu):  # decoupled decay (AdamW style): not what SGD's weight_decay does
    v = _momentum(g, v, mu)
    return v + wd * p, v


def _no_decay(g, p, wd, v, mu):
    v = _momentum(g, v, mu)
    return v, v


class _SGDWeightDecayInPlace(SGD):
    "The short answer: add the decay to the gradient arrays in place, then take SGD's step."
    sign = 1.0

    def __init__(self, model, lr, momentum=0.0, weight_decay=0.0):
        super().__init__(model, lr, momentum)
        self.weight_decay = weight_decay

    def step(self):
        grads = self.model.grads()
        for name, p in self.model.params().items():
            grads[name] += self.sign * self.weight_decay * p
        super().step()


class _SGDWeightDecayInPlaceWrongSign(_SGDWeightDecayInPlace):
    sign = -1.0


class _SGDWeightDecayInPlaceAfterStep(_SGDWeightDecayInPlace):
    def step(self):  # decays the gradient only after it has been used
        SGD.step(self)
        for name, p in self.model.params().items():
            self.model.grads()[name] += self.weight_decay * p


class _Residual(Layer):
    def __init__(self, layer):
        self.layer = layer

    def forward(self, x):
        return x + self.layer(x)

    def backward(self, grad):
        return grad + self.layer.backward(grad)

    def params(self):
        return self.layer.params()

    def grads(self):
        return self.layer.grads()


class _ResidualOnePath(_Residual):
    def backward(self, grad):
        return self.layer.backward(grad)  # forgets the identity path


class _ResidualHidesParams(_Residual):
    def params(self):
        return {}

    def grads(self):
        return {}


class _ResidualWrongForward(_Residual):
    def forward(self, x):
        return self.layer(x)


def test_exercise_checks_pass_on_right_answers(ex, capsys):
    ex["check_tanh"](_Tanh)
    ex["check_softmax"](_Softmax)
    ex["check_weight_decay"](_sgd_wd(_right))
    ex["check_weight_decay"](_SGDWeightDecayInPlace)  # step() may change the gradient it reads
    ex["check_residual"](_Residual)
    assert capsys.readouterr().out.count("is right") == 5


@pytest.mark.parametrize("check, answer", [
    ("check_tanh", _TanhWrongDerivative), ("check_tanh", _TanhByExp), ("check_tanh", _TanhFloat64),
    ("check_softmax", _SoftmaxDiagonal), ("check_softmax", _SoftmaxNaive), ("check_softmax", _SoftmaxZeros),
    ("check_weight_decay", _sgd_wd(_half)), ("check_weight_decay", _sgd_wd(_after_momentum)),
    ("check_weight_decay", _sgd_wd(_no_decay)), ("check_weight_decay", _SGDWeightDecayInPlaceWrongSign),
    ("check_weight_decay", _SGDWeightDecayInPlaceAfterStep),
    ("check_residual", _ResidualOnePath), ("check_residual", _ResidualHidesParams),
    ("check_residual", _ResidualWrongForward),
], ids=["tanh-input-derivative", "tanh-overflow", "tanh-dtype", "softmax-diagonal", "softmax-overflow",
        "softmax-zeros", "wd-half", "wd-after-momentum", "wd-none", "wd-in-place-sign", "wd-in-place-late",
        "residual-one-path", "residual-no-params",
        "residual-forward"])
def test_exercise_checks_fail_on_wrong_answers(ex, check, answer):
    with pytest.raises(AssertionError):
        ex[check](answer)
