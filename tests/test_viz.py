"""Section 03b (graph drawing): draw_graph returns a graphviz.Digraph with one box per graph node; its
options show values (show_data), gradients (show_grad), notes (annotate) and highlights; long chains collapse;
figures fit the book's column; bad arguments and a missing Graphviz give clear errors; the section's exercise
checks pass on the worked solutions and fail on wrong answers."""
import io
import json
import re
import shutil
import sys
import tokenize
from pathlib import Path

import graphviz
import numpy as np
import pytest
import torch

import mytorch
from mytorch import Tensor, tensor
from mytorch.viz import draw_graph

NB = Path(__file__).resolve().parents[1] / "nbs" / "03b_viz.ipynb"


# ---------------------------------------------------------------- helpers
def elements(src):
    """{element id: (label, attributes)} for every node statement of a DOT source."""
    out = {}
    for line in src.splitlines():
        m = re.match(r'\s*(\S+) \[label=("(?:[^"\\]|\\.)*"|\S+)(.*)\]$', line)
        if m:
            label = m[2][1:-1] if m[2].startswith('"') else m[2]
            out[m[1]] = (label, m[3])
    return out


def arrows(src):
    return [tuple(line.strip().split(" -> ")) for line in src.splitlines() if " -> " in line]


def label_of(src, eid):
    return elements(src)[eid][0]


def g4(x):
    "Python's 4-significant-digit formatting, as the labels use."
    return f"{float(x):.4g}"


def small_loss():
    mytorch.manual_seed(0)
    W = mytorch.randn(3, 4, requires_grad=True)
    b = mytorch.zeros(4, requires_grad=True)
    x = mytorch.randn(2, 3)
    h = x @ W + b
    loss = (h.tanh() * h).mean()
    return loss, {"W": W, "b": b}, h


def micrograd(lib):
    "micrograd's example e = a b, d = e + c, L = d f on library `lib` (mytorch or torch)."
    a, b, c, f = (lib.tensor(v, requires_grad=True) for v in (2.0, -3.0, 10.0, -2.0))
    e = a * b
    d = e + c
    L = d * f
    return dict(a=a, b=b, c=c, f=f, e=e, d=d, L=L)


def chain(n, op="mul"):
    y = tensor([1.0, 2.0], requires_grad=True)
    for _ in range(n): y = y * 1.001 if op == "mul" else y.exp()
    return y


# ---------------------------------------------------------------- structure
def test_draw_graph_structure():
    loss, params, h = small_loss()
    g = draw_graph(loss, params)
    assert isinstance(g, graphviz.Digraph)
    src = g.source
    assert src.count("fillcolor=lightgrey") == 5        # mm, add, tanh, mul, mean
    assert src.count("fillcolor=lightblue") == 2 and src.count("fillcolor=palegreen") == 1
    for label in ["MmBackward0", "AddBackward0", "TanhBackward0", "MulBackward0", "MeanBackward0",
                  "W\\n(3, 4)", "b\\n(4,)", "(2, 4)"]:
        assert label in src, label
    # the same op names as PyTorch's graph of the same expression
    tW = torch.randn(3, 4, requires_grad=True)
    th = torch.randn(2, 3) @ tW + torch.zeros(4, requires_grad=True)
    tl = (th.tanh() * th).mean()
    names, stack = set(), [tl.grad_fn]
    while stack:
        n = stack.pop()
        if n.name() != "torch::autograd::AccumulateGrad":
            names.add(n.name())
        stack += [f for f, _ in n.next_functions if f is not None]
    assert names == {"MmBackward0", "AddBackward0", "TanhBackward0", "MulBackward0", "MeanBackward0"}
    # h feeds tanh and the product
    assert sum(a == f"res{id(h.grad_fn)}" for a, _ in arrows(src)) == 2
    assert b"<svg" in g.pipe(format="svg")
    assert "image/svg+xml" in g._repr_mimebundle_()


def test_draw_graph_leaf_and_no_grad():
    assert "no graph" in draw_graph(mytorch.tensor([1.0])).source
    leaf = mytorch.tensor([1.0], requires_grad=True)
    src = draw_graph(leaf).source
    assert "palegreen" in src and "lightgrey" not in src and "no graph" not in src


def test_layout_fits_the_column():
    loss, params, _ = small_loss()
    src = draw_graph(loss, params).source
    assert "rankdir=TB" in src and 'size="7.3,100"' in src
    assert "rankdir=LR" in draw_graph(loss, params, "LR").source    # today's positional use
    assert "rankdir=LR" in draw_graph(loss, rankdir="LR").source
    # natural width at most ~700 px (525 pt) for the section's figures, even a wide one
    mytorch.manual_seed(1)
    xs = [mytorch.randn(3, requires_grad=True) for _ in range(12)]
    wide = sum((x.exp() for x in xs[1:]), xs[0].exp()).sum()
    for root in (loss, wide):
        svg = draw_graph(root, show_data=True).pipe(format="svg").decode()
        width = float(re.search(r'<svg width="([\d.]+)pt"', svg)[1])
        assert width <= 7.3 * 72 + 1, width
    # the notebook's figures, at their natural width: no shrinking by `size`
    ex, ts = running_example(mytorch), micrograd(mytorch)
    notes = {ts["e"].grad_fn: "∂e/∂a = b, ∂e/∂b = a", ts["d"].grad_fn: "∂d/∂e = ∂d/∂c = 1",
             ts["L"].grad_fn: "∂L/∂d = f, ∂L/∂f = d", ts["a"]: "a leaf"}
    for g in (draw_graph(ex["out"], ex), draw_graph(ex["total"], ex, show_data=True),
              draw_graph(ts["L"], ts, show_data=True, annotate=notes, highlight={ts["d"].grad_fn})):
        svg = g.pipe(format="svg").decode()
        assert float(re.search(r'<svg width="([\d.]+)pt"', svg)[1]) <= 525
        assert 'scale(1 1)' in svg


# ---------------------------------------------------------------- the notebook's running example
def running_example(lib):
    "03b's example: h = x * w + b (broadcast), out = h * h + h * 2.0, total = out + h.detach() * 10."
    x = lib.tensor([[1.0, 2.0, 3.0], [-1.0, 0.0, 0.5]])
    w = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
    b = lib.tensor([1.0], requires_grad=True)
    h = x * w + b
    out = h * h + h * 2.0
    total = out + h.detach() * 10.0
    return dict(w=w, b=b, h=h, out=out, total=total)


def torch_nodes(root):
    "The nodes of a torch graph (AccumulateGrad left out, as our leaves are their own boxes)."
    seen, stack = [], [root.grad_fn]
    while stack:
        n = stack.pop()
        if n is None or any(n is m for m in seen) or "AccumulateGrad" in n.name():
            continue
        seen.append(n)
        stack += [f for f, _ in n.next_functions]
    return seen


def test_running_example_matches_torch_and_the_prose():
    ours, theirs = running_example(mytorch), running_example(torch)
    src = draw_graph(ours["total"], {k: ours[k] for k in "wbh"}).source
    els, arr = elements(src), arrows(src)
    ops = sorted(label for label, attrs in els.values() if "lightgrey" in attrs)
    assert ops == sorted(n.name() for n in torch_nodes(theirs["total"]))   # 3 Add, 3 Mul
    # h: three outgoing arrows, as torch's graph has three edges from h's node
    assert sum(a == f"res{id(ours['h'].grad_fn)}" for a, _ in arr) == 3
    assert sum(f is theirs["h"].grad_fn for n in torch_nodes(theirs["total"])
               for f, _ in n.next_functions) == 3
    # the detached term: no node, and the top Add has one input in the graph (torch: None)
    top = str(id(ours["total"].grad_fn))
    assert [a for a, b in arr if b == top] == [f"res{id(ours['out'].grad_fn)}"]
    assert theirs["total"].grad_fn.next_functions[1][0] is None
    assert ours["total"].grad_fn.next_functions[1] is None
    # the leaves keep their shapes; every result has the broadcast shape; x is not drawn
    assert label_of(src, f"leaf{id(ours['w'])}") == "w\\n(3,)"
    assert label_of(src, f"leaf{id(ours['b'])}") == "b\\n(1,)"
    assert sum(label.endswith("(2, 3)") for label, _ in els.values()) == 6
    assert len(els) == 6 + 2 + 6         # operations, leaves, 5 results and the output


def test_draw_graph_needs_nothing_from_the_engine(monkeypatch):
    "03b comes before the engine: a node without the engine's `_retained` attribute is drawn."
    from mytorch.autograd.function import Function
    monkeypatch.delattr(Function, "_retained")
    ex = running_example(mytorch)
    assert not hasattr(ex["h"].grad_fn, "_retained")
    src = draw_graph(ex["out"], {"h": ex["h"]}, show_data=True).source
    assert label_of(src, f"res{id(ex['h'].grad_fn)}") == "h\\n(2, 3)\\ndata [[1.5, -1, 7],\\n[0.5, 1, 2]]"


def _code(cell_source):
    "The Python tokens of a code cell, without strings, comments and `#|` directives."
    toks = tokenize.generate_tokens(io.StringIO(cell_source).readline)
    return [t for t in toks if t.type not in (tokenize.STRING, tokenize.COMMENT, tokenize.NL,
                                              tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)]


def test_notebook_uses_only_what_the_reader_has_built():
    """03b follows 03_tensor and 03a_function: Tensor, Function, + and * (broadcasting), detach. No
    operation of 03e, no backward or retain_grad (03c), and the checks' helpers from mytorch.testing."""
    later = {"sum", "mean", "exp", "log", "sin", "cos", "tanh", "relu", "sigmoid", "pow", "matmul",
             "backward", "retain_grad", "T", "_retained"}
    wrong = []
    cells = [c for c in json.loads(NB.read_text())["cells"] if c["cell_type"] == "code"]
    for c in cells:
        toks = _code("".join(c["source"]))
        for prev, t in zip(toks, toks[1:]):
            if prev.string == "." and t.string in later:
                wrong.append(f"{c['id']}: .{t.string}")
            if t.string == "_retained":
                wrong.append(f"{c['id']}: _retained (use getattr)")
            if t.string == "@" or (t.string == "**" and prev.string not in "{(,"):
                wrong.append(f"{c['id']}: {t.string}")
    assert not wrong, wrong
    text = "\n".join("".join(c["source"]) for c in cells)
    assert "from mytorch.testing import test_eq, test_close, test_fail" in text
    assert not re.search(r"^def (test_eq|test_close|test_fail|_same)\(", text, re.M)
    plumbing = [c for c in cells if re.search(r"^def (_check_args|_element)\(", "".join(c["source"]), re.M)]
    assert len(plumbing) == 2
    assert all("".join(c["source"]).startswith("#| export\n#| code-fold: true\n") for c in plumbing)


# ---------------------------------------------------------------- show_data
def test_show_data_scalars_match_torch():
    ours, theirs = micrograd(mytorch), micrograd(torch)
    src = draw_graph(ours["L"], ours, show_data=True).source
    for k, t in theirs.items():
        eid = ("out" if k == "L" else "res" if t.grad_fn is not None else "leaf")
        eid += str(id(ours[k])) if eid in ("out", "leaf") else str(id(ours[k].grad_fn))
        assert label_of(src, eid) == f"{k}\\n()\\ndata {g4(t.item())}"
    assert "data" not in draw_graph(ours["L"], ours).source


def test_show_data_small_and_large_tensors():
    x = tensor([0.123456, 2.0, -7.5, 1e-7], requires_grad=True)
    src = draw_graph(x * 2.0, {"x": x}, show_data=True).source
    want = "[" + ", ".join(g4(v) for v in x.array) + "]"
    assert label_of(src, f"leaf{id(x)}") == f"x\\n(4,)\\ndata {want}"
    assert want == "[0.1235, 2, -7.5, 1e-07]"
    m = tensor([[1.0, 2.5], [3.0, 4.0]], requires_grad=True)
    assert "data [[1, 2.5],\\n[3, 4]]" in draw_graph(m.sum(), show_data=True).source
    big = mytorch.randn(5, 16, requires_grad=True)
    src = draw_graph(big.sum(), {"big": big}, show_data=True).source
    a = big.array
    assert label_of(src, f"leaf{id(big)}") == f"big\\n(5, 16)\\ndata min {g4(a.min())} max {g4(a.max())}"
    six, seven = (mytorch.arange(float(n)).requires_grad_() for n in (6, 7))
    assert "data [0, 1, 2, 3, 4, 5]" in draw_graph(six.sum(), show_data=True).source
    assert "data min 0 max 6" in draw_graph(seven.sum(), show_data=True).source
    # a result that is neither named nor retained: shape only
    y = x * 2.0
    src = draw_graph(y.sum(), show_data=True).source
    assert label_of(src, f"res{id(y.grad_fn)}") == "(4,)"
    # root without a graph, int and bool dtypes, empty tensors
    assert "data [1, 2]" in draw_graph(tensor([1, 2]), show_data=True).source
    assert "data [True, False]" in draw_graph(tensor([True, False]), show_data=True).source
    assert "data empty" in draw_graph(mytorch.zeros(0, 3), show_data=True).source


# ---------------------------------------------------------------- show_grad
def test_show_grad_after_backward_matches_torch():
    ours, theirs = micrograd(mytorch), micrograd(torch)
    for lib_ts in (ours, theirs):
        for k in "ed": lib_ts[k].retain_grad()
        lib_ts["L"].backward()
    src = draw_graph(ours["L"], {k: ours[k] for k in "abcf"}, show_grad=True).source
    for k in "abcf":
        assert label_of(src, f"leaf{id(ours[k])}") == f"{k}\\n()\\ngrad {g4(theirs[k].grad.item())}"
    # retained non-leaves are known through their node, named or not
    for k in "ed":
        assert label_of(src, f"res{id(ours[k].grad_fn)}") == f"()\\ngrad {g4(theirs[k].grad.item())}"
    assert "grad" not in draw_graph(ours["L"], show_grad=False).source


def test_show_grad_vectors_and_missing_grads():
    mytorch.manual_seed(0)
    W = mytorch.randn(3, 4, requires_grad=True)
    x = mytorch.randn(2, 3)
    y = (x @ W).tanh()
    y.retain_grad()
    loss = y.sum()
    src = draw_graph(loss, {"W": W}, show_grad=True).source
    assert "grad" not in src                              # nothing has a gradient yet
    loss.backward()
    tW = torch.tensor(W.array, requires_grad=True)
    (torch.tensor(x.array) @ tW).tanh().sum().backward()
    src = draw_graph(loss, {"W": W}, show_data=True, show_grad=True).source
    g = tW.grad.numpy()
    assert label_of(src, f"leaf{id(W)}").endswith(f"grad min {g4(g.min())} max {g4(g.max())}")
    assert label_of(src, f"res{id(y.grad_fn)}").endswith("grad min 1 max 1")     # (2, 4) ones
    # a hand-set grad on a non-leaf named in params is shown too
    v = tensor([1.0, 2.0], requires_grad=True)
    u = v * 3.0
    u.grad = tensor([0.5, -0.25])
    src = draw_graph(u.sum(), {"u": u}, show_grad=True).source
    assert label_of(src, f"res{id(u.grad_fn)}") == "u\\n(2,)\\ngrad [0.5, -0.25]"


# ---------------------------------------------------------------- annotate / highlight
def test_annotate_every_kind_of_element():
    ts = micrograd(mytorch)
    a, e, d, L = ts["a"], ts["e"], ts["d"], ts["L"]
    notes = {e.grad_fn: "deps = 1", a: "leaf a", d: "result d", L: "the loss", L.grad_fn: "deps = 0"}
    src = draw_graph(L, annotate=notes).source
    assert label_of(src, str(id(e.grad_fn))) == "MulBackward0\\ndeps = 1"
    assert label_of(src, str(id(L.grad_fn))) == "MulBackward0\\ndeps = 0"
    assert label_of(src, f"leaf{id(a)}") == "()\\nleaf a"
    assert label_of(src, f"res{id(d.grad_fn)}") == "()\\nresult d"
    assert label_of(src, f"out{id(L)}") == "output\\n()\\nthe loss"
    assert src.count("deps =") == 2
    # the note comes after values and gradients
    src = draw_graph(L, {"a": a}, show_data=True, annotate={a: 7}).source
    assert label_of(src, f"leaf{id(a)}") == "a\\n()\\ndata 2\\n7"


def test_highlight():
    ts = micrograd(mytorch)
    d, f, L = ts["d"], ts["f"], ts["L"]
    src = draw_graph(L, highlight={d.grad_fn}).source
    els = elements(src)
    assert "fillcolor=gold" in els[str(id(d.grad_fn))][1] and "penwidth=2" in els[str(id(d.grad_fn))][1]
    assert src.count("fillcolor=gold") == 1 and src.count("fillcolor=lightgrey") == 2
    src = draw_graph(L, highlight=[L, f, ts["e"]]).source         # any iterable; tensors too
    els = elements(src)
    for eid in (f"out{id(L)}", f"leaf{id(f)}", f"res{id(ts['e'].grad_fn)}"):
        assert "fillcolor=gold" in els[eid][1], eid
    assert src.count("fillcolor=gold") == 3
    assert "gold" not in draw_graph(L, highlight=set()).source


# ---------------------------------------------------------------- long chains
def test_long_chains_collapse():
    y = chain(1000)
    src = draw_graph(y).source
    els = elements(src)
    ops = [k for k, (_, attrs) in els.items() if "lightgrey" in attrs]
    assert len(ops) == 1 and els[ops[0]][0] == "MulBackward0 ×1000"
    leaf = [k for k in els if k.startswith("leaf")][0]
    assert sorted(arrows(src)) == sorted([(leaf, ops[0]), (ops[0], f"out{id(y)}")])
    assert "×3000" in draw_graph(chain(3000)).source               # default max_nodes
    y = chain(1000)
    y.retain_grad()
    assert "×1000" in draw_graph(y, {"y": y}).source               # naming the root keeps the run
    assert "×" not in draw_graph(chain(5)).source                  # short runs stay
    assert draw_graph(chain(5)).source.count("lightgrey") == 5
    assert "MulBackward0 ×6" in draw_graph(chain(6)).source
    assert "ExpBackward0 ×8" in draw_graph(chain(8, "exp")).source
    # annotate / highlight / params split a run around the kept node
    y = chain(20)
    mid = y.grad_fn
    for _ in range(10): mid = mid.next_functions[0]
    src = draw_graph(y, annotate={mid: "here"}).source
    assert "×10" in src and "×9" in src and "here" in src
    assert "×10" in draw_graph(y, highlight={mid}).source
    # a result used twice ends the run below it; z * z (one input, used once) starts the next
    z = chain(10)
    z = z * z
    for _ in range(10): z = z * 1.001
    assert sorted(re.findall(r"×(\d+)", draw_graph(z).source)) == ["10", "11"]


# ---------------------------------------------------------------- errors
def test_draw_graph_missing_graphviz(monkeypatch):
    loss, _, _ = small_loss()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        draw_graph(loss)
    monkeypatch.undo()
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match="pip install graphviz"):
        draw_graph(loss)


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(root=np.ones(2)), TypeError, "expected a mytorch Tensor"),
    (dict(params=["W"]), TypeError, "params must be a dict"),
    (dict(params={"W": np.ones(2)}), TypeError, "params must be a dict"),
    (dict(rankdir="TD"), ValueError, "rankdir must be"),
    (dict(max_nodes=0), ValueError, "max_nodes must be positive"),
    (dict(max_nodes=2.0), TypeError, "max_nodes must be an int"),
    (dict(max_nodes=True), TypeError, "max_nodes must be an int"),
    (dict(show_data=1), TypeError, "show_data must be True or False"),
    (dict(show_grad="yes"), TypeError, "show_grad must be True or False"),
    (dict(annotate=["x"]), TypeError, "annotate must be a dict"),
    (dict(highlight="MulBackward0"), TypeError, "highlight must be a set"),
    (dict(highlight=7), TypeError, "highlight must be a set"),
])
def test_bad_arguments(kwargs, exc, words):
    loss, _, _ = small_loss()
    kwargs = {"root": loss, **kwargs}
    with pytest.raises(exc) as info:
        draw_graph(**kwargs)
    msg = str(info.value)
    assert msg.startswith("draw_graph:") and words in msg and "hint:" in msg, msg


def test_nodes_not_in_the_graph():
    loss, params, h = small_loss()
    other, _, h2 = small_loss()                          # an earlier forward pass
    for kw in (dict(annotate={other.grad_fn: "x"}), dict(highlight={h2}),
               dict(annotate={mytorch.ones(2, requires_grad=True): "x"}), dict(highlight={"W"})):
        with pytest.raises(ValueError, match=r"^draw_graph: .*not in the graph.*hint:"):
            draw_graph(loss, **kw)
    with pytest.raises(TypeError, match="highlight=\\{node\\}"):
        draw_graph(loss, highlight=h.grad_fn)
    with pytest.raises(TypeError, match="highlight=\\{node\\}"):
        draw_graph(loss, highlight=h)


def test_max_nodes_counts_drawn_boxes():
    y = tensor([1.0], requires_grad=True)
    for _ in range(30): y = y * 2.0 + 1.0                # alternating: nothing collapses
    with pytest.raises(ValueError, match=r"60 operations to draw, more than max_nodes=10; hint"):
        draw_graph(y, max_nodes=10)
    assert draw_graph(y, max_nodes=60).source.count("lightgrey") == 60
    assert "×1000" in draw_graph(chain(1000), max_nodes=1).source   # one box


# ---------------------------------------------------------------- the section's exercises
def _cells():
    return {c["id"]: "".join(c["source"]) for c in json.loads(NB.read_text())["cells"]}


def _exercise_env():
    cells = _cells()
    ns = {"tensor": tensor, "Tensor": Tensor, "draw_graph": draw_graph, "np": np}
    exec(cells["3b000006"].split("long_chain =")[0], ns)  # chain_of
    for cid in ("6e000002", "6e000005", "6e000008"):      # the check functions
        exec(cells[cid], ns)
    return cells, ns


def test_exercise_solutions_are_folded_and_pass():
    cells, ns = _exercise_env()
    for cid in ("6e000003", "6e000006", "6e000009"):
        assert cells[cid].startswith("#| code-fold: true\n")
    exec(cells["8db2a6c5"], ns)                           # the running example `out` and
    exec(cells["0a7c9b91"].splitlines()[0], ns)           # its names: the first solution draws it
    for cid in ("6e000003", "6e000006", "6e000009"):
        exec(cells[cid], ns)


def test_exercise_checks_fail_on_wrong_answers():
    _, ns = _exercise_env()

    def unique_consumers(root):                           # y * y counted once
        count, stack = {root.grad_fn: 0}, [root.grad_fn]
        while stack:
            node = stack.pop()
            for nxt in set(n for n in node.next_functions if n is not None):
                if isinstance(nxt, Tensor): continue
                if nxt in count: count[nxt] += 1
                else: count[nxt] = 1; stack.append(nxt)
        return count
    with pytest.raises(AssertionError, match="MulBackward0: expected 3 consumers, got 2"):
        ns["check_consumers"](unique_consumers)
    with pytest.raises(AssertionError, match="leaves are not nodes"):
        ns["check_consumers"](lambda r: {**unique_consumers(r), tensor(1.0): 1})

    def recursive_depth(root):
        def depth(n):
            ins = [m for m in n.next_functions if m is not None and not isinstance(m, Tensor)]
            return 1 + max((depth(m) for m in ins), default=0)
        return 0 if root.grad_fn is None else depth(root.grad_fn)
    with pytest.raises(AssertionError, match="recursed too deep"):
        ns["check_longest_chain"](recursive_depth)

    def first_seen_depth(root):                           # BFS depth: the shortest path
        if root.grad_fn is None: return 0
        depth, frontier = {root.grad_fn: 1}, [root.grad_fn]
        while frontier:
            n = frontier.pop(0)
            for m in n.next_functions:
                if m is None or isinstance(m, Tensor) or m in depth: continue
                depth[m] = depth[n] + 1; frontier.append(m)
        return max(depth.values())
    with pytest.raises(AssertionError, match="expected 5, got 4"):
        ns["check_longest_chain"](first_seen_depth)

    ts = micrograd(mytorch)
    with pytest.raises(AssertionError, match="L.grad is not set"):
        ns["check_hand_grads"](ts)
    ref = micrograd(torch)
    for k in "ed": ref[k].retain_grad()
    ref["L"].retain_grad()
    ref["L"].backward()
    for k, t in ref.items():
        ts[k].grad = tensor(t.grad.item())
    ns["check_hand_grads"](ts)                            # torch's gradients pass
    ts["a"].grad = tensor(-6.0)                           # a sign slip: dL/da = b * dL/de = 6
    with pytest.raises(AssertionError, match="a.grad is -6, expected 6"):
        ns["check_hand_grads"](ts)
