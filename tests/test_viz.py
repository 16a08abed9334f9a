"""Chapter 04: draw_graph returns a graphviz.Digraph with one box per graph node and clear errors without Graphviz."""
import shutil
import sys

import graphviz
import numpy as np
import pytest
import torch  # noqa: F401  (the test environment must have the oracle; see conventions)

import mytorch
from mytorch.autograd import _graph_dependencies
from mytorch.viz import draw_graph


def small_loss():
    mytorch.manual_seed(0)
    W = mytorch.randn(3, 4, requires_grad=True)
    b = mytorch.zeros(4, requires_grad=True)
    x = mytorch.randn(2, 3)
    h = x @ W + b
    loss = (h.tanh() * h).mean()
    return loss, {"W": W, "b": b}


def test_draw_graph_structure():
    loss, params = small_loss()
    g = draw_graph(loss, params)
    assert isinstance(g, graphviz.Digraph)
    src = g.source
    assert src.count("fillcolor=lightgrey") == len(_graph_dependencies(loss.grad_fn))
    assert src.count("fillcolor=lightblue") == 2 and src.count("fillcolor=palegreen") == 1
    for label in ["MmBackward0", "AddBackward", "TanhBackward", "MulBackward", "MeanBackward", "W\\n(3, 4)", "b\\n(4,)", "(2, 4)"]:
        assert label in src, label
    h_node = [n for n in _graph_dependencies(loss.grad_fn) if n.name() == "AddBackward0"][0]
    assert sum(l.strip().startswith(f"res{id(h_node)} ->") for l in src.splitlines()) == 2   # h feeds tanh and the product
    assert b"<svg" in g.pipe(format="svg")
    assert "image/svg+xml" in g._repr_mimebundle_()


def test_draw_graph_leaf_and_no_grad():
    assert "no graph" in draw_graph(mytorch.tensor([1.0])).source
    leaf = mytorch.tensor([1.0], requires_grad=True)
    src = draw_graph(leaf).source
    assert "palegreen" in src and "lightgrey" not in src


def test_draw_graph_errors(monkeypatch):
    loss, _ = small_loss()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        draw_graph(loss)
    monkeypatch.undo()
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match="pip install graphviz"):
        draw_graph(loss)
    monkeypatch.undo()
    with pytest.raises(TypeError, match="expected a mytorch Tensor"):
        draw_graph(np.ones(2))
    y = mytorch.tensor([1.0], requires_grad=True)
    for _ in range(30): y = y * 2.0
    with pytest.raises(ValueError, match="max_nodes"):
        draw_graph(y, max_nodes=10)
