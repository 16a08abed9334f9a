"""mytorch: a small PyTorch built from scratch on NumPy, one notebook at a time.

`import mytorch` gives the complete `Tensor` (every chapter's methods) and PyTorch's top-level functions:
`mytorch.tensor`, `mytorch.randn`, `mytorch.no_grad`, `mytorch.cat`, `mytorch.softmax`, ... Everything else stays
in the module that defines it, as in PyTorch: `mytorch.autograd.Function`, `mytorch.autograd.gradcheck`, the op
classes (`mytorch.autograd.basic_ops.Mul`, ...), the helpers the chapters share. The teaching modules
`mytorch.manualgrad` (hand-written layers) and `mytorch.scalar` (the scalar `Value`) are modules only.
"""
__version__ = "0.1.0"

from . import _tensor, testing, autograd, ops, views, pointwise, indexing, creation, viz, manualgrad, scalar
from .autograd import jvp_rules as _jvp_rules   # 04f: the forward-mode rule of every op above
from . import nn                 # chapter 5: import mytorch.nn as nn, as torch.nn
from . import optim              # chapter 6: import mytorch.optim as optim, as torch.optim
from . import utils              # chapter 7: from mytorch.utils.data import DataLoader, as torch.utils.data
from . import serialization      # chapter 8: mytorch.save / mytorch.load, as torch.serialization
from .serialization import save, load, get_rng_state, set_rng_state
from .autograd import function as _function, engine as _engine, basic_ops as _basic_ops
from .autograd import inplace as _inplace_ops
from .viz import draw_graph

# Names the chapters make public for each other (or for `add_to_class`) that PyTorch does not have at its top
# level: they stay in their modules. tests/test_toplevel.py checks that everything else here is a torch name.
_NOT_TOP_LEVEL = {
    "add_to_class", "bool_", "to", "backward", "retain_grad", "unbroadcast", "norm_dims", "expand_back",
    "as_floating", "apply_inplace", "has_internal_overlap", "replay_view", "GradScope", "one_dim",
    "add_", "sub_", "mul_", "div_", "copy_", "unfold", "logsigmoid", "softplus", "size", "dim", "item",
    "tolist", "requires_grad_", "saved_unless_freed", "dual_hooks", "accumulate_grad", "run_backward", "sum_to", "graph_dependencies",
}

def _export(module):
    "Bring `module`'s public names to the top level, except op classes and the names above."
    for name in module.__all__:
        obj = getattr(module, name)
        if name in _NOT_TOP_LEVEL or isinstance(obj, type) and issubclass(obj, autograd.Function):
            continue
        globals()[name] = obj

for _m in (_tensor, _function, _engine, _basic_ops, _inplace_ops, ops, views, pointwise, indexing, creation):
    _export(_m)
del _m

# PyTorch's other names for the dtypes. They would shadow Python's builtins inside a module, so they live only here.
bool = _tensor.bool_
float, double, half = _tensor.float32, _tensor.float64, _tensor.float16
long, int, short = _tensor.int64, _tensor.int32, _tensor.int16
