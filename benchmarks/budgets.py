"""Measure the website's budgets: clean build time, each notebook's execution time, page weight.

    python benchmarks/budgets.py                  # prints the table, writes benchmarks/budgets.md
    python benchmarks/budgets.py --update-readme  # also replaces the table in README.md

It builds the book from scratch into a temporary directory (every notebook executed, as in
CI), reads the execution time of each notebook from that build (myst-nb records it), and loads
every page of `_toc.yml` in headless Chromium with an empty cache to count the bytes a reader
downloads. Numbers depend on the machine: measure on an idle one. This is a measurement, not a
test; it exits with status 1 if a budget is exceeded.
"""
import argparse
import http.server
import os
import pickle
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The website test's pages (in _toc.yml order) and its headless Chromium set-up, reused here.
sys.path.insert(0, str(ROOT / "tests" / "site"))
from test_site import CHROMIUM, CHROMIUM_ARGS, PAGES, _QuietHandler  # noqa: E402
BUDGET_NOTEBOOK_S = 30          # a student waits on "Run all" on a 1-2 core Binder or Colab
# Chapters whose issue set a larger budget (the LSTM's memory grid; Chapter 7's three models).
BUDGET_NOTEBOOK_S_OF = {"notebooks/06a_lstm": 45, "notebooks/07_attention": 45}
# Issue 14: Chapters 1-5 (the notebooks 01 ... 05e) together within this.
BUDGET_CHAPTERS_1_5_S = 120
BUDGET_BUILD_S = 10 * 60
BUDGET_PAGE_MB = 5.0            # everything one page downloads, cold cache
START, END = "<!-- budgets:start -->", "<!-- budgets:end -->"


def clean_build(output):
    """Build the book into ``output`` and return the wall-clock seconds it took."""
    start = time.perf_counter()
    subprocess.run(["jupyter-book", "build", str(ROOT), "--path-output", str(output),
                    "-W", "-n", "--keep-going", "-q"], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def execution_seconds(build):
    """{docname: seconds} for every notebook the build executed (from myst-nb's records)."""
    with open(build / ".doctrees" / "environment.pickle", "rb") as handle:
        env = pickle.load(handle)
    return {name: data["exec_data"]["runtime"] for name, data in env.nb_metadata.items()
            if data.get("exec_data")}


def page_weights(html, docnames):
    """{docname: (own, shared, total) bytes}. Own is the HTML plus its images; total is
    everything Chromium downloads for the page with an empty cache; shared is the part of
    it every page uses (theme, scripts, fonts, MathJax, the search index), which the browser
    keeps in its cache after the first page."""
    from playwright.sync_api import sync_playwright

    handler = partial(_QuietHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    weights = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name in docnames:
            context = browser.new_context()          # a new context has an empty cache
            page = context.new_page()
            sizes = {}
            page.on("response", lambda response: sizes.__setitem__(
                response.url, _body_size(response)))
            page.goto(f"{base}{name}.html", wait_until="networkidle")
            own = sum(size for url, size in sizes.items()
                      if url.split("#")[0].endswith(f"/{name}.html") or "/_images/" in url)
            shared = sum(size for url, size in sizes.items()
                         if "/_static/" in url or url.endswith("/searchindex.js"))
            weights[name] = (own, shared, sum(sizes.values()))
            context.close()
        browser.close()
    server.shutdown()
    return weights


def _body_size(response):
    try:
        return len(response.body())
    except Exception:       # a redirect or an aborted request has no body
        return 0


def budget_of(name):
    return BUDGET_NOTEBOOK_S_OF.get(name, BUDGET_NOTEBOOK_S)


def machine():
    """The CPU's model name, its widest vector instructions, the cores, and OpenBLAS's kernel."""
    name = platform.processor() or platform.machine()
    try:
        info = Path("/proc/cpuinfo").read_text()
        name = re.search(r"model name\s*:\s*(.*)", info).group(1).strip()
        flags = re.search(r"flags\s*:\s*(.*)", info).group(1).split()
        name += ", AVX-512" if "avx512f" in flags else ", AVX2" if "avx2" in flags else ""
    except (OSError, AttributeError):
        pass
    kernel = ""
    try:
        from threadpoolctl import threadpool_info
        import numpy  # noqa: F401  (loads OpenBLAS so threadpoolctl sees it)
        kernel = next((f", OpenBLAS {pool['architecture']} kernels" for pool in threadpool_info()
                       if pool.get("internal_api") == "openblas"), "")
    except ImportError:
        pass
    return f"{name}, {os.cpu_count()} cores{kernel}"


def table(build_s, exec_s, weights):
    rows = ["| page | notebook run (s) | budget (s) | HTML + images (kB) "
            "| all it downloads, cold (kB) | of which shared (kB) |",
            "|---|---:|---:|---:|---:|---:|"]
    for name, (own, shared, total) in weights.items():
        run = "– | –"
        if name in exec_s:
            over = " **over**" if exec_s[name] > budget_of(name) else ""
            run = f"{exec_s[name]:.1f}{over} | {budget_of(name)}"
        rows.append(f"| `{name}` | {run} | {own / 1e3:,.0f} | {total / 1e3:,.0f} "
                    f"| {shared / 1e3:,.0f} |")
    early = sum(s for name, s in exec_s.items() if re.match(r"notebooks/0[1-5]", name))
    lines = [f"Clean build (`jupyter-book build`, every notebook executed): **{build_s:.0f} s**.",
             f"Sum of notebook runs: {sum(exec_s.values()):.0f} s; Chapters 1–5: {early:.0f} s "
             f"(budget {BUDGET_CHAPTERS_1_5_S} s); the slowest {max(exec_s.values()):.1f} s "
             f"(budget {BUDGET_NOTEBOOK_S} s each, {BUDGET_NOTEBOOK_S_OF['notebooks/06a_lstm']} s "
             "for 06a and 07).",
             f"Measured {time.strftime('%Y-%m-%d')} by `python benchmarks/budgets.py` on "
             f"{machine()}, Python {platform.python_version()}. \"Shared\" is what every page "
             "uses (theme, Font Awesome, MathJax, search index): the browser fetches it "
             "once and then takes it from its cache.", "", *rows]
    return "\n".join(lines)


def over_budget(build_s, exec_s, weights):
    problems = [f"build {build_s:.0f} s > {BUDGET_BUILD_S} s"] if build_s > BUDGET_BUILD_S else []
    problems += [f"{name} runs {s:.1f} s > {budget_of(name)} s"
                 for name, s in exec_s.items() if s > budget_of(name)]
    early = sum(s for name, s in exec_s.items() if re.match(r"notebooks/0[1-5]", name))
    if early > BUDGET_CHAPTERS_1_5_S:
        problems.append(f"Chapters 1-5 run {early:.0f} s > {BUDGET_CHAPTERS_1_5_S} s")
    problems += [f"{name} downloads {total / 1e6:.1f} MB > {BUDGET_PAGE_MB} MB"
                 for name, (_, _, total) in weights.items() if total > BUDGET_PAGE_MB * 1e6]
    return problems


def update_readme(text):
    readme = ROOT / "README.md"
    old = readme.read_text(encoding="utf-8")
    if START not in old or END not in old:
        sys.exit(f"README.md has no {START} ... {END} markers")
    new = re.sub(re.escape(START) + ".*?" + re.escape(END), f"{START}\n{text}\n{END}", old,
                 flags=re.DOTALL)
    readme.write_text(new, encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as output:
        build_s = clean_build(Path(output))
        build = Path(output) / "_build"
        exec_s = execution_seconds(build)
        weights = page_weights(build / "html", [page.removesuffix(".html") for page in PAGES])
    text = table(build_s, exec_s, weights)
    print(text)
    (ROOT / "benchmarks" / "budgets.md").write_text(
        "# Website budgets\n\n" + text + "\n", encoding="utf-8")
    if args.update_readme:
        update_readme(text)
    problems = over_budget(build_s, exec_s, weights)
    for problem in problems:
        print("over budget:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
