"""nbgrader: the course directory `lamassu-course assign` writes, and a class graded end to end.

The end-to-end test needs nbgrader (`pip install "lamassu-course[teacher]"`); without it, it is
skipped, unless LAMASSU_REQUIRE_NBGRADER=1 (as `.ci/run` sets in the fresh teacher's virtual
environment it makes), where a missing nbgrader fails it.
"""
import ast
import csv
import html
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lamassu_course.classroom import exercises
from lamassu_course.classroom.cli import main
from lamassu_course.classroom.grading import (DEFAULT_POINTS, NBGRADER_CONFIG, POINTS, WRITTEN_QUESTIONS,
                                              _solution_source, nbgrader_notebook, points_for)
from lamassu_course.classroom.student import (ANSWER_TAG, WRITTEN_ANSWER, chapter_context, is_check_cell,
                                              solution_parts, split_solutions, stub_solution)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CHAPTERS = ["01_formulation", "02_silly_network"]
MISTAKE = ("def my_rnn_step(x_t, h_prev, W_hx, W_hh, b_h):\n"
           "    return np.tanh(x_t @ W_hx.T + h_prev @ W_hh + b_h)   # W_hh not transposed")
HINT = "looks like W_hh is transposed: in the row layout the recurrent term is h_prev @ W_hh.T"


def _released(source):
    """What nbgrader's ClearSolutions (with this course's code_stub) makes of a solution cell."""
    out, inside = [], False
    for line in source.split("\n"):
        if "BEGIN SOLUTION" in line:
            inside = True
            out.append(line.replace("### BEGIN SOLUTION", "# YOUR CODE HERE"))
        elif "END SOLUTION" in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def _names_and_docstrings(source):
    """Top-level defined names, with each function's signature and docstring."""
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            found.append((node.name, ast.unparse(node.args), ast.get_docstring(node)))
        elif isinstance(node, (ast.Assign, ast.Import, ast.ImportFrom)):
            found.append(ast.unparse(node) if not isinstance(node, ast.Assign)
                         else [t.id for t in node.targets])
    return found


SOLUTIONS = [
    'def f(a):\n    """Doc."""\n    b = a + 1\n    return b',
    'import numpy as np\n\n\ndef f(a, b=2):\n    # comment\n    return a * b\n\nprint(f(3))',
    "my_W = 3.0 * np.eye(8)\nmy_W_linear = np.array([[0.0, 5.0], [0.0, 0.0]])",
    'def f(a):\n    """Only a docstring."""',
]


@pytest.mark.parametrize("source", SOLUTIONS)
def test_solution_regions_release_the_same_stub_as_the_student_copies(source):
    marked = _solution_source(source)
    # The source version still runs as the solution.
    namespace, expected = {"np": __import__("numpy")}, {"np": __import__("numpy")}
    exec(marked, namespace)
    exec(source, expected)
    for name in ("f", "my_W", "my_W_linear"):
        if name in expected and not callable(expected[name]):
            assert (namespace[name] == expected[name]).all()
    if "f" in expected and "return" in source:
        assert namespace["f"](3) == expected["f"](3)
    # The released version defines what the student copy defines, and nothing of the answer.
    released = _released(marked)
    assert _names_and_docstrings(released) == _names_and_docstrings(stub_solution(source))
    for line in source.split("\n"):
        if line.strip() and ("return" in line or "b = a" in line or "3.0" in line or "print" in line):
            assert line not in released


def _labels_with_prose(path):
    """The labels of the exercises whose solution has prose (a model answer, or an explanation)."""
    pieces = split_solutions(nbformat.read(path, as_version=4))
    return [pieces[index][1] for index, (_, prose, _) in solution_parts(pieces).items() if prose]


def _written_labels(path):
    """The labels of the exercises that ask a written question, in the chapter's order."""
    return [label for label in _labels_with_prose(path) if label in WRITTEN_QUESTIONS]


def test_points_name_real_checks_and_written_answers_and_default():
    checks = {name for name in POINTS if name.startswith("check_")}
    assert checks <= set(exercises.__all__)
    written = {f"{label}-answer" for path in NOTEBOOKS.glob("*.ipynb") for label in _labels_with_prose(path)}
    assert set(POINTS) - checks <= written, "a written answer's key is <exercise label>-answer"
    assert points_for("check_rnn_step") == POINTS["check_rnn_step"]
    assert points_for("ex-formulation-tanh-answer") == POINTS["ex-formulation-tanh-answer"]
    assert points_for("check_not_listed") == points_for("ex-not-listed-answer") == DEFAULT_POINTS


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_nbgrader_metadata_is_valid_and_complete(chapter):
    path = NOTEBOOKS / f"{chapter}.ipynb"
    original = nbformat.read(path, as_version=4)
    nb = nbgrader_notebook(original, chapter_context(path, original))
    ids = [cell.metadata.nbgrader["grade_id"] for cell in nb.cells]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[a-zA-Z0-9_\-]+", i) for i in ids)
    checks = [call.func.id for cell in original.cells if is_check_cell(cell)
              for call in (node.value for node in ast.parse(cell.source).body)]
    tests, answers = [], []
    for cell in nb.cells:
        meta = cell.metadata.nbgrader
        assert set(meta) <= {"grade", "solution", "locked", "points", "grade_id", "schema_version"}
        assert meta["schema_version"] == 3
        assert meta["grade"] == ("points" in meta)
        if cell.cell_type == "markdown" and meta["grade"]:     # a written answer, graded by hand
            assert meta["solution"] and not meta["locked"]
            assert meta["points"] == points_for(meta["grade_id"]) and ANSWER_TAG in cell.metadata.tags
            assert cell.source.strip() and "{glue" not in cell.source       # the model answer
            answers.append(meta["grade_id"])
        elif meta["grade"]:
            assert meta["locked"] and not meta["solution"]
            name = re.search(r"assert (check_\w+)\(", cell.source).group(1)
            assert meta["points"] == points_for(name)
            tests.append(name)
        elif meta["solution"]:
            assert "### BEGIN SOLUTION" in cell.source and cell.cell_type == "code"
        else:
            assert meta["locked"], cell.source            # everything else is read-only
        assert cell.cell_type == "markdown" or cell.outputs == []
    assert tests == checks and tests
    assert answers == [f"{label}-answer" for label in _written_labels(path)]     # one per question
    assert answers and all(answer in POINTS for answer in answers)          # Chapters 1 and 2 list theirs


def test_a_written_answer_is_one_cell_graded_by_hand():
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    from lamassu_course.classroom.plain_markdown import Context

    nb = new_notebook(cells=[
        new_markdown_cell("```{exercise} Why?\n:label: ex-why\n\nSay why.\n```"),
        new_markdown_cell("```{solution-start} ex-why\n:class: dropdown\n```"),
        new_code_cell("def f(a):\n    return a", metadata={"tags": ["solution"]}),
        new_markdown_cell("Because of {glue:text}`n`."),               # prose over two cells
        new_markdown_cell("And because.\n\n```{solution-end}\n```\n\nAfter."),
        new_code_cell("passed = check_tanh_derivative(f)"),
    ])
    nb.cells[2].outputs = [nbformat.v4.new_output(         # a number glued in the solution cell
        "display_data", data={"application/papermill.record/text/plain": "7"},
        metadata={"scrapbook": {"name": "n"}})]
    cells = nbgrader_notebook(nb, Context(), written={"ex-why"}).cells
    graded = [c for c in cells if c.cell_type == "markdown" and c.metadata.nbgrader["grade"]]
    assert [c.source for c in graded] == ["Because of 7.\n\nAnd because."]
    assert graded[0].metadata.nbgrader == {"grade": True, "grade_id": "ex-why-answer", "locked": False,
                                           "points": points_for("ex-why-answer"), "schema_version": 3,
                                           "solution": True}
    assert [c.source for c in cells if c.cell_type == "markdown"][-1] == "After."
    # Where the exercise asks no written question, the prose explains the code: it is left
    # out, as in the student copies, and nothing is graded by hand.
    cells = nbgrader_notebook(nb, Context(), written=set()).cells
    assert not [c for c in cells if c.cell_type == "markdown" and c.metadata.nbgrader["grade"]]
    assert not [c for c in cells if "because" in c.source.lower()]
    assert [c.source for c in cells if c.cell_type == "markdown"][-1] == "After."


def test_assign_writes_a_course_directory(tmp_path, capsys):
    assert main(["assign", str(tmp_path / "course"), str(NOTEBOOKS / f"{CHAPTERS[0]}.ipynb")]) == 0
    assert (tmp_path / "course" / "nbgrader_config.py").read_text() == NBGRADER_CONFIG
    assert f"c.ClearSolutions.text_stub = {WRITTEN_ANSWER!r}" in NBGRADER_CONFIG
    written = tmp_path / "course" / "source" / CHAPTERS[0] / f"{CHAPTERS[0]}.ipynb"
    assert nbformat.read(written, as_version=4).cells
    out = capsys.readouterr().out
    total = sum(points_for(n) for n in ("check_rnn_step", "check_rnn_forward", "check_count_parameters",
                                        "check_output_probabilities", "check_tanh_derivative"))
    assert f"{total} autograded point(s)" in out
    compile(NBGRADER_CONFIG, "nbgrader_config.py", "exec")


def test_assign_refuses_a_missing_source(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["assign", str(tmp_path / "course"), str(tmp_path / "missing")])
    assert exit_info.value.code == 2
    assert "is not a directory or a notebook" in capsys.readouterr().err
    assert not (tmp_path / "course").exists()


# -- a class of three, graded by nbgrader ------------------------------------------------------

HAVE_NBGRADER = importlib.util.find_spec("nbgrader") is not None
needs_nbgrader = pytest.mark.skipif(
    not HAVE_NBGRADER and os.environ.get("LAMASSU_REQUIRE_NBGRADER") != "1",
    reason='nbgrader is not installed (pip install "lamassu-course[teacher]")')


def _nbgrader(course, *args):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               JUPYTER_CONFIG_DIR=str(course / ".jupyter"))   # no teacher's own config leaks in
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"nbgrader {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


def _answered(release, source, mistake=None):
    """The released notebook with the source's solutions filled in (``mistake``: grade_id -> code)."""
    answers = {c.metadata.nbgrader["grade_id"]: c.source for c in source.cells
               if c.metadata.nbgrader["solution"]}
    nb = nbformat.from_dict(nbformat.reads(nbformat.writes(release), as_version=4))
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = (mistake or {}).get(grade_id, answers[grade_id])
    return nb


@needs_nbgrader
def test_a_class_of_three_is_graded_with_exact_scores_and_hints(tmp_path):
    course = tmp_path / "course"
    assert main(["assign", str(course), *(str(NOTEBOOKS / f"{c}.ipynb") for c in CHAPTERS)]) == 0
    points, written = {}, {}
    for chapter in CHAPTERS:
        _nbgrader(course, "generate_assignment", chapter, "--force")
        release = nbformat.read(course / "release" / chapter / f"{chapter}.ipynb", as_version=4)
        source = nbformat.read(course / "source" / chapter / f"{chapter}.ipynb", as_version=4)
        graded = [c.metadata.nbgrader for c in source.cells if c.metadata.nbgrader["grade"]]
        points[chapter] = (sum(m["points"] for m in graded if not m["solution"]),
                           sum(m["points"] for m in graded))
        written[chapter] = {m["grade_id"]: m["points"] for m in graded if m["solution"]}
        handed_out = [c.source for c in release.cells
                      if c.metadata.get("nbgrader", {}).get("grade_id") in written[chapter]]
        assert handed_out == [WRITTEN_ANSWER] * len(written[chapter]) and handed_out
        submissions = {
            "ada": _answered(release, source),                       # the solutions
            "bob": release,                                          # the untouched notebook
            "cy": _answered(release, source, {"ex-formulation-step-code": MISTAKE}
                            if chapter == CHAPTERS[0] else None),    # one typical mistake
        }
        for student, nb in submissions.items():
            folder = course / "submitted" / student / chapter
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{chapter}.ipynb")
        _nbgrader(course, "autograde", chapter, "--force")
        _nbgrader(course, "generate_feedback", chapter, "--force")
    _nbgrader(course, "export")
    with (course / "grades.csv").open(encoding="utf-8") as handle:
        scores = {(row["student_id"], row["assignment"]): (float(row["score"]), float(row["max_score"]))
                  for row in csv.DictReader(handle)}
    step = points_for("check_rnn_step")
    for chapter in CHAPTERS:
        auto, total = points[chapter]
        assert scores[("ada", chapter)] == (auto, total)      # every check; written answers by hand
        assert scores[("bob", chapter)] == (0, total)
        assert scores[("cy", chapter)] == (auto - (step if chapter == CHAPTERS[0] else 0), total)
    assert points[CHAPTERS[0]][0] == sum(POINTS[n] for n in (
        "check_rnn_step", "check_rnn_forward", "check_count_parameters",
        "check_output_probabilities", "check_tanh_derivative"))
    # The written answers: nbgrader leaves an answered one to the teacher (no score, needs manual
    # grading) and gives 0 to one left as handed out. The teacher's marks then count in the export.
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for chapter in CHAPTERS:
            for student in ("ada", "bob", "cy"):
                grades = [gradebook.find_grade(grade_id, chapter, chapter, student)
                          for grade_id in written[chapter]]
                answered = student != "bob"
                assert [(g.auto_score, g.needs_manual_grade) for g in grades] == \
                    [(None, True) if answered else (0, False)] * len(grades)
                assert gradebook.find_submission(chapter, student).needs_manual_grade == answered
            for grade_id, worth in written[chapter].items():     # the teacher's marks for ada
                gradebook.find_grade(grade_id, chapter, chapter, "ada").manual_score = worth
        gradebook.db.commit()
    _nbgrader(course, "export")
    with (course / "grades.csv").open(encoding="utf-8") as handle:
        rescored = {(row["student_id"], row["assignment"]): float(row["score"])
                    for row in csv.DictReader(handle)}
    for chapter in CHAPTERS:
        assert rescored[("ada", chapter)] == points[chapter][1]             # every point
        assert rescored[("cy", chapter)] == scores[("cy", chapter)][0]     # not graded yet
    feedback = {s: (course / "feedback" / s / CHAPTERS[0] / f"{CHAPTERS[0]}.html").read_text()
                for s in ("ada", "bob", "cy")}
    assert HINT in html.unescape(feedback["cy"])
    assert HINT not in html.unescape(feedback["ada"])
    assert "not written yet" in html.unescape(feedback["bob"])
    assert "✓ check_rnn_forward" in html.unescape(feedback["cy"])


# -- without nbgrader: the results table ----------------------------------------------------------

def test_results_runs_a_folder_and_tabulates_each_check(tmp_path, capsys):
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    kernel = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    right = "import numpy as np\ndef my_tanh_derivative(a):\n    return 1 - np.tanh(a) ** 2"
    wrong = "import numpy as np\ndef my_tanh_derivative(a):\n    return 1 - a ** 2"
    check = ("from lamassu_course.classroom.exercises import check_tanh_derivative\n"
             "passed = check_tanh_derivative(my_tanh_derivative)")
    written = {"ada": "Because h is stored.", "bob": WRITTEN_ANSWER}    # cy has no answer cell
    for student, answer in (("ada", right), ("bob", wrong), ("cy", "1 / 0")):
        (tmp_path / "subs" / student).mkdir(parents=True)
        cells = [new_code_cell(answer), new_code_cell(check)]
        if student in written:
            cells.append(new_markdown_cell(written[student], metadata={"tags": [ANSWER_TAG]}))
        nbformat.write(new_notebook(cells=cells, metadata=kernel), tmp_path / "subs" / student / "ch1.ipynb")
    assert main(["results", str(tmp_path / "subs"), "--csv", str(tmp_path / "r.csv")]) == 0
    out = capsys.readouterr().out
    assert "ada/ch1.ipynb: 1 of 1 checks pass\n    ✓ check_tanh_derivative: correct on 4 cases" in out
    assert "bob/ch1.ipynb: 0 of 1 checks pass\n    ✗ check_tanh_derivative: 1 - a**2 uses a" in out
    assert "correct on 4 cases\n    written answers: 1 of 1 filled in (no check reads them)\n" in out
    assert "written answers: 0 of 1 filled in" in out and out.count("written answers") == 2
    assert ("cy/ch1.ipynb: 0 of 1 checks pass\n    ✗ check_tanh_derivative: did not run: the cell "
            "raised NameError: name 'my_tanh_derivative' is not defined") in out
    with (tmp_path / "r.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["notebook"], r["passed"]) for r in rows] == [
        ("ada/ch1.ipynb", "✓"), ("bob/ch1.ipynb", "✗"), ("cy/ch1.ipynb", "✗")]
