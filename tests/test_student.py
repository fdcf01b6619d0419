"""Student copies: no solution survives, the checks stay, and a stub gets the "not written yet" hint."""
import ast
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from lamassu_course.classroom.student import YOUR_ANSWER, main, make_student_notebook

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
    assert main([str(src), str(dst)]) == 0
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
    assert student.cells[0].source.startswith("```{exercise} ex-1")


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
    assert "1 solution(s) stubbed" in done.stdout
    assert "the distinctive line" not in (dst / "ch1.ipynb").read_text()


@pytest.mark.parametrize("make_src, dest, message", [
    (lambda tmp: tmp / "missing", lambda tmp: tmp / "dst", "is not a directory"),
    (lambda tmp: tmp, lambda tmp: tmp / "dst", "holds no .ipynb notebooks"),
    (lambda tmp: tmp, lambda tmp: tmp / "." / "sub" / "..", "is SRC_DIR"),
], ids=["missing-src", "empty-src", "dest-is-src"])
def test_bad_input_exits_with_code_2(tmp_path, capsys, make_src, dest, message):
    src = make_src(tmp_path)
    if message == "is SRC_DIR":
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
    sources = [cell.source for cell in make_student_notebook(nb).cells]
    assert sources == [f"Before.\n\n{YOUR_ANSWER}\n\nAfter.", YOUR_ANSWER, "The next section."]
    assert len(nb.cells) == 4                                    # the original is not changed


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
    original = nbformat.read(path, as_version=4)
    student = make_student_notebook(original)
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
    # The check after each solution shows no stored result.
    for index, cell in enumerate(student.cells):
        if "solution" in cell.get("metadata", {}).get("tags", []):
            after = [c for c in student.cells[index + 1:] if c.cell_type == "code"][:1]
            assert all(c.outputs == [] for c in after)
