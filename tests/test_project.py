"""Consistency of the project's own configuration: book, nbdev, package."""
import configparser
import json
import re
from pathlib import Path

import yaml

import mytorch

ROOT = Path(__file__).resolve().parent.parent


def settings():
    cfg = configparser.ConfigParser(delimiters=["="])
    cfg.read(ROOT / "settings.ini")
    return cfg["DEFAULT"]


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    out = [toc["root"]]
    def walk(entries):
        for e in entries:
            out.append(e["file"])
            walk(e.get("sections", []))
    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        walk(part["chapters"])
    return out


def test_book_repository_is_the_nbdev_repository():
    book = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert book["repository"]["url"] == settings()["git_url"]
    assert book["repository"]["branch"] == settings()["branch"]


def test_every_notebook_is_in_the_book_and_every_toc_entry_exists():
    listed = toc_files()
    for f in listed:
        assert any((ROOT / (f + ext)).exists() for ext in (".ipynb", ".md")), f"_toc.yml names a missing file: {f}"
    for nb in (ROOT / "nbs").glob("*.ipynb"):
        assert f"nbs/{nb.stem}" in listed, f"{nb.name} is not in _toc.yml, so the book would not show it"


def test_each_notebook_has_exactly_one_default_exp_and_a_title():
    for nb in sorted((ROOT / "nbs").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        exps = [c for c in cells if c["cell_type"] == "code" and re.search(r"^#\|\s*default_exp", "".join(c["source"]), re.M)]
        assert len(exps) == 1, f"{nb.name}: {len(exps)} default_exp cells"
        md = [c for c in cells if c["cell_type"] == "markdown"]
        assert md and "".join(md[0]["source"]).startswith("# "), f"{nb.name}: the first markdown cell must be '# Title'"


def test_package_version_matches_settings():
    assert mytorch.__version__ == settings()["version"]


def test_notebooks_never_import_torch():
    "PyTorch is a test oracle only: the chapters (and so the book and the package) must not need it."
    for nb in (ROOT / "nbs").glob("*.ipynb"):
        src = "\n".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code")
        assert not re.search(r"^\s*(import torch|from torch)", src, re.M), f"{nb.name} imports torch"


def test_notebooks_need_only_the_readers_packages():
    "A chapter runs with mytorch, NumPy, matplotlib (and graphviz): no dev-only tools, hidden or not."
    for nb in (ROOT / "nbs").glob("*.ipynb"):
        src = "\n".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code")
        for tool in ("fastcore", "pytest", "hypothesis", "nbdev"):
            assert not re.search(rf"^\s*(import {tool}|from {tool})", src, re.M), f"{nb.name} imports {tool}"


def test_exported_modules_depend_on_numpy_only():
    import subprocess, sys
    code = ("import sys, mytorch; bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'torch', 'matplotlib', 'graphviz', 'fastcore', 'nbdev', 'scipy', 'pandas'}); print(bad); sys.exit(bool(bad))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, f"`import mytorch` pulls in non-runtime packages: {r.stdout} {r.stderr}"


MAX_CODE_LINE = 92   # what fits the book's code column without a scroll bar (nbs/_static/mytorch.css)


def test_code_lines_fit_the_page():
    long = []
    for nb in sorted((ROOT / "nbs").glob("*.ipynb")):
        for c in json.loads(nb.read_text())["cells"]:
            if c["cell_type"] != "code":
                continue
            for line in "".join(c["source"]).splitlines():
                if len(line) > MAX_CODE_LINE and not line.lstrip().startswith("#|"):
                    long.append(f"{nb.name}: {len(line)} chars: {line[:60]}...")
    assert not long, f"{len(long)} code lines longer than {MAX_CODE_LINE} characters:\n" + "\n".join(long[:20])


# ----------------------------------------------------------------------------------------------------------------
# The book as a reader sees it: titles, order, placeholders, exercises, cell length (issue 8, items 1, 4 and 6).
# These read the notebooks' JSON, so they check the sources the lead commits, not a build.

def toc_notebooks():
    "The chapters' notebooks (nbs/<stem>) in the order of _toc.yml, without the intro page."
    return [f for f in toc_files()[1:] if (ROOT / (f + ".ipynb")).exists()]


def cells_of(nb_path):
    return json.loads(Path(nb_path).read_text(encoding="utf-8"))["cells"]


def src(cell):
    return "".join(cell["source"])


def title_of(nb_path):
    md = [c for c in cells_of(nb_path) if c["cell_type"] == "markdown"]
    first = src(md[0]).splitlines()[0] if md and src(md[0]).strip() else ""
    return first[2:].strip() if first.startswith("# ") else None


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def with_sections(cells):
    """Yield (cell, headings) for every cell: `headings` is the chain of markdown headings the cell is under
    (e.g. ['Title', 'Exercises']), as a reader of the page sees it. A markdown cell is under the headings it opens.
    Lines inside ``` fences are not headings."""
    chain = []
    for c in cells:
        if c["cell_type"] == "markdown":
            fenced = False
            for line in src(c).splitlines():
                if line.lstrip().startswith("```"):
                    fenced = not fenced
                m = None if fenced else _HEADING.match(line)
                if m:
                    level = len(m.group(1))
                    chain = chain[:level - 1] + [""] * max(0, level - 1 - len(chain)) + [m.group(2)]
        yield c, list(chain)


def directives(cell):
    "The leading `#|` lines of a code cell as {'code-fold': 'true', 'hide': '', ...} (as nbs/_ext/nbdev_book.py)."
    out = {}
    for line in src(cell).splitlines():
        m = re.match(r"^\s*#\|\s?(.*)$", line)
        if not m:
            if line.strip():
                break
            continue
        key, _, value = m.group(1).strip().partition(" ")
        out[key.rstrip(":")] = value.strip()
    return out


def folded(cell):
    return directives(cell).get("code-fold", "").lower().startswith("true")


def intro_table():
    "The rows of the intro page's chapter table: [(name, 'nbs/<stem>'), ...] in the table's order."
    rows = re.findall(r"^\|\s*\[([^\]]+)\]\(([\w.-]+)\.ipynb\)\s*\|", (ROOT / "nbs" / "index.md").read_text(), re.M)
    return [(name.strip(), f"nbs/{stem}") for name, stem in rows]


def test_intro_table_lists_the_chapters_in_the_order_of_the_book():
    listed = [stem for _, stem in intro_table()]
    assert listed == toc_notebooks(), (
        f"the table in nbs/index.md and _toc.yml disagree:\n  index.md: {listed}\n  _toc.yml: {toc_notebooks()}")


def test_page_titles_are_the_intro_tables_names():
    "The sidebar shows each page's '# Title'; the intro table names the same page: a reader must see one name."
    wrong = [f"{stem}.ipynb: '# {title_of(ROOT / (stem + '.ipynb'))}' but the intro table says '{name}'"
             for name, stem in intro_table()
             if (ROOT / (stem + ".ipynb")).exists() and title_of(ROOT / (stem + ".ipynb")) != name]
    assert not wrong, "page titles differ from nbs/index.md's table:\n" + "\n".join(wrong)


# `<repository URL>`, `<your name>`, `<path to ...>`: angle brackets around words with a space (an HTML tag has
# `=` or no space); TODO/FIXME/XXX/TBD markers; example.com/org addresses.
PLACEHOLDER = re.compile(r"<[A-Za-z][A-Za-z .]*\s[A-Za-z .]*>|\b(?:TODO|FIXME|XXX|TBD)\b|\bexample\.(?:com|org)\b")


def book_sources():
    "(name, text) of everything the book or a newcomer reads: the intro, every notebook cell, README, CONTRIBUTING."
    yield "nbs/index.md", (ROOT / "nbs" / "index.md").read_text(encoding="utf-8")
    for name in ("README.md", "CONTRIBUTING.md"):
        if (ROOT / name).exists():
            yield name, (ROOT / name).read_text(encoding="utf-8")
    for nb in sorted((ROOT / "nbs").glob("*.ipynb")):
        for c in cells_of(nb):
            yield f"{nb.name} cell {c.get('id', '?')}", src(c)


def test_placeholder_search_finds_placeholders():
    "The search below must be able to fail."
    for text in ("pip install git+<repository URL>", "by <your name>", "TODO: explain", "see https://example.com"):
        assert PLACEHOLDER.search(text), text
    for text in ('<p class="mytorch-export">', "a < b and c > d", "$0 < x < 1$", "<code>x</code>", "List<int>"):
        assert not PLACEHOLDER.search(text), text


def test_no_placeholder_text_in_the_book():
    found = [f"{name}: ...{text[max(0, m.start() - 30):m.end() + 10]!r}..."
             for name, text in book_sources() for m in PLACEHOLDER.finditer(text)]
    assert not found, "placeholder text a reader would see:\n" + "\n".join(found)


def exercises(nb_path):
    "The cells of the notebook's '## Exercises' section (up to the next '##' heading: an appendix may follow)."
    return [c for c, chain in with_sections(cells_of(nb_path)) if len(chain) >= 2 and chain[1] == "Exercises"]


def is_appendix(chain):
    return any(h.startswith("Appendix") for h in chain[1:])


def solutions(cells):
    "Exercise solutions: code cells whose first line is `#| code-fold: true` and that call a check_* function."
    return [c for c in cells if c["cell_type"] == "code" and re.match(r"#\|\s*code-fold:\s*true\b", src(c))
            and re.search(r"\bcheck_\w+\(", src(c))]


def test_every_chapter_ends_with_exercises():
    "The last '##' section of every chapter (appendices aside) is '## Exercises'."
    wrong = []
    for stem in toc_notebooks():
        sections = []
        for _, chain in with_sections(cells_of(ROOT / (stem + ".ipynb"))):
            new = len(chain) >= 2 and chain[1] and (not sections or sections[-1] != chain[1])
            if new and not is_appendix(chain[:2]):
                sections.append(chain[1])
        if not sections or sections[-1] != "Exercises":
            wrong.append(f"{stem}.ipynb ends with '## {sections[-1] if sections else '(no ## section)'}'")
    assert not wrong, "chapters that do not end with '## Exercises':\n" + "\n".join(wrong)


def test_every_exercise_check_is_called_by_a_worked_solution():
    """Each check_* the Exercises section defines is called by a solution cell (so the build proves the exercise
    solvable), and the section has at least one check and one solution."""
    wrong = []
    for stem in toc_notebooks():
        cells = exercises(ROOT / (stem + ".ipynb"))
        if not cells:
            continue                    # test_every_chapter_ends_with_exercises reports it
        defined = {n for c in cells if c["cell_type"] == "code"
                   for n in re.findall(r"^def (check_\w+)\(", src(c), re.M)}
        called = {n for c in solutions(cells) for n in re.findall(r"\b(check_\w+)\(", src(c))}
        if not defined or not solutions(cells):
            wrong.append(f"{stem}.ipynb: no self-checking exercise "
                         "(a check_* function and a folded solution calling it)")
        for name in sorted(defined - called):
            wrong.append(f"{stem}.ipynb: {name} is never called by a `#| code-fold: true` solution cell")
    assert not wrong, "\n".join(wrong)


def test_exercise_solutions_are_collapsed_in_the_notebook():
    """A solution is hidden until asked for: folded in the book (`#| code-fold: true`) and collapsed in Jupyter
    (cell metadata {"jupyter": {"source_hidden": true}}; `.ci/hide-solutions` sets it)."""
    wrong = []
    for stem in toc_notebooks():
        for c in solutions(exercises(ROOT / (stem + ".ipynb"))):
            if not c.get("metadata", {}).get("jupyter", {}).get("source_hidden"):
                second = (src(c).splitlines() + [""])[1]
                wrong.append(f"{stem}.ipynb cell {c.get('id')}: {second[:60]}")
    assert not wrong, ("solution cells not collapsed in Jupyter (run `.venv/bin/python .ci/hide-solutions "
                       "nbs/NB.ipynb`):\n" + "\n".join(wrong))


MAX_CELL_LINES = 40   # a main-path code cell a reader takes in at once


def long_main_path_cells(nb_path):
    "(cell id, lines, first code line) of main-path code cells longer than MAX_CELL_LINES."
    out = []
    for c, chain in with_sections(cells_of(nb_path)):
        if c["cell_type"] != "code" or is_appendix(chain):
            continue
        d = directives(c)
        if folded(c) or "hide" in d or "exporti" in d:
            continue
        code = [ln for ln in src(c).splitlines() if not re.match(r"^\s*#\|", ln)]
        while code and not code[-1].strip():
            code.pop()
        if len(code) > MAX_CELL_LINES:
            out.append((c.get("id"), len(code), next((ln for ln in code if ln.strip()), "")[:60]))
    return out


def test_long_cell_detection_can_fail():
    cells = [{"cell_type": "markdown", "source": ["# T\n", "## Main\n"]},
             {"cell_type": "code", "id": "long", "source": ["#| export\n"] + ["x = 1\n"] * 41},
             {"cell_type": "code", "id": "ok", "source": ["x = 1\n"] * 40 + ["\n", "\n"]},
             {"cell_type": "code", "id": "fold", "source": ["#| code-fold: true\n"] + ["x = 1\n"] * 50},
             {"cell_type": "markdown", "source": ["## Appendix: plumbing\n", "### Tables\n"]},
             {"cell_type": "code", "id": "appx", "source": ["x = 1\n"] * 50}]
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "t.ipynb"
        p.write_text(json.dumps({"cells": cells}))
        assert long_main_path_cells(p) == [("long", 41, "x = 1")]


def test_main_path_code_cells_are_short():
    """No code cell on the main path is longer than 40 lines (`#|` lines not counted). Off the main path: folded
    cells (`#| code-fold: true`), `#| hide`, `#| exporti`, and anything under a heading starting with 'Appendix'."""
    long = [f"{nb.name} cell {cid}: {n} lines: {first}"
            for nb in sorted((ROOT / "nbs").glob("*.ipynb")) for cid, n, first in long_main_path_cells(nb)]
    assert not long, f"{len(long)} main-path code cells longer than {MAX_CELL_LINES} lines:\n" + "\n".join(long)


def test_the_shared_test_helpers_agree_with_torch_and_can_fail():
    "tests/conftest.py's helpers, which the test files import: each gives the right answer and rejects a wrong one."
    import numpy as np
    import pytest
    import torch
    from conftest import as_numpy, assert_close, dtype_name, lib_dtype, m64, numerical_grad, outcome, t64, tol

    assert dtype_name(torch.ones(1)) == dtype_name(mytorch.ones(1)) == dtype_name(np.float32) == "float32"
    assert dtype_name(torch.bool) == dtype_name(np.dtype(bool)) == "bool"
    assert lib_dtype(mytorch, "bool") is mytorch.bool and lib_dtype(torch, "bool") is torch.bool
    assert tol("float64")["rtol"] < tol("float32")["rtol"] and tol("int64") == dict(rtol=0, atol=0)
    x = np.array([[0.5, -1.0], [2.0, 3.0]])
    (g,) = numerical_grad(lambda a: (a ** 3).sum(), [x])
    np.testing.assert_allclose(g, 3 * x ** 2, rtol=1e-6)
    m, t = m64(x), t64(x)
    np.testing.assert_array_equal(as_numpy(m), as_numpy(t))
    assert_close(m * 2, t * 2)
    with pytest.raises(AssertionError, match="dtype"):
        assert_close(m.float(), t)
    with pytest.raises(AssertionError):
        assert_close(m + 1e-6, t)
    assert outcome(lambda L: L.ones(2).sum().item(), mytorch) == ("ok", 2.0)
    assert outcome(lambda L: L.ones(2) @ L.ones(3), torch)[:2] == ("error", "RuntimeError")


def test_ci_workflow_runs_the_ci_entry_point_on_every_push_and_pull_request():
    wf = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    triggers = wf.get("on", wf.get(True))        # YAML 1.1 reads a bare `on:` key as True
    assert "push" in triggers and "pull_request" in triggers
    assert (triggers["push"] or {}).get("branches") is None, "CI must run on every branch"
    steps = [s.get("run", "") for job in wf["jobs"].values() for s in job["steps"]]
    assert any(r.strip() == ".ci/run" for r in steps), steps


def test_settings_name_no_missing_file():
    "settings.ini names no file that is not there (a stale readme_nb once named a notebook the intro no longer is)."
    s = settings()
    for key in ("readme_nb",):
        if s.get(key):
            assert (ROOT / s["nbs_path"] / s[key]).exists(), f"settings.ini {key} = {s[key]}: no such notebook"
    assert (ROOT / s["nbs_path"]).is_dir() and (ROOT / s["lib_path"]).is_dir()


def test_config_comments_name_existing_tests():
    "A comment in _config.yml or settings.ini that names a test file names one that exists."
    for name in ("_config.yml", "settings.ini", "Makefile"):
        for ref in re.findall(r"tests/[\w./]+\.py", (ROOT / name).read_text()):
            assert (ROOT / ref).exists(), f"{name} names {ref}, which does not exist"


# ----------------------------------------------------------------------------------------------------------------
# README's module map: which notebook writes which module and what it imports, kept true by a test.

def module_graph():
    "{module: (notebook name, sorted mytorch modules its exported cells import)} from the notebooks themselves."
    exported = {}
    for nb in sorted((ROOT / "nbs").glob("*.ipynb")):
        cells = cells_of(nb)
        exp = next((m.group(1) for c in cells for m in [re.search(r"^#\|\s*default_exp\s+(\S+)", src(c), re.M)] if m),
                   None)
        if exp:
            exported[f"mytorch.{exp}"] = (nb.name, cells)
    graph = {}
    for module, (name, cells) in exported.items():
        deps = set()
        for c in cells:
            if c["cell_type"] != "code" or not re.search(r"^#\|\s*export", src(c), re.M):
                continue
            for base, names in re.findall(r"^\s*from\s+([.\w]+)\s+import\s+\(?([^)\n]*)", src(c), re.M):
                if base.startswith("."):                     # relative: from the module's own package
                    up = len(base) - len(base.lstrip("."))
                    pkg = module.split(".")[:-up]
                    base = ".".join(pkg + ([base.lstrip(".")] if base.lstrip(".") else []))
                if base.split(".")[0] != "mytorch":
                    continue
                subs = [f"{base}.{n.split()[0]}" for n in names.split(",") if n.strip()]
                found = [s for s in subs if s in exported]  # `from mytorch import _tensor as _T`: a module
                deps.update(found or [base])
            deps.update(re.findall(r"^\s*import\s+(mytorch[.\w]*)", src(c), re.M))
        graph[module] = (name, sorted(deps - {module}))
    return graph


def module_map_markdown():
    """The table README.md shows. Print it with
    .venv/bin/python -c "import sys; sys.path.insert(0, 'tests'); import test_project as t; print(t.module_map_markdown())"
    """
    rows = ["| Module | Written in | Imports |", "|---|---|---|"]
    for module, (name, deps) in sorted(module_graph().items(), key=lambda kv: kv[1][0]):
        uses = ", ".join(f"`{d}`" for d in deps) or "NumPy only"
        rows.append(f"| `{module}` | `nbs/{name}` | {uses} |")
    return "\n".join(rows)


def readme_module_map():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Module map", 1)[1].split("\n## ", 1)[0] if "## Module map" in text else ""
    rows = re.findall(r"^\|\s*`(mytorch[.\w]*)`\s*\|\s*`nbs/([\w.-]+)`\s*\|([^|]*)\|", section, re.M)
    return {m: (nb, sorted(re.findall(r"`(mytorch[.\w]*)`", uses))) for m, nb, uses in rows}


def test_readme_module_map_is_the_notebooks_module_graph():
    "README.md's module map names every exported module, the notebook that writes it, and what it imports."
    want, have = module_graph(), readme_module_map()
    assert have, "README.md has no '## Module map' table"
    wrong = [f"{m}: README says {have.get(m)}, the notebooks say {want.get(m)}" for m in sorted(set(want) | set(have))
             if have.get(m) != want.get(m)]
    assert not wrong, ("README.md's module map is stale; replace its table with tests/test_project.py's "
                       "module_map_markdown():\n" + "\n".join(wrong))


def test_hide_solutions_collapses_solutions_drops_outputs_and_agrees_with_nbdev_clean(tmp_path):
    """.ci/hide-solutions (run by `make export`) collapses exactly the solution cells, drops outputs and counts,
    and writes what nbdev_clean (with this settings.ini) leaves unchanged, so .ci/check-sync passes afterwards."""
    import shutil
    import subprocess
    import sys
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "python3", "language": "python"}}
    nb.cells = [nbformat.v4.new_code_cell("#| default_exp t", id="c0"),
                nbformat.v4.new_markdown_cell("# T\n\n## Idea", id="c1"),
                nbformat.v4.new_code_cell("#| code-fold: true\nplot()", id="c2"),          # a figure: stays open
                nbformat.v4.new_markdown_cell("## Exercises\n\n1. Double it.", id="c3"),
                nbformat.v4.new_code_cell("def check_double(f): assert f(2) == 4", id="c4"),
                nbformat.v4.new_code_cell("#| code-fold: true\ndef double(x): return 2 * x\ncheck_double(double)",
                                          id="c5", execution_count=7,
                                          outputs=[nbformat.v4.new_output("stream", text="ok\n")])]
    nb.cells[4].metadata = {"jupyter": {"outputs_hidden": True}, "tags": ["x"]}   # what Jupyter may leave
    shutil.copy(ROOT / "settings.ini", tmp_path)
    (tmp_path / "nbs").mkdir()
    path = tmp_path / "nbs" / "t.ipynb"
    nbformat.write(nb, path)
    script = [sys.executable, str(ROOT / ".ci" / "hide-solutions")]
    assert subprocess.run(script + ["--check", str(path)], capture_output=True).returncode == 1
    r = subprocess.run(script + [str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    cells = {c["id"]: c for c in cells_of(path)}
    assert cells["c5"]["metadata"] == {"jupyter": {"source_hidden": True}}
    assert cells["c5"]["outputs"] == [] and cells["c5"]["execution_count"] is None
    assert cells["c2"]["metadata"] == {} and cells["c4"]["metadata"] == {}
    assert subprocess.run(script + ["--check", str(path)], capture_output=True).returncode == 0
    before = path.read_text()
    nbdev_clean = Path(sys.executable).parent / "nbdev_clean"
    r = subprocess.run([str(nbdev_clean), "--fname", str(path)], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert path.read_text() == before, "nbdev_clean changed what .ci/hide-solutions wrote (or dropped source_hidden)"


def test_the_sidebar_numbers_the_chapters_and_shows_every_page():
    """_toc.yml numbers the chapters of every part that has more than one (a 'before you start' part of one page may
    stay unnumbered); _config.yml keeps every chapter and its pages expanded in the sidebar on every page (the
    browser check verifies the rendered sidebar)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    for part in toc.get("parts", []):
        if len(part["chapters"]) > 1:
            assert part.get("numbered"), f"_toc.yml part {part.get('caption')!r}: add `numbered: 1`"
        if any(ch.get("sections") for ch in part["chapters"]) and part.get("numbered"):
            # Sphinx numbers a chapter page's own '##' headings (3.1 ... 3.10) before its section pages, so with
            # depth 2 the sidebar would show "3.11. Functions and the graph": number the chapters only.
            assert part["numbered"] == 1, (f"_toc.yml part {part.get('caption')!r}: `numbered: {part['numbered']}` "
                                           "numbers the chapter pages' own headings before their sections (the "
                                           "sidebar shows '3.11. <first section>'); use `numbered: 1`")
    book = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert book["sphinx"].get("recursive_update") is True, "html_theme_options would replace the theme's options"
    theme = book["sphinx"]["config"]["html_theme_options"]
    assert theme["show_navbar_depth"] >= 2 and theme["collapse_navbar"] is False


def test_modules_import_only_earlier_notebooks_modules():
    "The package is layered as the book: a notebook's exported code imports only modules of earlier notebooks."
    graph = module_graph()
    order = {m: nb for m, (nb, _) in graph.items()}
    wrong = [f"{nb} ({m}) imports {d}, written later in {order[d]}"
             for m, (nb, deps) in graph.items() for d in deps if d in order and order[d] > nb]
    assert not wrong, "\n".join(wrong)


BASE_MODULES = {"mytorch._tensor"}   # the base module(s) whose `_helpers` every module may share (issue 8)


def test_modules_do_not_import_each_others_private_helpers():
    """What modules share is public or lives in one small base module (BASE_MODULES): no exported cell imports a
    `_name` from another mytorch module. (`from mytorch.x import *` is fine: `*` brings only public names.)"""
    wrong = []
    for nb in sorted((ROOT / "nbs").glob("*.ipynb")):
        for c in cells_of(nb):
            if c["cell_type"] != "code" or not re.search(r"^#\|\s*export", src(c), re.M):
                continue
            for base, names in re.findall(r"^\s*from\s+(mytorch[.\w]*|\.[.\w]*)\s+import\s+\(?([^)]*?)\)?\s*$",
                                          src(c), re.M | re.S):
                if base in BASE_MODULES:
                    continue
                private = [n.split()[0] for n in re.split(r"[,\s]*\n\s*|,", names)
                           if n.strip().startswith("_") and not n.strip().startswith("__")
                           and f"{base}.{n.split()[0]}" not in BASE_MODULES]
                if private:
                    wrong.append(f"{nb.name}: from {base} import {', '.join(private)}")
    assert not wrong, "private helpers imported across modules:\n" + "\n".join(wrong)


def test_readme_and_contributing_name_existing_paths():
    "Notebooks, tests and scripts named in README.md and CONTRIBUTING.md exist (chapters get renumbered)."
    missing = [f"{doc}: {ref}" for doc in ("README.md", "CONTRIBUTING.md") if (ROOT / doc).exists()
               for ref in re.findall(r"`((?:nbs|tests|\.ci|bench)/[\w./-]+\.(?:ipynb|py|md)|\.ci/[\w-]+)`",
                                     (ROOT / doc).read_text())
               if "*" not in ref and not (ROOT / ref).exists()]
    assert not missing, "paths that do not exist:\n" + "\n".join(missing)
