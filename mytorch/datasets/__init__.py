"""mytorch.datasets: data sets with torchvision's names (chapters 7 and 10).

`from mytorch.datasets import FashionMNIST, Shakespeare` (the modules below re-exported, as
`torchvision.datasets` does).

| module | notebook | what it holds |
|---|---|---|
| `mytorch.datasets.mnist` | 07a_datasets | `MNIST`, `FashionMNIST`, `read_idx`, `write_idx`, `atomic_write`, `fetch_verified` |
| `mytorch.datasets.text` | 10_sequences | `Shakespeare` (the character-level corpus of Part III) |
"""
from .mnist import *
from .text import *
