"""Write every chapter's setup cell (its first code cell) from the settings it depends on.

    python .ci/setup_cells.py notebooks/*.ipynb           # rewrite the setup cells
    python .ci/setup_cells.py --check notebooks/*.ipynb   # exit 1 if any is out of date

On Colab the setup cell installs the course package from the repository (``repository.url``
in ``_config.yml``) at the git tag ``v<version>``, where ``<version>`` is
``lamassu_course.__version__`` (the one place the version is written; ``pyproject.toml``
reads it from there). A page built from version 0.1.0 then runs the code of 0.1.0, not
whatever ``main`` holds when the reader opens it. To release a version: set ``__version__``,
run this script on every notebook (and commit), then tag that commit ``v<version>`` and push
the tag. Until the tag is pushed, Colab's install of that version fails.

Only the setup cell's source changes: it has no output, so the committed outputs still hold
and the notebook need not be executed again. ``tests/test_notebooks.py`` fails when a
notebook's setup cell differs from what this script writes.
"""
import argparse
import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TEMPLATE = '''\
# Setup. On Google Colab, first install the course package, at the version
# this page was built from; on Binder, on your machine and on the website
# it is there.
import os
import subprocess
import sys

# One BLAS thread: faster for this course's small matrices (set it
# before NumPy loads).
os.environ.setdefault("OMP_NUM_THREADS", "1")
if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                    "lamassu-course[notebooks] @ git+"
                    "{url}"
                    "@{ref}"],
                   check=True)'''


def repository_url(root=ROOT):
    """``repository.url`` of ``_config.yml``, without a trailing slash."""
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    return config["repository"]["url"].rstrip("/")


def package_version(root=ROOT):
    """``__version__`` of ``lamassu_course/__init__.py``, read without importing the package."""
    tree = ast.parse((root / "lamassu_course" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and getattr(node.targets[0], "id", None) == "__version__"):
            return ast.literal_eval(node.value)
    raise ValueError("lamassu_course/__init__.py sets no __version__")


def release_tag(root=ROOT):
    """The git tag a page built from this working copy installs on Colab: ``v<version>``."""
    return f"v{package_version(root)}"


def setup_cell_source(root=ROOT):
    """The source every notebook's setup cell must have."""
    return TEMPLATE.format(url=repository_url(root), ref=release_tag(root))


def first_code_cell(nb):
    """The first code cell of a notebook read as JSON (a dict)."""
    return next(cell for cell in nb["cells"] if cell["cell_type"] == "code")


def _as_lines(text):
    """A source string as nbformat stores it on disk: a list of lines, each ending in "\\n"
    except the last."""
    return text.splitlines(keepends=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python .ci/setup_cells.py",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a setup cell is out of date")
    args = parser.parse_args(argv)
    source, stale = setup_cell_source(), []
    for path in args.notebooks:
        text = path.read_text(encoding="utf-8")
        nb = json.loads(text)
        cell = first_code_cell(nb)
        if not "".join(cell["source"]).startswith("# Setup."):
            parser.error(f"{path}: its first code cell is not a setup cell (# Setup. ...)")
        if "".join(cell["source"]) == source:
            continue
        stale.append(path)
        if not args.check:
            cell["source"] = _as_lines(source)
            # The layout nbformat.write uses (indent 1, non-ASCII kept), so the diff is the cell.
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n",
                            encoding="utf-8")
    verb = "out of date" if args.check else "rewritten"
    for path in stale:
        print(f"{path}: setup cell {verb} (installs {release_tag()} on Colab)")
    if not stale:
        print(f"every setup cell installs {repository_url()} @ {release_tag()} on Colab")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
