"""The PDF edition, read back with Debian's poppler-utils (pdftotext, pdfimages, pdftoppm).

Run with the website test, after `jupyter-book build .` and `python .ci/build_pdf.py`:

    python -m pytest tests/site --site _build/html

Every page of `_toc.yml` starts a page of the PDF under its own title, no TeX is left
untypeset, every figure of the website is printed, nothing runs past the margins, pages are
numbered, and nothing is printed in the dark theme.
"""
import base64
import io
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / ".ci"))
from build_pdf import MARGIN, PDF_NAME, toc_files  # noqa: E402

POINTS_PER_MM = 72 / 25.4


def _run(*command):
    if shutil.which(command[0]) is None:
        pytest.fail(f"{command[0]} is missing: apt-get install poppler-utils")
    return subprocess.run(command, check=True, capture_output=True).stdout


@pytest.fixture(scope="module")
def site(request):
    return Path(request.config.getoption("--site")).resolve()


@pytest.fixture(scope="module")
def pdf(site):
    path = site / PDF_NAME
    assert path.is_file(), f"no {path}: build it with `python .ci/build_pdf.py` after the website"
    return path


@pytest.fixture(scope="module")
def pages(pdf):
    """The text of each page (pdftotext's reading order), without the empty last split."""
    text = _run("pdftotext", "-enc", "UTF-8", str(pdf), "-").decode("utf-8")
    return text.split("\f")[:-1]


def squeeze(text):
    """Text without any whitespace: a title may wrap, and pdftotext may break it anywhere."""
    return re.sub(r"\s+", "", text)


# -- titles -----------------------------------------------------------------------------------

def page_title(name):
    """The first `# ` heading of a page of `_toc.yml` (a notebook's first Markdown cell)."""
    if (ROOT / f"{name}.ipynb").is_file():
        cells = json.loads((ROOT / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(cell["source"]) for cell in cells
                         if cell["cell_type"] == "markdown")
    else:
        text = (ROOT / f"{name}.md").read_text(encoding="utf-8")
    return re.search(r"^# (.+)$", text, re.MULTILINE).group(1).strip()


def title_parts(title):
    """The parts of a title the PDF prints as text: math ($...$, typeset) is left out, and
    Markdown emphasis and code marks dropped."""
    return [squeeze(part.replace("*", "").replace("`", ""))
            for part in re.split(r"\$[^$]+\$", title) if part.strip()]


def test_title_parts():
    assert title_parts("Many-to-many with $T_x \\neq T_y$: an encoder–decoder") == [
        "Many-to-manywith", ":anencoder–decoder"]
    assert title_parts("Training on *Alice*") == ["TrainingonAlice"]


def test_every_page_of_the_toc_opens_a_pdf_page_under_its_title(pages):
    """Each page of `_toc.yml`, in order, starts a new PDF page whose first lines hold its
    title (a title also appears in the intro's chapter table, so "somewhere" is not enough)."""
    tops = [squeeze(" ".join([line for line in page.splitlines() if line.strip()][:3]))
            for page in pages]
    previous = -1
    for name in toc_files():
        title = page_title(name)
        found = [index for index, top in enumerate(tops)
                 if all(part in top for part in title_parts(title))]
        assert found, f"{name}: no page of the PDF starts with its title {title!r}"
        after = [index for index in found if index > previous]
        assert after, f"{name}: its title {title!r} opens page {found[0] + 1}, out of order"
        previous = after[0]


# -- math -------------------------------------------------------------------------------------

# What MathJax leaves when it cannot typeset: $$, or a TeX command such as \begin or \frac.
RAW_TEX = re.compile(r"\$\$|\\[A-Za-z]{2,}")


class _Code(HTMLParser):
    """The text of every <pre> and <code> element of a page (where TeX may stand as code:
    a Matplotlib label r"$\\eta$", a printed "\\n")."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        if tag in ("pre", "code"):
            self.depth += 1
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in ("pre", "code") and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


def site_code(site):
    text = []
    for name in toc_files():
        parser = _Code()
        parser.feed((site / f"{name}.html").read_text(encoding="utf-8"))
        text.append("".join(parser.parts))
    return squeeze("".join(text))


def raw_tex_lines(pages, code):
    """Lines of the PDF with raw TeX that are not a piece of the site's code."""
    return [(number, line.strip()[:100]) for number, page in enumerate(pages, 1)
            for line in page.splitlines()
            if RAW_TEX.search(line) and squeeze(line) not in code]


def test_raw_tex_lines_catches_prose_and_spares_code():
    code = squeeze('label=r"$\\eta$" print("a\\nb")')
    pages = ['the slope $(\\mathcal{L}(w\nlabel=r"$\\eta$"\nok $$ x', 'print("a\\nb")']
    assert raw_tex_lines(pages, code) == [(1, "the slope $(\\mathcal{L}(w"), (1, "ok $$ x")]


def test_no_raw_tex(site, pages):
    leftover = raw_tex_lines(pages, site_code(site))
    assert not leftover, f"TeX left untypeset (page, line): {leftover[:10]}"


# -- figures ----------------------------------------------------------------------------------

class _Figures(HTMLParser):
    """The figures of a page: every <img> inside its <article> (the theme's logo and the
    launch buttons' icons sit outside it)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.in_article, self.images = 0, []

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self.in_article += 1
        elif tag == "img" and self.in_article:
            self.images.append(dict(attrs))

    def handle_endtag(self, tag):
        if tag == "article" and self.in_article:
            self.in_article -= 1


def site_figures(site):
    """[(page, pixel size or None)] for every figure of every page of `_toc.yml`. The size
    is None for an image without a static source (an animation whose frames a script sets)."""
    from PIL import Image

    figures = []
    for name in toc_files():
        page = site / f"{name}.html"
        parser = _Figures()
        parser.feed(page.read_text(encoding="utf-8"))
        for image in parser.images:
            src = image.get("src")
            if not src:
                figures.append((name, None))
                continue
            if src.startswith("data:"):
                source = io.BytesIO(base64.b64decode(src.split(",", 1)[1]))
            else:
                source = page.parent / src.split("?")[0]
            with Image.open(source) as opened:
                figures.append((name, opened.size))
    return figures


def pdf_images(pdf):
    """(width, height) of every image the PDF draws (soft masks, alpha, are not images)."""
    rows = _run("pdfimages", "-list", str(pdf)).decode().splitlines()[2:]
    return [(int(row.split()[3]), int(row.split()[4])) for row in rows
            if row.split()[2] == "image"]


def test_every_figure_of_the_site_is_printed(site, pdf):
    figures, printed = site_figures(site), pdf_images(pdf)
    assert len(figures) > 10, f"found almost no figures on the site: {figures}"
    assert len(printed) == len(figures), (
        f"the site shows {len(figures)} figures, the PDF {len(printed)} images")
    missing = Counter(size for _, size in figures if size) - Counter(printed)
    assert not missing, (
        f"figures of the site not in the PDF at their pixel size: "
        f"{[(name, size) for name, size in figures if size in missing]} (the PDF prints "
        f"each notebook's committed outputs: are they those of a fresh run?)")


# -- layout -----------------------------------------------------------------------------------

def test_the_intro_links_to_the_pdf(site):
    intro = site / f"{toc_files()[0]}.html"
    hrefs = re.findall(r'<a [^>]*href="([^"]*\.pdf)"', intro.read_text(encoding="utf-8"))
    targets = [(intro.parent / href).resolve() for href in hrefs]
    assert site / PDF_NAME in targets, f"{intro.name} links to {hrefs}, not to {PDF_NAME}"


def test_no_link_points_into_the_build(pdf):
    """A link to 127.0.0.1 (where the page was printed from) is dead in a file."""
    uris = re.findall(rb"/URI\s*\(([^)]*)\)", pdf.read_bytes())
    local = [uri.decode() for uri in uris if b"127.0.0.1" in uri or b"localhost" in uri]
    assert not local, f"links into the build: {local[:5]}"


@pytest.fixture(scope="module")
def words(pdf):
    """[(page width, page height, [(x_min, y_min, x_max, y_max, word)])] for every page, in
    points from the top left corner (pdftotext -bbox)."""
    html = _run("pdftotext", "-bbox", str(pdf), "-").decode("utf-8")
    found = []
    for page in html.split("<page ")[1:]:
        width, height = (float(re.search(rf'{side}="([\d.]+)"', page).group(1))
                         for side in ("width", "height"))
        boxes = [(*map(float, box[:4]), box[4]) for box in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<',
            page)]
        found.append((width, height, boxes))
    return found


def margin(side):
    return float(MARGIN[side].removesuffix("mm")) * POINTS_PER_MM


def test_pages_are_numbered(words):
    """The bottom margin of page n holds "n / N" and nothing else; the top margin is empty."""
    wrong = []
    for number, (_, height, boxes) in enumerate(words, 1):
        top = [word for *box, word in boxes if box[3] < margin("top") - 1]
        bottom = [word for *box, word in boxes if box[1] > height - margin("bottom") + 1]
        if top or bottom != [str(number), "/", str(len(words))]:
            wrong.append((number, top, bottom))
    assert not wrong, f"pages with wrong margins (page, top, bottom): {wrong[:5]}"


def test_nothing_runs_past_the_margins(words):
    """Every word lies between the side margins: a code line too long for the page wraps
    instead of being cut at its right edge, and no table or equation sticks out."""
    outside = [(number, word[:40]) for number, (width, _, boxes) in enumerate(words, 1)
               for x_min, _, x_max, _, word in boxes
               if x_min < margin("left") - 1 or x_max > width - margin("right") + 1]
    assert not outside, f"words past the margins (page, word): {outside[:10]}"


def test_no_page_is_dark(pdf, tmp_path):
    """The PDF is printed in the light theme: every page is mostly white."""
    from PIL import Image, ImageStat

    _run("pdftoppm", "-r", "10", "-gray", str(pdf), str(tmp_path / "page"))
    dark = []
    for file in sorted(tmp_path.glob("page-*.pgm")):
        with Image.open(file) as image:
            if ImageStat.Stat(image).median[0] < 230:
                dark.append(file.stem)
    assert not dark, f"dark pages: {dark[:10]}"
