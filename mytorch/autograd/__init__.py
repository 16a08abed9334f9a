"""mytorch.autograd: the reverse-mode engine of chapter 03, one module per notebook.

| module | notebook | what it holds |
|---|---|---|
| `mytorch._tensor` | 03_tensor | `Tensor`, `tensor()`, dtypes, promotion, creation functions |
| `mytorch.autograd.function` | 03a_function | grad mode, `Function`/ctx, `Add`, `Mul` |
| `mytorch.autograd.engine` | 03c_engine | `unbroadcast`, the backward sweep, `Tensor.backward` |
| `mytorch.autograd.gradcheck` | 03d_gradcheck | `gradcheck` (raising `mytorch.testing.GradcheckError`) |
| `mytorch.autograd.basic_ops` | 03e_basic_ops | `- / ** @`, `sum`, `mean`, elementwise functions, casts |
| `mytorch.autograd.inplace` | 03f_inplace | in-place ops, version counters, views, custom Functions |

Like `torch.autograd`, the package itself offers `Function`, `backward`, `gradcheck`, `no_grad`,
`enable_grad`, `set_grad_enabled` and `is_grad_enabled`; everything else lives in its module.
"""
from . import function, engine, gradcheck as _gradcheck_module, basic_ops, inplace
from .function import Function, no_grad, enable_grad, set_grad_enabled, is_grad_enabled
from .engine import backward
from .gradcheck import gradcheck, GradcheckError

__all__ = ["Function", "backward", "gradcheck", "GradcheckError", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled"]
