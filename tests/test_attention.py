"""Tests for nbs/11_attention.ipynb (mytorch/nn/functional/attention.py), against PyTorch 2.13 as the oracle.

`scaled_dot_product_attention`: forward values and dtypes, the gradients of query, key, value and a float mask
(float32 and float64, hypothesis over shapes, mask kinds, `is_causal`, `scale`, broadcast batch dimensions and
grouped-query attention), the `grad_fn` name PyTorch shows for the same call, fully masked rows (zeros, no
gradient), dropout (which weights survive, their scale, the statistics of the mask, `dropout_p=1`), `gradcheck`,
and every error with PyTorch's exception type. Tolerances: conftest's TOL per dtype for values (float64 ~1e-10,
float32 ~2e-5) and 1e-8 / 2e-4 for gradients; float32 sums run in another order than PyTorch's kernels.

The last test shows the parity check can fail: a softmax backward without its projection term is caught."""
import inspect
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings, strategies as st

import mytorch
import mytorch.nn.functional.attention as A
from mytorch.autograd.gradcheck import gradcheck
from conftest import assert_close, same_error

sdpa = A.scaled_dot_product_attention
FAST = settings(max_examples=60, deadline=None)


def test_all_and_signature_are_torchs():
    assert A.__all__ == ["scaled_dot_product_attention"]
    assert sdpa.__doc__
    # torch's is a builtin without __text_signature__: its docstring's first lines hold the signature
    doc = TF.scaled_dot_product_attention.__doc__
    theirs = " ".join(doc[doc.index("(") + 1:doc.index(")")].split())
    ours = ", ".join(str(p) for p in inspect.signature(sdpa).parameters.values())
    assert ours == theirs



# ------------------------------------------------------------------------------------------- running both libraries
def _grad_tol(dtype):
    return dict(rtol=1e-8, atol=1e-9) if dtype == np.float64 else dict(rtol=2e-4, atol=2e-4)


def compare(arrays, mask=None, mask_grad=False, g=None, **kw):
    """Run both libraries on the same q, k, v (and mask), compare output, dtype, grad_fn name and the gradients of
    q, k, v (and of a float mask when mask_grad)."""
    m = [mytorch.tensor(a.copy(), requires_grad=True) for a in arrays]
    t = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    if mask is not None:
        m.append(mytorch.tensor(mask.copy(), requires_grad=mask_grad))
        t.append(torch.tensor(mask.copy(), requires_grad=mask_grad))
    ym = sdpa(*m[:3], attn_mask=m[3] if mask is not None else None, **kw)
    yt = TF.scaled_dot_product_attention(*t[:3], attn_mask=t[3] if mask is not None else None, **kw)
    assert_close(ym, yt, "output")
    assert ym.grad_fn.name() == type(yt.grad_fn).__name__, (ym.grad_fn.name(), yt.grad_fn)
    g = np.random.default_rng(0).standard_normal(yt.shape).astype(arrays[0].dtype) if g is None else g
    ym.backward(mytorch.tensor(g)); yt.backward(torch.tensor(g))
    names = ["query", "key", "value"] + (["attn_mask"] if mask_grad else [])
    for name, a, b in zip(names, m, t):
        assert_close(a.grad, b.grad, f"grad of {name}", **_grad_tol(arrays[0].dtype))
    return ym


def rand(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


@FAST
@given(st.sampled_from(["float32", "float64"]), st.integers(0, 2 ** 31 - 1),
       st.sampled_from(["none", "bool", "float", "float_grad", "causal"]),
       st.sampled_from([(2, 3), (3,), (), (2, 1, 3)]), st.integers(1, 5), st.integers(1, 6),
       st.sampled_from([None, 0.3]), st.booleans())
def test_parity_with_torch(dtype, seed, kind, batch, L, S, scale, ev_differs):
    rng = np.random.default_rng(seed)
    E, Ev = 4, (3 if ev_differs else 4)
    q, k, v = (rand(rng, batch + (n, e), dtype) for n, e in ((L, E), (S, E), (S, Ev)))
    mask = None
    if kind == "bool":
        mask = rng.random((L, S)) < 0.7
    elif kind.startswith("float"):
        mask = rand(rng, batch[-1:] + (L, S), dtype)
        mask[rng.random(mask.shape) < 0.2] = -np.inf
    if batch == () and kind == "bool":
        mask = mask[:, :]
    compare((q, k, v), mask, mask_grad=kind == "float_grad", is_causal=kind == "causal", scale=scale)


@pytest.mark.parametrize("qs, ks, ms", [
    ((2, 3, 4, 8), (2, 3, 5, 8), None),            # the fused kernel's case
    ((2, 3, 4, 8), (1, 3, 5, 8), None),            # key/value broadcast over the batch
    ((2, 3, 4, 8), (3, 5, 8), None),               # key/value with fewer dims
    ((2, 3, 4, 8), (2, 3, 5, 8), (2, 1, 1, 5)),    # a padding mask per batch element
    ((2, 3, 4, 8), (2, 3, 5, 8), (3, 4, 5)),       # a 3-D mask: PyTorch's math kernel
    ((2, 2, 3, 4, 8), (2, 2, 3, 5, 8), (4, 5)),    # 5-D
    ((4, 8), (5, 8), (4, 5)),                      # no batch at all
    ((3, 4, 8), (3, 5, 8), None),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_broadcasting_and_node_names(qs, ks, ms, dtype):
    rng = np.random.default_rng(1)
    q, k, v = rand(rng, qs, dtype), rand(rng, ks, dtype), rand(rng, ks, dtype)
    mask = None if ms is None else rand(rng, ms, dtype)
    compare((q, k, v), mask)


@pytest.mark.parametrize("hq, hk, hv", [(6, 2, 2), (4, 1, 1), (4, 2, 1), (4, 4, 4)])
def test_grouped_query_attention(hq, hk, hv):
    rng = np.random.default_rng(2)
    q, k, v = rand(rng, (2, hq, 4, 8), "float64"), rand(rng, (2, hk, 5, 8), "float64"), \
        rand(rng, (2, hv, 5, 8), "float64")
    compare((q, k, v), enable_gqa=True)
    compare((q, k, v), rand(rng, (4, 5), "float64"), mask_grad=True, enable_gqa=True)
    compare((q, k, v), enable_gqa=True, is_causal=True)


@pytest.mark.parametrize("L, S", [(4, 6), (6, 4), (5, 5), (1, 7)])
def test_causal_is_the_top_left_triangle(L, S):
    rng = np.random.default_rng(3)
    q, k, v = rand(rng, (2, L, 8), "float64"), rand(rng, (2, S, 8), "float64"), rand(rng, (2, S, 8), "float64")
    compare((q, k, v), is_causal=True)
    out = sdpa(*(mytorch.tensor(a) for a in (q, k, v)), is_causal=True)
    tri = sdpa(*(mytorch.tensor(a) for a in (q, k, v)), attn_mask=mytorch.ones(L, S, dtype=mytorch.bool).tril())
    assert np.array_equal(out.numpy(), tri.numpy())


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_fully_masked_rows_give_zeros_and_no_gradient_as_torch(kind):
    rng = np.random.default_rng(4)
    q, k, v = (rand(rng, (2, 3, n, 8), "float32") for n in (4, 5, 5))
    mask = np.ones((4, 5), bool) if kind == "bool" else np.zeros((4, 5), np.float32)
    if kind == "bool":
        mask[1] = False
        mask[2, 3:] = False
    else:
        mask[1] = -np.inf
        mask[2, 3:] = -np.inf
    out = compare((q, k, v), mask)
    out = out.detach().numpy()
    assert not np.isnan(out).any() and np.abs(out[:, :, 1]).max() == 0


def test_float32_stays_float32_with_no_upcast_saved():
    rng = np.random.default_rng(5)
    q, k, v = (mytorch.tensor(rand(rng, (2, 2, 4, 8), "float32"), requires_grad=True) for _ in range(3))
    out = sdpa(q, k, v, attn_mask=mytorch.zeros(4, 4), is_causal=False, dropout_p=0.2)
    assert out.dtype == mytorch.float32
    assert all(a.dtype != np.float64 for a in out.grad_fn.saved_tensors if a is not None)
    out.sum().backward()
    assert q.grad.dtype == k.grad.dtype == v.grad.dtype == mytorch.float32


def test_a_float32_mask_with_float64_inputs_works_as_torch():
    rng = np.random.default_rng(6)
    q, k, v = (rand(rng, (2, 4, 8), "float64") for _ in range(3))
    mask = rand(rng, (4, 4), "float32")
    ym = sdpa(*(mytorch.tensor(a) for a in (q, k, v)), attn_mask=mytorch.tensor(mask))
    yt = TF.scaled_dot_product_attention(*(torch.tensor(a) for a in (q, k, v)), attn_mask=torch.tensor(mask))
    assert_close(ym, yt)


# ------------------------------------------------------------------------------------------- dropout
def test_dropout_keeps_weights_scaled_and_is_random():
    rng = np.random.default_rng(7)
    q, k = mytorch.tensor(rand(rng, (64, 8), "float64")), mytorch.tensor(rand(rng, (32, 8), "float64"))
    eye = mytorch.tensor(np.eye(32))
    p = sdpa(q, k, eye).numpy()                          # with V = I the output is the weight matrix
    mytorch.manual_seed(0)
    a = sdpa(q, k, eye, dropout_p=0.3).numpy()
    b = sdpa(q, k, eye, dropout_p=0.3).numpy()
    kept = a != 0
    np.testing.assert_allclose(a[kept], p[kept] / 0.7, rtol=1e-12)
    assert abs(kept.mean() - 0.7) < 0.03                  # 2048 Bernoulli(0.7) draws
    assert not np.array_equal(a, b)                       # a new mask at each call
    mytorch.manual_seed(0)
    np.testing.assert_array_equal(sdpa(q, k, eye, dropout_p=0.3).numpy(), a)   # the seed decides
    assert np.abs(sdpa(q, k, eye, dropout_p=1.0).numpy()).max() == 0           # as torch: all dropped
    t = TF.scaled_dot_product_attention(*(torch.tensor(x.numpy()) for x in (q, k, eye)), dropout_p=1.0)
    assert t.abs().max() == 0


def test_dropout_gradient_uses_the_same_mask():
    rng = np.random.default_rng(8)
    q, k, v = (mytorch.tensor(rand(rng, (2, 4, 5), "float64"), requires_grad=True) for _ in range(3))

    def f(q, k, v):
        mytorch.manual_seed(3)
        return sdpa(q, k, v, dropout_p=0.4)
    assert gradcheck(f, [q, k, v])
    assert f(q, k, v).grad_fn.name() == "UnsafeViewBackward0"   # torch's math kernel handles dropout


# ------------------------------------------------------------------------------------------- gradcheck
@pytest.mark.parametrize("kw", [{}, {"is_causal": True}, {"scale": 2.0}, {"mask": "float"}, {"mask": "bool"}])
def test_gradcheck(kw):
    rng = np.random.default_rng(9)
    q, k, v = (mytorch.tensor(rand(rng, (2, 3, n, 4), "float64"), requires_grad=True) for n in (3, 5, 5))
    ins = [q, k, v]
    kind = kw.pop("mask", None)
    if kind == "float":
        ins.append(mytorch.tensor(rand(rng, (3, 5), "float64"), requires_grad=True))
    bool_mask = mytorch.tensor(rng.random((3, 5)) < 0.6) if kind == "bool" else None
    assert gradcheck(lambda *a: sdpa(a[0], a[1], a[2], attn_mask=a[3] if len(a) > 3 else bool_mask, **kw),
                     ins)


# ------------------------------------------------------------------------------------------- errors
def _errs():
    def mk(lib, shape, dtype="float32"):
        return lib.ones(*shape, dtype=getattr(lib, dtype))
    return {
        "list query": lambda lib: lib.nn.functional.scaled_dot_product_attention([1.0], mk(lib, (2, 3)),
                                                                                  mk(lib, (2, 3))),
        "1-D": lambda lib: lib.nn.functional.scaled_dot_product_attention(mk(lib, (3,)), mk(lib, (2, 3)),
                                                                           mk(lib, (2, 3))),
        "dtypes differ": lambda lib: lib.nn.functional.scaled_dot_product_attention(
            mk(lib, (2, 3)), mk(lib, (2, 3), "float64"), mk(lib, (2, 3))),
        "int inputs": lambda lib: lib.nn.functional.scaled_dot_product_attention(
            mk(lib, (2, 3), "int32"), mk(lib, (2, 3), "int32"), mk(lib, (2, 3), "int32")),
        "int mask": lambda lib: lib.nn.functional.scaled_dot_product_attention(
            mk(lib, (2, 3)), mk(lib, (2, 3)), mk(lib, (2, 3)), attn_mask=mk(lib, (2, 2), "int64")),
        "float64 mask": lambda lib: lib.nn.functional.scaled_dot_product_attention(
            mk(lib, (2, 3)), mk(lib, (2, 3)), mk(lib, (2, 3)), attn_mask=mk(lib, (2, 2), "float64")),
        "mask shape": lambda lib: lib.nn.functional.scaled_dot_product_attention(
            mk(lib, (2, 4, 3)), mk(lib, (2, 5, 3)), mk(lib, (2, 5, 3)), attn_mask=mk(lib, (4, 4))),
        "mask too big": lambda lib: lib.nn.functional.scaled_dot_product_attention(
            mk(lib, (2, 4, 3)), mk(lib, (2, 5, 3)), mk(lib, (2, 5, 3)), attn_mask=mk(lib, (3, 2, 4, 5))),
        "causal and mask": lambda lib: lib.nn.functional.scaled_dot_product_attention(
            mk(lib, (2, 4, 3)), mk(lib, (2, 5, 3)), mk(lib, (2, 5, 3)), attn_mask=mk(lib, (4, 5)),
            is_causal=True),
        "E differs": lambda lib: lib.nn.functional.scaled_dot_product_attention(
            mk(lib, (2, 4, 3)), mk(lib, (2, 5, 2)), mk(lib, (2, 5, 3))),
        "batch": lambda lib: lib.nn.functional.scaled_dot_product_attention(
            mk(lib, (2, 4, 3)), mk(lib, (3, 5, 3)), mk(lib, (3, 5, 3))),
        "heads without gqa": lambda lib: lib.nn.functional.scaled_dot_product_attention(
            mk(lib, (1, 4, 4, 3)), mk(lib, (1, 2, 5, 3)), mk(lib, (1, 2, 5, 3))),
        "gqa not dividing": lambda lib: lib.nn.functional.scaled_dot_product_attention(
            mk(lib, (1, 3, 4, 3)), mk(lib, (1, 2, 5, 3)), mk(lib, (1, 2, 5, 3)), enable_gqa=True),
        "gqa 2-D": lambda lib: lib.nn.functional.scaled_dot_product_attention(
            mk(lib, (4, 3)), mk(lib, (5, 3)), mk(lib, (5, 3)), enable_gqa=True),
        "dropout > 1": lambda lib: lib.nn.functional.scaled_dot_product_attention(
            mk(lib, (4, 3)), mk(lib, (5, 3)), mk(lib, (5, 3)), dropout_p=1.5),
    }


WORDING = {"causal and mask", "dropout > 1", "gqa 2-D", "gqa not dividing", "list query"}


@pytest.mark.parametrize("name", sorted(_errs()))
def test_errors_have_torchs_types(name):
    import mytorch.nn.functional  # noqa: F401  (lib.nn.functional below)
    fn = _errs()[name]
    e = same_error(lambda: fn(_MytorchLib), lambda: fn(torch), message=False)
    assert "scaled_dot_product_attention" in str(e) or name in ("dropout > 1", "gqa 2-D", "gqa not dividing")


class _MytorchLib:
    "mytorch with `nn.functional.scaled_dot_product_attention` reachable before the lead re-exports it."
    float32, float64, int32, int64 = mytorch.float32, mytorch.float64, mytorch.int32, mytorch.int64
    ones = staticmethod(mytorch.ones)

    class nn:
        class functional:
            scaled_dot_product_attention = staticmethod(sdpa)


def test_messages_that_keep_torchs_wording():
    errs = _errs()
    for name in sorted(WORDING - {"list query"}):
        mine = str(same_error(lambda: errs[name](_MytorchLib), lambda: errs[name](torch), message=False))
        theirs = str(pytest.raises(Exception, errs[name], torch).value)
        assert mine.startswith(theirs), (mine, theirs)
    mine = str(same_error(lambda: errs["list query"](_MytorchLib), lambda: errs["list query"](torch)))
    assert "position 1" in mine


# ------------------------------------------------------------------------------------------- the checks can fail
def test_a_wrong_softmax_backward_is_caught(monkeypatch):
    "Drop the softmax backward's projection term (a plausible mistake): the parity check must fail."
    def wrong(ctx, g):
        q, k, v, p, keep = ctx.saved_tensors
        gs = (g @ np.swapaxes(v, -1, -2)) * p * ctx.scale      # missing "- sum(gs * p)"
        return gs @ k, np.swapaxes(gs, -1, -2) @ q, np.swapaxes(p, -1, -2) @ g, None
    monkeypatch.setattr(A._ScaledDotProductAttention, "backward", staticmethod(wrong))
    rng = np.random.default_rng(10)
    with pytest.raises(AssertionError, match="grad of query"):
        compare(tuple(rand(rng, (2, 4, 8), "float64") for _ in range(3)))


@pytest.mark.parametrize("L, S", [(0, 3), (3, 0), (0, 0)])
def test_empty_sequences_as_torch(L, S):
    rng = np.random.default_rng(11)
    q, k = rand(rng, (2, L, 4), "float32"), rand(rng, (2, S, 4), "float32")
    ym = sdpa(mytorch.tensor(q), mytorch.tensor(k), mytorch.tensor(k))
    yt = TF.scaled_dot_product_attention(torch.tensor(q), torch.tensor(k), torch.tensor(k))
    assert_close(ym, yt)
