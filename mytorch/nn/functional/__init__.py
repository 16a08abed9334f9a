"""mytorch.nn.functional: the stateless functions behind the layers and losses, as `torch.nn.functional`.

`import mytorch.nn.functional as F`. Written in six notebooks: activations and the other layer functions
(`mytorch.nn.functional.activation`, 05b), the losses (`mytorch.nn.functional.loss`, 05c), convolutions and
im2col (`mytorch.nn.functional.conv`, 09), pooling (`mytorch.nn.functional.pooling`, 09a), the
normalizations and channel dropout (`mytorch.nn.functional.normalization`, 09b) and attention
(`mytorch.nn.functional.attention`, 11). `multi_head_attention_forward` is written with the layer in 11a
(`mytorch.nn.transformer`); `mytorch.nn` adds it here, where PyTorch keeps it.
"""
from .activation import *
from .loss import *
from .conv import *
from .pooling import *
from .normalization import *
from .attention import *
