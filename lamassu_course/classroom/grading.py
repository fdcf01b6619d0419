"""An nbgrader course directory from the chapters: ``lamassu-course assign DIR``.

nbgrader (``pip install "lamassu-course[teacher]"``) grades notebooks whose cells carry
``nbgrader`` metadata. This module writes, for every chapter, ``DIR/source/<chapter>/<chapter>.ipynb``
with that metadata, and ``DIR/nbgrader_config.py``; from ``DIR`` nbgrader's own commands then
work unchanged (``generate_assignment``, ``autograde``, ``generate_feedback``, ``export``):

* a code cell tagged ``solution`` becomes an nbgrader solution cell. Its solution is wrapped in
  ``### BEGIN SOLUTION`` / ``### END SOLUTION``, so the student's version keeps each function's
  ``def`` line and docstring and gets ``raise NotImplementedError(...)`` in its body (and
  ``name = None`` for an answer that is a value), as in ``student``;
* each check call becomes an autograded test cell, ``assert check_x(my_x), ...``, worth
  ``points_for("check_x")``: the check prints its pass or its hint, and the assert makes the
  cell fail on False, so nbgrader gives 0 and the feedback shows the hint above the error;
* where the exercise asks a written question (its "<exercise label>-answer" is in ``POINTS``),
  the solution's prose, its model answer, becomes one markdown answer cell graded by hand (an
  nbgrader "manually graded answer": ``solution`` and ``grade``), worth
  ``points_for("<exercise label>-answer")``; it holds the model answer for the grader, and
  ``generate_assignment`` replaces it with the student copies' ``WRITTEN_ANSWER`` line. The
  prose of any other solution explains its code, and is left out, as in the student copies;
* every other cell is read-only (nbgrader ``locked``), with its outputs cleared; the prose is
  plain Markdown, as in the student copies.

The points of every exercise are set here, in ``POINTS`` (a check not listed is worth
``DEFAULT_POINTS``), and nowhere else. ``POINTS`` is also the one list of the written
questions (``WRITTEN_QUESTIONS``): an exercise asks one exactly when its "<label>-answer" is there.
"""
import ast
import copy
import re
from pathlib import Path

import nbformat

from .plain_markdown import glued_values, to_plain_markdown
from .student import (ANSWER_TAG, WRITTEN_ANSWER, _book_root, _sources, chapter_context,
                      split_solutions, written_answers)

__all__ = ["POINTS", "DEFAULT_POINTS", "WRITTEN_QUESTIONS", "ANSWER_SUFFIX", "points_for",
           "nbgrader_notebook", "write_course", "NBGRADER_CONFIG"]

#: Points of each autograded check (by the check's name) and of each written answer, graded by
#: hand (by its exercise's label + "-answer"). A check not listed is worth DEFAULT_POINTS; an
#: exercise whose "<label>-answer" is not listed asks no written question (its solution's prose,
#: if any, explains the code), so it gets no answer cell.
POINTS = {
    # Chapter 1
    "check_rnn_step": 2, "check_rnn_forward": 2, "check_count_parameters": 1,
    "check_output_probabilities": 2, "check_tanh_derivative": 1,
    # Chapter 2
    "check_seed_forward": 2, "check_fixed_point": 3, "check_contraction_rate": 2,
    # Chapter 3
    "check_step_backward": 3, "check_dW_hh_two_steps": 2, "check_clip_by_global_norm": 2,
    "check_truncated_dW_hh": 2, "check_choose_k": 2, "check_bptt_backward": 3,
    "check_sample_next": 2,
    # Chapter 4
    "check_decay_rate": 2, "check_vanishing_despite_large_sigma": 1, "check_transient_growth": 2,
    "check_gate": 1, "check_gru_step": 3,
    # Chapter 5
    "check_one_step_mlp": 1, "check_note_frequency": 1, "check_last_step_gradient": 1,
    "check_token_accuracy": 1, "check_decoder_inputs": 1, "check_training_run": 2,
    "check_generation_loop": 2, "check_trained_classifier": 3, "check_next_word_loss": 2,
    "check_greedy_decode": 3,
    # Chapter 6
    "check_lstm_step": 2, "check_lstm_step_backward": 3, "check_bidirectional_states": 2,
    # Chapter 7
    "check_attention_step": 2, "check_beam_step": 2, "check_free_running": 3,
    # Written answers, graded by hand in nbgrader's formgrader: one for each exercise whose
    # text asks a question in words (why, how many, which, what), and for no other
    "ex-formulation-count-answer": 1, "ex-formulation-tanh-answer": 1,
    "ex-silly-rate-answer": 1,
    "ex-bptt-step-answer": 1, "ex-bptt-clip-answer": 1, "ex-bptt-truncate-answer": 1,
    "ex-bptt-choose-k-answer": 1, "ex-bptt-loop-answer": 1, "ex-bptt-temperature-answer": 1,
}
DEFAULT_POINTS = 1
ANSWER_SUFFIX = "-answer"
#: The labels of the exercises that ask a written question: read from POINTS, the one list.
WRITTEN_QUESTIONS = frozenset(name[:-len(ANSWER_SUFFIX)] for name in POINTS
                              if name.endswith(ANSWER_SUFFIX))
SCHEMA_VERSION = 3
FAILED = "not passed: the line above says what to look at"

NBGRADER_CONFIG = f'''\
# nbgrader's configuration for this course directory, written by `lamassu-course assign`.
c = get_config()  # noqa: F821 (nbgrader defines get_config)

c.CourseDirectory.course_id = "rnn-from-scratch"
# A solution region becomes this comment; the line after the region (written by
# `lamassu-course assign`) raises NotImplementedError, which every check reports as
# "not written yet", or sets the answer to None, which the check reports the same way.
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE"}}
# A written answer (graded by hand) becomes the line the student copies show.
c.ClearSolutions.text_stub = {WRITTEN_ANSWER!r}
# A chapter trains small networks: allow a cell more than nbgrader's default 30 s.
c.Execute.timeout = 300
'''


def points_for(name):
    """Points of the autograded test cell of check ``name`` ("check_rnn_step"), or of the written
    answer ``name`` (an exercise's label + "-answer", "ex-formulation-tanh-answer")."""
    return POINTS.get(name, DEFAULT_POINTS)


def _meta(grade_id, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA_VERSION,
            "solution": solution}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _solution_source(source):
    """A solution cell's code with its solution regions marked for nbgrader (see the docstring)."""
    lines = source.split("\n")
    out, index = [], 0
    loose = []                                    # top-level lines waiting for a region

    def flush():
        if any(line.strip() for line in loose):
            out.extend(["### BEGIN SOLUTION", *loose, "### END SOLUTION"])
        elif loose:
            out.extend(loose)
        loose.clear()

    for node in ast.parse(source).body:
        start = (node.decorator_list[0].lineno if getattr(node, "decorator_list", None)
                 else node.lineno) - 1
        end = node.end_lineno
        between = lines[index:start]
        index = end
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            flush()
            out.extend(between + lines[start:end])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            flush()
            body_start = node.body[0].lineno - 1
            if ast.get_docstring(node, clean=False) is not None:
                body_start = node.body[0].end_lineno
                if len(node.body) == 1:            # only a docstring: nothing to hide
                    out.extend(between + lines[start:end])
                    continue
            indent = re.match(r"\s*", lines[node.body[-1].lineno - 1]).group(0)
            out.extend(between + lines[start:body_start])
            out.extend([f"{indent}### BEGIN SOLUTION", *lines[body_start:end],
                        f"{indent}### END SOLUTION",
                        f'{indent}raise NotImplementedError("Exercise: write this function")'])
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            flush()
            out.extend(between + [f"{name} = None  # your answer" for name in _assigned(node)])
            loose.extend(lines[start:end])
        else:
            out.extend([] if loose else between)
            loose.extend((between if loose else []) + lines[start:end])
    flush()
    out.extend(line for line in lines[index:] if line.strip())
    return "\n".join(out).strip("\n")


def _assigned(node):
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return [name.id for target in targets for name in ast.walk(target)
            if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Store)]


def _test_cells(cell):
    """One autograded test cell per check call in a check cell."""
    cells = []
    for node in ast.parse(cell.source).body:
        call = node.value
        name = call.func.id
        points = points_for(name)
        plural = "s" if points != 1 else ""
        source = (f"# Autograded: {points} point{plural} when this check passes.\n"
                  f"assert {ast.unparse(call)}, {FAILED!r}")
        cells.append((name, nbformat.v4.new_code_cell(source), points))
    return cells


def nbgrader_notebook(nb, context, written=None):
    """The nbgrader source version of chapter ``nb`` (the original is left unchanged).

    ``written``: the labels of the exercises that ask a written question (default:
    ``WRITTEN_QUESTIONS``); only their solutions' prose becomes an answer cell."""
    nb = copy.deepcopy(nb)
    pieces = split_solutions(nb)
    answered = written_answers(pieces, WRITTEN_QUESTIONS if written is None else written)
    # A written answer's model answer may quote numbers glued in its solution cell.
    answer_context = copy.copy(context)
    answer_context.glue = {**glued_values(nb), **context.glue}
    cells, buffer, buffer_kind, buffer_label, used = [], [], None, None, {}

    def grade_id(name):
        used[name] = used.get(name, 0) + 1
        return name if used[name] == 1 else f"{name}-{used[name]}"

    def flush():
        nonlocal buffer_kind
        if buffer_kind == "text" and buffer:
            text = to_plain_markdown("\n\n".join(buffer), context)
            if text:
                cells.append((nbformat.v4.new_markdown_cell(text), None))
        elif buffer_kind == "answer" and buffer and buffer_label in answered:
            name = f"{buffer_label}{ANSWER_SUFFIX}"
            cell = nbformat.v4.new_markdown_cell(
                to_plain_markdown("\n\n".join(buffer), answer_context),
                metadata={"tags": [ANSWER_TAG]})
            cells.append((cell, _meta(grade_id(name), grade=True, solution=True,
                                      points=points_for(name))))
        buffer.clear()
        buffer_kind = None

    for kind, value, label in pieces:
        if kind in ("text", "answer"):
            if buffer_kind not in (None, kind):
                flush()
            buffer_kind, buffer_label = kind, label
            buffer.append(value)
        elif kind == "end-of-cell":
            if buffer_kind == "text":      # a written answer may run over several cells
                flush()
        elif kind == "answer-start":
            flush()
        elif kind == "solution":
            flush()
            cell = nbformat.v4.new_code_cell(_solution_source(value.source),
                                             metadata=copy.deepcopy(value.metadata))
            cells.append((cell, _meta(grade_id(f"{label or 'exercise'}-code"), solution=True)))
        elif kind == "check":
            flush()
            for name, cell, points in _test_cells(value):
                cells.append((cell, _meta(grade_id(name), grade=True, locked=True, points=points)))
        else:
            flush()
            cell = nbformat.v4.new_code_cell(value.source, metadata=copy.deepcopy(value.metadata))
            cells.append((cell, None))
    flush()
    for number, (cell, meta) in enumerate(cells):
        cell.metadata.update(meta or _meta(f"cell-{number:03d}", locked=True))
        cell.id = f"cell-{number:03d}"
    nb.cells = [cell for cell, _ in cells]
    return nb


def write_course(course_dir, sources, log=print):
    """Write ``nbgrader_config.py`` and ``source/<chapter>/<chapter>.ipynb`` under ``course_dir``."""
    course_dir = Path(course_dir)
    notebooks = []
    for path in _sources(sources):
        nb = nbformat.read(path, as_version=4)
        try:
            notebooks.append((path, nbgrader_notebook(nb, chapter_context(path, nb))))
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None
    course_dir.mkdir(parents=True, exist_ok=True)
    config = course_dir / "nbgrader_config.py"
    if not config.exists():        # a teacher's own settings are kept
        config.write_text(NBGRADER_CONFIG, encoding="utf-8")
    for path, nb in notebooks:
        folder = course_dir / "source" / path.stem
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / path.name)
        graded = [c.metadata["nbgrader"] for c in nb.cells if c.metadata["nbgrader"]["grade"]]
        auto = sum(m["points"] for m in graded if not m["solution"])
        manual = sum(m["points"] for m in graded if m["solution"])
        log(f"{path} -> {folder / path.name}: {auto} autograded point(s), "
            f"{manual} written point(s) graded by hand")
    return [course_dir / "source" / p.stem / p.name for p, _ in notebooks]


def default_chapters():
    """The chapters of the course this package sits in (``notebooks/`` beside ``_config.yml``)."""
    root = _book_root(Path.cwd() / "x")
    return root / "notebooks" if root is not None and (root / "notebooks").is_dir() else None
