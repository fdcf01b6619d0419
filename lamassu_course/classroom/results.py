"""Run a folder of submitted notebooks and tabulate what each check printed (no nbgrader needed).

    lamassu-course results submissions/ [--csv results.csv]

executes every ``*.ipynb`` under the folder (for example ``submissions/<student>/<chapter>.ipynb``)
in a fresh kernel, with errors allowed, and prints one row per check call: the notebook, the
check, ✓ or ✗, and the check's line (its hint when it fails). ``--csv`` also writes the table.
No check reads a written answer (a markdown cell tagged ``answer``): for those it says how many
the student filled in, for the teacher to read. The notebooks are run in place but not saved.
"""
import csv
import re
import sys
from pathlib import Path

import nbformat

__all__ = ["check_lines", "written_answers", "run_notebook", "run", "add_arguments"]

LINE = re.compile(r"^(?P<mark>[✓✗]) (?P<check>check_\w+): (?P<message>.*)$")


CALL = re.compile(r"^(?!\s*(?:from|import)\b).*?\b(check_\w+)\(", re.M)


def check_lines(nb):
    """(check, passed, message) for every check called in ``nb``, in order.

    A check that printed nothing because its cell raised first (the answer's name is not
    defined, say) counts as failed, with the error as its message.
    """
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        printed, error = [], None
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                error = f"{output.get('ename')}: {output.get('evalue')}"
            text = output.get("text", "") if output.get("output_type") == "stream" else ""
            printed.extend(LINE.match(line) for line in text.splitlines() if LINE.match(line))
        found.extend((m["check"], m["mark"] == "✓", m["message"]) for m in printed)
        done = {m["check"] for m in printed}
        found.extend((name, False, f"did not run: the cell raised {error}")
                     for name in CALL.findall(cell.source) if error and name not in done)
    return found


def written_answers(nb):
    """(filled in, all): the notebook's answer cells (tagged ``answer``), and how many of them
    hold something other than the line the student copy handed out."""
    from .student import ANSWER_TAG, WRITTEN_ANSWER

    cells = [c for c in nb.cells
             if c.cell_type == "markdown" and ANSWER_TAG in c.get("metadata", {}).get("tags", [])]
    return sum(c.source.strip() not in ("", WRITTEN_ANSWER) for c in cells), len(cells)


def run_notebook(path, timeout=600):
    """Execute the notebook at ``path`` (errors allowed); return its check lines and its
    ``written_answers``."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=timeout, allow_errors=True,
                   resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    return check_lines(nb), written_answers(nb)


def add_arguments(parser):
    parser.add_argument("folder", metavar="DIR", type=Path, help="the submitted notebooks (searched recursively)")
    parser.add_argument("--csv", type=Path, help="also write the table to this CSV file")


def run(args, parser):
    paths = sorted(p for p in args.folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    if not paths:
        parser.error(f"DIR {args.folder} holds no .ipynb notebooks")
    rows = []
    for path in paths:
        lines, (filled, written) = run_notebook(path)
        rows.extend((str(path.relative_to(args.folder)), check, "✓" if ok else "✗", message)
                    for check, ok, message in lines)
        passed = sum(ok for _, ok, _ in lines)
        print(f"{path.relative_to(args.folder)}: {passed} of {len(lines)} checks pass")
        for check, ok, message in lines:
            print(f"    {'✓' if ok else '✗'} {check}: {message}")
        if written:
            print(f"    written answers: {filled} of {written} filled in (no check reads them)")
    if args.csv:
        with args.csv.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["notebook", "check", "passed", "message"])
            writer.writerows(rows)
    return 0


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m lamassu_course.classroom.results")
    add_arguments(parser)
    sys.exit(run(parser.parse_args(), parser))
