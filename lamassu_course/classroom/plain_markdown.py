"""MyST Markdown to plain Jupyter Markdown, for notebooks opened outside the book (Colab, a hub).

The chapters' prose is MyST: a ``{glue:text}`` role prints a number the notebook computed,
a ``{cite:p}`` role a citation, an ``{exercise}`` fence an exercise. Jupyter renders none of
that (Colab shows the raw text), so the student notebooks use this module:

* a glued value becomes its text, read from the chapter's stored outputs (``glued_values``);
* a ``{cite:p}`` role becomes "(Author, year; Author and Author, year)" and a ``{cite:t}``
  role "Author et al. (year)", from the course's BibTeX file (``read_bibliography``);
* ``{doc}`` and ``{ref}`` become their text (a notebook target links to its sibling ``.ipynb``);
  any other role becomes its text;
* an ``{exercise}`` becomes a heading "Exercise N.k: title" (``Context.exercise_number``), an
  admonition a quoted paragraph, ``{math}`` display math; any other directive its body;
* ``(label)=`` targets, ``% comments`` and ``+++`` cell breaks are dropped.

``surviving_myst(text)`` lists whatever MyST is left (the tests assert it is nothing).
"""
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Context", "to_plain_markdown", "surviving_myst", "glued_values",
           "read_bibliography", "format_citation"]

GLUE_MIME = "application/papermill.record/text/plain"
ROLE = re.compile(r"\{(?P<name>[\w:.+-]+)\}`(?P<body>[^`]*)`")
FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,}|:{3,})[ \t]*\{(?P<name>[\w:.-]+)\}"
                        r"[ \t]*(?P<argument>.*?)[ \t]*$")
TARGET = re.compile(r"^[ \t]*\([\w:.-]+\)=[ \t]*$")
OPTION = re.compile(r"^[ \t]*:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
TEXT_AND_TARGET = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
ADMONITIONS = {"note", "tip", "hint", "important", "warning", "caution", "attention", "danger",
               "error", "seealso", "admonition"}
_ACCENTS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "c": "\u0327"}


@dataclass
class Context:
    """What the conversion needs to know beyond the text itself.

    ``glue``: name -> text of each glued value; ``bibliography``: key -> (authors, year);
    ``titles``: document name (as a {doc} role names it) -> its title; ``labels``: label ->
    the text a {ref} to it shows; ``exercise_number``: a callable returning "1.1", "1.2", ...
    in order (None: exercises are numbered 1, 2, ... in each notebook).
    """
    glue: dict = field(default_factory=dict)
    bibliography: dict = field(default_factory=dict)
    titles: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)
    exercise_number: object = None
    _count: int = 0

    def next_exercise(self):
        self._count += 1
        return self.exercise_number() if self.exercise_number else str(self._count)


def glued_values(nb):
    """name -> the text a ``{glue:text}`` role shows for it, from a notebook's stored outputs."""
    values = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            data = output.get("data", {})
            text = data.get(GLUE_MIME, data.get("text/plain"))
            if name and text is not None:
                values[name] = text
    return values


def _glue_text(name, context):
    name, _, spec = name.partition(":")
    if name not in context.glue:
        raise ValueError(f"{{glue:text}}`{name}` names no value glued in the notebook's outputs")
    text = context.glue[name]
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]                  # myst-nb shows a glued str without its quotes
    return format(float(text), spec) if spec else text


def _latex_to_text(text):
    def accent(match):
        return unicodedata.normalize("NFC", match.group(2) + _ACCENTS[match.group(1)])
    text = re.sub(r"\{?\\([\"'`^~c])\{?(\w)\}?\}?", accent, text)
    return re.sub(r"[{}]", "", text).strip()


def read_bibliography(path):
    """key -> (list of surnames, year) for every entry of a BibTeX file."""
    text = Path(path).read_text(encoding="utf-8")
    entries = {}
    for match in re.finditer(r"@\w+\s*\{\s*([^,\s]+)\s*,(.*?)\n\}", text, re.S):
        key, body = match.groups()
        fields = dict((name.lower(), value) for name, value in
                      re.findall(r"(\w+)\s*=\s*\{((?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)\}", body))
        surnames = [_latex_to_text(person.split(",")[0]) if "," in person
                    else _latex_to_text(person).split()[-1]
                    for person in re.split(r"\s+and\s+", fields.get("author", key))]
        entries[key] = (surnames, _latex_to_text(fields.get("year", "n.d.")))
    return entries


def format_citation(keys, bibliography, textual=False):
    """"(Elman, 1990; Pascanu et al., 2013)", or "Elman (1990)" when ``textual``."""
    parts = []
    for key in [k.strip() for k in keys.split(",") if k.strip()]:
        if key not in bibliography:
            if bibliography:
                raise ValueError(f"citation key {key!r} is not in the bibliography")
            parts.append(key)                 # no bibliography at hand: the key itself
            continue
        surnames, year = bibliography[key]
        names = (surnames[0] if len(surnames) == 1 else " and ".join(surnames) if len(surnames) == 2
                 else f"{surnames[0]} et al.")
        parts.append(f"{names} ({year})" if textual else f"{names}, {year}")
    return "; ".join(parts) if textual else f"({'; '.join(parts)})"


def _role(match, context):
    name, body = match.group("name"), match.group("body")
    explicit = TEXT_AND_TARGET.match(body)
    text, target = (explicit.group("text"), explicit.group("target")) if explicit else (None, body)
    if name in ("glue", "glue:text", "glue:any"):
        return _glue_text(body, context)
    if name.startswith("cite"):
        return format_citation(target, context.bibliography, textual=name in ("cite:t", "cite:ts"))
    if name == "math":
        return f"${body}$"
    if name == "doc":
        title = text or context.titles.get(target, target.rsplit("/", 1)[-1])
        stem = target.rsplit("/", 1)[-1]
        return f"[{title}]({stem}.ipynb)" if "/" not in target else title
    if name in ("ref", "numref", "eq"):
        return text or context.labels.get(target, target)
    return text or target


def _roles(text, context):
    # Inline code spans (`...` not preceded by a role) are left alone.
    return ROLE.sub(lambda m: _role(m, context), text)


def _close(lines, start, fence):
    """Index of the line closing ``fence`` opened at ``start`` (or len(lines))."""
    closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
    for index in range(start + 1, len(lines)):
        if closing.match(lines[index]):
            return index
    return len(lines)


def _directive(name, argument, body_lines, context):
    options, body = {}, list(body_lines)
    while body and OPTION.match(body[0]):
        option = OPTION.match(body.pop(0))
        options[option.group("key")] = option.group("value")
    if body and body[0].strip() == "---":          # YAML options block
        end = body.index("---", 1) if "---" in body[1:] else 0
        body = body[end + 1:]
    inner = to_plain_markdown("\n".join(body), context).strip("\n")
    if name == "exercise":
        number = context.next_exercise()
        if options.get("label"):
            context.labels.setdefault(options["label"], f"Exercise {number}")
        heading = f"### Exercise {number}" + (f": {argument}" if argument else "")
        return f"{heading}\n\n{inner}"
    if name in ADMONITIONS:
        title = argument if name == "admonition" else (argument or name.capitalize())
        return "\n".join(f"> {line}".rstrip() for line in [f"**{title}**", ""] + inner.split("\n"))
    if name == "math":
        return f"$$\n{inner}\n$$"
    if name in ("code", "code-block", "code-cell", "sourcecode"):
        return f"```{argument}\n" + "\n".join(body) + "\n```"
    return inner if not argument or name.startswith(("glue", "only")) else f"**{argument}**\n\n{inner}"


def to_plain_markdown(text, context=None):
    """``text`` (MyST Markdown) as plain Jupyter Markdown; see the module docstring."""
    context = context or Context()
    lines, out, index = text.split("\n"), [], 0
    while index < len(lines):
        line = lines[index]
        opening = FENCE_OPEN.match(line)
        if opening:
            end = _close(lines, index, opening.group("fence"))
            out.append(_directive(opening.group("name"), opening.group("argument"),
                                  lines[index + 1:end], context))
            index = end + 1
            continue
        plain = re.match(r"^[ \t]*(`{3,}|~{3,})", line)
        if plain:                                   # an ordinary code fence: copy it unchanged
            end = _close(lines, index, plain.group(1))
            out.extend(lines[index:end + 1])
            index = end + 1
            continue
        if not (TARGET.match(line) or re.match(r"^%", line) or line.strip() == "+++"):
            out.append(_roles(line, context))
        index += 1
    result = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", result).strip("\n")


def surviving_myst(text):
    """The MyST roles, directives, targets and options left in ``text`` (a list of strings)."""
    found = [m.group(0) for m in ROLE.finditer(text)]
    found += [line for line in text.split("\n") if FENCE_OPEN.match(line) or TARGET.match(line)
              or re.match(r"^[ \t]*:(label|class|name|dropdown):", line)]
    return found


def document_title(path):
    """The first heading of a notebook or Markdown page (for a {doc} role without text)."""
    path = Path(path)
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    heading = re.search(r"^#+\s+(.+)$", text, re.M)
    return heading.group(1).strip() if heading else path.stem
