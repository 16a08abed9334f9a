"""mytorch.autograd: the reverse-mode engine of chapter 03 and the forward mode and higher-order gradients of
chapter 04 (sections e-h), one module per notebook.

| module | notebook | what it holds |
|---|---|---|
| `mytorch._tensor` | 03_tensor | `Tensor`, `tensor()`, dtypes, promotion, creation functions |
| `mytorch.autograd.function` | 03a_function | grad mode, `Function`/ctx, `Add`, `Mul` |
| `mytorch.autograd.engine` | 03c_engine | `unbroadcast`, the backward sweep, `Tensor.backward` |
| `mytorch.autograd.gradcheck` | 03d_gradcheck | `gradcheck` (raising `mytorch.testing.GradcheckError`) |
| `mytorch.autograd.basic_ops` | 03e_basic_ops | `- / ** @`, `sum`, `mean`, elementwise functions, casts |
| `mytorch.autograd.inplace` | 03f_inplace | in-place ops, version counters, views, custom Functions |
| `mytorch.autograd.forward_ad` | 04e_forward_ad | forward mode: `dual_level`, `make_dual`, `unpack_dual`, the `jvp` rules of chapter 3 |
| `mytorch.autograd.jvp_rules` | 04f_jvp_rules | the `jvp` rules of chapter 4's ops (imported by `mytorch`, after those ops) |
| `mytorch.autograd.graph` | 04g_higher_order | `grad`, `create_graph=True` (double backward), gradient hooks, the grown sweep |
| `mytorch.autograd.functional` | 04h_functional | `vjp`, `jvp`, `jacobian`, `hessian`, `hvp`, `vhp` |

Like `torch.autograd`, the package itself offers `Function`, `backward`, `grad`, `gradcheck`, `no_grad`,
`enable_grad`, `set_grad_enabled` and `is_grad_enabled`, and the submodules `forward_ad` and `functional`;
everything else lives in its module.
"""
from . import function, engine, gradcheck as _gradcheck_module, basic_ops, inplace
from . import forward_ad, graph, functional
from .function import Function, no_grad, enable_grad, set_grad_enabled, is_grad_enabled
from .graph import grad, backward
from .gradcheck import gradcheck, GradcheckError

__all__ = ["Function", "backward", "grad", "gradcheck", "GradcheckError", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled"]
