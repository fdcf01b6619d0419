"""Student copies of the chapters: the solutions become stubs, the checks stay, the prose is plain.

    lamassu-course student notebooks/ exercises/
    python -m lamassu_course.classroom.student notebooks/ exercises/     (the same)

reads every ``*.ipynb`` in the first directory (or the notebooks named) and writes a student
copy of each to the last one, executed top to bottom (``--no-execute`` skips that):

* a code cell tagged ``solution`` becomes a stub. Each top-level function keeps its ``def``
  line and its docstring, and its body becomes ``raise NotImplementedError(...)``; each
  top-level assignment becomes ``name = None  # your answer``; imports are kept; anything
  else is dropped. Its outputs are cleared, and so are those of the check after it (whose
  stored "✓ ..." would give the answer away); executing the copy makes the check print its
  "not written yet" line;
* a MyST solution in markdown (a ``{solution}`` directive, or a ``{solution-start}`` fence and
  the prose up to its ``{solution-end}``) loses its content. Where the solution has a code cell
  and a check follows it, a label says so ("**Your answer** (the check below tells you if it is
  right):", or "**Your code** ..." when the exercise also asks a written question). Where
  the exercise asks a written question, the solution's prose, its model answer, becomes one
  markdown **answer cell** in its place, tagged ``answer`` and holding only ``WRITTEN_ANSWER``
  (no check reads it; ``lamassu-course assign`` makes it a cell graded by hand). The prose of
  any other solution explains its code, and is dropped with it. Which exercises ask a written
  question is said in one place, ``grading.POINTS`` (see ``written_questions``). Cells holding
  only a ``{solution-end}`` fence are removed;
* the prose becomes plain Jupyter Markdown (``plain_markdown``): Colab and a plain JupyterLab
  render no MyST, so glued numbers are written in from the chapter's stored outputs, citations
  read "(Author, year)", and an exercise is a heading "Exercise N.k: title";
* every other cell is kept as it is.

``--check`` writes nothing and exits 1 if any copy in the destination differs from what
would be written (its cells' sources, or the stored outputs of any cell that is neither a stub
nor a check).
"""
import argparse
import ast
import copy
import hashlib
import re
import sys
from pathlib import Path

import nbformat

from .plain_markdown import (Context, document_title, glued_values, read_bibliography,
                             to_plain_markdown)

__all__ = ["make_student_notebook", "stub_solution", "split_solutions", "is_check_cell",
           "solution_parts", "written_questions", "written_answers", "chapter_context",
           "write_student_notebooks", "out_of_date", "main", "YOUR_ANSWER", "YOUR_CODE",
           "WRITTEN_ANSWER", "ANSWER_TAG"]

STUB = 'raise NotImplementedError("Exercise: write this function")'
#: The label before a solution's code when a check follows it (and the solution has no prose).
YOUR_ANSWER = "**Your answer** (the check below tells you if it is right):"
#: The same label when the solution also has prose: the written part gets its own cell.
YOUR_CODE = "**Your code** (the check below tells you if it is right):"
#: The label before a solution's code when no check follows it.
YOUR_UNCHECKED_CODE = "**Your answer**:"
#: What an answer cell (a written question's) holds in a student copy.
WRITTEN_ANSWER = "**Your written answer** (no check reads it): *write it here, in place of this line.*"
#: The tag of an answer cell.
ANSWER_TAG = "answer"
_FENCE = r"(`{3,}|~{3,}|:{3,})"
_SOLUTION_BLOCK = re.compile(rf"^[ \t]*{_FENCE}[ \t]*\{{solution\}}[ \t]*(?P<label>\S*).*?\n"
                             rf"(?P<body>.*?)^[ \t]*\1[ \t]*$", re.M | re.S)
_SOLUTION_START = re.compile(rf"^[ \t]*{_FENCE}[ \t]*\{{solution-start\}}[ \t]*(?P<label>\S*)"
                             rf"[^\n]*(?:\n[ \t]*:[\w-]+:[^\n]*)*(?:\n[ \t]*\1[ \t]*$)?", re.M)
_SOLUTION_END = re.compile(rf"^[ \t]*{_FENCE}[ \t]*\{{solution-end\}}[^\n]*(\n[ \t]*\1[ \t]*$)?", re.M)
CHECK_CALL = re.compile(r"check_\w+")


def _is_solution(cell):
    return cell.cell_type == "code" and "solution" in cell.get("metadata", {}).get("tags", [])


def is_check_cell(cell):
    """True for a code cell whose every statement calls a ``check_...`` (``passed = check_x(f)``)."""
    if cell.cell_type != "code" or _is_solution(cell) or not cell.source.strip():
        return False
    try:
        body = ast.parse(cell.source).body
    except SyntaxError:
        return False
    calls = [node.value for node in body if isinstance(node, (ast.Expr, ast.Assign))]
    return len(calls) == len(body) and all(
        isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
        and CHECK_CALL.fullmatch(call.func.id) for call in calls)


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
            blocks.extend((f"{name} = None  # your answer", True) for name in _assigned(node))
    text = ""
    for number, (block, one_line) in enumerate(blocks):
        if number:
            text += "\n" if one_line and blocks[number - 1][1] else "\n\n"
        text += block
    return text or "# your answer"


def _assigned(node):
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return [name.id for target in targets for name in ast.walk(target)
            if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Store)]


def _split_markdown(text, gate):
    """Pieces of one markdown cell: ("text", str), ("answer-start", label), ("answer", str).

    ``gate`` is the label of a solution-start block still open from an earlier cell (or None);
    returns (pieces, gate at the end of this cell).
    """
    pieces = []
    while text:
        if gate is not None:
            end = _SOLUTION_END.search(text)
            pieces.append(("answer", (text[:end.start()] if end else text).strip()))
            if end is None:
                return pieces, gate
            text, gate = text[end.end():], None
            continue
        start, block = _SOLUTION_START.search(text), _SOLUTION_BLOCK.search(text)
        first = min((m for m in (start, block) if m), key=lambda m: m.start(), default=None)
        if first is None:
            pieces.append(("text", text.strip()))
            break
        pieces.append(("text", text[:first.start()].strip()))
        pieces.append(("answer-start", first.group("label")))
        if first is block:
            pieces.append(("answer", block.group("body").strip()))
        else:
            gate = first.group("label")
        text = text[first.end():]
    return [(kind, value) for kind, value in pieces if kind == "answer-start" or value], gate


def split_solutions(nb):
    """The chapter as a list of (kind, value, label) in reading order.

    kind is "text" (a markdown cell's prose outside any solution, value a str), "answer-start"
    (where a solution begins), "answer" (solution prose), "solution" (a code cell tagged
    solution), "check" (``is_check_cell``) or "code" (any other code cell); value is the str or
    the cell; label is the exercise's label for solution pieces (None elsewhere).
    """
    pieces, gate, opened_at, label = [], None, None, None
    for number, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            was_open = gate is not None
            parts, gate = _split_markdown(cell.source, gate)
            for kind, value in parts:
                label = value if kind == "answer-start" else label
                pieces.append((kind, value, None if kind == "text" else label))
            pieces.append(("end-of-cell", None, None))
            opened_at = number if gate is not None and not was_open else opened_at
            continue
        if _is_solution(cell):
            try:
                ast.parse(cell.source)
            except SyntaxError as error:
                raise ValueError(f"cell {number} is tagged solution but is not valid Python "
                                 f"({error.msg}, line {error.lineno})") from None
            pieces.append(("solution", cell, label))
        else:
            pieces.append(("check" if is_check_cell(cell) else "code", cell, None))
    if gate is not None:
        raise ValueError(f"cell {opened_at} opens a {{solution-start}} that no {{solution-end}} closes")
    return pieces


def solution_parts(pieces):
    """For each "answer-start" of ``pieces`` (``split_solutions``), by its index: (has_code,
    has_prose, checked), whether the solution has a code cell, has prose (a written answer),
    and is followed by a check (a code cell calling a ``check_...``). A solution ends at the
    first piece that is not its own: text, another solution's start, or a code cell that is
    not tagged solution."""
    parts, start = {}, None
    for index, (kind, value, _) in enumerate(pieces):
        if kind == "answer-start":
            start = index
            parts[start] = [False, False, False]
        elif start is None or kind == "end-of-cell":
            continue
        elif kind in ("solution", "answer"):
            parts[start][kind == "answer"] = True
        else:
            parts[start][2] = (kind in ("check", "code") and parts[start][0]
                               and re.search(r"\bcheck_\w+\(", value.source) is not None)
            start = None
    return {index: tuple(value) for index, value in parts.items()}


def written_questions():
    """The labels of the exercises that ask a written question, one graded by hand.

    The list is ``grading.POINTS``: an exercise asks one when POINTS gives points to
    "<its label>-answer". It is kept there, beside the points, so that a written answer cannot
    exist without its points, and so that the student copies and ``lamassu-course assign``
    read the same list.
    """
    from .grading import WRITTEN_QUESTIONS    # grading imports this module: import it here
    return WRITTEN_QUESTIONS


def written_answers(pieces, written=None):
    """The labels of the solutions in ``pieces`` (``split_solutions``) whose prose answers a
    written question: those with prose whose label is in ``written`` (by default
    ``written_questions()``). The prose of any other solution explains its code.

    A solution with prose and no code can only answer in words: ValueError if ``written``
    does not list it.
    """
    written = written_questions() if written is None else written
    found = set()
    for index, (has_code, has_prose, _) in solution_parts(pieces).items():
        label = pieces[index][1]
        if has_prose and label in written:
            found.add(label)
        elif has_prose and not has_code:
            raise ValueError(f"the solution of {label or 'an exercise'} is prose only, an answer "
                             f"in words, but it is not a written question: give "
                             f"\"{label}-answer\" its points in grading.POINTS")
    return found


def answer_cell():
    """A written question's answer cell, as the student copies have it."""
    return nbformat.v4.new_markdown_cell(WRITTEN_ANSWER, metadata={"tags": [ANSWER_TAG]})


def _clear(cell):
    cell.outputs = []
    cell.execution_count = None


def make_student_notebook(nb, context=None, written=None):
    """A student copy of ``nb`` (the original is left unchanged); see the module docstring.

    ``context`` (a ``plain_markdown.Context``) supplies glued values, the bibliography and
    exercise numbers; without it the chapter's own glued outputs are used. ``written``: the
    labels of the exercises that ask a written question (default: ``written_questions()``).
    """
    nb = copy.deepcopy(nb)
    if context is None:
        context = Context(glue=glued_values(nb))
    cells, text, clear_next_check = [], [], False
    pieces = split_solutions(nb)
    parts, current = solution_parts(pieces), None
    answered = written_answers(pieces, written)

    def flush():
        if text:
            cells.append(nbformat.v4.new_markdown_cell(to_plain_markdown("\n\n".join(text), context)))
        text.clear()

    for index, (kind, value, _) in enumerate(pieces):
        if kind == "text":
            text.append(value)
        elif kind == "answer-start":
            current = index if value in answered else None
            has_code, _, checked = parts[index]
            if has_code:
                text.append(YOUR_UNCHECKED_CODE if not checked else YOUR_CODE
                            if value in answered else YOUR_ANSWER)
        elif kind == "answer":
            if current is not None:             # a written answer's first prose: its cell
                flush()
                cells.append(answer_cell())
                current = None
        elif kind == "end-of-cell":
            flush()
        elif kind == "solution":
            value.source = stub_solution(value.source)
            _clear(value)
            clear_next_check = True
            cells.append(value)
        elif kind in ("check", "code"):
            if kind == "check" or clear_next_check:
                _clear(value)
            clear_next_check = False
            cells.append(value)
    seen = set()
    for cell in cells:        # ids from the content, so a regenerated copy diffs cleanly
        cell.id = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:12]
        while cell.id in seen:
            cell.id = hashlib.sha1(cell.id.encode()).hexdigest()[:12]
        seen.add(cell.id)
    nb.cells = cells
    return nb


def _chapter_of(path):
    match = re.match(r"(\d+)", Path(path).stem)
    return int(match.group(1)) if match else None


def _exercise_labels(path):
    nb = nbformat.read(path, as_version=4)
    return re.findall(r"^[ \t]*(?:`{3,}|:{3,})[ \t]*\{exercise\}.*\n(?:[ \t]*:[\w-]+:.*\n)*?"
                      r"[ \t]*:label:[ \t]*(\S+)", "\n".join(c.source for c in nb.cells
                                                            if c.cell_type == "markdown"), re.M)


def _exercise_count(path):
    nb = nbformat.read(path, as_version=4)
    return sum(len(re.findall(r"^[ \t]*(?:`{3,}|:{3,})[ \t]*\{exercise\}", c.source, re.M))
               for c in nb.cells if c.cell_type == "markdown")


def _book_root(path):
    for folder in Path(path).resolve().parents:
        if (folder / "_config.yml").exists():
            return folder
    return None


def chapter_context(path, nb=None):
    """The ``Context`` for the chapter notebook at ``path``.

    Exercises are numbered as the book numbers them: "N.k", N the chapter's number (the
    leading digits of its file name) and k counting on through the chapter's sections (05a,
    05b, ... after 05). The bibliography is the book's (``bibtex_bibfiles`` in the
    ``_config.yml`` of the nearest folder above that has one).
    """
    path = Path(path)
    nb = nb if nb is not None else nbformat.read(path, as_version=4)
    siblings = sorted(path.parent.glob("*.ipynb"))
    chapter = _chapter_of(path)
    before = sum(_exercise_count(p) for p in siblings
                 if chapter is not None and _chapter_of(p) == chapter and p.name < path.name)
    numbers = iter(f"{chapter}.{before + k}" if chapter is not None else str(k)
                   for k in range(1, 1000))
    context = Context(glue=_public_glue(nb), exercise_number=lambda: next(numbers))
    context.titles = {p.stem: document_title(p) for p in siblings}
    root = _book_root(path)
    if root is not None:
        config = (root / "_config.yml").read_text(encoding="utf-8")
        listed = re.search(r"^bibtex_bibfiles:\s*\n((?:[ \t]+-[^\n]*\n?)+)", config, re.M)
        for line in (listed.group(1).splitlines() if listed else []):
            bib = root / line.strip().lstrip("-").strip().strip("'\"")
            if bib.exists():
                context.bibliography.update(read_bibliography(bib))
        for page in (root / "book").glob("*.md"):
            context.titles[f"../book/{page.stem}"] = document_title(page)
    for sibling in siblings:
        text = "\n".join(c.source for c in nbformat.read(sibling, as_version=4).cells
                         if c.cell_type == "markdown")
        for label, heading in re.findall(r"^\(([\w:.-]+)\)=[ \t]*\n+#+[ \t]+(.+)$", text, re.M):
            context.labels[label] = heading.strip()
    for number, label in enumerate(_exercise_labels(path), before + 1):
        context.labels[label] = f"Exercise {chapter}.{number}"
    return context


def _public_glue(nb):
    """The glued values, except those glued in a solution cell (prose must not give them away)."""
    public = copy.copy(nb)
    public.cells = [cell for cell in nb.cells if not _is_solution(cell)]
    return glued_values(public)


def _execute(nb, folder):
    from nbclient import NotebookClient   # only the writer executes

    NotebookClient(nb, kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"),
                   timeout=600, resources={"metadata": {"path": str(folder)}},
                   store_widget_state=False).execute()
    return nb


def _sources(paths):
    notebooks = []
    for path in map(Path, paths):
        notebooks.extend(sorted(path.glob("*.ipynb")) if path.is_dir() else [path])
    return notebooks


def build(path):
    """The student copy of the chapter at ``path``, unexecuted, and how many solutions it stubs."""
    nb = nbformat.read(path, as_version=4)
    return make_student_notebook(nb, chapter_context(path, nb)), sum(map(_is_solution, nb.cells))


def _merged_streams(outputs):
    """``outputs`` with consecutive stdout pieces joined: how a kernel splits one cell's
    printing into stream messages depends on timing, not on what was printed."""
    merged = []
    for out in outputs:
        if (out.get("output_type") == "stream" and merged
                and merged[-1].get("output_type") == "stream"
                and merged[-1].get("name") == out.get("name")):
            merged[-1] = dict(merged[-1], text="".join(merged[-1]["text"]) + "".join(out["text"]))
        else:
            merged.append(dict(out, text="".join(out["text"])) if "text" in out else out)
    return merged


def _comparable(nb):
    """What must match between a committed copy and a fresh one: sources, tags, kept outputs."""
    rows = []
    for cell in nb.cells:
        row = [cell.cell_type, cell.source, sorted(cell.get("metadata", {}).get("tags", []))]
        if cell.cell_type == "code" and not _is_solution(cell) and not is_check_cell(cell):
            tags = cell.metadata.get("tags", [])
            if "nbval-ignore-output" not in tags and "nbval-skip" not in tags:
                row.append(_merged_streams(
                    [{k: v for k, v in out.items() if k not in ("execution_count",)}
                     for out in cell.outputs if out.get("name") != "stderr"]))
        rows.append(row)
    return rows


def out_of_date(chapter, copy_path):
    """What differs between the committed student copy and a fresh one ("" if in sync).

    A fresh copy keeps the chapter's stored outputs for every cell but the stubs and checks,
    so this compares those outputs too, without executing anything.
    """
    copy_path = Path(copy_path)
    if not copy_path.exists():
        return f"{copy_path} is missing"
    fresh, _ = build(chapter)
    committed = nbformat.read(copy_path, as_version=4)
    want, have = _comparable(fresh), _comparable(committed)
    if len(want) != len(have):
        return f"{copy_path}: {len(have)} cells; the chapter makes {len(want)}"
    for index, (a, b) in enumerate(zip(want, have)):
        if a != b:
            what = ["cell type", "source", "tags", "stored outputs"][
                next(i for i in range(len(a)) if i >= len(b) or a[i] != b[i])]
            return f"{copy_path}: cell {index} differs from the chapter's ({what})"
    return ""


def write_student_notebooks(sources, dest, execute=True, log=print):
    """Write the student copy of every notebook in ``sources`` to the folder ``dest``."""
    dest = Path(dest)
    built = []
    for path in _sources(sources):
        try:  # an unreadable notebook (NotJSONError is a ValueError) or a bad solution cell
            built.append((path, *build(path)))
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None
    dest.mkdir(parents=True, exist_ok=True)
    for path, student, stubbed in built:
        if execute:
            _execute(student, dest)
        nbformat.write(student, dest / path.name)
        log(f"{path} -> {dest / path.name}: {stubbed} solution(s) stubbed"
            + (", executed" if execute else ""))
    return [dest / path.name for path, _, _ in built]


def add_arguments(parser):
    parser.add_argument("src", metavar="SRC", type=Path, nargs="+",
                        help="the chapters with solutions: a folder of notebooks, or notebooks")
    parser.add_argument("dest_dir", metavar="DEST_DIR", type=Path, help="where the copies go")
    parser.add_argument("--no-execute", action="store_true",
                        help="write the copies without running them (no outputs for stubs and checks)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a copy in DEST_DIR is out of date")


def run(args, parser):
    """The ``student`` command on parsed ``args``; bad input exits 2 through ``parser.error``."""
    sources, dest = args.src, args.dest_dir
    for src in sources:
        if not src.exists():
            parser.error(f"SRC {src} is not a directory or a notebook")
        if src.is_dir() and not sorted(src.glob("*.ipynb")):
            parser.error(f"SRC {src} holds no .ipynb notebooks")
        if src.is_dir() and dest.resolve() == src.resolve() or \
                src.is_file() and dest.resolve() == src.parent.resolve():
            parser.error(f"DEST_DIR {dest} is SRC: the copies would overwrite the solutions")
    if args.check:
        problems = [p for p in (out_of_date(path, dest / path.name) for path in _sources(sources)) if p]
        print("\n".join(problems) or "every student copy is in sync with its chapter")
        return 1 if problems else 0
    try:
        write_student_notebooks(sources, dest, execute=not args.no_execute)
    except ValueError as error:
        parser.error(str(error))
    return 0


def main(argv=None):
    """Write a student copy of every notebook in SRC to DEST_DIR; return 0 (bad input exits 2)."""
    parser = argparse.ArgumentParser(
        prog="python -m lamassu_course.classroom.student",
        description="Write student copies of the notebooks: solutions stubbed, checks kept.")
    add_arguments(parser)
    return run(parser.parse_args(argv), parser)


if __name__ == "__main__":
    sys.exit(main())
