"""A Sphinx extension: every chapter page links its exercise version beside the theme's buttons.

Listed in ``_config.yml`` (``sphinx: extra_extensions``). For a page ``notebooks/NAME`` whose
student copy ``exercises/NAME.ipynb`` exists (``lamassu-course student``), it adds

* to the rocket (launch) menu, one "... (exercises)" entry per launch button the theme made
  (Binder, Colab, and JupyterHub when ``launch_buttons.jupyterhub_url`` is set): the theme's
  own URL with the chapter's path ``notebooks/NAME.ipynb`` replaced by ``exercises/NAME.ipynb``,
  so every setting the theme reads (repository, branch, interface) applies to both;
* to the download menu, ".ipynb (exercises)", a link to ``exercises/NAME.ipynb`` in the built
  site, which this extension copies there when the build finishes.

A chapter page without a student copy gets a warning (the book build treats it as an error).
Nothing here imports Sphinx: the extension only connects to its events.
"""
import shutil
from pathlib import Path

__all__ = ["setup", "exercise_buttons", "FOLDER"]

FOLDER = "exercises"
CHAPTERS = "notebooks"


def exercise_buttons(pagename, header_buttons, download_url):
    """Add the exercise entries to the theme's ``header_buttons`` (in place); return how many."""
    name = pagename.rsplit("/", 1)[-1]
    chapter_path, exercise_path = f"{pagename}.ipynb", f"{FOLDER}/{name}.ipynb"
    added = 0
    for group in header_buttons:
        if group.get("label") == "launch-buttons":
            extra = [dict(button, text=f"{button['text']} (exercises)",
                          tooltip=f"{button.get('tooltip', button['text'])}: the exercise version",
                          url=button["url"].replace(chapter_path, exercise_path))
                     for button in group["buttons"]
                     if button.get("type") == "link" and chapter_path in button.get("url", "")]
            group["buttons"].extend(extra)
            added += len(extra)
        elif group.get("label") == "download-buttons":
            group["buttons"].append({"type": "link", "text": ".ipynb (exercises)",
                                     "tooltip": "Download the exercise version",
                                     "icon": "fas fa-pencil", "url": download_url,
                                     "label": "download-exercises-button"})
            added += 1
    return added


def _page_context(app, pagename, templatename, context, doctree):
    if not pagename.startswith(f"{CHAPTERS}/") or "header_buttons" not in context:
        return
    name = pagename.rsplit("/", 1)[-1]
    if not (Path(app.srcdir) / FOLDER / f"{name}.ipynb").exists():
        from sphinx.util import logging

        logging.getLogger(__name__).warning(
            f"{pagename}: no student copy {FOLDER}/{name}.ipynb "
            f"(run: lamassu-course student {CHAPTERS}/ {FOLDER}/)")
        return
    download = context["pathto"](f"{FOLDER}/{name}.ipynb", 1)
    exercise_buttons(pagename, context["header_buttons"], download)


def _copy_notebooks(app, exception):
    source = Path(app.srcdir) / FOLDER
    if exception is None and app.builder.format == "html" and source.is_dir():
        target = Path(app.outdir) / FOLDER
        target.mkdir(parents=True, exist_ok=True)
        for notebook in source.glob("*.ipynb"):
            shutil.copy2(notebook, target / notebook.name)


def setup(app):
    # After the theme's own buttons (sphinx-book-theme adds them at priority 501).
    app.connect("html-page-context", _page_context, priority=600)
    app.connect("build-finished", _copy_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
