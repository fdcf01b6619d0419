"""The package's ``glue`` writes exactly what myst-nb's does (it never calls myst-nb's)."""
import pytest
from IPython.core.interactiveshell import InteractiveShell

from lamassu_course.classroom import glue as glue_module

myst_nb = pytest.importorskip("myst_nb")


def _captured(function, *args, **kwargs):
    """The display calls ``function`` makes, as (data, metadata) pairs."""
    calls = []
    InteractiveShell.instance()
    real = glue_module._display

    def record(obj, raw=False, metadata=None):
        calls.append((obj, metadata))

    glue_module._display = record
    import myst_nb.ext.glue as myst_glue
    real_myst = myst_glue.ipy_display
    myst_glue.ipy_display = record
    try:
        function(*args, **kwargs)
    finally:
        glue_module._display = real
        myst_glue.ipy_display = real_myst
    return calls


@pytest.mark.parametrize("value", ["0.57", 3, 2.5e-10, [1, 2]])
@pytest.mark.parametrize("display", [True, False])
def test_fallback_writes_what_myst_nb_writes(value, display):
    ours = _captured(glue_module._glue_without_myst_nb, "x", value, display=display)
    theirs = _captured(myst_nb.glue, "x", value, display=display)
    assert ours == theirs and len(ours) == 1
    data, metadata = ours[0]
    assert metadata["scrapbook"]["name"] == "x"
    assert all(key.startswith("application/papermill.record/") for key in data) != display


@pytest.mark.parametrize("value", ["1.25", 7, 0.5, "1e-08 to 1e-03"])
def test_glue_writes_what_myst_nb_writes(value):
    ours = _captured(glue_module.glue, "loss", value, display=False)
    assert ours == _captured(myst_nb.glue, "loss", value, display=False)
    assert list(ours[0][0]) == ["application/papermill.record/text/plain"]


@pytest.mark.parametrize("name", ["", None, 3])
def test_bad_name_is_refused(name):
    with pytest.raises(ValueError, match="name"):
        glue_module.glue(name, 1)
