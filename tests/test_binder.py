"""Binder's slim environment (``binder/``) runs the same versions as the authors' full one."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
#: The authors' toolchain: building the book and testing it. A reader running the notebooks
#: needs none of it, so Binder must not install it.
TOOLCHAIN = {"jupyter-book", "sphinx", "myst-nb", "myst-parser", "sphinx-book-theme",
             "sphinx-exercise", "sphinxcontrib-bibtex", "sphinx-mathjax-offline",
             "jupyter-cache", "nbval", "pytest", "playwright", "threadpoolctl", "pyyaml"}


def _normal(name):
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503: Jupyter_Lab == jupyter-lab


def requirement_lines(path):
    """The requirement lines of a requirements file, comments and blank lines removed."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def pins(path):
    """{normalised name: version} of every ``name==version`` line of a requirements file."""
    found = {}
    for line in requirement_lines(path):
        match = PIN.match(line)
        if match:
            found[_normal(match[1])] = match[2]
    return found


def test_pins_finds_names_and_versions(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text("# comment\nNumPy==2.4.6  # why\njupyterlab_myst==2.7.0\n-e .\n")
    assert pins(path) == {"numpy": "2.4.6", "jupyterlab-myst": "2.7.0"}


def test_binder_pins_equal_the_full_requirements():
    full, slim = pins(ROOT / "requirements.txt"), pins(ROOT / "binder" / "requirements.txt")
    assert slim, "binder/requirements.txt pins nothing"
    differ = {name: (version, full.get(name)) for name, version in slim.items()
              if full.get(name) != version}
    assert not differ, f"binder/requirements.txt pins (binder, root) differ: {differ}"


def test_binder_installs_every_line_pinned_and_no_authoring_tool():
    lines = requirement_lines(ROOT / "binder" / "requirements.txt")
    unpinned = [line for line in lines if not PIN.match(line) and line != "-e ."]
    assert not unpinned, f"binder/requirements.txt has unpinned lines: {unpinned}"
    assert "-e ." in lines, "binder/requirements.txt does not install the course package"
    tools = TOOLCHAIN & set(pins(ROOT / "binder" / "requirements.txt"))
    assert not tools, f"binder/requirements.txt installs the authors' toolchain: {tools}"


def test_binder_runs_the_python_of_the_full_requirements():
    runtime = (ROOT / "binder" / "runtime.txt").read_text(encoding="utf-8").strip()
    assert runtime == "python-3.11", runtime
    assert "Python 3.11" in (ROOT / "requirements.txt").read_text(encoding="utf-8")
    assert not (ROOT / "runtime.txt").exists(), "runtime.txt belongs in binder/ (Binder reads only that)"
