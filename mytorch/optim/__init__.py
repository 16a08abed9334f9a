"""mytorch.optim: optimizers and learning-rate schedules (chapter 6), with PyTorch's names.

`import mytorch.optim as optim`, `from mytorch.optim import lr_scheduler`.

| module | notebook | what it holds |
|---|---|---|
| `mytorch.optim.optimizer` | 06_optim | `Optimizer`: param groups, state, `zero_grad`, `step`, `state_dict` |
| `mytorch.optim.sgd` | 06a_sgd | `SGD` (momentum, Nesterov, weight decay) |
| `mytorch.optim.adaptive` | 06b_adaptive | `Adagrad`, `RMSprop`, `Adam`, `AdamW` |
| `mytorch.optim.lr_scheduler` | 06d_lr_scheduler | `StepLR`, ..., `OneCycleLR`, `ReduceLROnPlateau` |
"""
from . import lr_scheduler
from .optimizer import Optimizer
from .sgd import SGD
from .adaptive import Adagrad, RMSprop, Adam, AdamW
