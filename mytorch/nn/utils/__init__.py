"""mytorch.nn.utils: gradient clipping (chapter 6, nbs/06c_clip_grad), with PyTorch's names.

`from mytorch.nn.utils import clip_grad_norm_`, or `nn.utils.clip_grad_norm_(model.parameters(), 1.0)`.
"""
from . import clip_grad
from .clip_grad import get_total_norm, clip_grads_with_norm_, clip_grad_norm_, clip_grad_value_
