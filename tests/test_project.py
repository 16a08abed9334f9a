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
