"""mytorch.utils: data loading (chapter 7). `from mytorch.utils.data import DataLoader`, as in PyTorch."""
from . import data
