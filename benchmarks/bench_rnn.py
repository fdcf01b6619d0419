"""Throughput of ``VanillaRNN`` forward + full BPTT, against two references.

Run from the repository root (this is a benchmark, not a test; pytest never collects it):

    python benchmarks/bench_rnn.py            # all sizes, prints a table, writes results.md
    python benchmarks/bench_rnn.py --quick    # a fast smoke run, writes nothing

One iteration is the whole training-step work for one batch, in float64 (and float32 for
``VanillaRNN`` and torch):

    ys, hs = forward(xs)          xs (T, B, D), zero h0
    L = sum(ys * R)               R (T, B, K) fixed random, so dL/dys = R everywhere
    grads = BPTT(dL/dys = R)      gradients of W_hx, W_hh, W_yh, b_h, b_y

and throughput is tokens per second, with T * B tokens per iteration. Three
implementations do that same work on the same weights:

* ``VanillaRNN`` (lamassu_course): time-major batches, one (B, H) @ (H, H) product per step,
  every product that does not depend on the recurrence done once over all T * B rows.
  Its ``backward`` also returns dL/dxs and dL/dh0; torch is asked for them too.
  Timed in float64 and, as ``VanillaRNN(..., dtype=np.float32)`` with float32 xs and R, in
  float32 (the float64 weights rounded to float32).
* ``loop``: ``min_char_rnn_loss`` below, the min-char-rnn way (Karpathy): one sequence at a
  time, column vectors, matrix-vector products, weight gradients with ``np.outer``.
* ``torch``: ``torch.nn.RNN(D, H, nonlinearity='tanh')`` + ``torch.nn.Linear(H, K)`` with
  autograd (forward, ``loss.backward()``, xs and h0 requiring grad), in float64 and
  float32, when torch imports.

Every process asks glibc to keep freed memory (``keep_freed_memory``); VanillaRNN and
torch are timed a second time with glibc's defaults (the ``-glibc`` implementations).

Before any timing, the gradients of the loop (to 1e-10), of torch in float64 (to 1e-8,
dL/dxs and dL/dh0 included)
and of ``VanillaRNN`` in float32 (to 1e-4 of the largest gradient entry) are checked against
``VanillaRNN`` in float64 on a small case; a mismatch stops the run.

Timing: ``time.perf_counter``. Each implementation runs in its own fresh process (this
script with ``--worker``): warm-up iterations first, then ``--repeats`` repeats of a number
of iterations calibrated so one repeat lasts at least ``--min-time`` seconds. ``--rounds``
rounds take turns over the implementations; a round during which other processes used
more than ``--max-other-load`` of the machine is discarded and rerun. The median seconds
per iteration over all repeats is reported. See benchmarks/README.md.
"""
import argparse
import ctypes
import datetime
import glob
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing the package

from lamassu_course import VanillaRNN  # noqa: E402

# (name, T, B, D, H, K). "B=32" is the size the targets refer to.
SIZES = [
    ("min-char-rnn", 25, 1, 65, 100, 65),
    ("B=32", 100, 32, 64, 128, 64),
    ("large", 100, 64, 128, 256, 128),
]
QUICK_SIZES = [("quick", 10, 4, 8, 16, 8)]

LOOP_TOLERANCE = 1e-10
TORCH_TOLERANCE = 1e-8
# float32 keeps about 7 significant digits (eps 1.2e-7); the small case's gradients are sums
# of 21 rows over 7 steps, so rounding stays far below 1e-4 of their largest entry, while a
# wrong term (a missing bias, a transposed weight) moves them by far more.
F32_TOLERANCE = 1e-4
GRAD_NAMES = ("W_hx", "W_hh", "W_yh", "b_h", "b_y")


# --------------------------------------------------------------------------------------
# The reference baseline: one sequence at a time, as in min-char-rnn.
# --------------------------------------------------------------------------------------
def min_char_rnn_loss(xs, R, W_hx, W_hh, W_yh, b_h, b_y):
    """L = sum(ys * R) and its gradients, one sequence and one column vector at a time.

    xs (T, B, D) and R (T, B, K) are the same arrays ``VanillaRNN`` gets; weights are
    (out, in) as in ``VanillaRNN.params``. Returns (L, dW_hx, dW_hh, dW_yh, db_h, db_y), the
    gradients summed over the B sequences like a batched implementation's.
    """
    T, B, _ = xs.shape
    H = W_hh.shape[0]
    b_h = b_h.reshape(-1, 1)  # column vectors, as in min-char-rnn
    b_y = b_y.reshape(-1, 1)
    dW_hx, dW_hh, dW_yh = np.zeros_like(W_hx), np.zeros_like(W_hh), np.zeros_like(W_yh)
    db_h, db_y = np.zeros_like(b_h), np.zeros_like(b_y)
    loss = 0.0
    for b in range(B):
        x, h, y = {}, {}, {}
        h[-1] = np.zeros((H, 1))
        # forward pass
        for t in range(T):
            x[t] = xs[t, b].reshape(-1, 1)
            h[t] = np.tanh(W_hx @ x[t] + W_hh @ h[t - 1] + b_h)  # hidden state
            y[t] = W_yh @ h[t] + b_y                               # output (identity g2)
            loss += np.sum(y[t] * R[t, b].reshape(-1, 1))
        # backward pass: compute gradients going backwards
        dh_next = np.zeros((H, 1))
        for t in reversed(range(T)):
            dy = R[t, b].reshape(-1, 1)                # dL/dy_t
            dW_yh += np.outer(dy, h[t])
            db_y += dy
            dh = W_yh.T @ dy + dh_next                 # backprop into h
            dh_raw = (1 - h[t] * h[t]) * dh            # backprop through tanh
            db_h += dh_raw
            dW_hx += np.outer(dh_raw, x[t])
            dW_hh += np.outer(dh_raw, h[t - 1])
            dh_next = W_hh.T @ dh_raw
    return loss, dW_hx, dW_hh, dW_yh, db_h.ravel(), db_y.ravel()


# --------------------------------------------------------------------------------------
# The three implementations, each as a zero-argument "one iteration" closure.
# --------------------------------------------------------------------------------------
def make_problem(T, B, D, H, K, seed=0, random_biases=False, dtype=np.float64):
    """A VanillaRNN and fixed inputs xs (T, B, D) and loss weights R (T, B, K).

    With ``dtype=np.float32``: the same float64 numbers rounded to float32, once, here
    (as torch gets its float32 tensors), so the timed step converts nothing.
    """
    rng = np.random.default_rng([seed, T, B, D, H, K])
    rnn = VanillaRNN(D, H, K, seed=seed)
    if random_biases:  # the default biases are zero; a missing bias term would not show
        for name in ("b_h", "b_y"):
            rnn.params[name][:] = 0.1 * rng.standard_normal(rnn.params[name].shape)
    xs = rng.standard_normal((T, B, D))
    R = rng.standard_normal((T, B, K))
    if dtype != np.float64:
        rnn32 = VanillaRNN(D, H, K, dtype=dtype)
        rnn32.params = {name: value.astype(dtype) for name, value in rnn.params.items()}
        rnn, xs, R = rnn32, xs.astype(dtype), R.astype(dtype)
    return rnn, xs, R


def vanilla_step(rnn, xs, R):
    def step():
        ys, hs = rnn.forward(xs)
        loss = np.sum(ys * R)
        grads = rnn.backward(xs, hs, R)
        return loss, grads
    return step


def loop_step(rnn, xs, R):
    p = rnn.params
    args = (xs, R, p["W_hx"], p["W_hh"], p["W_yh"], p["b_h"], p["b_y"])
    return lambda: min_char_rnn_loss(*args)


def torch_model(torch, rnn, dtype):
    """nn.RNN + nn.Linear holding copies of ``rnn.params`` (b_h goes into bias_ih; bias_hh = 0)."""
    D, H, K = rnn.sizes
    p = rnn.params
    # time-major (T, B, D), like VanillaRNN; created in ``dtype`` so float64 weights are exact
    cell = torch.nn.RNN(D, H, nonlinearity="tanh", dtype=dtype)
    head = torch.nn.Linear(H, K, dtype=dtype)
    with torch.no_grad():
        cell.weight_ih_l0.copy_(torch.from_numpy(p["W_hx"]))
        cell.weight_hh_l0.copy_(torch.from_numpy(p["W_hh"]))
        cell.bias_ih_l0.copy_(torch.from_numpy(p["b_h"]))
        cell.bias_hh_l0.zero_()
        head.weight.copy_(torch.from_numpy(p["W_yh"]))
        head.bias.copy_(torch.from_numpy(p["b_y"]))
    return cell, head


def torch_step(torch, rnn, xs, R, dtype):
    """One torch training step doing VanillaRNN's work: the weights' gradients and, as
    ``VanillaRNN.backward`` returns them, dL/dxs and dL/dh0 (xs and a zero h0 require grad).
    Returns (step, cell, head, inputs): after ``step()``, ``inputs`` holds xs and h0 with
    their ``.grad``."""
    cell, head = torch_model(torch, rnn, dtype)
    T, B, _ = xs.shape
    inputs = {"xs": torch.from_numpy(xs).to(dtype).requires_grad_(True),
              "h0": torch.zeros(1, B, rnn.sizes[1], dtype=dtype, requires_grad=True)}
    R_t = torch.from_numpy(R).to(dtype)
    leaves = list(cell.parameters()) + list(head.parameters()) + list(inputs.values())

    def step():
        for leaf in leaves:
            leaf.grad = None
        out, _ = cell(inputs["xs"], inputs["h0"])
        loss = (head(out) * R_t).sum()
        loss.backward()
        return loss
    return step, cell, head, inputs


def torch_grads(cell, head, inputs):
    return {"W_hx": cell.weight_ih_l0.grad, "W_hh": cell.weight_hh_l0.grad,
            "W_yh": head.weight.grad, "b_h": cell.bias_ih_l0.grad, "b_y": head.bias.grad,
            "xs": inputs["xs"].grad, "h0": inputs["h0"].grad[0]}


# --------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------
def max_abs_error(grads, reference, names=GRAD_NAMES):
    return max(float(np.max(np.abs(np.asarray(grads[n]) - reference[n]))) for n in names)


def verify(torch):
    """Check the others' gradients against VanillaRNN (float64) on one small case.

    Returns the errors: max abs for the loop and torch, and for VanillaRNN in float32 the max
    abs error divided by the largest entry (at least 1) of each float64 gradient.
    """
    small = dict(T=7, B=3, D=5, H=6, K=4, seed=1, random_biases=True)
    rnn, xs, R = make_problem(**small)
    loss, ref = vanilla_step(rnn, xs, R)()
    errors = {}

    rnn32, xs32, R32 = make_problem(**small, dtype=np.float32)
    loss32, grads32 = vanilla_step(rnn32, xs32, R32)()
    leaks = [name for name, g in grads32.items() if g.dtype != np.float32]
    assert not leaks and loss32.dtype == np.float32, (
        f"float32 VanillaRNN returned float64 for {leaks or 'the loss'}")
    errors["vanilla32"] = max(
        float(np.max(np.abs(grads32[n] - ref[n]))) / max(1.0, float(np.max(np.abs(ref[n]))))
        for n in GRAD_NAMES + ("xs", "h0"))
    errors["vanilla32"] = max(errors["vanilla32"], abs(float(loss32) - loss) / max(1.0, abs(loss)))
    assert errors["vanilla32"] <= F32_TOLERANCE, (
        f"float32 VanillaRNN gradients differ from float64 by {errors['vanilla32']:.3g} "
        f"> {F32_TOLERANCE} (relative to the largest entry)")

    loop_loss, *loop_grads = min_char_rnn_loss(xs, R, *(rnn.params[n] for n in GRAD_NAMES))
    errors["loop"] = max(max_abs_error(dict(zip(GRAD_NAMES, loop_grads)), ref),
                         abs(loop_loss - loss))
    assert errors["loop"] <= LOOP_TOLERANCE, (
        f"loop gradients differ from VanillaRNN by {errors['loop']:.3g} > {LOOP_TOLERANCE}")

    if torch is not None:
        step, cell, head, inputs = torch_step(torch, rnn, xs, R, torch.float64)
        torch_loss = float(step().detach())
        grads = {n: g.detach().numpy() for n, g in torch_grads(cell, head, inputs).items()}
        # nn.RNN has two hidden biases, bias_ih and bias_hh; both must receive dL/db_h.
        bias_hh_error = float(np.max(np.abs(cell.bias_hh_l0.grad.numpy() - ref["b_h"])))
        errors["torch"] = max(max_abs_error(grads, ref, GRAD_NAMES + ("xs", "h0")),
                              bias_hh_error, abs(torch_loss - loss))
        assert errors["torch"] <= TORCH_TOLERANCE, (
            f"torch gradients differ from VanillaRNN by {errors['torch']:.3g} > {TORCH_TOLERANCE}")
    return errors


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------
IMPLEMENTATIONS = ("vanilla", "loop", "torch64", "vanilla32", "torch32",
                   "vanilla-glibc", "torch64-glibc", "vanilla32-glibc", "torch32-glibc")
# glibc's mallopt parameters (malloc.h) and the values every implementation's process gets
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 * 2**20      # the largest glibc accepts on 64-bit Linux
TRIM_THRESHOLD = 512 * 2**20


def keep_freed_memory():
    """Ask glibc's malloc to keep freed memory in the process for the next allocation.

    By default glibc serves a large allocation with a fresh ``mmap`` and hands the pages
    back to the OS when the array is freed, or trims the top of the heap once more than
    twice the last such size is free. A training step allocates its (T, B, H) arrays afresh
    every iteration, so every iteration page-faults them in again (the kernel zeroes each
    4 kB page): a fifth of a VanillaRNN step at the sizes below. Allocations up to 32 MB
    from the heap and a heap trimmed only above 512 MB keep those pages mapped. The numbers
    computed are the same (bit for bit: ``main`` compares the SHA-256 of every VanillaRNN
    worker's gradients, with and without the setting). Returns True when
    glibc took both settings, False elsewhere (macOS, musl): the timings are then glibc's
    defaults. The benchmark calls this in every implementation's process (torch's and the
    loop's too); the ``-glibc`` implementations are timed again without it.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                    and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    except (OSError, AttributeError):
        return False


def make_step(impl, torch, rnn, xs, R):
    impl = impl.removesuffix("-glibc")
    if impl in ("vanilla", "vanilla32"):
        return vanilla_step(rnn, xs, R)
    if impl == "loop":
        return loop_step(rnn, xs, R)
    dtype = {"torch64": torch.float64, "torch32": torch.float32}[impl]
    return torch_step(torch, rnn, xs, R, dtype)[0]


def calibrate(step, warmup, min_time):
    """Run ``warmup`` untimed calls, then return how many calls last at least ``min_time``."""
    for _ in range(warmup):
        step()
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            step()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return number
        number = max(number * 2, int(number * min_time / max(elapsed, 1e-9)) + 1)


def time_repeats(step, repeats, warmup, min_time):
    """Seconds per call of ``step``: one value per repeat, after warm-up and calibration."""
    number = calibrate(step, warmup, min_time)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            step()
        times.append((time.perf_counter() - start) / number)
    return times


def worker(impl, sizes, repeats, warmup, min_time):
    """Time one implementation on every size, in this process: {size name: [seconds, ...]}."""
    torch = import_torch(impl.startswith("torch"))
    if not impl.endswith("-glibc") and not keep_freed_memory():
        print("warning: glibc's mallopt is not available; its defaults are timed",
              file=sys.stderr)
    out = {}
    dtype = np.float32 if impl.startswith("vanilla32") else np.float64
    for name, T, B, D, H, K in sizes:
        rnn, xs, R = make_problem(T, B, D, H, K, dtype=dtype)
        step = make_step(impl, torch, rnn, xs, R)
        out[name] = time_repeats(step, repeats, warmup, min_time)
        if impl.startswith("vanilla"):   # the numbers of one more step, to compare processes
            loss, grads = step()
            digest = hashlib.sha256(np.asarray(loss).tobytes())
            for key in sorted(grads):
                digest.update(np.ascontiguousarray(grads[key]).tobytes())
            out["sha256 " + name] = digest.hexdigest()
    return out


def run_round(impls, args, threads):
    """One round: every implementation once, each in a fresh process. {impl: {size: [s]}}."""
    result = {}
    for impl in impls:
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", impl,
                   "--threads", str(threads), "--repeats", str(args.repeats),
                   "--warmup", str(args.warmup), "--min-time", str(args.min_time)]
        if args.quick:
            command.append("--quick")
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"worker {impl} failed:\n{done.stderr}")
        result[impl] = json.loads(done.stdout.splitlines()[-1])
    return result


def time_isolated(impls, args, threads):
    """Each implementation in a fresh Python process, ``args.rounds`` rounds taking turns.

    A fresh process per implementation keeps one implementation's memory allocations from
    changing another's timings (glibc hands freed memory back to the OS and page-faults it
    in again: how often depends on everything the process allocated before). Taking turns
    in rounds spreads a slow spell of the machine over all of them. A round during which
    other processes used more than ``args.max_other_load`` of the machine is discarded and
    run again, at most ``args.retries`` times in all; if too few clean rounds remain, the
    least busy of the others fill up. Returns ({impl: {size name: [seconds, ...]}}, the
    other processes' share of the machine in the worst round used, rounds discarded).
    """
    clean, dirty = [], []
    while len(clean) < args.rounds and len(dirty) <= args.retries:
        load = OtherLoad().start()
        result = run_round(impls, args, threads)
        other = load.stop()
        if other is not None and other > args.max_other_load:
            dirty.append((other, result))
            print("x", end="", flush=True)
        else:
            clean.append((other, result))
            print(".", end="", flush=True)
    print()
    # too few clean rounds: fill up with the least busy of the others
    dirty.sort(key=lambda pair: pair[0])
    used = clean + dirty[:args.rounds - len(clean)]
    discarded = len(clean) + len(dirty) - len(used)
    times = {impl: {} for impl in impls}
    for _, result in used:
        for impl, sizes in result.items():
            for name, values in sizes.items():
                if name.startswith("sha256 "):
                    times[impl].setdefault(name, set()).add(values)
                else:
                    times[impl].setdefault(name, []).extend(values)
    loads = [other for other, _ in used if other is not None]
    return times, (max(loads) if loads else None), discarded


# --------------------------------------------------------------------------------------
# Environment: thread counts, CPU, versions
# --------------------------------------------------------------------------------------
def _openblas():
    """numpy's bundled OpenBLAS (scipy-openblas) as a ctypes library, or None."""
    libs = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for path in sorted(glob.glob(str(libs / "*openblas*"))):
        try:
            return ctypes.CDLL(path)
        except OSError:
            pass
    return None


def _openblas_function(lib, stem):
    for suffix in ("64_", "_64_", "", "_"):
        for name in (f"scipy_openblas_{stem}{suffix}", f"openblas_{stem}{suffix}"):
            if lib is not None and hasattr(lib, name):
                return getattr(lib, name)
    return None


def numpy_threads(set_to=None):
    """(threads, description) of numpy's BLAS; sets the count first when ``set_to`` is given."""
    try:
        import threadpoolctl
    except ImportError:
        threadpoolctl = None
    if threadpoolctl is not None:
        if set_to is not None:
            threadpoolctl.threadpool_limits(set_to, user_api="blas")
        info = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
        if info:
            i = info[0]
            return i["num_threads"], (f"{i['internal_api']} {i.get('version')} "
                                      f"({i.get('architecture')} kernels)")
    lib = _openblas()
    setter = _openblas_function(lib, "set_num_threads")
    getter = _openblas_function(lib, "get_num_threads")
    corename = _openblas_function(lib, "get_corename")
    if getter is None:
        return None, "BLAS thread count unknown (install threadpoolctl to see it)"
    if set_to is not None and setter is not None:
        setter(ctypes.c_int(set_to))
    threads = getter()
    kernels = ""
    if corename is not None:
        corename.restype = ctypes.c_char_p
        kernels = f" ({corename().decode()} kernels)"
    return threads, f"OpenBLAS{kernels}"


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


class OtherLoad:
    """Share of the machine's CPU time used by *other* processes between start() and stop().

    Machine busy time from /proc/stat minus the CPU time of this process and its workers:
    on a 2-core machine another busy process distorts the timings, so the report says so.
    """

    def _sample(self):
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        busy = sum(fields[:8]) - fields[3] - fields[4]  # all but idle and iowait, in ticks
        own = sum(os.times()[:4])  # this process and its finished children (the workers)
        return busy / os.sysconf("SC_CLK_TCK"), own, time.perf_counter()

    def start(self):
        try:
            self._start = self._sample()
        except (OSError, ValueError, IndexError):
            self._start = None
        return self

    def stop(self):
        """Fraction (0..1) of all CPUs' time used by other processes, or None if unknown."""
        if self._start is None:
            return None
        busy0, own0, wall0 = self._start
        busy1, own1, wall1 = self._sample()
        other = (busy1 - busy0) - (own1 - own0)
        return max(0.0, other / ((wall1 - wall0) * (os.cpu_count() or 1)))


def import_torch(wanted):
    if not wanted:
        return None
    try:
        import torch
    except ImportError:
        return None
    return torch


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------
def _rate(x):
    return "n/a" if x is None else f"{x:,.0f}"


def _ratio(a, b):
    return "n/a" if a is None or b is None else f"{a / b:.2f}x"


def table(rows):
    """float64 columns first, then float32: each ratio compares the same precision."""
    lines = ["| size (T, B, D, H, K) | VanillaRNN tok/s | loop tok/s | VanillaRNN / loop "
             "| torch f64 tok/s | VanillaRNN / torch f64 "
             "| VanillaRNN f32 tok/s | torch f32 tok/s | VanillaRNN f32 / torch f32 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['name']} ({r['T']}, {r['B']}, {r['D']}, {r['H']}, {r['K']}) "
            f"| {_rate(r['vanilla'])} | {_rate(r['loop'])} | {_ratio(r['vanilla'], r['loop'])} "
            f"| {_rate(r['torch64'])} | {_ratio(r['vanilla'], r['torch64'])} "
            f"| {_rate(r['vanilla32'])} | {_rate(r['torch32'])} "
            f"| {_ratio(r['vanilla32'], r['torch32'])} |")
    return "\n".join(lines)


def glibc_table(rows):
    """VanillaRNN and torch again, with glibc's default allocator settings in both."""
    lines = ["| size | VanillaRNN tok/s | torch f64 tok/s | VanillaRNN / torch f64 "
             "| VanillaRNN f32 tok/s | torch f32 tok/s | VanillaRNN f32 / torch f32 |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        a, b, c, d = (r.get(k) for k in ("vanilla-glibc", "torch64-glibc",
                                          "vanilla32-glibc", "torch32-glibc"))
        lines.append(f"| {r['name']} | {_rate(a)} | {_rate(b)} | {_ratio(a, b)} "
                     f"| {_rate(c)} | {_rate(d)} | {_ratio(c, d)} |")
    return "\n".join(lines)


def spread_table(rows):
    """(slowest - fastest) / median of the repeats: how far to trust each number."""
    columns = [("vanilla", "VanillaRNN"), ("loop", "loop"), ("torch64", "torch f64"),
               ("vanilla32", "VanillaRNN f32"), ("torch32", "torch f32"),
               ("vanilla-glibc", "VanillaRNN glibc"), ("torch64-glibc", "torch f64 glibc"),
               ("vanilla32-glibc", "VanillaRNN f32 glibc"),
               ("torch32-glibc", "torch f32 glibc")]
    lines = ["| size | " + " | ".join(title for _, title in columns) + " |",
             "|---|" + "---:|" * len(columns)]
    for r in rows:
        cells = [f"{r['spread ' + key]:.0%}" if "spread " + key in r else "n/a"
                 for key, _ in columns]
        lines.append(f"| {r['name']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def environment(torch, np_threads, np_blas):
    env = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "CPU": f"{cpu_model()} ({os.cpu_count()} logical CPUs)",
        "Python": platform.python_version(),
        "numpy": f"{np.__version__}, BLAS: {np_blas}, {np_threads} thread(s)",
    }
    if torch is not None:
        env["torch"] = (f"{torch.__version__}, torch.get_num_threads() = "
                        f"{torch.get_num_threads()}, interop threads = "
                        f"{torch.get_num_interop_threads()}")
    else:
        env["torch"] = "not importable: torch columns are n/a"
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "OPENBLAS_CORETYPE"):
        if var in os.environ:
            env[var] = os.environ[var]
    return env


def targets(rows):
    """The issue's targets: >= 5x the loop at B=32; no slower than torch float64 at every
    size; in float32, no slower than torch float32 at B=32 and large."""
    notes = []
    for r in rows:
        if r["name"] == "B=32" and r["loop"] is not None:
            ok = r["vanilla"] >= 5 * r["loop"]
            notes.append(f"VanillaRNN >= 5x the loop at B=32: {'met' if ok else 'MISSED'} "
                         f"({r['vanilla'] / r['loop']:.2f}x)")
    for r in rows:
        if r["torch64"] is not None:
            ok = r["vanilla"] >= r["torch64"]
            notes.append(f"VanillaRNN no slower than torch (float64) at {r['name']}: "
                         f"{'met' if ok else 'MISSED'} ({r['vanilla'] / r['torch64']:.2f}x)")
    for r in rows:
        if r["name"] in ("B=32", "large") and None not in (r["vanilla32"], r["torch32"]):
            ok = r["vanilla32"] >= r["torch32"]
            notes.append(f"VanillaRNN f32 no slower than torch f32 at {r['name']}: "
                         f"{'met' if ok else 'not met'} "
                         f"({r['vanilla32'] / r['torch32']:.2f}x)")
    return notes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds; each runs every implementation once, in its own process")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per round")
    parser.add_argument("--warmup", type=int, default=2, help="untimed iterations first")
    parser.add_argument("--min-time", type=float, default=0.2,
                        help="seconds one repeat lasts at least (sets iterations per repeat)")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS threads for numpy and torch; default: numpy's default")
    parser.add_argument("--no-torch", action="store_true", help="skip torch even if installed")
    parser.add_argument("--no-loop", action="store_true", help="skip the per-sequence loop")
    parser.add_argument("--quick", action="store_true",
                        help="one tiny size, short timings, results.md not written")
    parser.add_argument("--output", type=Path, default=HERE / "results.md",
                        help="Markdown file for the results (default: benchmarks/results.md)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--max-other-load", type=float, default=0.05,
                        help="discard a round if other processes used more than this share "
                             "of the machine (default 0.05)")
    parser.add_argument("--retries", type=int, default=6,
                        help="rounds that may be discarded and rerun before giving up")
    parser.add_argument("--no-glibc", action="store_true",
                        help="skip the second timing of VanillaRNN and torch with glibc's "
                             "default allocator settings")
    parser.add_argument("--worker", choices=IMPLEMENTATIONS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = QUICK_SIZES if args.quick else SIZES
    if args.quick:
        args.rounds, args.repeats, args.warmup, args.min_time = 1, 3, 1, 0.01

    torch = import_torch(not args.no_torch and args.worker in (None, "torch64", "torch32"))
    np_threads, np_blas = numpy_threads(args.threads)
    threads = args.threads or np_threads or os.cpu_count()
    if torch is not None:
        # Same thread count as numpy's BLAS, so neither side gets more cores.
        torch.set_num_threads(threads)

    if args.worker:
        times = worker(args.worker, sizes, args.repeats, args.warmup, args.min_time)
        print(json.dumps(times))
        return

    errors = verify(torch)
    print("gradient check against VanillaRNN (max abs error over W_hx, W_hh, W_yh, b_h, b_y, L; "
          "torch also dL/dxs and dL/dh0):")
    print(f"  loop : {errors['loop']:.3g} (tolerance {LOOP_TOLERANCE:g})")
    if "torch" in errors:
        print(f"  torch float64: {errors['torch']:.3g} (tolerance {TORCH_TOLERANCE:g})")
    print(f"  VanillaRNN float32, relative to the largest entry: {errors['vanilla32']:.3g} "
          f"(tolerance {F32_TOLERANCE:g})")
    env = environment(torch, np_threads, np_blas)
    for key, value in env.items():
        print(f"{key}: {value}")
    print()

    impls = [impl for impl in IMPLEMENTATIONS
             if not (args.no_loop and impl == "loop")
             and not (torch is None and impl.startswith("torch"))
             and not (args.no_glibc and impl.endswith("-glibc"))]
    print(f"timing {', '.join(impls)}: {args.rounds} round(s) of {args.repeats} repeats, "
          f"each implementation in its own process", end=" ", flush=True)
    times, other_load, discarded = time_isolated(impls, args, threads)

    # the allocator setting changes where arrays live, never a number: same bytes everywhere
    for name, *_ in sizes:
        for impl in ("vanilla", "vanilla32"):
            digests = set().union(*(times.get(key, {}).get("sha256 " + name, set())
                                    for key in (impl, impl + "-glibc")))
            assert len(digests) == 1, (
                f"{impl} at {name}: the gradients differ between processes or allocator "
                f"settings ({len(digests)} different SHA-256 digests)")
    rows = []
    for name, T, B, D, H, K in sizes:
        row = {"name": name, "T": T, "B": B, "D": D, "H": H, "K": K}
        for impl in IMPLEMENTATIONS:
            seconds = times.get(impl, {}).get(name)
            row[impl] = None if seconds is None else T * B / statistics.median(seconds)
            if seconds is not None:
                row["spread " + impl] = (max(seconds) - min(seconds)) / statistics.median(seconds)
        rows.append(row)

    text = table(rows)
    spread = spread_table(rows)
    notes = targets(rows)
    load_text = "unknown" if other_load is None else f"{other_load:.0%} of the machine"
    env["CPU used by other processes (worst round used)"] = (
        f"{load_text}; {discarded} busier round(s) discarded")
    if other_load is not None and other_load > args.max_other_load:
        notes.append("WARNING: other processes used the CPU during the timings; "
                     "these numbers are not trustworthy, rerun on an idle machine")
    print(f"CPU used by other processes (worst round used): {env[next(reversed(env))]}")
    print()
    print(text)
    glibc = None if args.no_glibc else glibc_table(rows)
    if glibc:
        print("\nwith glibc's default allocator settings (both sides):")
        print(glibc)
    print()
    print("spread of the repeats, (slowest - fastest) / median:")
    print(spread)
    for note in notes:
        print(note)

    if not (args.quick or args.no_write):
        lines = ["# VanillaRNN throughput", "",
                 "Written by `python benchmarks/bench_rnn.py`; see `benchmarks/README.md`.",
                 "Forward + full BPTT of L = sum(ys * R): the gradients of the five weights and "
                 "of xs and h0 on every side but the loop's (weights only);",
                 "float64 unless the column says f32; every process asks glibc to keep freed "
                 "memory (`keep_freed_memory`; the last table without it);",
                 "tokens/s = T * B / median seconds per iteration over "
                 f"{args.rounds} rounds x {args.repeats} repeats (each implementation in its "
                 f"own process, {args.warmup} warm-up iterations, each repeat >= "
                 f"{args.min_time} s).", ""]
        lines += [f"- {key}: {value}" for key, value in env.items()]
        lines += [f"- gradient check, max abs error vs VanillaRNN: loop {errors['loop']:.3g}"
                  + (f", torch float64 {errors['torch']:.3g}" if "torch" in errors else "")
                  + f"; VanillaRNN float32 {errors['vanilla32']:.3g} of the largest entry", ""]
        lines += [text, ""] + [f"- {note}" for note in notes]
        if glibc:
            lines += ["", "The same, with glibc's default allocator settings in both processes "
                      "(each iteration page-faults its fresh arrays in again):", "", glibc]
        lines += ["", "Spread of the repeats, (slowest - fastest) / median "
                  "(a large spread means a noisy machine):", "", spread]
        args.output.write_text("\n".join(lines) + "\n")
        print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
