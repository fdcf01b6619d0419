"""``glue``: store a computed value so the book's prose can print it, with or without myst-nb.

The chapters write ``glue("final_loss", f"{loss:.2f}")`` and the page's text says
``{glue:text}`final_loss```; the number in the sentence is then the one the notebook computed.
myst-nb's ``glue`` does this by displaying the value with a little metadata that the book
builder reads. It is a few lines of IPython, but importing it pulls in Sphinx and docutils,
which a reader on Colab or Binder does not need, and its first call imports nbformat's JSON
schema checker, which compiles 38 grammars: about 1.5 s of every chapter's run on a quiet
machine, 6 s on a busy one. So this module writes the same few lines itself, always: the
cell's output is identical to myst-nb's (``tests/test_glue.py`` compares them for every kind
of value the chapters glue), so the committed outputs hold with or without myst-nb and the
book renders every glued number as before.
"""
from IPython.core.formatters import format_display_data
from IPython.display import display

__all__ = ["glue", "GLUE_PREFIX"]

#: The MIME prefix myst-nb (and papermill's scrapbook before it) gives a hidden glued value.
GLUE_PREFIX = "application/papermill.record/"


def _glue_without_myst_nb(name, variable, display=True):
    """myst-nb 1.x's ``glue``, line for line: the value's display data, tagged with its name."""
    mimebundle, metadata = format_display_data(variable)
    mime_prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = dict(name=name, mime_prefix=mime_prefix)
    _display({mime_prefix + k: v for k, v in mimebundle.items()}, raw=True, metadata=metadata)


_display = display


def glue(name, variable, display=True):
    """Record ``variable`` under ``name`` for the page's ``{glue:...}`` roles (myst-nb's call).

    ``name`` must be a non-empty string. ``display=False`` (what the chapters use) records the
    value without showing it in the cell's output; the sentence that quotes it shows it.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name is {name!r}; expected a non-empty string naming the value")
    _glue_without_myst_nb(name, variable, display=display)
