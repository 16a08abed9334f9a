"""mytorch.serialization (nbs/08a_checkpoints.ipynb): `save`/`load` and `get_rng_state`/`set_rng_state`.

- round trips of everything a state dict holds, and agreement with torch.save/torch.load (weights_only=True) on
  the types that come back (tuple vs list, int keys, OrderedDict, Parameter, requires_grad, dtypes);
- the errors: unsupported objects name their type and place, a missing parent directory or file as PyTorch;
- files that are not checkpoints: every truncation, every flipped bit, pickles and object arrays crafted to run
  code (they never run), hand-made JSON trees that break each rule of the format, a header that promises more
  data than the entry has;
- atomic writes: a failure mid-save leaves the old file and no temporary file; fsync before the rename; the mode
  `open()` would give; a process killed with SIGKILL in the middle of a save leaves the old checkpoint loadable;
- the random state: a uint8 tensor that restores every random draw (randn, rand, dropout, DataLoader shuffles),
  with PyTorch's exception types for bad input;
- resume: model + optimizer + scheduler + epoch + RNG state saved mid-training and loaded in a fresh process
  continue exactly (bitwise) as the uninterrupted run; without the RNG state they do not.
"""
import collections
import inspect
import io
import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

import mytorch
import mytorch.nn as nn
from mytorch.nn.module import Parameter
from mytorch.optim.adaptive import Adam
from mytorch.optim.lr_scheduler import OneCycleLR, StepLR
from mytorch import serialization as S
from mytorch.serialization import get_rng_state, load, save, set_rng_state

ROOT = Path(__file__).resolve().parent.parent
DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


# ----------------------------------------------------------------------------------------------- helpers
def same(a, b, where="obj"):
    "Assert that `a` and `b` are equal values of exactly the same types, recursively (nan equals nan)."
    assert type(a) is type(b), f"{where}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, mytorch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape, f"{where}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
        assert a.requires_grad == b.requires_grad, f"{where}: requires_grad"
        np.testing.assert_array_equal(a.array, b.array, err_msg=where)
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and np.shape(a) == np.shape(b), where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys {list(a)} vs {list(b)}"
        assert [type(k) for k in a] == [type(k) for k in b], f"{where}: key types"
        for k in a:
            same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, float):
        assert a == b or (a != a and b != b), f"{where}: {a} vs {b}"
        assert np.copysign(1, a) == np.copysign(1, b), f"{where}: sign of zero"
    else:
        assert a == b, f"{where}: {a!r} vs {b!r}"


def round_trip(obj, tmp_path, name="x.pt"):
    save(obj, tmp_path / name)
    return load(tmp_path / name)


def sample_checkpoint():
    "A model + Adam + OneCycleLR checkpoint after two steps, with an RNG state."
    mytorch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = Adam(model.parameters(), lr=1e-2)
    sched = OneCycleLR(opt, max_lr=0.1, total_steps=10)
    for _ in range(2):
        loss = nn.functional.cross_entropy(model(mytorch.randn(5, 4)), mytorch.tensor([0, 1, 2, 0, 1]))
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
    return {"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
            "epoch": 2, "rng": get_rng_state()}


# ----------------------------------------------------------------------------------------------- names
def test_names_and_signatures_are_torch_s():
    import torch
    for name in ["save", "load", "get_rng_state", "set_rng_state"]:
        assert hasattr(torch, name) and callable(getattr(S, name)), name
    assert list(inspect.signature(save).parameters) == list(inspect.signature(torch.save).parameters)[:2]
    ours, theirs = inspect.signature(load).parameters, inspect.signature(torch.load).parameters
    assert list(ours)[:2] == list(theirs)[:2] == ["f", "map_location"]
    assert ours["weights_only"].kind == theirs["weights_only"].kind == inspect.Parameter.KEYWORD_ONLY
    assert list(inspect.signature(set_rng_state).parameters) == ["new_state"]
    assert S.__all__ == ["save", "load", "get_rng_state", "set_rng_state"]


# ----------------------------------------------------------------------------------------------- round trips
VALUES = {
    "scalars": [None, True, False, 0, -7, 2**70, -2**64, 1.5, -0.0, float("nan"), float("inf"), -float("inf"),
                1e-310, "", "é ✓ \x00 \ud800", "a" * 1000],
    "nested": {"a": {"b": {"c": [1, (2, [3, {4: "four"}])]}}, 0: [], 1: (), -3: {}},
    "tuple_in_list": [(1, 2), [3, (4,)]],
    "ordered": collections.OrderedDict([("z", 1), ("a", 2)]),
    "numpy": [np.arange(6, dtype=np.int16).reshape(2, 3), np.zeros((0, 3)), np.array("text"),
              np.array([b"by", b"tes"]), np.float32(1.25), np.int64(-3), np.bool_(True), np.uint64(2**64 - 1),
              np.asfortranarray(np.arange(6.).reshape(2, 3)), np.arange(10.)[::3]],
    "dtypes": [mytorch.float32, mytorch.int64, mytorch.bool, mytorch.float16],
}


@pytest.mark.parametrize("key", list(VALUES))
def test_round_trip_keeps_values_and_types(key, tmp_path):
    same(round_trip(VALUES[key], tmp_path), VALUES[key])


@pytest.mark.parametrize("dtype", DTYPES)
def test_tensors_of_every_dtype_and_shape(dtype, tmp_path):
    dt = getattr(mytorch, dtype)
    base = mytorch.tensor(np.arange(24).reshape(2, 3, 4) % 7).to(dt)
    tensors = [base, base.transpose(0, 2), base[:, 1], base[0, 0, 0], base[:, :0], base.reshape(-1)[::5]]
    out = round_trip(tensors, tmp_path)
    same(out, tensors)
    for t in out:                                       # a loaded tensor owns writable, contiguous memory
        assert t.array.flags.writeable and t.array.flags.c_contiguous


def test_requires_grad_and_parameter_are_kept_as_torch_does(tmp_path):
    import torch
    x = mytorch.ones(3, requires_grad=True)
    objs = {"leaf": x, "nonleaf": x * 2, "param": Parameter(mytorch.ones(2)),
            "frozen": Parameter(mytorch.ones(2), requires_grad=False), "plain": mytorch.ones(2)}
    out = round_trip(objs, tmp_path)
    tx = torch.ones(3, requires_grad=True)
    tobjs = {"leaf": tx, "nonleaf": tx * 2, "param": torch.nn.Parameter(torch.ones(2)),
             "frozen": torch.nn.Parameter(torch.ones(2), requires_grad=False), "plain": torch.ones(2)}
    buf = io.BytesIO(); torch.save(tobjs, buf); buf.seek(0)
    tout = torch.load(buf, weights_only=True)
    for k in objs:
        assert out[k].requires_grad == tout[k].requires_grad, k
        assert isinstance(out[k], Parameter) == isinstance(tout[k], torch.nn.Parameter), k
        assert out[k].grad_fn is None and tout[k].grad_fn is None, k
        assert out[k].is_leaf and tout[k].is_leaf, k


def type_tree(x):
    "The structure of a loaded object with tensors of either library as ('tensor', dtype name)."
    if type(x).__module__.split(".")[0] in ("torch", "mytorch") and hasattr(x, "shape"):
        return ("tensor", str(x.dtype).replace("torch.", ""), tuple(x.shape))
    if isinstance(x, dict):
        return (type(x).__name__, [(type(k).__name__, k, type_tree(v)) for k, v in x.items()])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [type_tree(v) for v in x])
    return (type(x).__name__, x if x == x else "nan")


def test_loaded_structure_agrees_with_torch(tmp_path):
    "The same state-dict-like object through torch.save/torch.load and through mytorch: the same types back."
    import torch
    def build(lib):
        return {"state": {0: {"step": lib.tensor(3.0), "exp_avg": lib.zeros(2, 3)}, 5: {}},
                "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 5], "foreach": None,
                                  "amsgrad": False, "eps": float("nan")}],
                "model": collections.OrderedDict([("w", lib.ones(2, dtype=lib.float64)),
                                                  ("n", lib.tensor(7))]),
                "names": ["a", ("b", "c")], "epoch": 4, "mask": lib.tensor([True, False])}
    buf = io.BytesIO(); torch.save(build(torch), buf); buf.seek(0)
    assert type_tree(round_trip(build(mytorch), tmp_path)) == type_tree(torch.load(buf, weights_only=True))


def test_a_tensor_saved_twice_loads_as_one(tmp_path):
    w = mytorch.randn(3)
    out = round_trip({"a": w, "b": [w, w]}, tmp_path)
    assert out["a"] is out["b"][0] is out["b"][1]
    out["a"].array[0] = 100.0
    assert out["b"][1].array[0] == 100.0
    with zipfile.ZipFile(tmp_path / "x.pt") as z:
        assert z.namelist() == ["structure.json", "0.npy"]


def test_model_optimizer_scheduler_checkpoint_resumes_in_process(tmp_path):
    ckpt = sample_checkpoint()
    out = round_trip(ckpt, tmp_path)
    same(out, ckpt)
    mytorch.manual_seed(5)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = Adam(model.parameters(), lr=1e-2)
    sched = OneCycleLR(opt, max_lr=0.1, total_steps=10)
    model.load_state_dict(out["model"]); opt.load_state_dict(out["optimizer"]); sched.load_state_dict(out["scheduler"])
    same(model.state_dict(), ckpt["model"])
    same(opt.state_dict(), ckpt["optimizer"])
    same(sched.state_dict(), ckpt["scheduler"])


def test_numpy_reads_the_arrays_without_pickle(tmp_path):
    save({"w": mytorch.ones(2, 3), "n": np.arange(3)}, tmp_path / "x.pt")
    with np.load(tmp_path / "x.pt", allow_pickle=False) as npz:
        np.testing.assert_array_equal(npz["0"], np.ones((2, 3), np.float32))
        np.testing.assert_array_equal(npz["1"], np.arange(3))
        tree = json.loads(npz["structure.json"])
    assert tree["format"] == "mytorch.save" and tree["version"] == 1
    with zipfile.ZipFile(tmp_path / "x.pt") as z:
        assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())


def leaves():
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
    arrays = hnp.arrays(st.sampled_from([np.float32, np.float64, np.int64, np.uint8, np.bool_]),
                        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    return st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=8),
                     arrays, arrays.map(lambda a: mytorch.Tensor._make(a)))


def test_round_trip_of_random_structures(tmp_path):
    from hypothesis import given, settings, strategies as st
    keys = st.one_of(st.text(max_size=5), st.integers())
    objects = st.recursive(leaves(), lambda kids: st.one_of(
        st.lists(kids, max_size=4), st.lists(kids, max_size=4).map(tuple),
        st.dictionaries(keys, kids, max_size=4),
        st.dictionaries(keys, kids, max_size=4).map(collections.OrderedDict)), max_leaves=12)

    @settings(max_examples=80, deadline=None)
    @given(objects)
    def check(obj):
        buf = io.BytesIO(); save(obj, buf); buf.seek(0)
        same(load(buf), obj)
    check()


# ----------------------------------------------------------------------------------------------- paths and files
class Unseekable(io.RawIOBase):
    def __init__(self, data): self._b = io.BytesIO(data)
    def readable(self): return True
    def seekable(self): return False
    def readinto(self, b):
        n = self._b.readinto(b); return n


def test_paths_and_file_objects(tmp_path):
    obj = {"w": mytorch.arange(4)}
    save(obj, str(tmp_path / "s.pt")); same(load(str(tmp_path / "s.pt")), obj)
    save(obj, tmp_path / "p.pt"); same(load(tmp_path / "p.pt"), obj)
    buf = io.BytesIO(); save(obj, buf); buf.seek(0); same(load(buf), obj)
    same(load(Unseekable(buf.getvalue())), obj)
    with open(tmp_path / "f.pt", "wb") as f: save(obj, f)
    with open(tmp_path / "f.pt", "rb") as f: same(load(f), obj)
    with pytest.raises(TypeError, match="path or a binary file object"): save(obj, 3)
    with pytest.raises(TypeError, match="path or a binary file object"): load(3)


def test_map_location_and_weights_only(tmp_path):
    save([1], tmp_path / "x.pt")
    for ml in (None, "cpu", mytorch.device("cpu")):
        assert load(tmp_path / "x.pt", map_location=ml) == [1]
    for wo in (True, False, None):
        assert load(tmp_path / "x.pt", weights_only=wo) == [1]
    with pytest.raises(RuntimeError, match="CPU"):
        load(tmp_path / "x.pt", map_location="cuda:0")


def test_missing_parent_directory_and_file_as_torch(tmp_path, monkeypatch):
    import torch
    monkeypatch.chdir(tmp_path)
    for lib in (torch, mytorch.serialization):
        with pytest.raises(RuntimeError) as e:
            lib.save({}, "nodir/x.pt")
        assert str(e.value) == "Parent directory nodir does not exist."
        with pytest.raises(FileNotFoundError):
            lib.load("missing.pt")
        with pytest.raises(IsADirectoryError):
            lib.load(".")
    assert os.listdir(tmp_path) == []


# ----------------------------------------------------------------------------------------------- save errors
Point = collections.namedtuple("Point", "x y")


@pytest.mark.parametrize("bad, kind, where", [
    ({"model": {"act": nn.ReLU()}}, "mytorch.nn.layers.ReLU", "obj['model']['act']"),
    ({"f": [1, lambda x: x]}, "function", "obj['f'][1]"),
    ({"s": {1, 2}}, "builtins.set", "obj['s']"),
    ({"b": b"bytes"}, "builtins.bytes", "obj['b']"),
    ({"c": 1j}, "builtins.complex", "obj['c']"),
    ({"p": Point(1, 2)}, "Point", "obj['p']"),
    ({"d": collections.defaultdict(int)}, "defaultdict", "obj['d']"),
    ([0, (1, {"k": object()})], "builtins.object", "obj[1][1]['k']"),
    ({"o": np.array([1, None], dtype=object)}, "dtype object", "obj['o']"),
    ({"g": mytorch.Generator()}, "Generator", "obj['g']"),
])
def test_unsupported_objects_name_their_type_and_place(bad, kind, where, tmp_path):
    (tmp_path / "x.pt").write_bytes(b"old")
    with pytest.raises(TypeError) as e:
        save(bad, tmp_path / "x.pt")
    assert kind in str(e.value) and where in str(e.value), str(e.value)
    assert (tmp_path / "x.pt").read_bytes() == b"old" and os.listdir(tmp_path) == ["x.pt"]


@pytest.mark.parametrize("key", [1.5, (1, 2), None, True, b"k"])
def test_dict_keys_must_be_str_or_int(key, tmp_path):
    with pytest.raises(TypeError, match=r"obj\['outer'\].*str or int|str or int"):
        save({"outer": {key: 1}}, tmp_path / "x.pt")
    assert not (tmp_path / "x.pt").exists()


def test_cycles_are_refused(tmp_path):
    a = []; a.append(a)
    d = {}; d["me"] = [d]
    for obj, where in ((a, "obj[0]"), ({"x": d}, "obj['x']['me'][0]")):
        with pytest.raises(ValueError, match="contains itself") as e:
            save(obj, tmp_path / "x.pt")
        assert where in str(e.value)
    shared = [1, 2]                                      # shared, but not a cycle: fine (stored twice)
    out = round_trip({"a": shared, "b": shared}, tmp_path)
    assert out == {"a": [1, 2], "b": [1, 2]}


# ----------------------------------------------------------------------------------------------- bad files
def test_every_truncation_is_a_clear_error(tmp_path):
    save(sample_checkpoint(), tmp_path / "good.pt")
    data = (tmp_path / "good.pt").read_bytes()
    path = tmp_path / "cut.pt"
    cuts = sorted(set(range(0, len(data), max(1, len(data) // 300))) | {len(data) - 1, len(data) - 22})
    for n in cuts:
        path.write_bytes(data[:n])
        with pytest.raises(RuntimeError, match="cut.pt"):
            load(path)


def test_every_flipped_bit_is_caught_or_harmless(tmp_path):
    "A flipped bit anywhere either raises a RuntimeError naming the file or loads the original values."
    obj = {"w": mytorch.arange(12, dtype=mytorch.float32).reshape(3, 4), "step": 3, "name": "x"}
    save(obj, tmp_path / "good.pt")
    data = (tmp_path / "good.pt").read_bytes()
    with zipfile.ZipFile(tmp_path / "good.pt") as z:
        infos = z.infolist()
    def data_start(offset):                 # after the local header: 30 bytes, the name, the extra field
        name_len, extra_len = int.from_bytes(data[offset + 26:offset + 28], "little"), \
            int.from_bytes(data[offset + 28:offset + 30], "little")
        return offset + 30 + name_len + extra_len
    payload = [(data_start(i.header_offset), i.file_size) for i in infos]
    path, caught = tmp_path / "flip.pt", 0
    for pos in range(len(data)):
        bad = bytearray(data); bad[pos] ^= 1 << (pos % 8)
        path.write_bytes(bytes(bad))
        try:
            out = load(path)
        except RuntimeError as e:
            assert "flip.pt" in str(e); caught += 1
            continue
        in_payload = any(start <= pos < start + size for start, size in payload)
        assert not in_payload, f"a flipped bit at {pos} inside an entry's data loaded silently"
        same(out, obj)
    assert caught > sum(size for _, size in payload)       # every payload byte at least


def marker_payload(marker):
    "Bytes of a pickle that creates the directory `marker` when loaded."
    class MakesDir:
        def __reduce__(self): return os.mkdir, (str(marker),)
    return MakesDir


def test_crafted_pickles_and_object_arrays_run_nothing(tmp_path):
    import torch
    marker = tmp_path / "ran"
    MakesDir = marker_payload(marker)
    pickle.loads(pickle.dumps(MakesDir()))                 # the payload is live...
    assert marker.is_dir(); marker.rmdir()
    (tmp_path / "pickle.pt").write_bytes(pickle.dumps({"w": MakesDir()}))
    np.savez(tmp_path / "objects.npz", w=np.array([MakesDir()], dtype=object))
    torch.save({"w": torch.ones(2)}, tmp_path / "torch.pt")
    with zipfile.ZipFile(tmp_path / "crafted.pt", "w") as z:
        z.writestr("structure.json", json.dumps({"format": "mytorch.save", "version": 1,
                                                 "object": {"ndarray": 0}}))
        with z.open("0.npy", "w") as f:
            np.lib.format.write_array(f, np.array([MakesDir()], dtype=object), allow_pickle=True)
    for name, msg in [("pickle.pt", "truncated or corrupted"), ("objects.npz", "no structure.json"),
                      ("torch.pt", "no structure.json"), ("crafted.pt", "0.npy holds Python objects")]:
        with pytest.raises(RuntimeError, match=msg) as e:
            load(tmp_path / name)
        assert name in str(e.value)
        with open(tmp_path / name, "rb") as f:
            with pytest.raises(RuntimeError):
                load(f)
    assert not marker.exists()                             # ...and nothing ran it


def write_zip(path, tree, arrays=(), extra=(), compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as z:
        z.writestr("structure.json", tree if isinstance(tree, (str, bytes)) else json.dumps(tree))
        for i, a in enumerate(arrays):
            with z.open(f"{i}.npy", "w") as f:
                np.lib.format.write_array(f, a)
        for name, data in extra:
            z.writestr(name, data)


def wrap(obj, **over):
    return {"format": "mytorch.save", "version": 1, "object": obj, **over}


F32 = np.ones(3, np.float32)
BAD_TREES = [
    ("unknown tag", wrap({"call": "os.system"}), [F32], "unknown node"),
    ("two tags", wrap({"tensor": 0, "ndarray": 0}), [F32], "unknown node"),
    ("stray option", wrap({"tensor": 0, "hook": "x"}), [F32], "unknown node"),
    ("option of another tag", wrap({"tuple": [], "requires_grad": True}), [], "unknown node"),
    ("empty object", wrap({}), [], "unknown node"),
    ("dict not pairs", wrap({"dict": {"a": 1}}), [], "pairs"),
    ("dict bad pair", wrap({"dict": [["a", 1, 2]]}), [], "pairs"),
    ("dict bool key", wrap({"dict": [[True, 1]]}), [], "pairs"),
    ("dict float key", wrap({"dict": [[1.5, 1]]}), [], "pairs"),
    ("tuple not list", wrap({"tuple": "ab"}), [], "tuple"),
    ("float tag", wrap({"float": "1e400"}), [], "unexpected float"),
    ("dtype", wrap({"dtype": "object"}), [], "unknown dtype"),
    ("index out of range", wrap({"tensor": 1}), [F32], "no array 1"),
    ("index negative", wrap({"tensor": -1}), [F32], "no array -1"),
    ("index bool", wrap({"tensor": True}), [F32], "no array True"),
    ("index str", wrap({"tensor": "0"}), [F32], "no array '0'"),
    ("tensor dtype", wrap({"tensor": 0}), [np.ones(2, np.complex128)], "dtype complex128"),
    ("tensor of str", wrap({"tensor": 0}), [np.array(["a"])], "dtype <U1"),
    ("int requires grad", wrap({"tensor": 0, "requires_grad": True}), [np.ones(2, np.int64)], "requires_grad"),
    ("requires_grad not bool", wrap({"tensor": 0, "requires_grad": 1}), [F32], "requires_grad"),
    ("scalar not 0-d", wrap({"scalar": 0}), [F32], "NumPy scalar of shape"),
    ("version", wrap(1, version=2), [], "format version 2"),
    ("format", {"format": "other", "version": 1, "object": 1}, [], "not a mytorch checkpoint"),
    ("extra top key", wrap(1, code="x"), [], "not a mytorch checkpoint"),
    ("top not object", [1, 2], [], "not a mytorch checkpoint"),
    ("not json", "{'format': ", [], "truncated or corrupted"),
    ("NaN literal", '{"format": "mytorch.save", "version": 1, "object": NaN}', [], "NaN in structure.json"),
    ("deep nesting", '{"format": "mytorch.save", "version": 1, "object": ' + "[" * 100000 + "]" * 100000 + "}",
     [], "truncated or corrupted"),
]


@pytest.mark.parametrize("label, tree, arrays, msg", BAD_TREES, ids=[b[0] for b in BAD_TREES])
def test_crafted_structures_are_refused(label, tree, arrays, msg, tmp_path):
    write_zip(tmp_path / "bad.pt", tree, arrays)
    with pytest.raises(RuntimeError) as e:
        load(tmp_path / "bad.pt")
    assert "bad.pt" in str(e.value) and msg in str(e.value), str(e.value)


def test_crafted_entries_are_refused(tmp_path):
    tree = wrap({"ndarray": 0})
    cases = {
        "extra entry": dict(arrays=[F32], extra=[("data.pkl", b"\x80\x04.")]),
        "missing entry": dict(arrays=[]),
        "compressed entry": dict(arrays=[F32], compression=zipfile.ZIP_DEFLATED),
    }
    for label, kw in cases.items():
        write_zip(tmp_path / "bad.pt", tree, **kw)
        with pytest.raises(RuntimeError, match="bad.pt"):
            load(tmp_path / "bad.pt")
    # a header that promises 10**12 floats in an entry of a few bytes: refused before any allocation
    hdr = io.BytesIO()
    np.lib.format.write_array_header_1_0(hdr, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    with zipfile.ZipFile(tmp_path / "huge.pt", "w") as z:
        z.writestr("structure.json", json.dumps(tree))
        z.writestr("0.npy", hdr.getvalue() + b"\x00" * 16)     # (the header starts with the magic)
    with pytest.raises(RuntimeError, match=r"huge.pt.*\(1000000000000,\)"):
        load(tmp_path / "huge.pt")


# ----------------------------------------------------------------------------------------------- atomic writes
def test_a_failure_mid_save_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    save({"v": 1, "w": mytorch.zeros(2)}, tmp_path / "ck.pt")
    old = (tmp_path / "ck.pt").read_bytes()
    write_array = np.lib.format.write_array
    for exc in (OSError("No space left on device"), KeyboardInterrupt()):
        calls = []
        def failing(fp, a, **kw):
            calls.append(1)
            if len(calls) == 2: raise exc
            write_array(fp, a, **kw)
        monkeypatch.setattr(np.lib.format, "write_array", failing)
        with pytest.raises(type(exc)):
            save({"v": 2, "a": mytorch.ones(10), "b": mytorch.ones(10)}, tmp_path / "ck.pt")
        assert len(calls) == 2
        assert (tmp_path / "ck.pt").read_bytes() == old and os.listdir(tmp_path) == ["ck.pt"]
    monkeypatch.setattr(np.lib.format, "write_array", write_array)
    save({"v": 2}, tmp_path / "ck.pt")
    assert load(tmp_path / "ck.pt") == {"v": 2} and os.listdir(tmp_path) == ["ck.pt"]


def test_fsync_comes_before_the_rename_and_the_directory_after(tmp_path, monkeypatch):
    log = []
    fsync, replace = os.fsync, os.replace
    def logged_fsync(fd):
        log.append(("fsync", "dir" if os.path.isdir(f"/proc/self/fd/{fd}") else "file")); fsync(fd)
    def logged_replace(a, b):
        log.append(("replace", Path(a).parent == Path(b).parent == tmp_path)); replace(a, b)
    monkeypatch.setattr(os, "fsync", logged_fsync)
    monkeypatch.setattr(os, "replace", logged_replace)
    save({"w": mytorch.ones(3)}, tmp_path / "x.pt")
    assert log == [("fsync", "file"), ("replace", True), ("fsync", "dir")]


def test_saving_through_a_symlink_updates_its_target_as_torch_does(tmp_path):
    import torch
    for lib, save_ in ((torch, torch.save), (mytorch, save)):
        d = tmp_path / lib.__name__; d.mkdir()
        (d / "real.pt").write_bytes(b"old")
        (d / "link.pt").symlink_to(d / "real.pt")
        save_({"w": lib.ones(2)}, d / "link.pt")
        assert (d / "link.pt").is_symlink() and (d / "real.pt").read_bytes() != b"old"
        assert sorted(os.listdir(d)) == ["link.pt", "real.pt"]
    assert load(tmp_path / "mytorch" / "real.pt")["w"].shape == (2,)


def test_file_mode_is_what_open_would_give(tmp_path):
    old = os.umask(0o027)
    try:
        save([1], tmp_path / "new.pt")
        assert (tmp_path / "new.pt").stat().st_mode & 0o777 == 0o640
        (tmp_path / "kept.pt").write_bytes(b"x"); os.chmod(tmp_path / "kept.pt", 0o604)
        save([1], tmp_path / "kept.pt")
        assert (tmp_path / "kept.pt").stat().st_mode & 0o777 == 0o604
    finally:
        os.umask(old)


KILL_SCRIPT = """
import sys, time, numpy as np, mytorch
from mytorch.serialization import save
write_array = np.lib.format.write_array
def slow(fp, a, **kw):
    write_array(fp, a, **kw)
    if {pause}:
        print("half", flush=True); time.sleep(60)      # killed here, half way through the arrays
np.lib.format.write_array = slow
print("start", flush=True)
save({{"v": "new", "w": [mytorch.ones(2_000_000) for _ in range(4)]}}, sys.argv[1])
print("done", flush=True)
"""


def run_kill(path, pause):
    p = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT.format(pause=pause), str(path)], cwd=ROOT,
                         stdout=subprocess.PIPE, text=True)
    return p


def test_a_process_killed_during_save_leaves_the_old_checkpoint(tmp_path):
    old = {"v": "old", "w": mytorch.arange(5)}
    save(old, tmp_path / "ck.pt")
    p = run_kill(tmp_path / "ck.pt", pause=True)
    assert p.stdout.readline() == "start\n" and p.stdout.readline() == "half\n"
    p.send_signal(signal.SIGKILL); p.wait(); p.stdout.close()
    assert p.returncode == -signal.SIGKILL
    same(load(tmp_path / "ck.pt"), old)                     # the old checkpoint, intact
    stray = [n for n in os.listdir(tmp_path) if n != "ck.pt"]
    assert len(stray) == 1 and stray[0].startswith(".ck.pt.") and stray[0].endswith(".tmp")


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2])
def test_a_kill_at_any_moment_leaves_the_old_or_the_new_checkpoint(delay, tmp_path):
    "Whenever the kill lands (before, during or after the save), the file is one whole checkpoint."
    import time
    old = {"v": "old", "w": mytorch.arange(5)}
    save(old, tmp_path / "ck.pt")
    p = run_kill(tmp_path / "ck.pt", pause=False)
    assert p.stdout.readline() == "start\n"
    time.sleep(delay)
    p.send_signal(signal.SIGKILL); p.wait(); p.stdout.close()
    out = load(tmp_path / "ck.pt")
    if out["v"] == "old":
        same(out, old)
    else:
        assert out["v"] == "new" and len(out["w"]) == 4 and all((t.array == 1).all() for t in out["w"])


# ----------------------------------------------------------------------------------------------- RNG state
def draws():
    from mytorch.utils.data import DataLoader, TensorDataset
    dl = DataLoader(TensorDataset(mytorch.arange(20)), batch_size=5, shuffle=True)
    return [mytorch.randn(3).array, mytorch.rand(2).array,
            nn.functional.dropout(mytorch.ones(16), 0.5).array,
            np.concatenate([b[0].array for b in dl]), nn.Linear(3, 2).weight.detach().array]


def test_rng_state_restores_every_draw():
    mytorch.manual_seed(3)
    mytorch.randn(1)                      # a PCG64 stream mid-way, with a buffered 32-bit word possibly set
    state = get_rng_state()
    assert isinstance(state, mytorch.Tensor) and state.dtype == mytorch.uint8 and state.shape == (40,)
    first = draws()
    mytorch.manual_seed(99)               # rebinds the default generator: set_rng_state must still reach it
    set_rng_state(state)
    for a, b in zip(first, draws()):
        np.testing.assert_array_equal(a, b)
    set_rng_state(state)
    assert not np.array_equal(draws()[0], (mytorch.manual_seed(4), mytorch.randn(3).array)[1])


def test_rng_state_is_a_copy_and_saveable(tmp_path):
    state = get_rng_state()
    state.array[:] = 0                     # changing the copy changes nothing
    again = get_rng_state()
    assert again.array.any()
    x = mytorch.randn(4).array
    set_rng_state(round_trip({"rng": again}, tmp_path)["rng"])
    np.testing.assert_array_equal(mytorch.randn(4).array, x)


def test_uint32_buffer_is_part_of_the_state():
    g = mytorch.default_generator()
    g.integers(0, 2**32, dtype=np.uint32)          # leaves a buffered half of a 64-bit draw
    assert g.bit_generator.state["has_uint32"] == 1
    s = get_rng_state()
    a = g.integers(0, 2**32, dtype=np.uint32)
    set_rng_state(s)
    assert g.integers(0, 2**32, dtype=np.uint32) == a


def test_set_rng_state_errors_have_torch_s_types():
    import torch
    cases = [lambda L: [1, 2], lambda L: L.zeros(40), lambda L: L.zeros(3, dtype=L.uint8)]
    for make in cases:
        errors = []
        for lib in (torch, mytorch):
            setter = torch.set_rng_state if lib is torch else set_rng_state
            with pytest.raises(Exception) as e:
                setter(make(lib))
            errors.append(type(e.value))
        assert errors[0] is errors[1], errors
    bad = get_rng_state(); bad.array[32] = 7
    with pytest.raises(RuntimeError, match="has_uint32"):
        set_rng_state(bad)


def test_generator_get_set_state_as_torch(tmp_path):
    "torch.Generator's pair: get_state() a uint8 tensor, set_state() restores it and returns the generator."
    import torch
    from mytorch.utils.data import DataLoader, TensorDataset
    for lib in (torch, mytorch):
        g = lib.Generator().manual_seed(5)
        lib.randperm(7, generator=g)
        s = g.get_state()
        assert s.dtype == lib.uint8 and s.ndim == 1
        a = lib.randperm(20, generator=g)
        assert g.set_state(s) is g
        assert lib.randperm(20, generator=g).tolist() == a.tolist()
    g = mytorch.Generator().manual_seed(1)
    dl = DataLoader(TensorDataset(mytorch.arange(50)), batch_size=8, shuffle=True, generator=g)
    s = round_trip({"g": g.get_state()}, tmp_path)["g"]
    first = [b[0].tolist() for b in dl]
    mytorch.manual_seed(123)                      # the default stream does not matter to this loader
    g.set_state(s)
    assert [b[0].tolist() for b in dl] == first
    assert [b[0].tolist() for b in dl] != first   # the next epoch shuffles differently
    other = mytorch.Generator().manual_seed(9).get_state()
    assert not np.array_equal(other.array, s.array)
    for bad, exc in [([1, 2], TypeError), (mytorch.zeros(40), TypeError),
                     (mytorch.zeros(3, dtype=mytorch.uint8), RuntimeError)]:
        with pytest.raises(exc):
            g.set_state(bad)


# ----------------------------------------------------------------------------------------------- resume
RESUME_SCRIPT = textwrap.dedent("""
    import sys, numpy as np, mytorch, mytorch.nn as nn
    from mytorch.optim.adaptive import Adam
    from mytorch.optim.lr_scheduler import OneCycleLR
    from mytorch.utils.data import DataLoader, TensorDataset
    from mytorch.serialization import save, load, get_rng_state, set_rng_state
    mode, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
    EPOCHS, STOP = 6, 3
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 10)).astype(np.float32)
    y = (X[:, :3].sum(1) > 0).astype(np.int64) + (X[:, 3] > 1)
    ds = TensorDataset(mytorch.tensor(X), mytorch.tensor(y))
    mytorch.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 3))
    opt = Adam(model.parameters(), lr=1e-2)
    sched = OneCycleLR(opt, max_lr=0.05, total_steps=EPOCHS * 13)     # stepped per batch
    dl = DataLoader(ds, batch_size=16, shuffle=True)
    start, losses = 0, []
    if mode.startswith("resume"):
        mytorch.manual_seed(1234)          # a fresh process: another stream unless the checkpoint restores it
        ck = load(path)
        model.load_state_dict(ck["model"]); opt.load_state_dict(ck["optimizer"])
        sched.load_state_dict(ck["scheduler"]); start, losses = ck["epoch"], ck["losses"]
        if mode == "resume": set_rng_state(ck["rng"])
    for epoch in range(start, EPOCHS if mode != "first" else STOP):
        model.train()
        for xb, yb in dl:
            loss = nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad(); loss.backward(); opt.step(); sched.step()
            losses.append(loss.item())
    if mode == "first":
        save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
              "epoch": STOP, "rng": get_rng_state(), "losses": losses}, path)
    save({"model": model.state_dict(), "optimizer": opt.state_dict(), "losses": losses}, out)
""")


def run_resume(mode, tmp_path, out):
    r = subprocess.run([sys.executable, "-c", RESUME_SCRIPT, mode, str(tmp_path / "ck.pt"), str(tmp_path / out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return load(tmp_path / out)


def test_resume_in_a_fresh_process_continues_bit_for_bit(tmp_path):
    full = run_resume("full", tmp_path, "full.pt")
    run_resume("first", tmp_path, "first.pt")
    resumed = run_resume("resume", tmp_path, "resumed.pt")
    assert len(full["losses"]) == 6 * 13
    assert resumed["losses"] == full["losses"]                       # every batch's loss, exactly
    for k in full["model"]:
        np.testing.assert_array_equal(resumed["model"][k].array, full["model"][k].array, err_msg=k)
    same(resumed["optimizer"], full["optimizer"])
    without_rng = run_resume("resume_without_rng", tmp_path, "no_rng.pt")    # the test can fail
    assert without_rng["losses"][:3 * 13] == full["losses"][:3 * 13]
    assert without_rng["losses"][3 * 13:] != full["losses"][3 * 13:]
