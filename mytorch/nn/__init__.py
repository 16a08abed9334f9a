"""mytorch.nn: modules, parameters, layers, losses, recurrent layers and attention, with PyTorch's names.

Written in chapters 5, 9, 10 and 11.

`import mytorch.nn as nn`, `import mytorch.nn.functional as F`, `from mytorch.nn import init`.

| module | notebook | what it holds |
|---|---|---|
| `mytorch.nn.module` | 05_nn | `Parameter`, `Module`, `Sequential`, `ModuleList`, `ModuleDict` |
| `mytorch.nn.init` | 05a_init | the initialisers (`kaiming_uniform_`, `xavier_normal_`, ...) |
| `mytorch.nn.functional` | 05b, 05c, 09, 09a, 09b, 11 | activations, `linear`, `dropout`, `embedding`, losses, convolution, pooling, normalization |
| `mytorch.nn.layers` | 05d_layers | `Linear`, `ReLU`, ..., `CrossEntropyLoss`, ..., `summary` |
| `mytorch.nn.conv_layers` | 09c_conv_layers | `Conv2d`, `MaxPool2d`, `BatchNorm2d`, `LayerNorm`, ... (chapter 9) |
| `mytorch.nn.rnn` | 10a_rnn | `RNNCell`, `RNN`, and `RNNBase`, the multi-layer loop LSTM and GRU share (chapter 10) |
| `mytorch.nn.gated` | 10b_lstm | `LSTMCell`, `GRUCell`, `LSTM`, `GRU` (a fused LSTM cell) |
| `mytorch.nn.transformer` | 11a_transformer | `MultiheadAttention`, `TransformerEncoderLayer`, `TransformerEncoder` (chapter 11) |
| `mytorch.nn.utils` | 06c_clip_grad | `clip_grad_norm_`, `clip_grad_value_` (chapter 6) |
"""
from . import functional, init, utils
from .module import Parameter, Module, Sequential, ModuleList, ModuleDict
from .layers import *
from .conv_layers import *
from .rnn import *
from .gated import *
from . import transformer
from .transformer import MultiheadAttention, TransformerEncoderLayer, TransformerEncoder
# written with the layer in 11a; torch.nn.functional has it, so F has it too
functional.multi_head_attention_forward = transformer.multi_head_attention_forward
