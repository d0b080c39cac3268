"""Time one training step (forward + backward + Adam) of MultiLayerNet 784-200-200-10.

zerodl's textbook form (chapters 3 and 6), zerodl's fast form (appendix 高速化)
and PyTorch CPU (fused and default Adam) run interleaved in one process, with
the same dtype, data and thread count. Writes JSON to stdout (or --out).
Run by tools/bench/run.py (``make bench``); not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import sys
import time
import tracemalloc

import numpy as np
import threadpoolctl
import torch

from zerodl.fast import FastAdam, FastMultiLayerNet
from zerodl.network import MultiLayerNet
from zerodl.optimizers import Adam

SIZES = (784, 200, 200, 10)
SEED = 8


def matmul_flops(batch, skip_first_dx=True):
    """FLOPs of the matrix products of one step (2 per multiply-add)."""
    macs = 0
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        macs += batch * n_in * n_out  # forward: h @ W
        macs += batch * n_in * n_out  # backward: dW = h.T @ dout
        if i > 0 or not skip_first_dx:
            macs += batch * n_in * n_out  # backward: dh = dout @ W.T
    return 2 * macs


def batches(dtype, batch, count):
    """``count`` batches of MNIST (if ZERODL_DATA_DIR is set) or of random data."""
    if os.environ.get("ZERODL_DATA_DIR"):
        from zerodl.datasets.mnist import load_mnist

        (x, t), _ = load_mnist()
        source = "mnist"
    else:
        rng = np.random.default_rng(SEED)
        x = rng.random((count * batch, SIZES[0]), dtype=np.float32)
        t = rng.integers(0, 10, count * batch).astype(np.uint8)
        source = "random"
    order = np.random.default_rng(SEED).permutation(len(x))
    out = []
    for i in range(count):
        idx = order[(i * batch) % len(x) :][:batch]
        xb = np.ascontiguousarray(x[idx], dtype=dtype)
        tb = t[idx].astype(np.int64)
        out.append((xb, tb, torch.from_numpy(xb), torch.from_numpy(tb)))
    return out, source


def textbook_net(dtype):
    np.random.seed(SEED)
    return MultiLayerNet(SIZES[0], list(SIZES[1:-1]), SIZES[-1], weight_init_std="relu", dtype=dtype)


class BookAdam(Adam):
    """The book's own lr_t: ``np.sqrt`` returns a float64 NumPy scalar (the trap)."""

    def update(self, params, grads):
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2**self.iter) / (1.0 - self.beta1**self.iter)
        for key in params:
            m = self.m.setdefault(key, np.zeros_like(params[key]))
            v = self.v.setdefault(key, np.zeros_like(params[key]))
            m += (1 - self.beta1) * (grads[key] - m)
            v += (1 - self.beta2) * (grads[key] ** 2 - v)
            params[key] -= lr_t * m / (np.sqrt(v) + self.eps)


def make_steps(dtype, pieces, threads):
    """Name -> function(batch) doing one timed unit of work."""
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    steps = {}

    net, adam = textbook_net(dtype), Adam()

    def textbook(b):
        grads = net.gradient(b[0], b[1])
        adam.update(net.params, grads)

    fast = FastMultiLayerNet(textbook_net(dtype))
    fast_adam = FastAdam(threads=threads)  # as many threads as BLAS and PyTorch get
    flat_p, flat_g = {"all": fast.flat_params}, {"all": fast.flat_grads}

    def fast_step(b):
        fast.gradient(b[0], b[1])
        fast_adam.update(flat_p, flat_g)

    steps["textbook"], steps["fast"] = textbook, fast_step
    for name, fused in (("torch_fused", True), ("torch_default", None)):
        torch.manual_seed(SEED)
        layers = []
        for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
            layers += [torch.nn.Linear(n_in, n_out, dtype=tdtype), torch.nn.ReLU()]
        model = torch.nn.Sequential(*layers[:-1])
        opt = torch.optim.Adam(model.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-7, fused=fused)

        def torch_step(b, model=model, opt=opt):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(b[2]), b[3])
            loss.backward()
            opt.step()

        steps[name] = torch_step

    # The matrix products of the fast step alone, into the same kind of buffers.
    shapes = list(zip(SIZES[:-1], SIZES[1:]))
    W = [(np.random.default_rng(1).standard_normal(s) * np.sqrt(2 / s[0])).astype(dtype) for s in shapes]
    bufs = {}

    def matmul(b):
        x = b[0]
        n = len(x)
        if n not in bufs:  # filled with ordinary numbers: np.empty's garbage may hold NaN or subnormals
            rng = np.random.default_rng(3)
            bufs[n] = (
                [np.zeros((n, o), dtype) for _, o in shapes],
                [rng.standard_normal((n, o)).astype(dtype) / n for _, o in shapes],
                [np.zeros(s, dtype) for s in shapes],
            )
        outs, douts, dws = bufs[n]
        h = x
        for i in range(3):
            np.matmul(h, W[i], out=outs[i])
            h = outs[i]
        for i in (2, 1, 0):
            h_in = x if i == 0 else outs[i - 1]
            np.matmul(h_in.T, douts[i], out=dws[i])
            if i > 0:
                np.matmul(douts[i], W[i].T, out=douts[i - 1])

    steps["matmul"] = matmul
    if not pieces:
        return steps

    gnet = FastMultiLayerNet(textbook_net(dtype))
    steps["fast_gradient"] = lambda b: gnet.gradient(b[0], b[1])
    anet = FastMultiLayerNet(textbook_net(dtype))
    anet.gradient(*pieces)
    a_adam = FastAdam(threads=threads)
    a_p, a_g = {"all": anet.flat_params}, {"all": anet.flat_grads}
    steps["fast_adam"] = lambda b: a_adam.update(a_p, a_g)  # numba's one pass when numba is installed
    n_adam = FastAdam(threads=threads, kernel="numpy")
    n_p, n_g = {"all": anet.flat_params.copy()}, {"all": anet.flat_grads.copy()}
    steps["fast_adam_numpy"] = lambda b: n_adam.update(n_p, n_g)  # the twelve NumPy operations

    tnet = textbook_net(dtype)
    steps["textbook_gradient"] = lambda b: tnet.gradient(b[0], b[1])
    onet = textbook_net(dtype)
    ograds = {k: v.copy() for k, v in onet.gradient(*pieces).items()}
    o_adam, b_adam = Adam(), BookAdam()
    o_params = {k: v.copy() for k, v in onet.params.items()}
    b_params = {k: v.copy() for k, v in onet.params.items()}
    steps["textbook_adam"] = lambda b: o_adam.update(o_params, ograds)
    steps["book_adam_float64_scalar"] = lambda b: b_adam.update(b_params, ograds)
    W1 = tnet.params["W1"]
    dout1 = np.random.default_rng(2).random((len(pieces[0]), SIZES[1])).astype(dtype)
    steps["first_layer_dx"] = lambda b: dout1 @ W1.T
    return steps


def temporaries_kib(step, batch):
    """Peak memory allocated during one step, above what was there before (KiB)."""
    step(batch)
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    step(batch)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return (peak - before) / 1024


def measure(dtype, batch, rounds, block_seconds, pieces, threads):
    data, source = batches(dtype, batch, 50)
    steps = make_steps(dtype, data[0][:2] if pieces else None, threads)
    names = list(steps)
    # Warm up, and choose how many steps one timed block runs.
    for step in steps.values():
        for i in range(5):
            step(data[i])
    t0 = time.perf_counter()
    for i in range(5):
        steps["textbook"](data[i])
    per_step = (time.perf_counter() - t0) / 5
    block = max(3, round(block_seconds / per_step))
    times = {n: [] for n in names}
    faults = {n: 0 for n in names}
    cursor = 0
    for r in range(rounds):
        for n in names[r % len(names) :] + names[: r % len(names)]:  # rotate the order
            step = steps[n]
            f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            t0 = time.perf_counter()
            for _ in range(block):
                step(data[cursor % len(data)])
                cursor += 1
            times[n].append((time.perf_counter() - t0) / block)
            faults[n] += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
    ms = {n: 1000 * statistics.median(v) for n, v in times.items()}

    def paired(a, b):
        return statistics.median(x / y for x, y in zip(times[a], times[b]))

    flops = matmul_flops(batch)
    result = {
        "dtype": np.dtype(dtype).name,
        "batch": batch,
        "fast_adam_kernel": FastAdam().kernel,
        "data": source,
        "steps_per_block": block,
        "rounds": rounds,
        "ms": ms,
        "ratio": {
            "fast/torch_fused": paired("fast", "torch_fused"),
            "fast/torch_default": paired("fast", "torch_default"),
            "textbook/torch_fused": paired("textbook", "torch_fused"),
            "textbook/torch_default": paired("textbook", "torch_default"),
            "fast/matmul": paired("fast", "matmul"),
        },
        "matmul_mflop": flops / 1e6,
        "matmul_gflops": flops / (ms["matmul"] / 1000) / 1e9,
        "faults_per_step": {n: faults[n] / (rounds * block) for n in ("textbook", "fast")},
        "temporaries_kib": {
            "textbook": temporaries_kib(steps["textbook"], data[0]),
            "fast": temporaries_kib(steps["fast"], data[0]),
        },
    }
    return result


def blas_info():
    info = []
    for lib in threadpoolctl.threadpool_info():
        info.append({k: lib.get(k) for k in ("user_api", "internal_api", "version", "architecture", "num_threads", "threading_layer", "prefix")})
    return info


def kernel_only(threads):
    """GFLOP/s of (100, 784) @ (784, 200), and which OpenBLAS kernel ran."""
    threadpoolctl.threadpool_limits(threads, user_api="blas")
    torch.set_num_threads(threads)
    result = {"architecture": next((lib.get("architecture") for lib in blas_info() if lib["internal_api"] == "openblas"), None)}
    for dtype in (np.float32, np.float64):
        rng = np.random.default_rng(SEED)
        a, b = rng.random((100, 784)).astype(dtype), rng.random((784, 200)).astype(dtype)
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        out, tout = np.empty((100, 200), dtype), torch.empty((100, 200), dtype=ta.dtype)
        numpy_seconds = _matmul_seconds(lambda: np.matmul(a, b, out=out))
        torch_seconds = _matmul_seconds(lambda: torch.mm(ta, tb, out=tout))
        result[f"gflops_{np.dtype(dtype).name}"] = 2 * 100 * 784 * 200 / numpy_seconds / 1e9
        result[f"torch_gflops_{np.dtype(dtype).name}"] = 2 * 100 * 784 * 200 / torch_seconds / 1e9
    return result


def _matmul_seconds(matmul, warmup=50, rounds=15, repeat=50):
    """Median seconds of one ``matmul()`` call, after a warm-up."""
    for _ in range(warmup):
        matmul()
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(repeat):
            matmul()
        samples.append((time.perf_counter() - t0) / repeat)
    return statistics.median(samples)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--block-seconds", type=float, default=0.02)
    parser.add_argument("--batches", default="10,100,1000")
    parser.add_argument("--out")
    parser.add_argument("--kernel-only", action="store_true", help="only time one matmul and name the kernel")
    args = parser.parse_args(argv)
    if args.kernel_only:
        print(json.dumps(kernel_only(args.threads)))
        return
    threadpoolctl.threadpool_limits(args.threads, user_api="blas")
    torch.set_num_threads(args.threads)
    results = []
    for dtype in (np.float32, np.float64):
        for batch in (int(b) for b in args.batches.split(",")):
            print(f"  {np.dtype(dtype).name} batch {batch} ...", file=sys.stderr, flush=True)
            results.append(measure(dtype, batch, args.rounds, args.block_seconds, batch == 100, args.threads))
    payload = {
        "threads": args.threads,
        "torch_threads": torch.get_num_threads(),
        "blas": blas_info(),
        "torch_blas": "mkl" if torch.backends.mkl.is_available() else "other",
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "steps": results,
    }
    text = json.dumps(payload, indent=1)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
