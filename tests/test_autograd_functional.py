"""mytorch.autograd.functional (nbs/04h_functional.ipynb) against torch.autograd.functional.

Every function (vjp, jvp, jacobian, hessian, hvp, vhp) runs on the same functions in both libraries: tensor and
tuple inputs, tensor and tuple outputs, scalar and non-scalar outputs, an input the function ignores. Values,
structure (tensor / tuple / nested tuple), shapes, dtypes and `requires_grad` must agree; with create_graph=True
the results are differentiated once more and those gradients must agree too. Then the errors: each scenario must
raise torch's exception type, with torch's message (as a prefix) where the message names no shape.
"""
import numpy as np
import pytest
import torch
import torch.autograd.functional as TF

import mytorch
import mytorch.autograd.functional as MF
from mytorch.autograd.graph import grad as m_grad
from conftest import as_numpy, assert_close, error_of, same_error

LIBS = {"mytorch": (mytorch, MF, m_grad), "torch": (torch, TF, torch.autograd.grad)}
RNG = np.random.default_rng(0)
W43 = RNG.standard_normal((4, 3))
W44 = RNG.standard_normal((4, 4)) / 2


def const(L, a):
    return L.tensor(np.asarray(a, dtype=np.float64))


# name -> (function of (L, *inputs), input shapes, inputs passed as a tuple?)
FUNCS = {
    "vec->vec": (lambda L, x: (const(L, W43) @ x).tanh(), [(3,)], False),
    "mat->scalar": (lambda L, x: (x.exp() * x).sum(), [(2, 3)], False),
    "tuple->tensor": (lambda L, a, b: a * b.sin() + a ** 2, [(3,), (3,)], True),
    "tuple->tuple": (lambda L, a, b: (a * b.sum(), a.exp().sum() * b), [(2, 2), (3,)], True),
    "tensor->tuple": (lambda L, x: (x.sin(), (x ** 3).sum()), [(3,)], False),
    "0d->0d": (lambda L, x: x.exp() * x, [()], False),
    "unused input": (lambda L, a, b: (a ** 2) * 3.0, [(3,), (2,)], True),
}
SCALAR_FUNCS = {
    "vec": (lambda L, x: ((const(L, W44) @ x).tanh() ** 2).sum() + (x.exp() * x).sum(), [(4,)], False),
    "mat": (lambda L, x: (x.sin() * x).sum(), [(2, 3)], False),
    "tuple": (lambda L, a, b: (a ** 2).sum() * b.exp().sum() + (a.sin() * a).sum(), [(3,), (2,)], True),
    "unused input": (lambda L, a, b: (a ** 3).sum(), [(3,), (2,)], True),
    "0d": (lambda L, x: x.exp() * x.sin(), [()], False),
    "one-element (1,)": (lambda L, x: (x * x.exp()).sum(dim=0, keepdim=True), [(2,)], False),
}


def make_inputs(shapes, as_tuple, seed, requires_grad=False):
    "The same float64 values in both libraries: {lib: tensor or tuple of tensors}."
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    out = {}
    for name, (L, _, _) in LIBS.items():
        ts = tuple(L.tensor(np.array(a), dtype=L.float64, requires_grad=requires_grad) for a in arrays)
        out[name] = ts if as_tuple else ts[0]
    return out


def like(structure, seed):
    "Random tensors shaped like a torch result `structure` (tensor or tuple): {lib: same structure}."
    rng = np.random.default_rng(seed)
    flat = [structure] if isinstance(structure, torch.Tensor) else list(structure)
    arrays = [rng.standard_normal(tuple(t.shape)) for t in flat]
    out = {}
    for name, (L, _, _) in LIBS.items():
        ts = tuple(L.tensor(np.array(a), dtype=L.float64) for a in arrays)
        out[name] = ts[0] if isinstance(structure, torch.Tensor) else ts
    return out


def assert_same(m, t, what="result", check_requires_grad=True):
    "Same structure (tensor, tuple, nested tuple), and every tensor close to torch's."
    if isinstance(t, torch.Tensor):
        assert isinstance(m, mytorch.Tensor), f"{what}: torch gives a tensor, mytorch {type(m).__name__}"
        assert_close(m, t, what)
        if check_requires_grad:
            assert m.requires_grad == t.requires_grad, f"{what}: requires_grad {m.requires_grad} vs torch"
        return
    if isinstance(t, list):     # torch's forward-mode jacobian/hessian returns lists for some tuple structures
        t = tuple(t)            # (its docs and its reverse mode say tuples): mytorch returns tuples throughout
    assert isinstance(t, tuple) and isinstance(m, tuple), f"{what}: {type(m).__name__} vs torch {type(t).__name__}"
    assert len(m) == len(t), f"{what}: {len(m)} entries vs torch {len(t)}"
    for i, (a, b) in enumerate(zip(m, t)):
        assert_same(a, b, f"{what}[{i}]", check_requires_grad)


def flatten(res):
    if isinstance(res, (tuple, list)):
        return [t for r in res for t in flatten(r)]
    return [res]


def differentiate_again(lib, res, inputs, seed):
    "Gradient of sum(r_k * res_k) over every tensor of `res` that requires grad, with respect to the inputs."
    L, _, grad = LIBS[lib]
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    rng = np.random.default_rng(seed)
    total = None
    for t in flatten(res):
        r = L.tensor(rng.standard_normal(tuple(t.shape)), dtype=L.float64)
        if t.requires_grad:
            term = (t * r).sum()
            total = term if total is None else total + term
    assert total is not None, "nothing to differentiate"
    return grad(total, inputs, materialize_grads=True)


def both(call):
    "call(lib_name) for both libraries: (mytorch's result, torch's result)."
    return call("mytorch"), call("torch")


# ------------------------------------------------------------------------------------------------- values
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name", list(FUNCS))
def test_vjp(name, create_graph):
    fn, shapes, as_tuple = FUNCS[name]
    xs = make_inputs(shapes, as_tuple, 1, requires_grad=create_graph)
    out_t = fn(torch, *(xs["torch"] if as_tuple else (xs["torch"],)))
    v = like(out_t, 2)
    res_m, res_t = both(lambda lib: LIBS[lib][1].vjp(lambda *a: fn(LIBS[lib][0], *a), xs[lib], v[lib],
                                                       create_graph=create_graph))
    assert_same(res_m, res_t, f"vjp {name}")
    if create_graph:
        assert_same(*both(lambda lib: differentiate_again(lib, (res_m, res_t)[lib == "torch"][1], xs[lib], 3)),
                    f"vjp {name}: gradient of the result", check_requires_grad=False)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name", list(FUNCS))
def test_jvp(name, create_graph):
    fn, shapes, as_tuple = FUNCS[name]
    xs = make_inputs(shapes, as_tuple, 4, requires_grad=create_graph)
    v = like(xs["torch"], 5)
    res_m, res_t = both(lambda lib: LIBS[lib][1].jvp(lambda *a: fn(LIBS[lib][0], *a), xs[lib], v[lib],
                                                       create_graph=create_graph))
    assert_same(res_m, res_t, f"jvp {name}")
    if create_graph:
        assert_same(*both(lambda lib: differentiate_again(lib, (res_m, res_t)[lib == "torch"][1], xs[lib], 6)),
                    f"jvp {name}: gradient of the result", check_requires_grad=False)


def test_products_with_v_left_out():
    "A single one-element output (vjp) or input (jvp, hvp, vhp): v defaults to 1."
    x = make_inputs([()], False, 7)
    for f in ("vjp", "jvp", "hvp", "vhp"):
        assert_same(*both(lambda lib: getattr(LIBS[lib][1], f)(lambda a: (a.exp() * a.sin()).sum(), x[lib])),
                    f"{f} without v")


@pytest.mark.parametrize("strategy,vectorize,create_graph", [("reverse-mode", False, False),
                                                             ("reverse-mode", True, False),
                                                             ("reverse-mode", False, True),
                                                             ("forward-mode", True, False)])
@pytest.mark.parametrize("name", list(FUNCS))
def test_jacobian(name, strategy, vectorize, create_graph):
    fn, shapes, as_tuple = FUNCS[name]
    xs = make_inputs(shapes, as_tuple, 8, requires_grad=create_graph)
    res_m, res_t = both(lambda lib: LIBS[lib][1].jacobian(lambda *a: fn(LIBS[lib][0], *a), xs[lib],
                                                            create_graph=create_graph, vectorize=vectorize,
                                                            strategy=strategy))
    assert_same(res_m, res_t, f"jacobian {name}", check_requires_grad=strategy == "reverse-mode")
    if create_graph:
        assert_same(*both(lambda lib: differentiate_again(lib, (res_m, res_t)[lib == "torch"], xs[lib], 9)),
                    f"jacobian {name}: gradient of the result", check_requires_grad=False)


def test_the_two_jacobian_strategies_agree_on_a_tall_and_a_wide_function():
    for m, n in [(12, 3), (3, 12)]:
        Wm = mytorch.tensor(RNG.standard_normal((m, n)), dtype=mytorch.float64)
        x = mytorch.tensor(RNG.standard_normal(n), dtype=mytorch.float64)
        f = lambda x: (Wm @ x).sin() * x.sum()
        rev = MF.jacobian(f, x)
        fwd = MF.jacobian(f, x, vectorize=True, strategy="forward-mode")
        np.testing.assert_allclose(rev.array, fwd.array, rtol=1e-12, atol=1e-12)
        assert rev.shape == (m, n)


@pytest.mark.parametrize("outer,vectorize,create_graph", [("reverse-mode", False, False),
                                                          ("reverse-mode", True, False),
                                                          ("reverse-mode", False, True),
                                                          ("forward-mode", True, False)])
@pytest.mark.parametrize("name", list(SCALAR_FUNCS))
def test_hessian(name, outer, vectorize, create_graph):
    fn, shapes, as_tuple = SCALAR_FUNCS[name]
    xs = make_inputs(shapes, as_tuple, 10, requires_grad=create_graph)
    res_m, res_t = both(lambda lib: LIBS[lib][1].hessian(lambda *a: fn(LIBS[lib][0], *a), xs[lib],
                                                           create_graph=create_graph, vectorize=vectorize,
                                                           outer_jacobian_strategy=outer))
    assert_same(res_m, res_t, f"hessian {name}", check_requires_grad=outer == "reverse-mode")


@pytest.mark.parametrize("f", ["hvp", "vhp"])
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name", list(SCALAR_FUNCS))
def test_hvp_vhp(name, create_graph, f):
    fn, shapes, as_tuple = SCALAR_FUNCS[name]
    xs = make_inputs(shapes, as_tuple, 11, requires_grad=create_graph)
    v = like(xs["torch"], 12)
    res_m, res_t = both(lambda lib: getattr(LIBS[lib][1], f)(lambda *a: fn(LIBS[lib][0], *a), xs[lib], v[lib],
                                                               create_graph=create_graph))
    assert_same(res_m, res_t, f"{f} {name}")


def test_hvp_is_the_hessian_times_v():
    n = 20
    B = mytorch.tensor(RNG.standard_normal((25, n)) / 5, dtype=mytorch.float64)
    f = lambda x: (1 + (B @ x) ** 2).log().sum() + (x ** 4).sum()
    x = mytorch.tensor(RNG.standard_normal(n), dtype=mytorch.float64)
    v = mytorch.tensor(RNG.standard_normal(n), dtype=mytorch.float64)
    H = MF.hessian(f, x).array
    np.testing.assert_allclose(MF.hvp(f, x, v)[1].array, H @ v.array, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(MF.vhp(f, x, v)[1].array, v.array @ H, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("f", ["hessian", "hvp", "vhp"])
@pytest.mark.parametrize("name", ["vec", "tuple"])
def test_create_graph_results_of_second_order_functions_differentiate_again(f, name):
    "Third derivatives: the create_graph=True results of hessian, hvp and vhp, differentiated once more."
    fn, shapes, as_tuple = SCALAR_FUNCS[name]
    xs = make_inputs(shapes, as_tuple, 13, requires_grad=True)
    v = like(xs["torch"], 14)
    def run(lib):
        F, L = LIBS[lib][1], LIBS[lib][0]
        args = (xs[lib],) if f == "hessian" else (xs[lib], v[lib])
        res = getattr(F, f)(lambda *a: fn(L, *a), *args, create_graph=True)
        return differentiate_again(lib, res if f == "hessian" else res[1], xs[lib], 15)
    assert_same(*both(run), f"{f}: gradient of the create_graph result", check_requires_grad=False)


def test_inputs_are_left_alone_and_results_detached():
    x = mytorch.tensor([0.5, -1.0, 2.0], dtype=mytorch.float64, requires_grad=True)
    f = lambda a: (a.exp() * a).sum()
    for res in (MF.vjp(f, x)[1], MF.jvp(f, x, x.detach())[1], MF.jacobian(f, x), MF.hessian(f, x),
                MF.hvp(f, x, x.detach())[1], MF.vhp(f, x, x.detach())[1]):
        assert not res.requires_grad
    assert x.grad is None and x.is_leaf
    with mytorch.no_grad():                      # works under no_grad too, as torch
        np.testing.assert_allclose(MF.vjp(f, x)[1].array, (np.exp(x.array) * (1 + x.array)))


# ------------------------------------------------------------------------------------------------- errors
def _x(L, n=3):
    return L.tensor(np.linspace(-1.0, 1.0, n), dtype=L.float64)


SQ = lambda a: a ** 2                     # non-scalar output
SSQ = lambda a: (a ** 2).sum()            # scalar output

# name -> (scenario(L, F), compare the message?)
ERRORS = {
    "bad strategy": (lambda L, F: F.jacobian(SQ, _x(L), strategy="sideways"), True),
    "forward-mode without vectorize": (lambda L, F: F.jacobian(SQ, _x(L), strategy="forward-mode"), True),
    "forward-mode with create_graph": (lambda L, F: F.jacobian(SQ, _x(L), create_graph=True, vectorize=True,
                                                               strategy="forward-mode"), True),
    "forward-mode with strict": (lambda L, F: F.jacobian(SQ, _x(L), strict=True, vectorize=True,
                                                         strategy="forward-mode"), True),
    "reverse vectorize with strict": (lambda L, F: F.jacobian(SQ, _x(L), strict=True, vectorize=True), True),
    "hessian bad outer strategy": (lambda L, F: F.hessian(SSQ, _x(L), outer_jacobian_strategy="x"), True),
    "hessian forward without vectorize": (lambda L, F: F.hessian(SSQ, _x(L),
                                                                 outer_jacobian_strategy="forward-mode"), True),
    "hessian forward with create_graph": (lambda L, F: F.hessian(SSQ, _x(L), create_graph=True, vectorize=True,
                                                                 outer_jacobian_strategy="forward-mode"), True),
    "hessian tuple output": (lambda L, F: F.hessian(lambda a: (SSQ(a), SSQ(a)), _x(L)), True),
    "hessian non-scalar output": (lambda L, F: F.hessian(SQ, _x(L)), True),
    "hvp non-scalar output": (lambda L, F: F.hvp(SQ, _x(L), _x(L)), True),
    "vhp tuple output": (lambda L, F: F.vhp(lambda a: (SSQ(a),), _x(L), _x(L)), True),
    "vjp v missing": (lambda L, F: F.vjp(SQ, _x(L)), True),
    "jvp v missing": (lambda L, F: F.jvp(SQ, _x(L)), True),
    "hvp v missing": (lambda L, F: F.hvp(SSQ, _x(L)), True),
    "vhp v missing": (lambda L, F: F.vhp(SSQ, _x(L)), True),
    "vjp v wrong shape": (lambda L, F: F.vjp(SQ, _x(L), _x(L, 2)), False),
    "jvp v wrong shape": (lambda L, F: F.jvp(SQ, _x(L), _x(L, 2)), False),
    "hvp v wrong shape": (lambda L, F: F.hvp(SSQ, _x(L), _x(L, 2)), False),
    "jvp v tuple for a tensor": (lambda L, F: F.jvp(SQ, _x(L), (_x(L), _x(L))), True),
    "jvp v tuple too short": (lambda L, F: F.jvp(lambda a, b: a * b, (_x(L), _x(L)), (_x(L),)), True),
    "vhp v entry wrong shape": (lambda L, F: F.vhp(lambda a, b: (a * b).sum(), (_x(L), _x(L)),
                                                   (_x(L), _x(L, 2))), False),
    "vjp v not a tensor": (lambda L, F: F.vjp(SQ, _x(L), 1.0), True),
    "output not a tensor": (lambda L, F: F.vjp(lambda a: 3.0, _x(L)), True),
    "jvp output not a tensor": (lambda L, F: F.jvp(lambda a: [a], _x(L), _x(L)), True),
    "jacobian output not a tensor": (lambda L, F: F.jacobian(lambda a: 3.0, _x(L)), True),
    "hessian output not a tensor": (lambda L, F: F.hessian(lambda a: 3.0, _x(L)), True),
    "input not a tensor": (lambda L, F: F.jacobian(SQ, 3.0), True),
    "input list": (lambda L, F: F.hessian(SSQ, [_x(L)]), True),
    "tuple input with a number": (lambda L, F: F.hvp(lambda a, b: SSQ(a), (_x(L), 2.0), (_x(L), _x(L))), True),
    "strict: output needs no grad": (lambda L, F: F.vjp(lambda a: L.ones(()), _x(L), strict=True), True),
    "strict: vjp unused input": (lambda L, F: F.vjp(lambda a, b: SSQ(a), (_x(L), _x(L)), strict=True), True),
    "strict: jvp unused input": (lambda L, F: F.jvp(lambda a, b: SQ(a), (_x(L), _x(L)), (_x(L), _x(L)),
                                                    strict=True), True),
    "strict: jacobian unused input": (lambda L, F: F.jacobian(lambda a, b: SQ(a), (_x(L), _x(L)),
                                                              strict=True), True),
    "strict: hessian of a linear function": (lambda L, F: F.hessian(lambda a: (2 * a).sum(), _x(L),
                                                                    strict=True), True),
    "strict: hessian unused input": (lambda L, F: F.hessian(lambda a, b: SSQ(a), (_x(L), _x(L)),
                                                            strict=True), True),
    "strict: hvp of a linear function": (lambda L, F: F.hvp(lambda a: (2 * a).sum(), _x(L), _x(L),
                                                            strict=True), True),
    "strict: vhp unused input": (lambda L, F: F.vhp(lambda a, b: SSQ(a), (_x(L), _x(L)), (_x(L), _x(L)),
                                                    strict=True), True),
    "strict: hessian block independent": (lambda L, F: F.hessian(lambda a, b: SSQ(a) + SSQ(b), (_x(L), _x(L)),
                                                                 strict=True), True),
    "strict, create_graph: vjp of a linear function": (
        lambda L, F: F.vjp(lambda a: 2 * a, _x(L).requires_grad_(), _x(L), create_graph=True, strict=True), True),
    "strict, create_graph: jvp of a linear function": (
        lambda L, F: F.jvp(lambda a: 2 * a, _x(L).requires_grad_(), _x(L), create_graph=True, strict=True), True),
    "strict, create_graph: jacobian of a linear function": (
        lambda L, F: F.jacobian(lambda a: 2 * a, _x(L).requires_grad_(), create_graph=True, strict=True), True),
    "strict, create_graph: hvp of a quadratic": (
        lambda L, F: F.hvp(lambda a: (a * a).sum(), _x(L).requires_grad_(), _x(L), create_graph=True,
                           strict=True), True),
    "strict, create_graph: vhp of a quadratic": (
        lambda L, F: F.vhp(lambda a: (a * a).sum(), _x(L).requires_grad_(), _x(L), create_graph=True,
                           strict=True), True),
    # torch's message names its double-backward trick, which mytorch's forward-mode jvp does not use
    "strict: jvp output independent of the inputs": (
        lambda L, F: F.jvp(lambda a: (a.sum(), _x(L).requires_grad_() * 2), _x(L), _x(L), strict=True), False),
    "integer input": (lambda L, F: F.jacobian(lambda a: a * 2, L.tensor([1, 2])), False),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    scenario, message = ERRORS[name]
    e = same_error(lambda: scenario(mytorch, MF), lambda: scenario(torch, TF), message=message)
    if not message and "wrong shape" in name:          # shapes print differently; the rest is torch's
        assert "v has invalid size: should be" in str(e), str(e)


def test_strict_passes_where_torch_passes():
    "strict=True on functions whose every output depends on every input: no error, same values."
    for name in ("vec->vec", "tuple->tuple"):
        fn, shapes, as_tuple = FUNCS[name]
        xs = make_inputs(shapes, as_tuple, 16)
        assert_same(*both(lambda lib: LIBS[lib][1].jacobian(lambda *a: fn(LIBS[lib][0], *a), xs[lib],
                                                              strict=True)), f"strict jacobian {name}")
    fn, shapes, as_tuple = SCALAR_FUNCS["tuple"]
    xs = make_inputs(shapes, as_tuple, 17)
    assert_same(*both(lambda lib: LIBS[lib][1].hessian(lambda *a: fn(LIBS[lib][0], *a), xs[lib], strict=True)),
                "strict hessian")


def test_edge_cases_match_torch():
    "An input without elements (forward mode), an integer v for jvp (used as the input's dtype)."
    def empty(lib):
        L, F, _ = LIBS[lib]
        return F.jacobian(lambda a: a * 2, L.zeros(0, 3, dtype=L.float64), vectorize=True, strategy="forward-mode")
    assert_same(*both(empty), "0-size input")
    def constant_output(lib):           # an output without a tangent: a zero column block
        L, F, _ = LIBS[lib]
        return F.jacobian(lambda a: (a * 2, L.ones(2, dtype=L.float64)), _x(L), vectorize=True,
                          strategy="forward-mode")
    assert_same(*both(constant_output), "forward-mode output independent of the input")
    x = make_inputs([(3,)], False, 18)
    assert_same(*both(lambda lib: LIBS[lib][1].jvp(lambda a: a.sin(), x[lib], LIBS[lib][0].tensor([1, 2, 3]))),
                "jvp with an integer v")
