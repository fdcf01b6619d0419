"""Every committed notebook was executed top to bottom, so nbval's strict comparison means something.

A code cell with no stored execution would pass ``pytest --nbval`` vacuously (there is no
output to compare), so such a notebook fails here.
"""
import importlib.util
import json
import re
import tomllib
from pathlib import Path

import pytest

import lamassu_course

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


SKIPPED = "skip-execution"
LIVE_EXPLORER = re.compile(r"\w+_explorer\([^\n]*\)")


def execution_problems(nb):
    """What is wrong with a notebook's stored execution, as a list of messages (empty if fine).

    A live explorer (an ipywidgets slider) is the one kind of cell that is not executed
    outside a browser: nbclient, which runs the notebooks for the book and the committed
    outputs, can stall on ipywidgets' interact until its timeout (jupyter/nbclient#312).
    Such a cell is tagged skip-execution (nbclient) and nbval-skip, has no output, and only
    calls the explorer; tests build each explorer and run its drawing instead.
    """
    problems, counts = [], []
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code" or not "".join(cell.get("source", "")).strip():
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        if SKIPPED in tags:
            if not LIVE_EXPLORER.fullmatch("".join(cell["source"]).strip()):
                problems.append(f"code cell {index} is skipped but is not one explorer call")
            if "nbval-skip" not in tags or cell.get("outputs") or cell.get("execution_count"):
                problems.append(f"code cell {index} is skipped: it needs nbval-skip and no "
                                "stored output")
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
    skipped = _cell("state_explorer(rnn, xs)", None)
    skipped["metadata"] = {"tags": [SKIPPED, "nbval-skip"]}
    assert execution_problems({"cells": [_cell("x = 1", 1), skipped, _cell("x", 2)]}) == []
    skipped["source"] = "x = 2"
    assert "not one explorer call" in execution_problems({"cells": [skipped]})[0]
    error = {"output_type": "error", "ename": "NameError"}
    assert execution_problems({"cells": [_cell("y", 1, [error])]}) == [
        "code cell 0 stores an error (NameError)"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_was_executed_top_to_bottom(path):
    problems = execution_problems(json.loads(path.read_text(encoding="utf-8")))
    assert not problems, f"{path.name}: " + "; ".join(problems)


ROOT = Path(__file__).resolve().parents[1]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def repository_url():
    """The one place the repository URL is written: ``_config.yml``."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return config["repository"]["url"].rstrip("/")


def first_code_cell(nb):
    return next(cell for cell in nb["cells"] if cell["cell_type"] == "code")


def _setup_cells_script():
    """``.ci/setup_cells.py``, which writes every setup cell from _config.yml and the version."""
    spec = importlib.util.spec_from_file_location("setup_cells", ROOT / ".ci" / "setup_cells.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_setup_cell_installs_the_pinned_package_from_the_repository_only_on_colab(path):
    """Colab has no lamassu_course: each chapter's first cell installs it there, from the
    repository in _config.yml, at the tag of the version the page was built from
    (v + lamassu_course.__version__). If either changes, .ci/setup_cells.py rewrites the cells."""
    script = _setup_cells_script()
    cell = first_code_cell(json.loads(path.read_text(encoding="utf-8")))
    source = "".join(cell["source"])
    assert not cell["outputs"], f"{path.name}: the setup cell shows output {cell['outputs']}"
    assert source.startswith("# Setup."), f"{path.name}: first code cell is not the setup cell"
    assert source == script.setup_cell_source(), (
        f"{path.name}: the setup cell is out of date (repository {repository_url()} at "
        f"{script.release_tag()}); run python .ci/setup_cells.py notebooks/*.ipynb")
    assert f'"{repository_url()}"\n' in source
    assert f'"@v{lamassu_course.__version__}"]' in source
    assert 'if "google.colab" in sys.modules:' in source


def test_the_version_is_written_once():
    """pyproject.toml reads the version from the package, which the setup cells pin."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "lamassu_course.__version__"}
    assert _setup_cells_script().release_tag() == f"v{lamassu_course.__version__}"


def test_setup_cells_script_rewrites_a_stale_cell_and_check_catches_it(tmp_path):
    script = _setup_cells_script()
    stale = json.loads(NOTEBOOKS[0].read_text(encoding="utf-8"))
    first_code_cell(stale)["source"] = first_code_cell(stale)["source"][:-2] + [
        '"@v0.0.1"],\n', "                   check=True)"]
    path = tmp_path / "stale.ipynb"
    path.write_text(json.dumps(stale, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert script.main(["--check", str(path)]) == 1
    assert script.main([str(path)]) == 0
    assert script.main(["--check", str(path)]) == 0
    assert "".join(first_code_cell(json.loads(path.read_text(encoding="utf-8")))["source"]) == (
        script.setup_cell_source())


def test_readme_badge_points_at_the_repository():
    slug = repository_url().removeprefix("https://github.com/")
    assert f"mybinder.org/v2/gh/{slug}/" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_live_widget_outputs_are_removed_from_the_website(path):
    """A live widget (slider, tqdm bar) is dead on the static website: its output is removed
    there (tag remove-output) and a static twin or a printed summary stands in for it."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    shown = [index for index, cell in enumerate(nb["cells"]) if cell["cell_type"] == "code"
             and any(WIDGET_VIEW in out.get("data", {}) for out in cell.get("outputs", []))
             and "remove-output" not in cell["metadata"].get("tags", [])]
    assert not shown, f"{path.name}: cells {shown} show a live widget on the website"
    assert "widgets" not in nb["metadata"], f"{path.name}: stored widget state (strip it)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_glued_numbers_read_as_plain_numbers(path):
    """A glued NumPy scalar shows in the prose as np.int64(4): glue int(...) or a string."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    shown = [out["data"]["application/papermill.record/text/plain"]
             for cell in nb["cells"] for out in cell.get("outputs", [])
             if "application/papermill.record/text/plain" in out.get("data", {})]
    bad = [text for text in shown if text.startswith(("np.", "array("))]
    assert not bad, f"{path.name}: glued values shown as NumPy reprs: {bad}"


# The widest line a code block on the website shows without scrolling sideways, in characters
# of the code font, measured in Chromium on the built site at 1280 px (tests/site checks the
# real page; this catches it before a build). Solutions sit in a dropdown, hidden inputs in a
# toggle, so their columns are narrower.
COLUMNS = {"solution": 69, "hide-input": 75, "": 77}


def too_wide(nb):
    """Every code or printed line of ``nb`` wider than its column, as messages."""
    problems = []
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        tags = set(cell.get("metadata", {}).get("tags", []))
        kind = "solution" if "solution" in tags else "hide-input" if "hide-input" in tags else ""
        lines = [] if "remove-input" in tags else "".join(cell["source"]).splitlines()
        for output in [] if "remove-output" in tags else cell.get("outputs", []):
            data = output.get("data", {})
            if output["output_type"] == "stream":
                lines += "".join(output["text"]).splitlines()
            elif "text/plain" in data and not {"image/png", "text/html"} & data.keys():
                lines += "".join(data["text/plain"]).splitlines()
        problems += [f"cell {index}: {len(line)} > {COLUMNS[kind]} characters: {line}"
                     for line in lines if len(line) > COLUMNS[kind]]
    return problems


def test_too_wide_finds_long_lines_by_cell_kind():
    def cell(source, tags=(), text=""):
        return {"cell_type": "code", "source": source, "metadata": {"tags": list(tags)},
                "outputs": [{"output_type": "stream", "name": "stdout", "text": text}]}
    nb = {"cells": [cell("x" * 77), cell("x" * 70, ["solution"]), cell("y = 1", text="z" * 78),
                    cell("x" * 99, ["remove-input"])]}
    assert [p.split(":")[0] for p in too_wide(nb)] == ["cell 1", "cell 2"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_and_printed_lines_fit_the_column(path):
    problems = too_wide(json.loads(path.read_text(encoding="utf-8")))
    assert not problems, f"{path.name}: lines wider than the website's column:\n" + "\n".join(
        problems[:20])
