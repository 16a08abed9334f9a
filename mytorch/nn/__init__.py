"""mytorch.nn: modules, parameters, layers and losses (chapter 5), with PyTorch's names.

`import mytorch.nn as nn`, `import mytorch.nn.functional as F`, `from mytorch.nn import init`.

| module | notebook | what it holds |
|---|---|---|
| `mytorch.nn.module` | 05_nn | `Parameter`, `Module`, `Sequential`, `ModuleList`, `ModuleDict` |
| `mytorch.nn.init` | 05a_init | the initialisers (`kaiming_uniform_`, `xavier_normal_`, ...) |
| `mytorch.nn.functional` | 05b_functional, 05c_losses | activations, `linear`, `dropout`, `embedding`, losses |
| `mytorch.nn.layers` | 05d_layers | `Linear`, `ReLU`, ..., `CrossEntropyLoss`, ..., `summary` |
"""
from . import functional, init
from .module import Parameter, Module, Sequential, ModuleList, ModuleDict
from .layers import *
