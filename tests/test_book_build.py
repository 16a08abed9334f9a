"""The book build is a test too: a failing check cell must fail it, and the rendered page must hide nbdev's plumbing.
Builds a two-page book with the project's own _config.yml and glue in a temporary folder."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
JB = Path(sys.executable).parent / "jupyter-book"


def build(tmp_path, check_source):
    shutil.copy(ROOT / "_config.yml", tmp_path)
    shutil.copytree(ROOT / "nbs" / "_ext", tmp_path / "nbs" / "_ext")
    shutil.copytree(ROOT / "nbs" / "_static", tmp_path / "nbs" / "_static", ignore=shutil.ignore_patterns("mathjax"))
    (tmp_path / "nbs" / "index.md").write_text("# Home\n\nHello.\n")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: nbs/index\nchapters:\n  - file: nbs/ch\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "python3", "language": "python"}}
    nb.cells = [nbformat.v4.new_code_cell("#| default_exp ch"),
                nbformat.v4.new_markdown_cell("# A chapter\n\nSome math: $x^2$."),
                nbformat.v4.new_code_cell("#| hide\nSECRET_HIDDEN_IMPORT = 1"),
                nbformat.v4.new_code_cell("#| export\ndef double(x): return 2 * x"),
                nbformat.v4.new_code_cell(check_source),
                nbformat.v4.new_markdown_cell("## Exercises\n\n1. Triple it."),
                nbformat.v4.new_code_cell("def check_triple(f):\n    assert f(2) == 6, 'not triple'"),
                nbformat.v4.new_code_cell("#| code-fold: true\ndef triple(x): return 3 * x\ncheck_triple(triple)")]
    nbformat.write(nb, tmp_path / "nbs" / "ch.ipynb")
    return subprocess.run([str(JB), "build", "--all", "-W", "--path-output", str(tmp_path), str(tmp_path)],
                          capture_output=True, text=True, timeout=300)


def test_a_failing_check_cell_fails_the_build(tmp_path):
    r = build(tmp_path, "assert double(2) == 5, 'double is wrong'")
    assert r.returncode != 0
    assert "double is wrong" in r.stdout + r.stderr


def test_a_passing_chapter_renders_without_plumbing(tmp_path):
    r = build(tmp_path, "assert double(2) == 4")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    html = (tmp_path / "_build" / "html" / "nbs" / "ch.html").read_text()
    page = re.sub(r"<[^>]+>", "", html)              # the text a reader sees (highlighting splits code into spans)
    assert "def double" in page                      # the exported code is shown ...
    assert "mytorch/ch.py" in page                   # ... with the module it goes to
    assert "#|" not in page and "default_exp" not in page
    assert "SECRET_HIDDEN_IMPORT" not in page        # #| hide cells run but are not shown
    assert "Show the solution" in page and "def triple" in page   # the solution: there, behind its own toggle
