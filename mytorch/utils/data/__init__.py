"""mytorch.utils.data: datasets, samplers and `DataLoader` (chapter 7, nbs/07_data), with PyTorch's names.

`from mytorch.utils.data import DataLoader, TensorDataset, random_split`. `BatchedSamples` (a list of samples
that also carries the batch already stacked, so `default_collate` need not loop per sample) is mytorch's own.
"""
from . import dataloader
from .dataloader import (Dataset, TensorDataset, Subset, ConcatDataset, random_split, Sampler, SequentialSampler,
                         RandomSampler, BatchSampler, default_collate, default_convert, DataLoader, BatchedSamples)
