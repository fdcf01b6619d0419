"""How long must Chapter 3's character RNN train to beat the best interpolated n-gram?

Run from the repository root (a benchmark, not a test; pytest never collects it):

    python benchmarks/bench_charlm.py                  # both settings, writes benchmarks/charlm.md
    python benchmarks/bench_charlm.py --max-seconds 60 # a shorter cap per setting
    python benchmarks/bench_charlm.py --no-write       # print only
    python benchmarks/bench_charlm.py --precision      # float32 against float64 (see below)
    python benchmarks/bench_charlm.py --from-markdown  # the JSON again from charlm.md's table

Besides the table in ``benchmarks/charlm.md`` it writes the same results, with the date, the
machine and the settings that produced them, to
``lamassu_course/experiments/data/charlm_benchmark.json``, which ships inside the package
(``experiments.charlm.charlm_benchmark()`` reads it; Chapter 3 quotes it).
``tests/test_charlm.py`` checks that the two files agree. ``--from-markdown`` rebuilds the
JSON from the table alone (for a table written before the JSON existed); the held-out
figures are deterministic on one machine (seed 1, one BLAS thread), so a rerun reproduces
them, while the seconds and the number of passes within the cap depend on the machine and
on what else it runs.

The split is the chapter's: the first 90% of *Alice* is the training text, the last 10% is
held out. The n-gram ladder is the chapter's too (``experiments.ngram.InterpolatedNGram``,
orders 1 to 5): counted on the training text without its last part, its weights tuned on
that last part (as long as the held-out text), then counted again on the whole training
text. The target is the best order's held-out bits per character.

Each setting trains a ``VanillaRNN`` with ``train_tbptt`` (Adagrad, windows of 25, clipping by
value at 5, float32), one pass over the training text at a time, and measures the held-out
loss with ``charlm.nats_per_char`` after every pass. It stops at the first pass that beats the
target, or when the training time passes ``--max-seconds``. Time is the process's CPU time
spent in ``train_tbptt`` (``time.process_time``, one BLAS thread), so other programs on a
shared machine slow the clock less than they slow the wall; evaluation is not counted.

``--precision`` answers another question: does training in float32 (as the chapter does) cost
accuracy? It trains the chapter's main run (H = 100, B = 32, Adagrad 0.05, clipping by value
at 5, four passes) from seeds 0, 1 and 2, once in float32 and once in float64, and writes the
held-out bits per character of each into the section "float32 against float64" of charlm.md
(the rest of the file is kept).
"""
import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")   # before NumPy loads, as in the chapters

import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from lamassu_course import Adagrad, CharVocab, VanillaRNN, load_text, train_tbptt  # noqa: E402
from lamassu_course.experiments.charlm import BITS_PER_NAT, nats_per_char  # noqa: E402
from lamassu_course.experiments.ngram import InterpolatedNGram  # noqa: E402

# (hidden size H, batch B, Adagrad learning rate): the chapter's setting, and a wider one
SETTINGS = [(100, 32, 0.05), (256, 32, 0.02)]


def split():
    text = load_text("alice")
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    n_train = int(0.9 * len(ids))
    return vocab.size, ids[:n_train], ids[n_train:]


def run(V, train_ids, heldout_ids, target, H, B, lr, max_seconds, seed=1):
    rnn = VanillaRNN(V, H, V, seed=seed, dtype=np.float32)
    optimizer = Adagrad(rnn.params, lr=lr)
    spent, passes, curve = 0.0, 0, []
    while spent < max_seconds:
        start = time.process_time()
        train_tbptt(rnn, train_ids, window=25, batch_size=B, optimizer=optimizer,
                    clip_value=5.0, progress=False)
        spent += time.process_time() - start
        passes += 1
        bpc = nats_per_char(rnn, heldout_ids) * BITS_PER_NAT
        curve.append((passes, spent, bpc))
        print(f"H={H} B={B} lr={lr}: pass {passes}, {spent:7.1f} s, held out {bpc:.3f} bpc",
              flush=True)
        if bpc < target:
            break
    return curve


PRECISION_HEADING = "## float32 against float64"


def precision(V, train_ids, heldout_ids, seeds=(0, 1, 2), passes=4):
    """Held-out bpc after ``passes`` passes of the chapter's main run, per dtype and seed."""
    rows = {}
    for dtype in (np.float32, np.float64):
        for seed in seeds:
            rnn = VanillaRNN(V, 100, V, seed=seed, dtype=dtype)
            train_tbptt(rnn, train_ids, window=25, batch_size=32, epochs=passes,
                        optimizer=Adagrad(rnn.params, lr=0.05), clip_value=5.0, progress=False)
            rows[np.dtype(dtype).name, seed] = nats_per_char(rnn, heldout_ids) * BITS_PER_NAT
            print(f"{np.dtype(dtype).name} seed {seed}: {rows[np.dtype(dtype).name, seed]:.3f} bpc",
                  flush=True)
    lines = [PRECISION_HEADING, "",
             "Written by `python benchmarks/bench_charlm.py --precision`. The chapter's main run "
             f"(H = 100, B = 32, Adagrad 0.05, clipping by value at 5, {passes} passes), "
             "held-out bits per character.",
             f"Date: {datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}.",
             "", "| seed | float32 | float64 | difference |", "|---:|---:|---:|---:|"]
    for seed in seeds:
        a, b = rows["float32", seed], rows["float64", seed]
        lines.append(f"| {seed} | {a:.3f} | {b:.3f} | {a - b:+.3f} |")
    spread32 = [rows["float32", s] for s in seeds]
    lines += ["", f"Spread between the float32 seeds: {max(spread32) - min(spread32):.3f} bpc.", ""]
    return "\n".join(lines)


SECONDS_NOTE = ("CPU time spent training (time.process_time, one BLAS thread), evaluation not "
                "counted; it depends on the machine and on what else runs on it (the course's "
                "build machine is shared), so quote it only with the machine and date")
SPLIT_NOTE = ("alice29.txt: the first 90% trains, the last 10% is held out; the n-grams are "
              "tuned on the last part of the training text, as long as the held-out text")
RNN_SETTINGS = dict(model="VanillaRNN", optimizer="Adagrad", window=25, clip_value=5.0,
                    dtype="float32", seed=1)
JSON_PATH = (Path(__file__).resolve().parents[1] / "lamassu_course" / "experiments" / "data"
             / "charlm_benchmark.json")
ROW = re.compile(r"^\| (\d+) \| (\d+) \| ([\d.]+) \| (\d+) \| (\d+) \| ([\d.]+) \| "
                 r"([\d.]+) \(pass (\d+), (\d+) s\) \| (yes|no)")


def markdown(results):
    """The lines of charlm.md's first part, from ``results`` (what the JSON holds)."""
    target, rnn = results["target"], results["rnn"]
    rows = [f"| {r['H']} | {r['B']} | {r['lr']} | {r['passes']} | {r['training_seconds']} | "
            f"{r['last_bpc']:.3f} | {r['best_bpc']:.3f} (pass {r['best_pass']}, "
            f"{r['best_seconds']} s) | {'yes' if r['beats_target'] else 'no (cap reached)'} |"
            for r in results["settings"]]
    return [
        "# Character RNN against the best n-gram (Chapter 3)",
        "",
        "Written by `python benchmarks/bench_charlm.py`; see its docstring. The same results, "
        "with these settings, are in `lamassu_course/experiments/data/charlm_benchmark.json`.",
        f"Target: the best interpolated n-gram (order {target['order']}), "
        f"{target['heldout_bpc']:.3f} bits/char on the held-out text. RNN: "
        f"{rnn['optimizer']}, windows of {rnn['window']}, clipping by value at "
        f"{rnn['clip_value']:g}, {rnn['dtype']}, seed {rnn['seed']}.",
        "Seconds: CPU time spent training (one BLAS thread), evaluation not counted; they "
        "depend on the machine and on its load (a shared machine).",
        "",
        f"- date: {results['date']}",
        f"- machine: {results['machine']}",
        f"- cap: {results['cap_seconds']} s of training per setting",
        "",
        "| H | B | learning rate | passes | training s | held-out bpc, last | best | "
        "beats the n-gram |",
        "|---:|---:|---:|---:|---:|---:|---|---|",
        *rows,
        "",
        'Note on "best": it is the lowest of the held-out evaluations made after every pass, so '
        "the stopping point is chosen on the very text it scores (early stopping on the test "
        "text). The figure is therefore optimistic for the RNN; the conclusion, that neither "
        "setting beats the n-gram, holds in spite of that bias.",
        "",
    ]


def write_json(results):
    JSON_PATH.parent.mkdir(exist_ok=True)
    JSON_PATH.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {JSON_PATH}")


def write_markdown(lines):
    """Write charlm.md's first part; the float32 section (``--precision``) is kept."""
    path = Path(__file__).with_name("charlm.md")
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    kept = (PRECISION_HEADING + old.split(PRECISION_HEADING, 1)[1]
            if PRECISION_HEADING in old else "")
    path.write_text("\n".join(lines) + ("\n" + kept if kept else ""), encoding="utf-8")


def from_markdown(text):
    """The results dict of a charlm.md written by this script (its first part)."""
    field = {key: re.search(rf"^- {key}: (.+)$", text, re.M).group(1)
             for key in ("date", "machine", "cap")}
    order, bpc = re.search(r"n-gram \(order (\d+)\), ([\d.]+) bits/char", text).groups()
    settings = []
    for match in filter(None, map(ROW.match, text.splitlines())):
        H, B, lr, passes, seconds, last, best, best_pass, best_seconds, beats = match.groups()
        settings.append(dict(H=int(H), B=int(B), lr=float(lr), passes=int(passes),
                             training_seconds=int(seconds), last_bpc=float(last),
                             best_bpc=float(best), best_pass=int(best_pass),
                             best_seconds=int(best_seconds), beats_target=beats == "yes"))
    return dict(written_by="python benchmarks/bench_charlm.py", date=field["date"],
                machine=field["machine"], seconds=SECONDS_NOTE, split=SPLIT_NOTE,
                rnn=RNN_SETTINGS, target=dict(order=int(order), heldout_bpc=float(bpc)),
                cap_seconds=int(field["cap"].split()[0]), settings=settings)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--precision", action="store_true")
    parser.add_argument("--from-markdown", action="store_true")
    args = parser.parse_args()
    if args.from_markdown:
        results = from_markdown(Path(__file__).with_name("charlm.md").read_text("utf-8"))
        write_json(results)
        write_markdown(markdown(results))
        return
    V, train_ids, heldout_ids = split()
    if args.precision:
        section = precision(V, train_ids, heldout_ids)
        print(section)
        if not args.no_write:
            path = Path(__file__).with_name("charlm.md")
            kept = path.read_text(encoding="utf-8").split(PRECISION_HEADING)[0].rstrip("\n")
            path.write_text(kept + "\n\n" + section, encoding="utf-8")
        return
    n_tune = len(heldout_ids)
    ladder = {order: InterpolatedNGram(order, V).fit(train_ids[:-n_tune])
              .tune(train_ids[-n_tune:]).fit(train_ids).nats_per_char(heldout_ids)
              for order in (1, 2, 3, 4, 5)}
    best = min(ladder, key=ladder.get)
    target = ladder[best] * BITS_PER_NAT
    print(f"best n-gram: order {best}, {target:.3f} bpc held out")
    results = dict(
        written_by="python benchmarks/bench_charlm.py",
        date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        machine=f"{platform.machine()}, {os.cpu_count()} logical CPUs; Python "
                f"{platform.python_version()}, NumPy {np.__version__}",
        seconds=SECONDS_NOTE, split=SPLIT_NOTE, rnn=RNN_SETTINGS,
        target=dict(order=best, heldout_bpc=round(target, 3)),
        cap_seconds=round(args.max_seconds), settings=[])
    for H, B, lr in SETTINGS:
        curve = run(V, train_ids, heldout_ids, target, H, B, lr, args.max_seconds)
        passes, seconds, bpc = curve[-1]
        best_pass = min(curve, key=lambda row: row[2])
        results["settings"].append(dict(
            H=H, B=B, lr=lr, passes=passes, training_seconds=round(seconds),
            last_bpc=round(bpc, 3), best_bpc=round(best_pass[2], 3), best_pass=best_pass[0],
            best_seconds=round(best_pass[1]), beats_target=bool(bpc < target)))
    lines = markdown(results)
    print("\n".join(lines))
    if not args.no_write:
        write_json(results)
        write_markdown(lines)


if __name__ == "__main__":
    main()
