"""mytorch: a small PyTorch built from scratch on NumPy, one notebook at a time.

`import mytorch` gives the complete `Tensor` (every chapter's methods) and PyTorch-style functions:
`mytorch.tensor`, `mytorch.randn`, `mytorch.no_grad`, `mytorch.cat`, `mytorch.softmax`, ...
The teaching modules `mytorch.manualgrad` (hand-written layers) and `mytorch.scalar` (the scalar `Value`)
are imported as modules, not star-imported: their names (`Linear`, `MLP`, ...) belong to their chapters.
"""
__version__ = "0.1.0"

from .autograd import *          # Tensor, Function, the engine, grad mode, dtypes, promotion, creation, gradcheck
from .ops import *               # reductions, shape ops and views, indexing, cat/stack/where/softmax (chapter 05)
from .views import *             # Tensor.unfold, _is_view (05a: views, storage and in-place)
from .pointwise import *         # elementwise math, comparisons, logical/bitwise ops, operators (05b)
from .indexing import *          # gather/scatter, sort/topk, scans, flips, einsum and matrix products (05c)
from .creation import *          # from_numpy, random sampling, conversions, function forms of the methods (05d)
from . import autograd, ops, views, pointwise, indexing, creation, manualgrad, scalar
from .viz import draw_graph
from . import viz

# PyTorch's other names for the dtypes. They would shadow Python's builtins inside a module, so they live only here.
bool = bool_
float, double, half = float32, float64, float16
long, int, short = int64, int32, int16
