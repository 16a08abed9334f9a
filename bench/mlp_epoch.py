"""One training epoch of an MLP on Fashion-MNIST: mytorch vs PyTorch CPU vs hand-written NumPy.

The model is chapter 8's: 784 -> 256 -> 128 -> 10 (Linear, ReLU, Linear, ReLU, Linear), cross-entropy loss, Adam
(lr 1e-3, PyTorch's defaults otherwise), float32, one pass over the 60,000 training images in shuffled batches
of 128 and of 32 (the last batch is smaller). Each epoch includes reading the batch, the uint8 -> float32 / 255
conversion, forward, loss, backward and the optimizer step:

* mytorch: `mytorch.datasets.FashionMNIST` + `mytorch.utils.data.DataLoader(shuffle=True)` (the batched
  `__getitems__` path), `nn.Sequential(nn.Flatten(), nn.Linear, nn.ReLU, ...)`, `nn.CrossEntropyLoss`,
  `optim.Adam`, `zero_grad` / `backward` / `step` as a PyTorch user writes it;
* PyTorch CPU: the same model and loop; the batches are read by indexing the whole data set (one uint8 tensor)
  with a `randperm` slice, the fastest way to batch in-memory data in PyTorch (its own DataLoader over a
  TensorDataset collates sample by sample and would only slow PyTorch down);
* hand-written NumPy: forward, backward and Adam written out with in-place ufuncs (PyTorch's formulas), no graph,
  no modules: the floor for anything built on NumPy.

Threads: NumPy's matrix products run on OpenBLAS's threads, its elementwise ufuncs on one thread. PyTorch gets
the same number of intra-op threads as OpenBLAS has (read through threadpoolctl if installed, otherwise from
OpenBLAS itself via ctypes); `--threads N` sets both. The contenders alternate within one process: each round
times one epoch of each (round robin), for each batch size; medians (and best) over `--rounds` rounds are printed
with the ratios. The machine's load average is printed before and after: this benchmark is meant for a quiet
machine, and on a busy one the best times are the more trustworthy ones.

Before timing, the three start from the same weights (PyTorch's init, copied) and take `--check` steps on the
same batches; the largest parameter difference to PyTorch is printed (they must agree).

Memory: `--mem-epochs` epochs (batch 128) of mytorch and of the NumPy loop with tracemalloc on (it sees NumPy's
allocations), after one warm-up epoch: per epoch, the bytes still allocated at its end and the peak during it
(relative to the end of the warm-up), plus the process's RSS. Flat numbers mean nothing leaks from one epoch to
the next.

Run:  .venv/bin/python bench/mlp_epoch.py            (--rounds 3 --limit 100 for a quick look)
This is a benchmark, not a test. Issue 11's targets: mytorch <= 1.0x PyTorch and <= 1.1x NumPy at batch 128,
<= 1.2x PyTorch at batch 32.
"""
import argparse, ctypes, gc, glob, math, os, statistics, sys, time, tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # run from a checkout without installing
import mytorch
import mytorch.nn as nn
import mytorch.optim as optim
from mytorch.utils.data import DataLoader
from mytorch.datasets import FashionMNIST
import torch

SIZES = [784, 256, 128, 10]
LR = 1e-3


# ------------------------------------------------------------------------------------------- threads
def _openblas():
    "NumPy's bundled OpenBLAS (scipy-openblas) as a ctypes library, or None."
    libs = glob.glob(str(Path(np.__file__).parent.parent / "numpy.libs" / "libscipy_openblas*.so*"))
    return ctypes.CDLL(libs[0]) if libs else None


def blas_threads(set_to=None):
    """(threads of NumPy's BLAS, how it was read); `set_to` sets them first."""
    try:
        import threadpoolctl
        if set_to: threadpoolctl.threadpool_limits(set_to, user_api="blas")
        info = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
        if info: return info[0]["num_threads"], "threadpoolctl"
    except ImportError:
        pass
    lib = _openblas()
    for suffix in ("64_", "_64_", ""):
        get = getattr(lib, f"scipy_openblas_get_num_threads{suffix}", None) if lib else None
        if get is None: continue
        if set_to: getattr(lib, f"scipy_openblas_set_num_threads{suffix}")(ctypes.c_int(set_to))
        return get(), "OpenBLAS via ctypes"
    n = int(os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or os.cpu_count())
    return n, "not readable: assumed from the environment / core count"


# ------------------------------------------------------------------------------------------- the three loops
def mlp_mytorch():
    layers = [nn.Flatten()]
    for i, (a, b) in enumerate(zip(SIZES, SIZES[1:])):
        layers += [nn.Linear(a, b)] + ([nn.ReLU()] if i < len(SIZES) - 2 else [])
    return nn.Sequential(*layers)


def mlp_torch():
    layers = [torch.nn.Flatten()]
    for i, (a, b) in enumerate(zip(SIZES, SIZES[1:])):
        layers += [torch.nn.Linear(a, b)] + ([torch.nn.ReLU()] if i < len(SIZES) - 2 else [])
    return torch.nn.Sequential(*layers)


class MytorchRun:
    "mytorch as a PyTorch user writes it: DataLoader over FashionMNIST, Sequential, Adam."
    def __init__(self, ds, weights):
        self.ds, self.model = ds, mlp_mytorch()
        for p, w in zip(self.model.parameters(), weights): p.array[...] = w
        self.opt, self.loss_fn = optim.Adam(self.model.parameters(), lr=LR), nn.CrossEntropyLoss()

    def params(self): return [p.array for p in self.model.parameters()]

    def epoch(self, batch_size, limit=None, shuffle=True):
        model, opt, loss_fn = self.model, self.opt, self.loss_fn
        model.train()
        for i, (x, y) in enumerate(DataLoader(self.ds, batch_size=batch_size, shuffle=shuffle)):
            if i == limit: break
            loss = loss_fn(model(x.float() / 255), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return loss.item()


class TorchRun:
    "The same in PyTorch; batches by indexing the in-memory uint8 data set."
    def __init__(self, data, targets, weights):
        self.x, self.y = torch.from_numpy(data), torch.from_numpy(targets)
        self.model = mlp_torch()
        with torch.no_grad():
            for p, w in zip(self.model.parameters(), weights): p.copy_(torch.from_numpy(w))
        self.opt = torch.optim.Adam(self.model.parameters(), lr=LR)
        self.loss_fn = torch.nn.CrossEntropyLoss()

    def params(self): return [p.detach().numpy() for p in self.model.parameters()]

    def epoch(self, batch_size, limit=None, shuffle=True):
        model, opt, loss_fn, n = self.model, self.opt, self.loss_fn, len(self.x)
        model.train()
        order = torch.randperm(n) if shuffle else torch.arange(n)
        for i, start in enumerate(range(0, n, batch_size)):
            if i == limit: break
            idx = order[start:start + batch_size]
            loss = loss_fn(model(self.x[idx].float() / 255), self.y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        return loss.item()


class NumpyRun:
    """Forward, backward and Adam by hand on NumPy arrays. Weights (out, in) as nn.Linear's; gradient buffers and
    Adam's state are preallocated and updated in place (~10 passes over memory per parameter per step)."""
    def __init__(self, data, targets, weights, betas=(0.9, 0.999), eps=1e-8):
        self.x, self.y = data.reshape(len(data), -1), targets
        self.p = [w.copy() for w in weights]                     # W1, b1, W2, b2, W3, b3
        self.g = [np.empty_like(w) for w in weights]
        self.m, self.v = [np.zeros_like(w) for w in weights], [np.zeros_like(w) for w in weights]
        self.tmp = [np.empty_like(w) for w in weights]
        self.betas, self.eps, self.t, self.rng = betas, eps, 0, np.random.default_rng(0)

    def params(self): return self.p

    def step(self, x, y):
        "One forward/backward/Adam step on a uint8 batch x (B, 784) and int64 labels y; returns the loss."
        loss = self.forward_backward(x, y)
        self.adam()
        return loss

    def forward_backward(self, x, y, add=None, t=None):
        """Loss and gradients (into self.g); `add`, `t`: phase timing (see `phase_times`): the forward's end
        time is left in self.t_forward."""
        W1, b1, W2, b2, W3, b3 = self.p
        gW1, gb1, gW2, gb2, gW3, gb3 = self.g
        n = len(x)
        a0 = np.divide(x, np.float32(255), dtype=np.float32)
        h1 = a0 @ W1.T; h1 += b1; np.maximum(h1, 0, out=h1)
        h2 = h1 @ W2.T; h2 += b2; np.maximum(h2, 0, out=h2)
        z = h2 @ W3.T; z += b3
        z -= z.max(axis=1, keepdims=True)                       # log-softmax, stable
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        rows = np.arange(n)
        loss = float(np.log(s[:, 0]).mean() - z[rows, y].mean())
        if add: self.t_forward = add("forward + loss", t)
        e /= s; e[rows, y] -= 1; e *= np.float32(1 / n)        # dL/dz = (softmax - onehot) / n
        np.matmul(e.T, h2, out=gW3); e.sum(axis=0, out=gb3)
        d2 = e @ W3; d2[h2 <= 0] = 0                             # through ReLU
        np.matmul(d2.T, h1, out=gW2); d2.sum(axis=0, out=gb2)
        d1 = d2 @ W2; d1[h1 <= 0] = 0
        np.matmul(d1.T, a0, out=gW1); d1.sum(axis=0, out=gb1)
        return loss

    def adam(self):
        (b1, b2), self.t = self.betas, self.t + 1
        bc1, bc2_sqrt = 1 - b1 ** self.t, math.sqrt(1 - b2 ** self.t)
        for p, g, m, v, tmp in zip(self.p, self.g, self.m, self.v, self.tmp):
            np.subtract(g, m, out=tmp); tmp *= 1 - b1; m += tmp             # m = m + (1 - b1)(g - m)
            v *= b2; np.multiply(g, g, out=tmp); tmp *= 1 - b2; v += tmp   # v = b2 v + (1 - b2) g^2
            np.sqrt(v, out=tmp); tmp /= bc2_sqrt; tmp += self.eps          # sqrt(v / bc2) + eps
            np.divide(m, tmp, out=tmp); tmp *= LR / bc1; p -= tmp

    def epoch(self, batch_size, limit=None, shuffle=True):
        n = len(self.x)
        order = self.rng.permutation(n) if shuffle else np.arange(n)
        for i, start in enumerate(range(0, n, batch_size)):
            if i == limit: break
            idx = order[start:start + batch_size]
            loss = self.step(self.x[idx], self.y[idx])
        return loss


# ------------------------------------------------------------------------------------------- where the time goes
PHASES = ["batch", "forward + loss", "backward", "zero_grad + step"]


def phase_times(label, run, batch_size, limit, clock=time.perf_counter):
    """Seconds per phase of one epoch of `run`, timed with `clock` around each phase of each step (the
    timer calls cost ~0.1-1 us each: noise next to a step of ~1 ms)."""
    acc = dict.fromkeys(PHASES, 0.0)
    def add(phase, t0):
        t = clock(); acc[phase] += t - t0; return t
    if isinstance(run, MytorchRun):
        model, opt, loss_fn = run.model, run.opt, run.loss_fn
        it, t = iter(DataLoader(run.ds, batch_size=batch_size, shuffle=True)), clock()
        for i, (x, y) in enumerate(it):
            t = add("batch", t)
            if i == limit: break
            loss = loss_fn(model(x.float() / 255), y); t = add("forward + loss", t)
            loss.backward(); t = add("backward", t)
            opt.step(); opt.zero_grad(); t = add("zero_grad + step", t)
    elif isinstance(run, TorchRun):
        model, opt, loss_fn, n = run.model, run.opt, run.loss_fn, len(run.x)
        order, t = torch.randperm(n), clock()
        for i, start in enumerate(range(0, n, batch_size)):
            if i == limit: break
            idx = order[start:start + batch_size]; x, y = run.x[idx], run.y[idx]; t = add("batch", t)
            loss = loss_fn(model(x.float() / 255), y); t = add("forward + loss", t)
            loss.backward(); t = add("backward", t)
            opt.step(); opt.zero_grad(); t = add("zero_grad + step", t)
    else:       # the NumPy step is one function: time its parts by splitting it here
        n = len(run.x)
        order, t = run.rng.permutation(n), clock()
        for i, start in enumerate(range(0, n, batch_size)):
            if i == limit: break
            idx = order[start:start + batch_size]; x, y = run.x[idx], run.y[idx]; t = add("batch", t)
            run.forward_backward(x, y, add, t); t = add("backward", run.t_forward)
            run.adam(); t = add("zero_grad + step", t)
    return acc


def print_phases(runs, batch_size, limit, rounds=3, clock=time.perf_counter):
    "Median seconds per phase over `rounds` alternating epochs, for every run."
    res = {label: {ph: [] for ph in PHASES} for label in runs}
    for _ in range(rounds):
        for label, run in runs.items():
            gc.collect()
            for ph, sec in phase_times(label, run, batch_size, limit, clock).items(): res[label][ph].append(sec)
    print(f"\nphases at batch {batch_size}: median seconds per epoch over {rounds} alternating epochs "
          f"(load average {os.getloadavg()[0]:.2f})")
    print(f"  {'':26s}" + "".join(f"{ph:>18s}" for ph in PHASES) + f"{'total':>10s}")
    for label, d in res.items():
        meds = [statistics.median(d[ph]) for ph in PHASES]
        print(f"  {label:26s}" + "".join(f"{m:18.3f}" for m in meds) + f"{sum(meds):10.3f}")


def profile_mytorch(run, batch_size, limit, top=30):
    "cProfile of one mytorch epoch: the functions with the most time of their own, and cumulative."
    import cProfile, pstats
    pr = cProfile.Profile()
    pr.enable(); run.epoch(batch_size, limit); pr.disable()
    print(f"\ncProfile of one mytorch epoch at batch {batch_size} (profiling slows Python code ~1.5-2x)")
    st = pstats.Stats(pr, stream=sys.stdout)
    st.sort_stats("tottime").print_stats(top)
    st.sort_stats("cumulative").print_stats(top)


# ------------------------------------------------------------------------------------------- measuring
def start_weights(seed=0):
    "PyTorch's default init of the MLP, as float32 arrays (W1, b1, W2, b2, W3, b3)."
    torch.manual_seed(seed)
    return [p.detach().numpy().copy() for p in mlp_torch().parameters()]


def agreement(ds, data, targets, steps, batch_size=128):
    "max |lib - torch| / max |torch| over the parameters after `steps` steps on the same batches."
    w = start_weights(1)
    runs = MytorchRun(ds, w), TorchRun(data, targets, w), NumpyRun(data, targets, w)
    losses = [r.epoch(batch_size, limit=steps, shuffle=False) for r in runs]
    ref = runs[1].params()
    scale = max(float(np.abs(t).max()) for t in ref)
    diffs = [max(float(np.abs(a - t).max()) for a, t in zip(r.params(), ref)) / scale for r in runs]
    return diffs[0], diffs[2], losses


def alternate(runs, batch_size, rounds, limit, clock=time.perf_counter):
    "Round robin over `runs` ({label: run}): {label: [seconds per epoch]}, measured with `clock`."
    times = {label: [] for label in runs}
    for _ in range(rounds):
        for label, run in runs.items():
            gc.collect()
            t0 = clock(); run.epoch(batch_size, limit); times[label].append(clock() - t0)
    return times


def rss():
    "The process's resident set size in bytes (psutil, or /proc)."
    try:
        import psutil
        return psutil.Process().memory_info().rss
    except ImportError:
        with open("/proc/self/statm") as f: return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory(run, epochs, batch_size, limit):
    """Per epoch: (bytes still allocated at its end, peak bytes during it, RSS at its end), via tracemalloc,
    relative to the end of a warm-up epoch run under tracemalloc too (so that what an epoch leaves behind on
    purpose, e.g. the last step's gradients, is counted in the base and not as growth)."""
    rss()                                   # imports psutil before tracing (its modules would count as growth)
    gc.collect()
    tracemalloc.start()
    run.epoch(batch_size, limit)
    gc.collect()
    base, rows, snaps = tracemalloc.get_traced_memory()[0], [], []
    for i in range(epochs):
        tracemalloc.reset_peak()
        run.epoch(batch_size, limit)
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
        rows.append((current - base, peak - base, rss()))
        if i in (0, epochs - 1): snaps.append(tracemalloc.take_snapshot())
    tracemalloc.stop()
    diff = snaps[-1].compare_to(snaps[0], "lineno")
    growth = diff[:3] if sum(d.size_diff for d in diff) > 2**20 else []      # where it grew, if it did
    return rows, growth


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch-sizes", type=int, nargs="*", default=[128, 32])
    p.add_argument("--rounds", type=int, default=5, help="timed epochs per contender and batch size")
    p.add_argument("--limit", type=int, default=None, help="batches per epoch (default: the whole epoch)")
    p.add_argument("--threads", type=int, default=None, help="threads for OpenBLAS and PyTorch (default: "
                   "OpenBLAS's own, and PyTorch set to match)")
    p.add_argument("--check", type=int, default=20, help="steps of the agreement check before timing")
    p.add_argument("--mem-epochs", type=int, default=5, help="epochs of the memory measurement (0: skip)")
    p.add_argument("--phases", action="store_true", help="also time the phases of a step (batch, forward, "
                   "backward, step) for every contender and batch size")
    p.add_argument("--cpu-time", action="store_true", help="time epochs with the process's CPU time instead of "
                   "the wall clock: steadier on a shared machine; only meaningful with --threads 1")
    p.add_argument("--profile", action="store_true", help="also cProfile one mytorch epoch per batch size")
    args = p.parse_args(argv)

    threads, how = blas_threads(args.threads)
    torch.set_num_threads(threads)
    ds = FashionMNIST()                                  # $MYTORCH_DATA, ~/.cache/mytorch or Debian's files
    data, targets = ds.data.array, ds.targets.array
    print(f"MLP {'-'.join(map(str, SIZES))} on Fashion-MNIST ({len(ds):,} training images), Adam lr {LR}, "
          f"float32; torch {torch.__version__}, numpy {np.__version__}, {os.cpu_count()} cores")
    print(f"threads: NumPy's BLAS {threads} ({how}), PyTorch intra-op {torch.get_num_threads()}; "
          f"load average {os.getloadavg()[0]:.2f}")
    if os.getloadavg()[0] > 0.5 * (os.cpu_count() or 1):
        print("NOTE: the machine is busy (load average above half the cores); multi-threaded BLAS and PyTorch\n"
              "      suffer most. Rerun on a quiet machine; meanwhile trust the best times over the medians.")

    clock = time.process_time if args.cpu_time else time.perf_counter
    if args.cpu_time:
        print("timing: process CPU time (--cpu-time)" + ("" if threads == 1 else
              "   <-- WARNING: CPU time adds up every thread's time; use it with --threads 1"))
    mine, hand, losses = agreement(ds, data, targets, args.check)
    bad = "" if mine < 1e-4 and hand < 1e-4 else "   <-- WARNING: the contenders disagree"
    print(f"\nagreement after {args.check} steps of batch 128 from the same weights: max |lib - torch| / "
          f"max |torch|: mytorch {mine:.1e}, NumPy by hand {hand:.1e}; last losses "
          f"{', '.join(f'{l:.5f}' for l in losses)} (mytorch, torch, NumPy){bad}")

    w = start_weights(0)
    torch_label = f"PyTorch, {threads} thread{'s' * (threads != 1)}"
    runs = {"mytorch": MytorchRun(ds, w), torch_label: TorchRun(data, targets, w),
            "hand-written NumPy": NumpyRun(data, targets, w)}
    for run in runs.values(): run.epoch(128, limit=20)            # warm-up: state, caches, thread pools
    summary = []
    for bs in args.batch_sizes:
        load = os.getloadavg()[0]
        times = alternate(runs, bs, args.rounds, args.limit, clock)
        n_batches = args.limit or math.ceil(len(ds) / bs)
        n_samples = min(len(ds), n_batches * bs)
        print(f"\nbatch {bs}: {n_batches} steps per epoch, median (best) of {args.rounds} alternating epochs "
              f"(load average {load:.2f} -> {os.getloadavg()[0]:.2f})")
        print(f"  {'':26s} {'s / epoch':>10s} {'best':>8s} {'samples/s':>10s} {'mytorch / this':>15s} "
              f"{'best ratio':>11s}")
        base, base_best = statistics.median(times["mytorch"]), min(times["mytorch"])
        for label, ts in times.items():
            med, best = statistics.median(ts), min(ts)
            print(f"  {label:26s} {med:10.3f} {best:8.3f} {n_samples / med:10,.0f} {base / med:15.2f} "
                  f"{base_best / best:11.2f}")
        summary.append((bs, [(base / statistics.median(ts), base_best / min(ts))
                             for label, ts in times.items() if label != "mytorch"]))
        if args.phases: print_phases(runs, bs, args.limit, clock=clock)
        if args.profile: profile_mytorch(runs["mytorch"], bs, args.limit)

    if args.mem_epochs:
        print(f"\nmemory over {args.mem_epochs} epochs of batch 128 (tracemalloc: NumPy's and Python's "
              f"allocations, relative to the end of a warm-up epoch; RSS of the whole process)")
        for label in ("mytorch", "hand-written NumPy"):
            rows, grew = memory(runs[label], args.mem_epochs, 128, args.limit)
            print(f"  {label}:")
            for i, (kept, peak, r) in enumerate(rows, 1):
                print(f"    epoch {i}: kept {kept / 2**20:8.2f} MiB  peak {peak / 2**20:8.2f} MiB  "
                      f"RSS {r / 2**20:8.1f} MiB")
            growth = rows[-1][0] - rows[0][0]
            print(f"    kept memory changes by {growth / 2**10:,.1f} KiB from epoch 1 to {args.mem_epochs}"
                  f" ({'flat' if abs(growth) < 2**20 else 'NOT FLAT'}); RSS by "
                  f"{(rows[-1][2] - rows[0][2]) / 2**20:+.1f} MiB")
            for d in grew: print(f"      grew: {d}")

    print(f"\nratio mytorch / other, median (best) epoch; load average now {os.getloadavg()[0]:.2f}")
    print(f"  {'batch':>6s} {f'PyTorch {threads} thr':>18s} {'NumPy by hand':>15s}   targets")
    for bs, ((tm, tb), (nm, nb)) in summary:
        goal = "<= 1.0 / <= 1.1" if bs == 128 else "<= 1.2 / -" if bs == 32 else ""
        print(f"  {bs:6d} {f'{tm:.2f} ({tb:.2f})':>18s} {f'{nm:.2f} ({nb:.2f})':>15s}   {goal}")


if __name__ == "__main__":
    main()
