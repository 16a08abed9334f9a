"""Rendering glue between nbdev and Jupyter Book (myst-nb).

myst-nb does not understand nbdev's `#|` directives, so the book would show them as code comments and would
display cells meant for the package only. This module is registered in `_config.yml` as myst-nb's reader for
`.ipynb` (`nb_custom_formats`); at build time, without touching the source notebooks, it:

- drops `#| default_exp` cells (they only tell nbdev where to export) and remembers the module name;
- turns `#| hide` into the `remove-cell` tag (the cell still runs, it is just not shown);
- turns `#| exporti` into `hide-input` (an internal helper: collapsed, still one click away);
- turns `#| code-fold: true` into `hide-input` too (for cells whose code only draws a figure);
- turns `#| eval: false` into `skip-execution`, `#| echo: false` into `remove-input`, `#| output: false`
  into `remove-output`;
- strips every `#|` line from the code that is shown;
- puts a small label "→ mytorch/<module>.py" before each exported cell;
- labels the toggle of each exercise solution (a `#| code-fold: true` cell under "## Exercises" that calls a
  `check_*` function) "Show the solution" instead of "Show code cell source".
"""
import re

import nbformat

_DIRECTIVE = re.compile(r"^\s*#\|\s?(.*)$")
_H2 = re.compile(r"^##\s+(.*?)\s*$", re.M)
LIB = "mytorch"
SOLUTION_PROMPTS = {"code_prompt_show": "Show the solution", "code_prompt_hide": "Hide the solution"}


def split_directives(source):
    "Return (directives, code): the leading `#|` lines parsed into a dict, and the rest of the cell."
    lines = source.splitlines()
    directives, i = {}, 0
    while i < len(lines) and (_DIRECTIVE.match(lines[i]) or not lines[i].strip()):
        m = _DIRECTIVE.match(lines[i])
        if m:
            key, _, value = m.group(1).strip().partition(" ")
            directives[key.rstrip(":")] = value.strip()
        i += 1
    # directives may also appear later in a cell (nbdev allows it); strip them from what is shown as well
    rest = [ln for ln in lines[i:] if not _DIRECTIVE.match(ln)]
    return directives, "\n".join(rest).strip("\n")


def _tags(cell):
    return cell.setdefault("metadata", {}).setdefault("tags", [])


def export_label(module):
    "A markdown cell naming the module an exported cell goes to."
    path = f"{LIB}/{module.replace('.', '/')}.py"
    return nbformat.v4.new_markdown_cell(
        f'<p class="mytorch-export">&#8627; exported to <code>{path}</code></p>')


def transform(nb):
    "Apply the rules above to a notebook (in place) and return it."
    module, cells, section = None, [], None
    for cell in nb.cells:
        if cell.cell_type != "code":
            h2 = [m.group(1) for m in _H2.finditer(cell.source)] if cell.cell_type == "markdown" else []
            section = h2[-1] if h2 else section
            cells.append(cell)
            continue
        d, code = split_directives(cell.source)
        folded = d.get("code-fold", "").lower().startswith("true")
        if folded and section == "Exercises" and re.search(r"\bcheck_\w+\(", code):
            cell.setdefault("metadata", {})["mystnb"] = dict(SOLUTION_PROMPTS)   # myst-nb's per-cell setting
        if "default_exp" in d:
            module = d["default_exp"].split()[0]
            if not code.strip():
                continue
        exported = "export" in d or "exports" in d or "exporti" in d
        if exported and module:
            label = export_label(module)
            if "hide" in d:
                _tags(label).append("remove-cell")
            cells.append(label)
        if "hide" in d:
            _tags(cell).append("remove-cell")
        if "exporti" in d or folded:
            _tags(cell).append("hide-input")
        if d.get("eval", "").lower().startswith("false"):
            _tags(cell).append("skip-execution")
        if d.get("echo", "").lower().startswith("false"):
            _tags(cell).append("remove-input")
        if d.get("output", "").lower().startswith("false"):
            _tags(cell).append("remove-output")
        cell.source = code
        cells.append(cell)
    nb.cells = cells
    return nb


def read(text, **kwargs):
    "myst-nb reader: parse the notebook JSON and apply `transform` (extra keyword arguments are ignored)."
    return transform(nbformat.reads(text, as_version=4))


def _dedup_scripts(app, pagename, templatename, context, doctree):
    """Drop repeated <script> entries. sphinx-thebe 0.3.1 registers its inline config script once per read of the
    environment, so a page can get `const THEBE_JS_URL = ...` twice (once with filename None, once with ''): a
    SyntaxError in the browser console. Runs late and edits the list in place, keeping what others added."""
    seen, kept = set(), []
    for js in context.get("script_files", []):
        key = (getattr(js, "filename", js) or "", getattr(js, "attributes", {}).get("body"))
        if key not in seen:
            seen.add(key)
            kept.append(js)
    context["script_files"][:] = kept


def setup(app):
    "Loaded as a local Sphinx extension: makes this module importable during the build and fixes up pages."
    app.connect("html-page-context", _dedup_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
