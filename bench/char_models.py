"""Training steps of Part III's character models: mytorch vs PyTorch CPU, with the floor of any NumPy engine.

Two models, each in both libraries with the same weights, the same batches and the same training step
(forward, cross-entropy over every position, backward, clipping at norm 1, AdamW):

* the GPT of chapter 11b (`mytorch.models.gpt.GPT`): 4 layers, 4 heads, width 128, context 64, batch 32, the
  corpus's 84 characters, AdamW (lr 3e-3, betas (0.9, 0.99), weight decay 0.1 on the matrices); PyTorch's is the
  same architecture written below (`F.scaled_dot_product_attention(is_causal=True)`, exact GELU, tied head);
* the character LSTM of chapter 10c, configured by /work/tools/part3/lstm_config.json (L1's: Embedding ->
  nn.LSTM(batch_first=True) -> Linear; embed 64, hidden 256, one layer, blocks of 128, batch 64, AdamW lr 1e-2):
  mytorch's `mytorch.models.char_rnn.CharLSTM` (or, before that chapter lands, the same three layers from
  `mytorch.nn`), PyTorch's `nn.Embedding`/`nn.LSTM`/`nn.Linear`.

Batches are random windows of chapter 10's Shakespeare corpus (`mytorch.datasets.text.Shakespeare`), drawn once
as NumPy arrays and given to both libraries. Before timing, both take `--check` steps from the same weights on
the same batches; the losses and the largest parameter difference are printed (they must agree to float32
rounding).

Threads: NumPy's matrix products run on OpenBLAS's threads, its elementwise ufuncs on one thread. PyTorch gets
the same number of intra-op threads as OpenBLAS has; `--threads N` sets both. The contenders alternate within
one process: each round times `--steps` steps of each; medians (and best) over `--rounds` rounds are printed,
with the ratio. `--cpu-time` uses the process's CPU time instead of the wall clock (steadier on a busy machine;
meaningful with --threads 1). With several threads on a busy machine, BLAS and PyTorch threads spin waiting for
cores and both libraries slow down several times over: use --threads 1 --cpu-time there.

The floor: every matrix product one training step needs (forward, and for each product the two of its
backward), as a list of GEMM shapes, timed with NumPy in the same run; their sum is what any engine built on
NumPy's BLAS must spend per step, and FLOPs / that time is the GFLOP/s reached. Memory: the process's RSS after
the warm-up and after the timed rounds plus `--mem-steps` more mytorch steps (flat means nothing accumulates).

`--train-gpt STEPS` instead trains chapter 11b's GPT with the chapter's recipe (seed 1337; AdamW lr 3e-3 with
100 warm-up steps and a cosine to a tenth over STEPS; clipping at 1; batches of 32 from a seeded shuffling
DataLoader) and prints the validation loss on the chapter's 2,048 fixed validation windows every 250 steps: the
"trained longer" number of the chapter.

Run:  .venv/bin/python bench/char_models.py --threads 1 --cpu-time      (--rounds 3 --steps 5 for a quick look)
      .venv/bin/python bench/char_models.py --threads 1 --train-gpt 2000
This is a benchmark, not a test. Issue 16's targets: GPT step <= 1.7x PyTorch's, LSTM step <= 1.5x.
"""
import argparse, gc, json, math, os, statistics, sys, time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))
import mytorch
from mytorch.models.gpt import GPT, GPTConfig
from mytorch.nn.functional.loss import cross_entropy
from mytorch.nn.utils.clip_grad import clip_grad_norm_
from mytorch.optim.adaptive import AdamW
from mytorch.datasets.text import Shakespeare
import torch
from mlp_epoch import blas_threads, rss                         # the same thread handling as the MLP bench

TF = torch.nn.functional
LSTM_CONFIG = Path("/work/tools/part3/lstm_config.json")
LSTM_DEFAULTS = dict(embed_dim=64, hidden_size=256, num_layers=1, dropout=0.0, block_size=128, batch_size=64,
                     lr=1e-2, betas=[0.9, 0.999], weight_decay=0.0)


# ------------------------------------------------------------------------------------------- PyTorch's GPT
class TBlock(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        C = c.n_embd
        self.ln_1, self.ln_2 = torch.nn.LayerNorm(C), torch.nn.LayerNorm(C)
        self.attn, self.mlp = torch.nn.Module(), torch.nn.Module()
        self.attn.c_attn, self.attn.c_proj = torch.nn.Linear(C, 3 * C), torch.nn.Linear(C, C)
        self.mlp.c_fc, self.mlp.c_proj = torch.nn.Linear(C, 4 * C), torch.nn.Linear(4 * C, C)
        self.n_head = c.n_head

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.attn.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        y = TF.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.attn.c_proj(y)
        return x + self.mlp.c_proj(TF.gelu(self.mlp.c_fc(self.ln_2(x))))


class TGPT(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transformer = torch.nn.ModuleDict(dict(
            wte=torch.nn.Embedding(c.vocab_size, c.n_embd), wpe=torch.nn.Embedding(c.block_size, c.n_embd),
            h=torch.nn.ModuleList([TBlock(c) for _ in range(c.n_layer)]), ln_f=torch.nn.LayerNorm(c.n_embd)))
        self.lm_head = torch.nn.Linear(c.n_embd, c.vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight

    def forward(self, idx, targets):
        tr = self.transformer
        x = tr.wte(idx) + tr.wpe(torch.arange(idx.shape[1]))
        for b in tr.h: x = b(x)
        logits = self.lm_head(tr.ln_f(x))
        return logits, TF.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


# ------------------------------------------------------------------------------------------- the LSTMs
class TCharLSTM(torch.nn.Module):
    def __init__(self, V, c):
        super().__init__()
        self.embed = torch.nn.Embedding(V, c["embed_dim"])
        self.lstm = torch.nn.LSTM(c["embed_dim"], c["hidden_size"], c["num_layers"], batch_first=True,
                                  dropout=c["dropout"] if c["num_layers"] > 1 else 0.0)
        self.head = torch.nn.Linear(c["hidden_size"], V)

    def forward(self, idx, targets):
        logits = self.head(self.lstm(self.embed(idx))[0])
        return logits, TF.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def mytorch_lstm(V, c):
    "(model, forward(idx, targets) -> loss, description): L1's CharLSTM, or the same layers from mytorch.nn."
    try:
        from mytorch.models.char_rnn import CharLSTM
        m = CharLSTM(V, c["embed_dim"], c["hidden_size"], c["num_layers"], c["dropout"])
        def fwd(idx, targets):
            logits = m(idx)[0]
            return cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        return m, fwd, "mytorch.models.char_rnn.CharLSTM"
    except ImportError:
        from mytorch.nn.module import Module
        from mytorch.nn.layers import Embedding, Linear
        from mytorch.nn.gated import LSTM
        m = Module()
        m.embed, m.head = Embedding(V, c["embed_dim"]), None
        m.lstm = LSTM(c["embed_dim"], c["hidden_size"], c["num_layers"], batch_first=True,
                      dropout=c["dropout"] if c["num_layers"] > 1 else 0.0)
        m.head = Linear(c["hidden_size"], V)
        def fwd(idx, targets):
            logits = m.head(m.lstm(m.embed(idx))[0])
            return cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        return m, fwd, "Embedding + mytorch.nn.gated.LSTM + Linear (mytorch.models.char_rnn not found)"


# ------------------------------------------------------------------------------------------- one contender
class Run:
    "A model, its optimizer and its training step, in one library; `steps(n)` trains on the next n batches."
    def __init__(self, lib, model, forward, opt, batches):
        self.lib, self.model, self.forward, self.opt, self.batches, self.i = lib, model, forward, opt, batches, 0

    def step(self, x, y):
        loss = self.forward(x, y)
        self.opt.zero_grad()
        loss.backward()
        (clip_grad_norm_ if self.lib == "mytorch" else torch.nn.utils.clip_grad_norm_)(
            self.model.parameters(), 1.0)
        self.opt.step()
        return loss.item()

    def steps(self, n):
        conv = mytorch.tensor if self.lib == "mytorch" else torch.from_numpy
        for _ in range(n):
            x, y = self.batches[self.i % len(self.batches)]
            self.i += 1
            loss = self.step(conv(x), conv(y))
        return loss

    def params(self):
        return {n: p.detach().numpy() for n, p in self.model.named_parameters()}


def copy_weights(src, dst):
    "Parameters of the PyTorch model `src` into the mytorch model `dst`, in order (shapes checked)."
    ps, pd = list(src.parameters()), list(dst.parameters())
    assert len(ps) == len(pd), (len(ps), len(pd))
    for a, b in zip(ps, pd):
        assert tuple(a.shape) == tuple(b.shape), (a.shape, b.shape)
        b.array[...] = a.detach().numpy()


def gpt_runs(V, batches, seed=0):
    c = GPTConfig(vocab_size=V)
    mytorch.manual_seed(seed); torch.manual_seed(seed)
    m, t = GPT(c), TGPT(c)
    with torch.no_grad():
        for name, p in t.named_parameters():                      # nanoGPT's init, via mytorch's values
            p.copy_(torch.from_numpy(dict(m.named_parameters())[name].detach().numpy()))
    mopt = m.configure_optimizers(weight_decay=0.1, learning_rate=3e-3)
    decay = [p for p in t.parameters() if p.ndim >= 2]
    topt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                              {"params": [p for p in t.parameters() if p.ndim < 2], "weight_decay": 0.0}],
                             lr=3e-3, betas=(0.9, 0.99))
    return (Run("mytorch", m, lambda x, y: m(x, y)[1], mopt, batches),
            Run("torch", t, lambda x, y: t(x, y)[1], topt, batches), c)


def lstm_runs(V, c, batches, seed=0):
    torch.manual_seed(seed)
    t = TCharLSTM(V, c)
    m, fwd, desc = mytorch_lstm(V, c)
    copy_weights(t, m)
    kw = dict(lr=c["lr"], betas=tuple(c["betas"]), weight_decay=c["weight_decay"])
    return (Run("mytorch", m, fwd, AdamW(m.parameters(), **kw), batches),
            Run("torch", t, lambda x, y: t(x, y)[1], torch.optim.AdamW(t.parameters(), **kw), batches), desc)


# ------------------------------------------------------------------------------------------- the floor
def gpt_gemms(c, B):
    "(count, m, k, n) of every matrix product of one GPT training step: forward, then each one's two backward."
    N, C, T, hs = B * c.block_size, c.n_embd, c.block_size, c.n_embd // c.n_head
    fwd = [(1, N, C, 3 * C), (1, N, C, C), (1, N, C, 4 * C), (1, N, 4 * C, C)] * c.n_layer
    fwd += [(B * c.n_head, T, hs, T), (B * c.n_head, T, T, hs)] * c.n_layer      # q k^T, p v
    fwd += [(1, N, C, c.vocab_size)]                                               # the head
    return with_backward(fwd)


def lstm_gemms(c, V, B):
    T, E, H = c["block_size"], c["embed_dim"], c["hidden_size"]
    fwd = []
    for layer in range(c["num_layers"]):
        fwd += [(1, B * T, E if layer == 0 else H, 4 * H)]              # x @ W_ih^T, all steps at once
        fwd += [(T, B, H, 4 * H)]                                        # h @ W_hh^T, one per step
    fwd += [(1, B * T, H, V)]
    out = with_backward(fwd)
    # the recurrent weight's gradient needs only one product over all steps: (H, B T) @ (B T, 4 H)
    for layer in range(c["num_layers"]):
        out.remove((T, H, B, 4 * H)); out.append((1, H, B * T, 4 * H))
    return out


def with_backward(fwd):
    "Each forward product A (m, k) @ B (k, n) adds dA = G @ B^T (m, n, k) and dB = A^T @ G (k, m, n)."
    return fwd + [(cnt, m, n, k) for cnt, m, k, n in fwd] + [(cnt, k, m, n) for cnt, m, k, n in fwd]


def floor(gemms, clock, reps=5):
    "(seconds, FLOPs) of the products `gemms`, timed with NumPy float32 (median of `reps`)."
    rng, total, flops = np.random.default_rng(0), 0.0, 0
    for (cnt, m, k, n) in sorted(set(gemms)):
        times = gemms.count((cnt, m, k, n))
        a = rng.standard_normal((cnt, m, k) if cnt > 1 else (m, k), dtype=np.float32)
        b = rng.standard_normal((cnt, k, n) if cnt > 1 else (k, n), dtype=np.float32)
        np.matmul(a, b)
        ts = []
        for _ in range(reps):
            t0 = clock(); np.matmul(a, b); ts.append(clock() - t0)
        total += times * statistics.median(ts)
        flops += times * 2 * cnt * m * k * n
    return total, flops


# ------------------------------------------------------------------------------------------- measuring
def agreement(runs, steps):
    "Losses of both after `steps` steps from the same weights, and max |mytorch - torch| / max |torch|."
    m, t = runs
    lm, lt = m.steps(steps), t.steps(steps)
    mine, ref = m.params(), t.params()
    pairs = ([(mine[k], ref[k]) for k in ref] if set(mine) == set(ref)       # by name, else in order
             else list(zip(mine.values(), ref.values())))
    scale = max(float(np.abs(b).max()) for _, b in pairs)
    return lm, lt, max(float(np.abs(a - b).max()) for a, b in pairs) / scale


def alternate(runs, rounds, steps, clock):
    times = {r.lib: [] for r in runs}
    for _ in range(rounds):
        for r in runs:
            gc.collect()
            t0 = clock(); r.steps(steps); times[r.lib].append((clock() - t0) / steps)
    return times


def make_batches(data, B, T, n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        ix = rng.integers(0, len(data) - T - 1, B)
        win = data[ix[:, None] + np.arange(T + 1)]
        out.append((np.ascontiguousarray(win[:, :-1]), np.ascontiguousarray(win[:, 1:])))
    return out


def bench(name, make, gemms, args, clock, threads):
    print(f"\n=== {name}")
    batches = make["batches"]
    m, t, desc = make["runs"](batches)
    print(f"  {desc}")
    lm, lt, diff = agreement((m, t), args.check)
    bad = "" if diff < 1e-3 and abs(lm - lt) < 1e-3 else "   <-- WARNING: the contenders disagree"
    print(f"  agreement after {args.check} steps from the same weights on the same batches: losses {lm:.5f} "
          f"(mytorch), {lt:.5f} (PyTorch); max |mytorch - torch| / max |torch| = {diff:.1e}{bad}")
    m.steps(2); t.steps(2)                                           # warm-up
    gc.collect(); rss0 = rss()
    load = os.getloadavg()[0]
    times = alternate((m, t), args.rounds, args.steps, clock)
    f_sec, f_flops = floor(gemms, clock)
    med_m, med_t = statistics.median(times["mytorch"]), statistics.median(times["torch"])
    best_m, best_t = min(times["mytorch"]), min(times["torch"])
    print(f"  {args.steps} steps per round, median (best) of {args.rounds} alternating rounds, ms per step "
          f"(load average {load:.2f} -> {os.getloadavg()[0]:.2f}):")
    print(f"    mytorch                   {med_m * 1e3:8.1f} ({best_m * 1e3:.1f})")
    print(f"    PyTorch, {threads} thread{'s' * (threads != 1)}        {med_t * 1e3:8.1f} ({best_t * 1e3:.1f})")
    print(f"    floor: the step's matmuls  {f_sec * 1e3:7.1f}  ({f_flops / 1e9:.2f} GFLOP at "
          f"{f_flops / f_sec / 1e9:.1f} GFLOP/s, NumPy's BLAS in this run)")
    print(f"  ratio mytorch / PyTorch: {med_m / med_t:.2f} (median), {best_m / best_t:.2f} (best); "
          f"mytorch / floor: {med_m / f_sec:.2f}; PyTorch / floor: {med_t / f_sec:.2f}")
    if args.mem_steps:
        m.steps(args.mem_steps); gc.collect(); rss1 = rss()
        n = args.rounds * args.steps + args.mem_steps
        print(f"  memory: RSS {rss0 / 2**20:.1f} MiB after the warm-up, {rss1 / 2**20:.1f} MiB after {n} more "
              f"mytorch steps ({(rss1 - rss0) / 2**20:+.1f} MiB: "
              f"{'flat' if abs(rss1 - rss0) < 16 * 2**20 else 'NOT FLAT'})")
    return med_m / med_t, best_m / best_t


def train_gpt(steps, seed=1337, eval_every=250):
    "Chapter 11b's training run for `steps` steps; prints the validation loss as it goes."
    from mytorch.creation import Generator, randperm
    from mytorch.autograd.function import no_grad
    from mytorch.optim.lr_scheduler import LambdaLR
    from mytorch.utils.data import DataLoader
    train_ds, val_ds = Shakespeare(split="train"), Shakespeare(split="val")
    val_idx = randperm(len(val_ds), generator=Generator().manual_seed(0))[:2048].tolist()
    val_batches = list(DataLoader(val_ds, batch_size=256, sampler=val_idx))
    def factor(step, warmup=100):
        if step < warmup: return (step + 1) / warmup
        return 0.1 + 0.45 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, steps - warmup))))
    mytorch.manual_seed(seed)
    model = GPT(GPTConfig(vocab_size=train_ds.vocab_size))
    opt = model.configure_optimizers(weight_decay=0.1, learning_rate=3e-3)
    sched = LambdaLR(opt, factor)
    batches = iter(DataLoader(train_ds, batch_size=32, shuffle=True, generator=Generator().manual_seed(0)))
    print(f"training chapter 11b's GPT for {steps} steps (seed {seed}); validation on 2,048 fixed windows")
    wall, cpu = time.perf_counter(), time.process_time()
    for step in range(1, steps + 1):
        x, y = next(batches)
        loss = model(x, y)[1]
        opt.zero_grad(); loss.backward()
        clip_grad_norm_(model.parameters(), 1.0)
        opt.step(); sched.step()
        if step % eval_every == 0 or step == steps:
            model.eval()
            with no_grad(): val = np.mean([model(a, b)[1].item() for a, b in val_batches])
            model.train()
            print(f"  step {step:5d}  train {loss.item():.3f}  val {val:.4f}  {time.perf_counter() - wall:6.0f} s "
                  f"wall, {time.process_time() - cpu:6.0f} s CPU", flush=True)
    return val


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="*", default=["gpt", "lstm"], choices=["gpt", "lstm"])
    p.add_argument("--steps", type=int, default=10, help="training steps per timed round (default 10)")
    p.add_argument("--rounds", type=int, default=5, help="timed rounds per contender (default 5)")
    p.add_argument("--threads", type=int, default=None, help="threads for OpenBLAS and PyTorch (default: "
                   "OpenBLAS's own, and PyTorch set to match)")
    p.add_argument("--cpu-time", action="store_true", help="time with the process's CPU time instead of the "
                   "wall clock: steadier on a shared machine; only meaningful with --threads 1")
    p.add_argument("--check", type=int, default=3, help="steps of the agreement check before timing")
    p.add_argument("--mem-steps", type=int, default=20, help="extra mytorch steps before the second RSS reading "
                   "(0: skip)")
    p.add_argument("--train-gpt", type=int, default=0, metavar="STEPS", help="instead of timing, train chapter "
                   "11b's GPT for STEPS steps with the chapter's recipe and print its validation loss")
    args = p.parse_args(argv)
    if args.train_gpt:
        threads, how = blas_threads(args.threads)
        print(f"threads: NumPy's BLAS {threads} ({how}); load average {os.getloadavg()[0]:.2f}")
        return train_gpt(args.train_gpt)

    threads, how = blas_threads(args.threads)
    torch.set_num_threads(threads)
    clock = time.process_time if args.cpu_time else time.perf_counter
    ds = Shakespeare(split="train")
    data, V = ds.data.array, ds.vocab_size
    print(f"Part III's character models on Shakespeare ({len(data):,} training characters, {V} in the "
          f"vocabulary), float32; torch {torch.__version__}, numpy {np.__version__}, {os.cpu_count()} cores")
    print(f"threads: NumPy's BLAS {threads} ({how}), PyTorch intra-op {torch.get_num_threads()}; clock: "
          f"{'CPU time' if args.cpu_time else 'wall'}; load average {os.getloadavg()[0]:.2f}")
    if args.cpu_time and threads != 1:
        print("WARNING: CPU time adds up every thread's time; use --cpu-time with --threads 1")
    if os.getloadavg()[0] > 0.5 * (os.cpu_count() or 1):
        print("NOTE: the machine is busy (load average above half the cores); threads spin waiting for cores.\n"
              "      Trust --threads 1 --cpu-time here, or rerun on a quiet machine.")
    n_batches = args.check + 2 + args.rounds * args.steps + args.mem_steps
    results = {}
    if "gpt" in args.models:
        c = GPTConfig(vocab_size=V)
        batches = make_batches(data, 32, c.block_size, n_batches, 0)
        def runs(b):
            m, t, cfg = gpt_runs(V, b)
            return m, t, (f"GPT {cfg.n_layer} layers, {cfg.n_head} heads, width {cfg.n_embd}, context "
                          f"{cfg.block_size}, batch 32; AdamW lr 3e-3, clip 1.0")
        results["GPT"] = bench("GPT (chapter 11b)", dict(batches=batches, runs=runs), gpt_gemms(c, 32), args,
                               clock, threads)
    if "lstm" in args.models:
        c = dict(LSTM_DEFAULTS)
        if LSTM_CONFIG.exists(): c.update(json.loads(LSTM_CONFIG.read_text()))
        batches = make_batches(data, c["batch_size"], c["block_size"], n_batches, 1)
        def runs(b):
            m, t, desc = lstm_runs(V, c, b)
            return m, t, (f"{desc}: embed {c['embed_dim']}, hidden {c['hidden_size']}, {c['num_layers']} "
                          f"layer(s), blocks of {c['block_size']}, batch {c['batch_size']}; AdamW lr {c['lr']}, "
                          f"clip 1.0 (config: {LSTM_CONFIG if LSTM_CONFIG.exists() else 'defaults'})")
        results["LSTM"] = bench("character LSTM (chapter 10c)", dict(batches=batches, runs=runs),
                                lstm_gemms(c, V, c["batch_size"]), args, clock, threads)
    print(f"\nratio mytorch / PyTorch per training step, median (best); load average now "
          f"{os.getloadavg()[0]:.2f}")
    targets = {"GPT": 1.7, "LSTM": 1.5}
    for name, (med, best) in results.items():
        print(f"  {name:5s} {med:5.2f} ({best:.2f})   target <= {targets[name]}")


if __name__ == "__main__":
    main()
