"""Throughput of ``VanillaRNN`` forward + full BPTT, against two references.

Run from the repository root (this is a benchmark, not a test; pytest never collects it):

    python benchmarks/bench_rnn.py            # all sizes, prints a table, writes results.md
    python benchmarks/bench_rnn.py --quick    # a fast smoke run, writes nothing

One iteration is the whole training-step work for one batch, in float64:

    ys, hs = forward(xs)          xs (T, B, D), zero h0
    L = sum(ys * R)               R (T, B, K) fixed random, so dL/dys = R everywhere
    grads = BPTT(dL/dys = R)      gradients of W_hx, W_hh, W_yh, b_h, b_y

and throughput is tokens per second, with T * B tokens per iteration. Three
implementations do that same work on the same weights:

* ``VanillaRNN`` (lamassu_course): time-major batches, one (B, H) @ (H, H) product per step,
  every product that does not depend on the recurrence done once over all T * B rows.
  Its ``backward`` also returns dL/dxs and dL/dh0, which the references do not compute.
* ``loop``: ``min_char_rnn_loss`` below, the min-char-rnn way (Karpathy): one sequence at a
  time, column vectors, matrix-vector products, weight gradients with ``np.outer``.
* ``torch``: ``torch.nn.RNN(D, H, nonlinearity='tanh')`` + ``torch.nn.Linear(H, K)`` with
  autograd (forward, ``loss.backward()``), in float64 and float32, when torch imports.

Before any timing, the gradients of the loop (to 1e-10) and of torch in float64 (to 1e-8)
are checked against ``VanillaRNN`` on a small case; a mismatch stops the run.

Timing: ``time.perf_counter``; warm-up iterations first, then ``--repeats`` repeats of a
number of iterations calibrated so one repeat lasts at least ``--min-time`` seconds; the
median seconds per iteration of the repeats is reported.
"""
import argparse
import ctypes
import datetime
import glob
import os
import platform
import statistics
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
def make_problem(T, B, D, H, K, seed=0, random_biases=False):
    """A VanillaRNN and fixed inputs xs (T, B, D) and loss weights R (T, B, K)."""
    rng = np.random.default_rng([seed, T, B, D, H, K])
    rnn = VanillaRNN(D, H, K, seed=seed)
    if random_biases:  # the default biases are zero; a missing bias term would not show
        for name in ("b_h", "b_y"):
            rnn.params[name][:] = 0.1 * rng.standard_normal(rnn.params[name].shape)
    xs = rng.standard_normal((T, B, D))
    R = rng.standard_normal((T, B, K))
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
    cell, head = torch_model(torch, rnn, dtype)
    xs_t = torch.from_numpy(xs).to(dtype)
    R_t = torch.from_numpy(R).to(dtype)
    params = list(cell.parameters()) + list(head.parameters())

    def step():
        for param in params:
            param.grad = None
        out, _ = cell(xs_t)
        loss = (head(out) * R_t).sum()
        loss.backward()
        return loss
    return step, cell, head


def torch_grads(cell, head):
    return {"W_hx": cell.weight_ih_l0.grad, "W_hh": cell.weight_hh_l0.grad,
            "W_yh": head.weight.grad, "b_h": cell.bias_ih_l0.grad, "b_y": head.bias.grad}


# --------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------
def max_abs_error(grads, reference):
    return max(float(np.max(np.abs(np.asarray(grads[n]) - reference[n]))) for n in GRAD_NAMES)


def verify(torch):
    """Check the references' gradients against VanillaRNN on one small case; return the errors."""
    rnn, xs, R = make_problem(T=7, B=3, D=5, H=6, K=4, seed=1, random_biases=True)
    loss, ref = vanilla_step(rnn, xs, R)()
    errors = {}

    loop_loss, *loop_grads = min_char_rnn_loss(xs, R, *(rnn.params[n] for n in GRAD_NAMES))
    errors["loop"] = max(max_abs_error(dict(zip(GRAD_NAMES, loop_grads)), ref),
                         abs(loop_loss - loss))
    assert errors["loop"] <= LOOP_TOLERANCE, (
        f"loop gradients differ from VanillaRNN by {errors['loop']:.3g} > {LOOP_TOLERANCE}")

    if torch is not None:
        step, cell, head = torch_step(torch, rnn, xs, R, torch.float64)
        torch_loss = float(step().detach())
        grads = {n: g.detach().numpy() for n, g in torch_grads(cell, head).items()}
        # nn.RNN has two hidden biases, bias_ih and bias_hh; both must receive dL/db_h.
        bias_hh_error = float(np.max(np.abs(cell.bias_hh_l0.grad.numpy() - ref["b_h"])))
        errors["torch"] = max(max_abs_error(grads, ref), bias_hh_error, abs(torch_loss - loss))
        assert errors["torch"] <= TORCH_TOLERANCE, (
            f"torch gradients differ from VanillaRNN by {errors['torch']:.3g} > {TORCH_TOLERANCE}")
    return errors


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------
def time_per_iteration(step, repeats, warmup, min_time):
    """Median seconds per call of ``step`` over ``repeats`` repeats (after ``warmup`` calls)."""
    for _ in range(warmup):
        step()
    number = 1
    while True:  # calibrate: iterations per repeat so one repeat lasts >= min_time
        start = time.perf_counter()
        for _ in range(number):
            step()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            break
        number = max(number * 2, int(number * min_time / max(elapsed, 1e-9)) + 1)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            step()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times), number


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
    lines = ["| size (T, B, D, H, K) | VanillaRNN tok/s | loop tok/s | VanillaRNN / loop "
             "| torch f64 tok/s | torch f32 tok/s | VanillaRNN / torch f64 "
             "| VanillaRNN / torch f32 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['name']} ({r['T']}, {r['B']}, {r['D']}, {r['H']}, {r['K']}) "
            f"| {_rate(r['vanilla'])} | {_rate(r['loop'])} | {_ratio(r['vanilla'], r['loop'])} "
            f"| {_rate(r['torch64'])} | {_rate(r['torch32'])} "
            f"| {_ratio(r['vanilla'], r['torch64'])} | {_ratio(r['vanilla'], r['torch32'])} |")
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
    """The issue's targets, checked on the B=32 row: >= 5x the loop, no slower than torch."""
    notes = []
    for r in rows:
        if r["name"] != "B=32":
            continue
        if r["loop"] is not None:
            ok = r["vanilla"] >= 5 * r["loop"]
            notes.append(f"VanillaRNN >= 5x the loop at B=32: {'met' if ok else 'MISSED'} "
                         f"({r['vanilla'] / r['loop']:.2f}x)")
        if r["torch64"] is not None:
            ok = r["vanilla"] >= r["torch64"]
            notes.append(f"VanillaRNN no slower than torch (float64) at B=32: "
                         f"{'met' if ok else 'MISSED'} ({r['vanilla'] / r['torch64']:.2f}x)")
    return notes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats (median taken)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed iterations first")
    parser.add_argument("--min-time", type=float, default=0.2,
                        help="seconds one repeat lasts at least (sets iterations per repeat)")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS threads for numpy (and torch); default: numpy's default")
    parser.add_argument("--no-torch", action="store_true", help="skip torch even if installed")
    parser.add_argument("--no-loop", action="store_true", help="skip the per-sequence loop")
    parser.add_argument("--quick", action="store_true",
                        help="one tiny size, short timings, results.md not written")
    parser.add_argument("--output", type=Path, default=HERE / "results.md",
                        help="Markdown file for the results (default: benchmarks/results.md)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    torch = import_torch(not args.no_torch)
    np_threads, np_blas = numpy_threads(args.threads)
    if torch is not None:
        # Same thread count as numpy's BLAS, so neither side gets more cores.
        torch.set_num_threads(args.threads or np_threads or os.cpu_count())
    sizes, repeats, warmup, min_time = SIZES, args.repeats, args.warmup, args.min_time
    if args.quick:
        sizes, repeats, warmup, min_time = QUICK_SIZES, 3, 1, 0.01

    errors = verify(torch)
    print("gradient check against VanillaRNN (max abs error over W_hx, W_hh, W_yh, b_h, b_y, L):")
    print(f"  loop : {errors['loop']:.3g} (tolerance {LOOP_TOLERANCE:g})")
    if "torch" in errors:
        print(f"  torch float64: {errors['torch']:.3g} (tolerance {TORCH_TOLERANCE:g})")
    env = environment(torch, np_threads, np_blas)
    for key, value in env.items():
        print(f"{key}: {value}")
    print()

    rows = []
    for name, T, B, D, H, K in sizes:
        print(f"timing {name} (T={T}, B={B}, D={D}, H={H}, K={K}) ...", flush=True)
        rnn, xs, R = make_problem(T, B, D, H, K)
        tokens = T * B
        row = {"name": name, "T": T, "B": B, "D": D, "H": H, "K": K,
               "loop": None, "torch64": None, "torch32": None}
        seconds, _ = time_per_iteration(vanilla_step(rnn, xs, R), repeats, warmup, min_time)
        row["vanilla"] = tokens / seconds
        if not args.no_loop:
            seconds, _ = time_per_iteration(loop_step(rnn, xs, R), repeats, warmup, min_time)
            row["loop"] = tokens / seconds
        if torch is not None:
            for key, dtype in (("torch64", torch.float64), ("torch32", torch.float32)):
                step = torch_step(torch, rnn, xs, R, dtype)[0]
                seconds, _ = time_per_iteration(step, repeats, warmup, min_time)
                row[key] = tokens / seconds
        rows.append(row)


    text = table(rows)
    notes = targets(rows)
    print()
    print(text)
    for note in notes:
        print(note)

    if not (args.quick or args.no_write):
        lines = ["# VanillaRNN throughput", "",
                 "Written by `python benchmarks/bench_rnn.py`; see `benchmarks/README.md`.",
                 "Forward + full BPTT of L = sum(ys * R), float64 unless the column says f32;",
                 "tokens/s = T * B / median seconds per iteration "
                 f"({repeats} repeats, {warmup} warm-up iterations, "
                 f"each repeat >= {min_time} s).", ""]
        lines += [f"- {key}: {value}" for key, value in env.items()]
        lines += [f"- gradient check, max abs error vs VanillaRNN: loop {errors['loop']:.3g}"
                  + (f", torch float64 {errors['torch']:.3g}" if "torch" in errors else ""), ""]
        lines += [text, ""] + [f"- {note}" for note in notes]
        args.output.write_text("\n".join(lines) + "\n")
        print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
