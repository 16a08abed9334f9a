"""mytorch.nn: modules, parameters, layers and losses (chapters 5 and 9), with PyTorch's names.

`import mytorch.nn as nn`, `import mytorch.nn.functional as F`, `from mytorch.nn import init`.

| module | notebook | what it holds |
|---|---|---|
| `mytorch.nn.module` | 05_nn | `Parameter`, `Module`, `Sequential`, `ModuleList`, `ModuleDict` |
| `mytorch.nn.init` | 05a_init | the initialisers (`kaiming_uniform_`, `xavier_normal_`, ...) |
| `mytorch.nn.functional` | 05b, 05c, 09, 09a, 09b | activations, `linear`, `dropout`, `embedding`, losses, convolution, pooling, normalization |
| `mytorch.nn.layers` | 05d_layers | `Linear`, `ReLU`, ..., `CrossEntropyLoss`, ..., `summary` |
| `mytorch.nn.conv_layers` | 09c_conv_layers | `Conv2d`, `MaxPool2d`, `BatchNorm2d`, `LayerNorm`, ... (chapter 9) |
| `mytorch.nn.utils` | 06c_clip_grad | `clip_grad_norm_`, `clip_grad_value_` (chapter 6) |
"""
from . import functional, init, utils
from .module import Parameter, Module, Sequential, ModuleList, ModuleDict
from .layers import *
from .conv_layers import *
