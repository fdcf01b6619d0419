"""Build the PDF edition: the whole book in one file, to read offline or print.

    jupyter-book build .          # the website first
    python .ci/build_pdf.py       # then _build/html/rnn-from-scratch.pdf

Two steps, with nothing the website build does not already use:

1. Sphinx's single-page HTML build of the book (`jupyter-book build . --builder singlehtml`),
   in _build/pdf/. It executes no notebook: it runs with `_config.yml` and
   `execute_notebooks: "off"`, so it shows the outputs committed with each notebook, which
   nbval checks against a fresh run (CI runs nbval before it builds the website). Only the
   wall-clock timings, which nbval skips, can differ from the website's.
2. Debian's chromium, driven by Playwright as in the website test (no browser is downloaded),
   opens that page on 127.0.0.1 with every outside request blocked, in the light theme, waits
   until MathJax has typeset every equation and every image has loaded, and prints it with
   .ci/print.css: A4, page numbers, each page of the website on a new page, code wrapped.

The PDF lands inside the built website, at a fixed path (`PDF_NAME`) that book/intro.md
links to: build the website, then the PDF, then run the website test, which checks that
link (`tests/site/test_pdf.py` checks the PDF itself).

This file is also the small Sphinx extension the single-page build loads (`setup` below).
"""
import argparse
import http.server
import shutil
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PDF_NAME = "rnn-from-scratch.pdf"       # at the site's root; book/intro.md links to it
PRINT_CSS = Path(__file__).with_name("print.css")
MARGIN = {"top": "16mm", "bottom": "18mm", "left": "17mm", "right": "17mm"}
FOOTER = ('<div style="width: 100%; font-size: 9px; color: #555; text-align: center;">'
          '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')


# -- 1. the single-page HTML ------------------------------------------------------------------

def setup(app):
    """Sphinx extension: give the single-page builder the HTML builder's node handlers.

    Sphinx looks a node's HTML handlers up under the builder's name ("singlehtml") and falls
    back to the format ("html") only when no extension registered any for that name.
    sphinx-exercise registers some, so myst-nb's (hidden code cells) would be lost.
    """
    def merge(app):
        handlers = app.registry.translation_handlers
        handlers["singlehtml"] = {**handlers.get("html", {}), **handlers.get("singlehtml", {})}

    app.connect("builder-inited", merge)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def toc_files():
    """The root document and every file of `_toc.yml`, without suffix (book/intro, ...)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries:
            files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return files


def single_page_config(workdir):
    """`_config.yml` with notebook execution off and this file loaded as an extension."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    config.setdefault("sphinx", {}).setdefault("local_extensions", {})[Path(__file__).stem] = (
        str(Path(__file__).parent))
    path = workdir / "_config.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def build_single_page(workdir):
    """Build the book as one HTML page in `workdir`; return the directory that holds it as
    index.html."""
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    subprocess.run(["jupyter-book", "build", str(ROOT), "--builder", "singlehtml",
                    "--config", str(single_page_config(workdir)), "--path-output", str(workdir),
                    "-W", "-n", "--keep-going", "-q"], check=True, cwd=ROOT)
    html = workdir / "_build" / "singlehtml"
    # The page is written as the root document (book/intro.html), but its links to _static/
    # and _images/ are relative to the build's root: put it there, as index.html.
    shutil.copyfile(html / f"{toc_files()[0]}.html", html / "index.html")
    return html


# -- 2. printed by Chromium -------------------------------------------------------------------

# Links in the page: to the page itself (a citation, a chapter) become links inside the PDF;
# to anything else on 127.0.0.1 (a download, the PDF itself) they would be dead in a file,
# so they become plain text. Links to the web stay.
LINKS_JS = """() => {
  for (const a of document.querySelectorAll("a[href]")) {
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin) continue;
    if (url.pathname === location.pathname || url.pathname.endsWith("/" + ROOT_DOC)) {
      a.setAttribute("href", url.hash || "#");
    } else {
      a.removeAttribute("href");
    }
  }
}"""

READY_JS = """async () => {
  if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  await document.fonts.ready;
  await Promise.all(Array.from(document.images).map(img => img.complete ? null :
      new Promise(done => { img.onload = img.onerror = done; })));
  const bad = Array.from(document.images).filter(img => !img.naturalWidth).map(img => img.src);
  const math = document.querySelectorAll(".math").length;
  const typeset = document.querySelectorAll(".math mjx-container").length;
  return {bad: bad.map(src => src.slice(0, 100)), math: math, typeset: typeset,
          errors: document.querySelectorAll("mjx-merror").length};
}"""


# A display equation wider than the column (two equations side by side, say) is scaled down
# to fit: MathJax 3 does not break lines, and the page cannot scroll. Run at the column's width.
FIT_MATH_JS = """() => {
  const fitted = [];
  for (const box of document.querySelectorAll('mjx-container[display="true"]')) {
    const math = box.querySelector("mjx-math");
    const need = math ? math.getBoundingClientRect().width : 0;
    const have = box.parentElement.clientWidth;       // div.math, which clips what sticks out
    if (need > have) {
      const size = parseFloat(getComputedStyle(box).fontSize);
      box.style.fontSize = (size * have / need * 0.98) + "px";
      fitted.push(box.textContent.slice(0, 40));
    }
  }
  return fitted;
}"""


def column_width_px():
    """The width between the side margins of an A4 page, in CSS pixels (96 per inch)."""
    millimetres = 210 - sum(float(MARGIN[side].removesuffix("mm")) for side in ("left", "right"))
    return int(millimetres / 25.4 * 96)


def print_pdf(html, target, root_doc):
    """Print `html`/index.html to `target` with Debian's chromium; raise if it is not ready."""
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "tests" / "site"))
    from test_site import CHROMIUM, CHROMIUM_ARGS, _QuietHandler

    handler = partial(_QuietHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    outside = []

    def route(request_route):
        if request_route.request.url.startswith("http://127.0.0.1:"):
            request_route.continue_()
        else:
            outside.append(request_route.request.url)
            request_route.abort()

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            # The viewport is the printed column, so what the page measures is what prints.
            context = browser.new_context(color_scheme="light",
                                          viewport={"width": column_width_px(), "height": 1000})
            context.add_init_script("localStorage.setItem('mode', 'light'); "
                                    "localStorage.setItem('theme', 'light');")
            context.route("**/*", route)
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html",
                      wait_until="load", timeout=120_000)
            state = page.evaluate(READY_JS)
            problems = []
            if state["bad"]:
                problems.append(f"images not loaded: {state['bad']}")
            if state["typeset"] != state["math"] or state["errors"]:
                problems.append(f"MathJax typeset {state['typeset']} of {state['math']} "
                                f"math elements, {state['errors']} errors")
            if page.evaluate("document.documentElement.dataset.theme") != "light":
                problems.append("the page is not in the light theme")
            if problems:
                raise RuntimeError("; ".join(problems))
            page.evaluate(LINKS_JS.replace("ROOT_DOC", repr(f"{root_doc}.html")))
            page.add_style_tag(content=PRINT_CSS.read_text(encoding="utf-8"))
            page.emulate_media(media="print")
            state["fitted"] = page.evaluate(FIT_MATH_JS)
            target.parent.mkdir(parents=True, exist_ok=True)
            page.pdf(path=str(target), format="A4", margin=MARGIN, print_background=True,
                     display_header_footer=True, header_template="<span></span>",
                     footer_template=FOOTER)
            browser.close()
    finally:
        server.shutdown()
    if outside:
        raise RuntimeError(f"the page requested outside 127.0.0.1: {outside[:5]}")
    return state


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html",
                        help="the built website; the PDF is written to SITE/" + PDF_NAME)
    parser.add_argument("--workdir", type=Path, default=ROOT / "_build" / "pdf",
                        help="where the single-page build goes (emptied first)")
    args = parser.parse_args()
    site = args.site.resolve()
    if not (site / "index.html").is_file():
        parser.error(f"{site} is not a built website: run `jupyter-book build .` first")

    start = time.perf_counter()
    html = build_single_page(args.workdir.resolve())
    built = time.perf_counter()
    target = site / PDF_NAME
    state = print_pdf(html, target, toc_files()[0])
    printed = time.perf_counter()
    print(f"{target}: {target.stat().st_size / 1e6:.1f} MB, {state['math']} equations typeset "
          f"({len(state['fitted'])} scaled down to fit the page); "
          f"single-page build {built - start:.0f} s, printing {printed - built:.0f} s")


if __name__ == "__main__":
    main()
