"""Run chapters under other OpenBLAS kernels and show every output that differs from the committed one.

nbval (the README's ``pytest``) compares outputs too, but it skips cells tagged
``nbval-ignore-output``; this script compares *every* cell's text (stream, text/plain and glued
values), after the same rewrites as ``nbval_sanitize.cfg``, and marks ignored cells, so it
shows what a reader on another machine would see differently.

    python .ci/crosscheck.py notebooks/04_vanishing_exploding.ipynb [--kernels Haswell Sandybridge]

``avx2`` means Haswell kernels with NumPy's own AVX-512 loops switched off too, as on a
machine without AVX-512. Exits 1 if any non-ignored output differs.
"""
import argparse
import configparser
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
KERNELS = {
    "Haswell": {"OPENBLAS_CORETYPE": "Haswell"},
    "Sandybridge": {"OPENBLAS_CORETYPE": "Sandybridge"},
    "Prescott": {"OPENBLAS_CORETYPE": "Prescott"},
    "avx2": {"OPENBLAS_CORETYPE": "Haswell", "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"},
    "default": {},
}


def sanitizers():
    config = configparser.ConfigParser()
    config.read(ROOT / "nbval_sanitize.cfg")
    return [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]


def texts(cell, rules):
    """The comparable text of a code cell's outputs."""
    found, streams = [], {}
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":       # merged per stream, as nbval does
            streams[out["name"]] = streams.get(out["name"], "") + out["text"]
        for mime in ("text/plain", "application/papermill.record/text/plain"):
            if mime in out.get("data", {}):
                value = out["data"][mime]
                found.append(value if isinstance(value, str) else "".join(value))
    text = "\n".join(list(streams.values()) + found)
    for pattern, replace in rules:
        text = pattern.sub(replace, text)
    return text


def run(path, kernel):
    env_backup = dict(os.environ)
    nb = nbformat.read(path, as_version=4)
    os.environ.update(KERNELS[kernel])
    try:
        start = time.perf_counter()
        client = NotebookClient(nb, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(Path(path).parent)}},
                                skip_cells_with_tag="skip-execution")
        client.execute()
        return nb, time.perf_counter() - start
    finally:
        os.environ.clear()
        os.environ.update(env_backup)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--kernels", nargs="+", default=["Haswell", "Sandybridge", "Prescott"],
                        choices=sorted(KERNELS))
    args = parser.parse_args()
    rules = sanitizers()
    failed = False
    jobs = [(nb, k) for nb in args.notebooks for k in args.kernels]
    # one kernel at a time per job: os.environ is process-wide, so run sequentially
    for path, kernel in jobs:
        committed = nbformat.read(path, as_version=4)
        fresh, seconds = run(path, kernel)
        diffs = 0
        for index, (old, new) in enumerate(zip(committed.cells, fresh.cells)):
            if old.cell_type != "code" or "skip-execution" in old.metadata.get("tags", []):
                continue
            a, b = texts(old, rules), texts(new, rules)
            if a != b:
                ignored = "nbval-ignore-output" in old.metadata.get("tags", [])
                failed |= not ignored
                diffs += 1
                print(f"--- {path} cell {index} under {kernel}{' (ignored by nbval)' if ignored else ''}")
                for line_a, line_b in zip(a.splitlines(), b.splitlines()):
                    if line_a != line_b:
                        print(f"    committed: {line_a[:150]}\n    {kernel:>9}: {line_b[:150]}")
                if len(a.splitlines()) != len(b.splitlines()):
                    print(f"    ({len(a.splitlines())} vs {len(b.splitlines())} lines)")
        print(f"=== {path} under {kernel}: {diffs} cells differ, ran in {seconds:.1f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
