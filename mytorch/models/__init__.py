"""mytorch.models: the character models of Part III, built and trained in the book.

`from mytorch.models import CharLSTM, GPT, GPTConfig`. PyTorch itself ships no models; these follow the shape of
well-known small ones (Karpathy's char-rnn and nanoGPT) on mytorch's own layers.

| module | notebook | what it holds |
|---|---|---|
| `mytorch.models.char_rnn` | 10c_char_lstm | `CharLSTM`: embedding, `nn.LSTM`, a linear head, and `generate` (chapter 10) |
| `mytorch.models.gpt` | 11b_gpt | `GPTConfig`, `GPT` and its blocks (`CausalSelfAttention`, `MLP`, `Block`), `generate` (chapter 11) |
"""
from .char_rnn import *
from .gpt import *

__all__ = [*char_rnn.__all__, *gpt.__all__]
