"""mytorch.nn.module (nbs/05_nn.ipynb) against torch.nn: Parameter, Module bookkeeping (names, order, buffers,
hooks, train/eval, conversion, repr), the containers, and state_dict / load_state_dict (issue 9 items 3, 4, 10;
ERRATA §2 and §3.5).

Every model is defined once, by `defs(lib)`, for lib = mytorch and lib = torch, so that both libraries build the same
structure from the same source and the test compares what each library makes of it.
"""
import copy
import re
import types
from collections import OrderedDict

import numpy as np
import pytest
import torch

import mytorch
from mytorch.nn import module as mnn
from mytorch.autograd.function import no_grad as m_no_grad

# --------------------------------------------------------------------------------------------------- the two libs
MY = types.SimpleNamespace(
    name="mytorch", nn=mnn, Module=mnn.Module, Parameter=mnn.Parameter, Sequential=mnn.Sequential,
    ModuleList=mnn.ModuleList, ModuleDict=mnn.ModuleDict, tensor=mytorch.tensor, zeros=mytorch.zeros,
    ones=mytorch.ones, randn=mytorch.randn, arange=mytorch.arange, float32=mytorch.float32,
    float64=mytorch.float64, int64=mytorch.int64, no_grad=m_no_grad, Tensor=mytorch.Tensor)
TO = types.SimpleNamespace(
    name="torch", nn=torch.nn, Module=torch.nn.Module, Parameter=torch.nn.Parameter,
    Sequential=torch.nn.Sequential, ModuleList=torch.nn.ModuleList, ModuleDict=torch.nn.ModuleDict,
    tensor=torch.tensor, zeros=torch.zeros, ones=torch.ones, randn=torch.randn, arange=torch.arange,
    float32=torch.float32, float64=torch.float64, int64=torch.int64, no_grad=torch.no_grad, Tensor=torch.Tensor)
LIBS = [MY, TO]


def defs(L):
    "The same model classes written against library L (mytorch or torch)."
    class Linear(L.Module):
        def __init__(self, i, o, bias=True):
            super().__init__()
            self.in_features, self.out_features = i, o
            self.weight = L.Parameter(L.randn(o, i))
            if bias:
                self.bias = L.Parameter(L.randn(o))
            else:
                self.register_parameter("bias", None)

        def forward(self, x):
            y = x @ self.weight.T
            return y if self.bias is None else y + self.bias

        def extra_repr(self):
            return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"

    class Norm(L.Module):
        "Buffers: two persistent, one not, one None; an int buffer."
        def __init__(self, n):
            super().__init__()
            self.gain = L.Parameter(L.ones(n))
            self.register_buffer("running_mean", L.zeros(n))
            self.register_buffer("scratch", L.zeros(n), persistent=False)
            self.register_buffer("count", L.tensor(0))
            self.register_buffer("empty", None)

        def forward(self, x):
            return (x - self.running_mean) * self.gain

        def extra_repr(self):
            return f"{len(self.gain)}"

    class Encoder(L.Module):
        def __init__(self):
            super().__init__()
            self.fc = Linear(4, 3)
            self.norm = Norm(3)
            self.register_buffer("mean", L.zeros(4))

        def forward(self, x):
            return self.norm(self.fc(x - self.mean)).relu()

    class AutoEncoder(L.Module):
        def __init__(self):
            super().__init__()
            self.encoder = Encoder()
            self.decoder = L.Sequential(Linear(3, 5), L.nn.ReLU() if L is TO else ReLU(), Linear(5, 4))
            self.scale = L.Parameter(L.ones(1))
            self.nothing = None

        def forward(self, x):
            return self.decoder(self.encoder(x)) * self.scale

    class ReLU(L.Module):
        def forward(self, x):
            return x.relu()

    class Tied(L.Module):
        "A shared parameter and a shared submodule."
        def __init__(self):
            super().__init__()
            self.a = Linear(3, 3)
            self.b = Linear(3, 3)
            self.b.weight = self.a.weight
            self.again = self.a

        def forward(self, x):
            return self.again(self.b(self.a(x)))

    class Deep(L.Module):
        def __init__(self):
            super().__init__()
            self.blocks = L.ModuleList([L.Sequential(Linear(2, 2), Norm(2)) for _ in range(2)])
            self.heads = L.ModuleDict({"z": Linear(2, 1), "a": Linear(2, 3, bias=False)})
            self.p = L.Parameter(L.zeros(2))
            self.register_buffer("steps", L.zeros(1))

        def forward(self, x):
            for b in self.blocks:
                x = b(x)
            return self.heads["z"](x) + self.heads["a"](x).sum(1, keepdim=True) + self.p.sum()

    return types.SimpleNamespace(Linear=Linear, Norm=Norm, Encoder=Encoder, AutoEncoder=AutoEncoder,
                                 ReLU=ReLU, Tied=Tied, Deep=Deep)


D = {L.name: defs(L) for L in LIBS}
MODELS = ["AutoEncoder", "Tied", "Deep", "Encoder", "Norm"]


def build(L, name, *args):
    torch.manual_seed(0)
    mytorch.manual_seed(0)
    cls = getattr(D[L.name], name)
    return cls(*args) if args else (cls(3) if name == "Norm" else cls())


def both(name, *args):
    return build(MY, name, *args), build(TO, name, *args)


def shapes(named):
    return [(n, tuple(t.shape)) for n, t in named]


def np_of(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.array)


def copy_state(src, dst, dst_lib):
    "Load src's state_dict (either library) into dst through NumPy arrays."
    arrays = {k: np_of(v).copy() for k, v in src.state_dict().items()}
    conv = (lambda a: torch.from_numpy(a)) if dst_lib is TO else (lambda a: mytorch.tensor(a))
    return dst.load_state_dict({k: conv(a) for k, a in arrays.items()})


def torch_msg(msg):
    "A torch message as mytorch words it: torch.Size([3, 4]) -> (3, 4), torch.X -> mytorch.X."
    def size(m):
        dims = [d.strip() for d in m.group(1).split(",") if d.strip()]
        return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"
    msg = re.sub(r"torch\.Size\(\[([^\]]*)\]\)", size, msg)
    return msg.replace("torch.", "mytorch.").replace("<class 'mytorch.", "<class 'torch.")


def error_of(f):
    try:
        f()
    except Exception as e:          # noqa: BLE001 - the test compares the type
        return e
    raise AssertionError("no error was raised")


# --------------------------------------------------------------------------------------------------- Parameter
def test_parameter_is_a_leaf_tensor_that_shares_storage_and_prints_like_torch():
    for data in ([1.0, 2.0], [[0.5, -1.25]], 3.0):
        mp, tp = mnn.Parameter(mytorch.tensor(data)), torch.nn.Parameter(torch.tensor(data))
        assert repr(mp) == repr(tp).replace("torch.", "mytorch.")
        assert isinstance(mp, mytorch.Tensor) and mp.requires_grad and mp.is_leaf
    assert repr(mnn.Parameter()) == repr(torch.nn.Parameter())
    w = mytorch.tensor([1.0, 2.0])
    p = mnn.Parameter(w)
    assert p.array is w.array
    assert type(p * 2) is mytorch.Tensor and type(p.detach()) is mytorch.Tensor
    assert mnn.Parameter(w, requires_grad=False).requires_grad is False
    assert repr(mnn.Parameter(w, requires_grad=False)) == repr(torch.nn.Parameter(torch.tensor([1.0, 2.0]), False))
    # a Parameter made from a computed tensor is a new leaf
    x = mytorch.tensor([1.0], requires_grad=True)
    assert mnn.Parameter(x * 2).is_leaf
    # an integer Parameter cannot require grad (torch: RuntimeError); without grad it is fine
    assert type(error_of(lambda: mnn.Parameter(mytorch.tensor([1])))) is type(
        error_of(lambda: torch.nn.Parameter(torch.tensor([1]))))
    assert mnn.Parameter(mytorch.tensor([1]), requires_grad=False).dtype == mytorch.int64


def test_parameter_gets_gradients_and_deepcopies():
    p = mnn.Parameter(mytorch.tensor([1.0, 2.0]))
    (p * p).sum().backward()
    assert p.grad.tolist() == [2.0, 4.0]
    m = build(MY, "AutoEncoder")
    m2 = copy.deepcopy(m)
    assert [n for n, _ in m2.named_parameters()] == [n for n, _ in m.named_parameters()]
    assert all(type(p) is mnn.Parameter for p in m2.parameters())
    assert all(a.array is not b.array and np.array_equal(a.array, b.array)
               for a, b in zip(m.parameters(), m2.parameters()))


# --------------------------------------------------------------------------------------------------- names, order
@pytest.mark.parametrize("name", MODELS)
def test_named_members_match_torch(name):
    m, t = both(name)
    assert shapes(m.named_parameters()) == shapes(t.named_parameters())
    assert shapes(m.named_parameters(remove_duplicate=False)) == shapes(t.named_parameters(remove_duplicate=False))
    assert shapes(m.named_parameters(prefix="model", recurse=False)) == shapes(
        t.named_parameters(prefix="model", recurse=False))
    assert shapes(m.named_buffers()) == shapes(t.named_buffers())
    assert shapes(m.named_buffers(recurse=False)) == shapes(t.named_buffers(recurse=False))
    assert [n for n, _ in m.named_modules()] == [n for n, _ in t.named_modules()]
    assert ([n for n, _ in m.named_modules(remove_duplicate=False)]
            == [n for n, _ in t.named_modules(remove_duplicate=False)])
    assert [n for n, _ in m.named_modules(prefix="root")] == [n for n, _ in t.named_modules(prefix="root")]
    assert [n for n, _ in m.named_children()] == [n for n, _ in t.named_children()]
    assert [type(c).__name__ for c in m.children()] == [type(c).__name__ for c in t.children()]
    assert [type(c).__name__ for c in m.modules()] == [type(c).__name__ for c in t.modules()]
    assert [tuple(p.shape) for p in m.parameters()] == [tuple(p.shape) for p in t.parameters()]
    assert [tuple(b.shape) for b in m.buffers()] == [tuple(b.shape) for b in t.buffers()]
    assert [tuple(p.shape) for p in m.parameters(recurse=False)] == [tuple(p.shape) for p in
                                                                   t.parameters(recurse=False)]


def test_shared_parameter_and_module_are_listed_once():
    m = build(MY, "Tied")
    assert [n for n, _ in m.named_parameters()] == ["a.weight", "a.bias", "b.bias"]
    assert [n for n, _ in m.named_modules()] == ["", "a", "b"]
    assert [n for n, _ in m.named_children()] == ["a", "b"]
    assert list(m.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias", "again.weight", "again.bias"]


def test_setattr_files_values_and_later_assignments_move_them():
    for L in LIBS:
        m = L.Module()
        m.x = 3
        m.x = L.Parameter(L.zeros(2))                       # moves from __dict__ to _parameters
        assert "x" not in m.__dict__ and list(m._parameters) == ["x"]
        with pytest.raises(TypeError):
            m.x = L.Module()                                # a parameter's name takes Parameters only
        del m.x
        m.y = 2
        m.y = L.Module()                                    # moves from __dict__ to _modules
        assert "y" not in m.__dict__ and list(m._modules) == ["y"]
        m.x = L.Module()
        assert list(m._parameters) == [] and list(m._modules) == ["y", "x"]
        m.x = None                                          # a module slot may be None
        assert m._modules["x"] is None
        m.register_buffer("b", L.zeros(1))
        m.b = L.ones(2)                                     # replaces the buffer
        assert m._buffers["b"].shape == (2,)
        m.b = L.Parameter(L.zeros(1))                       # a Parameter under a buffer name
        assert "b" not in m._buffers and "b" in m._parameters
        m.plain = L.zeros(1)                                # a plain tensor: an ordinary attribute
        assert "plain" in m.__dict__
        del m.b, m.x, m.y, m.plain
        assert (dict(m._parameters), dict(m._modules)) == ({}, {}) and "plain" not in m.__dict__
        m.register_buffer("nb", L.zeros(1), persistent=False)
        del m.nb
        assert m._non_persistent_buffers_set == set()


def test_getattr_error_and_missing_forward_match_torch():
    m, t = mnn.Module(), torch.nn.Module()
    em, et = error_of(lambda: m.nope), error_of(lambda: t.nope)
    assert type(em) is type(et) is AttributeError and str(em) == str(et)
    em, et = error_of(lambda: m(1)), error_of(lambda: t(1))
    assert type(em) is type(et) is NotImplementedError and str(em) == str(et)


def test_dir_lists_registered_names():
    m = build(MY, "AutoEncoder")
    assert {"encoder", "decoder", "scale", "forward"} <= set(dir(m))


def test_get_submodule():
    m, t = both("AutoEncoder")
    for target in ["", "encoder", "encoder.fc", "decoder.2"]:
        assert type(m.get_submodule(target)).__name__ == type(t.get_submodule(target)).__name__
    for target in ["encoder.nope", "encoder.mean"]:
        em, et = error_of(lambda: m.get_submodule(target)), error_of(lambda: t.get_submodule(target))
        assert type(em) is type(et) is AttributeError and str(em) == str(et)


# ---------------------------------------------------------------------------------------- bad input (item 10)
def _bad_registrations(L):
    "name -> a function doing one bad registration on a fresh module of library L."
    def mod():
        m = L.Module()
        m.w = L.Parameter(L.zeros(2))
        m.sub = L.Module()
        m.register_buffer("buf", L.zeros(1))
        m.plain = 1
        return m
    x = L.zeros(2, requires_grad=True)
    return {
        "param: non-Parameter over a registered one": lambda: setattr(mod(), "w", L.zeros(2)),
        "param: number over a registered one": lambda: setattr(mod(), "w", 3.0),
        "module: non-Module over a registered one": lambda: setattr(mod(), "sub", 3),
        "buffer: non-tensor over a registered one": lambda: setattr(mod(), "buf", [1.0]),
        "register_parameter: int name": lambda: mod().register_parameter(1, None),
        "register_parameter: dotted": lambda: mod().register_parameter("a.b", None),
        "register_parameter: empty": lambda: mod().register_parameter("", None),
        "register_parameter: existing attribute": lambda: mod().register_parameter("plain", None),
        "register_parameter: a tensor": lambda: mod().register_parameter("q", L.zeros(1)),
        "register_parameter: non-leaf": lambda: mod().register_parameter("q", L.Parameter(L.zeros(1)) * 2),
        "register_buffer: int name": lambda: mod().register_buffer(1, None),
        "register_buffer: dotted": lambda: mod().register_buffer("a.b", None),
        "register_buffer: empty": lambda: mod().register_buffer("", None),
        "register_buffer: existing attribute": lambda: mod().register_buffer("w", None),
        "register_buffer: a list": lambda: mod().register_buffer("q", [1.0]),
        "add_module: not a module": lambda: mod().add_module("q", 3),
        "add_module: int name": lambda: mod().add_module(1, L.Module()),
        "add_module: dotted": lambda: mod().add_module("a.b", L.Module()),
        "add_module: empty": lambda: mod().add_module("", L.Module()),
        "add_module: existing attribute": lambda: mod().add_module("plain", L.Module()),
        "train: not a bool": lambda: mod().train(1),
        "to: integer dtype": lambda: mod().to(L.int64),
        "load_state_dict: not a mapping": lambda: mod().load_state_dict([("w", L.zeros(2))]),
        "ModuleList.extend: not iterable": lambda: L.ModuleList().extend(3),
        "ModuleDict.update: not iterable": lambda: L.ModuleDict().update(3),
        "ModuleDict.update: element not iterable": lambda: L.ModuleDict().update([3]),
        "ModuleDict.update: element of length 3": lambda: L.ModuleDict().update([("a", L.Module(), 1)]),
        "Sequential: index out of range": lambda: L.Sequential(L.Module())[1],
        "ModuleList: index out of range": lambda: L.ModuleList([L.Module()])[-2],
        "Sequential + list": lambda: L.Sequential() + [1],
        "grad_fn of x": lambda: setattr(mod(), "w", x * 2),
    }


@pytest.mark.parametrize("case", list(_bad_registrations(MY)))
def test_bad_registrations_raise_torch_s_exception_and_message(case):
    em, et = error_of(_bad_registrations(MY)[case]), error_of(_bad_registrations(TO)[case])
    assert type(em) is type(et), (em, et)
    # mytorch's message is PyTorch's (in mytorch's words), sometimes followed by a hint
    want = torch_msg(str(et)).replace("torch Tensor", "mytorch Tensor")
    want = re.sub(r"\(mytorch\.nn\.Buffer, ", "(", want)
    assert str(em).startswith(want.rstrip(".")) or want in str(em), (str(em), want)


def test_non_parameter_assignment_names_the_layer_and_hints():
    m = build(MY, "Encoder")
    e = error_of(lambda: setattr(m.fc, "weight", mytorch.zeros(3, 4)))
    assert isinstance(e, TypeError)
    assert "cannot assign 'mytorch.FloatTensor' as parameter 'weight'" in str(e)
    assert "Linear" in str(e) and "hint" in str(e)
    assert m.fc.weight.shape == (3, 4) and type(m.fc.weight) is mnn.Parameter   # unchanged


def test_assigning_before_init_raises_as_torch():
    for what in ["param", "module", "buffer"]:
        errs = []
        for L in LIBS:
            class Bad(L.Module):
                def __init__(self):
                    if what == "param":
                        self.w = L.Parameter(L.zeros(1))
                    elif what == "module":
                        self.m = L.Module()
                    else:
                        self.register_buffer("b", L.zeros(1))
            errs.append(error_of(Bad))
        em, et = errs
        assert type(em) is type(et) is AttributeError
        assert str(em).startswith(str(et))


# --------------------------------------------------------------------------------------------------- hooks
def _hook_run(L):
    "Register hooks of every kind on a small model, run it, remove some, run again: the log of calls."
    log = []
    m = L.Sequential(D[L.name].Linear(2, 3), D[L.name].ReLU())
    h1 = m[0].register_forward_hook(lambda mod, args, out: log.append(("f1", tuple(out.shape))))
    h2 = m[0].register_forward_hook(lambda mod, args, out: log.append(("f0", len(args))), prepend=True)
    h3 = m.register_forward_pre_hook(lambda mod, args: log.append(("pre", tuple(args[0].shape))))
    h4 = m.register_forward_pre_hook(lambda mod, args: args[0] * 0)          # replaces the input (not a tuple)
    h5 = m.register_forward_hook(lambda mod, args, out: out + 1)             # replaces the output
    h6 = m.register_forward_pre_hook(lambda mod, args, kwargs: (args, kwargs), with_kwargs=True)
    h7 = m.register_forward_hook(lambda mod, args, kwargs, out: log.append(("kw", sorted(kwargs))),
                                 with_kwargs=True)
    x = L.ones(4, 2)
    out = m(x)
    log.append(("out", tuple(out.shape), bool((np_of(out) >= 1).all())))
    for h in (h1, h4, h5):
        h.remove()
    h1.remove()                                                              # twice: harmless
    out = m(x)
    log.append(("out2", bool((np_of(out) >= 0).all()), bool((np_of(out) > 0).any())))
    with m.register_forward_hook(lambda mod, args, out: log.append("with")):
        m(x)
    m(x)
    for h in (h2, h3, h6, h7):
        h.remove()
    m(x)
    log.append(("left", len(m._forward_hooks), len(m._forward_pre_hooks), len(m[0]._forward_hooks)))
    return log


def test_hooks_order_replacement_and_removal_match_torch():
    assert _hook_run(MY) == _hook_run(TO)


def test_always_call_hook_runs_when_forward_raises():
    for L in LIBS:
        log = []
        class Boom(L.Module):
            def forward(self, x):
                raise ValueError("boom")
        b = Boom()
        b.register_forward_hook(lambda m, a, o: log.append("normal"))
        b.register_forward_hook(lambda m, a, o: log.append(("always", o)), always_call=True)
        with pytest.raises(ValueError, match="boom"):
            b(1)
        assert log == [("always", None)]


def test_bad_pre_hook_result_raises_as_torch():
    errs = []
    for L in LIBS:
        m = D[L.name].ReLU()
        m.register_forward_pre_hook(lambda mod, args, kwargs: 3, with_kwargs=True)
        errs.append(error_of(lambda: m(L.ones(1))))
    assert type(errs[0]) is type(errs[1]) is RuntimeError and str(errs[0]) == str(errs[1])


def test_handle_ids_increase_and_handles_do_not_keep_modules_alive():
    import gc
    import weakref
    m = mnn.Module()
    h1, h2 = m.register_forward_hook(print), m.register_forward_pre_hook(print)
    assert h2.id > h1.id
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None
    h1.remove()                                                  # the dict is gone: no error


# --------------------------------------------------------------------------------------------------- train / eval
def test_train_eval_propagate_as_torch():
    m, t = both("Deep")
    for f in [lambda x: x.eval(), lambda x: x.blocks[1].train(), lambda x: x.heads.train(False),
              lambda x: x.train()]:
        assert f(m) is not None and f(t) is not None
        assert [a.training for a in m.modules()] == [b.training for b in t.modules()]
    assert m.eval() is m and m.train() is m


# ------------------------------------------------------------------------------- grads, freezing, apply, dtype
def test_zero_grad_both_modes_and_requires_grad_as_torch():
    for L in LIBS:
        m = build(L, "AutoEncoder")
        (m(L.ones(2, 4)) ** 2).sum().backward()
        assert all(p.grad is not None for p in m.parameters())
        g = m.scale.grad
        m.zero_grad(set_to_none=False)
        assert all(p.grad is not None and not np_of(p.grad).any() for p in m.parameters())
        if L is MY:
            assert m.scale.grad is g                              # zeroed in place, as torch
        m.zero_grad()
        assert all(p.grad is None for p in m.parameters())
        assert m.encoder.requires_grad_(False) is m.encoder
        (m(L.ones(2, 4)) ** 2).sum().backward()
        got = [n for n, p in m.named_parameters() if p.grad is not None]
        assert got == ["scale", "decoder.0.weight", "decoder.0.bias", "decoder.2.weight", "decoder.2.bias"]
        m.requires_grad_()
        assert all(p.requires_grad for p in m.parameters())


def test_apply_visits_children_first_as_torch():
    logs = []
    for L in LIBS:
        m = build(L, "Deep")
        log = []
        names = {id(mod): n for n, mod in m.named_modules()}
        assert m.apply(lambda mod: log.append(names[id(mod)])) is m
        logs.append(log)
    assert logs[0] == logs[1]


def test_conversion_keeps_parameter_objects_and_converts_float_tensors_only():
    for L in LIBS:
        m = build(L, "AutoEncoder")
        (m(L.ones(2, 4)) ** 2).sum().backward()
        held = list(m.parameters())
        assert m.double() is m
        assert all(a is b for a, b in zip(held, m.parameters()))
        assert {str(p.dtype).split(".")[-1] for p in m.parameters()} == {"float64"}
        assert {str(p.grad.dtype).split(".")[-1] for p in m.parameters()} == {"float64"}
        assert str(m.encoder.norm.count.dtype).split(".")[-1] == "int64"             # not a float: kept
        assert str(m.encoder.norm.scratch.dtype).split(".")[-1] == "float64"         # non-persistent too
        assert str(m(L.ones(2, 4, dtype=L.float64)).dtype).split(".")[-1] == "float64"
        m.float()
        assert {str(p.dtype).split(".")[-1] for p in m.parameters()} == {"float32"}
        m.to(L.float64)
        assert str(m.encoder.mean.dtype).split(".")[-1] == "float64"
        m.to(L.ones(1, dtype=L.float32))                                              # a tensor's dtype
        assert str(m.scale.dtype).split(".")[-1] == "float32"
        assert m.to("cpu") is m and m.cpu() is m
        m.half()
        assert str(m.scale.dtype).split(".")[-1] == "float16"
        assert all(a is b for a, b in zip(held, m.parameters()))


# --------------------------------------------------------------------------------------------------- repr
@pytest.mark.parametrize("name", MODELS)
def test_repr_equals_torch_s(name):
    m, t = both(name)
    assert repr(m) == repr(t)


def test_repr_of_containers_and_torch_layers():
    for build_ in [lambda L: L.Sequential(), lambda L: L.ModuleList(), lambda L: L.ModuleDict(),
                   lambda L: L.Module(),
                   lambda L: L.ModuleList([D[L.name].Linear(2, 2) for _ in range(3)] + [D[L.name].ReLU()]
                                          + [D[L.name].Linear(2, 2), D[L.name].ReLU(), D[L.name].ReLU()]),
                   lambda L: L.ModuleList([L.Sequential(D[L.name].Linear(2, 2), D[L.name].ReLU())] * 2),
                   lambda L: L.Sequential(OrderedDict(a=D[L.name].ReLU(), b=L.ModuleList([L.Module()]))),
                   lambda L: L.ModuleDict({"x": L.ModuleDict({"y": D[L.name].ReLU()})})]:
        assert repr(build_(MY)) == repr(build_(TO))
    # our stand-in Linear prints exactly as torch.nn.Linear
    assert repr(D["mytorch"].Linear(784, 10)) == repr(torch.nn.Linear(784, 10))
    assert repr(D["mytorch"].Linear(3, 2, bias=False)) == repr(torch.nn.Linear(3, 2, bias=False))

    class Multi(mnn.Module):
        def extra_repr(self):
            return "a=1\nb=2"
    class TMulti(torch.nn.Module):
        def extra_repr(self):
            return "a=1\nb=2"
    mm, tm = mnn.Module(), torch.nn.Module()
    mm.inner, tm.inner = Multi(), TMulti()
    assert repr(mm).replace("Multi", "X") == repr(tm).replace("TMulti", "X")


# --------------------------------------------------------------------------------------------------- containers
def _seq_ops(L):
    Lin, R = D[L.name].Linear, D[L.name].ReLU
    s = L.Sequential(Lin(2, 3), R(), Lin(3, 3))
    out = [len(s), type(s[-1]).__name__, type(s[1:]).__name__, list(s[1:]._modules), list(s[::2]._modules)]
    s.append(R())
    out.append(list(s._modules))
    del s[1]
    out.append([list(s._modules), [type(x).__name__ for x in s]])
    s.insert(1, Lin(3, 3))
    s.insert(-1, R())
    out.append([type(x).__name__ for x in s])
    s.extend([R(), R()])
    out.append(len(s))
    out.append(type(s.pop(0)).__name__)
    out.append(list(s._modules))
    s[0] = R()
    out.append(type(s[0]).__name__)
    del s[1:3]
    out.append(list(s._modules))
    t = L.Sequential(R()) + L.Sequential(Lin(2, 2))
    out.append([type(x).__name__ for x in t])
    named = L.Sequential(OrderedDict([("first", Lin(2, 2)), ("second", R())]))
    out.append([n for n, _ in named.named_parameters()])
    out.append(list(named[0:1]._modules))
    return out


def test_sequential_operations_match_torch():
    assert _seq_ops(MY) == _seq_ops(TO)


def test_sequential_forward_matches_torch():
    m, t = build(MY, "AutoEncoder"), build(TO, "AutoEncoder")
    copy_state(t, m, MY)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(np_of(m.decoder(mytorch.tensor(x))), np_of(t.decoder(torch.tensor(x))),
                               rtol=1e-5, atol=1e-6)


def _list_ops(L):
    Lin, R = D[L.name].Linear, D[L.name].ReLU
    ml = L.ModuleList([Lin(2, 2), R()])
    out = [len(ml), type(ml[-1]).__name__, type(ml[:1]).__name__, list(ml[1:]._modules)]
    ml.append(Lin(2, 3))
    ml.extend([R()])
    ml += [Lin(1, 1)]
    out.append([type(x).__name__ for x in ml])
    ml.insert(0, R())
    ml.insert(2, R())                                   # (torch's ModuleList.insert fails on negative indices)
    out.append([type(x).__name__ for x in ml])
    out.append(type(ml.pop(1)).__name__)
    del ml[0]
    out.append([list(ml._modules), [type(x).__name__ for x in ml]])
    ml[-1] = R()
    out.append(type(ml[-1]).__name__)
    both_ = ml + L.ModuleList([Lin(2, 2)])
    out.append([type(both_).__name__, len(both_), len(ml)])
    out.append([n for n, _ in ml.named_parameters()])
    out.append(repr(ml))
    return out


def test_modulelist_operations_match_torch():
    assert _list_ops(MY) == _list_ops(TO)


def test_modulelist_has_no_forward():
    em, et = error_of(lambda: mnn.ModuleList()(1)), error_of(lambda: torch.nn.ModuleList()(1))
    assert type(em) is type(et) is NotImplementedError and str(em) == str(et)


def _dict_ops(L):
    Lin, R = D[L.name].Linear, D[L.name].ReLU
    md = L.ModuleDict({"b": Lin(2, 2), "a": R()})
    out = [list(md), list(md.keys()), [type(v).__name__ for v in md.values()], "a" in md, "z" in md, len(md)]
    md["c"] = Lin(2, 1)
    md.update([("d", R()), ["e", R()]])
    md.update(OrderedDict(f=R()))
    md.update(L.ModuleDict({"g": R()}))
    out.append([k for k, _ in md.items()])
    out.append(type(md.pop("b")).__name__)
    del md["a"]
    out.append(list(md))
    out.append([n for n, _ in md.named_parameters()])
    out.append(repr(md))
    md.clear()
    out.append(len(md))
    return out


def test_moduledict_operations_match_torch():
    assert _dict_ops(MY) == _dict_ops(TO)


def test_python_list_hides_modules_but_modulelist_registers_them():
    class Hidden(mnn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [D["mytorch"].Linear(2, 2)]
    assert list(Hidden().parameters()) == []
    assert len(list(mnn.ModuleList([D["mytorch"].Linear(2, 2)]).parameters())) == 2


# --------------------------------------------------------------------------------------------------- state_dict
@pytest.mark.parametrize("name", MODELS)
def test_state_dict_keys_and_order_equal_torch_s(name):
    m, t = both(name)
    assert shapes(m.state_dict().items()) == shapes(t.state_dict().items())
    assert list(m.state_dict(prefix="p.")) == list(t.state_dict(prefix="p."))
    assert type(m.state_dict()) is OrderedDict


def test_state_dict_values_are_detached_and_shared_or_kept_with_keep_vars():
    m = build(MY, "AutoEncoder")
    sd = m.state_dict()
    assert sd["scale"].array is m.scale.array and not sd["scale"].requires_grad
    assert type(sd["scale"]) is mytorch.Tensor
    kv = m.state_dict(keep_vars=True)
    assert kv["scale"] is m.scale and kv["encoder.mean"] is m.encoder.mean
    dest = OrderedDict()
    assert m.state_dict(destination=dest) is dest and len(dest) == len(sd)


@pytest.mark.parametrize("name", MODELS)
def test_torch_state_dict_loads_into_mytorch_and_back_through_numpy(name):
    m, t = both(name)
    res = copy_state(t, m, MY)
    assert repr(res) == "<All keys matched successfully>" and res.missing_keys == [] == res.unexpected_keys
    for (k, a), (k2, b) in zip(m.state_dict().items(), t.state_dict().items()):
        assert k == k2 and np.array_equal(np_of(a), np_of(b)) and np_of(a).dtype == np_of(b).dtype
    x = np.random.default_rng(1).standard_normal((6, 2 if name == "Deep" else 3 if name in ("Tied", "Norm")
                                                   else 4)).astype(np.float32)
    with torch.no_grad():
        want = t(torch.tensor(x)).numpy()
    np.testing.assert_allclose(np_of(m(mytorch.tensor(x))), want, rtol=1e-5, atol=1e-6)
    # and back: a fresh torch model (other seed) loads mytorch's state and gives the same outputs
    torch.manual_seed(123)
    t2 = getattr(D["torch"], name)(3) if name == "Norm" else getattr(D["torch"], name)()
    copy_state(m, t2, TO)
    with torch.no_grad():
        np.testing.assert_allclose(t2(torch.tensor(x)).numpy(), want, rtol=1e-6, atol=1e-7)


def test_load_converts_dtype_and_keeps_parameter_objects():
    m = build(MY, "AutoEncoder")
    held = list(m.parameters())
    sd = {k: mytorch.tensor(np_of(v).astype(np.float64) + 1) for k, v in m.state_dict().items()}
    m.load_state_dict(sd)
    assert all(a is b for a, b in zip(held, m.parameters()))
    assert m.scale.dtype == mytorch.float32 and m.scale.tolist() == [2.0]
    assert m.scale.requires_grad


def test_load_0d_parameter_from_a_one_element_checkpoint_as_torch():
    for L in LIBS:
        m = L.Module()
        m.s = L.Parameter(L.tensor(1.0))
        m.load_state_dict({"s": L.tensor([5.0])})
        assert float(m.s.detach()) == 5.0


def _broken_loads(L):
    "name -> (model, state_dict, strict) cases that must raise."
    def sd_of(m):
        return OrderedDict((k, v.clone()) for k, v in m.state_dict().items())
    cases = {}
    m = build(L, "AutoEncoder")
    sd = sd_of(m)
    del sd["decoder.2.bias"], sd["encoder.norm.count"]
    cases["missing"] = (m, sd, True)
    m = build(L, "AutoEncoder")
    sd = sd_of(m)
    sd["decoder.3.weight"] = L.zeros(1)
    sd["encoder.fc.weight.x"] = L.zeros(1)
    sd["encoder.norm.scratch"] = L.zeros(3)          # non-persistent: unexpected
    sd["extra"] = L.zeros(1)
    cases["unexpected"] = (m, sd, True)
    m = build(L, "AutoEncoder")
    sd = sd_of(m)
    sd["scale"] = L.zeros(2)
    sd["encoder.fc.weight"] = L.zeros(4, 3)
    sd["decoder.0.bias"] = L.zeros(5, 1)
    cases["size mismatch"] = (m, sd, True)
    m = build(L, "AutoEncoder")
    sd = sd_of(m)
    sd["encoder.fc.weight"] = L.zeros(4, 3)
    del sd["scale"]
    sd["zzz"] = L.zeros(1)
    cases["size mismatch, strict=False"] = (m, sd, False)
    m = build(L, "AutoEncoder")
    sd = sd_of(m)
    del sd["decoder.0.weight"]
    sd["decoder.9"] = L.zeros(1)
    sd["encoder.mean"] = L.zeros(7)
    sd["scale"] = [1.0]                               # not a tensor
    cases["everything at once"] = (m, sd, True)
    m = build(L, "Tied")
    sd = sd_of(m)
    del sd["b.weight"]                               # a shared parameter is expected under both names
    cases["tied: missing second name"] = (m, sd, True)
    return cases


@pytest.mark.parametrize("case", list(_broken_loads(MY)))
def test_failed_load_raises_torch_s_error_listing_every_key_and_changes_nothing(case):
    m, sdm, strict = _broken_loads(MY)[case]
    t, sdt, _ = _broken_loads(TO)[case]
    before = {k: np_of(v).copy() for k, v in m.state_dict().items()}
    em, et = error_of(lambda: m.load_state_dict(sdm, strict=strict)), error_of(
        lambda: t.load_state_dict(sdt, strict=strict))
    assert type(em) is type(et) is RuntimeError
    assert str(em) == torch_msg(str(et))
    after = m.state_dict()
    assert all(np.array_equal(before[k], np_of(after[k])) for k in before)     # ERRATA §2: unchanged


@pytest.mark.parametrize("drop,add", [(["scale"], []), ([], ["encoder.extra", "foo"]),
                                      (["decoder.2.weight", "encoder.norm.count"], ["decoder.5.bias"])])
def test_strict_false_returns_torch_s_missing_and_unexpected_keys(drop, add):
    res = []
    for L in LIBS:
        m, src = build(L, "AutoEncoder"), build(L, "AutoEncoder")
        with L.no_grad():
            for p in src.parameters():
                p.add_(1) if L is TO else p.add_(mytorch.tensor(1.0))
        sd = OrderedDict(src.state_dict())
        for k in drop:
            del sd[k]
        for k in add:
            sd[k] = L.zeros(1)
        r = m.load_state_dict(sd, strict=False)
        loaded = [np.array_equal(np_of(v), np_of(sd[k])) for k, v in m.state_dict().items() if k in sd]
        res.append((r.missing_keys, r.unexpected_keys, all(loaded)))
    assert res[0] == res[1]
    assert res[0][2] is True


def test_assign_replaces_tensors_and_keeps_requires_grad():
    for L in LIBS:
        m = build(L, "Encoder")
        m.fc.bias.requires_grad_(False)
        sd = {k: v.clone() + 1 for k, v in m.state_dict().items()}
        m.load_state_dict(sd, assign=True)
        assert isinstance(m.fc.weight, L.Parameter) and m.fc.weight.requires_grad
        assert not m.fc.bias.requires_grad
        assert np.array_equal(np_of(m.fc.weight), np_of(sd["fc.weight"]))
        assert m.mean is sd["mean"]


def test_load_into_shared_parameter_takes_both_names():
    m = build(MY, "Tied")
    sd = m.state_dict()
    sd = {k: mytorch.tensor(np_of(v) * 0 + i) for i, (k, v) in enumerate(sd.items())}
    m.load_state_dict(sd)
    # a.weight and b.weight are one tensor: it holds the value of the last key copied, as in torch
    t = build(TO, "Tied")
    t.load_state_dict({k: torch.from_numpy(np_of(v).copy()) for k, v in sd.items()})
    assert np.array_equal(np_of(m.a.weight), t.a.weight.detach().numpy())


# --------------------------------------------------------------------------------------------- public names
NAMES = ["Parameter", "Module", "Sequential", "ModuleList", "ModuleDict", "RemovableHandle"]
METHODS = ["register_buffer", "register_parameter", "add_module", "register_module", "parameters",
           "named_parameters", "buffers", "named_buffers", "children", "named_children", "modules",
           "named_modules", "train", "eval", "zero_grad", "apply", "requires_grad_", "float", "double", "half",
           "to", "cpu", "register_forward_hook", "register_forward_pre_hook", "extra_repr", "state_dict",
           "load_state_dict", "get_submodule", "forward"]


def test_public_names_exist_as_in_torch():
    for n in NAMES[:-1]:
        assert hasattr(mnn, n) and hasattr(torch.nn, n)
    assert hasattr(torch.utils.hooks, "RemovableHandle") and hasattr(mnn, "RemovableHandle")
    for meth in METHODS:
        assert callable(getattr(mnn.Module, meth)) and callable(getattr(torch.nn.Module, meth)), meth
        assert getattr(mnn.Module, meth).__doc__ or meth in ("forward",), meth


def test_the_departure_from_torch_on_failed_loads_is_real():
    "ERRATA §2: torch copies the entries that fit and then raises; mytorch raises and copies nothing."
    kept = []
    for L in LIBS:
        m, src = build(L, "Encoder"), build(L, "Encoder")
        with L.no_grad():
            src.fc.bias.add_(L.ones(3))
        sd = OrderedDict(src.state_dict())
        sd["mean"] = L.zeros(9)                                        # one bad entry
        before = np_of(m.fc.bias).copy()
        with pytest.raises(RuntimeError, match="size mismatch for mean"):
            m.load_state_dict(sd)
        kept.append(np.array_equal(np_of(m.fc.bias), before))
    assert kept == [True, False]                                        # mytorch unchanged, torch half-loaded


def test_register_module_is_add_module():
    m = mnn.Module()
    m.register_module("sub", mnn.Module())
    assert list(m._modules) == ["sub"] and mnn.Module.register_module is mnn.Module.add_module
