"""A fixed number of training steps of chapter 9's CNN on Fashion-MNIST: mytorch vs PyTorch CPU; and conv2d alone.

The model is the chapter's (nbs/09d_cnn.ipynb): three blocks Conv2d(3x3, padding 1, no bias) -> BatchNorm2d ->
ReLU -> MaxPool2d(2) with 16, 32 and 64 channels (28 -> 14 -> 7 -> 3 pixels), then Flatten and Linear(576, 10);
cross-entropy loss, Adam (lr 1e-3, PyTorch's defaults otherwise), float32, batches of 128 shuffled images.
Each step includes reading the batch, forward, loss, backward and the optimizer step:

* mytorch: the prepared images (float32 N x 1 x 28 x 28, mean 0 and std 1, as in the chapter) in a
  `TensorDataset`, `DataLoader(shuffle=True)`, the model built from `mytorch.nn.conv_layers`, `optim.Adam`;
* PyTorch CPU: the same model and loop; the batches are read by indexing the same prepared images (one float32
  tensor) with a `randperm` slice, the fastest way to batch in-memory data in PyTorch.

Threads: NumPy's matrix products run on OpenBLAS's threads, its elementwise ufuncs on one thread. PyTorch gets
the same number of intra-op threads as OpenBLAS has; `--threads N` sets both (on a shared machine, 1 is the
steadiest). The contenders alternate within one process: each round times `--steps` steps of each (round
robin); medians (and best) over `--rounds` rounds are printed with the ratio. `--cpu-time` times with the
process's CPU time instead of the wall clock (steadier on a busy machine; meaningful with --threads 1). The load
average is printed before and after: on a busy machine trust the best times and the CPU times.

Before timing, the two start from the same weights (PyTorch's init, copied) and take `--check` steps (default 5)
on the same batches; the largest parameter difference to PyTorch, relative to the largest parameter, is printed
(they must agree to ~1e-5). Longer checks drift apart in float32: the first convolution's weight gradient sums
~100,000 products per entry, the two libraries sum them in different orders (~1e-4 relative), and Adam's
normalised steps turn such differences in near-zero gradients into full-size steps, ~1e-3 after 10 steps.

Then forward + backward of a single `F.conv2d` (input and weight gradients, and the bias's) at a few sizes
(`--conv`), mytorch vs PyTorch, alternating, medians and ratios; `--phases` also splits one mytorch training
step by layer type (forward of each layer through forward hooks; backward as a whole).

Run:  .venv/bin/python bench/cnn_epoch.py                  (--rounds 3 --steps 20 for a quick look)
This is a benchmark, not a test. Issue 12's target: mytorch <= 1.5x PyTorch for the CNN's steps.
"""
import argparse, gc, math, os, statistics, sys, time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))
import mytorch
from mytorch.nn.module import Sequential
from mytorch.nn.layers import Linear, Flatten, ReLU, CrossEntropyLoss
from mytorch.nn.conv_layers import Conv2d, BatchNorm2d, MaxPool2d
from mytorch.nn.functional.conv import conv2d
from mytorch.optim.adaptive import Adam
from mytorch.utils.data import DataLoader, TensorDataset
from mytorch.datasets import FashionMNIST
import torch
from mlp_epoch import blas_threads                                 # the same thread handling as the MLP bench

CHANNELS = [1, 16, 32, 64]
LR = 1e-3
CONV_SIZES = [  # (N, C_in, H, W, C_out, kernel, stride, padding): the CNN's three convolutions, then bigger ones
    (128, 1, 28, 28, 16, 3, 1, 1), (128, 16, 14, 14, 32, 3, 1, 1), (128, 32, 7, 7, 64, 3, 1, 1),
    (32, 64, 32, 32, 64, 3, 1, 1), (16, 3, 64, 64, 32, 5, 2, 2), (64, 128, 8, 8, 128, 1, 1, 0)]


# ------------------------------------------------------------------------------------------- the model, twice
def cnn_mytorch():
    layers = []
    for a, b in zip(CHANNELS, CHANNELS[1:]):
        layers += [Conv2d(a, b, 3, padding=1, bias=False), BatchNorm2d(b), ReLU(), MaxPool2d(2)]
    return Sequential(*layers, Flatten(), Linear(CHANNELS[-1] * 9, 10))


def cnn_torch():
    nn, layers = torch.nn, []
    for a, b in zip(CHANNELS, CHANNELS[1:]):
        layers += [nn.Conv2d(a, b, 3, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU(), nn.MaxPool2d(2)]
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(CHANNELS[-1] * 9, 10))


def prepared_images():
    "The training images as the chapter prepares them: float32 (N, 1, 28, 28), mean 0, std 1; and the labels."
    ds = FashionMNIST()                                  # $MYTORCH_DATA, ~/.cache/mytorch or Debian's files
    pixels = ds.data.array.astype(np.float32) / 255
    x = (pixels - pixels.mean()) / pixels.std()
    return x.reshape(-1, 1, 28, 28).astype(np.float32), ds.targets.array


class MytorchRun:
    "mytorch as a PyTorch user writes it: DataLoader over a TensorDataset, Sequential, Adam."
    def __init__(self, x, y, weights):
        self.ds, self.model = TensorDataset(mytorch.from_numpy(x), mytorch.from_numpy(y)), cnn_mytorch()
        for p, w in zip(self.model.parameters(), weights): p.array[...] = w
        self.opt, self.loss_fn = Adam(self.model.parameters(), lr=LR), CrossEntropyLoss()

    def params(self): return [p.array for p in self.model.parameters()]

    def steps(self, batch_size, limit, shuffle=True):
        model, opt, loss_fn = self.model, self.opt, self.loss_fn
        model.train()
        for i, (x, y) in enumerate(DataLoader(self.ds, batch_size=batch_size, shuffle=shuffle)):
            if i == limit: break
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return loss.item()


class TorchRun:
    "The same in PyTorch; batches by indexing the in-memory prepared images."
    def __init__(self, x, y, weights):
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
        self.model = cnn_torch()
        with torch.no_grad():
            for p, w in zip(self.model.parameters(), weights): p.copy_(torch.from_numpy(w))
        self.opt, self.loss_fn = torch.optim.Adam(self.model.parameters(), lr=LR), torch.nn.CrossEntropyLoss()

    def params(self): return [p.detach().numpy() for p in self.model.parameters()]

    def steps(self, batch_size, limit, shuffle=True):
        model, opt, loss_fn, n = self.model, self.opt, self.loss_fn, len(self.x)
        model.train()
        order = torch.randperm(n) if shuffle else torch.arange(n)
        for i, start in enumerate(range(0, n, batch_size)):
            if i == limit: break
            idx = order[start:start + batch_size]
            loss = loss_fn(model(self.x[idx]), self.y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        return loss.item()


def start_weights(seed=0):
    "PyTorch's default init of the CNN, as float32 arrays in parameter order."
    torch.manual_seed(seed)
    return [p.detach().numpy().copy() for p in cnn_torch().parameters()]


def agreement(x, y, steps, batch_size=128):
    "max |mytorch - torch| / max |torch| over the parameters after `steps` steps on the same batches; losses."
    w = start_weights(1)
    runs = MytorchRun(x, y, w), TorchRun(x, y, w)
    losses = [r.steps(batch_size, steps, shuffle=False) for r in runs]
    ref = runs[1].params()
    diff = max(float(np.abs(a - t).max() / max(np.abs(t).max(), 1e-12)) for a, t in zip(runs[0].params(), ref))
    return diff, losses


def clock(cpu): return time.process_time if cpu else time.perf_counter


def alternate(runs, batch_size, rounds, steps, cpu):
    "Round robin over `runs` ({label: run}): {label: [seconds per `steps` steps]}."
    now, times = clock(cpu), {label: [] for label in runs}
    for _ in range(rounds):
        for label, run in runs.items():
            gc.collect()
            t0 = now(); run.steps(batch_size, steps); times[label].append(now() - t0)
    return times


# ------------------------------------------------------------------------------------------- conv2d alone
def conv_pair(size, rng):
    "The same conv2d problem for both libraries: (mytorch tensors, torch tensors, conv kwargs)."
    n, c, h, w, o, k, s, p = size
    arrays = [rng.standard_normal(shape).astype(np.float32) for shape in [(n, c, h, w), (o, c, k, k), (o,)]]
    mine = [mytorch.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return mine, theirs, dict(stride=s, padding=p)


def conv_fb(lib_conv, tensors, kw, grad):
    "One forward + backward of conv2d; every input's gradient is computed (and then dropped)."
    for t in tensors: t.grad = None
    out = lib_conv(*tensors, **kw)
    out.backward(grad)


def conv_table(rounds, reps, cpu):
    now, rng = clock(cpu), np.random.default_rng(0)
    print(f"\nconv2d forward + backward (input, weight and bias gradients), float32: median ms of {rounds} "
          f"alternating rounds of {reps} calls (load average {os.getloadavg()[0]:.2f})")
    print(f"  {'N, C_in, H, W -> C_out, k, stride, pad':42s} {'unfolded':>10s} {'mytorch':>9s} {'PyTorch':>9s} "
          f"{'ratio':>7s} {'best':>6s}")
    for size in CONV_SIZES:
        mine, theirs, kw = conv_pair(size, rng)
        with torch.no_grad(): t_out = torch.nn.functional.conv2d(*theirs, **kw)
        g = np.random.default_rng(1).standard_normal(t_out.shape).astype(np.float32)
        mg, tg = mytorch.tensor(g), torch.from_numpy(g)
        res = {"m": [], "t": []}
        conv_fb(conv2d, mine, kw, mg); conv_fb(torch.nn.functional.conv2d, theirs, kw, tg)     # warm-up
        for _ in range(rounds):
            for key, fn, ts, gg in (("m", conv2d, mine, mg), ("t", torch.nn.functional.conv2d, theirs, tg)):
                gc.collect()
                t0 = now()
                for _ in range(reps): conv_fb(fn, ts, kw, gg)
                res[key].append((now() - t0) / reps * 1e3)
        n, c, h, w, o, k, s, p = size
        ho, wo = t_out.shape[2:]
        unfolded = n * ho * wo * c * k * k * 4                   # bytes of the im2col matrix, float32
        m, t = statistics.median(res["m"]), statistics.median(res["t"])
        label = f"{n}, {c}, {h}, {w} -> {o}, {k}, {s}, {p}"
        print(f"  {label:42s} {unfolded / 2**20:8.1f}MB {m:9.2f} {t:9.2f} {m / t:7.2f} "
              f"{min(res['m']) / min(res['t']):6.2f}")


# ------------------------------------------------------------------------------------------- where the time goes
def phases(run, batch_size, steps, cpu):
    """Seconds per layer type (forward, via forward hooks) and for backward and the optimizer step, summed over
    `steps` mytorch steps."""
    now, acc, starts = clock(cpu), {}, {}
    model = run.model
    def pre(m, args): starts[id(m)] = now()
    def post(m, args, out):
        k = f"forward {type(m).__name__}"
        acc[k] = acc.get(k, 0.0) + now() - starts[id(m)]
    handles = [h for m in model.children() for h in (m.register_forward_pre_hook(pre), m.register_forward_hook(post))]
    try:
        for i, (x, y) in enumerate(DataLoader(run.ds, batch_size=batch_size, shuffle=True)):
            if i == steps: break
            loss = run.loss_fn(model(x), y)
            t0 = now(); run.opt.zero_grad(); loss.backward(); t1 = now(); run.opt.step(); t2 = now()
            acc["backward (all layers)"] = acc.get("backward (all layers)", 0.0) + t1 - t0
            acc["zero_grad + Adam step"] = acc.get("zero_grad + Adam step", 0.0) + t2 - t1
    finally:
        for h in handles: h.remove()
    total = sum(acc.values())
    print(f"\nwhere one mytorch step's time goes ({steps} steps of batch {batch_size}; ms per step)")
    for k, v in sorted(acc.items(), key=lambda kv: -kv[1]):
        print(f"  {k:28s} {v / steps * 1e3:8.2f}  {v / total:6.1%}")


def profile_mytorch(run, batch_size, steps, top=25):
    "cProfile of mytorch steps: the functions with the most time of their own."
    import cProfile, pstats
    pr = cProfile.Profile()
    pr.enable(); run.steps(batch_size, steps); pr.disable()
    print(f"\ncProfile of {steps} mytorch steps at batch {batch_size} (profiling slows Python code ~1.5-2x)")
    pstats.Stats(pr, stream=sys.stdout).sort_stats("tottime").print_stats(top)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--steps", type=int, default=50, help="training steps per timed round (default 50)")
    p.add_argument("--rounds", type=int, default=5, help="timed rounds per contender")
    p.add_argument("--threads", type=int, default=None, help="threads for OpenBLAS and PyTorch (default: "
                   "OpenBLAS's own, and PyTorch set to match)")
    p.add_argument("--check", type=int, default=5, help="steps of the agreement check before timing")
    p.add_argument("--cpu-time", action="store_true", help="time with the process's CPU time instead of the "
                   "wall clock: steadier on a shared machine; only meaningful with --threads 1")
    p.add_argument("--conv", action=argparse.BooleanOptionalAction, default=True,
                   help="also time conv2d alone at a few sizes (default on; --no-conv skips it)")
    p.add_argument("--conv-reps", type=int, default=5, help="conv2d calls per timed round")
    p.add_argument("--phases", action="store_true", help="also split a mytorch step by layer type")
    p.add_argument("--profile", action="store_true", help="also cProfile the mytorch steps")
    args = p.parse_args(argv)

    threads, how = blas_threads(args.threads)
    torch.set_num_threads(threads)
    x, y = prepared_images()
    print(f"CNN {'-'.join(map(str, CHANNELS))} (conv-BN-ReLU-pool blocks) + Linear({CHANNELS[-1] * 9}, 10) on "
          f"Fashion-MNIST, Adam lr {LR}, float32, batch {args.batch_size}; torch {torch.__version__}, numpy "
          f"{np.__version__}, {os.cpu_count()} cores")
    print(f"threads: NumPy's BLAS {threads} ({how}), PyTorch intra-op {torch.get_num_threads()}; "
          f"clock: {'CPU time' if args.cpu_time else 'wall'}; load average {os.getloadavg()[0]:.2f}")
    if os.getloadavg()[0] > 0.5 * (os.cpu_count() or 1):
        print("NOTE: the machine is busy (load average above half the cores); multi-threaded BLAS and PyTorch\n"
              "      suffer most. Rerun on a quiet machine; meanwhile trust the best times (or --cpu-time "
              "--threads 1).")

    diff, losses = agreement(x, y, args.check, args.batch_size)
    bad = "" if diff < 1e-4 else "   <-- WARNING: the contenders disagree"
    print(f"\nagreement after {args.check} steps from the same weights on the same batches: max |mytorch - torch|"
          f" / max |torch| = {diff:.1e}; last losses {losses[0]:.5f} (mytorch), {losses[1]:.5f} (torch){bad}")

    w = start_weights(0)
    torch_label = f"PyTorch, {threads} thread{'s' * (threads != 1)}"
    runs = {"mytorch": MytorchRun(x, y, w), torch_label: TorchRun(x, y, w)}
    for run in runs.values(): run.steps(args.batch_size, 5)           # warm-up: state, caches, thread pools
    load = os.getloadavg()[0]
    times = alternate(runs, args.batch_size, args.rounds, args.steps, args.cpu_time)
    print(f"\n{args.steps} steps of batch {args.batch_size}, median (best) of {args.rounds} alternating rounds "
          f"(load average {load:.2f} -> {os.getloadavg()[0]:.2f})")
    print(f"  {'':22s} {'ms / step':>10s} {'best':>8s} {'s / epoch':>10s} {'mytorch / this':>15s} {'best ratio':>11s}")
    base, base_best = statistics.median(times["mytorch"]), min(times["mytorch"])
    per_epoch = math.ceil(len(x) / args.batch_size) / args.steps
    for label, ts in times.items():
        med, best = statistics.median(ts), min(ts)
        print(f"  {label:22s} {med / args.steps * 1e3:10.1f} {best / args.steps * 1e3:8.1f} {med * per_epoch:10.1f} "
              f"{base / med:15.2f} {base_best / best:11.2f}")
    ratio = base / statistics.median(times[torch_label])
    if args.phases: phases(runs["mytorch"], args.batch_size, args.steps, args.cpu_time)
    if args.profile: profile_mytorch(runs["mytorch"], args.batch_size, args.steps)
    if args.conv: conv_table(args.rounds, args.conv_reps, args.cpu_time)
    print(f"\nratio mytorch / PyTorch for the CNN's steps: {ratio:.2f} (median), "
          f"{base_best / min(times[torch_label]):.2f} (best); target <= 1.5; load average now "
          f"{os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
