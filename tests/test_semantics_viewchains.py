"""Tensor semantics, part 2b: random chains of view ops (basic indexing, view/reshape, transpose, permute, unsqueeze,
squeeze, narrow, select, T) on a non-leaf tensor, then a random in-place op on the last view, run in lockstep on
mytorch and torch 2.13: shapes, errors, values of the base and the view, version counters and every leaf's gradient
must agree. The code under test: `_mark_view`/`_refresh_view`/`CopySlices`/`_write_through_view`/`apply_inplace` in
`mytorch/autograd.py` and the view ops of `mytorch/ops.py`."""
import math

import numpy as np
import torch
from hypothesis import given, note, settings, strategies as st
from hypothesis.extra.numpy import array_shapes

import mytorch
from test_semantics_views import as_numpy, attempt, version


def index_entry(data, n):
    "One entry of a basic index for a dim of size n: an int or a slice (positive steps: torch has no others)."
    if n > 0 and data.draw(st.booleans()):
        return data.draw(st.integers(-n, n - 1))
    bound = st.none() | st.integers(-n - 2, n + 2)
    return slice(data.draw(bound), data.draw(bound), data.draw(st.sampled_from([None, 1, 2, 3])))


def draw_index(data, shape):
    "A basic index: ints and slices for some leading dims, with None and at most one Ellipsis mixed in."
    k = data.draw(st.integers(0, len(shape)))
    entries = [index_entry(data, n) for n in shape[:k]]
    for _ in range(data.draw(st.integers(0, 2))):
        entries.insert(data.draw(st.integers(0, len(entries))), None)
    if data.draw(st.booleans()):
        entries.insert(data.draw(st.integers(0, len(entries))), Ellipsis)
    return tuple(entries) if len(entries) != 1 or data.draw(st.booleans()) else entries[0]


def new_shapes(shape):
    "Shapes to view/reshape `shape` into: flat, with -1, merged or split dims, extra 1s."
    size, out = math.prod(shape), [(-1,), (1, -1), (-1, 1), tuple(shape) + (1,)]
    out.append((size,))
    for i in range(len(shape) - 1):
        out.append(tuple(shape[:i]) + (-1,) + tuple(shape[i + 2:]))
    for i, n in enumerate(shape):
        for d in range(2, n):
            if n % d == 0:
                out.append(tuple(shape[:i]) + (d, n // d) + tuple(shape[i + 1:]))
    if size == 0:
        out = [s for s in out if -1 not in s]           # -1 is ambiguous for 0 elements
    return out


def draw_step(data, shape):
    "(description, fn(t)) of one view op that makes sense for a tensor of `shape`."
    nd = len(shape)
    names = ["index", "view", "reshape", "unsqueeze", "squeeze"]
    if nd >= 1:
        names += ["transpose", "permute", "narrow", "select", "squeeze_dim"]
    if nd == 2:
        names.append("T")
    name = data.draw(st.sampled_from(names))
    if name == "index":
        idx = draw_index(data, shape)
        return f"[{idx!r}]", lambda t: t[idx]
    if name in ("view", "reshape"):
        s = data.draw(st.sampled_from(new_shapes(shape)))
        return f".{name}{s}", lambda t: getattr(t, name)(*s)
    if name == "unsqueeze":
        d = data.draw(st.integers(-nd - 1, nd))
        return f".unsqueeze({d})", lambda t: t.unsqueeze(d)
    if name == "squeeze":
        return ".squeeze()", lambda t: t.squeeze()
    if name == "squeeze_dim":
        d = data.draw(st.integers(-nd, nd - 1))
        return f".squeeze({d})", lambda t: t.squeeze(d)
    if name == "transpose":
        d0, d1 = data.draw(st.integers(-nd, nd - 1)), data.draw(st.integers(-nd, nd - 1))
        return f".transpose({d0}, {d1})", lambda t: t.transpose(d0, d1)
    if name == "permute":
        p = tuple(data.draw(st.permutations(range(nd))))
        return f".permute{p}", lambda t: t.permute(*p)
    if name == "T":
        return ".T", lambda t: t.T
    d = data.draw(st.integers(-nd, nd - 1))
    n = shape[d]
    if name == "select":
        if n == 0:
            return ".squeeze()", lambda t: t.squeeze()
        i = data.draw(st.integers(-n, n - 1))
        return f".select({d}, {i})", lambda t: t.select(d, i)
    start = data.draw(st.integers(0, n))
    length = data.draw(st.integers(0, n - start))
    return f".narrow({d}, {start}, {length})", lambda t: t.narrow(d, start, length)


def broadcastable_shape(data, shape):
    "A shape that broadcasts to `shape`: a suffix of it with some sizes replaced by 1."
    k = data.draw(st.integers(0, len(shape)))
    return tuple(1 if data.draw(st.booleans()) else n for n in shape[len(shape) - k:])


def assert_close(m, t, what):
    if t is None:
        assert m is None, f"{what}: torch None, mytorch {m!r}"
        return
    assert m is not None, f"{what}: torch {t!r}, mytorch None"
    a, b = as_numpy(m), as_numpy(t)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs torch's {b.shape}"
    assert str(a.dtype) == str(b.dtype), f"{what}: dtype {a.dtype} vs torch's {b.dtype}"
    np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10, err_msg=what)


INPLACE_OPS = ["add_", "mul_", "div_", "iadd", "copy_", "zero_", "fill_", "setitem_value", "setitem_tensor"]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_random_view_chain_then_inplace(data):
    shape = data.draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), label="shape")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    x0 = rng.standard_normal(shape)
    xs = {L: L.tensor(x0, requires_grad=True) for L in (mytorch, torch)}
    hs = {L: xs[L] * 1.0 for L in xs}
    vs = dict(hs)
    chain = []
    for _ in range(data.draw(st.integers(0, 4), label="steps")):
        desc, fn = draw_step(data, tuple(vs[torch].shape))
        tv, terr = attempt(fn, vs[torch])
        mv, merr = attempt(fn, vs[mytorch])
        if terr is not None:                           # e.g. view() of a non-contiguous tensor
            assert merr is not None, f"h{''.join(chain)}{desc}: torch raises {terr!r}, mytorch does not"
            assert type(merr) is type(terr), f"h{''.join(chain)}{desc}: torch {terr!r}, mytorch {merr!r}"
            continue
        assert merr is None, f"h{''.join(chain)}{desc}: torch works, mytorch raises {merr!r}"
        chain.append(desc)
        vs = {mytorch: mv, torch: tv}
        assert mv.shape == tuple(tv.shape), f"h{''.join(chain)}: shape {mv.shape} vs torch's {tuple(tv.shape)}"
        assert (mv._base is hs[mytorch]) == (tv._base is hs[torch]), f"h{''.join(chain)}: is it a view of h?"

    vshape = tuple(vs[torch].shape)
    op = data.draw(st.sampled_from(INPLACE_OPS), label="inplace op")
    wshape = broadcastable_shape(data, vshape)
    region = None
    if op.startswith("setitem"):
        region = (slice(data.draw(st.integers(0, 2)), data.draw(st.integers(0, 3))) if vshape else Ellipsis)
        wshape = broadcastable_shape(data, tuple(vs[torch][region].shape))
    w0 = 1.5 + np.abs(rng.standard_normal(wshape))     # away from 0 for div_
    value = float(rng.standard_normal())
    note(f"h{''.join(chain)} (shape {vshape}), then {op} with w of shape {wshape}, region {region!r}")
    ws = {L: L.tensor(w0, requires_grad=True) for L in xs}
    c1, c2 = rng.standard_normal(shape), rng.standard_normal(vshape)

    def inplace(L):
        v, w = vs[L], ws[L]
        if op == "iadd":
            v += w
        elif op in ("add_", "mul_", "div_", "copy_"):
            getattr(v, op)(w)
        elif op == "zero_":
            v.zero_()
        elif op == "fill_":
            v.fill_(value)
        elif op == "setitem_value":
            v[region] = value
        else:
            v[region] = w
        loss = (hs[L] * L.tensor(c1)).sum() + (v * L.tensor(c2)).sum()
        loss.backward()

    t_res, terr = attempt(inplace, torch)
    m_res, merr = attempt(inplace, mytorch)
    if terr is not None:
        assert type(merr) is type(terr), f"torch raises {terr!r}, mytorch {merr!r}"
        return
    assert merr is None, f"torch works, mytorch raises {merr!r}"
    assert_close(hs[mytorch], hs[torch], "h")
    assert_close(vs[mytorch], vs[torch], "the view")
    assert_close(xs[mytorch].grad, xs[torch].grad, "x.grad")
    assert_close(ws[mytorch].grad, ws[torch].grad, "w.grad")
    assert version(hs[mytorch]) == version(hs[torch]), "h._version"
    assert version(vs[mytorch]) == version(vs[torch]), "view._version"


def test_empty_views_are_views():
    """A view with no element is still a view in torch: `_base` is set, and an in-place op on it bumps the shared
    version counter (mytorch decides with np.may_share_memory, which is False for empty arrays)."""
    out = {}
    for L in (torch, mytorch):
        h = L.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True) * 1.0
        views = [h.narrow(0, 1, 0), h[2:], h[:, 5:], h.view(-1)[1:1]]
        bases = [v._base is h for v in views]
        for v in views:
            v.zero_()
        out[L] = (bases, version(h), [version(v) for v in views])
    assert out[mytorch] == out[torch]
