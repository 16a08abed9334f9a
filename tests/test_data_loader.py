"""Datasets, samplers, collate and DataLoader (nbs/07_data.ipynb, `mytorch.utils.data.dataloader`) against
torch.utils.data 2.13.

What is compared with torch, exactly (values, dtypes, container types): batches without shuffling for many sizes
and `drop_last`, `len` of loaders and batch samplers, `default_collate` / `default_convert` on every kind of sample,
`random_split`'s sizes, `ConcatDataset` indexing, and every argument error (type, and torch's message as the start
of ours: ours may add the offending values or a hint). Random orders cannot be compared with torch (different
streams), so shuffling is checked by its properties: each epoch a permutation, epochs differ, reproducible from a
`Generator` seed and from `manual_seed`. The fast path (`__getitems__` returning `BatchedSamples`) is checked
against the per-sample path, for laziness (no sample built when only `default_collate` reads the batch) and for
behaving as a list everywhere else.
"""
import collections
import copy
import pickle
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as TD

from conftest import error_of, same_error

import mytorch
from mytorch._tensor import Tensor, manual_seed
from mytorch.creation import Generator
from mytorch.utils.data import dataloader as D
from mytorch.utils.data.dataloader import (BatchedSamples, BatchSampler, ConcatDataset, DataLoader, Dataset,
                                           RandomSampler, SequentialSampler, Subset, TensorDataset,
                                           default_collate, default_convert, random_split)

PUBLIC = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split", "Sampler",
          "SequentialSampler", "RandomSampler", "BatchSampler", "default_collate", "default_convert",
          "DataLoader"]


# ------------------------------------------------------------------------------------------- helpers
def plain(x):
    """A batch as comparable plain data: tensors -> ('T', dtype name, array); containers keep their type name.
    Works on torch and mytorch batches alike."""
    if isinstance(x, torch.Tensor):
        return ("T", str(x.dtype).split(".")[-1], x.numpy().tolist())
    if isinstance(x, Tensor):
        return ("T", str(x.dtype).replace("bool", "bool"), x.array.tolist())
    if isinstance(x, dict):
        return ("dict", type(x).__name__, {k: plain(v) for k, v in x.items()})
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return ("namedtuple", type(x).__name__, [plain(v) for v in x])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [plain(v) for v in x])
    return ("other", x)


def lib_sample(lib, s):
    "The sample `s` (built from numpy arrays) with arrays turned into `lib` tensors."
    if isinstance(s, np.ndarray):
        return lib.tensor(s)
    if isinstance(s, dict):
        return {k: lib_sample(lib, v) for k, v in s.items()}
    if isinstance(s, tuple) and hasattr(s, "_fields"):
        return type(s)(*(lib_sample(lib, v) for v in s))
    if isinstance(s, (list, tuple)):
        return type(s)(lib_sample(lib, v) for v in s)
    return s


class Squares(Dataset):
    def __init__(self, n): self.n = n
    def __len__(self): return self.n
    def __getitem__(self, i): return float(i), i * i


class TSquares(TD.Dataset):
    def __init__(self, n): self.n = n
    def __len__(self): return self.n
    def __getitem__(self, i): return float(i), i * i


def xy(n=23, d=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)).astype(np.float32), rng.integers(0, 5, n)


# ------------------------------------------------------------------------------------------- names
def test_public_names_exist_as_in_torch():
    for name in PUBLIC:
        assert hasattr(D, name), name
        assert hasattr(TD, name), f"torch.utils.data has no {name}: the list is wrong"


# ------------------------------------------------------------------------------------------- batches, order
@pytest.mark.parametrize("n", [1, 5, 23, 64])
@pytest.mark.parametrize("bs", [1, 3, 7, 10, 64])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batches_without_shuffle_equal_torch(n, bs, drop_last):
    X, y = xy(n)
    mine = DataLoader(TensorDataset(mytorch.tensor(X), mytorch.tensor(y)), batch_size=bs, drop_last=drop_last)
    theirs = TD.DataLoader(TD.TensorDataset(torch.tensor(X), torch.tensor(y)), batch_size=bs,
                           drop_last=drop_last)
    assert len(mine) == len(theirs)
    got, want = [plain(b) for b in mine], [plain(b) for b in theirs]
    assert got == want
    assert len(got) == len(mine)


@pytest.mark.parametrize("n, bs", [(10, 3), (9, 3), (1, 5), (100, 7)])
def test_batch_sampler_and_len_equal_torch(n, bs):
    for drop in (False, True):
        mine = BatchSampler(SequentialSampler(range(n)), bs, drop)
        theirs = TD.BatchSampler(TD.SequentialSampler(range(n)), bs, drop)
        assert list(mine) == list(theirs)
        assert len(mine) == len(theirs)


def test_last_batch_is_short_and_drop_last_drops_it():
    ds = TensorDataset(mytorch.arange(10))
    sizes = [len(b[0]) for b in DataLoader(ds, batch_size=4)]
    assert sizes == [4, 4, 2]
    assert [len(b[0]) for b in DataLoader(ds, batch_size=4, drop_last=True)] == [4, 4]


def test_batch_size_none_returns_samples_converted_as_torch():
    samples = [np.arange(3), np.float32(2.5), {"a": np.ones(2), "s": "x"}, (np.int64(3), 4)]

    class L(Dataset):
        def __len__(self): return len(samples)
        def __getitem__(self, i): return samples[i]

    class TL(TD.Dataset):
        def __len__(self): return len(samples)
        def __getitem__(self, i): return samples[i]

    got = [plain(b) for b in DataLoader(L(), batch_size=None)]
    want = [plain(b) for b in TD.DataLoader(TL(), batch_size=None)]
    assert got == want
    assert len(DataLoader(L(), batch_size=None)) == 4


def test_custom_sampler_and_batch_sampler_equal_torch():
    order = [4, 0, 3, 3, 1]
    got = [plain(b) for b in DataLoader(Squares(5), batch_size=2, sampler=order)]
    want = [plain(b) for b in TD.DataLoader(TSquares(5), batch_size=2, sampler=order)]
    assert got == want
    bs = [[2, 0], [4], [1, 3, 3]]
    assert [plain(b) for b in DataLoader(Squares(5), batch_sampler=bs)] == \
           [plain(b) for b in TD.DataLoader(TSquares(5), batch_sampler=bs)]


def test_collate_fn_receives_list_of_samples_as_torch():
    X, y = xy(7)
    seen_m, seen_t = [], []
    DataLoader(TensorDataset(mytorch.tensor(X), mytorch.tensor(y)), batch_size=3,
               collate_fn=lambda b: seen_m.append([plain(s) for s in b]) or len(b)).__iter__().__next__()
    next(iter(TD.DataLoader(TD.TensorDataset(torch.tensor(X), torch.tensor(y)), batch_size=3,
                            collate_fn=lambda b: seen_t.append([plain(s) for s in b]) or len(b))))
    assert seen_m == seen_t


# ------------------------------------------------------------------------------------------- collate
Point = collections.namedtuple("Point", "x y")


class MyList(list):
    "A list subclass: collate and convert keep it (a copy with the fields replaced), as torch."


CASES = {
    "tuples": [(np.array([1.0, 2.0], np.float32), 1), (np.array([3.0, 4.0], np.float32), 0)],
    "dicts": [{"img": np.zeros((2, 2), np.uint8), "label": 3, "name": "a"},
              {"img": np.ones((2, 2), np.uint8), "label": 4, "name": "b"}],
    "nested": [([1, 2.5], {"k": (np.float64(1.0), True)}), ([3, 4.5], {"k": (np.float64(2.0), False)})],
    "namedtuple": [Point(1, 2.0), Point(3, 4.0)],
    "tensors": [np.arange(4, dtype=np.int32), np.arange(4, dtype=np.int32)],
    "ints": [1, 2, 3], "floats": [1.5, 2.0], "bools": [True, False], "mixed_int_float": [1, 2.5],
    "mixed_float_int": [2.5, 1], "strings": ["a", "bc"], "bytes": [b"a", b"b"],
    "np_scalars_f32": [np.float32(1), np.float32(2)], "np_scalars_i32": [np.int32(1), np.int32(5)],
    "np_bool": [np.bool_(True), np.bool_(False)],
    "np_arrays_f64": [np.eye(2), np.eye(2)], "lists": [[1, 2], [3, 4]],
    "list_of_str_fields": [(np.zeros(1, np.float32), "x"), (np.ones(1, np.float32), "y")],
    "ordered_dict": [collections.OrderedDict(a=1, b=2.0), collections.OrderedDict(a=3, b=4.0)],
    "list_subclass": [MyList([1, 2.5]), MyList([3, 4.5])],
    "ranges": [range(2), range(2)],                 # a Sequence that cannot be rebuilt: a list
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_default_collate_equals_torch(case):
    samples = CASES[case]
    # numpy arrays are collated as arrays; for "tensors" feed real tensors of each library
    as_tensors = case == "tensors"
    mine = [lib_sample(mytorch, s) if as_tensors else s for s in samples]
    theirs = [lib_sample(torch, s) if as_tensors else s for s in samples]
    got, want = default_collate(mine), TD.default_collate(theirs)
    assert plain(got) == plain(want)              # values, dtypes and container types


@pytest.mark.parametrize("case", sorted(CASES))
def test_default_convert_equals_torch(case):
    for s in CASES[case]:
        assert plain(default_convert(s)) == plain(TD.default_convert(s))


def test_collate_keeps_tuples_as_lists_and_float_targets_float64():
    b = default_collate([(1.0, 2), (3.0, 4)])
    assert type(b) is list and str(b[0].dtype) == "float64" and str(b[1].dtype) == "int64"


def test_collate_of_tensors_records_autograd_when_a_sample_requires_grad():
    a = mytorch.tensor([1.0, 2.0], requires_grad=True)
    out = default_collate([a, mytorch.tensor([3.0, 4.0])])
    out.sum().backward()
    assert a.grad.array.tolist() == [1.0, 1.0]


def test_collate_promotes_mixed_dtypes_as_torch():
    got = default_collate([mytorch.tensor([1], dtype=mytorch.int32), mytorch.tensor([1.5])])
    want = TD.default_collate([torch.tensor([1], dtype=torch.int32), torch.tensor([1.5])])
    assert plain(got) == plain(want)


def test_collate_shape_mismatch_names_the_field_and_shapes():
    bad = [(np.zeros(3, np.float32), 0), (np.zeros(3, np.float32), 1), (np.zeros(4, np.float32), 2)]
    e = error_of(lambda: default_collate(bad))
    assert isinstance(e, RuntimeError) and isinstance(error_of(lambda: TD.default_collate(bad)), RuntimeError)
    msg = str(e)
    for part in ("sample[0] (the 1st field)", "sample 0 has shape (3,)", "sample 2 has shape (4,)", "hint"):
        assert part in msg, msg
    e = error_of(lambda: default_collate([{"a": {"img": np.zeros((2, 2))}}, {"a": {"img": np.zeros((2, 3))}}]))
    assert isinstance(e, RuntimeError) and "sample['a']['img']" in str(e) and "(2, 3)" in str(e)
    e = error_of(lambda: default_collate([mytorch.zeros(2), mytorch.zeros(2), mytorch.zeros(5)]))
    assert isinstance(e, RuntimeError) and "the samples" in str(e) and "(5,)" in str(e)
    e = error_of(lambda: default_collate([(0, 1, np.zeros(1)), (0, 1, np.zeros(2))]))
    assert "sample[2] (the 3rd field)" in str(e)


def test_collate_errors_equal_torch():
    same_error(lambda: default_collate([(1, 2), (1, 2, 3)]), lambda: TD.default_collate([(1, 2), (1, 2, 3)]))
    same_error(lambda: default_collate([[1, 2], [1]]), lambda: TD.default_collate([[1, 2], [1]]))
    obj = object()
    same_error(lambda: default_collate([obj]), lambda: TD.default_collate([obj]), exact=True)
    same_error(lambda: default_collate([None, None]), lambda: TD.default_collate([None, None]), exact=True)
    arr = [np.array(["a", "b"]), np.array(["c", "d"])]
    same_error(lambda: default_collate(arr), lambda: TD.default_collate(arr), exact=True)
    objs = [np.array([1, None], dtype=object)] * 2
    same_error(lambda: default_collate(objs), lambda: TD.default_collate(objs), exact=True)
    missing = [{"a": 1, "b": 2}, {"a": 3}]
    e = same_error(lambda: default_collate(missing), lambda: TD.default_collate(missing))
    assert "sample 1 has no key 'b'" in str(e)
    same_error(lambda: default_collate([]), lambda: TD.default_collate([]))


def test_collate_of_a_tensor_field_with_a_non_tensor_is_a_type_error_as_torch():
    e_t = error_of(lambda: TD.default_collate([(torch.zeros(2), 0), (1.5, 1)]))
    e_m = error_of(lambda: default_collate([(mytorch.zeros(2), 0), (1.5, 1)]))
    assert type(e_m) is type(e_t) is TypeError
    assert str(e_t) in str(e_m) and "sample[0] (the 1st field)" in str(e_m), str(e_m)


def test_collate_of_arrays_mixed_with_tensors_as_torch():
    got = default_collate([np.ones(2, np.float32), mytorch.zeros(2)])
    want = TD.default_collate([np.ones(2, np.float32), torch.zeros(2)])
    assert plain(got) == plain(want)


# ------------------------------------------------------------------------------------------- shuffling
def test_shuffle_gives_a_new_permutation_each_epoch():
    ds = TensorDataset(mytorch.arange(50))
    dl = DataLoader(ds, batch_size=50, shuffle=True, generator=Generator().manual_seed(0))
    e1, e2 = next(iter(dl))[0].array.tolist(), next(iter(dl))[0].array.tolist()
    assert sorted(e1) == sorted(e2) == list(range(50))
    assert e1 != e2 and e1 != list(range(50))


def test_shuffle_is_reproducible_with_a_generator_and_with_manual_seed():
    ds = TensorDataset(mytorch.arange(40))

    def epochs(**kw):
        dl = DataLoader(ds, batch_size=8, shuffle=True, **kw)
        return [[b[0].array.tolist() for b in dl] for _ in range(3)]

    assert epochs(generator=Generator().manual_seed(7)) == epochs(generator=Generator().manual_seed(7))
    assert epochs(generator=Generator().manual_seed(7)) != epochs(generator=Generator().manual_seed(8))
    manual_seed(3); a = epochs()
    manual_seed(3); b = epochs()
    manual_seed(4); c = epochs()
    assert a == b and a != c


def test_random_sampler_properties_and_lengths_as_torch():
    for kw in ({}, {"num_samples": 7}, {"num_samples": 25}, {"replacement": True},
               {"replacement": True, "num_samples": 70}):
        mine = RandomSampler(range(10), generator=Generator().manual_seed(0), **kw)
        theirs = TD.RandomSampler(range(10), generator=torch.Generator().manual_seed(0), **kw)
        got = list(mine)
        assert len(got) == len(mine) == len(theirs) == len(list(theirs))
        assert set(got) <= set(range(10))
        if not kw.get("replacement"):
            k = len(got)
            for start in range(0, k - k % 10, 10):           # each full round is a permutation
                assert sorted(got[start:start + 10]) == list(range(10))
            assert len(set(got[k - k % 10:])) == k % 10


def test_random_sampler_with_replacement_draws_independently():
    g = Generator().manual_seed(0)
    draws = list(RandomSampler(range(10), replacement=True, num_samples=1000, generator=g))
    counts = np.bincount(draws, minlength=10)
    # a permutation per 10 would give exactly 100 of each; independent draws do not
    assert counts.min() > 50 and len(set(counts.tolist())) > 1, counts
    assert any(len(set(draws[k:k + 10])) < 10 for k in range(0, 1000, 10))


def test_random_sampler_without_generator_draws_from_default_stream():
    manual_seed(0); a = list(RandomSampler(range(100)))
    manual_seed(0); b = list(RandomSampler(range(100)))
    assert a == b and sorted(a) == list(range(100))


def test_sampler_and_batch_sampler_errors_equal_torch():
    same_error(lambda: RandomSampler(range(3), replacement=1), lambda: TD.RandomSampler(range(3), replacement=1),
               exact=True)
    for n in (0, -1, 2.5):
        same_error(lambda: RandomSampler(range(3), num_samples=n),
                   lambda: TD.RandomSampler(range(3), num_samples=n), exact=True)
    same_error(lambda: RandomSampler([]), lambda: TD.RandomSampler([]), exact=True)
    for bs in (0, -2, 1.5, True, None):
        same_error(lambda: BatchSampler(range(3), bs, False), lambda: TD.BatchSampler(range(3), bs, False),
                   exact=True)
    same_error(lambda: BatchSampler(range(3), 2, 1), lambda: TD.BatchSampler(range(3), 2, 1), exact=True)


def test_generator_of_another_kind_is_refused():
    e = error_of(lambda: list(RandomSampler(range(3), generator=np.random.default_rng(0))))
    assert isinstance(e, TypeError) and "mytorch.Generator" in str(e)


# ------------------------------------------------------------------------------------------- DataLoader errors
def loader_error_scenarios():
    return {
        "batch_size=0": dict(batch_size=0), "batch_size=-1": dict(batch_size=-1),
        "batch_size=1.5": dict(batch_size=1.5),
        "sampler+shuffle": dict(sampler="S", shuffle=True),
        "batch_sampler+batch_size": dict(batch_sampler=[[0]], batch_size=2),
        "batch_sampler+shuffle": dict(batch_sampler=[[0]], shuffle=True),
        "batch_sampler+sampler": dict(batch_sampler=[[0]], sampler="S"),
        "batch_sampler+drop_last": dict(batch_sampler=[[0]], drop_last=True),
        "None+drop_last": dict(batch_size=None, drop_last=True),
        "num_workers<0": dict(num_workers=-1), "timeout<0": dict(timeout=-1),
        "prefetch without workers": dict(prefetch_factor=2),
        "prefetch<0": dict(num_workers=1, prefetch_factor=-1),
        "persistent without workers": dict(persistent_workers=True),
        "context without workers": dict(multiprocessing_context="spawn"),
        "bad context name": dict(num_workers=1, multiprocessing_context="nope"),
        "bad context type": dict(num_workers=1, multiprocessing_context=3),
        "drop_last not bool": dict(batch_size=2, drop_last=1),
    }


@pytest.mark.parametrize("name", sorted(loader_error_scenarios()))
def test_dataloader_argument_errors_equal_torch(name):
    kw = loader_error_scenarios()[name]
    mk, tk = dict(kw), dict(kw)
    if kw.get("sampler") == "S":
        mk["sampler"], tk["sampler"] = SequentialSampler(range(4)), TD.SequentialSampler(range(4))
    same_error(lambda: DataLoader(Squares(4), **mk), lambda: TD.DataLoader(TSquares(4), **tk), exact=True)


def test_frozen_attributes_equal_torch():
    dl, tdl = DataLoader(Squares(4)), TD.DataLoader(TSquares(4))
    for attr in ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers"):
        same_error(lambda: setattr(dl, attr, 1), lambda: setattr(tdl, attr, 1), exact=True)
    dl.collate_fn = default_collate                      # other attributes can change, as in torch


def test_workers_options_are_accepted_and_loading_is_in_process():
    dl = DataLoader(Squares(5), batch_size=2, num_workers=2, persistent_workers=True,
                    multiprocessing_context="spawn", timeout=5, pin_memory=True)
    assert dl.prefetch_factor == 2
    assert [plain(b) for b in dl] == [plain(b) for b in TD.DataLoader(TSquares(5), batch_size=2)]


def test_dataloader_attributes_as_torch():
    for kw in ({}, {"batch_size": 4, "shuffle": True}, {"batch_size": None}, {"batch_sampler": [[0, 1]]}):
        dl, tdl = DataLoader(Squares(5), **kw), TD.DataLoader(TSquares(5), **kw)
        assert dl.batch_size == tdl.batch_size and dl.drop_last == tdl.drop_last
        assert type(dl.sampler).__name__ == type(tdl.sampler).__name__
        assert (dl.batch_sampler is None) == (tdl.batch_sampler is None)
        assert dl.collate_fn.__name__ == tdl.collate_fn.__name__
        assert len(dl) == len(tdl)


# ------------------------------------------------------------------------------------------- datasets
def test_tensor_dataset_as_torch_and_its_errors():
    X, y = xy(6)
    ds, tds = TensorDataset(mytorch.tensor(X), mytorch.tensor(y)), TD.TensorDataset(torch.tensor(X), torch.tensor(y))
    assert len(ds) == len(tds)
    for i in (0, 3, -1):
        assert plain(ds[i]) == plain(tds[i])
    same_error(lambda: TensorDataset(mytorch.tensor(X), mytorch.tensor(y[:5])),
               lambda: TD.TensorDataset(torch.tensor(X), torch.tensor(y[:5])))
    assert isinstance(error_of(lambda: TensorDataset(mytorch.tensor(1.0))), IndexError)
    assert isinstance(error_of(lambda: TD.TensorDataset(torch.tensor(1.0))), IndexError)


def test_dataset_base_as_torch():
    same_error(lambda: Dataset()[0], lambda: TD.Dataset()[0], exact=True)
    both, tboth = Squares(3) + Squares(2), TSquares(3) + TSquares(2)
    assert isinstance(both, ConcatDataset)
    assert both.cumulative_sizes == tboth.cumulative_sizes
    assert [both[i] for i in range(-5, 5)] == [tboth[i] for i in range(-5, 5)]
    same_error(lambda: both[-6], lambda: tboth[-6], exact=True)
    same_error(lambda: ConcatDataset([]), lambda: TD.ConcatDataset([]), exact=True)


@pytest.mark.parametrize("n, lengths", [
    (10, [0.25, 0.25, 0.5]), (10, [0.3, 0.7]), (7, [0.5, 0.5]), (11, [1 / 3] * 3), (100, [0.8, 0.1, 0.1]),
    (5, [0.1, 0.1, 0.8]), (3, [1.0]), (10, [3, 7]), (10, [10, 0]), (1, [1]), (60000, [0.9, 0.1])])
def test_random_split_sizes_equal_torch_and_parts_are_disjoint(n, lengths):
    with warnings.catch_warnings(record=True) as w_m:
        warnings.simplefilter("always")
        parts = random_split(range(n), lengths, generator=Generator().manual_seed(0))
    with warnings.catch_warnings(record=True) as w_t:
        warnings.simplefilter("always")
        tparts = TD.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [len(p) for p in tparts]
    assert [str(w.message) for w in w_m] == [str(w.message) for w in w_t]
    everything = [i for p in parts for i in p.indices]
    assert sorted(everything) == list(range(n))
    assert all(isinstance(p, Subset) for p in parts)
    assert [p[0] for p in parts if len(p)] == [p.indices[0] for p in parts if len(p)]


def test_random_split_is_reproducible_and_default_stream_seeded():
    a = random_split(range(30), [10, 20], generator=Generator().manual_seed(1))
    b = random_split(range(30), [10, 20], generator=Generator().manual_seed(1))
    assert a[0].indices == b[0].indices
    manual_seed(2); c = random_split(range(30), [10, 20])
    manual_seed(2); d = random_split(range(30), [10, 20])
    assert c[1].indices == d[1].indices


@pytest.mark.parametrize("lengths", [[3, 6], [0.5, 0.6], [1.5, -0.5], [0.5, 0.4], [11], [-1, 11 + 0]])
def test_random_split_errors_equal_torch(lengths):
    mine = error_of(lambda: random_split(range(10), lengths))
    theirs = error_of(lambda: TD.random_split(range(10), lengths))
    if theirs is None:
        assert mine is None
    else:
        same_error(lambda: random_split(range(10), lengths), lambda: TD.random_split(range(10), lengths))


def test_subset_as_torch():
    s, ts = Subset(Squares(10), [7, 2, 5]), TD.Subset(TSquares(10), [7, 2, 5])
    assert len(s) == len(ts) and [s[i] for i in range(3)] == [ts[i] for i in range(3)]
    assert s.__getitems__([2, 0]) == ts.__getitems__([2, 0])


# ------------------------------------------------------------------------------------------- the fast path
class Counting(TensorDataset):
    "A TensorDataset that counts calls of __getitem__."
    calls = 0

    def __getitem__(self, i):
        type(self).calls += 1
        return super().__getitem__(i)


def test_tensor_dataset_fetches_a_batch_without_building_samples():
    X, y = xy(50)
    ds = Counting(mytorch.tensor(X), mytorch.tensor(y))
    Counting.calls = 0
    batches = list(DataLoader(ds, batch_size=8, shuffle=True, generator=Generator().manual_seed(0)))
    assert Counting.calls == 0
    slow = list(DataLoader(TensorDataset(mytorch.tensor(X), mytorch.tensor(y)), batch_size=8, shuffle=True,
                           generator=Generator().manual_seed(0), collate_fn=lambda b: default_collate(list(b))))
    assert [plain(b) for b in batches] == [plain(b) for b in slow]


def test_batched_samples_collate_equals_per_sample_collate():
    X, y = xy(20)
    ds = TensorDataset(mytorch.tensor(X), mytorch.tensor(y))
    idx = [5, 0, 19, 5, -1]
    fast = ds.__getitems__(idx)
    assert isinstance(fast, BatchedSamples)
    assert plain(default_collate(fast)) == plain(default_collate([ds[i] for i in idx]))
    t = TD.TensorDataset(torch.tensor(X), torch.tensor(y))
    assert plain(default_collate(fast)) == plain(TD.default_collate([t[i] for i in idx]))


def test_batched_samples_is_a_lazy_list():
    X, y = xy(10)
    ds = Counting(mytorch.tensor(X), mytorch.tensor(y))
    Counting.calls = 0
    b = ds.__getitems__([1, 2, 3])
    assert len(b) == 3 and bool(b) and Counting.calls == 0
    default_collate(b)
    assert Counting.calls == 0
    assert plain(list(b)) == plain([ds[1], ds[2], ds[3]])
    assert Counting.calls == 6                    # 3 built by the list, 3 by the comparison
    assert plain(b[1:]) == plain([ds[2], ds[3]]) and plain(b[-1]) == plain(ds[3])
    assert [x for x, _ in b][0].array.tolist() == X[1].tolist()
    x0, y0 = zip(*b)
    assert len(x0) == 3
    assert b.collated is not None


@pytest.mark.parametrize("change", ["append", "setitem", "delitem", "pop", "extend", "iadd", "sort", "clear",
                                    "insert", "reverse"])
def test_changing_batched_samples_drops_the_carried_batch(change):
    X, y = xy(10)
    ds = TensorDataset(mytorch.tensor(X), mytorch.tensor(y))
    b = ds.__getitems__([1, 2, 3])
    extra = ds[0]
    {"append": lambda: b.append(extra), "setitem": lambda: b.__setitem__(0, extra),
     "delitem": lambda: b.__delitem__(0), "pop": lambda: b.pop(), "extend": lambda: b.extend([extra]),
     "iadd": lambda: b.__iadd__([extra]), "sort": lambda: b.sort(key=lambda s: -int(s[1].item())),
     "clear": lambda: b.clear(), "insert": lambda: b.insert(0, extra), "reverse": lambda: b.reverse()}[change]()
    assert b.collated is None
    if len(b):
        assert plain(default_collate(b)) == plain(default_collate(list(b)))


def test_batched_samples_in_list_arithmetic_show_their_samples():
    X, y = xy(10)
    ds = TensorDataset(mytorch.tensor(X), mytorch.tensor(y))
    for make in (lambda: ds.__getitems__([1]) + ds.__getitems__([2, 3]),
                 lambda: [ds[1]] + ds.__getitems__([2, 3]),
                 lambda: ds.__getitems__([1]) + [ds[2], ds[3]]):
        got = make()
        assert type(got) is list and plain(got) == plain([ds[1], ds[2], ds[3]])


def test_batched_samples_copy_and_pickle_are_plain_lists_of_samples():
    X, y = xy(10)
    ds = TensorDataset(mytorch.tensor(X), mytorch.tensor(y))
    for clone in (copy.copy(ds.__getitems__([4, 2])), copy.deepcopy(ds.__getitems__([4, 2])),
                  pickle.loads(pickle.dumps(ds.__getitems__([4, 2])))):
        assert len(clone) == 2
        assert plain(default_collate(clone)) == plain(default_collate([ds[4], ds[2]]))


def test_tensors_that_require_grad_take_the_per_sample_path():
    w = mytorch.tensor(np.ones((4, 2)), requires_grad=True)
    ds = TensorDataset(w)
    got = ds.__getitems__([0, 2])
    assert type(got) is list
    default_collate(got)[0].sum().backward()
    assert w.grad.array.tolist() == [[1, 1], [0, 0], [1, 1], [0, 0]]


def test_bad_indices_raise_as_per_sample():
    X, y = xy(5)
    ds, tds = TensorDataset(mytorch.tensor(X)), TD.TensorDataset(torch.tensor(X))
    assert isinstance(error_of(lambda: ds.__getitems__([0, 9])), IndexError)
    assert isinstance(error_of(lambda: [tds[i] for i in [0, 9]]), IndexError)
    assert error_of(lambda: ds.__getitems__([0, 1.5])) is not None


def test_subset_passes_the_fast_path_through_and_respects_overrides():
    X, y = xy(30)
    ds = Counting(mytorch.tensor(X), mytorch.tensor(y))
    tr, va = random_split(ds, [20, 10], generator=Generator().manual_seed(0))
    Counting.calls = 0
    got = list(DataLoader(tr, batch_size=6))
    assert Counting.calls == 0
    want = [default_collate([ds[tr.indices[i]] for i in range(k, min(k + 6, 20))]) for k in range(0, 20, 6)]
    assert [plain(b) for b in got] == [plain(b) for b in want]
    sub = Subset(ds, mytorch.tensor([3, 1, 2]))                  # tensor indices, as torch allows
    assert plain(default_collate(sub.__getitems__([0, 2]))) == plain(default_collate([ds[3], ds[2]]))

    class Neg(Subset):
        def __getitem__(self, i):
            x, t = super().__getitem__(i)
            return -x, t
    xb, _ = next(iter(DataLoader(Neg(ds, [0, 1]), batch_size=2)))
    assert xb.array.tolist() == (-X[:2]).tolist()


def test_a_dataset_of_dicts_through_the_loader_equals_torch():
    imgs = np.arange(5 * 4, dtype=np.float32).reshape(5, 2, 2)

    def sample(i): return {"img": imgs[i], "label": i % 2, "id": f"s{i}"}

    class M(Dataset):
        def __len__(self): return 5
        def __getitem__(self, i): return sample(i)

    class T(TD.Dataset):
        def __len__(self): return 5
        def __getitem__(self, i): return sample(i)

    assert [plain(b) for b in DataLoader(M(), batch_size=2)] == [plain(b) for b in TD.DataLoader(T(), batch_size=2)]


def test_inconsistent_samples_through_the_loader_name_field_and_shapes():
    class Ragged(Dataset):
        def __len__(self): return 4
        def __getitem__(self, i): return {"x": np.zeros(3 if i != 2 else 5, np.float32), "y": i}

    e = error_of(lambda: list(DataLoader(Ragged(), batch_size=4)))
    assert isinstance(e, RuntimeError)
    for part in ("sample['x']", "sample 0 has shape (3,)", "sample 2 has shape (5,)"):
        assert part in str(e), str(e)
    assert [len(b["y"]) for b in DataLoader(Ragged(), batch_size=2, collate_fn=lambda b: {"y": b})] == [2, 2]
