"""Tests for mytorch.scalar: the scalar `Value` engine, its backward orders and the tiny MLP.

Gradients are checked against PyTorch (float64 scalars) and against central finite differences."""
import math

import numpy as np
import pytest
import torch

from mytorch.manualgrad import GradcheckError
from mytorch.scalar import MLP, Value, gated_order, gradcheck, topo_sort


# ----------------------------------------------------------------------------- helpers
def value_grads(f, xs):
    "f at the floats xs with Values: (output, [d out / d x_i])."
    vs = [Value(x) for x in xs]
    out = f(*vs)
    out.backward()
    return out.data, [v.grad for v in vs]


def torch_grads(f, xs):
    "The same with float64 torch scalars (an input that does not reach the output gets 0)."
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = f(*ts)
    out.backward()
    return out.item(), [0.0 if t.grad is None else t.grad.item() for t in ts]


def fd_grads(f, xs, h=1e-6):
    "Central finite differences of f (built from Values) at the floats xs."
    grads = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += h
        down[i] -= h
        grads.append((f(*map(Value, up)).data - f(*map(Value, down)).data) / (2 * h))
    return grads


def anyx(rng): return rng.uniform(-2, 2)
def pos(rng): return rng.uniform(0.2, 3)
def nonzero(rng): return rng.choice([-1, 1]) * rng.uniform(0.3, 2)


def _diamond(a):
    return a.tanh() * a.exp()


# Each case is written once and run on both Values and torch tensors: the method names
# (exp, log, relu, tanh, sigmoid) and Python operators are the same for both.
CASES = {
    'x + y': (lambda x, y: x + y, [anyx, anyx]),
    'x + 2.5': (lambda x: x + 2.5, [anyx]),
    '2.5 + x': (lambda x: 2.5 + x, [anyx]),
    'x - y': (lambda x, y: x - y, [anyx, anyx]),
    'x - 1.5': (lambda x: x - 1.5, [anyx]),
    '1.5 - x': (lambda x: 1.5 - x, [anyx]),
    '-x': (lambda x: -x, [anyx]),
    'x * y': (lambda x, y: x * y, [anyx, anyx]),
    'x * 3': (lambda x: x * 3, [anyx]),
    '3 * x': (lambda x: 3 * x, [anyx]),
    'x / y': (lambda x, y: x / y, [anyx, nonzero]),
    'x / 4': (lambda x: x / 4, [anyx]),
    '4 / x': (lambda x: 4 / x, [nonzero]),
    'x ** 3': (lambda x: x ** 3, [anyx]),
    'x ** -2': (lambda x: x ** -2, [nonzero]),
    'x ** 2.5': (lambda x: x ** 2.5, [pos]),
    '2 ** x': (lambda x: 2 ** x, [anyx]),
    '0.5 ** x': (lambda x: 0.5 ** x, [anyx]),
    'x ** y': (lambda x, y: x ** y, [pos, anyx]),
    'exp': (lambda x: x.exp(), [anyx]),
    'log': (lambda x: x.log(), [pos]),
    'relu': (lambda x: x.relu(), [anyx]),
    'tanh': (lambda x: x.tanh(), [anyx]),
    'sigmoid': (lambda x: x.sigmoid(), [anyx]),
    # shared subexpressions
    'x * x + x': (lambda x: x * x + x, [anyx]),
    'x * y + x / y - y': (lambda x, y: x * y + x / y - y, [anyx, nonzero]),
    'diamond': (_diamond, [anyx]),
    'deep diamond': (lambda x: _diamond(3 * x + x ** 2), [anyx]),
    'f(x, y)': (lambda x, y: ((x - y) ** 3 + y.exp()).relu() + y, [anyx, anyx]),
    'mixed': (lambda x, y, z: (x * y + 1) / (y * y + 1) - (x ** 2).tanh() * z.sigmoid() + (x - z).exp().log(),
              [anyx, anyx, anyx]),
}


# ----------------------------------------------------------------------------- ops vs torch and FD
@pytest.mark.parametrize('name', list(CASES))
def test_op_matches_torch_and_finite_differences(name):
    f, samplers = CASES[name]
    rng = np.random.default_rng(list(CASES).index(name))
    for _ in range(15):
        xs = [float(s(rng)) for s in samplers]
        out, grads = value_grads(f, xs)
        t_out, t_grads = torch_grads(f, xs)
        np.testing.assert_allclose(out, t_out, rtol=1e-12, atol=1e-12, err_msg=f'{name} value at {xs}')
        np.testing.assert_allclose(grads, t_grads, rtol=1e-10, atol=1e-12, err_msg=f'{name} grad at {xs}')
        np.testing.assert_allclose(grads, fd_grads(f, xs), rtol=1e-5, atol=1e-6, err_msg=f'{name} FD at {xs}')


@pytest.mark.parametrize('a, b', [(0.0, 2.0), (0.0, 0.0), (0.0, 0.5), (-2.0, 2.0), (-2.0, 3.0), (2.0, -1.5)])
def test_pow_edge_cases_like_torch(a, b):
    out, grads = value_grads(lambda x, y: x ** y, [a, b])
    t_out, t_grads = torch_grads(lambda x, y: x ** y, [a, b])
    np.testing.assert_allclose([out] + grads, [t_out] + t_grads)   # nan == nan and inf == inf here


@pytest.mark.parametrize('a, b', [(1.0, 1e200), (1e200, 1e200), (-3.0, 1e160), (3.0, 1e-200), (2.0, -1e-170),
                                  (1e-300, 1e-200), (0.7, -1.3)])
def test_division_with_extreme_divisors_like_torch(a, b):
    "The derivative -(a/b)/b does not overflow or divide by zero where -a/b**2 would; it agrees with torch."
    for f in (lambda x, y: x / y, lambda x, y: x * (1 / y)):
        out, grads = value_grads(f, [a, b])
        t_out, t_grads = torch_grads(f, [a, b])
        np.testing.assert_allclose([out] + grads, [t_out] + t_grads, rtol=1e-14)
    x = Value(b)
    y = a / x                                            # __rtruediv__ with a number on the left
    y.backward()
    assert x.grad == pytest.approx(-(a / b) / b, rel=1e-15)


def test_constants_are_not_nodes():
    x = Value(2.0)
    for expr in (x + 1, 1 + x, x - 1, 1 - x, 2 * x, x * 2, x / 2, 2 / x, x ** 2, 2 ** x):
        assert expr._prev == (x,)
    assert (x * x)._prev == (x, x)


def test_bad_input_errors():
    with pytest.raises(TypeError, match='real number'): Value('1')
    with pytest.raises(TypeError, match='unsupported operand'): Value(1.0) + 'a'
    with pytest.raises(TypeError, match=r"for \*: 'NoneType' and 'Value'"): None * Value(1.0)
    with pytest.raises(ValueError, match='log'): Value(-1.0).log()
    with pytest.raises(ValueError, match='log'): Value(0.0).log()
    with pytest.raises(ValueError, match='pow'): Value(-8.0) ** (1 / 3)
    with pytest.raises(OverflowError, match='exp'): Value(1000.0).exp()


def test_leaf_grads_accumulate_like_torch():
    x = Value(1.5)
    y = x * x + x
    y.backward()
    y.backward()
    tx = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    ty = tx * tx + tx
    ty.backward(retain_graph=True)
    ty.backward()
    assert x.grad == pytest.approx(tx.grad.item(), rel=1e-15)
    assert y.grad == 1.0 and y._prev[0].grad == 1.0         # intermediate grads are recomputed, not summed


# ----------------------------------------------------------------------------- fused sigmoid
def test_fused_sigmoid_matches_composed():
    for x0 in np.random.default_rng(1).uniform(-10, 10, 50):
        a, b = Value(x0), Value(x0)
        composed, fused = 1 / (1 + (-a).exp()), b.sigmoid()
        composed.backward()
        fused.backward()
        np.testing.assert_allclose([fused.data, b.grad], [composed.data, a.grad], rtol=1e-12, atol=1e-15)
        assert len(topo_sort(fused)) == 2 < len(topo_sort(composed)) == 5


def test_fused_sigmoid_is_stable_where_composed_overflows():
    x = Value(-1000.0)
    with pytest.raises(OverflowError):
        1 / (1 + (-x).exp())
    s = x.sigmoid()
    s.backward()
    t = torch.tensor(-1000.0, dtype=torch.float64, requires_grad=True)
    torch.sigmoid(t).backward()
    assert s.data == torch.sigmoid(t).item() and x.grad == t.grad.item()
    assert Value(1000.0).sigmoid().data == 1.0


# ----------------------------------------------------------------------------- orders on random DAGs
OPS = {
    'add': lambda a, b: a + b, 'sub': lambda a, b: a - b, 'mul': lambda a, b: a * b,
    'div': lambda a, b: a / (b * b + 1), 'pow': lambda a, b: (a * a + 1) ** 0.5,
    'tanh': lambda a, b: a.tanh(), 'sigmoid': lambda a, b: a.sigmoid(), 'relu': lambda a, b: a.relu(),
    'rsub': lambda a, b: 2.0 - a, 'scale': lambda a, b: 0.7 * a,
}


def random_dag(seed, n_leaves=4, n_ops=30):
    "A random recipe: leaf values, then (op, i, j) steps that read earlier nodes; the root sums them all."
    rng = np.random.default_rng(seed)
    leaves = rng.uniform(-1, 1, n_leaves).tolist()
    steps = [(rng.choice(list(OPS)), int(rng.integers(0, n_leaves + k)), int(rng.integers(0, n_leaves + k)))
             for k in range(n_ops)]
    return leaves, steps


def build(leaves, steps, make):
    "Replay a recipe with leaves made by `make`; returns (root, leaf nodes, all nodes)."
    nodes = [make(x) for x in leaves]
    for op, i, j in steps:
        nodes.append(OPS[op](nodes[i], nodes[j]).tanh())    # tanh keeps values from blowing up
    root = nodes[-1]
    for n in nodes[len(leaves):-1]:
        root = root + n * 0.5
    return root, nodes[:len(leaves)], nodes



def reachable(root):
    seen, stack = {root}, [root]
    while stack:
        for x in stack.pop()._prev:
            if x not in seen:
                seen.add(x)
                stack.append(x)
    return seen


def assert_valid_backward_order(order, root):
    pos = {node: i for i, node in enumerate(order)}
    assert len(pos) == len(order), 'a node appears twice'
    assert set(order) == reachable(root), 'the order must hold exactly the nodes reachable from the root'
    assert order[0] is root
    for node in order:
        for x in node._prev:
            assert pos[node] < pos[x], f'{x} comes before its consumer {node}'


@pytest.mark.parametrize('seed', range(20))
def test_orders_valid_and_agree_on_random_dags(seed):
    leaves, steps = random_dag(seed)
    root, leaf_nodes, _ = build(leaves, steps, Value)
    grads = {}
    for order_fn in (topo_sort, gated_order):
        order = order_fn(root)
        assert_valid_backward_order(order, root)
        for v in leaf_nodes: v.grad = 0.0
        root.backward(order=order)
        grads[order_fn.__name__] = [v.grad for v in leaf_nodes]
    np.testing.assert_allclose(grads['gated_order'], grads['topo_sort'], rtol=1e-12, atol=1e-14)

    t_root, t_leaves, _ = build(leaves, steps, lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True))
    t_root.backward()
    t_grads = [0.0 if t.grad is None else t.grad.item() for t in t_leaves]
    assert root.data == pytest.approx(t_root.item(), rel=1e-12)
    np.testing.assert_allclose(grads['topo_sort'], t_grads, rtol=1e-10, atol=1e-12)


def _gated_counting_consumers(root, fifo):
    "Counts each consumer once but releases per edge: the bug the chapter's 'count edges' sentence warns about."
    from collections import deque
    pending, stack, seen = {}, [root], {root}
    while stack:
        node = stack.pop()
        for x in set(node._prev):
            pending[x] = pending.get(x, 0) + 1
            if x not in seen:
                seen.add(x)
                stack.append(x)
    order, ready = [], deque([root])
    while ready:
        node = ready.popleft() if fifo else ready.pop()
        order.append(node)
        for x in node._prev:
            pending[x] -= 1
            if pending[x] == 0:
                ready.append(x)
    return order


def _two_consumer_graphs():
    "s has two consumers (s * s, with two edges, and s.tanh()): in both orders of the root's inputs."
    v = Value(0.5)
    s = v.tanh()
    return v, [s * s + s.tanh().exp(), s.tanh().exp() + s * s]


def test_orders_count_edges_not_distinct_consumers():
    v, (g1, g2) = _two_consumer_graphs()
    for root in (g1, g2):
        for order_fn in (topo_sort, gated_order):
            assert_valid_backward_order(order_fn(root), root)
    # counting consumers releases s after s * s alone: the first graph breaks it with a queue, the second with a stack
    for fifo, bad in [(True, g1), (False, g2)]:
        order = _gated_counting_consumers(bad, fifo)
        with pytest.raises(AssertionError, match='comes before its consumer'):
            assert_valid_backward_order(order, bad)
        v.grad = 0.0
        bad.backward(order=order)
        wrong = v.grad
        v.grad = 0.0
        bad.backward()
        assert abs(wrong - v.grad) > 0.1                   # and the gradient below s is wrong
        good = _gated_counting_consumers(g2 if bad is g1 else g1, fifo)
        assert_valid_backward_order(good, g2 if bad is g1 else g1)   # each graph catches only one of the two


def test_orders_count_repeated_inputs():
    x = Value(1.5)
    y = x * x              # x appears twice in y._prev
    z = y * y + y
    for order_fn in (topo_sort, gated_order):
        order = order_fn(z)
        assert_valid_backward_order(order, z)
        x.grad = 0.0
        z.backward(order=order)
        assert x.grad == pytest.approx((4 * 1.5 ** 3 + 2 * 1.5), rel=1e-14)  # d/dx (x^4 + x^2)


# ----------------------------------------------------------------------------- naive DFS
def naive_dfs_backward(root):
    """The chapter's deliberately wrong backward (teaching code, kept out of mytorch.scalar): walk depth first
    and let each node pass its gradient on as soon as it is reached. Returns the nodes in the order visited."""
    root.grad = 1.0
    stack, seen, visited = [root], {root}, []
    while stack:
        node = stack.pop()
        visited.append(node)
        node._backward()
        for x in node._prev:
            if x not in seen:
                seen.add(x)
                stack.append(x)
    return visited


def test_naive_dfs_backward_is_not_exported():
    import mytorch.scalar
    assert not hasattr(mytorch.scalar, "naive_dfs_backward")


def leaf_diamond(a0):
    a = Value(a0)
    return _diamond(a), a


def deep_diamond(x0):
    x = Value(x0)
    return _diamond(3 * x + x ** 2), x


@pytest.mark.parametrize('x0', [-0.7, -0.2, 0.3, 0.5])
def test_naive_dfs_is_wrong_on_the_deep_diamond(x0):
    d, x = deep_diamond(x0)
    naive_dfs_backward(d)
    _, (t_grad,) = torch_grads(lambda x: _diamond(3 * x + x ** 2), [x0])
    fd = fd_grads(lambda x: _diamond(3 * x + x ** 2), [x0])[0]
    assert t_grad == pytest.approx(fd, rel=1e-6)
    assert abs(x.grad - fd) > 1e-3 * max(1.0, abs(fd))                 # wrong...
    for order_fn in (topo_sort, gated_order):                          # ...where both orders are right
        d, x = deep_diamond(x0)
        d.backward(order=order_fn(d))
        assert x.grad == pytest.approx(t_grad, rel=1e-12)


@pytest.mark.parametrize('x0', [-0.7, 0.5])
def test_naive_dfs_is_lucky_when_the_shared_node_is_a_leaf(x0):
    d, a = leaf_diamond(x0)
    naive_dfs_backward(d)
    _, (t_grad,) = torch_grads(_diamond, [x0])
    assert a.grad == pytest.approx(t_grad, rel=1e-12)


# ----------------------------------------------------------------------------- depth
def test_backward_on_a_100k_chain():
    x = y = Value(1.0)
    for _ in range(100_000):
        y = y * 1.00001
    y.backward()                                   # must not raise RecursionError
    assert x.grad == pytest.approx(1.00001 ** 100_000, rel=1e-9)
    order = gated_order(y)
    assert len(order) == 100_001 and order[0] is y and order[-1] is x


# ----------------------------------------------------------------------------- MLP
@pytest.mark.parametrize('nin, nouts', [(2, [16, 16, 1]), (3, [4, 2]), (1, [1]), (5, [7, 3, 2])])
def test_mlp_parameter_count(nin, nouts):
    model = MLP(nin, nouts, rng=np.random.default_rng(0))
    sizes = [nin] + nouts
    expected = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    assert len(model.parameters()) == expected == len(set(model.parameters()))


def test_mlp_is_reproducible_with_a_seed():
    a = MLP(3, [4, 1], rng=np.random.default_rng(7))
    b = MLP(3, [4, 1], rng=np.random.default_rng(7))
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]


def test_mlp_forward_and_gradients_match_torch():
    rng = np.random.default_rng(3)
    model = MLP(3, [5, 4, 2], rng=rng)
    X = rng.uniform(-1, 1, (4, 3))
    Y = rng.uniform(-1, 1, (4, 2))
    loss = sum((o - y) ** 2 for x, ys in zip(X.tolist(), Y.tolist()) for o, y in zip(model(x), ys)) / len(X)
    model.zero_grad()
    loss.backward()

    Ws = [torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64, requires_grad=True)
          for layer in model.layers]
    bs = [torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64, requires_grad=True)
          for layer in model.layers]
    h = torch.tensor(X)
    for i, (W, b) in enumerate(zip(Ws, bs)):
        h = h @ W.T + b
        if i < len(Ws) - 1: h = torch.tanh(h)
    t_loss = ((h - torch.tensor(Y)) ** 2).sum() / len(X)
    t_loss.backward()

    assert loss.data == pytest.approx(t_loss.item(), rel=1e-12)
    for layer, W, b in zip(model.layers, Ws, bs):
        np.testing.assert_allclose([[w.grad for w in n.w] for n in layer.neurons], W.grad.numpy(), rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose([n.b.grad for n in layer.neurons], b.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_mlp_training_reduces_the_loss():
    model = MLP(2, [8, 1], rng=np.random.default_rng(0))
    X = [(-1.0, -1.0), (-1.0, 1.0), (1.0, -1.0), (1.0, 1.0)]
    Y = [1.0, -1.0, -1.0, 1.0]
    losses = []
    for _ in range(60):
        loss = sum((model(x) - y) ** 2 for x, y in zip(X, Y)) / len(X)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.2 * p.grad
        losses.append(loss.data)
    assert losses[-1] < 0.3 * losses[0]
    assert math.isfinite(losses[-1])


def test_mlp_layer_weights_stack_to_torch_layout():
    "Neuron j's weights are row j: W is (out_features, in_features), as nn.Linear, and y = tanh(x @ W.T + b)."
    model = MLP(3, [4, 2], rng=np.random.default_rng(1))
    layer = model.layers[0]
    W = torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64)
    b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64)
    lin = torch.nn.Linear(3, 4, dtype=torch.float64)
    assert W.shape == lin.weight.shape
    with torch.no_grad():
        lin.weight.copy_(W)
        lin.bias.copy_(b)
    x = [0.3, -1.2, 0.8]
    with torch.no_grad():
        expected = torch.tanh(lin(torch.tensor([x], dtype=torch.float64)))[0]
    np.testing.assert_allclose([v.data for v in layer(x)], expected.numpy(), rtol=1e-12)


# ----------------------------------------------------------------------------- gradcheck
def test_gradcheck_has_chapter_03s_signature_and_chapter_01s_error():
    import inspect

    import mytorch
    import mytorch.manualgrad
    ours, theirs = inspect.signature(gradcheck).parameters, inspect.signature(mytorch.autograd.gradcheck).parameters
    assert [(p.name, p.default) for p in ours.values()] == [(p.name, p.default) for p in theirs.values()]
    import mytorch.scalar
    assert mytorch.scalar.GradcheckError is mytorch.manualgrad.GradcheckError  # one error class


@pytest.mark.parametrize('name', sorted(CASES))
def test_gradcheck_accepts_every_op(name):
    f, samplers = CASES[name]
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    assert gradcheck(f, [s(rng) for s in samplers]) is True


def _bad_square(x):
    from mytorch.scalar import _node
    return _node(x.data ** 2, 'sq', (x, x.data))          # local derivative x instead of 2x


def _bad_relu(x):
    from mytorch.scalar import _node
    return _node(max(x.data, 0.0), 'relu', (x, 1.0))      # passes the gradient where x < 0


def _nan_grad(x):
    from mytorch.scalar import _node
    return _node(x.data, 'id', (x, math.nan))


@pytest.mark.parametrize('fn, inputs, msg', [
    (_bad_square, [1.5], r"gradient of input 0 is wrong: backward gives 1\.5, finite differences give 3"),
    (lambda x, y: x * y + _bad_square(y), [0.5, 2.0], "gradient of input 1 is wrong"),
    (_bad_relu, [-1.0], "gradient of input 0 is wrong: backward gives 1, finite differences give 0"),
    (lambda x: [x * 2, _bad_square(x)], [0.7], "gradient of input 0 is wrong"),
    (_nan_grad, [0.3], "backward gives nan"),
    (lambda x: 3.0, [1.0], "must return a Value, got float"),
], ids=['square', 'second-input', 'relu', 'list-output', 'nan', 'not-a-value'])
def test_gradcheck_catches_wrong_gradients(fn, inputs, msg):
    with pytest.raises(GradcheckError, match=msg):
        gradcheck(fn, inputs)


def test_gradcheck_list_outputs_and_tolerances():
    # a list output is projected on a random direction: each element's gradient counts
    assert gradcheck(lambda x, y: [x * y, x.tanh(), y.exp()], [0.3, -0.4]) is True
    assert gradcheck(lambda x: x * x, 2.0) is True                 # a single number as inputs
    # 1% off: caught by the default rtol=1e-3, accepted by rtol=0.02
    from mytorch.scalar import _node

    def off(x):
        return _node(x.data ** 2, 'sq', (x, 1.01 * 2 * x.data))
    with pytest.raises(GradcheckError):
        gradcheck(off, [1.0])
    assert gradcheck(off, [1.0], rtol=0.02) is True


# ----------------------------------------------------------------------------- the chapter's exercises
import json
from pathlib import Path

NB = Path(__file__).resolve().parent.parent / "nbs" / "02_scalar.ipynb"


def _exercise_namespace():
    "The module, the chapter's helpers (test_eq, ..., diamonds, is_backward_order, chain) and its exercise checks."
    import mytorch.scalar as sc
    ns = {k: getattr(sc, k) for k in dir(sc) if not k.startswith("__")}
    ns.update(np=np, math=math)
    cells = json.loads(NB.read_text())["cells"]
    start = next(i for i, c in enumerate(cells) if "## Exercises" in "".join(c["source"]))
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    needed = ["from mytorch.testing import test_eq", "def leaf_diamond(", "def fd_slope(", "def is_backward_order(", "def chain("]
    helpers = []
    for marker in needed:
        found = [c for c in code if marker in c]
        assert len(found) == 1, marker
        helpers.append(found[0])
    checks = ["".join(c["source"]) for c in cells[start:] if c["cell_type"] == "code"
              and not "".join(c["source"]).startswith("#| code-fold: true")]
    assert len(checks) == 5, len(checks)
    import ast
    for src in helpers:  # only the definitions (and imports) of these cells, not their demonstrations
        tree = ast.parse(src)
        tree.body = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom))]
        exec(compile(tree, str(NB), "exec"), ns)
    for src in checks:
        exec(src, ns)
    return ns


@pytest.fixture(scope="module")
def ex():
    return _exercise_namespace()


def _sin(x):
    from mytorch.scalar import _node
    return _node(math.sin(x.data), 'sin', (x, math.cos(x.data)))


def _cos(x):
    from mytorch.scalar import _node
    return _node(math.cos(x.data), 'cos', (x, -math.sin(x.data)))


def _cos_wrong_sign(x):
    from mytorch.scalar import _node
    return _node(math.cos(x.data), 'cos', (x, math.sin(x.data)))


def _tanh_composed(x):
    e = (2 * x).exp()
    return (e - 1) / (e + 1)


def _tanh_fused(x):
    return x.tanh() * 1.0


def _tanh_sign_error(x):
    e = (2 * x).exp()
    return (1 - e) / (e + 1)


def _gated_fifo(root):
    from collections import deque
    pending, stack, seen = {}, [root], {root}
    while stack:
        node = stack.pop()
        for x in node._prev:
            pending[x] = pending.get(x, 0) + 1
            if x not in seen:
                seen.add(x)
                stack.append(x)
    order, ready = [], deque([root])
    while ready:
        node = ready.popleft()
        order.append(node)
        for x in node._prev:
            pending[x] -= 1
            if pending[x] == 0:
                ready.append(x)
    return order


def _bfs_no_counting(root):  # releases a node the first time it is reached: too early
    from collections import deque
    order, seen, ready = [], {root}, deque([root])
    while ready:
        node = ready.popleft()
        order.append(node)
        for x in node._prev:
            if x not in seen:
                seen.add(x)
                ready.append(x)
    return order


def _recursive_topo(root):
    order, visited = [], set()

    def visit(node):
        if node in visited:
            return
        visited.add(node)
        for x in node._prev:
            visit(x)
        order.append(node)
    visit(root)
    return order[::-1]


def _predict_nodes(nin, h, N):
    return h * (nin + 1) + (h + 1) + N * (h * (2 * nin + 1) + 2 * h + 2) + N + 1


def _predict_no_leaves(nin, h, N):
    return N * (h * (2 * nin + 1) + 2 * h + 2) + N + 1


def _predict_no_sum_start(nin, h, N):  # forgets that sum() starts from 0, which adds a node per example
    return h * (nin + 1) + (h + 1) + N * (h * (2 * nin + 1) + 2 * h + 2) + 1


def test_exercise_checks_pass_on_right_answers(ex, capsys):
    ex["check_sin_cos"](_sin, _cos)
    ex["check_tanh_composed"](_tanh_composed, 400.0)
    ex["check_backward_order"](_gated_fifo)
    ex["check_backward_order"](topo_sort)
    ex["check_backward_order"](gated_order)
    ex["check_node_count"](_predict_nodes)
    out = capsys.readouterr().out
    assert "sin and cos are right" in out and "node counts predicted exactly" in out


@pytest.mark.parametrize("check, args", [
    ("check_sin_cos", (_sin, _cos_wrong_sign)),
    ("check_sin_cos", (lambda x: _sin(x * 1.0), _cos)),
    ("check_tanh_composed", (_tanh_fused, 400.0)),
    ("check_tanh_composed", (_tanh_sign_error, 400.0)),
    ("check_tanh_composed", (_tanh_composed, 5.0)),
    ("check_backward_order", (_bfs_no_counting,)),
    ("check_backward_order", (_recursive_topo,)),
    ("check_backward_order", (lambda root: _gated_fifo(root)[:-1],)),
    ("check_backward_order", (lambda root: _gated_counting_consumers(root, fifo=True),)),
    ("check_backward_order", (lambda root: _gated_counting_consumers(root, fifo=False),)),
    ("check_node_count", (_predict_no_leaves,)),
    ("check_node_count", (_predict_no_sum_start,)),
], ids=["cos-sign", "sin-two-nodes", "tanh-uses-tanh", "tanh-sign", "tanh-no-overflow",
        "bfs-no-counting", "recursive", "missing-node",
        "consumers-not-edges-fifo", "consumers-not-edges-lifo", "no-leaves", "no-sum-start"])
def test_exercise_checks_fail_on_wrong_answers(ex, check, args):
    with pytest.raises(AssertionError):
        ex[check](*args)
