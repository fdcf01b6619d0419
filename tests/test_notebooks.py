"""Every committed notebook was executed top to bottom, so nbval's strict comparison means something.

A code cell with no stored execution would pass ``pytest --nbval`` vacuously (there is no
output to compare), so such a notebook fails here.
"""
import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def execution_problems(nb):
    """What is wrong with a notebook's stored execution, as a list of messages (empty if fine)."""
    problems, counts = [], []
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code" or not "".join(cell.get("source", "")).strip():
            continue
        count = cell.get("execution_count")
        if count is None:
            problems.append(f"code cell {index} has no stored execution")
        counts.append(count)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                problems.append(f"code cell {index} stores an error ({output.get('ename')})")
    ran = [c for c in counts if c is not None]
    if ran and ran != list(range(1, len(ran) + 1)):
        problems.append(f"execution counts {ran} are not 1..{len(ran)}: run it top to bottom "
                        "in a fresh kernel")
    return problems


def _cell(source, count, outputs=()):
    return {"cell_type": "code", "source": source, "execution_count": count,
            "outputs": list(outputs), "metadata": {}}


def test_checker_rejects_unexecuted_out_of_order_and_error_cells():
    assert execution_problems({"cells": [_cell("x = 1", 1), _cell("x", 2)]}) == []
    assert execution_problems({"cells": [_cell("x = 1", 1), _cell("x", None)]}) == [
        "code cell 1 has no stored execution"]
    assert "not 1..2" in execution_problems({"cells": [_cell("a", 2), _cell("b", 1)]})[0]
    error = {"output_type": "error", "ename": "NameError"}
    assert execution_problems({"cells": [_cell("y", 1, [error])]}) == [
        "code cell 0 stores an error (NameError)"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_was_executed_top_to_bottom(path):
    problems = execution_problems(json.loads(path.read_text(encoding="utf-8")))
    assert not problems, f"{path.name}: " + "; ".join(problems)
