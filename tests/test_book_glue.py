"""The nbdev -> Jupyter Book reader (nbs/_ext/nbdev_book.py): what it hides, strips and labels."""
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "nbs" / "_ext"))
import nbdev_book  # noqa: E402


def nb(*cells):
    n = nbformat.v4.new_notebook()
    n.cells = [nbformat.v4.new_code_cell(c) if not c.startswith("MD ") else nbformat.v4.new_markdown_cell(c[3:]) for c in cells]
    return n


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def test_default_exp_cell_is_dropped_and_exports_are_labelled_with_the_module():
    out = nbdev_book.transform(nb("#| default_exp autograd", "MD # Title", "#| export\ndef f(): return 1", "f()"))
    sources = [c.source for c in out.cells]
    assert not any("default_exp" in s for s in sources)
    label = out.cells[1]
    assert label.cell_type == "markdown" and "mytorch/autograd.py" in label.source
    assert out.cells[2].source == "def f(): return 1"
    assert out.cells[3].source == "f()" and tags(out.cells[3]) == []


def test_hide_exporti_eval_false_become_tags_and_directives_disappear():
    out = nbdev_book.transform(nb("#| default_exp ops", "#| hide\nimport x", "#| exporti\ndef _g(): pass",
                                  "#| eval: false\nslow()", "#|echo: false\nshow()", "#| output: false\nquiet()",
                                  "#| code-fold: true\nplot()"))
    code = [c for c in out.cells if c.cell_type == "code"]
    assert [tags(c) for c in code] == [["remove-cell"], ["hide-input"], ["skip-execution"], ["remove-input"], ["remove-output"],
                                        ["hide-input"]]
    assert all("#|" not in c.source for c in out.cells if c.cell_type == "code")


def test_hidden_exported_cell_hides_its_label_too_and_late_directives_are_stripped():
    out = nbdev_book.transform(nb("#| default_exp m", "#| export\n#| hide\nx = 1\n#| some_flag\ny = 2"))
    label, cell = out.cells
    assert tags(label) == ["remove-cell"] and tags(cell) == ["remove-cell"]
    assert cell.source == "x = 1\ny = 2"


def test_read_parses_json_and_ignores_extra_keyword_arguments():
    text = nbformat.writes(nb("#| default_exp m", "#| export\nz = 3"))
    out = nbdev_book.read(text, commonmark_only=False, path="x.ipynb")
    assert [c.source for c in out.cells if c.cell_type == "code"] == ["z = 3"]


def test_exercise_solutions_get_a_show_the_solution_toggle():
    out = nbdev_book.transform(nb("#| default_exp m", "MD # T\n\n## Idea", "#| code-fold: true\nplot()",
                                  "MD ## Exercises\n\n1. Double it.", "def check_double(f): assert f(2) == 4",
                                  "#| code-fold: true\ndef double(x): return 2 * x\ncheck_double(double)",
                                  "MD ## Appendix", "#| code-fold: true\ncheck_double(lambda x: x + x)"))
    code = [c for c in out.cells if c.cell_type == "code"]
    figure, check, solution, appendix = code
    assert solution.metadata["mystnb"] == nbdev_book.SOLUTION_PROMPTS and tags(solution) == ["hide-input"]
    assert "mystnb" not in figure.metadata and tags(figure) == ["hide-input"]    # a folded figure keeps the default
    assert "mystnb" not in check.metadata and "mystnb" not in appendix.metadata
