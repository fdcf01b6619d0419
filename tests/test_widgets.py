"""The explorers' static twins, which the website shows instead of live widgets."""
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lamassu_course import VanillaRNN  # noqa: E402
from lamassu_course.widgets import offline_jshtml, state_animation  # noqa: E402


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


def test_offline_jshtml_refuses_a_player_it_cannot_clean():
    with pytest.raises(RuntimeError, match="https://"):
        offline_jshtml('<img id="_anim_img1"><script src="https://cdn/x.js"></script>', alt="x")
    with pytest.raises(RuntimeError, match="<img"):
        offline_jshtml('<img id="other">', alt="x")
