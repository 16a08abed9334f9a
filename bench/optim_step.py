"""One optimizer step over a ~1M-parameter model: mytorch vs PyTorch vs a hand-written NumPy update.

The model is the parameter list of an MLP 784 -> 1000 -> 200 -> 10 (weights and biases: 987,210 float32 values in
6 tensors), with fixed random gradients in `.grad`. For each optimizer (`SGD(lr=0.01, momentum=0.9)`, `Adam()`,
`AdamW()`, PyTorch's defaults otherwise) we time one `opt.step()` for:

* mytorch (`mytorch.optim.sgd.SGD`, `mytorch.optim.adaptive.Adam` / `AdamW`),
* PyTorch with one intra-op thread (`torch.set_num_threads(1)`: NumPy's elementwise ops use one thread, so this is
  the like-for-like comparison) and with its default number of threads (timed after the others, so that the
  thread count is not switched back and forth),
* hand-written NumPy: the same update in in-place ufuncs over preallocated buffers, no bookkeeping (the floor for
  anything built on NumPy).

The single-threaded contenders alternate within one run (round robin, so a change in the machine's speed hits
all of them alike), and every timed step starts with the model evicted from the caches (`cold_step`); each timing
is the median (and the best) of `--repeat` steps. The machine's load average is printed before and after: on a
busy machine PyTorch's multi-threaded steps suffer most (a step waits for a worker thread that has no free core:
medians above 100 ms were seen on a shared 2-core machine, best times near 1.5 ms), and the best times are the
more trustworthy ones. Before timing, mytorch and PyTorch take `--check` steps from the same start and the
largest difference in the parameters is printed (they must agree).

Then memory, with tracemalloc (which sees NumPy's allocations): after a warm-up step (the state exists), the bytes
still allocated after N steps (must not grow with N: the state is preallocated and nothing is recorded) and the peak
bytes allocated during those steps (temporaries, freed again).

Run:  .venv/bin/python bench/optim_step.py            (or --opt adam, --repeat 50, ...)
This is a benchmark, not a test: it prints tables and the ratios mytorch / PyTorch (issue goal: <= 1.2).
A missing mytorch optimizer is reported and skipped, so the script runs while the chapter is being written.
"""
import argparse, gc, importlib, math, os, statistics, sys, time, tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # run from a checkout without installing
import mytorch
import torch

SHAPES = [(1000, 784), (1000,), (200, 1000), (200,), (10, 200), (10,)]
OPTIMIZERS = {            # name: (mytorch module, class name, keyword arguments: the same for torch)
    "sgd_momentum": ("mytorch.optim.sgd", "SGD", dict(lr=0.01, momentum=0.9)),
    "adam": ("mytorch.optim.adaptive", "Adam", dict()),
    "adamw": ("mytorch.optim.adaptive", "AdamW", dict()),
}


# ------------------------------------------------------------------------------------------- hand-written NumPy
class NumpySGD:
    "SGD with momentum (PyTorch's: b = mu b + g, from b = g at step 1; p -= lr b) in place."
    def __init__(self, params, grads, lr, momentum):
        self.params, self.grads, self.lr, self.mu = params, grads, lr, momentum
        self.bufs, self.tmps, self.t = [np.zeros_like(p) for p in params], [np.empty_like(p) for p in params], 0

    def step(self):
        self.t += 1
        for p, g, b, tmp in zip(self.params, self.grads, self.bufs, self.tmps):
            if self.t == 1: b[...] = g
            else: b *= self.mu; b += g
            np.multiply(b, self.lr, out=tmp); p -= tmp


class NumpyAdam:
    "Adam / AdamW (PyTorch's formulas) in place over preallocated buffers: ~12 passes over memory per tensor."
    def __init__(self, params, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
        self.params, self.grads, self.lr, self.betas, self.eps = params, grads, lr, betas, eps
        self.wd, self.decoupled, self.t = weight_decay, decoupled, 0
        self.m, self.v = [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params]
        self.tmps = [np.empty_like(p) for p in params]

    def step(self):
        (b1, b2), lr, self.t = self.betas, self.lr, self.t + 1
        bc1, bc2_sqrt = 1 - b1 ** self.t, math.sqrt(1 - b2 ** self.t)
        for p, g, m, v, tmp in zip(self.params, self.grads, self.m, self.v, self.tmps):
            if self.decoupled and self.wd: p *= 1 - lr * self.wd
            np.subtract(g, m, out=tmp); tmp *= 1 - b1; m += tmp             # m = m + (1 - b1)(g - m)
            v *= b2; np.multiply(g, g, out=tmp); tmp *= 1 - b2; v += tmp   # v = b2 v + (1 - b2) g^2
            np.sqrt(v, out=tmp); tmp /= bc2_sqrt; tmp += self.eps          # sqrt(v / bc2) + eps
            np.divide(m, tmp, out=tmp); tmp *= lr / bc1; p -= tmp


def numpy_optimizer(name, params, grads, kwargs):
    if name == "sgd_momentum": return NumpySGD(params, grads, **kwargs)
    if name == "adam": return NumpyAdam(params, grads, **kwargs)
    return NumpyAdam(params, grads, weight_decay=kwargs.get("weight_decay", 1e-2), decoupled=True,
                     **{k: v for k, v in kwargs.items() if k != "weight_decay"})


# ------------------------------------------------------------------------------------------- the three libraries
def start_values(seed=0):
    rng = np.random.default_rng(seed)
    params = [(rng.standard_normal(s) * 0.05).astype(np.float32) for s in SHAPES]
    grads = [(rng.standard_normal(s) * 0.01).astype(np.float32) for s in SHAPES]
    return params, grads


def make_mytorch(name, p0, g0):
    module, cls, kwargs = OPTIMIZERS[name]
    opt_cls = getattr(importlib.import_module(module), cls)
    ps = [mytorch.tensor(p, requires_grad=True) for p in p0]
    for p, g in zip(ps, g0): p.grad = mytorch.tensor(g)
    return opt_cls(ps, **kwargs), ps


def make_torch(name, p0, g0):
    _, cls, kwargs = OPTIMIZERS[name]
    ps = [torch.tensor(p, requires_grad=True) for p in p0]
    for p, g in zip(ps, g0): p.grad = torch.tensor(g)
    return getattr(torch.optim, cls)(ps, **kwargs), ps


def make_numpy(name, p0, g0):
    ps, gs = [p.copy() for p in p0], [g.copy() for g in g0]
    return numpy_optimizer(name, ps, gs, OPTIMIZERS[name][2]), ps


def largest_difference(name, steps):
    "max |mytorch - torch| / max |torch| over the parameters after `steps` steps from the same start."
    p0, g0 = start_values(1)
    (mo, mp), (to, tp), (no, npp) = make_mytorch(name, p0, g0), make_torch(name, p0, g0), make_numpy(name, p0, g0)
    for _ in range(steps): mo.step(); to.step(); no.step()
    scale = max(float(t.detach().abs().max()) for t in tp)
    mine = max(float(np.abs(m.array - t.detach().numpy()).max()) for m, t in zip(mp, tp)) / scale
    hand = max(float(np.abs(n - t.detach().numpy()).max()) for n, t in zip(npp, tp)) / scale
    return mine, hand


# ------------------------------------------------------------------------------------------- timing and memory
_FLUSH = np.zeros(64 * 2**20 // 8)          # 64 MB, more than this machine's caches


def cold_step(step):
    """Seconds of one `step` that starts with the model out of the caches, as in training (forward and backward
    run in between). Writing 64 MB first evicts it; otherwise the contender timed alone would find its ~12-20 MB
    of parameters, gradients and state in a large L3 cache, and the ones timed in turn would not."""
    gc.collect()
    _FLUSH.fill(0.0)
    t0 = time.perf_counter(); step()
    return time.perf_counter() - t0


def alternate(contenders, repeat, threads=1, warmup=3):
    """Round robin: each round times one step of every contender, torch set to `threads` threads; returns
    {label: (median, best) seconds}."""
    torch.set_num_threads(threads)
    times = {label: [] for label, _ in contenders}
    for label, step in contenders:
        for _ in range(warmup): step()
    for _ in range(repeat):
        for label, step in contenders: times[label].append(cold_step(step))
    return {label: (statistics.median(ts), min(ts)) for label, ts in times.items()}


def memory(step, n):
    "(bytes still allocated after n steps, peak bytes above the start during them), via tracemalloc."
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    for _ in range(n): step()
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return current - base, peak - base


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--opt", choices=list(OPTIMIZERS), nargs="*", default=list(OPTIMIZERS),
                   help="optimizers to run (default: all)")
    p.add_argument("--repeat", type=int, default=41, help="timed steps per contender (the median is reported)")
    p.add_argument("--check", type=int, default=5, help="steps of the agreement check before timing")
    p.add_argument("--mem-steps", type=int, nargs=2, default=[10, 100], metavar=("N1", "N2"),
                   help="step counts of the two memory measurements")
    args = p.parse_args(argv)
    default_threads = torch.get_num_threads()
    n_params = sum(math.prod(s) for s in SHAPES)
    print(f"one step over {n_params:,} float32 parameters in {len(SHAPES)} tensors; median of {args.repeat} "
          f"alternating steps (torch {torch.__version__}, numpy {np.__version__}, "
          f"torch default threads: {default_threads}, cores: {os.cpu_count()}, "
          f"load average: {os.getloadavg()[0]:.1f})\n")
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        print("NOTE: the machine is busier than its core count; multi-threaded PyTorch suffers most, and the\n"
              "      best times are more trustworthy than the medians\n")
    summary = []
    for name in args.opt:
        p0, g0 = start_values()
        try:
            mo, _ = make_mytorch(name, p0, g0)
        except (ImportError, AttributeError) as e:
            print(f"{name}: mytorch's optimizer is not available yet ({type(e).__name__}: {e}); skipped\n")
            continue
        mine, hand = largest_difference(name, args.check)
        note = "" if mine < 1e-5 else "   <-- WARNING: mytorch and PyTorch disagree"
        print(f"{name}: after {args.check} steps, max |mytorch - torch| / max |torch| = {mine:.1e}, "
              f"hand-written NumPy: {hand:.1e}{note}")
        to, _ = make_torch(name, p0, g0)
        no, _ = make_numpy(name, p0, g0)
        contenders = [("mytorch", mo.step), ("PyTorch, 1 thread", to.step), ("hand-written NumPy", no.step)]
        times = alternate(contenders, args.repeat)
        times.update(alternate([(f"PyTorch, {default_threads} threads", to.step)], args.repeat, default_threads))
        base, best = times["mytorch"]
        print(f"  {'':26s} {'ms / step':>10s} {'mytorch / this':>15s} {'best ms':>9s} {'best ratio':>11s}")
        for label, (t, b) in times.items():
            print(f"  {label:26s} {t * 1e3:10.3f} {base / t:15.2f} {b * 1e3:9.3f} {best / b:11.2f}")
        n1, n2 = args.mem_steps
        rows = []
        for label, opt in (("mytorch", mo), ("hand-written NumPy", no)):
            (kept1, peak1), (kept2, peak2) = memory(opt.step, n1), memory(opt.step, n2)
            rows.append((label, kept1, kept2, peak1, peak2))
        print(f"  memory (tracemalloc, after warm-up): {'kept after':>12s} {'kept after':>12s} "
              f"{'peak during':>12s} {'peak during':>12s}")
        print(f"  {'':34s} {f'{n1} steps':>12s} {f'{n2} steps':>12s} {f'{n1} steps':>12s} {f'{n2} steps':>12s}")
        for label, kept1, kept2, peak1, peak2 in rows:
            print(f"  {label:34s} {kept1:12,d} {kept2:12,d} {peak1:12,d} {peak2:12,d}")
        kept_mine = rows[0][2] / n2
        print(f"  mytorch: {kept_mine:,.1f} bytes kept per step over {n2} steps "
              f"({'does not grow' if rows[0][2] <= max(rows[0][1], 0) + 4096 else 'GROWS'} with the step count); "
              f"peak temporaries {rows[0][4]:,d} bytes = {rows[0][4] / (4 * n_params):.2f} x the parameters\n")
        summary.append((name, [times["mytorch"][k] / times[label][k] for k in (0, 1) for label in
                               ("PyTorch, 1 thread", f"PyTorch, {default_threads} threads", "hand-written NumPy")]))
    if summary:
        print(f"ratio mytorch / other, median (best) step; goal vs PyTorch 1 thread: <= 1.2  "
              f"(load average now {os.getloadavg()[0]:.1f})")
        print(f"  {'':14s} {'PyTorch 1 thread':>17s} {f'PyTorch {default_threads} threads':>19s} {'NumPy by hand':>15s}")
        for name, r in summary:
            print(f"  {name:14s} {f'{r[0]:.2f} ({r[3]:.2f})':>17s} {f'{r[1]:.2f} ({r[4]:.2f})':>19s} "
                  f"{f'{r[2]:.2f} ({r[5]:.2f})':>15s}")


if __name__ == "__main__":
    main()
