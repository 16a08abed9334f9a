"""mytorch.train (nbs/08_training.ipynb): `fit`, `train_one_epoch`, `evaluate`, `accuracy`, `predict`,
`confusion_matrix`.

- A short real run: the MLP 784-256-128-10 (ReLU, Adam lr 1e-3, batch 128) trained for 3 epochs on the first
  6,000 Fashion-MNIST training images must get more than 80 % of the first 2,000 test images right (it gets
  about 84 %; chance is 10 %). The data is Debian's dataset-fashion-mnist, which CI installs.
- Parity with PyTorch: `fit`'s per-epoch training loss, the validation loss and accuracy, and the final weights
  equal those of the same loop written in PyTorch 2.13, from the same initial weights over the same batches
  (no shuffling). Tolerance: float32, rtol 1e-4 / atol 1e-5 on losses and weights after 2 epochs of Adam.
- The history's keys, lengths and values; which keys appear without a validation set and for a regression.
- Reproducibility: one `manual_seed` fixes init, shuffling and dropout (identical weights, bit for bit); another
  seed gives other weights.
- A model/loss mismatch (10 classes, label 12) raises the loss's own IndexError on the first batch, before any
  update, as PyTorch's loss does.
- The progress bar writes to stderr (with the loss and samples/s) and `progress=False` silences it.
- Scheduler stepping: OneCycleLR/CyclicLR per batch, the rest per epoch, ReduceLROnPlateau on the validation
  loss, and the override's errors.
- "Making it fast": one training step of the MLP records torch's graph (10 nodes, the same names in the same
  order), and a leaf's first gradient takes the leaf's memory layout (torch's gradient layout contract), also
  when it arrives transposed through `x @ w.t()`.
"""
from pathlib import Path

import numpy as np
import pytest

import mytorch
import mytorch.nn as nn
from mytorch.optim.adaptive import Adam
from mytorch.optim.sgd import SGD
from mytorch.optim.lr_scheduler import CyclicLR, OneCycleLR, ReduceLROnPlateau, StepLR
from mytorch.train import accuracy, confusion_matrix, evaluate, fit, predict, train_one_epoch
from mytorch.utils.data import DataLoader, TensorDataset

DEBIAN = Path("/usr/share/datasets/fashion-mnist")
KEYS = ["epoch", "train_loss", "train_acc", "valid_loss", "valid_acc", "lr", "time", "samples_per_s"]


def mlp(hidden=(256, 128)):
    sizes = [784, *hidden, 10]
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def blobs(n=512, d=784, classes=10, seed=0):
    "A synthetic classification set: Gaussian blobs around random centres (float32 x, int64 y)."
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((classes, d)).astype(np.float32)
    y = rng.integers(0, classes, n)
    x = centres[y] + rng.standard_normal((n, d)).astype(np.float32) * 2
    return x.astype(np.float32), y.astype(np.int64)


def loaders(n=512, batch=64, shuffle=True, seed=0):
    x, y = blobs(n, seed=seed)
    ds = TensorDataset(mytorch.tensor(x), mytorch.tensor(y))
    xv, yv = blobs(200, seed=seed + 1)
    return (DataLoader(ds, batch_size=batch, shuffle=shuffle),
            DataLoader(TensorDataset(mytorch.tensor(xv), mytorch.tensor(yv)), batch_size=100))


# --------------------------------------------------------------------------------------------- a real run
@pytest.fixture(scope="module")
def fashion():
    from mytorch.datasets import FashionMNIST
    assert DEBIAN.is_dir(), "Fashion-MNIST missing: apt-get install dataset-fashion-mnist"
    tr, te = FashionMNIST(train=True), FashionMNIST(train=False)

    def prep(ds, n):
        x = ds.data[:n].float().view(-1, 784) / 255
        return TensorDataset((x - 0.2860) / 0.3530, ds.targets[:n])
    return prep(tr, 6000), prep(te, 2000)


def test_fit_on_a_real_fashion_mnist_subset_beats_80_percent(fashion):
    train, test = fashion
    mytorch.manual_seed(0)
    model = mlp()
    opt = Adam(model.parameters(), lr=1e-3)
    h = fit(model, nn.CrossEntropyLoss(), opt, DataLoader(train, batch_size=128, shuffle=True),
            DataLoader(test, batch_size=500), epochs=3, progress=False)
    assert h["valid_acc"][-1] > 0.80, h
    assert h["train_loss"][0] > h["train_loss"][-1]
    loss, acc = evaluate(model, nn.CrossEntropyLoss(), DataLoader(test, batch_size=2000))
    assert acc == h["valid_acc"][-1] and abs(loss - h["valid_loss"][-1]) < 1e-6


# --------------------------------------------------------------------------------------------- PyTorch parity
def test_fit_matches_the_same_loop_in_pytorch():
    import torch
    train_dl, valid_dl = loaders(n=320, batch=64, shuffle=False)
    mytorch.manual_seed(0)
    model = mlp((32, 16))
    tmodel = torch.nn.Sequential(torch.nn.Linear(784, 32), torch.nn.ReLU(), torch.nn.Linear(32, 16),
                                 torch.nn.ReLU(), torch.nn.Linear(16, 10))
    tmodel.load_state_dict({k: torch.tensor(v.array.copy()) for k, v in model.state_dict().items()})
    h = fit(model, nn.CrossEntropyLoss(), Adam(model.parameters(), lr=1e-2), train_dl, valid_dl,
            epochs=2, progress=False)

    topt, tloss = torch.optim.Adam(tmodel.parameters(), lr=1e-2), torch.nn.CrossEntropyLoss()
    for epoch in range(2):
        total = correct = n = 0
        for xb, yb in train_dl:
            xb, yb = torch.tensor(xb.array), torch.tensor(yb.array)
            out = tmodel(xb)
            loss = tloss(out, yb)
            topt.zero_grad(); loss.backward(); topt.step()
            total += loss.item() * len(yb); n += len(yb)
            correct += (out.argmax(1) == yb).sum().item()
        np.testing.assert_allclose(h["train_loss"][epoch], total / n, rtol=1e-4, atol=1e-5)
        assert abs(h["train_acc"][epoch] - correct / n) <= 1 / n
    with torch.no_grad():
        xv, yv = (torch.cat(t) for t in zip(*[(torch.tensor(a.array), torch.tensor(b.array))
                                             for a, b in valid_dl]))
        out = tmodel(xv)
        np.testing.assert_allclose(h["valid_loss"][-1], tloss(out, yv).item(), rtol=1e-4, atol=1e-5)
        assert abs(h["valid_acc"][-1] - (out.argmax(1) == yv).float().mean().item()) <= 1 / len(yv)
    for k, v in model.state_dict().items():
        np.testing.assert_allclose(v.array, tmodel.state_dict()[k].numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=k)


def test_accuracy_matches_torch_and_rejects_what_is_not_classification():
    import torch
    rng = np.random.default_rng(1)
    s, t = rng.standard_normal((57, 7)).astype(np.float32), rng.integers(0, 7, 57)
    want = (torch.tensor(s).argmax(1) == torch.tensor(t)).float().mean().item()
    assert abs(accuracy(mytorch.tensor(s), mytorch.tensor(t)) - want) < 1e-7
    for out, tgt in [(s, t.astype(np.float32)), (s[:, 0], t), (s, t[:10]), (s, t[:, None])]:
        with pytest.raises(ValueError, match="accuracy: expected scores"):
            accuracy(mytorch.tensor(out), mytorch.tensor(tgt))


def test_confusion_matrix_counts_pairs():
    import torch
    rng = np.random.default_rng(2)
    p, t = rng.integers(0, 5, 300), rng.integers(0, 5, 300)
    want = torch.bincount(torch.tensor(t * 5 + p), minlength=25).reshape(5, 5).numpy()
    cm = confusion_matrix(mytorch.tensor(p), mytorch.tensor(t), 5)
    assert cm.dtype == np.int64 and np.array_equal(cm.array, want)
    assert np.array_equal(cm.array.sum(1), np.bincount(t, minlength=5))


# --------------------------------------------------------------------------------------------- the history
def test_history_contents():
    train_dl, valid_dl = loaders()
    mytorch.manual_seed(0)
    model = mlp((32,))
    opt = Adam(model.parameters(), lr=1e-3)
    h = fit(model, nn.CrossEntropyLoss(), opt, train_dl, valid_dl, epochs=3,
            scheduler=StepLR(opt, 1, gamma=0.5), progress=False)
    assert isinstance(h, dict) and sorted(h) == sorted(KEYS)
    assert all(isinstance(v, list) and len(v) == 3 for v in h.values())
    assert h["epoch"] == [1, 2, 3]
    assert h["lr"] == [1e-3, 5e-4, 2.5e-4] and opt.param_groups[0]["lr"] == 1.25e-4
    assert all(isinstance(x, float) for k in KEYS[1:] for x in h[k])
    assert all(0 <= a <= 1 for k in ("train_acc", "valid_acc") for a in h[k])
    assert all(t > 0 for t in h["time"]) and all(r > 0 for r in h["samples_per_s"])
    assert h["train_loss"][0] > h["train_loss"][-1]
    loss, acc = evaluate(model, nn.CrossEntropyLoss(), valid_dl)
    assert (loss, acc) == (h["valid_loss"][-1], h["valid_acc"][-1])


def test_history_without_validation_and_for_a_regression():
    train_dl, _ = loaders(n=128)
    model = mlp((8,))
    h = fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.01), train_dl, progress=False)
    assert sorted(h) == ["epoch", "lr", "samples_per_s", "time", "train_acc", "train_loss"]
    x = mytorch.randn(64, 3)
    reg = DataLoader(TensorDataset(x, x.sum(1, keepdim=True)), batch_size=16)
    lin = nn.Linear(3, 1)
    h = fit(lin, nn.MSELoss(), SGD(lin.parameters(), lr=0.1), reg, reg, epochs=2, progress=False)
    assert sorted(h) == ["epoch", "lr", "samples_per_s", "time", "train_loss", "valid_loss"]
    assert h["valid_loss"][1] < h["valid_loss"][0]


def test_train_one_epoch_and_evaluate_weight_the_mean_loss_by_batch_size():
    x, y = blobs(100)
    dl = DataLoader(TensorDataset(mytorch.tensor(x), mytorch.tensor(y)), batch_size=30)   # 30, 30, 30, 10
    model = mlp((16,))
    opt = SGD(model.parameters(), lr=0.0)                  # lr 0: the model stays as it is
    r = train_one_epoch(model, nn.CrossEntropyLoss(), opt, dl)
    with mytorch.no_grad():
        whole = nn.CrossEntropyLoss()(model(mytorch.tensor(x)), mytorch.tensor(y)).item()
    assert abs(r["loss"] - whole) < 1e-5 and r["samples"] == 100 and r["lr"] == 0.0
    assert r["acc"] == accuracy(model(mytorch.tensor(x)), mytorch.tensor(y))
    loss, acc = evaluate(model, nn.CrossEntropyLoss(), dl)      # a plain mean of batch means is off
    assert abs(loss - whole) < 1e-5 and acc == r["acc"]


class Probe(nn.Module):
    "An identity layer that records `(training, grad enabled)` at each forward in `seen`."
    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        self.seen.append((self.training, mytorch.is_grad_enabled()))
        return x


def test_evaluate_and_predict_use_eval_mode_no_grad_and_restore_the_mode():
    x, y = blobs(40, d=10)
    dl = DataLoader(TensorDataset(mytorch.tensor(x), mytorch.tensor(y)), batch_size=16)
    probe = Probe()
    model = nn.Sequential(nn.Linear(10, 10), probe)
    for training in (True, False):
        model.train(training)
        loss, acc = evaluate(model, nn.CrossEntropyLoss(), dl)
        out, tgt = predict(model, dl)
        assert model.training is training and model[1].training is training
    assert set(probe.seen) == {(False, False)}
    with mytorch.no_grad():
        assert np.allclose(out.array, model(mytorch.tensor(x)).array) and np.array_equal(tgt.array, y)
    assert out.grad_fn is None and acc == accuracy(out, tgt)
    model.train()
    bad = DataLoader(TensorDataset(mytorch.tensor(x), mytorch.tensor(y + 20)), batch_size=16)
    with pytest.raises(IndexError):
        evaluate(model, nn.CrossEntropyLoss(), bad)
    assert model.training, "evaluate must restore the mode when the loss raises"


def test_fit_trains_in_training_mode():
    train_dl, valid_dl = loaders(n=128)
    probe = Probe()
    model = nn.Sequential(nn.Linear(784, 10), probe)
    model.eval()
    fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.01), train_dl, valid_dl,
        progress=False)
    assert probe.seen[:2] == [(True, True)] * 2 and probe.seen[-1] == (False, False)


# --------------------------------------------------------------------------------------------- reproducibility
def run(seed):
    train_dl, _ = loaders(n=256, batch=32, shuffle=True)
    mytorch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 10))
    h = fit(model, nn.CrossEntropyLoss(), Adam(model.parameters(), lr=1e-3), train_dl, epochs=2,
            progress=False)
    return {k: v.array.copy() for k, v in model.state_dict().items()}, h["train_loss"]


def test_one_seed_gives_identical_weights_and_another_seed_does_not():
    (a, la), (b, lb), (c, lc) = run(7), run(7), run(8)
    assert all(np.array_equal(a[k], b[k]) for k in a) and la == lb
    assert not np.array_equal(a["3.weight"], c["3.weight"]) and la != lc


def test_the_seed_fixes_shuffling_and_dropout_not_only_init():
    "Same initial weights, different stream afterwards: the weights must differ (shuffle and dropout draw)."
    train_dl, _ = loaders(n=256, batch=32, shuffle=True)
    finals = []
    for seed in (1, 2):
        mytorch.manual_seed(0)
        model = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 10))
        mytorch.manual_seed(seed)
        fit(model, nn.CrossEntropyLoss(), Adam(model.parameters(), lr=1e-3), train_dl, progress=False)
        finals.append(model[3].weight.array.copy())
    assert not np.array_equal(*finals)


# --------------------------------------------------------------------------------------------- bad input
class CountingLoader:
    "An iterable of batches that counts how many were taken."
    def __init__(self, batches): self.batches, self.taken = batches, 0
    def __len__(self): return len(self.batches)
    def __iter__(self):
        for b in self.batches:
            self.taken += 1
            yield b


def test_label_out_of_range_fails_on_the_first_batch_with_the_loss_message():
    import torch
    x = np.random.default_rng(0).standard_normal((8, 784)).astype(np.float32)
    y = np.full(8, 12)
    with pytest.raises(IndexError) as t_err:
        torch.nn.CrossEntropyLoss()(torch.nn.Linear(784, 10)(torch.tensor(x)), torch.tensor(y))
    dl = CountingLoader([(mytorch.tensor(x), mytorch.tensor(y))] * 5)
    model = mlp((16,))
    before = {k: v.array.copy() for k, v in model.state_dict().items()}
    opt = Adam(model.parameters(), lr=1e-3)
    with pytest.raises(IndexError) as m_err:
        fit(model, nn.CrossEntropyLoss(), opt, dl, epochs=3, progress=False)
    assert str(t_err.value).rstrip(".") in str(m_err.value)        # "Target 12 is out of bounds"
    assert "10 classes" in str(m_err.value)
    assert dl.taken == 1 and opt.state == {}
    assert all(np.array_equal(v.array, before[k]) for k, v in model.state_dict().items())


# --------------------------------------------------------------------------------------------- progress bar
def test_progress_bar_shows_loss_and_speed_and_can_be_disabled(capsys):
    train_dl, valid_dl = loaders(n=128)
    model = mlp((8,))
    opt = SGD(model.parameters(), lr=0.01)
    fit(model, nn.CrossEntropyLoss(), opt, train_dl, valid_dl, epochs=2, progress=False)
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    fit(model, nn.CrossEntropyLoss(), opt, train_dl, valid_dl, epochs=2)
    out, err = capsys.readouterr()
    assert out == ""
    for s in ("epoch 1/2", "epoch 2/2", "samples/s", "train_loss", "valid_acc", "2/2"):
        assert s in err, (s, err)


# --------------------------------------------------------------------------------------------- schedulers
def test_per_batch_schedulers_step_every_batch_and_others_every_epoch():
    train_dl, valid_dl = loaders(n=256, batch=64)             # 4 batches
    model = mlp((8,))
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    one = OneCycleLR(opt, max_lr=0.1, epochs=3, steps_per_epoch=4)
    fit(model, nn.CrossEntropyLoss(), opt, train_dl, epochs=3, scheduler=one, progress=False)
    assert one.last_epoch == 12
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    cyc = CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2)
    fit(model, nn.CrossEntropyLoss(), opt, train_dl, epochs=2, scheduler=cyc, progress=False)
    assert cyc.last_epoch == 8
    opt = SGD(model.parameters(), lr=0.1)
    step = StepLR(opt, 1)
    fit(model, nn.CrossEntropyLoss(), opt, train_dl, epochs=2, scheduler=step, progress=False)
    assert step.last_epoch == 2
    step = StepLR(opt, 1)
    fit(model, nn.CrossEntropyLoss(), opt, train_dl, epochs=2, scheduler=step,
        scheduler_interval="batch", progress=False)
    assert step.last_epoch == 8


def test_one_cycle_lr_history_is_the_rate_of_each_epochs_last_step():
    train_dl, _ = loaders(n=256, batch=64)
    model = mlp((8,))
    opt = Adam(model.parameters(), lr=1e-3)
    h = fit(model, nn.CrossEntropyLoss(), opt, train_dl, epochs=3, progress=False,
            scheduler=OneCycleLR(opt, max_lr=1e-2, epochs=3, steps_per_epoch=4))
    probe = Adam([nn.Parameter(mytorch.zeros(1))], lr=1e-3)
    ref = OneCycleLR(probe, max_lr=1e-2, epochs=3, steps_per_epoch=4)
    rates = []
    for _ in range(12):
        rates.append(probe.param_groups[0]["lr"])
        probe.step(); ref.step()
    assert h["lr"] == [rates[3], rates[7], rates[11]]
    assert abs(rates[11] - 1e-2 / 25 / 1e4) < 1e-15


def test_reduce_on_plateau_gets_the_validation_loss():
    train_dl, valid_dl = loaders(n=128)
    model = mlp((8,))
    opt = SGD(model.parameters(), lr=0.01)
    seen = []

    class Spy(ReduceLROnPlateau):
        def step(self, metrics):
            seen.append(metrics)
            super().step(metrics)
    h = fit(model, nn.CrossEntropyLoss(), opt, train_dl, valid_dl, epochs=2, scheduler=Spy(opt),
            progress=False)
    assert seen == h["valid_loss"]
    seen.clear()
    h = fit(model, nn.CrossEntropyLoss(), opt, train_dl, epochs=2, scheduler=Spy(opt), progress=False)
    assert seen == h["train_loss"]


def test_bad_scheduler_interval_raises():
    train_dl, _ = loaders(n=64)
    model = mlp((8,))
    opt = SGD(model.parameters(), lr=0.01)
    with pytest.raises(ValueError, match="scheduler_interval must be"):
        fit(model, nn.CrossEntropyLoss(), opt, train_dl, scheduler=StepLR(opt, 1),
            scheduler_interval="step", progress=False)
    with pytest.raises(ValueError, match="once per epoch"):
        fit(model, nn.CrossEntropyLoss(), opt, train_dl, scheduler=ReduceLROnPlateau(opt),
            scheduler_interval="batch", progress=False)


def test_an_empty_loader_is_an_error():
    model = mlp((8,))
    with pytest.raises(ValueError, match="no samples"):
        fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.01), [], progress=False)
    with pytest.raises(ValueError, match="no samples"):
        evaluate(model, nn.CrossEntropyLoss(), [])


# --------------------------------------------------------------------------------------------- making it fast
def _graph_names(root, children, is_leaf):
    "Node names of a graph from `root`, depth first, each node once (the notebook's graph_nodes walk)."
    names, seen, todo = [], set(), [root]
    while todo:
        node = todo.pop()
        if node is None or is_leaf(node) or id(node) in seen: continue
        seen.add(id(node))
        names.append(node.name())
        todo.extend(children(node))
    return names


def test_a_training_step_records_pytorchs_graph_with_grads_in_the_parameters_layout():
    """"Making it fast": one step of the chapter's MLP records 10 nodes with torch's names in torch's order, and
    every .grad is laid out as its parameter (C-contiguous, as torch's), with torch's values."""
    import torch
    mytorch.manual_seed(0)
    model = mlp()
    tmodel = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                 torch.nn.ReLU(), torch.nn.Linear(128, 10))
    tmodel.load_state_dict({k: torch.tensor(v.array.copy()) for k, v in model.state_dict().items()})
    x, y = blobs(64)
    loss = nn.CrossEntropyLoss()(model(mytorch.tensor(x)), mytorch.tensor(y))
    tloss = torch.nn.CrossEntropyLoss()(tmodel(torch.tensor(x)), torch.tensor(y))
    names = _graph_names(loss.grad_fn, lambda n: n.next_functions, lambda n: isinstance(n, mytorch.Tensor))
    tnames = _graph_names(tloss.grad_fn, lambda n: [f for f, _ in n.next_functions],
                          lambda n: n.name() == "torch::autograd::AccumulateGrad")
    assert names == tnames and len(names) == 10, (names, tnames)
    assert names.count("AddmmBackward0") == names.count("TBackward0") == 3
    loss.backward()
    tloss.backward()
    for (name, p), tp in zip(model.named_parameters(), tmodel.parameters()):
        assert p.grad.array.flags.c_contiguous and tp.grad.is_contiguous(), name
        np.testing.assert_allclose(p.grad.array, tp.grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=name)


def test_a_leafs_first_grad_takes_the_leafs_layout_as_in_pytorch():
    """The layout contract behind the section's Adam speed-up: through `x @ w.t()` the gradient reaches the leaf
    transposed (F-ordered), yet `w.grad` is laid out as `w`: C-ordered for a C-ordered leaf, F-ordered for an
    F-ordered one, with torch's strides and values."""
    import torch
    x = blobs(16)[0]
    w = np.random.default_rng(1).standard_normal((32, 784)).astype(np.float32)
    for leaf in (w, np.asfortranarray(w)):
        m = mytorch.Tensor._make(leaf.copy(order="K")).requires_grad_()
        t = torch.from_numpy(leaf.copy(order="K")).requires_grad_()
        (mytorch.tensor(x).matmul(m.t()) ** 2).sum().backward()
        (torch.tensor(x).matmul(t.t()) ** 2).sum().backward()
        g = m.grad.array
        assert (g.flags.c_contiguous, g.flags.f_contiguous) == (leaf.flags.c_contiguous, leaf.flags.f_contiguous)
        assert g.strides == tuple(s * g.itemsize for s in t.grad.stride())
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-4, atol=1e-3)


# --------------------------------------------------------------------------------------------- names
PUBLIC = ["PER_BATCH_SCHEDULERS", "accuracy", "evaluate", "train_one_epoch", "fit", "predict", "confusion_matrix",
          "plot_history", "plot_confusion_matrix"]


def test_public_names_live_in_mytorch_train_not_at_the_top_level():
    "PyTorch has no fit/evaluate/...: they are ours, so they stay in mytorch.train (not torch top-level names)."
    import torch
    import mytorch.train as train
    assert sorted(train.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert hasattr(train, name) and not hasattr(torch, name), name


def test_plots_draw_the_history_and_the_confusion_matrix():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from mytorch.train import plot_confusion_matrix, plot_history
    h = {"epoch": [1, 2], "train_loss": [1.0, 0.5], "valid_loss": [0.9, 0.6], "train_acc": [0.5, 0.7],
         "valid_acc": [0.6, 0.65]}
    fig = plot_history(h)
    assert len(fig.axes) == 2 and [len(ax.lines) for ax in fig.axes] == [2, 2]
    assert list(fig.axes[0].lines[1].get_ydata()) == [0.9, 0.6]
    fig2 = plot_history({"epoch": [1], "train_loss": [1.0]})
    assert len(fig2.axes) == 1
    cm = confusion_matrix(mytorch.tensor([0, 1, 1]), mytorch.tensor([0, 1, 0]), 2)
    fig3 = plot_confusion_matrix(cm, ["a", "b"])
    assert [t.get_text() for t in fig3.axes[0].texts] == ["1", "1", "0", "1"]
    plt.close("all")
