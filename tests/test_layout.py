"""The package's three rooms, and the direction of imports between them.

The network (the top level of ``lamassu_course``) imports only NumPy, tqdm, the standard
library and itself; the experiments import the network, never the classroom; the classroom
may import both. Every import is read from the source (``ast``), so a function-level import
counts too.
"""
import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lamassu_course"
ROOMS = ("experiments", "classroom")


def module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room(name):
    """'network', 'experiments' or 'classroom' for a module under lamassu_course."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ROOMS else "network"


def imports_of(path, source=None):
    """Every absolute module name that ``path`` (or ``source``, read as if at ``path``) imports."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source or path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found.add(target)
            # `from . import x` and `from .room import module` import submodules too
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                if (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").exists() or \
                        (PACKAGE.parent / candidate.replace(".", "/")).is_dir():
                    found.add(candidate)
    return name, found


MODULES = sorted(PACKAGE.rglob("*.py"))
ALLOWED_OUTSIDE = {"network": {"numpy", "tqdm"}}


def test_every_module_is_in_a_room():
    names = {module_name(path) for path in MODULES}
    rooms = {room(name) for name in names}
    assert rooms == {"network", "experiments", "classroom"}
    assert "lamassu_course.experiments.memory" in names
    assert "lamassu_course.classroom.exercises" in names
    assert "lamassu_course.rnn" in names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_imports_run_one_way(path):
    check_direction(path)


def check_direction(path, source=None):
    name, targets = imports_of(path, source)
    here = room(name)
    for target in targets:
        top = target.split(".")[0]
        if top == "lamassu_course":
            there = room(target)
            if here == "network":
                assert there == "network", f"{name} (the network) imports {target} ({there})"
            if here == "experiments":
                assert there != "classroom", f"{name} (an experiment) imports {target} (the classroom)"
        elif here == "network":
            assert top in sys.stdlib_module_names or top in ALLOWED_OUTSIDE["network"], (
                f"{name} (the network) imports {target}; it may import only NumPy, tqdm and "
                "the standard library")


@pytest.mark.parametrize("module, planted", [
    ("experiments/memory.py", "from ..classroom.plots import PALETTE"),
    ("rnn.py", "from .experiments import tasks"),
    ("rnn.py", "import matplotlib.pyplot as plt"),
])
def test_a_planted_wrong_import_is_caught(module, planted):
    """The rule above can fail: one wrong import added to a real module breaks it."""
    path = PACKAGE / module
    source = path.read_text(encoding="utf-8") + "\n" + planted + "\n"
    with pytest.raises(AssertionError):
        check_direction(path, source)


def test_old_top_level_names_still_import():
    import lamassu_course

    for public in ("VanillaRNN", "GRU", "train", "Adagrad", "one_hot", "check_gradients"):
        assert hasattr(lamassu_course, public), public
