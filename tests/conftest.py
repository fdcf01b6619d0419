"""Shared assertions for the exercise-check tests (one place for what a check must print)."""
import pytest

NOT_WRITTEN = "not written yet: replace the `raise NotImplementedError` with your code"


class CheckAsserts:
    """What every check must do: one pass line, or exactly one specific hint."""

    def __init__(self, capsys):
        self.capsys = capsys

    def passes(self, check, answer, n_cases):
        assert check(answer) is True
        out = self.capsys.readouterr().out
        assert out == f"✓ {check.__name__}: correct on {n_cases} cases\n", out

    def rejects(self, check, answer, hint):
        assert check(answer) is False
        out = self.capsys.readouterr().out
        assert out.startswith(f"✗ {check.__name__}: "), out
        assert hint in out, f"expected the hint {hint!r}; the check printed {out!r}"
        assert out.count("✗") == 1 and "✓" not in out, f"one hint, not a list: {out!r}"

    def not_written(self, check):
        def stub(*args, **kwargs):
            raise NotImplementedError("Exercise: write this function")
        assert check(stub) is False
        assert self.capsys.readouterr().out == f"✗ {check.__name__}: {NOT_WRITTEN}\n"


@pytest.fixture
def checks(capsys):
    return CheckAsserts(capsys)


# -- the website tests (tests/site): they need a built site, so they run only when asked ----

SITE_TESTS = "site"


def pytest_addoption(parser):
    parser.addoption("--site", default=None, metavar="DIR",
                     help="run tests/site against this built website (e.g. _build/html)")
    parser.addoption("--screenshots", default=None, metavar="DIR",
                     help="with --site: save a full-page screenshot of every page, light and dark")


def pytest_ignore_collect(collection_path, config):
    """`pytest` alone skips tests/site; `.ci/run` runs it after the build with --site."""
    here = collection_path.resolve()
    site_dir = (config.rootpath / "tests" / SITE_TESTS).resolve()
    if config.getoption("--site") is None and (here == site_dir or site_dir in here.parents):
        return True
    return None
