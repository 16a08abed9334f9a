"""mytorch.models.gpt (nbs/11b_gpt.ipynb): the GPT against the same architecture written in PyTorch here (weights
loaded through NumPy, float64: logits, loss and every gradient, tolerance conftest's float64 one), its options
(bias, dropout in eval mode, a context shorter than the block), weight tying and state_dict keys, `generate`
(shapes, determinism under a seed, top_k=1 is greedy, the context is cropped), the errors (a temperature <= 0 in
`generate` among them, as CharLSTM's), and the gate of issue 16: on a fixed seed the chapter's model reaches
validation loss <= 2.20 after 500 steps (steps, not seconds). Also the two engine changes chapter 11b made for
speed: `linear` on (..., in) input records PyTorch's ViewBackward0 over AddmmBackward0, and float32 `gelu` stays
within PyTorch's own float32 accuracy.
"""
import math

import numpy as np
import pytest
import torch

import mytorch
from mytorch.autograd.function import no_grad
from mytorch.creation import Generator, randperm
from mytorch.models.gpt import GPT, GPTConfig, Block, CausalSelfAttention, MLP
import mytorch.nn.functional as F
from conftest import assert_close, same_error

TF = torch.nn.functional


# ------------------------------------------------------------------------------------------- PyTorch's GPT
class TAttention(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_attn = torch.nn.Linear(c.n_embd, 3 * c.n_embd, bias=c.bias)
        self.c_proj = torch.nn.Linear(c.n_embd, c.n_embd, bias=c.bias)
        self.n_head, self.p = c.n_head, c.dropout

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        y = TF.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=self.p if self.training else 0)
        return TF.dropout(self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C)), self.p, self.training)


class TBlock(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1 = torch.nn.LayerNorm(c.n_embd, bias=c.bias)
        self.attn = TAttention(c)
        self.ln_2 = torch.nn.LayerNorm(c.n_embd, bias=c.bias)
        self.mlp = torch.nn.Module()
        self.mlp.c_fc = torch.nn.Linear(c.n_embd, 4 * c.n_embd, bias=c.bias)
        self.mlp.c_proj = torch.nn.Linear(4 * c.n_embd, c.n_embd, bias=c.bias)
        self.p = c.dropout

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        h = self.mlp.c_proj(TF.gelu(self.mlp.c_fc(self.ln_2(x))))
        return x + TF.dropout(h, self.p, self.training)


class TGPT(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transformer = torch.nn.ModuleDict(dict(
            wte=torch.nn.Embedding(c.vocab_size, c.n_embd), wpe=torch.nn.Embedding(c.block_size, c.n_embd),
            h=torch.nn.ModuleList([TBlock(c) for _ in range(c.n_layer)]),
            ln_f=torch.nn.LayerNorm(c.n_embd, bias=c.bias)))
        self.lm_head = torch.nn.Linear(c.n_embd, c.vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight

    def forward(self, idx, targets=None):
        tr = self.transformer
        x = tr.wte(idx) + tr.wpe(torch.arange(idx.shape[1]))
        for b in tr.h: x = b(x)
        logits = self.lm_head(tr.ln_f(x))
        loss = None if targets is None else TF.cross_entropy(logits.view(-1, logits.shape[-1]),
                                                             targets.reshape(-1), ignore_index=-1)
        return logits, loss


def pair(config, seed=0):
    "The mytorch GPT (float64) and a PyTorch GPT carrying the same weights."
    mytorch.manual_seed(seed)
    m = GPT(config).double()
    t = TGPT(config).double()
    sd = {k: torch.from_numpy(v.detach().numpy().copy()) for k, v in m.state_dict().items()}
    t.load_state_dict(sd, strict=True)
    return m, t


def batch(config, B=3, T=None, seed=1):
    rng = np.random.default_rng(seed)
    T = T or config.block_size
    return rng.integers(0, config.vocab_size, (B, T)), rng.integers(0, config.vocab_size, (B, T))


SMALL = GPTConfig(block_size=16, vocab_size=23, n_layer=2, n_head=4, n_embd=32)


# ------------------------------------------------------------------------------------------- parity
@pytest.mark.parametrize("config,T", [(SMALL, None), (SMALL, 7),
                                      (GPTConfig(block_size=12, vocab_size=11, n_layer=3, n_head=2, n_embd=16,
                                                 bias=False), None),
                                      (GPTConfig(block_size=8, vocab_size=9, n_layer=1, n_head=1, n_embd=8,
                                                 dropout=0.3), None)],
                         ids=["small", "short-context", "no-bias", "dropout-eval"])
def test_gpt_matches_torch_float64(config, T):
    "Logits, loss and the gradient of every parameter, float64, as the same network in PyTorch."
    m, t = pair(config)
    if config.dropout:
        m.eval(); t.eval()
    x, y = batch(config, T=T)
    lm, loss_m = m(mytorch.tensor(x), mytorch.tensor(y))
    lt, loss_t = t(torch.from_numpy(x), torch.from_numpy(y))
    assert_close(lm, lt, "logits")
    assert_close(loss_m, loss_t, "loss")
    loss_m.backward(); loss_t.backward()
    tparams = dict(t.named_parameters())
    names = [n for n, _ in m.named_parameters()]
    assert names == list(tparams), (names, list(tparams))          # same names, tied head listed once
    for name, p in m.named_parameters():
        assert_close(p.grad, tparams[name].grad, f"gradient of {name}")


def test_ignore_index_and_no_targets():
    m, t = pair(SMALL)
    x, y = batch(SMALL)
    y[0, :5] = -1                                                     # positions that do not count
    assert_close(m(mytorch.tensor(x), mytorch.tensor(y))[1], t(torch.from_numpy(x), torch.from_numpy(y))[1])
    logits, loss = m(mytorch.tensor(x))
    assert loss is None and logits.shape == (3, 16, 23)


def test_weight_tying_and_state_dict_keys():
    m, t = pair(SMALL)
    assert m.lm_head.weight is m.transformer.wte.weight
    assert list(m.state_dict()) == list(t.state_dict())               # both names of the shared weight
    n = sum(p.numel() for p in m.parameters())
    assert n == sum(p.numel() for p in t.parameters())


def test_init_is_nanogpts():
    mytorch.manual_seed(0)
    c = GPTConfig(vocab_size=84)
    m = GPT(c)
    for name, p in m.named_parameters():
        a = p.detach().numpy()
        if name.endswith("c_proj.weight"): assert abs(a.std() - 0.02 / math.sqrt(2 * c.n_layer)) < 3e-4, name
        elif "ln" in name and name.endswith("weight"): assert (a == 1).all(), name
        elif name.endswith("bias"): assert (a == 0).all(), name
        else: assert abs(a.std() - 0.02) < 1e-3 and abs(a.mean()) < 1e-3, name


def test_dropout_trains_and_eval_is_deterministic():
    c = GPTConfig(block_size=8, vocab_size=9, n_layer=1, n_head=2, n_embd=8, dropout=0.5)
    mytorch.manual_seed(0)
    m = GPT(c)
    x = mytorch.tensor(batch(c)[0])
    m.train()
    assert not np.array_equal(m(x)[0].detach().numpy(), m(x)[0].detach().numpy())
    m.eval()
    assert np.array_equal(m(x)[0].detach().numpy(), m(x)[0].detach().numpy())


def test_configure_optimizers_groups():
    mytorch.manual_seed(0)
    m = GPT(SMALL)
    opt = m.configure_optimizers(weight_decay=0.1, learning_rate=1e-3)
    decay, no_decay = opt.param_groups
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert all(p.ndim >= 2 for p in decay["params"]) and all(p.ndim < 2 for p in no_decay["params"])
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(m.parameters()))
    assert opt.param_groups[0]["betas"] == (0.9, 0.99)


# ------------------------------------------------------------------------------------------- generate
def test_generate_shapes_determinism_and_cropping():
    mytorch.manual_seed(0)
    m = GPT(SMALL)
    idx = mytorch.tensor(batch(SMALL, B=2, T=5)[0])
    mytorch.manual_seed(3); a = m.generate(idx, 30)
    mytorch.manual_seed(3); b = m.generate(idx, 30)
    assert a.shape == (2, 35) and a.dtype == mytorch.int64
    assert np.array_equal(a.numpy(), b.numpy())
    assert np.array_equal(a.numpy()[:, :5], idx.numpy())
    assert a.numpy().min() >= 0 and a.numpy().max() < SMALL.vocab_size
    mytorch.manual_seed(4); c = m.generate(idx, 30)
    assert not np.array_equal(a.numpy(), c.numpy())                   # another seed, another sample
    assert not a.requires_grad


def test_generate_top_k_one_is_greedy_and_top_k_limits_choices():
    mytorch.manual_seed(0)
    m = GPT(SMALL)
    idx = mytorch.tensor(batch(SMALL, B=1, T=4)[0])
    g = m.generate(idx, 6, top_k=1)
    ref = idx
    for _ in range(6):
        nxt = m(ref[:, -SMALL.block_size:])[0][:, -1].argmax(-1).reshape(1, 1)
        ref = mytorch.cat((ref, nxt), dim=1)
    assert np.array_equal(g.numpy(), ref.numpy())
    # top_k=3: every drawn token is among the 3 likeliest at its step
    mytorch.manual_seed(5)
    out = m.generate(idx, 8, top_k=3, temperature=2.0)
    for i in range(4, 12):
        logits = m(out[:, max(0, i - SMALL.block_size):i])[0][0, -1].detach().numpy()
        assert out.numpy()[0, i] in np.argsort(-logits)[:3]


def test_generate_low_temperature_is_nearly_greedy():
    mytorch.manual_seed(0)
    m = GPT(SMALL)
    idx = mytorch.tensor(batch(SMALL, B=1, T=4)[0])
    mytorch.manual_seed(1)
    assert np.array_equal(m.generate(idx, 6, temperature=1e-4).numpy(), m.generate(idx, 6, top_k=1).numpy())


# ------------------------------------------------------------------------------------------- errors
def test_errors():
    mytorch.manual_seed(0)
    m = GPT(SMALL)
    with pytest.raises(ValueError, match=r"17 tokens.*block size is only 16"):
        m(mytorch.zeros(1, 17, dtype=mytorch.int64))
    with pytest.raises(ValueError, match=r"\(batch, time\)"):
        m(mytorch.zeros(17, dtype=mytorch.int64))
    with pytest.raises(AssertionError, match="n_embd=30 is not divisible by n_head=4"):
        GPT(GPTConfig(n_embd=30, n_head=4))
    with pytest.raises(IndexError):                                    # an id outside the vocabulary
        m(mytorch.tensor([[0, SMALL.vocab_size]]))
    idx = mytorch.zeros(1, 3, dtype=mytorch.int64)
    for bad in (0, 0.0, -1.5, float("nan")):                           # as CharLSTM.generate (10c)
        with pytest.raises(ValueError, match=rf"temperature must be positive, got {bad}\b.*top_k=1"):
            m.generate(idx, 2, temperature=bad)


def test_modules_have_torch_like_shapes():
    c = SMALL
    x = mytorch.randn(2, 5, c.n_embd)
    for mod in (CausalSelfAttention(c), MLP(c), Block(c)):
        assert mod(x).shape == (2, 5, c.n_embd)


# ------------------------------------------------------------------------------------------- engine changes
def test_linear_on_nd_input_records_torchs_graph():
    "(..., in) input with a bias: ViewBackward0 over AddmmBackward0(bias, ViewBackward0(input), TBackward0)."
    rng = np.random.default_rng(0)
    for shape in [(2, 3, 4), (4,), (2, 1, 3, 4)]:
        xa, wa, ba = rng.normal(size=shape), rng.normal(size=(5, 4)), rng.normal(size=5)
        xm, wm, bm = (mytorch.tensor(a, requires_grad=True) for a in (xa, wa, ba))
        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (xa, wa, ba))
        ym, yt = F.linear(xm, wm, bm), TF.linear(xt, wt, bt)
        assert ym.grad_fn.name() == type(yt.grad_fn).__name__ == "ViewBackward0"
        inner_m, inner_t = ym.grad_fn.next_functions[0], yt.grad_fn.next_functions[0][0]
        assert inner_m.name() == type(inner_t).__name__ == "AddmmBackward0"
        g = rng.normal(size=yt.shape)
        ym.backward(mytorch.tensor(g)); yt.backward(torch.tensor(g))
        for a, b in ((ym, yt), (xm.grad, xt.grad), (wm.grad, wt.grad), (bm.grad, bt.grad)):
            assert_close(a, b)
        assert wm.grad.numpy().flags.c_contiguous
    # an input that cannot fold without a copy keeps the composed form (torch: AddBackward0 too)
    xa = rng.normal(size=(3, 2, 4))
    xm, xt = mytorch.tensor(xa).transpose(0, 1), torch.tensor(xa).transpose(0, 1)
    ym, yt = F.linear(xm, mytorch.tensor(wa, requires_grad=True), mytorch.tensor(ba)), \
        TF.linear(xt, torch.tensor(wa, requires_grad=True), torch.tensor(ba))
    assert ym.grad_fn.name() == type(yt.grad_fn).__name__ == "AddBackward0"
    assert_close(ym, yt)


def test_float32_gelu_is_as_accurate_as_torchs():
    "|gelu(x)/x - Phi(x)| within 3e-7 (PyTorch's own float32 kernel: about the same), forward and backward."
    x = np.linspace(-8, 8, 20001).astype(np.float32)
    ref = 0.5 * (1 + np.array([math.erf(v / math.sqrt(2)) for v in x.astype(np.float64)]))
    xm = mytorch.tensor(x, requires_grad=True)
    y = F.gelu(xm)
    assert y.dtype == mytorch.float32
    nz = x != 0
    assert np.abs(y.detach().numpy()[nz] / x[nz] - ref[nz]).max() < 3e-7
    y.sum().backward()
    pdf = np.exp(-0.5 * x.astype(np.float64) ** 2) / math.sqrt(2 * math.pi)
    want = ref + x * pdf
    assert np.abs(xm.grad.numpy() - want).max() < 5e-7
    xt = torch.tensor(x, requires_grad=True)
    TF.gelu(xt).sum().backward()
    assert np.abs(xt.grad.numpy() - want).max() < 5e-7                 # the bound torch meets too
    a = np.array([0.0, -0.0, 1e-30, -1e-30, 30.0, -30.0, 1e30, -1e30, np.nan], np.float32)
    ym, yt = F.gelu(mytorch.tensor(a)), TF.gelu(torch.tensor(a))
    assert_close(ym, yt, "special values")
    assert np.array_equal(np.signbit(ym.numpy()), np.signbit(yt.numpy())), "signs of zeros"
    assert F.gelu(mytorch.tensor(np.float32(-2.0))).shape == ()                  # 0-d in, 0-d out


# ------------------------------------------------------------------------------------------- the gate
def lr_factor(step, steps, warmup=100):
    "Linear warm-up, then a cosine from 1 down to 0.1 (the chapter's schedule)."
    if step < warmup: return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, steps - warmup))
    return 0.1 + 0.45 * (1 + math.cos(math.pi * progress))


def test_gate_500_steps_reach_val_loss_2_20():
    "Issue 16: on a fixed seed the chapter's GPT reaches validation loss <= 2.20 after 500 steps."
    from mytorch.datasets.text import Shakespeare
    from mytorch.nn.utils.clip_grad import clip_grad_norm_
    from mytorch.optim.lr_scheduler import LambdaLR
    from mytorch.utils.data import DataLoader
    train_ds, val_ds = Shakespeare(split="train"), Shakespeare(split="val")
    mytorch.manual_seed(1337)
    model = GPT(GPTConfig(vocab_size=train_ds.vocab_size))
    steps = 500
    opt = model.configure_optimizers(weight_decay=0.1, learning_rate=3e-3)
    sched = LambdaLR(opt, lambda s: lr_factor(s, steps))
    batches = iter(DataLoader(train_ds, batch_size=32, shuffle=True, generator=Generator().manual_seed(0)))
    for _ in range(steps):
        x, y = next(batches)
        loss = model(x, y)[1]
        opt.zero_grad(); loss.backward()
        clip_grad_norm_(model.parameters(), 1.0)
        opt.step(); sched.step()
    val_idx = randperm(len(val_ds), generator=Generator().manual_seed(0))[:1024].tolist()
    model.eval()
    with no_grad():
        val = np.mean([model(x, y)[1].item() for x, y in DataLoader(val_ds, batch_size=256, sampler=val_idx)])
    assert val <= 2.20, f"validation loss after {steps} steps: {val:.4f}"
