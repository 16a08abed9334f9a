"""`import mytorch` holds PyTorch's public names (and the course's modules), nothing else: the op classes stay in
their modules, and helpers such as `to`, `backward`, `add_to_class` or `unbroadcast` do not leak to the top level."""
import types

import torch

import mytorch

# The course's own modules, and the few mytorch names PyTorch does not have at its top level (documented in the
# intro). Everything else at mytorch's top level must be a name torch has at its top level.
MODULES = {"autograd", "testing", "viz", "manualgrad", "scalar", "ops", "views", "pointwise", "indexing", "nn", "optim",
           "utils", "serialization", "datasets", "train", "vision",
           "creation", "models"}
EXTRAS = {"Tensor", "device", "draw_graph"}


def test_every_public_top_level_name_is_torch_s():
    extra = sorted(n for n in dir(mytorch) if not n.startswith("_") and n not in MODULES | EXTRAS
                   and not hasattr(torch, n))
    assert not extra, f"not PyTorch top-level names: {extra}"


def test_modules_at_top_level_are_the_course_s():
    mods = {n for n in dir(mytorch) if isinstance(getattr(mytorch, n), types.ModuleType)
            and not n.startswith("_")}
    assert mods <= MODULES | {"np"} and "np" not in mods, sorted(mods - MODULES)


def test_no_function_class_at_top_level():
    classes = [n for n in dir(mytorch) if isinstance(getattr(mytorch, n), type)
               and issubclass(getattr(mytorch, n), mytorch.autograd.Function)]
    assert classes == [], classes


def test_torch_autograd_names_live_in_mytorch_autograd():
    for name in ["Function", "gradcheck", "no_grad", "enable_grad", "set_grad_enabled"]:
        assert hasattr(torch.autograd, name) and hasattr(mytorch.autograd, name), name
