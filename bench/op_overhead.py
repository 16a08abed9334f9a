"""Per-op overhead of mytorch vs PyTorch on tiny tensors (where Python bookkeeping, not arithmetic, is the cost).

The workload is a chain of `y = y * c + d` (`--steps` steps = 2 x steps ops) on a tensor of `--shape`, starting from
a leaf `x` that requires grad; one run = build the graph (forward) + `y.sum().backward()`. We time it for:

* mytorch,
* PyTorch with one intra-op thread (`torch.set_num_threads(1)`) and with its default number of threads,
* plain NumPy, forward only (the floor: the same arithmetic with no graph at all).

Each timing is the median of `--repeat` runs. Run:  .venv/bin/python bench/op_overhead.py
This is a benchmark, not a test: it prints a table and the ratio mytorch / PyTorch.
"""
import argparse, gc, statistics, sys, time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # run from a checkout without installing
import mytorch
import torch


def chain(lib, x, c, d, steps):
    "Forward: the chain; backward: one sum + backward. Works for mytorch and torch alike."
    y = x
    for _ in range(steps): y = y * c + d
    y.sum().backward()
    return y


def numpy_forward(x, c, d, steps):
    y = x
    for _ in range(steps): y = y * c + d
    return y


def median_time(fn, repeat, warmup=2):
    for _ in range(warmup): fn()
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter(); fn(); times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=1000, help="chain length (each step is 2 ops: * and +)")
    p.add_argument("--shape", type=int, nargs="*", default=[4], help="tensor shape; give none for a 0-d scalar")
    p.add_argument("--repeat", type=int, default=21, help="runs per timing (the median is reported)")
    args = p.parse_args(argv)
    shape, steps, n_ops = tuple(args.shape), args.steps, 2 * args.steps
    rng = np.random.default_rng(0)
    x0, c0, d0 = (rng.uniform(0.9, 1.0, shape).astype(np.float32) for _ in range(3))
    c0 = np.float32(1.0) + 0 * c0        # keep values bounded over 1000 steps: y -> y + d, tiny d
    d0 = d0 * np.float32(1e-3)

    def run_mytorch():
        x = mytorch.tensor(x0, requires_grad=True)
        chain(mytorch, x, mytorch.tensor(c0), mytorch.tensor(d0), steps)
        return x.grad

    def run_torch():
        x = torch.tensor(x0, requires_grad=True)
        chain(torch, x, torch.tensor(c0), torch.tensor(d0), steps)
        return x.grad

    # the two libraries must compute the same thing before we time them
    np.testing.assert_allclose(run_mytorch().array, run_torch().numpy(), rtol=1e-5)

    default_threads = torch.get_num_threads()
    rows = [("mytorch", median_time(run_mytorch, args.repeat))]
    torch.set_num_threads(1)
    rows.append(("PyTorch, 1 thread", median_time(run_torch, args.repeat)))
    torch.set_num_threads(default_threads)
    rows.append((f"PyTorch, {default_threads} threads", median_time(run_torch, args.repeat)))
    rows.append(("NumPy forward only", median_time(lambda: numpy_forward(x0, c0, d0, steps), args.repeat)))

    print(f"chain y = y * c + d: {steps} steps = {n_ops} ops on shape {shape}, forward + backward, "
          f"median of {args.repeat} runs (torch {torch.__version__}, numpy {np.__version__})")
    print(f"{'':24s} {'ms / run':>10s} {'us / op':>9s} {'mytorch / this':>15s}")
    base = rows[0][1]
    for name, t in rows:
        print(f"{name:24s} {t * 1e3:10.2f} {t / n_ops * 1e6:9.2f} {base / t:15.2f}")
    best_torch = min(t for name, t in rows if name.startswith("PyTorch"))
    print(f"\nratio mytorch / PyTorch (best of the two thread settings): {base / best_torch:.2f}  (goal: <= 1.5)")


if __name__ == "__main__":
    main()
