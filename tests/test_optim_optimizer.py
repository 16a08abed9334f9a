"""The Optimizer base class (nbs/06_optim.ipynb -> mytorch.optim.optimizer) against PyTorch 2.13's.

What is compared, and how:
- Construction, `param_groups`, `add_param_group`, `zero_grad`, `repr`, `state_dict` and `load_state_dict` of the
  base class itself: PyTorch's `torch.optim.Optimizer` can be built directly too, so the same scenario runs on both
  (`outcome` from conftest) and the results, exception types and messages must be equal.
- `step` (which only the subclasses can run): two small subclasses defined here, plain gradient descent `GD` and
  heavy-ball momentum `HeavyBall`, against `torch.optim.SGD(lr)` and `SGD(lr, momentum)`: trajectories of >= 100
  steps, float32 and float64, per-group learning rates, hypothesis over shapes and hyper-parameters. Each library
  computes its own gradient of the same loss, sum(c * p**2 + d * p) over the parameters.
  Tolerances: float64 rtol=1e-10, atol=1e-12; float32 rtol=1e-5, atol=1e-6 (the updates contract, so rounding
  does not grow over the run).
- The optimizers of the chapter (SGD, Adagrad, RMSprop, Adam, AdamW from mytorch.optim.sgd / .adaptive): their
  `state_dict()` has PyTorch's layout (same indices, keys, shapes, dtypes, values, group entries); a state dict
  crosses between the libraries (mytorch's loaded into torch and torch's into mytorch, then both continue alike);
  and a run resumed from a state dict continues exactly as the uninterrupted one (bitwise in float64).
- Deliberate departures (nbs/06_optim.ipynb lists them): state of the wrong shape raises at load time and leaves
  the optimizer unchanged (ERRATA §2); loaded tensors are copies.
- The checks can fail: a subclass that rebinds `p` instead of updating it in place, a momentum off by one step, and
  a state dict with shifted indices are each caught by the helpers used above.
"""
import copy
import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from conftest import as_numpy, attempt, dtype_name, outcome

import mytorch
from mytorch.optim.optimizer import Optimizer, required
from mytorch.autograd.function import is_grad_enabled, no_grad

TOLS = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=1e-5, atol=1e-6)}


def torch_mod():
    import torch
    return torch


# ------------------------------------------------------------------------------------------- test subclasses
class GD(Optimizer):
    "Plain gradient descent, as torch.optim.SGD(lr) without momentum."
    def __init__(self, params, lr=1e-3):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        super().__init__(params, dict(lr=lr))

    def _update(self, p, grad, state, group):
        p -= group["lr"] * grad


class HeavyBall(Optimizer):
    "Momentum as torch.optim.SGD(lr, momentum): b = g at the first step, then b = mu b + g; p -= lr b."
    def __init__(self, params, lr=1e-3, momentum=0.9):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    def _init_state(self, p, group):
        return {"momentum_buffer": mytorch.zeros_like(p)}

    def _update(self, p, grad, state, group):
        b = state["momentum_buffer"].array
        b *= group["momentum"]
        b += grad
        p -= group["lr"] * b


class StepCounter(Optimizer):
    "Keeps a PyTorch-style 0-d float32 'step' and the same in a nested dict and a list (for the casting rules)."
    def __init__(self, params, lr=0.1):
        super().__init__(params, dict(lr=lr))

    def _init_state(self, p, group):
        return {"step": mytorch.tensor(0.0, dtype=mytorch.float32)}

    def _update(self, p, grad, state, group):
        state["step"].array[...] += 1
        p -= group["lr"] * grad


class Rebinding(GD):
    "A broken GD: rebinds the local name instead of updating the parameter in place."
    def _update(self, p, grad, state, group):
        p = p - group["lr"] * grad  # noqa: F841 - the bug under test


class LateMomentum(HeavyBall):
    "A broken HeavyBall: right at the first step, then dampens the gradient by mu (b = mu b + (1 - mu) g)."
    def _update(self, p, grad, state, group):
        b, mu = state["momentum_buffer"].array, group["momentum"]
        b *= mu
        b += grad if not b.any() else (1 - mu) * grad
        p -= group["lr"] * b


# ------------------------------------------------------------------------------------------- helpers
def pair(values, dtype="float32"):
    "The same values as a mytorch leaf and a torch leaf that require grad."
    torch = torch_mod()
    arr = np.asarray(values, dtype=dtype)
    return (mytorch.tensor(arr, dtype=getattr(mytorch, dtype), requires_grad=True),
            torch.tensor(arr, requires_grad=True))


def quad_loss(params, coefs):
    "sum(c * p**2 + d * p) over the parameters: each library differentiates it itself."
    total = 0
    for p, (c, d) in zip(params, coefs):
        total = total + (p * p * c + p * d).sum()
    return total


def run_parity(make_m, make_t, shapes, coefs, steps, dtype, groups=None):
    """Train mytorch's optimizer (`make_m(groups_or_params)`) and torch's (`make_t(...)`) on quad_loss for `steps`
    steps from the same start; assert that the parameters agree after every step."""
    torch = torch_mod()
    rng = np.random.default_rng(sum(map(sum, shapes), len(shapes)))
    starts = [rng.uniform(-2, 2, s) for s in shapes]
    mp = [mytorch.tensor(a.astype(dtype), dtype=getattr(mytorch, dtype), requires_grad=True) for a in starts]
    tp = [torch.tensor(a.astype(dtype), requires_grad=True) for a in starts]
    mc = [(mytorch.tensor(np.asarray(c, dtype)), mytorch.tensor(np.asarray(d, dtype))) for c, d in coefs]
    tc = [(torch.tensor(np.asarray(c, dtype)), torch.tensor(np.asarray(d, dtype))) for c, d in coefs]

    def grouped(ps):
        return ps if groups is None else [dict(g, params=[ps[i] for i in g["params"]]) for g in groups]
    mo, to = make_m(grouped(mp)), make_t(grouped(tp))
    for step in range(steps):
        mo.zero_grad()
        to.zero_grad()
        quad_loss(mp, mc).backward()
        quad_loss(tp, tc).backward()
        mo.step()
        to.step()
        for i, (m, t) in enumerate(zip(mp, tp)):
            np.testing.assert_allclose(as_numpy(m.detach()), as_numpy(t), err_msg=f"param {i}, step {step + 1}",
                                       **TOLS[dtype])
    return mo, to


def torch_value(v):
    "A mytorch state value as torch's (tensors converted through NumPy; containers copied)."
    torch = torch_mod()
    if isinstance(v, mytorch.Tensor):
        return torch.tensor(v.array.copy())
    if isinstance(v, dict):
        return {k: torch_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(torch_value(x) for x in v)
    return v


def mytorch_value(v):
    "A torch state value as mytorch's."
    if type(v).__module__.startswith("torch"):
        return mytorch.tensor(v.detach().numpy().copy(), dtype=getattr(mytorch, dtype_name(v)))
    if isinstance(v, dict):
        return {k: mytorch_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(mytorch_value(x) for x in v)
    return v


def assert_same_layout(msd, tsd, values=True, **tol):
    """mytorch's state dict `msd` has torch's layout `tsd`: the same param_groups (keys, values, index lists) and the
    same state (indices, keys, and for every tensor shape, dtype and, if `values`, values)."""
    assert list(msd) == list(tsd) == ["state", "param_groups"], f"top-level keys {list(msd)} vs {list(tsd)}"
    assert len(msd["param_groups"]) == len(tsd["param_groups"]), "number of groups"
    for i, (mg, tg) in enumerate(zip(msd["param_groups"], tsd["param_groups"])):
        assert list(mg) == list(tg), f"group {i} keys: {list(mg)} vs torch {list(tg)}"
        for k in tg:
            assert mg[k] == tg[k], f"group {i} {k!r}: {mg[k]!r} vs torch {tg[k]!r}"
    assert sorted(msd["state"]) == sorted(tsd["state"]), f"state indices {sorted(msd['state'])} vs " \
                                                           f"torch {sorted(tsd['state'])}"
    for idx, ts in tsd["state"].items():
        ms = msd["state"][idx]
        assert sorted(ms) == sorted(ts), f"state {idx} keys: {sorted(ms)} vs torch {sorted(ts)}"
        for k, tv in ts.items():
            mv = ms[k]
            if not type(tv).__module__.startswith("torch"):
                assert mv == tv, f"state {idx} {k!r}: {mv!r} vs torch {tv!r}"
                continue
            assert isinstance(mv, mytorch.Tensor), f"state {idx} {k!r} is {type(mv).__name__}, torch has a tensor"
            assert tuple(mv.shape) == tuple(tv.shape), f"state {idx} {k!r}: shape {mv.shape} vs {tuple(tv.shape)}"
            assert dtype_name(mv) == dtype_name(tv), f"state {idx} {k!r}: dtype {mv.dtype} vs {tv.dtype}"
            if values:
                np.testing.assert_allclose(as_numpy(mv), as_numpy(tv), err_msg=f"state {idx} {k!r}", **tol)


def same_words(result):
    "An outcome with the library's own names made neutral: mytorch.FloatTensor and torch.FloatTensor alike."
    if result[0] != "error":
        return result
    return result[:2] + (result[2].replace("mytorch._tensor.", "torch.").replace("mytorch.", "torch."),)


def both(scenario):
    "outcome() of `scenario(lib)` on mytorch and on torch (error messages with neutral library names)."
    return same_words(outcome(scenario, mytorch)), outcome(scenario, torch_mod())


def base(lib):
    "The library's Optimizer base class."
    return Optimizer if lib is mytorch else lib.optim.Optimizer


# ------------------------------------------------------------------------------------------- names
def test_public_names_exist_and_agree_with_torch():
    torch = torch_mod()
    import mytorch.optim.optimizer as mo
    assert set(mo.__all__) == {"Optimizer", "required", "register_optimizer_step_pre_hook",
                               "register_optimizer_step_post_hook"}
    import torch.optim.optimizer as to
    for name in mo.__all__:
        assert hasattr(to, name), name
    for name in ["add_param_group", "zero_grad", "step", "state_dict", "load_state_dict", "register_step_pre_hook",
                 "register_step_post_hook", "register_state_dict_pre_hook", "register_state_dict_post_hook",
                 "register_load_state_dict_pre_hook", "register_load_state_dict_post_hook"]:
        assert callable(getattr(Optimizer, name)) and callable(getattr(torch.optim.Optimizer, name)), name
    from torch.optim.optimizer import required as torch_required
    for lib in (mytorch, torch):
        req = Optimizer if lib is mytorch else torch.optim.Optimizer
        a = lib.zeros(2, requires_grad=True)
        mark = required if lib is mytorch else torch_required
        with pytest.raises(ValueError, match="didn't specify a value of required optimization parameter lr"):
            req([a], dict(lr=mark, momentum=0.5))
        opt = req([{"params": [a], "lr": 0.1}], dict(lr=mark, momentum=0.5))
        assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["momentum"] == 0.5
        with pytest.raises(ValueError, match="didn't specify a value of required optimization parameter lr"):
            opt.add_param_group({"params": [lib.zeros(1, requires_grad=True)]})


# ------------------------------------------------------------------------------------------- construction
PARAM_FORMS = {
    "list": lambda ps: list(ps),
    "tuple": lambda ps: tuple(ps),
    "generator": lambda ps: (p for p in ps),
    "one group dict": lambda ps: [{"params": list(ps)}],
    "group with a single tensor": lambda ps: [{"params": ps[0]}, {"params": ps[1:], "lr": 0.5}],
    "groups": lambda ps: [{"params": ps[:1], "lr": 0.5, "extra": "kept"}, {"params": ps[1:], "momentum": 0.1}],
    "named": lambda ps: [(f"p{i}", p) for i, p in enumerate(ps)],
    "named groups": lambda ps: [{"params": [("a", ps[0])]}, {"params": [("b", ps[1]), ("c", ps[2])]}],
}


@pytest.mark.parametrize("form", PARAM_FORMS)
def test_params_forms_make_the_same_groups_as_torch(form):
    def scenario(lib):
        ps = [lib.zeros(2, requires_grad=True), lib.ones(3, requires_grad=True), lib.ones(1, requires_grad=True)]
        opt = base(lib)(PARAM_FORMS[form](ps), dict(lr=0.1, momentum=0.0))
        index = lambda p: [q is p for q in ps].index(True)
        groups = [{k: ([index(p) for p in v] if k == "params" else v) for k, v in g.items()}
                  for g in opt.param_groups]
        return groups, opt.defaults, repr(opt), opt.state_dict()["param_groups"]
    m, t = both(scenario)
    assert m == t


ERROR_SCENARIOS = {
    "a tensor": lambda lib, ps: base(lib)(ps[0], {}),
    "empty": lambda lib, ps: base(lib)([], {}),
    "empty generator": lambda lib, ps: base(lib)((p for p in []), {}),
    "a float": lambda lib, ps: base(lib)([ps[0], 1.0], {}),
    "None": lambda lib, ps: base(lib)([None], {}),
    "a string": lambda lib, ps: base(lib)(["w"], {}),
    "a NumPy array": lambda lib, ps: base(lib)([np.zeros(2)], {}),
    "a list in a list": lambda lib, ps: base(lib)([[ps[0]]], {}),
    "not iterable": lambda lib, ps: base(lib)(3, {}),
    "non-leaf": lambda lib, ps: base(lib)([ps[0] * 2], {}),
    "non-leaf in a later group": lambda lib, ps: base(lib)([{"params": [ps[0]]}, {"params": [ps[1] + 1]}], {}),
    "set in a group": lambda lib, ps: base(lib)([{"params": {ps[0], ps[1]}}], {}),
    "two groups": lambda lib, ps: base(lib)([{"params": [ps[0], ps[1]]}, {"params": [ps[1]]}], {}),
    "group then tensor": lambda lib, ps: base(lib)([{"params": [ps[0]]}, ps[1]], {}),
    "group without params": lambda lib, ps: base(lib)([{"lr": 0.1}], {}),
    "names missing": lambda lib, ps: base(lib)([("a", ps[0]), ps[1]], {}),
    "named and unnamed groups": lambda lib, ps: base(lib)([{"params": [("a", ps[0])]}, {"params": [ps[1]]}], {}),
    "unnamed and named groups": lambda lib, ps: base(lib)([{"params": [ps[0]]}, {"params": [("b", ps[1])]}], {}),
    "add a non-dict": lambda lib, ps: base(lib)([ps[0]], {}).add_param_group([ps[1]]),
    "add a tensor twice": lambda lib, ps: base(lib)([ps[0]], {}).add_param_group({"params": ps[0]}),
    "add a set": lambda lib, ps: base(lib)([ps[0]], {}).add_param_group({"params": {ps[1]}}),
}


@pytest.mark.parametrize("name", ERROR_SCENARIOS)
def test_construction_errors_match_torch(name):
    def scenario(lib):
        ps = [lib.zeros(2, requires_grad=True), lib.ones(3, requires_grad=True)]
        ERROR_SCENARIOS[name](lib, ps)
    m, t = both(scenario)
    assert t[0] == "error", f"torch accepts {name}"
    assert m == t


def test_error_scenarios_use_torchs_words():
    "A few messages spelled out, so that a change of torch's wording shows here rather than silently."
    torch = torch_mod()
    w = mytorch.zeros(2, requires_grad=True)
    for f, exc, words in [
        (lambda: Optimizer(w, {}), TypeError,
         "params argument given to the optimizer should be an iterable of Tensors or dicts, but got "
         "mytorch.FloatTensor"),
        (lambda: Optimizer([1.5], {}), TypeError, "optimizer can only optimize Tensors, but one of the params is float"),
        (lambda: Optimizer([np.zeros(1)], {}), TypeError,
         "optimizer can only optimize Tensors, but one of the params is numpy.ndarray"),
        (lambda: Optimizer([w * 2], {}), ValueError, "can't optimize a non-leaf Tensor"),
        (lambda: Optimizer([{"params": [w]}, {"params": [w]}], {}), ValueError,
         "some parameters appear in more than one parameter group"),
    ]:
        with pytest.raises(exc) as e:
            f()
        assert str(e.value) == words
    assert torch.typename(np.zeros(1)) == "numpy.ndarray"


def test_differentiable_defaults_allow_non_leaf_as_torch():
    def scenario(lib):
        a = lib.ones(2, requires_grad=True)
        opt = base(lib)([a * 2], dict(differentiable=True))
        return len(opt.param_groups[0]["params"]), opt.param_groups[0]["differentiable"]
    m, t = both(scenario)
    assert m == t == ("ok", (1, True))


def test_duplicate_parameter_warns_as_torch():
    def scenario(lib):
        a = lib.ones(2, requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            opt = base(lib)([a, a], {})
        assert len(opt.param_groups[0]["params"]) == 2
        return [(w.category.__name__, str(w.message)) for w in caught]
    m, t = both(scenario)
    assert m == t and len(t[1]) == 1 and "duplicate parameters" in t[1][0][1]


def test_add_param_group_later_fills_defaults_and_mutates_the_dict_as_torch():
    def scenario(lib):
        a, b = lib.ones(2, requires_grad=True), lib.ones(1, requires_grad=True)
        opt = base(lib)([a], dict(lr=0.1, eps=1e-8))
        g = {"params": (x for x in [b]), "lr": 0.01}
        opt.add_param_group(g)
        return (g is opt.param_groups[1], type(g["params"]).__name__, sorted(g), g["lr"], g["eps"],
                opt.state_dict()["param_groups"])
    m, t = both(scenario)
    assert m == t and m[0] == "ok"


def test_a_generator_is_read_once_and_model_parameters_work():
    from mytorch.nn.layers import Linear
    model = Linear(3, 2)
    opt = GD(model.parameters(), lr=0.1)
    assert [id(p) for p in opt.param_groups[0]["params"]] == [id(model.weight), id(model.bias)]
    opt = GD(model.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]


def test_repr_matches_torch():
    def scenario(lib):
        a, b = lib.ones(2, requires_grad=True), lib.ones(1, requires_grad=True)
        return repr(base(lib)([{"params": [a]}, {"params": [b], "lr": 0.5}],
                              dict(lr=0.1, betas=(0.9, 0.99), foreach=None)))
    m, t = both(scenario)
    assert m == t


# ------------------------------------------------------------------------------------------- zero_grad
@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_matches_torch(set_to_none):
    def scenario(lib):
        a, b, c = (lib.ones(2, requires_grad=True) for _ in range(3))
        (a * 3 + b * 2).sum().backward()
        ga = a.grad
        opt = base(lib)([a, b, c], {})
        opt.zero_grad(set_to_none=set_to_none)
        return ([None if p.grad is None else as_numpy(p.grad).tolist() for p in (a, b, c)],
                a.grad is ga, as_numpy(ga).tolist())
    m, t = both(scenario)
    assert m == t


def test_zero_grad_of_a_create_graph_gradient_detaches_it_as_torch():
    def scenario(lib):
        a, b = lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)
        a.grad = b * 2                              # a gradient with a graph (as create_graph=True makes)
        had_graph = a.grad.grad_fn is not None
        base(lib)([a], {}).zero_grad(set_to_none=False)
        return had_graph, a.grad.grad_fn is None, a.grad.requires_grad, as_numpy(a.grad).tolist()
    m, t = both(scenario)
    assert m == t == ("ok", (True, True, False, [0.0, 0.0]))


def test_zero_grad_in_place_bumps_the_gradients_version():
    a = mytorch.ones(2, requires_grad=True)
    (a * 2).sum().backward()
    v = a.grad._version.value
    GD([a]).zero_grad(set_to_none=False)
    assert a.grad._version.value == v + 1


# ------------------------------------------------------------------------------------------- step
def test_base_step_without_update_raises_not_implemented():
    a = mytorch.ones(2, requires_grad=True)
    opt = Optimizer([a], {})
    assert opt.step() is None                      # nothing has a gradient: nothing to do
    a.grad = mytorch.ones(2)
    with pytest.raises(NotImplementedError, match="_update"):
        opt.step()


def test_step_skips_parameters_without_gradient():
    a, b = mytorch.ones(2, requires_grad=True), mytorch.ones(3, requires_grad=True)
    opt = HeavyBall([a, b], lr=0.1, momentum=0.5)
    (a * 2).sum().backward()
    vb = b._version.value
    opt.step()
    assert list(opt.state) == [a] and b.grad is None
    np.testing.assert_array_equal(b.detach().numpy(), np.ones(3))
    assert b._version.value == vb                  # untouched: not even its version moves
    np.testing.assert_allclose(a.detach().numpy(), 1 - 0.1 * 2)


def test_step_runs_update_without_grad_and_closure_with_grad():
    seen = []

    class Probe(GD):
        def _update(self, p, grad, state, group):
            seen.append(("update", is_grad_enabled()))
            super()._update(p, grad, state, group)

    a = mytorch.ones(2, requires_grad=True)
    opt = Probe([a], lr=0.1)

    def closure():
        seen.append(("closure", is_grad_enabled()))
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss
    with no_grad():
        loss = opt.step(closure)
    assert seen == [("closure", True), ("update", False)]
    assert loss.item() == 2.0 and loss.grad_fn is not None
    assert opt.step() is None
    assert opt.step(lambda: 3.5) == 3.5            # whatever the closure returns


def test_closure_loss_and_trajectory_match_torch():
    def scenario(lib):
        a = lib.tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
        opt = GD([a], lr=0.1) if lib is mytorch else lib.optim.SGD([a], lr=0.1)

        def closure():
            opt.zero_grad()
            loss = (a * a * a).sum()
            loss.backward()
            return loss
        losses = [opt.step(closure).item() for _ in range(20)]
        return losses, as_numpy(a.detach()).tolist()
    (mk, m), (tk, t) = both(scenario)
    assert mk == tk == "ok"
    np.testing.assert_allclose(m[0], t[0], rtol=1e-12)
    np.testing.assert_allclose(m[1], t[1], rtol=1e-12)


def test_step_updates_in_place_and_bumps_the_version_so_a_stale_graph_raises_as_torch():
    def scenario(lib):
        a = lib.ones(2, requires_grad=True)
        opt = GD([a], lr=0.1) if lib is mytorch else lib.optim.SGD([a], lr=0.1)
        loss = (a * a).sum()
        loss.backward(retain_graph=True)
        opt.step()
        loss.backward()
    (m, mt, mmsg), (t, tt, tmsg) = both(scenario)
    assert m == t == "error" and mt == tt == "RuntimeError"
    assert "modified by an inplace operation" in mmsg and "modified by an inplace operation" in tmsg


def test_step_keeps_the_parameter_array_and_never_touches_grad():
    a = mytorch.tensor([1.0, 2.0], requires_grad=True)
    arr = a.array
    opt = HeavyBall([a], lr=0.1, momentum=0.9)
    for i in range(5):
        (a * a).sum().backward()
        g = a.grad.numpy().copy()
        v = a._version.value
        opt.step()
        assert a.array is arr and a._version.value == v + 1
        np.testing.assert_array_equal(a.grad.numpy(), g)
        opt.zero_grad()


def test_data_writes_are_invisible_to_autograd_as_torch():
    "ERRATA §2 (.data): no version bump through .data, so backward silently reads the new values, in both."
    def scenario(lib):
        w = lib.tensor(np.array([1.0, 2.0]), requires_grad=True)
        loss = (w * w).sum()
        w.data -= 0.5
        loss.backward()
        return as_numpy(w.grad).tolist()
    m, t = both(scenario)
    assert m == t == ("ok", [1.0, 3.0])


def test_init_state_once_per_parameter_and_empty_state_is_not_kept():
    calls = []

    class Counting(GD):
        def _init_state(self, p, group):
            calls.append(p)
            return {}
    a, b = mytorch.ones(2, requires_grad=True), mytorch.ones(1, requires_grad=True)
    opt = Counting([a, b], lr=0.1)
    for _ in range(3):
        (a.sum() + b.sum()).backward()
        opt.step()
        opt.zero_grad()
    assert len(opt.state) == 0 and opt.state_dict()["state"] == {}
    assert len(calls) == 6                          # {} keeps nothing: asked again, cheaply

    calls.clear()
    opt = HeavyBall([a, b], lr=0.1)
    opt.state[a]                                    # a defaultdict: reading makes an empty entry ...
    for _ in range(3):
        (a.sum() + b.sum()).backward()
        opt.step()
        opt.zero_grad()
    assert set(opt.state) == {a, b}                 # ... which still gets its initial state
    np.testing.assert_allclose(opt.state[a]["momentum_buffer"].numpy(), [1 + 0.9 + 0.81] * 2, rtol=1e-6)


def test_state_added_during_the_first_update_is_kept():
    "The contract lets _update add a key to the {} of _init_state (SGD's momentum buffer, made at the first step)."
    class Lazy(GD):
        def _update(self, p, grad, state, group):
            if "seen" not in state:
                state["seen"] = mytorch.tensor(np.zeros_like(grad))
            state["seen"].array[...] += 1
            super()._update(p, grad, state, group)
    a = mytorch.ones(2, requires_grad=True)
    opt = Lazy([a], lr=0.1)
    for _ in range(3):
        a.sum().backward()
        opt.step()
        opt.zero_grad()
    np.testing.assert_array_equal(opt.state[a]["seen"].numpy(), [3.0, 3.0])


def test_state_is_keyed_by_identity_not_value():
    a, b = mytorch.ones(2, requires_grad=True), mytorch.ones(2, requires_grad=True)
    opt = StepCounter([a, b])
    a.sum().backward()
    opt.step()
    assert a in opt.state and b not in opt.state
    assert not hasattr(a, "momentum_buffer") and set(vars(a)) == set(vars(b))   # nothing stored on the parameter


def test_step_allocates_nothing_that_grows():
    a = mytorch.tensor(np.ones((64, 64)), requires_grad=True)
    opt = HeavyBall([a], lr=0.01, momentum=0.9)
    grad = mytorch.tensor(np.full((64, 64), 0.5))

    def steps(n):
        for _ in range(n):
            a.grad = grad
            opt.step()
    steps(5)
    tracemalloc.start()
    steps(10)
    first, _ = tracemalloc.get_traced_memory()
    steps(400)
    second, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert second - first < 4096, f"{second - first} bytes more after 400 more steps"
    assert len(opt.state) == 1 and list(opt.state[a]) == ["momentum_buffer"]


# ------------------------------------------------------------------------------------------- trajectories
shapes_st = st.lists(st.lists(st.integers(1, 4), min_size=0, max_size=2).map(tuple), min_size=1, max_size=3)


@settings(max_examples=25, deadline=None)
@given(shapes=shapes_st, lr=st.floats(0.001, 0.2), dtype=st.sampled_from(["float32", "float64"]),
       c=st.floats(0.1, 2.0), d=st.floats(-1.0, 1.0))
def test_gd_trajectory_matches_torch_sgd(shapes, lr, dtype, c, d):
    torch = torch_mod()
    coefs = [(c * (i + 1) / len(shapes), d) for i in range(len(shapes))]
    run_parity(lambda ps: GD(ps, lr=lr), lambda ps: torch.optim.SGD(ps, lr=lr), shapes, coefs, 100, dtype)


@settings(max_examples=25, deadline=None)
@given(shapes=shapes_st, lr=st.floats(0.001, 0.1), mu=st.floats(0.0, 0.9),
       dtype=st.sampled_from(["float32", "float64"]))
def test_momentum_trajectory_with_per_group_hyper_parameters_matches_torch(shapes, lr, mu, dtype):
    torch = torch_mod()
    coefs = [(0.5 + i, 0.3 - i) for i in range(len(shapes))]
    groups = [{"params": [0], "lr": lr / 2}] + ([{"params": list(range(1, len(shapes))), "momentum": mu / 2}]
                                                  if len(shapes) > 1 else [])
    mo, to = run_parity(lambda gs: HeavyBall(gs, lr=lr, momentum=mu),
                        lambda gs: torch.optim.SGD(gs, lr=lr, momentum=mu), shapes, coefs, 100, dtype, groups)
    assert [g["lr"] for g in mo.param_groups] == [g["lr"] for g in to.param_groups]
    assert [g["momentum"] for g in mo.param_groups] == [g["momentum"] for g in to.param_groups]


def test_per_group_learning_rates_and_a_frozen_group():
    torch = torch_mod()
    groups = [{"params": [0], "lr": 0.0}, {"params": [1], "lr": 0.05}, {"params": [2]}]
    run_parity(lambda gs: GD(gs, lr=0.1), lambda gs: torch.optim.SGD(gs, lr=0.1),
               [(3,), (2, 2), ()], [(1.0, 0.5), (0.7, -0.2), (1.5, 0.1)], 100, "float64", groups)


def test_the_parity_helpers_can_fail():
    torch = torch_mod()
    with pytest.raises(AssertionError, match="step 1"):
        run_parity(lambda ps: Rebinding(ps, lr=0.1), lambda ps: torch.optim.SGD(ps, lr=0.1),
                   [(3,)], [(1.0, 0.5)], 5, "float64")
    with pytest.raises(AssertionError, match="step 2"):
        run_parity(lambda ps: LateMomentum(ps, lr=0.1, momentum=0.9),
                   lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9), [(3,)], [(1.0, 0.5)], 5, "float64")


# ------------------------------------------------------------------------------------------- state_dict (base)
def base_with_state(lib, dtype="float32"):
    "Two groups of the base class (three parameters, one listed twice) with hand-made state, the same in both."
    dt = getattr(lib, dtype)
    a, b, c = (lib.tensor(np.arange(n, dtype=dtype), requires_grad=True) for n in (2, 3, 1))
    opt = base(lib)([{"params": [a, b]}, {"params": [c], "lr": 0.5}], dict(lr=0.1, betas=(0.9, 0.99)))
    opt.state[a]["buf"] = lib.tensor(np.full(2, 3.0, dtype=dtype), dtype=dt)
    opt.state[a]["step"] = lib.tensor(4.0, dtype=lib.float32)
    opt.state[c]["nested"] = {"x": lib.tensor(np.ones(1, dtype="float64"), dtype=lib.float64), "n": 3}
    opt.state[c]["pair"] = [lib.tensor(np.zeros(1, dtype="float64"), dtype=lib.float64), 7]
    return opt, (a, b, c)


def summary(sd):
    "A state dict as plain values (tensors as (dtype, shape, values)) to compare the two libraries."
    def plain(v):
        if hasattr(v, "shape") and hasattr(v, "dtype") and not isinstance(v, np.ndarray):
            return (dtype_name(v), tuple(v.shape), as_numpy(v.detach() if hasattr(v, "detach") else v).tolist())
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return type(v)(plain(x) for x in v)
        return v
    return plain(sd)


def test_state_dict_layout_matches_torch():
    def scenario(lib):
        opt, (a, b, c) = base_with_state(lib)
        sd = opt.state_dict()
        return summary(sd), list(sd["state"]), sd["state"][0] is opt.state[a]
    m, t = both(scenario)
    assert m == t and m[1][2] is True               # the live state dicts, as torch


def test_state_dict_of_a_parameter_listed_twice_numbers_it_as_torch():
    def scenario(lib):
        a, b = lib.ones(2, requires_grad=True), lib.ones(1, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opt = base(lib)([{"params": [a, b, a]}], dict(lr=0.1))
        opt.state[a]["k"] = 1
        return opt.state_dict()
    m, t = both(scenario)
    assert m == t


def test_state_dict_of_state_not_belonging_to_a_parameter_keeps_its_key_as_torch():
    def scenario(lib):
        a = lib.ones(2, requires_grad=True)
        opt = base(lib)([a], {})
        opt.state["global"] = {"k": 1}
        sd = opt.state_dict()
        fresh = base(lib)([lib.ones(2, requires_grad=True)], {})
        fresh.load_state_dict(sd)
        return sd["state"], dict(fresh.state)
    m, t = both(scenario)
    assert m == t and m[0] == "ok"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_load_state_dict_casts_and_installs_as_torch(dtype):
    "Floating state takes the parameter's dtype, except 'step'; nested dicts and lists too; other values as they are."
    def scenario(lib):
        src, _ = base_with_state(lib, "float64")
        sd = src.state_dict()
        sd["param_groups"][1]["lr"] = 0.25
        dst, (a, b, c) = base_with_state(lib, dtype)
        dst.state.clear()
        dst.param_groups[0]["lr"] = 7.0
        dst.load_state_dict(sd)
        return (summary(dst.state_dict()), [g["lr"] for g in dst.param_groups],
                [[q is p for q in (a, b, c)].index(True) for g in dst.param_groups for p in g["params"]],
                type(dst.state).__name__)
    m, t = both(scenario)
    assert m == t and m[0] == "ok"


def test_load_state_dict_keeps_int_parameters_state_dtype_as_torch():
    def scenario(lib):
        p = lib.tensor(np.array([1, 2]), dtype=lib.int64)
        opt = base(lib)([p], {})
        opt.load_state_dict({"state": {0: {"buf": lib.tensor(np.array([0.5, 1.5]), dtype=lib.float64)}},
                             "param_groups": [{"params": [0]}]})
        return summary(opt.state_dict())
    m, t = both(scenario)
    assert m == t and m[0] == "ok"


def test_load_state_dict_param_names_as_torch():
    def scenario(lib):
        a, b = lib.ones(2, requires_grad=True), lib.ones(1, requires_grad=True)
        named = base(lib)([("a", a), ("b", b)], dict(lr=0.1))
        plain = base(lib)([a, b], dict(lr=0.2))
        named_sd, plain_sd = named.state_dict(), plain.state_dict()
        named.load_state_dict(plain_sd)             # keeps its names
        plain.load_state_dict(named_sd)             # takes the loaded names
        return named.state_dict(), plain.state_dict()
    m, t = both(scenario)
    assert m == t and m[0] == "ok"


def test_load_state_dict_deep_copies_the_groups_and_setstate_sets_differentiable_as_torch():
    def scenario(lib):
        a = lib.ones(2, requires_grad=True)
        opt = base(lib)([a], dict(lr=0.1))
        sd = {"state": {}, "param_groups": [{"lr": 0.3, "betas": [0.1, 0.2], "params": [0]}]}
        opt.load_state_dict(sd)
        opt.param_groups[0]["betas"].append(0.3)
        return sd["param_groups"][0]["betas"], opt.defaults, opt.param_groups[0]["params"][0] is a
    m, t = both(scenario)
    assert m == t == ("ok", ([0.1, 0.2], {"lr": 0.1, "differentiable": False}, True))


LOAD_ERRORS = {
    "more groups": lambda sd: {**sd, "param_groups": sd["param_groups"] + [{"params": [], "lr": 1.0}]},
    "fewer groups": lambda sd: {**sd, "param_groups": sd["param_groups"][:1]},
    "bigger group": lambda sd: {**sd, "param_groups": [dict(sd["param_groups"][0], params=[0, 1, 5]),
                                                        sd["param_groups"][1]]},
    "smaller group": lambda sd: {**sd, "param_groups": [dict(sd["param_groups"][0], params=[0]),
                                                         sd["param_groups"][1]]},
    "no param_groups": lambda sd: {"state": sd["state"]},
    "no state": lambda sd: {"param_groups": sd["param_groups"]},
}


@pytest.mark.parametrize("name", LOAD_ERRORS)
def test_load_state_dict_errors_match_torch_and_change_nothing(name):
    def scenario(lib):
        opt, _ = base_with_state(lib)
        before = summary(opt.state_dict())
        result, error = attempt(opt.load_state_dict, LOAD_ERRORS[name](copy.deepcopy(opt.state_dict())))
        assert summary(opt.state_dict()) == before, "a failed load changed the optimizer"
        if error is not None:
            raise error
    m, t = both(scenario)
    assert t[0] == "error", f"torch accepts {name}"
    assert m == t


@pytest.mark.parametrize("bad", ["longer", "2-d", "0-d", "nested is fine"])
def test_load_state_dict_of_the_wrong_shape_raises_at_load_and_changes_nothing(bad):
    "ERRATA §2: torch loads it and fails in step() (RuntimeError); we raise RuntimeError when loading."
    torch = torch_mod()
    m_opt = HeavyBall([mytorch.ones(3, requires_grad=True), mytorch.ones(2, requires_grad=True)], lr=0.1)
    t_opt = torch.optim.SGD([torch.ones(3, requires_grad=True), torch.ones(2, requires_grad=True)], lr=0.1,
                            momentum=0.9)
    for opt in (m_opt, t_opt):
        for p in (q for g in opt.param_groups for q in g["params"]):
            p.grad = p.detach() * 0 + 1
        opt.step()
    value = {"longer": np.ones(4), "2-d": np.ones((3, 1)), "0-d": np.array(1.0),
             "nested is fine": np.ones(3)}[bad]
    m_sd, t_sd = copy.deepcopy(m_opt.state_dict()), copy.deepcopy(t_opt.state_dict())
    m_sd["state"][0]["momentum_buffer"] = mytorch.tensor(value.astype("float32"))
    t_sd["state"][0]["momentum_buffer"] = torch.tensor(value.astype("float32"))
    if bad == "nested is fine":                    # only a parameter's own state tensors are checked
        m_sd["state"][1]["extra"] = {"x": mytorch.ones(7)}
        m_opt.load_state_dict(m_sd)
        return
    t_opt.load_state_dict(t_sd)                     # torch: accepted here ...
    with pytest.raises(RuntimeError):
        t_opt.step()                                # ... and fails at the step
    before = summary(m_opt.state_dict())
    with pytest.raises(RuntimeError, match=r"state 'momentum_buffer' of parameter 0 has shape .* \(3,\)"):
        m_opt.load_state_dict(m_sd)
    assert summary(m_opt.state_dict()) == before


def test_load_state_dict_copies_the_loaded_tensors():
    "Deliberate: torch keeps the very tensors when the dtype matches; mytorch copies them."
    a = mytorch.ones(2, requires_grad=True)
    src = HeavyBall([a], lr=0.1)
    a.grad = mytorch.ones(2)
    src.step()
    sd = src.state_dict()
    dst = HeavyBall([mytorch.ones(2, requires_grad=True)], lr=0.1)
    dst.load_state_dict(sd)
    b = dst.param_groups[0]["params"][0]
    assert dst.state[b]["momentum_buffer"].array is not src.state[a]["momentum_buffer"].array
    b.grad = mytorch.ones(2)
    dst.step()
    np.testing.assert_array_equal(src.state[a]["momentum_buffer"].numpy(), [1.0, 1.0])   # untouched by dst


def test_optimizer_deepcopies_and_pickles():
    import pickle
    a = mytorch.ones(2, requires_grad=True)
    opt = HeavyBall([a], lr=0.1)
    a.grad = mytorch.ones(2)
    opt.step()
    for clone in (copy.deepcopy(opt), pickle.loads(pickle.dumps(opt))):
        p = clone.param_groups[0]["params"][0]
        assert p is not a and p in clone.state
        np.testing.assert_array_equal(clone.state[p]["momentum_buffer"].numpy(), [1.0, 1.0])


def test_the_layout_helper_can_fail():
    torch = torch_mod()
    m = GD([mytorch.ones(2, requires_grad=True)], lr=0.1)
    t = torch.optim.SGD([torch.ones(2, requires_grad=True)], lr=0.1)
    with pytest.raises(AssertionError, match="group 0 keys"):
        assert_same_layout(m.state_dict(), t.state_dict())
    msd = {"state": {1: {"step": mytorch.tensor(1.0)}}, "param_groups": [{"lr": 0.1, "params": [0]}]}
    tsd = {"state": {0: {"step": torch.tensor(1.0)}}, "param_groups": [{"lr": 0.1, "params": [0]}]}
    with pytest.raises(AssertionError, match="state indices"):
        assert_same_layout(msd, tsd)
    msd["state"] = {0: {"step": mytorch.tensor(1.0, dtype=mytorch.float64)}}
    with pytest.raises(AssertionError, match="dtype"):
        assert_same_layout(msd, tsd)


# ------------------------------------------------------------------------------------------- the chapter's optimizers
def chapter_optimizers():
    "(name, mytorch class, torch class, kwargs) for the optimizers the chapter builds on this base."
    torch = torch_mod()
    from mytorch.optim.sgd import SGD
    from mytorch.optim.adaptive import Adagrad, RMSprop, Adam, AdamW
    return {
        "SGD momentum": (SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, weight_decay=0.01)),
        "SGD nesterov": (SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.5, nesterov=True)),
        "SGD plain": (SGD, torch.optim.SGD, dict(lr=0.05)),
        "Adam": (Adam, torch.optim.Adam, dict(lr=0.01)),
        "Adam amsgrad": (Adam, torch.optim.Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
        "AdamW": (AdamW, torch.optim.AdamW, dict(lr=0.01)),
        "RMSprop centered": (RMSprop, torch.optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.5)),
        "Adagrad": (Adagrad, torch.optim.Adagrad, dict(lr=0.1, lr_decay=0.01)),
    }


CHAPTER = ["SGD momentum", "SGD nesterov", "SGD plain", "Adam", "Adam amsgrad", "AdamW", "RMSprop centered",
           "Adagrad"]


def chapter_run(lib, name, dtype, steps, groups=True, opt_sd=None, start=None, convert=None):
    """Train `name` of `lib` on quad_loss over three parameters in two groups (the second with half the lr):
    `start` (arrays) replaces the initial values, `opt_sd` is loaded first (through `convert` if given).
    Returns (optimizer, params, losses)."""
    m_cls, t_cls, kw = chapter_optimizers()[name]
    cls = m_cls if lib is mytorch else t_cls
    rng = np.random.default_rng(7)
    start = start or [rng.uniform(-1, 1, s) for s in [(3, 2), (2,), ()]]
    ps = [lib.tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in start]
    coefs = [(lib.tensor(np.asarray(c, dtype)), lib.tensor(np.asarray(d, dtype)))
             for c, d in [(1.0, 0.5), (0.3, -0.2), (2.0, 0.1)]]
    spec = [{"params": ps[:2]}, {"params": ps[2:], "lr": kw["lr"] / 2}] if groups else ps
    opt = cls(spec, **kw)
    if opt_sd is not None:
        opt.load_state_dict(convert(opt_sd) if convert else opt_sd)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = quad_loss(ps, coefs)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return opt, ps, losses


@pytest.mark.parametrize("name", CHAPTER)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_chapter_optimizers_state_dict_layout_matches_torch(name, dtype):
    mo, _, ml = chapter_run(mytorch, name, dtype, 5)
    to, _, tl = chapter_run(torch_mod(), name, dtype, 5)
    assert_same_layout(mo.state_dict(), to.state_dict(), **TOLS[dtype])
    np.testing.assert_allclose(ml, tl, **TOLS[dtype])
    fresh_m, _, _ = chapter_run(mytorch, name, dtype, 0)
    fresh_t, _, _ = chapter_run(torch_mod(), name, dtype, 0)
    assert_same_layout(fresh_m.state_dict(), fresh_t.state_dict())     # before any step (Adagrad: eager state)


@pytest.mark.parametrize("name", CHAPTER)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_chapter_optimizers_resume_exactly(name, dtype):
    _, straight_ps, straight = chapter_run(mytorch, name, dtype, 12)
    opt, ps, first = chapter_run(mytorch, name, dtype, 5)
    saved = copy.deepcopy(opt.state_dict())
    values = [p.detach().numpy().copy() for p in ps]
    for p in ps:                                      # the old run goes on: must not disturb the copy
        p.grad = p.detach() * 0 + 1
    opt.step()
    _, resumed_ps, rest = chapter_run(mytorch, name, dtype, 7, opt_sd=saved, start=values)
    assert first + rest == straight
    for p, q in zip(resumed_ps, straight_ps):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


@pytest.mark.parametrize("name", CHAPTER)
def test_chapter_state_dicts_cross_between_the_libraries(name):
    "A checkpoint written by either library is read by the other and continues the same run."
    torch = torch_mod()
    m_opt, m_ps, _ = chapter_run(mytorch, name, "float64", 6)
    t_opt, t_ps, _ = chapter_run(torch, name, "float64", 6)
    m_values = [p.detach().numpy().copy() for p in m_ps]
    t_values = [p.detach().numpy().copy() for p in t_ps]
    _, _, m_rest = chapter_run(mytorch, name, "float64", 6, opt_sd=t_opt.state_dict(), start=t_values,
                               convert=mytorch_value)
    _, _, t_rest = chapter_run(torch, name, "float64", 6, opt_sd=m_opt.state_dict(), start=m_values,
                               convert=torch_value)
    _, _, t_same = chapter_run(torch, name, "float64", 6, opt_sd=copy.deepcopy(t_opt.state_dict()), start=t_values)
    _, _, m_same = chapter_run(mytorch, name, "float64", 6, opt_sd=copy.deepcopy(m_opt.state_dict()),
                               start=m_values)
    np.testing.assert_allclose(m_rest, t_same, **TOLS["float64"])
    np.testing.assert_allclose(t_rest, m_same, **TOLS["float64"])


def test_chapter_load_casts_a_float64_checkpoint_for_float32_parameters_as_torch():
    torch = torch_mod()
    for name in ["SGD momentum", "Adam", "Adagrad", "RMSprop centered"]:
        m_opt, _, _ = chapter_run(mytorch, name, "float64", 3)
        t_opt, _, _ = chapter_run(torch, name, "float64", 3)
        m32, _, _ = chapter_run(mytorch, name, "float32", 0)
        t32, _, _ = chapter_run(torch, name, "float32", 0)
        m32.load_state_dict(m_opt.state_dict())
        t32.load_state_dict(t_opt.state_dict())
        assert_same_layout(m32.state_dict(), t32.state_dict(), **TOLS["float32"])


# ------------------------------------------------------------------------------------------- hooks
def lib_gd(lib, params, lr=0.1):
    return GD(params, lr=lr) if lib is mytorch else lib.optim.SGD(params, lr=lr)


def register_global(lib, kind):
    if lib is mytorch:
        import mytorch.optim.optimizer as mo
    else:
        import torch.optim.optimizer as mo
    return getattr(mo, f"register_optimizer_step_{kind}_hook")


def test_step_hooks_order_arguments_and_removal_match_torch():
    def scenario(lib):
        a = lib.ones(2, requires_grad=True)
        opt = lib_gd(lib, [a])
        calls = []
        def note(tag):
            return lambda o, args, kwargs: calls.append((tag, o is opt, len(args), args[0] is opt, sorted(kwargs)))
        handles = [register_global(lib, "pre")(note("global pre")), register_global(lib, "post")(note("global post")),
                   opt.register_step_pre_hook(note("pre")), opt.register_step_post_hook(note("post"))]
        try:
            a.grad = lib.ones(2)
            opt.step()
            opt.step(closure=lambda: 1.0)
            handles[2].remove()
            handles[0].remove()
            opt.step(lambda: 2.0)
        finally:
            for h in handles:
                h.remove()
        opt.step()
        return calls, as_numpy(a.detach()).tolist()
    m, t = both(scenario)
    assert m == t and m[0] == "ok"


def test_step_pre_hook_can_replace_the_arguments_as_torch():
    def scenario(lib):
        a = lib.ones(2, requires_grad=True)
        opt = lib_gd(lib, [a])
        def closure():
            opt.zero_grad()
            loss = (a * a).sum()
            loss.backward()
            return loss
        opt.register_step_pre_hook(lambda o, args, kwargs: ((args[0],), {"closure": closure}))
        loss = opt.step()
        return loss.item(), as_numpy(a.detach()).tolist()
    m, t = both(scenario)
    assert m == t and m[0] == "ok"


def test_step_pre_hook_with_a_bad_result_raises_as_torch():
    def scenario(lib):
        a = lib.ones(2, requires_grad=True)
        opt = lib_gd(lib, [a])
        opt.register_step_pre_hook(lambda o, args, kwargs: "oops")
        a.grad = lib.ones(2)
        opt.step()
    (mk, mt, mmsg), (tk, tt, tmsg) = both(scenario)
    assert mk == tk == "error" and mt == tt == "RuntimeError"
    assert mmsg.split(">", 1)[1] == tmsg.split(">", 1)[1]    # after the function's repr
    assert "must return None or a tuple of (new_args, new_kwargs), but got oops." in mmsg


def test_a_subclass_with_its_own_step_gets_the_hooks():
    class OwnStep(Optimizer):
        def step(self, closure=None):
            self.ran = True
            return "own"
    opt = OwnStep([mytorch.ones(1, requires_grad=True)], {})
    calls = []
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append("post"))
    assert opt.step() == "own" and opt.ran and calls == ["post"]
    assert getattr(OwnStep.step, "hooked", False)


def test_a_step_calling_super_step_runs_the_hooks_once():
    class Wrapped(GD):
        def step(self, closure=None):
            loss = super().step(closure)
            self.extra = True
            return loss
    a = mytorch.ones(2, requires_grad=True)
    opt = Wrapped([a], lr=0.5)
    calls = []
    opt.register_step_pre_hook(lambda o, args, kwargs: calls.append("pre"))
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append("post"))
    a.grad = mytorch.ones(2)
    opt.step()
    assert calls == ["pre", "post"] and opt.extra
    np.testing.assert_array_equal(a.detach().numpy(), [0.5, 0.5])
    opt.register_step_pre_hook(lambda o, args, kwargs: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        opt.step()
    calls.clear()
    opt._optimizer_step_pre_hooks.clear()
    opt.step()                                     # a failed step leaves no "under way" mark behind
    assert calls == ["post"]


def test_state_dict_hooks_match_torch():
    def scenario(lib):
        a, b = lib.ones(2, requires_grad=True), lib.ones(1, requires_grad=True)
        opt = lib_gd(lib, [a, b])
        calls = []
        opt.register_state_dict_pre_hook(lambda o: calls.append("pre 1"))
        opt.register_state_dict_pre_hook(lambda o: calls.append("pre 0"), prepend=True)
        opt.register_state_dict_post_hook(lambda o, sd: calls.append(("post", sorted(sd))))
        h = opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
        opt.register_state_dict_post_hook(lambda o, sd: calls.append(("post 0", sorted(sd))), prepend=True)
        first = sorted(opt.state_dict())
        h.remove()
        second = sorted(opt.state_dict())
        return calls, first, second
    m, t = both(scenario)
    assert m == t and m[0] == "ok"


def test_load_state_dict_hooks_match_torch():
    def scenario(lib):
        a = lib.ones(2, requires_grad=True)
        opt = lib_gd(lib, [a])
        sd = opt.state_dict()
        calls = []

        def pre(o, d):
            calls.append(("pre", d is sd, sorted(d)))
            d["note"] = 1                            # a shallow copy: the caller's dict keeps its keys
            return {"state": d["state"], "param_groups": [dict(d["param_groups"][0], lr=0.5)]}
        opt.register_load_state_dict_pre_hook(pre)
        opt.register_load_state_dict_pre_hook(lambda o, d: calls.append(("first", sorted(d))), prepend=True)
        opt.register_load_state_dict_post_hook(lambda o: calls.append(("post", o.param_groups[0]["lr"])))
        opt.load_state_dict(sd)
        return calls, sorted(sd), opt.param_groups[0]["lr"]
    m, t = both(scenario)
    assert m == t and m[0] == "ok"


def test_hooks_are_dropped_by_deepcopy_as_torch():
    def scenario(lib):
        opt = lib_gd(lib, [lib.ones(2, requires_grad=True)])
        calls = []
        opt.register_step_post_hook(lambda o, args, kwargs: calls.append(1))
        clone = copy.deepcopy(opt)
        p = clone.param_groups[0]["params"][0]
        p.grad = p.detach() * 0 + 1
        clone.step()
        return calls
    m, t = both(scenario)
    assert m == t == ("ok", [])
