"""Student copies of the chapters: the solutions become stubs, the checks stay.

    python -m lamassu_course.classroom.student notebooks/ student/

reads every ``*.ipynb`` in the first directory and writes a student copy of it to the second:

* a code cell tagged ``solution`` becomes a stub. Each top-level function keeps its ``def``
  line and its docstring, and its body becomes ``raise NotImplementedError(...)``; each
  top-level assignment becomes ``name = None  # your answer``; imports are kept; anything
  else is dropped. Its outputs are cleared, and so are those of the next code cell (the
  check, whose stored "✅ ..." would give the answer away);
* a MyST solution in markdown (a ``{solution}`` directive, or a ``{solution-start}`` fence and
  the prose up to its ``{solution-end}``) becomes "**Your answer** ..."; cells holding only a
  ``{solution-end}`` fence are removed;
* every other cell is kept as it is.
"""
import argparse
import ast
import copy
import re
import sys
from pathlib import Path

import nbformat

__all__ = ["make_student_notebook", "stub_solution", "main"]

STUB = 'raise NotImplementedError("Exercise: write this function")'
YOUR_ANSWER = "**Your answer** (the check below tells you if it is right):"
_FENCE = r"(`{3,}|~{3,}|:{3,})"
_SOLUTION_BLOCK = re.compile(rf"^[ \t]*{_FENCE}[ \t]*\{{solution\}}.*?^[ \t]*\1[ \t]*$", re.M | re.S)
_SOLUTION_START = re.compile(rf"^[ \t]*{_FENCE}[ \t]*\{{solution-start\}}", re.M)
_SOLUTION_END = re.compile(rf"^[ \t]*{_FENCE}[ \t]*\{{solution-end\}}[^\n]*(\n[ \t]*\1[ \t]*$)?", re.M)


def _is_solution(cell):
    return cell.cell_type == "code" and "solution" in cell.get("metadata", {}).get("tags", [])


def stub_solution(source):
    """The stub of a solution cell's code: signatures, docstrings, imports and answer names only."""
    blocks = []  # (text, is_one_line): one-line statements go on consecutive lines
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            blocks.append((ast.unparse(node), True))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            docstring = node.body[:1] if ast.get_docstring(node, clean=False) is not None else []
            node.body = docstring + [ast.Expr(ast.Name("STUB_PLACEHOLDER"))]
            blocks.append((ast.unparse(node).replace("STUB_PLACEHOLDER", STUB), False))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            blocks.extend((f"{name.id} = None  # your answer", True) for target in targets
                          for name in ast.walk(target)
                          if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Store))
    text = ""
    for number, (block, one_line) in enumerate(blocks):
        if number:
            text += "\n" if one_line and blocks[number - 1][1] else "\n\n"
        text += block
    return text or "# your answer"


def _clear(cell):
    cell.outputs = []
    cell.execution_count = None


def _student_markdown(text, inside):
    """Markdown with each solution replaced by YOUR_ANSWER, and whether it ends inside a
    solution-start ... solution-end block (whose prose, in the next cells, is solution too)."""
    kept = []
    while True:
        if inside:
            end = _SOLUTION_END.search(text)
            if end is None:
                return "".join(kept).strip(), True
            text, inside = text[end.end():], False
        start = _SOLUTION_START.search(text)
        if start is None:
            kept.append(_SOLUTION_BLOCK.sub(YOUR_ANSWER, text))
            return "".join(kept).strip(), False
        kept.append(_SOLUTION_BLOCK.sub(YOUR_ANSWER, text[:start.start()]) + YOUR_ANSWER)
        text, inside = text[start.end():], True


def make_student_notebook(nb):
    """A student copy of ``nb`` (the original is left unchanged); see the module docstring."""
    nb = copy.deepcopy(nb)
    cells, inside, opened_at, clear_next_code = [], False, None, False
    for number, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            was_inside = inside
            cell.source, inside = _student_markdown(cell.source, inside)
            opened_at = number if inside and not was_inside else opened_at
            if cell.source:  # a cell that held only solution (or a solution-end fence) goes
                cells.append(cell)
            continue
        if _is_solution(cell):
            try:
                cell.source = stub_solution(cell.source)
            except SyntaxError as error:
                raise ValueError(f"cell {number} is tagged solution but is not valid Python "
                                 f"({error.msg}, line {error.lineno})") from None
            _clear(cell)
            clear_next_code = True
        elif cell.cell_type == "code" and clear_next_code:
            _clear(cell)
            clear_next_code = False
        cells.append(cell)
    if inside:
        raise ValueError(f"cell {opened_at} opens a {{solution-start}} that no {{solution-end}} closes")
    nb.cells = cells
    return nb


def main(argv=None):
    """Write a student copy of every notebook in SRC_DIR to DEST_DIR; return 0 (bad input exits 2)."""
    parser = argparse.ArgumentParser(
        prog="python -m lamassu_course.classroom.student",
        description="Write student copies of the notebooks: solutions stubbed, checks kept.")
    parser.add_argument("src_dir", metavar="SRC_DIR", type=Path, help="the notebooks with solutions")
    parser.add_argument("dest_dir", metavar="DEST_DIR", type=Path, help="where the copies go")
    args = parser.parse_args(argv)
    src, dest = args.src_dir, args.dest_dir
    if not src.is_dir():
        parser.error(f"SRC_DIR {src} is not a directory")
    notebooks = sorted(src.glob("*.ipynb"))
    if not notebooks:
        parser.error(f"SRC_DIR {src} holds no .ipynb notebooks")
    if dest.resolve() == src.resolve():
        parser.error(f"DEST_DIR {dest} is SRC_DIR: the copies would overwrite the solutions")
    students = []
    for path in notebooks:
        try:  # an unreadable notebook (NotJSONError is a ValueError) or a bad solution cell
            nb = nbformat.read(path, as_version=4)
            students.append((path, make_student_notebook(nb), sum(map(_is_solution, nb.cells))))
        except ValueError as error:
            parser.error(f"{path}: {error}")
    dest.mkdir(parents=True, exist_ok=True)
    for path, student, stubbed in students:
        nbformat.write(student, dest / path.name)
        print(f"{path} -> {dest / path.name}: {stubbed} solution(s) stubbed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
