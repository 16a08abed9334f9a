"""Tests for nbs/10c_char_lstm.ipynb (mytorch/models/char_rnn.py): CharLSTM against the same model built in PyTorch
2.13, its `generate`, and a short training on Shakespeare.

* parity: torch's Embedding -> LSTM(batch_first=True) -> Linear with the same names (`embed`, `lstm`, `head`), its
  state_dict loaded through NumPy into CharLSTM; logits, (h_n, c_n) and the gradients of every parameter, in
  float64, for one and two layers, with and without a given state, dropout between layers in eval mode; float32
  logits; the state_dict loads the other way too;
* a few training steps (AdamW, cosine schedule, clipping, as the chapter) from the same weights on the same batches
  give the same losses as PyTorch's (float64);
* `generate`: the prompt kept, the length, determinism under `manual_seed`, greedy (`top_k=1`) equal to re-reading
  the whole text without state, draws with `top_k` inside the k likeliest, bad temperature;
* the gate: on a fixed seed, 40 steps of 32 blocks of 128 characters bring the validation loss on 100 evenly
  spaced validation blocks below a stated value (by steps, not seconds).

Tolerances: conftest's TOL / GRAD_TOL (float64 outputs 1e-10 relative, gradients 1e-8; float32 2e-5)."""
import itertools

import numpy as np
import pytest
import torch

from conftest import GRAD_TOL, TOL
from mytorch._tensor import float64, manual_seed, tensor
from mytorch.models.char_rnn import CharLSTM
from mytorch.nn.functional import cross_entropy
from mytorch.nn.utils import clip_grad_norm_
from mytorch.optim.adaptive import AdamW
from mytorch.optim.lr_scheduler import CosineAnnealingLR

TN = torch.nn


def arr(t):
    "A mytorch or torch tensor as a NumPy array."
    if isinstance(t, torch.Tensor): return t.detach().numpy()
    return np.asarray(t.detach().array)


class TorchCharLSTM(TN.Module):
    "The chapter's model written in PyTorch, with CharLSTM's parameter names."
    def __init__(self, V, E, H, num_layers=1, dropout=0.0):
        super().__init__()
        self.embed = TN.Embedding(V, E)
        self.lstm = TN.LSTM(E, H, num_layers, batch_first=True, dropout=dropout)
        self.head = TN.Linear(H, V)

    def forward(self, idx, state=None):
        out, state = self.lstm(self.embed(idx), state)
        return self.head(out), state


def pair(V=11, E=5, H=7, num_layers=1, dropout=0.0, dtype=torch.float64, seed=0):
    "A torch model and a CharLSTM holding the same weights."
    torch.manual_seed(seed)
    tm = TorchCharLSTM(V, E, H, num_layers, dropout).to(dtype)
    mm = CharLSTM(V, E, H, num_layers, dropout)
    if dtype == torch.float64: mm.double()
    mm.load_state_dict({k: tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return tm, mm


def ids(shape, V=11, seed=0):
    return np.random.default_rng(seed).integers(0, V, shape)


def test_parameters_as_torch():
    tm, mm = pair(num_layers=2)
    assert list(mm.state_dict()) == list(tm.state_dict())
    for (k, p), (_, q) in zip(mm.state_dict().items(), tm.state_dict().items()):
        assert tuple(p.shape) == tuple(q.shape), k
    assert (mm.vocab_size, mm.hidden_size, mm.num_layers) == (11, 7, 2)
    mm2 = CharLSTM(84, 64, 256)
    n = sum(p.numel() for p in mm2.parameters())
    assert n == sum(p.numel() for p in TorchCharLSTM(84, 64, 256).parameters()) == 356_692


@pytest.mark.parametrize("num_layers,with_state", list(itertools.product([1, 2], [False, True])))
def test_forward_backward_parity_float64(num_layers, with_state):
    tm, mm = pair(num_layers=num_layers, dropout=0.3 if num_layers == 2 else 0.0)
    tm.eval(); mm.eval()                      # dropout between layers: off in eval
    x, y = ids((3, 9)), ids((3, 9), seed=1)
    state_t = state_m = None
    if with_state:
        rng = np.random.default_rng(2)
        h0, c0 = rng.standard_normal((2, num_layers, 3, 7))
        state_t = (torch.tensor(h0), torch.tensor(c0))
        state_m = (tensor(h0), tensor(c0))
    lt, (ht, ct) = tm(torch.tensor(x), state_t)
    lm, (hm, cm) = mm(tensor(x), state_m)
    assert lm.dtype == float64
    for a, b in [(lm, lt), (hm, ht), (cm, ct)]:
        np.testing.assert_allclose(arr(a), arr(b), **TOL["float64"])
    TN.functional.cross_entropy(lt.reshape(-1, 11), torch.tensor(y).reshape(-1)).backward()
    cross_entropy(lm.reshape(-1, 11), tensor(y).reshape(-1)).backward()
    grads_t = {k: p.grad for k, p in tm.named_parameters()}
    for k, p in mm.named_parameters():
        np.testing.assert_allclose(arr(p.grad), arr(grads_t[k]), **GRAD_TOL["float64"], err_msg=k)


def test_forward_parity_float32_and_back_into_torch():
    tm, mm = pair(V=20, E=6, H=9, dtype=torch.float32)
    x = ids((4, 12), V=20)
    lm, _ = mm(tensor(x))
    assert str(lm.dtype) == "float32"
    np.testing.assert_allclose(arr(lm), arr(tm(torch.tensor(x))[0]), **TOL["float32"])
    torch.manual_seed(5)
    tm2 = TorchCharLSTM(20, 6, 9)                    # mytorch's weights load into torch
    tm2.load_state_dict({k: torch.tensor(arr(v)) for k, v in mm.state_dict().items()})
    np.testing.assert_allclose(arr(tm2(torch.tensor(x))[0]), arr(lm), **TOL["float32"])


def test_state_resumes_the_text():
    _, mm = pair(num_layers=2)
    x = tensor(ids((2, 15)))
    full, (h, c) = mm(x)
    left, st = mm(x[:, :6])
    right, (h2, c2) = mm(x[:, 6:], st)
    np.testing.assert_allclose(np.concatenate([arr(left), arr(right)], 1), arr(full), **TOL["float64"])
    np.testing.assert_allclose(arr(h2), arr(h), **TOL["float64"])
    np.testing.assert_allclose(arr(c2), arr(c), **TOL["float64"])


def test_training_steps_match_torch():
    "Five steps of the chapter's recipe from the same weights on the same batches: the same losses."
    tm, mm = pair(V=13, E=4, H=6)
    steps, V = 5, 13
    opt_t = torch.optim.AdamW(tm.parameters(), lr=1e-2, weight_decay=0.0)
    sch_t = torch.optim.lr_scheduler.CosineAnnealingLR(opt_t, T_max=steps, eta_min=1e-3)
    opt_m = AdamW(mm.parameters(), lr=1e-2, weight_decay=0.0)
    sch_m = CosineAnnealingLR(opt_m, T_max=steps, eta_min=1e-3)
    lt_all, lm_all = [], []
    for s in range(steps):
        x, y = ids((4, 10), V, seed=10 + s), ids((4, 10), V, seed=20 + s)
        lt = TN.functional.cross_entropy(tm(torch.tensor(x))[0].reshape(-1, V), torch.tensor(y).reshape(-1))
        opt_t.zero_grad(); lt.backward(); torch.nn.utils.clip_grad_norm_(tm.parameters(), 0.5)
        opt_t.step(); sch_t.step()
        lm = cross_entropy(mm(tensor(x))[0].reshape(-1, V), tensor(y).reshape(-1))
        opt_m.zero_grad(); lm.backward(); clip_grad_norm_(mm.parameters(), 0.5)
        opt_m.step(); sch_m.step()
        lt_all.append(lt.item()); lm_all.append(lm.item())
    np.testing.assert_allclose(lm_all, lt_all, rtol=1e-9)
    assert lm_all[-1] != lm_all[0]
    for k, p in mm.named_parameters():
        np.testing.assert_allclose(arr(p), arr(dict(tm.named_parameters())[k]), rtol=1e-8, atol=1e-10,
                                   err_msg=k)


def test_generate():
    _, mm = pair(V=11)
    prompt = tensor(ids((2, 4)))
    manual_seed(3); a = mm.generate(prompt, 10)
    manual_seed(3); b = mm.generate(prompt, 10)
    assert tuple(a.shape) == (2, 14) and a.dtype == prompt.dtype
    assert a[:, :4].tolist() == prompt.tolist() and a.tolist() == b.tolist()
    assert a.grad_fn is None and not a.requires_grad
    assert mm.generate(prompt, 0).tolist() == prompt.tolist()
    greedy, slow = mm.generate(prompt, 8, top_k=1), arr(prompt)
    for _ in range(8):                               # no state: re-read the whole text each time
        nxt = arr(mm(tensor(slow))[0])[:, -1].argmax(-1)[:, None]
        slow = np.concatenate([slow, nxt], 1)
    assert greedy.tolist() == slow.tolist()
    last = arr(mm(prompt)[0])[:, -1]
    top3 = np.argsort(-last, -1)[:, :3]
    manual_seed(0)
    drawn = arr(mm.generate(tensor(np.repeat(arr(prompt), 100, 0)), 1, top_k=3))[:, -1]
    for r in range(2):
        assert set(drawn[r * 100:(r + 1) * 100]) <= set(top3[r]), r
    assert mm.generate(prompt, 3, top_k=100).shape == (2, 7)      # k > V: all kept, as nanoGPT
    for bad in (0, -1.0):
        with pytest.raises(ValueError, match="temperature must be positive"):
            mm.generate(prompt, 3, temperature=bad)


def test_generate_temperature_sharpens():
    "A low temperature concentrates the draws on the likeliest id, a high one spreads them."
    from mytorch.autograd.function import no_grad
    _, mm = pair(V=11)
    with no_grad(): mm.head.weight.mul_(20.0)        # spread the logits apart
    prompt = tensor(np.repeat(ids((1, 4)), 400, 0))
    best = int(arr(mm(prompt[:1])[0])[0, -1].argmax())
    share = {}
    for tau in (0.01, 1.0, 20.0):
        manual_seed(0)
        share[tau] = float((arr(mm.generate(prompt, 1, temperature=tau))[:, -1] == best).mean())
    assert share[0.01] > 0.99 and share[0.01] > share[1.0] > share[20.0]


SHORT_STEPS, SHORT_TARGET = 40, 2.45     # measured 2.364 (09:10 UTC); the bigram model: 2.54


def test_short_training_beats_stated_loss():
    "The chapter's run of seconds, on a fixed seed: counted in steps, so independent of machine speed."
    from mytorch.autograd.function import no_grad
    from mytorch.datasets.text import Shakespeare
    from mytorch.utils.data import DataLoader
    T = 128
    train, val = Shakespeare(split="train", block_size=T), Shakespeare(split="val", block_size=T)
    V = train.vocab_size
    manual_seed(0)
    model = CharLSTM(V, 64, 256)
    opt = AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)
    sched = CosineAnnealingLR(opt, T_max=SHORT_STEPS, eta_min=1e-3)
    losses = []
    for xb, yb in itertools.islice(DataLoader(train, batch_size=32, shuffle=True), SHORT_STEPS):
        loss = cross_entropy(model(xb)[0].reshape(-1, V), yb.reshape(-1))
        opt.zero_grad(); loss.backward(); clip_grad_norm_(model.parameters(), 1.0)
        opt.step(); sched.step(); losses.append(loss.item())
    d, total = val.data.numpy(), (len(val.data) - 1) // T
    at = T * np.linspace(0, total - 1, 100).astype(int)[:, None] + np.arange(T)   # as the chapter's val_blocks
    X, Y = tensor(d[at]), tensor(d[at + 1])
    model.eval()
    with no_grad():
        v = cross_entropy(model(X)[0].reshape(-1, V), Y.reshape(-1)).item()
    assert losses[0] > 4.0 and np.mean(losses[-5:]) < losses[0] - 1.0, losses
    assert v < SHORT_TARGET, v
