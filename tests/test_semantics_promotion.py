"""Tensor semantics, part 1: PyTorch's type promotion (chapter 03, `mytorch/autograd.py`: `promote_types`,
`result_type`, `_result_dtype`, `_promote`, and the binary ops that use them), compared with torch 2.13 over every
pair of dtypes and every kind of operand: a tensor with dims, a 0-d tensor, a Python bool/int/float, a NumPy scalar.

Each test collects every mismatch of its table and reports them all at once, so one run shows the whole picture."""

import numpy as np
import pytest
import torch

import mytorch
from test_semantics_views import attempt
from conftest import dtype_name, lib_dtype

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
SCALARS = {"True": True, "2": 2, "1.5": 1.5, "np.float64(1.5)": np.float64(1.5), "np.int64(2)": np.int64(2),
           "np.float32(1.5)": np.float32(1.5), "np.bool_(True)": np.bool_(True)}
# torch 2.13 treats a NumPy bool scalar as a *float* number (int32 tensor + np.bool_(True) is float32, unlike
# + True): a quirk with its own tests below, kept out of the main tables so that they show the other mismatches
NP_BOOL = "np.bool_(True)"


def make_tensor(lib, kind, name):
    "A tensor of dtype `name`: 'dim' has shape (2,), '0d' has no dims. Values are positive and nonzero."
    if kind == "dim":
        data = [True, True] if name == "bool" else [1, 2]
    else:
        data = True if name == "bool" else 2
    return lib.tensor(data, dtype=lib_dtype(lib, name))


def operand(lib, spec):
    "spec is ('dim', dtype), ('0d', dtype) or ('scalar', key of SCALARS)."
    kind, what = spec
    return SCALARS[what] if kind == "scalar" else make_tensor(lib, kind, what)


def operand_pairs(np_bool=False):
    "Every (left, right) operand pair with at least one tensor (with a NumPy bool scalar only if np_bool)."
    tensors = [(k, d) for k in ("dim", "0d") for d in DTYPES]
    scalars = [("scalar", s) for s in SCALARS if (s == NP_BOOL) == np_bool]
    pairs = [(a, b) for a in tensors for b in tensors]
    pairs += [(a, s) for a in tensors for s in scalars] + [(s, a) for a in tensors for s in scalars]
    return pairs


PAIRS = operand_pairs()
KIND_PAIRS = sorted({(a[0], b[0]) for a, b in PAIRS})


def pairs_of(kinds, np_bool=False):
    return [(a, b) for a, b in operand_pairs(np_bool) if (a[0], b[0]) == kinds]


def label(spec):
    kind, what = spec
    return what if kind == "scalar" else f"{kind}:{what}"


# ----------------------------------------------------------------------------- promote_types / result_type
def test_promote_types_all_pairs():
    bad = []
    for a in DTYPES:
        for b in DTYPES:
            want = dtype_name(torch.promote_types(lib_dtype(torch, a), lib_dtype(torch, b)))
            got, err = attempt(mytorch.promote_types, lib_dtype(mytorch, a), lib_dtype(mytorch, b))
            if err is not None or dtype_name(got) != want:
                bad.append(f"promote_types({a}, {b}): torch {want}, mytorch {err or dtype_name(got)}")
    assert not bad, "\n".join(bad)


def result_type_mismatches(pairs):
    bad = []
    for a, b in pairs:
        want, terr = attempt(torch.result_type, operand(torch, a), operand(torch, b))
        got, merr = attempt(mytorch.result_type, operand(mytorch, a), operand(mytorch, b))
        if terr is not None:
            if merr is None:
                bad.append(f"result_type({label(a)}, {label(b)}): torch raises {terr!r}, mytorch {got}")
        elif merr is not None or dtype_name(got) != dtype_name(want):
            bad.append(f"result_type({label(a)}, {label(b)}): torch {dtype_name(want)}, "
                       f"mytorch {merr or dtype_name(got)}")
    return bad


@pytest.mark.parametrize("kinds", KIND_PAIRS, ids=lambda k: f"{k[0]}-{k[1]}")
def test_result_type(kinds):
    bad = result_type_mismatches(pairs_of(kinds))
    assert not bad, f"{len(bad)} mismatches:\n" + "\n".join(bad)


def test_result_type_of_two_scalars():
    "torch.result_type also takes two numbers (the default dtype for a float, int64 for ints)."
    bad = []
    for a in SCALARS:
        for b in SCALARS:
            if NP_BOOL in (a, b):
                continue
            want, terr = attempt(torch.result_type, SCALARS[a], SCALARS[b])
            if terr is not None:
                continue
            got, merr = attempt(mytorch.result_type, SCALARS[a], SCALARS[b])
            if merr is not None or dtype_name(got) != dtype_name(want):
                bad.append(f"result_type({a}, {b}): torch {dtype_name(want)}, mytorch {merr or dtype_name(got)}")
    assert not bad, "\n".join(bad)


# ----------------------------------------------------------------------------- the dtype of real results
OPS = {
    "add": lambda L, a, b: a + b,
    "mul": lambda L, a, b: a * b,
    "sub": lambda L, a, b: a - b,
    "div": lambda L, a, b: a / b,
    "pow": lambda L, a, b: a ** b,
    "maximum": lambda L, a, b: L.maximum(a, b),
}


def binary_op_mismatches(op, pairs):
    """(mismatches, number compared) of `a op b` (dtype, shape and values) for the pairs torch accepts: torch refuses
    bool - bool and pow on two bools, and those are skipped (operand values are positive, so no integer goes
    negative in a power)."""
    fn, bad, checked = OPS[op], [], 0
    for a, b in pairs:
        want, terr = attempt(fn, torch, operand(torch, a), operand(torch, b))
        if terr is not None:
            continue
        checked += 1
        got, merr = attempt(fn, mytorch, operand(mytorch, a), operand(mytorch, b))
        where = f"{label(a)} {op} {label(b)}"
        if merr is not None:
            bad.append(f"{where}: torch gives {dtype_name(want.dtype)}, mytorch raises {merr!r}")
        elif dtype_name(got.dtype) != dtype_name(want.dtype):
            bad.append(f"{where}: torch {dtype_name(want.dtype)}, mytorch {dtype_name(got.dtype)}")
        elif got.shape != tuple(want.shape) or not np.allclose(
                got.array.astype(np.float64), want.double().numpy(), rtol=1e-3):
            bad.append(f"{where}: values differ: torch {want.tolist()}, mytorch {got.tolist()}")
    return bad, checked


# torch.maximum takes two tensors: no number operand for it
OP_KINDS = [(op, k) for op in OPS for k in KIND_PAIRS if not (op == "maximum" and "scalar" in k)]


@pytest.mark.parametrize("op,kinds", OP_KINDS, ids=[f"{k[0]}-{k[1]}-{op}" for op, k in OP_KINDS])
def test_result_dtype_of_binary_ops(op, kinds):
    "The dtype (and the values) of `a op b` agree with torch."
    bad, checked = binary_op_mismatches(op, pairs_of(kinds))
    assert checked, "nothing was compared"
    assert not bad, f"{len(bad)} of {checked} mismatches:\n" + "\n".join(bad)


@pytest.mark.parametrize("op", [op for op in OPS if op != "maximum"])
def test_numpy_bool_scalar_as_torch(op):
    """torch 2.13 treats np.bool_ as a float number: int32 tensor + np.bool_(True) is float32 (and
    result_type agrees), whereas + True stays int32."""
    pairs = [(a, b) for kinds in KIND_PAIRS if "scalar" in kinds for a, b in pairs_of(kinds, np_bool=True)]
    bad, checked = binary_op_mismatches(op, pairs)
    bad += result_type_mismatches(pairs) if op == "add" else []
    assert checked
    assert not bad, f"{len(bad)} mismatches:\n" + "\n".join(bad)


@pytest.mark.parametrize("other", ["tensor", "0d", "True"])
def test_bool_minus_bool_refused_by_both(other):
    for lib in (torch, mytorch):
        a = lib.tensor([True, False])
        b = {"tensor": a, "0d": lib.tensor(True), "True": True}[other]
        with pytest.raises(RuntimeError):
            a - b


# ----------------------------------------------------------------------------- set_default_dtype
@pytest.fixture
def default_float64():
    "Both libraries with float64 as the default dtype, restored afterwards whatever happens."
    old_t, old_m = torch.get_default_dtype(), mytorch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    mytorch.set_default_dtype(mytorch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(old_t)
        mytorch.set_default_dtype(old_m)


DEFAULT_DTYPE_CASES = {
    "tensor(1.5)": lambda L: L.tensor(1.5),
    "tensor([1.5, 2.])": lambda L: L.tensor([1.5, 2.0]),
    "Tensor([1, 2])": lambda L: L.Tensor([1, 2]),
    "zeros(2)": lambda L: L.zeros(2),
    "arange(0., 3.)": lambda L: L.arange(0.0, 3.0),
    "int32 + 1.5": lambda L: L.tensor([1, 2], dtype=L.int32) + 1.5,
    "1.5 * int64": lambda L: 1.5 * L.tensor([1, 2]),
    "bool + 1.5": lambda L: L.tensor([True]) + 1.5,
    "int / int": lambda L: L.tensor([1, 2]) / L.tensor([2, 2]),
    "int64 ** 0.5": lambda L: L.tensor([1, 4]) ** 0.5,
    "int64.exp()": lambda L: L.tensor([1, 2]).exp(),
    "float32 + 1.5": lambda L: L.tensor([1.0], dtype=L.float32) + 1.5,
    "float16 * 1.5": lambda L: L.tensor([1.0], dtype=L.float16) * 1.5,
    "int32 + np.float64(1.5)": lambda L: L.tensor([1], dtype=L.int32) + np.float64(1.5),
    "result_type(int32, 1.5)": lambda L: L.result_type(L.tensor([1], dtype=L.int32), 1.5),
    "result_type(1, 1.5)": lambda L: L.result_type(1, 1.5),
    "get_default_dtype()": lambda L: L.get_default_dtype(),
}


def dtype_of(x):
    return dtype_name(x if not hasattr(x, "dtype") else x.dtype)


@pytest.mark.parametrize("case", list(DEFAULT_DTYPE_CASES))
def test_set_default_dtype_float64(case, default_float64):
    fn = DEFAULT_DTYPE_CASES[case]
    want, got = dtype_of(fn(torch)), dtype_of(fn(mytorch))
    assert got == want, f"{case} with default float64: torch {want}, mytorch {got}"


@pytest.mark.parametrize("case", list(DEFAULT_DTYPE_CASES))
def test_default_dtype_float32(case):
    "The same cases under the default float32 (and the fixture above really restored it)."
    assert torch.get_default_dtype() == torch.float32
    fn = DEFAULT_DTYPE_CASES[case]
    want, got = dtype_of(fn(torch)), dtype_of(fn(mytorch))
    assert got == want, f"{case}: torch {want}, mytorch {got}"


@pytest.mark.parametrize("name", ["int64", "int32", "uint8", "bool"])
def test_set_default_dtype_rejects_non_floats(name):
    with pytest.raises(TypeError):
        torch.set_default_dtype(lib_dtype(torch, name))
    with pytest.raises(TypeError, match="mytorch.float32"):
        mytorch.set_default_dtype(lib_dtype(mytorch, name))
    assert mytorch.get_default_dtype() == mytorch.float32


def test_set_default_dtype_rejects_strings():
    with pytest.raises(TypeError):
        torch.set_default_dtype("float64")
    with pytest.raises(TypeError, match="mytorch.float32"):
        mytorch.set_default_dtype("float64")


def test_set_default_dtype_float16_as_torch():
    "torch 2.13 accepts float16 as the default dtype (any floating type): Python floats then give float16."
    old_t, old_m = torch.get_default_dtype(), mytorch.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float16)
        want = [dtype_of(fn(torch)) for fn in DEFAULT_DTYPE_CASES.values()]
        torch.set_default_dtype(old_t)
        mytorch.set_default_dtype(mytorch.float16)
        got = [dtype_of(fn(mytorch)) for fn in DEFAULT_DTYPE_CASES.values()]
        assert got == want
    finally:
        torch.set_default_dtype(old_t)
        mytorch.set_default_dtype(old_m)
