"""mytorch.nn.functional: the stateless functions behind the layers and losses, as `torch.nn.functional`.

`import mytorch.nn.functional as F`. Written in two notebooks: activations and the other layer functions
(`mytorch.nn.functional.activation`, 05b) and the losses (`mytorch.nn.functional.loss`, 05c).
"""
from .activation import *
from .loss import *
