"""Every chapter page offers its exercise version: Binder, Colab and a download (no browser needed).

Run with the website test: `python -m pytest tests/site --site _build/html`. Offline, it checks
each link's form (the repository, branch and interface of `_config.yml`, the path
`exercises/NAME.ipynb`), that the file exists in the repository (what Binder and Colab open),
and that the download link resolves to that same file in the built site.
"""
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def chapter_pages():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = []

    def walk(entries):
        for entry in entries:
            files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return [name for name in files if name.startswith("notebooks/")]


class Links(HTMLParser):
    """(href, text) of every link on a page."""

    def __init__(self):
        super().__init__()
        self.links, self._href, self._text = [], None, []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href, self._text = dict(attrs).get("href"), []

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join("".join(self._text).split())))
            self._href = None


@pytest.fixture(scope="module")
def site(request):
    return Path(request.config.getoption("--site")).resolve()


@pytest.mark.parametrize("page", chapter_pages())
def test_chapter_page_links_its_exercise_version(site, page):
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    slug = config["repository"]["url"].rstrip("/").removeprefix("https://github.com/")
    branch = config["repository"].get("branch", "main")
    interface = {"jupyterlab": "lab/tree", "classic": "tree"}[
        config["launch_buttons"].get("notebook_interface", "classic")]
    name = page.rsplit("/", 1)[-1]
    exercise = f"exercises/{name}.ipynb"
    assert (ROOT / exercise).is_file(), f"{exercise} is not in the repository"
    parser = Links()
    parser.feed((site / f"{page}.html").read_text(encoding="utf-8"))
    links = {text: href for href, text in parser.links}
    binder = config["launch_buttons"]["binderhub_url"].rstrip("/")
    colab = config["launch_buttons"]["colab_url"].rstrip("/")
    assert links.get("Binder (exercises)") == f"{binder}/v2/gh/{slug}/{branch}?urlpath={interface}/{exercise}"
    assert links.get("Colab (exercises)") == f"{colab}/github/{slug}/blob/{branch}/{exercise}"
    # Beside today's buttons: the chapter's own launch links are still there.
    assert links.get("Binder", "").endswith(f"{interface}/{page}.ipynb")
    assert links.get("Colab", "").endswith(f"blob/{branch}/{page}.ipynb")
    download = links.get(".ipynb (exercises)")
    assert download and not urlsplit(download).scheme, download
    target = Path(urlsplit(urljoin(f"file://{site}/{page}.html", download)).path)
    assert target == site / exercise
    assert target.read_bytes() == (ROOT / exercise).read_bytes(), "the download is stale"
    if config["launch_buttons"].get("jupyterhub_url"):
        assert re.search(rf"urlpath={interface}/[^/]+/{re.escape(exercise)}",
                         links.get("JupyterHub (exercises)", ""))
