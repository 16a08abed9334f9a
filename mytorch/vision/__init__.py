"""mytorch.vision: image helpers with torchvision's names (chapter 9).

`from mytorch.vision.utils import make_grid`, as `torchvision.utils.make_grid` (also `mytorch.vision.make_grid`).

| module | notebook | what it holds |
|---|---|---|
| `mytorch.vision.utils` | 09d_cnn | `make_grid` |
"""
from . import utils
from .utils import make_grid
