"""Every public callable of the package documents itself, so `help()` shows words, never an nbdev cell marker.

`inspect.getcomments` (and so `help()`, through pydoc) shows the comment lines just above a function that has no
docstring, and in an exported module that is nbdev's `# %% ../nbs/NB.ipynb #cellid` marker. So each public
function, class, method, property and dunder needs a docstring of its own (`obj.__doc__`, not one inherited from
a base class). "Public": what `dir()` of each public module of `mytorch` shows without a leading underscore and
that mytorch defines, and, for each such class, every method, property and dunder in the class's own `__dict__`
(so `Tensor.__add__` counts; a method inherited from a base is checked on the base). A failure lists each name with
the notebook to edit; the docstring goes in that notebook's cell, never in mytorch/*.py.
"""
import importlib
import inspect
import pkgutil
import pydoc
import sys
import types
from pathlib import Path

import mytorch

# class-body names that Python (not the class's author) fills in, or that are not callables
_IMPLICIT = {"__doc__", "__module__", "__dict__", "__weakref__", "__qualname__", "__annotations__", "__slots__",
             "__firstlineno__", "__static_attributes__", "__orig_bases__", "__parameters__",
             "__abstractmethods__", "__annotate__", "__annotate_func__", "__annotations_cache__"}


def public_modules(package=mytorch):
    "The package and every submodule whose dotted path has no part starting with '_'."
    mods = [package]
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if not any(part.startswith("_") for part in info.name.split(".")[1:]):
            mods.append(importlib.import_module(info.name))
    return mods


def _ours(obj, prefix):
    mod = getattr(obj, "__module__", None) or ""
    return mod == prefix or mod.startswith(prefix + ".")


def _has_doc(obj):
    return bool((getattr(obj, "__doc__", None) or "").strip())


def undocumented(modules, prefix="mytorch"):
    """{qualified name: defining module} of every public callable of `modules` (defined under `prefix`) without a
    docstring of its own."""
    missing, seen = {}, set()

    def check(qual, obj, module):
        if not _has_doc(obj): missing.setdefault(qual, module)

    def walk_class(cls):
        if cls in seen: return
        seen.add(cls)
        qual = f"{cls.__module__}.{cls.__qualname__}"
        check(qual, cls, cls.__module__)
        for name, value in vars(cls).items():
            dunder = name.startswith("__") and name.endswith("__")
            if name in _IMPLICIT or (name.startswith("_") and not dunder): continue
            if isinstance(value, (staticmethod, classmethod)): value = value.__func__
            if isinstance(value, property):
                check(f"{qual}.{name}", value, getattr(value.fget, "__module__", cls.__module__))
            elif isinstance(value, type):
                if _ours(value, prefix): walk_class(value)
            elif callable(value):
                # our functions (wherever they were written: add_to_class), and anything else (a NumPy ufunc, a
                # builtin slot such as object.__hash__) only if it brings no docstring along
                check(f"{qual}.{name}", value, getattr(value, "__module__", None) or cls.__module__)

    for mod in modules:
        for name in dir(mod):
            if name.startswith("_"): continue
            obj = getattr(mod, name)
            if isinstance(obj, types.ModuleType) or not _ours(obj, prefix): continue
            if isinstance(obj, type): walk_class(obj)
            elif callable(obj):
                check(f"{obj.__module__}.{getattr(obj, '__qualname__', name)}", obj, obj.__module__)
    return missing


def notebook_of(module_name):
    "The notebook an exported module says to edit (nbdev's first line), or the module's file."
    path = Path(sys.modules[module_name].__file__)
    first = path.read_text().split("\n", 1)[0]
    return first.rsplit("/", 1)[-1].rstrip(".") if "File to edit:" in first else path.name


def test_every_public_callable_has_its_own_docstring():
    missing = undocumented(public_modules())
    by_nb = {}
    for qual, module in sorted(missing.items()):
        by_nb.setdefault(notebook_of(module), []).append(qual)
    report = "\n".join(f"  {nb}:\n" + "\n".join(f"    {q}" for q in quals) for nb, quals in sorted(by_nb.items()))
    assert not missing, (f"{len(missing)} public callables have no docstring of their own (`help()` shows nbdev's "
                         f"cell marker or nothing); add one in the notebook's cell:\n{report}")


def test_help_shows_no_nbdev_marker():
    "help(mytorch.Tensor) and help() on every public class and function of the package: no `# %%` cell marker."
    assert "# %%" not in pydoc.render_doc(mytorch.Tensor), "help(mytorch.Tensor) shows an nbdev cell marker"
    shown = []
    for mod in public_modules():
        for name in dir(mod):
            obj = getattr(mod, name)
            if name.startswith("_") or isinstance(obj, types.ModuleType) or not _ours(obj, "mytorch"): continue
            if (isinstance(obj, type) or callable(obj)) and "# %%" in pydoc.render_doc(obj):
                shown.append(f"{mod.__name__}.{name}")
    assert not shown, "help() shows an nbdev cell marker for: " + ", ".join(sorted(set(shown)))


# ------------------------------------------------------------------------------- the checks above can fail
_FAKE = '''
# %% ../nbs/99_fake.ipynb #abc123
def bare(x): return x

def documented(x):
    "Has one."
    return x

class Base:
    "A documented class."
    def method(self):
        "Documented."

class Thing(Base):
    "A documented class."
    def method(self): pass                  # overrides a documented method, without its own docstring
    def __add__(self, other): return self
    def _private(self): pass                # private: not checked
    @property
    def size(self): return 1
    @staticmethod
    def forward(ctx, a): return a
    @classmethod
    def make(cls): return cls()
    __hash__ = object.__hash__               # a builtin slot: brings its own docstring

for _name in ("__sub__", "__mul__"):        # table-driven dunders: only the one given a __doc__ passes
    def _f(self, other): return self
    if _name == "__mul__": _f.__doc__ = "Set in the loop."
    setattr(Thing, _name, _f)

class _Hidden:
    def method(self): pass                  # a private class: not public
'''


def _fake_module(tmp_path):
    pkg = tmp_path / "fakepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "mod.py").write_text(_FAKE)
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module("fakepkg.mod"), importlib.import_module("fakepkg")
    finally:
        sys.path.remove(str(tmp_path))


def test_the_docstring_check_finds_each_kind_of_missing_docstring(tmp_path):
    mod, pkg = _fake_module(tmp_path)
    try:
        found = set(undocumented(public_modules(pkg), prefix="fakepkg"))
        assert found == {f"fakepkg.mod.{n}" for n in ("bare", "Thing.method", "Thing.__add__", "Thing.size",
                                                      "Thing.forward", "Thing.make", "Thing.__sub__")}, found
        assert "# %%" in pydoc.render_doc(mod.bare)        # what the marker test looks for is really shown
        assert "# %%" not in pydoc.render_doc(mod.documented)
    finally:
        for name in ("fakepkg.mod", "fakepkg"): sys.modules.pop(name, None)


def test_the_walk_covers_the_package():
    "The walk reaches every subpackage and the names users meet first."
    names = {m.__name__ for m in public_modules()}
    assert {"mytorch", "mytorch.nn", "mytorch.nn.functional", "mytorch.nn.init", "mytorch.optim",
            "mytorch.optim.lr_scheduler", "mytorch.utils.data", "mytorch.autograd", "mytorch.datasets",
            "mytorch.testing"} <= names
    assert not any(part.startswith("_") for n in names for part in n.split(".")[1:])
    # a Tensor dunder and an op class's step are among the checked names: remove their docstrings and the
    # check reports them
    add, fwd = mytorch.Tensor.__add__, mytorch.autograd.function.Mul.forward
    saved = add.__doc__, fwd.__doc__
    try:
        add.__doc__ = fwd.__doc__ = None
        found = undocumented([mytorch])
        assert "mytorch._tensor.Tensor.__add__" in found
        found = undocumented(public_modules())
        assert "mytorch.autograd.function.Mul.forward" in found
    finally:
        add.__doc__, fwd.__doc__ = saved
