"""Show the line of the package that implements an equation, so a chapter can put the two side by side.

The line is read from the installed source when the notebook runs, so the page always shows
the code that produced its numbers.
"""
import inspect
from pathlib import Path

__all__ = ["code_line", "show_code_line"]


def code_line(func, marker):
    """The first line of ``func``'s source that contains ``marker``, stripped of indentation."""
    lines = inspect.getsource(func).splitlines()
    for line in lines:
        if marker in line:
            return line.strip()
    raise ValueError(f"no line of {func.__qualname__} contains {marker!r}")


def show_code_line(func, marker):
    """Print where ``func`` lives and its line containing ``marker``, e.g.

    lamassu_course/layers.py, in hidden_step:
        h_t = act(x_t @ W_hx.T + h_prev @ W_hh.T + b_h)
    """
    package = Path(__file__).resolve().parents[1]          # lamassu_course/
    path = Path(inspect.getsourcefile(func)).resolve().relative_to(package.parent)
    print(f"{path.as_posix()}, in {func.__qualname__}:\n    {code_line(func, marker)}")
