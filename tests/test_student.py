"""Student copies: no solution survives, the checks stay, and a stub gets the "not written yet" hint."""
import ast
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from lamassu_course.classroom.student import (ANSWER_TAG, WRITTEN_ANSWER, YOUR_ANSWER, YOUR_CODE,
                                              build, main, make_student_notebook)

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SECRET = "slope = 1 - np.tanh(a) ** 2  # the distinctive line of the solution"
SOLUTION = f'''import numpy as np


def my_tanh_derivative(a):
    """d tanh(a)/da, elementwise, the same shape as a."""
    {SECRET}
    return slope


answer = 42
'''
CHECK = ("from lamassu_course.classroom.exercises import check_tanh_derivative\n"
         "check_tanh_derivative(my_tanh_derivative)")


def _stream(text):
    return new_output("stream", name="stdout", text=text)


def _synthetic_notebook():
    return new_notebook(cells=[
        new_markdown_cell("```{exercise} ex-1\nWrite `my_tanh_derivative(a)`, d tanh(a)/da.\n```"),
        new_markdown_cell("```{solution-start} ex-1\n:class: dropdown\n```"),
        new_code_cell(SOLUTION, metadata={"tags": ["solution"]}, execution_count=2,
                      outputs=[_stream("defined\n")]),
        new_markdown_cell("```{solution-end}\n```"),
        new_code_cell(CHECK, execution_count=3,
                      outputs=[_stream("✓ check_tanh_derivative: correct on 4 cases\nTrue\n")]),
        new_code_cell("print(2 + 2)", execution_count=4, outputs=[_stream("4\n")]),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


@pytest.fixture
def written(tmp_path, capsys):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    nbformat.write(_synthetic_notebook(), src / "ch1.ipynb")
    original = (src / "ch1.ipynb").read_bytes()
    assert main([str(src), str(dst), "--no-execute"]) == 0
    out = capsys.readouterr().out
    assert (src / "ch1.ipynb").read_bytes() == original    # the source is never touched
    return src, dst, out, nbformat.read(dst / "ch1.ipynb", as_version=4)


def test_solution_is_stubbed_and_checks_are_kept(written):
    src, dst, out, student = written
    assert out == f"{src / 'ch1.ipynb'} -> {dst / 'ch1.ipynb'}: 1 solution(s) stubbed\n"
    text = nbformat.writes(student)
    assert "the distinctive line" not in text and "return slope" not in text
    assert "answer = 42" not in text
    assert "solution-start" not in text and "solution-end" not in text
    sources = [cell.source for cell in student.cells]
    assert sources[1] == YOUR_ANSWER
    stub = student.cells[2]
    assert stub.source == ('import numpy as np\n\ndef my_tanh_derivative(a):\n'
                           '    """d tanh(a)/da, elementwise, the same shape as a."""\n'
                           '    raise NotImplementedError("Exercise: write this function")\n\n'
                           'answer = None  # your answer')
    assert stub.outputs == [] and stub.execution_count is None
    assert stub.metadata.tags == ["solution"]
    check, ordinary = student.cells[3], student.cells[4]
    assert check.source == CHECK and check.outputs == [] and check.execution_count is None
    assert ordinary.source == "print(2 + 2)" and ordinary.outputs[0].text == "4\n"
    assert ordinary.execution_count == 4
    assert len(student.cells) == 5                  # the solution-end cell is gone
    assert student.cells[0].source == ("### Exercise 1: ex-1\n\n"   # plain Markdown, not MyST
                                       "Write `my_tanh_derivative(a)`, d tanh(a)/da.")


def test_student_notebook_runs_and_the_check_says_not_written_yet(written):
    _, dst, _, student = written
    NotebookClient(student, kernel_name="python3", timeout=60, allow_errors=True,
                   resources={"metadata": {"path": str(dst)}}).execute()
    errors = [out for cell in student.cells if cell.cell_type == "code" for out in cell.outputs
              if out.output_type == "error"]
    assert errors == []                             # the stub's exception is caught by the check
    check_text = "".join(out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
                         for out in student.cells[3].outputs)
    assert "✗ check_tanh_derivative: not written yet: replace the `raise NotImplementedError`" in check_text
    assert "False" in check_text
    assert student.cells[4].outputs[0].text == "4\n"


def test_cli_runs_as_a_module(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "out" / "student"
    src.mkdir()
    nbformat.write(_synthetic_notebook(), src / "ch1.ipynb")
    done = subprocess.run([sys.executable, "-m", "lamassu_course.classroom.student", str(src), str(dst)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "1 solution(s) stubbed, executed" in done.stdout
    assert "the distinctive line" not in (dst / "ch1.ipynb").read_text()
    executed = nbformat.read(dst / "ch1.ipynb", as_version=4)
    assert "not written yet" in executed.cells[3].outputs[0].text       # the check, run
    assert [c.execution_count for c in executed.cells if c.cell_type == "code"] == [1, 2, 3]


@pytest.mark.parametrize("make_src, dest, message", [
    (lambda tmp: tmp / "missing", lambda tmp: tmp / "dst", "is not a directory"),
    (lambda tmp: tmp, lambda tmp: tmp / "dst", "holds no .ipynb notebooks"),
    (lambda tmp: tmp, lambda tmp: tmp / "." / "sub" / "..", "is SRC:"),
], ids=["missing-src", "empty-src", "dest-is-src"])
def test_bad_input_exits_with_code_2(tmp_path, capsys, make_src, dest, message):
    src = make_src(tmp_path)
    if message == "is SRC:":
        nbformat.write(_synthetic_notebook(), src / "ch1.ipynb")
        (tmp_path / "sub").mkdir()
    before = {p.name: p.is_dir() or p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(SystemExit) as exit_info:
        main([str(src), str(dest(tmp_path))])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert {p.name: p.is_dir() or p.read_bytes() for p in tmp_path.iterdir()} == before  # nothing written


def test_solution_directive_and_gated_prose_are_hidden():
    nb = new_notebook(cells=[
        new_markdown_cell("Before.\n\n````{solution} ex-2\nThe answer is W_hh.T.\n```python\nx = 1\n"
                          "```\n````\n\nAfter."),
        new_markdown_cell(":::{solution-start} ex-3\n:::"),
        new_markdown_cell("Because the rows are the batch."),     # solution prose inside the gate
        new_markdown_cell(":::{solution-end}\n:::\n\nThe next section."),
    ])
    student = make_student_notebook(nb, written={"ex-2", "ex-3"}).cells
    # Prose-only solutions are written questions: each gets one answer cell, and no label says
    # that a check tells the student anything.
    assert [cell.source for cell in student] == ["Before.", WRITTEN_ANSWER, "After.", WRITTEN_ANSWER,
                                                 "The next section."]
    assert [cell.metadata.get("tags", []) for cell in student] == [[], [ANSWER_TAG], [], [ANSWER_TAG], []]
    assert len({cell.id for cell in student}) == 5
    assert len(nb.cells) == 4                                    # the original is not changed


def test_a_prose_only_solution_must_be_a_written_question():
    nb = new_notebook(cells=[new_markdown_cell(":::{solution-start} ex-3\n:::"),
                             new_markdown_cell("Because.\n\n:::{solution-end}\n:::")])
    with pytest.raises(ValueError, match='the solution of ex-3 is prose only, an answer in words, '
                                         'but it is not a written question: give "ex-3-answer"'):
        make_student_notebook(nb, written={"ex-2"})


def _exercise(label, code=True, prose=None, check=True):
    """The cells of one exercise: its statement, the solution (code and/or prose), its check."""
    cells = [new_markdown_cell(f"```{{exercise}} {label}\nDo it.\n```"),
             new_markdown_cell(f"```{{solution-start}} {label}\n:class: dropdown\n```")]
    if code:
        cells.append(new_code_cell(SOLUTION, metadata={"tags": ["solution"]}))
    cells.append(new_markdown_cell((f"{prose}\n\n" if prose else "") + "```{solution-end}\n```"))
    if check:
        cells.append(new_code_cell(CHECK))
    return cells


def test_a_written_question_gets_an_answer_cell_and_a_coded_one_the_check_label():
    nb = new_notebook(cells=[*_exercise("ex-code"), *_exercise("ex-both", prose="Because h is stored."),
                             *_exercise("ex-unchecked", check=False), new_code_cell("print(1)"),
                             *_exercise("ex-words", code=False, prose="Twenty steps.", check=False),
                             *_exercise("ex-explained", prose="The loop carries h.")])
    student = make_student_notebook(nb, written={"ex-both", "ex-words", "ex-elsewhere"}).cells
    kinds = [("answer" if ANSWER_TAG in c.metadata.get("tags", []) else "stub"
              if "solution" in c.metadata.get("tags", []) else "check" if c.source == CHECK
              else c.source if c.cell_type == "markdown" and "Exercise" not in c.source
              else "code" if c.cell_type == "code" else "exercise") for c in student]
    assert kinds == [
        "exercise", YOUR_ANSWER, "stub", "check",                      # code, then its check
        "exercise", YOUR_CODE, "stub", "answer", "check",              # code and a written answer
        "exercise", "**Your answer**:", "stub", "code",                # code that no check reads
        "exercise", "answer",                                          # a written answer only
        "exercise", YOUR_ANSWER, "stub", "check"]                      # prose that explains code
    text = nbformat.writes(new_notebook(cells=student))
    assert "Because h is stored" not in text and "Twenty steps" not in text
    assert "The loop carries h" not in text
    # "the check below" is said only where a check follows the stub
    for index, cell in enumerate(student):
        if "the check below" in cell.source:
            after = [c for c in student[index + 1:] if c.cell_type == "code"]
            assert "solution" in after[0].metadata.tags and after[1].source == CHECK


def test_unclosed_solution_start_is_refused():
    nb = new_notebook(cells=[new_markdown_cell("```{solution-start} ex-1\n```"), new_markdown_cell("x")])
    with pytest.raises(ValueError, match="cell 0 opens a {solution-start} that no {solution-end} closes"):
        make_student_notebook(nb)


def test_solution_cell_that_is_not_python_is_refused():
    nb = new_notebook(cells=[new_code_cell("%timeit step()", metadata={"tags": ["solution"]})])
    with pytest.raises(ValueError, match="cell 0 is tagged solution but is not valid Python"):
        make_student_notebook(nb)


def _has_solution(path):
    return any("solution" in cell.get("metadata", {}).get("tags", [])
               for cell in nbformat.read(path, as_version=4).cells)


def _is_stub(source):
    """True if every statement is an import, a stubbed def (docstring + raise) or `name = None`."""
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body
            if len(body) != 1 or not isinstance(body[0], ast.Raise):
                return False
        elif isinstance(node, ast.Assign):
            if not (isinstance(node.value, ast.Constant) and node.value.value is None):
                return False
        elif not isinstance(node, (ast.Import, ast.ImportFrom)):
            return False
    return True


@pytest.mark.parametrize("path", [p for p in sorted(NOTEBOOKS.glob("*.ipynb")) if _has_solution(p)],
                         ids=lambda p: p.name)
def test_course_notebooks_lose_their_solutions_and_keep_their_checks(path):
    from lamassu_course.classroom.student import is_check_cell

    original = nbformat.read(path, as_version=4)
    student, _ = build(path)
    checks = [c.source for c in original.cells if c.cell_type == "code" and "check_" in c.source
              and "solution" not in c.metadata.get("tags", [])]
    assert checks, "a notebook with solutions should call a check_... function"
    kept = [c.source for c in student.cells if c.cell_type == "code"]
    assert all(check in kept for check in checks)
    for cell in student.cells:
        if cell.cell_type == "markdown":
            assert "{solution" not in cell.source
        elif "solution" in cell.metadata.get("tags", []):
            assert _is_stub(cell.source), cell.source
            assert cell.outputs == []
    # Each written question has one answer cell (``test_written_questions_...`` says which);
    # "the check below" is said only before a stub that a check follows.
    from lamassu_course.classroom.student import split_solutions, written_answers

    written = len(written_answers(split_solutions(original)))
    assert sum(ANSWER_TAG in c.metadata.get("tags", []) for c in student.cells) == written
    for index, cell in enumerate(student.cells):
        if "the check below" in cell.source:
            after = [c for c in student.cells[index + 1:] if c.cell_type == "code"][:2]
            assert "solution" in after[0].metadata.get("tags", []) and is_check_cell(after[1])
    # The check after each solution shows no stored result.
    for index, cell in enumerate(student.cells):
        if "solution" in cell.get("metadata", {}).get("tags", []):
            after = [c for c in student.cells[index + 1:] if c.cell_type == "code"][:1]
            assert all(c.outputs == [] for c in after)


# -- written questions: one list, grading.POINTS ------------------------------------------------

def _answer_cells_by_exercise(cells, context):
    """The label of the exercise each answer cell of a copy belongs to (from its heading)."""
    from lamassu_course.classroom.student import ANSWER_TAG

    number_to_label = {number: label for label, number in context.labels.items()
                       if number.startswith("Exercise ")}
    found, current = [], None
    for cell in cells:
        heading = re.search(r"^#+ (Exercise \d+\.\d+):", cell.source, re.M)
        if cell.cell_type == "markdown" and heading:
            current = number_to_label[heading.group(1)]
        if ANSWER_TAG in cell.get("metadata", {}).get("tags", []):
            found.append(current)
    return found


def test_every_written_question_is_an_exercise_with_a_model_answer():
    from lamassu_course.classroom.grading import POINTS, WRITTEN_QUESTIONS
    from lamassu_course.classroom.student import _exercise_labels, solution_parts, split_solutions

    assert WRITTEN_QUESTIONS == {name.removesuffix("-answer") for name in POINTS
                                 if name.endswith("-answer")}
    assert {"ex-formulation-count", "ex-formulation-tanh", "ex-silly-rate", "ex-bptt-step",
            "ex-bptt-clip"} <= WRITTEN_QUESTIONS
    with_prose = set()
    for path in NOTEBOOKS.glob("*.ipynb"):
        pieces = split_solutions(nbformat.read(path, as_version=4))
        labels = set(_exercise_labels(path))
        for index, (_, prose, _) in solution_parts(pieces).items():
            assert pieces[index][1] in labels, f"{path.name}: a solution of no exercise"
            with_prose |= {pieces[index][1]} if prose else set()
    missing = sorted(WRITTEN_QUESTIONS - with_prose)
    assert not missing, f"written questions with no exercise, or no model answer: {missing}"


@pytest.mark.parametrize("path", [p for p in sorted(NOTEBOOKS.glob("*.ipynb")) if _has_solution(p)],
                         ids=lambda p: p.name)
def test_the_student_copy_and_assign_give_answer_cells_to_the_written_questions_only(path):
    """A solution's prose is an answer cell where the exercise asks a written question (it is
    in grading.POINTS), and nowhere else: there it explains the code."""
    from lamassu_course.classroom.grading import WRITTEN_QUESTIONS, nbgrader_notebook
    from lamassu_course.classroom.student import _exercise_labels, chapter_context

    original = nbformat.read(path, as_version=4)
    context = chapter_context(path, original)
    expected = [label for label in _exercise_labels(path) if label in WRITTEN_QUESTIONS]
    student, _ = build(path)
    assert _answer_cells_by_exercise(student.cells, context) == expected
    graded = [cell.metadata.nbgrader["grade_id"] for cell in nbgrader_notebook(original, context).cells
              if cell.cell_type == "markdown" and cell.metadata.nbgrader["grade"]]
    assert graded == [f"{label}-answer" for label in expected]


# -- the committed student copies (exercises/) ---------------------------------------------------

ROOT = NOTEBOOKS.parent
EXERCISES = ROOT / "exercises"
REGENERATE = "; regenerate them: lamassu-course student notebooks/ exercises/"


def toc_chapters():
    """Every notebook page of `_toc.yml`, as paths under notebooks/."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = []

    def walk(entries):
        for entry in entries:
            files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return [ROOT / f"{name}.ipynb" for name in files if name.startswith("notebooks/")]


CHAPTERS = toc_chapters()


def _texts(nb, cells=None, sources=True):
    """Every source line and output text or image of ``cells`` (default: all), as a set of strings."""
    found = set()
    for cell in nb.cells if cells is None else cells:
        if sources:
            found.update(line.strip() for line in cell.source.split("\n") if line.strip())
        for output in cell.get("outputs", []):
            found.update(line.strip() for line in output.get("text", "").split("\n") if line.strip())
            for mime, data in output.get("data", {}).items():
                if mime.startswith("image/"):
                    found.add(data if isinstance(data, str) else "".join(data))
                elif isinstance(data, str):
                    found.update(line.strip() for line in data.split("\n") if line.strip())
    return found


def _given_away(chapter):
    """What only the chapter's solutions and passed checks show: their lines, outputs and prose."""
    from lamassu_course.classroom.student import is_check_cell, split_solutions

    solutions = [c for c in chapter.cells if "solution" in c.metadata.get("tags", [])]
    passed = [c for c in chapter.cells if is_check_cell(c)]
    rest = [c for c in chapter.cells if c not in solutions and c not in passed and c.cell_type == "code"]
    prose = {line.strip() for kind, value, _ in split_solutions(chapter) if kind == "answer"
             for line in value.split("\n") if line.strip()}
    secret = _texts(chapter, solutions) | prose | _texts(chapter, passed, sources=False)
    return {line for line in secret - _texts(chapter, rest) if len(line) > 12 and
            not line.startswith(('"""', "def ", "import ", "from "))}


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_committed_student_copy_is_in_sync_with_its_chapter(chapter):
    from lamassu_course.classroom.student import out_of_date

    problem = out_of_date(chapter, EXERCISES / chapter.name)
    assert not problem, problem + REGENERATE


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_committed_student_copy_ran_and_gives_no_answer_away(chapter):
    from lamassu_course.classroom.plain_markdown import surviving_myst
    from lamassu_course.classroom.student import is_check_cell

    path = EXERCISES / chapter.name
    if not path.exists():
        pytest.fail(f"{path} is missing" + REGENERATE)
    student = nbformat.read(path, as_version=4)
    original = nbformat.read(chapter, as_version=4)
    # Plain Jupyter Markdown: no MyST role, directive or target survives.
    myst = [s for c in student.cells if c.cell_type == "markdown" for s in surviving_myst(c.source)]
    assert myst == [], f"{path.name}: MyST left in the prose: {myst[:5]}"
    # Executed top to bottom with nothing crashing.
    code = [c for c in student.cells if c.cell_type == "code" and "skip-execution" not in
            c.metadata.get("tags", [])]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), REGENERATE
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    # Every check ran and said "not written yet"; nothing passed.
    for cell in filter(is_check_cell, student.cells):
        printed = "".join(o.get("text", "") for o in cell.outputs)
        calls = len(re.findall(r"check_\w+\(", cell.source))
        assert len(re.findall(r"^✗ check_\w+: not written yet", printed, re.M)) == calls, printed
    # No solution line, no ✓ line, no output or prose that only a solution produces.
    shown = _texts(student)
    leaked = sorted(line for line in _given_away(original) if line in shown)
    assert leaked == [], f"{path.name} shows what only a solution does: {leaked[:3]}"
    assert not any("✓ check_" in line for line in _texts(student, sources=False))


def test_the_give_away_detector_catches_a_leak():
    chapter = nbformat.read(NOTEBOOKS / "01_formulation.ipynb", as_version=4)
    secret = _given_away(chapter)
    assert any("np.tanh(x_t @ W_hx.T + h_prev @ W_hh.T + b_h)" in line for line in secret)
    assert "a D = K = 65, H = 100 model: 23165" in secret       # Exercise 1.3's printed answer
    assert "✓ check_rnn_step: correct on 6 cases" in secret           # a passed check
    assert "Since $\\tanh'(a) = 1 - \\tanh(a)^2 = 1 - h^2$, the backward pass can use the stored state $h_t$" \
        in secret                                                     # solution prose
    assert "passed = check_rnn_step(my_rnn_step)" not in secret       # the check call stays


def test_out_of_date_names_what_changed(tmp_path):
    from lamassu_course.classroom.student import out_of_date

    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    chapter = _synthetic_notebook()
    nbformat.write(chapter, src / "ch1.ipynb")
    assert main([str(src), str(dst), "--no-execute"]) == 0
    assert out_of_date(src / "ch1.ipynb", dst / "ch1.ipynb") == ""
    chapter.cells[5].outputs[0].text = "5\n"                    # a kept output changed
    nbformat.write(chapter, src / "ch1.ipynb")
    assert out_of_date(src / "ch1.ipynb", dst / "ch1.ipynb").endswith("cell 4 differs from the "
                                                                      "chapter's (stored outputs)")
    chapter.cells[0].source += " More."                         # the prose changed
    nbformat.write(chapter, src / "ch1.ipynb")
    assert out_of_date(src / "ch1.ipynb", dst / "ch1.ipynb").endswith("(source)")
    assert main([str(src), str(dst), "--check"]) == 1
    (dst / "ch1.ipynb").unlink()
    assert out_of_date(src / "ch1.ipynb", dst / "ch1.ipynb").endswith("is missing")


def test_console_script_is_declared_and_runs(tmp_path):
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["lamassu-course"] == "lamassu_course.classroom.cli:main"
    assert project["project"]["optional-dependencies"]["teacher"] == ["nbgrader==0.9.6"]
    done = subprocess.run([sys.executable, "-m", "lamassu_course.classroom.cli", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and all(c in done.stdout for c in ("student", "assign", "results"))


def test_plain_markdown_of_myst():
    from lamassu_course.classroom.plain_markdown import Context, surviving_myst, to_plain_markdown

    bib = {"elman1990finding": (["Elman"], "1990"), "cho2014": (["Cho", "van Merriënboer", "Gulcehre"], "2014"),
           "amidi": (["Amidi", "Amidi"], "2019")}
    context = Context(glue={"n": "57", "r": "'0.25'", "x": "0.123456"}, bibliography=bib,
                      titles={"01_formulation": "The formulation"})
    text = ("(sec-a)=\n## A\n\n% a comment\nSee {cite:p}`elman1990finding,amidi` and {cite:t}`cho2014`: "
            "{glue:text}`n` parameters, rate {glue:text}`r`, {glue:text}`x:.2f`; {doc}`01_formulation`, "
            "{doc}`the notation <../book/notation>`, {ref}`below <sec-b>`, {math}`x^2`.\n\n"
            "````{exercise} A title\n:label: ex-a\n\nDo it:\n```python\nx = {1}\n```\n````\n\n"
            ":::{note}\nCareful.\n:::")
    plain = to_plain_markdown(text, context)
    assert plain == (
        "## A\n\nSee (Elman, 1990; Amidi and Amidi, 2019) and Cho et al. (2014): 57 parameters, "
        "rate 0.25, 0.12; [The formulation](01_formulation.ipynb), the notation, below, $x^2$.\n\n"
        "### Exercise 1: A title\n\nDo it:\n```python\nx = {1}\n```\n\n> **Note**\n>\n> Careful.")
    assert surviving_myst(plain) == []
    assert surviving_myst(text)                      # the detector sees MyST
    with pytest.raises(ValueError, match="names no value glued"):
        to_plain_markdown("{glue:text}`missing`", context)
    with pytest.raises(ValueError, match="not in the bibliography"):
        to_plain_markdown("{cite:p}`nobody2020`", context)


def test_the_course_bibliography_reads_as_author_year():
    from lamassu_course.classroom.plain_markdown import format_citation, read_bibliography

    bib = read_bibliography(ROOT / "book" / "references.bib")
    assert bib["hochreiter1997lstm"] == (["Hochreiter", "Schmidhuber"], "1997")   # {\"u} read
    assert bib["cho2014learning"][0][1] == "van Merriënboer"
    assert format_citation("pascanu2013difficulty", bib, textual=True) == "Pascanu et al. (2013)"


def test_exercise_links_extend_the_themes_buttons():
    from lamassu_course.classroom.exercise_links import exercise_buttons

    binder = "https://mybinder.org/v2/gh/o/r/main?urlpath=lab/tree/notebooks/01_formulation.ipynb"
    buttons = [{"label": "launch-buttons", "buttons": [
                   {"type": "link", "text": "Binder", "url": binder},
                   {"type": "javascript", "text": "Live Code"}]},
               {"label": "download-buttons", "buttons": [{"type": "link", "text": ".ipynb"}]},
               {"label": "fullscreen-button"}]
    assert exercise_buttons("notebooks/01_formulation", buttons, "../exercises/01_formulation.ipynb") == 2
    launch, download = buttons[0]["buttons"], buttons[1]["buttons"]
    assert [b["text"] for b in launch] == ["Binder", "Live Code", "Binder (exercises)"]
    assert launch[2]["url"] == binder.replace("notebooks/01_formulation", "exercises/01_formulation")
    assert launch[0]["url"] == binder                                    # today's button is kept
    assert download[1]["url"] == "../exercises/01_formulation.ipynb"


def test_stream_pieces_are_compared_as_one_text():
    """A kernel may split one cell's printing into several stream messages; that is not a
    difference between a copy and its chapter, but different text is."""
    from lamassu_course.classroom.student import _merged_streams
    one = [{"output_type": "stream", "name": "stdout", "text": "a\nb\n"}]
    two = [{"output_type": "stream", "name": "stdout", "text": ["a\n"]},
           {"output_type": "stream", "name": "stdout", "text": ["b\n"]}]
    assert _merged_streams(one) == _merged_streams(two)
    other = [{"output_type": "stream", "name": "stdout", "text": "a\nc\n"}]
    assert _merged_streams(other) != _merged_streams(two)
