"""The explorers' static twins, which the website shows instead of live widgets."""
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lamassu_course import VanillaRNN  # noqa: E402
from lamassu_course.classroom.widgets import offline_jshtml, state_animation  # noqa: E402


def test_state_animation_needs_no_network_and_has_alt_text():
    """The static twin is shown on the website, which must work offline."""
    rnn = VanillaRNN(2, 3, 2, seed=0)
    xs = np.random.default_rng(0).standard_normal((3, 2))
    html = state_animation(rnn, xs)
    assert "http://" not in html and "https://" not in html, "player fetches from the network"
    assert 'class="fa ' not in html, "Font Awesome icons left in the player"
    images = re.findall(r"<img[^>]*>", html)
    assert images and all('alt="' in tag for tag in images), images
    assert html.count('aria-hidden="true"') == 9, "every player button gets a character icon"
    assert html.startswith("<figure") and "Step through" in html.split("<figcaption")[1], (
        html[:200])


def test_offline_jshtml_refuses_a_player_it_cannot_clean():
    with pytest.raises(RuntimeError, match="https://"):
        offline_jshtml('<img id="_anim_img1"><script src="https://cdn/x.js"></script>', alt="x")
    with pytest.raises(RuntimeError, match="<img"):
        offline_jshtml('<img id="other">', alt="x")


def test_state_explorer_builds_and_draws_every_step():
    """The live explorer is not executed by nbclient (see tests/test_notebooks.py), so its
    slider and drawing are exercised here."""
    import matplotlib.pyplot as plt

    from lamassu_course.classroom.widgets import state_explorer

    rnn = VanillaRNN(3, 4, 2, seed=0)
    xs = np.random.default_rng(0).standard_normal((5, 3))
    explorer = state_explorer(rnn, xs)
    slider = explorer.children[0]
    assert (slider.description, slider.min, slider.max) == ("step t", 1, 5)
    for t in range(1, 6):
        explorer.f(t=t)
    plt.close("all")


def test_trajectory_explorer_builds_and_draws():
    import matplotlib.pyplot as plt

    from lamassu_course.classroom.widgets import trajectory_explorer

    explorer = trajectory_explorer(steps=10)
    assert [child.description for child in explorer.children[:3]] == [
        "weight scale", "seed", "input"]
    explorer.f(weight_scale=2.0, seed=3, input_value=-1.0)
    plt.close("all")
