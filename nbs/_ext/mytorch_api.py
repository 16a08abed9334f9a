"""The book's API reference: Sphinx autodoc for mytorch's public names, docstrings read as Markdown, and for each
name the chapter that builds it.

Registered in `_config.yml` (`sphinx: local_extensions`). It adds:

- the directive `mytorch-autopackage` (used inside ```` ```{eval-rst} ```` in `nbs/api/*.md`): documents a package's
  public names *as they come*, each package's `__all__` or else its public attributes (`public_names`), with
  autodoc: classes with their public members, then functions, then data. The list is computed at build time, so
  the reference cannot drift from the package;
- docstrings rendered as Markdown (MyST), the way nbdev writes them (`code`, lists), instead of reStructuredText,
  where `*args` or `name_` would be markup errors (`mytorch-markdown`, wrapped around each docstring by an
  `autodoc-process-docstring` hook);
- under each documented name, "Built in <chapter>": the notebook whose `# %% ../nbs/X.ipynb` cell defines it
  (`chapter_of`), linked to the chapter's page;
- optionally (`mytorch_api_chapter_links = True`), on each chapter page, a folded "API reference" box under the
  title listing the public names the chapter builds, each linked to its entry in the reference.
"""
import functools
import importlib
import inspect
import re
import sys
import types
from pathlib import Path

import numpy as np
from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from docutils.utils import new_document
from sphinx import addnodes
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

ROOT = Path(__file__).resolve().parents[2]
LIB = "mytorch"
API_DIR = "nbs/api"
# The packages of the reference, one page each (nbs/api/<name>.md): what a user imports, as in PyTorch.
PACKAGES = ["mytorch", "mytorch.autograd", "mytorch.autograd.forward_ad", "mytorch.autograd.functional",
            "mytorch.nn", "mytorch.nn.functional", "mytorch.nn.init",
            "mytorch.nn.utils", "mytorch.optim", "mytorch.optim.lr_scheduler", "mytorch.utils.data",
            "mytorch.datasets", "mytorch.train", "mytorch.vision", "mytorch.models", "mytorch.testing"]
_MARKER = re.compile(r"^# %% (?:\.\./)+nbs/([\w.-]+)\.ipynb\b")
_HEADER = re.compile(r"File to edit: (?:\.\./)+nbs/([\w.-]+)\.ipynb")


def public_names(module):
    "A module's public names as they come: its `__all__`, else its attributes without a leading `_` (not modules)."
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return sorted(n for n, v in vars(module).items()
                  if not n.startswith("_") and not isinstance(v, types.ModuleType))


def kind_of(obj):
    "How autodoc documents `obj`: 'exception', 'class', 'function' or 'data'."
    if isinstance(obj, type):
        return "exception" if issubclass(obj, BaseException) else "class"
    return "function" if inspect.isroutine(obj) else "data"


def _unwrap(obj):
    if isinstance(obj, property):
        obj = obj.fget
    obj = getattr(obj, "__func__", obj)           # classmethod, staticmethod, bound method
    try:
        return inspect.unwrap(obj)
    except ValueError:
        return obj


@functools.lru_cache(maxsize=None)
def _lines(path):
    return Path(path).read_text(encoding="utf-8").splitlines()


def _notebook_of_file(path):
    "The notebook an exported module says it comes from (its first line), or None for a hand-written file."
    m = _HEADER.search((_lines(path) or [""])[0])
    return m.group(1) if m else None


def _defining_modules(obj):
    "mytorch modules (exported ones first) whose `__all__` holds `obj` itself: where a data object is defined."
    found = []
    for name, mod in sorted(sys.modules.items()):
        if name.split(".")[0] != LIB or not getattr(mod, "__file__", None):
            continue
        if any(getattr(mod, n, None) is obj for n in getattr(mod, "__all__", ())):
            found.append(mod)
    return sorted(found, key=lambda m: _notebook_of_file(m.__file__) is None)


def _lib_dir():
    "The folder of the mytorch package being documented."
    return Path(importlib.import_module(LIB).__file__).resolve().parent


def chapter_of(obj):
    """The notebook stem (e.g. '03_tensor') whose exported cell defines `obj`, or None.

    Functions and classes: the `# %% ../nbs/X.ipynb` marker nbdev writes above the cell that holds the definition
    (so a Tensor method added by a later chapter's `add_to_class` names that chapter). Data (dtypes, constants):
    the notebook of the exported module whose `__all__` holds the object."""
    target = _unwrap(obj)
    if inspect.isclass(target) or inspect.isroutine(target):
        try:
            path = inspect.getsourcefile(target)
            _, start = inspect.getsourcelines(target)
        except (TypeError, OSError):
            path = None
        if path and Path(path).resolve().is_relative_to(_lib_dir()):
            for line in reversed(_lines(path)[:max(start, 1)]):
                m = _MARKER.match(line)
                if m:
                    return m.group(1)
            return _notebook_of_file(path)
    for mod in _defining_modules(obj):
        nb = _notebook_of_file(mod.__file__)
        if nb:
            return nb
    return None


def resolve(module, qualname):
    """The object `qualname` (e.g. 'Linear.forward') names in `module`. Attribute lookup, not import: in
    `mytorch.autograd`, `gradcheck` is the function, though a submodule has that name too."""
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = inspect.getattr_static(obj, part) if isinstance(obj, type) else getattr(obj, part)
    return obj


def package_entries(package):
    "[(kind, name, object)] of a package's public names, grouped as the page shows them."
    mod = importlib.import_module(package)
    entries = [(kind_of(getattr(mod, n)), n, getattr(mod, n)) for n in public_names(mod)]
    order = {"class": 0, "exception": 1, "function": 2, "data": 3}
    return sorted(entries, key=lambda e: order[e[0]])


GROUPS = {"class": "Classes", "exception": "Exceptions", "function": "Functions", "data": "Constants and dtypes"}


def package_rst(package):
    "The reStructuredText that `mytorch-autopackage` parses: autodoc directives for each public name."
    out = [f".. automodule:: {package}", "", f".. py:currentmodule:: {package}", ""]
    group = None
    for kind, name, _ in package_entries(package):
        if GROUPS[kind] != group:
            group = GROUPS[kind]
            out += [f".. rubric:: {group}", ""]
        out.append(f".. auto{kind}:: {name}")
        if kind in ("class", "exception"):
            out += ["   :members:", "   :undoc-members:"]
        out.append("")
    return out


class AutoPackage(SphinxDirective):
    "`.. mytorch-autopackage:: mytorch.nn`: the package's docstring and every public name, with autodoc."
    required_arguments = 1

    def run(self):
        package = self.arguments[0]
        try:
            lines = package_rst(package)
        except Exception as e:                      # noqa: BLE001 - reported as a build warning (fails -W)
            return [self.state.document.reporter.error(f"mytorch-autopackage {package}: {e!r}", line=self.lineno)]
        node = nodes.container(classes=["mytorch-api"])
        nested_parse_with_titles(self.state, StringList(lines, source=f"<mytorch-autopackage {package}>"), node)
        return node.children


class MarkdownDocstring(SphinxDirective):
    "The content, parsed as MyST Markdown (a docstring written for nbdev) instead of reStructuredText."
    has_content = True

    def run(self):
        from myst_parser.mdit_to_docutils.sphinx_ import SphinxRenderer
        from myst_parser.parsers.mdit import create_md_parser
        doc = new_document(self.state.document["source"], self.state.document.settings)
        meta = self.env.metadata.get(self.env.docname, {})
        saved = dict(meta)
        parser = create_md_parser(self.env.myst_config, SphinxRenderer)
        parser.disable("emphasis")                  # docstrings are plain text with `code`: `*`, `_`, `**` as typed
        parser.options["document"] = doc
        parser.render("\n".join(self.content))
        meta.clear()
        meta.update(saved)                          # the renderer records a word count: keep the page's own
        return list(doc.children)


_DTYPE_DOC = "The NumPy dtype `{0}`: PyTorch's `torch.{1}`."


def markdown_docstring(app, what, name, obj, options, lines):
    """autodoc-process-docstring: wrap the docstring in `mytorch-markdown`. Data objects have no docstring of their
    own (autodoc would show their type's, e.g. numpy.dtype's): a dtype gets one line, other data none."""
    if what in ("data", "attribute") and getattr(obj, "__doc__", None) == getattr(type(obj), "__doc__", None):
        lines[:] = []
        if isinstance(obj, np.dtype) and name.startswith(LIB + "."):
            lines[:] = [_DTYPE_DOC.format(getattr(obj, "name", obj), name.rsplit(".", 1)[1])]
    if not any(ln.strip() for ln in lines):
        return
    body = [ln.rstrip() for ln in lines]
    lines[:] = [".. mytorch-markdown::", ""] + ["   " + ln if ln else "" for ln in body] + [""]


def _chapter_link(env, stem):
    "Nodes naming chapter `stem`: a link to its page (with its title), or the notebook's file name if not built."
    docname = f"nbs/{stem}"
    label = nodes.literal(text=f"nbs/{stem}.ipynb")
    if docname not in env.found_docs:
        return [label]
    ref = addnodes.pending_xref("", nodes.inline(text=docname), refdomain="std", reftype="doc",
                                reftarget="/" + docname, refdoc=env.docname, refexplicit=False, refwarn=True)
    return [ref, nodes.Text(" ("), label, nodes.Text(")")]


def built_in_note(app, domain, objtype, contentnode):
    """object-description-transform: under each name in the API pages, "Built in <chapter> (nbs/X.ipynb)". A member
    built in the same chapter as its class gets no note (the class says it)."""
    env = app.env
    if domain != "py" or not env.docname.startswith(API_DIR + "/") or objtype == "module":
        return
    sig = next(iter(contentnode.parent.findall(addnodes.desc_signature)), None)
    if sig is None or not sig.get("fullname"):
        return
    module, qualname = sig.get("module") or LIB, sig["fullname"]
    try:
        stem = chapter_of(resolve(module, qualname))
        owner = chapter_of(resolve(module, qualname.rsplit(".", 1)[0])) if "." in qualname else None
    except Exception:                               # noqa: BLE001 - no note rather than a failed build
        return
    if stem is None or stem == owner:
        return
    para = nodes.paragraph(classes=["mytorch-built-in"])
    para += nodes.Text("Built in ")
    para += _chapter_link(env, stem)
    contentnode.insert(0, para)


# ---- chapter -> reference links ---------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def names_by_chapter():
    "{notebook stem: [full public name, ...]}: every name of the reference, under the chapter that builds it."
    out = {}
    for package in PACKAGES:
        for _, name, obj in package_entries(package):
            stem = chapter_of(obj)
            if stem:
                out.setdefault(stem, []).append(f"{package}.{name}")
    return out


def chapter_api_box(app, doctree):
    "doctree-read: a folded 'API reference' box under a chapter's title, linking the names the chapter builds."
    env = app.env
    if not app.config.mytorch_api_chapter_links or not re.fullmatch(r"nbs/\d\w*", env.docname):
        return
    names = names_by_chapter().get(env.docname[len("nbs/"):], [])
    section = next(iter(doctree.findall(nodes.section)), None)
    if not names or section is None:
        return
    box = nodes.admonition(classes=["dropdown", "mytorch-api-links"])
    box += nodes.title(text=f"API reference: the {len(names)} public names this chapter builds")
    para = nodes.paragraph()
    for i, full in enumerate(names):
        if i:
            para += nodes.Text(", ")
        ref = addnodes.pending_xref("", nodes.literal(text=full), refdomain="py", reftype="obj",
                                    reftarget=full, refdoc=env.docname, refexplicit=True, refwarn=True)
        para += ref
    box += para
    title = next(iter(section.findall(nodes.title)), None)
    section.insert(section.index(title) + 1 if title is not None else 0, box)


def home_package(obj):
    "The first package of the reference (PACKAGES order) that offers `obj`: where its entry is the canonical one."
    for package in PACKAGES:
        mod = importlib.import_module(package)
        if any(getattr(mod, n, None) is obj for n in public_names(mod)):
            return package
    return None


def _documenters():
    "autodoc's class documenters, naming a class's defining module (`:canonical:`) on its home package's page only."
    from sphinx.ext import autodoc

    class ClassDocumenter(autodoc.ClassDocumenter):
        def get_canonical_fullname(self):
            home = home_package(self.object)
            # the same class on a second page (mytorch.no_grad, mytorch.autograd.no_grad): one canonical entry
            return super().get_canonical_fullname() if home in (None, self.modname) else None

    class ExceptionDocumenter(ClassDocumenter, autodoc.ExceptionDocumenter):
        pass

    return ClassDocumenter, ExceptionDocumenter


def setup(app):
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))               # document the tree being built, not another installed copy
    app.setup_extension("sphinx.ext.autodoc")
    for documenter in _documenters():
        app.add_autodocumenter(documenter, override=True)
    app.add_config_value("mytorch_api_chapter_links", False, "env")
    app.add_directive("mytorch-autopackage", AutoPackage)
    app.add_directive("mytorch-markdown", MarkdownDocstring)
    app.connect("autodoc-process-docstring", markdown_docstring)
    app.connect("object-description-transform", built_in_note)
    app.connect("doctree-read", chapter_api_box)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
