"""The format of one op-catalog entry (see op_catalog.py)."""
from dataclasses import dataclass, field
from typing import Callable

@dataclass
class OpSpec:
    name: str                     # unique id, used as the pytest id
    fn: Callable                  # fn(lib, *tensors) -> tensor
    shapes: list                  # one shape tuple per tensor input
    domain: str = "real"          # "real": N(0,1); "positive": in [0.5, 2]; "unit": in (-0.9, 0.9); "nonzero": |x| in [0.5, 2]
    grad: bool = True             # False for outputs without a gradient (comparisons, argmax, ...)
    requires_grad: list = field(default_factory=list)  # which inputs need grad; empty = all (when grad)
