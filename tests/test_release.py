"""Release hygiene (issue 14, items 5 and 6): the wheel built from the tree, its metadata and LICENSE, the
distribution name on the package index, what a build leaves behind, CITATION.cff and CONTRIBUTING.md.

The wheel is built, as `pip install .` builds it, from a copy of the tree (in a temporary folder, so the tree
itself is never touched) and installed into a fresh virtual environment holding only NumPy. Building (an
isolated build environment with setuptools) and installing NumPy need the package index or pip's cache, and the
name check needs the index: without them these tests fail and say so; none is skipped.
"""
import configparser
import email.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NO_INDEX = ("pip needs the package index (or its cache) to build the wheel, to install NumPy and to look up "
            "the distribution name: check the network and the index settings (`pip config list`)")

# Not copied: the tree's git state (the copy gets a repository of its own) and what .gitignore ignores.
COPY_ANYWHERE = {".git", "__pycache__", ".pytest_cache", ".hypothesis", ".jupyter_cache", ".ipynb_checkpoints"}
COPY_AT_ROOT = {".venv", "_build", "_docs", "build", "dist", "data", ".eggs"}


def copy_ignore(folder, names):
    "shutil.copytree's `ignore`: the names above, *.egg-info and *.pyc, and the book's downloaded MathJax."
    rel = Path(folder).resolve().relative_to(ROOT).as_posix()
    return {n for n in names if n in COPY_ANYWHERE or n.endswith((".egg-info", ".pyc"))
            or rel == "." and n in COPY_AT_ROOT or rel == "nbs/_static" and n == "mathjax"}


# What the usual commands leave in a clone (besides the build's own build/ and *.egg-info/): .gitignore must
# ignore every one, so `git status` stays clean after `make test`, `make book` or `pip install .`.
GENERATED = [".venv/bin/python", "_build/html/index.html", ".jupyter_cache/global.db", "dist/x-0.1.tar.gz",
             "mytorch/__pycache__/_tensor.cpython-311.pyc", "tests/__pycache__/conftest.cpython-311.pyc",
             ".pytest_cache/README.md", ".hypothesis/examples/x", "nbs/.ipynb_checkpoints/x-checkpoint.ipynb",
             "nbs/_static/mathjax/tex-svg.js", ".ci/.stamps/x", "data/x.gz", "mytorch_course-0.1.0-py3-none-any.whl",
             ".eggs/x", ".mypy_cache/x", ".ruff_cache/x", ".coverage", "htmlcov/index.html", "_docs/x"]


def settings():
    cfg = configparser.ConfigParser(delimiters=["="])
    cfg.read(ROOT / "settings.ini", encoding="utf-8")
    return cfg["DEFAULT"]


def run(cmd, cwd=None, what="", hint=""):
    "Run `cmd`; when it fails, fail the test with what it was doing, its output and `hint`."
    res = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=300)
    if res.returncode:
        noise = re.compile(r"^WARNING: Location .* is ignored.*$\n?", re.M)   # local mirrors pip looks in
        pytest.fail(f"{what or cmd[0]} failed (exit {res.returncode}): {' '.join(map(str, cmd))}\n"
                    + noise.sub("", res.stdout + res.stderr)[-3000:] + (f"\n{hint}" if hint else ""))
    return res.stdout


def pip(*args):
    return [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]


def git(cwd, *args):
    return run(["git", "-c", "init.defaultBranch=main", "-c", "core.autocrlf=false", *args], cwd=cwd,
               what="git")


def book_url(c):
    return c["doc_host"].rstrip("/") + c["doc_baseurl"]


def tree_files(root):
    "Every file under `root`/mytorch (what the wheel must hold), as posix paths relative to `root`."
    return {p.relative_to(root).as_posix() for p in (root / "mytorch").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


# ----------------------------------------------------------------------------------------------- the wheel
@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A copy of the tree, added to a git repository of its own (as a fresh clone has it); then what `nbdev_export`
    does to the packaging files after writing the modules (`add_init`: `__version__`, and pyproject.toml's name
    unless settings.ini's update_pyproject is off); a wheel built with `pip wheel --no-deps` (pip's in-tree build,
    as `pip install .`); and `git status` of the copy."""
    tmp = tmp_path_factory.mktemp("release")
    tree = tmp / "tree"
    shutil.copytree(ROOT, tree, ignore=copy_ignore)
    git(tree, "init", "-q")
    git(tree, "add", "-A")
    run([sys.executable, "-c", "from nbdev.config import add_init; add_init()"], cwd=tree, what="nbdev's add_init")
    run(pip("wheel", "--no-deps", "--wheel-dir", tmp / "wheels", "."), cwd=tree, what="building the wheel",
        hint=NO_INDEX)
    wheels = list((tmp / "wheels").glob("*.whl"))
    assert len(wheels) == 1, f"pip wheel made {wheels}"
    after_build = git(tree, "status", "--porcelain", "--ignored", "--untracked-files=all")
    return SimpleNamespace(tmp=tmp, tree=tree, wheel=wheels[0], after_build=after_build)


def wheel_metadata(wheel):
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(z.read(name).decode("utf-8"))


def test_wheel_holds_every_module_and_the_license(built):
    with zipfile.ZipFile(built.wheel) as z:
        names = set(z.namelist())
        dist_info = {n.split("/")[0] for n in names if ".dist-info/" in n}
        assert len(dist_info) == 1, dist_info
        dist_info = dist_info.pop()
        package = {n for n in names if not n.startswith(dist_info + "/")}
        want = tree_files(built.tree)
        assert want, "the copy has no mytorch/ files"
        missing, extra = sorted(want - package), sorted(package - want)
        assert not missing, f"the wheel lacks these files of mytorch/ (a folder without __init__.py?): {missing}"
        assert not extra, f"the wheel has files that are not in mytorch/: {extra}"
        stale = sorted(n for n in want if z.read(n) != (built.tree / n).read_bytes())
        assert not stale, f"the wheel's copy differs from the tree: {stale}"
        licenses = [n for n in names if n.startswith(dist_info + "/licenses/")]
        assert licenses == [f"{dist_info}/licenses/LICENSE"], f"license files in the wheel: {licenses}"
        assert z.read(licenses[0]) == (ROOT / "LICENSE").read_bytes(), "the wheel's LICENSE is not the tree's"
    c = settings()
    stem = re.sub(r"[-_.]+", "_", c["dist_name"]).lower()
    assert built.wheel.name == f"{stem}-{c['version']}-py3-none-any.whl", built.wheel.name


def test_sdist_carries_what_setup_py_reads(built):
    """`python -m build` (a release) builds the sdist, then the wheel from the unpacked sdist: the sdist must carry
    settings.ini and README.md (MANIFEST.in), and the wheel made from it holds the same modules as the in-tree one."""
    out = built.tmp / "build-dist"
    # --no-isolation: this environment's setuptools (the in-tree wheel above already used an isolated one)
    run([sys.executable, "-m", "build", "--no-isolation", "--skip-dependency-check", "--outdir", out, "."],
        cwd=built.tree, what="python -m build (sdist, then the wheel from it)",
        hint="A KeyError from setup.py: the sdist lacks settings.ini (MANIFEST.in must include it).")
    sdist, = out.glob("*.tar.gz")
    with tarfile.open(sdist) as t:
        names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    needed = {"setup.py", "pyproject.toml", "settings.ini", "README.md", "LICENSE"} | tree_files(built.tree)
    assert not needed - names, f"the sdist lacks {sorted(needed - names)} (MANIFEST.in)"
    wheel, = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as a, zipfile.ZipFile(built.wheel) as b:   # (dist-info differs by setuptools)
        files = [sorted(n for n in z.namelist() if ".dist-info/" not in n) for z in (a, b)]
    assert files[0] == files[1], "the wheel built from the sdist holds other files than the in-tree one"


def test_wheel_metadata(built):
    c, meta = settings(), wheel_metadata(built.wheel)
    git_url = c["git_url"].rstrip("/")
    assert meta["Name"] == c["dist_name"]
    assert meta["Version"] == c["version"]
    assert meta["Summary"] == c["description"]
    assert meta["Author"] == c["author"]
    assert c["author_email"] in meta["Author-email"], meta["Author-email"]
    assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", c["author_email"]), c["author_email"]
    assert meta["License-Expression"] == {"apache2": "Apache-2.0"}[c["license"]]
    assert meta.get_all("License-File") == ["LICENSE"]
    assert meta["Requires-Python"] == ">=" + c["min_python"]
    assert sorted(meta.get_all("Requires-Dist")) == sorted(c["requirements"].split())
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert urls["Book"] == book_url(c)
    assert urls["Source"] == git_url
    assert urls["Issues"] == git_url + "/issues"
    classifiers = meta.get_all("Classifier")
    status = [s for s in classifiers if s.startswith("Development Status ::")]
    assert len(status) == 1 and status[0].startswith(f"Development Status :: {c['status']} - "), status
    assert f"Programming Language :: Python :: {c['min_python']}" in classifiers
    assert not [s for s in classifiers if s.startswith("License ::")], "PEP 639: the license is License-Expression"
    assert all(re.fullmatch(r"[A-Z][\w/ .+-]*( :: [\w/ .+()-]+)+", s) for s in classifiers), classifiers
    assert meta["Keywords"].split(",") == c["keywords"].split()
    assert meta["Description-Content-Type"] == "text/markdown"
    assert meta.get_payload().strip() == (ROOT / "README.md").read_text(encoding="utf-8").strip()


def test_the_distribution_installs_the_import_name_mytorch(built):
    """`pip install <dist_name>` installs the package imported as `mytorch` (lib_name): top_level.txt says so."""
    c = settings()
    with zipfile.ZipFile(built.wheel) as z:
        top = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/top_level.txt"))).decode().split()
    assert top == [c["lib_name"]], top
    assert c["lib_name"] == "mytorch" and c["lib_path"] == "mytorch"


def test_wheel_imports_in_a_fresh_venv_with_only_numpy(built):
    "The wheel and NumPy (the one package a reader surely has) in a new venv: every module imports."
    venv = built.tmp / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], what="python -m venv")
    py = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # NumPy as this environment has it: it satisfies `requirements` (checked below) and pip's cache holds it
    run(pip("--python", py, "install", "--no-deps", f"numpy=={np.__version__}", built.wheel),
        what="installing NumPy and the wheel into a fresh venv", hint=NO_INDEX)
    listed = {d["name"].lower(): d["version"] for d in json.loads(run(pip("--python", py, "list", "--format=json")))}
    c = settings()
    assert listed == {c["dist_name"]: c["version"], "numpy": np.__version__}, listed
    probe = r"""
import importlib, importlib.metadata as md, json, pkgutil
import mytorch, mytorch.nn, mytorch.optim, mytorch.utils.data
failed = {}
for m in pkgutil.walk_packages(mytorch.__path__, "mytorch."):
    try:
        importlib.import_module(m.name)
    except Exception as e:
        failed[m.name] = repr(e)
x = mytorch.tensor([1.0, 2.0], requires_grad=True)
(x * x).sum().backward()
print(json.dumps({"file": mytorch.__file__, "version": mytorch.__version__, "failed": failed,
                  "grad": x.grad.tolist(), "dists": md.packages_distributions().get("mytorch")}))
"""
    # -I: no PYTHONPATH, no user site, not the current folder: only what the venv holds
    out = json.loads(run([py, "-I", "-c", probe], cwd=built.tmp, what="importing mytorch in the fresh venv"))
    assert Path(out["file"]).resolve().is_relative_to(venv.resolve()), out["file"]
    assert out["failed"] == {}, f"modules that do not import with only NumPy: {out['failed']}"
    assert out["version"] == c["version"]
    assert out["grad"] == [2.0, 4.0]
    assert out["dists"] == [c["dist_name"]], out["dists"]


def test_numpy_here_satisfies_the_declared_requirement():
    "The fresh-venv test installs this environment's NumPy: it must be one that `requirements` allows."
    from packaging.requirements import Requirement
    reqs = {Requirement(r).name: Requirement(r) for r in settings()["requirements"].split()}
    assert "numpy" in reqs
    assert reqs["numpy"].specifier.contains(np.__version__), (reqs["numpy"], np.__version__)


# ------------------------------------------------------------------------------------- what a build leaves
def test_build_and_caches_leave_git_status_clean(built):
    """After `pip wheel .` (build/ and *.egg-info/ in the tree) and what the usual commands leave, a clone's
    `git status` shows nothing new: .gitignore ignores all of it."""
    leftovers = [ln for ln in built.after_build.splitlines() if ln.startswith("??")]
    assert not leftovers, (f"the build left {len(leftovers)} files .gitignore does not ignore: "
                           f"{leftovers[:8]}{' ...' if len(leftovers) > 8 else ''}")
    ignored = [ln[3:] for ln in built.after_build.splitlines() if ln.startswith("!!")]
    assert any(p.startswith("build/") for p in ignored), f"no build/ seen (the check saw nothing): {ignored}"
    assert any(".egg-info/" in p for p in ignored), ignored
    for rel in GENERATED:
        (built.tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (built.tree / rel).write_text("x")
    status = git(built.tree, "status", "--porcelain", "--untracked-files=all").splitlines()
    missed = [ln[3:] for ln in status if ln.startswith("??")]
    assert not missed, f".gitignore misses these generated files: {missed}"


# ------------------------------------------------------------------------------------ the distribution name
def _index_lookup(name, dest):
    "None when the package index has no release of `name`, else the METADATA of its newest wheel."
    res = subprocess.run(pip("index", "versions", "--pre", name), capture_output=True, text=True, timeout=300)
    if res.returncode:
        if f"No matching distribution found for {name}" in res.stderr:
            return None
        pytest.fail(f"asking the package index about {name!r} failed:\n{res.stderr[-2000:]}\n{NO_INDEX}")
    # taken: read whose it is from its wheel (never an sdist: preparing one runs its setup.py)
    run(pip("download", "--no-deps", "--pre", "--only-binary=:all:", "--dest", dest, name),
        what=f"{name!r} is on the package index ({res.stdout.strip()[:200]}) and its wheel could not be fetched")
    return wheel_metadata(next(Path(dest).glob("*.whl")))


def test_distribution_name_is_free_or_ours(tmp_path):
    """`pip install <dist_name>` must give this package: the name has no release on the index, or its release is
    ours (its Source URL is our repository). NumPy is looked up first, so an unreachable index is a failure,
    never a 'free' name."""
    c = settings()
    assert c["dist_name"] != c["lib_name"], "`mytorch` on the package index is an unrelated 2018 project"
    run(pip("index", "versions", "numpy"), what="asking the package index about numpy", hint=NO_INDEX)
    found = _index_lookup(c["dist_name"], tmp_path)
    if found is not None:
        urls = dict(u.split(", ", 1) for u in found.get_all("Project-URL") or [])
        assert urls.get("Source") == c["git_url"].rstrip("/"), (
            f"{c['dist_name']!r} on the package index is someone else's ({found['Summary']!r}, {urls}): "
            "pick another dist_name in settings.ini")


def test_readme_says_how_to_install_under_the_distribution_name():
    c, readme = settings(), (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"pip install {c['dist_name']}" in readme, f"README.md does not say `pip install {c['dist_name']}`"
    assert f"import {c['lib_name']}" in readme


# -------------------------------------------------------------------------------------- LICENSE, CITATION
APACHE_SECTIONS = ["Definitions", "Grant of Copyright License", "Grant of Patent License", "Redistribution",
                   "Submission of Contributions", "Trademarks", "Disclaimer of Warranty",
                   "Limitation of Liability", "Accepting Warranty or Additional Liability"]


def test_license_is_the_full_apache_2_text_the_metadata_names():
    assert settings()["license"] == "apache2"
    text = " ".join((ROOT / "LICENSE").read_text(encoding="utf-8").split())
    assert text.startswith("Apache License Version 2.0, January 2004"), text[:80]
    at = [text.find(f"{i}. {s}.") for i, s in enumerate(APACHE_SECTIONS, 1)]
    assert -1 not in at and at == sorted(at), dict(zip(APACHE_SECTIONS, at))
    assert "END OF TERMS AND CONDITIONS" in text
    assert len(text.split()) > 1500, f"{len(text.split())} words: not the full text"


def test_citation_matches_the_metadata():
    c = settings()
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors", "abstract"):
        assert cff.get(key), f"CITATION.cff has no {key}"
    assert all(a.get("name") or a.get("family-names") for a in cff["authors"]), cff["authors"]
    assert str(cff["version"]) == c["version"], "CITATION.cff's version is not settings.ini's"
    assert cff["license"] == "Apache-2.0"
    assert cff["repository-code"] == c["git_url"].rstrip("/")
    assert cff["url"] == book_url(c)
    assert cff["type"] == "software"


# ----------------------------------------------------------------------------------------- CONTRIBUTING
def test_contributing_gives_the_workflow_and_links_the_op_recipe():
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    for cmd in ("make export", "make test", "make book", "make check-book", "nbdev_test --path"):
        assert cmd in text, f"CONTRIBUTING.md does not mention `{cmd}`"
    assert "README.md#adding-an-op" in text, "CONTRIBUTING.md must link README's 'Adding an op'"
    headings = re.findall(r"^## (.+)$", (ROOT / "README.md").read_text(encoding="utf-8"), re.M)
    assert "Adding an op" in headings, "README.md has no '## Adding an op' for CONTRIBUTING to link"
