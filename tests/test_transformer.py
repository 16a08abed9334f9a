"""Tests for nbs/11a_transformer.ipynb (mytorch/nn/transformer.py), against PyTorch 2.13 as the oracle.

`MultiheadAttention` / `multi_head_attention_forward`, `TransformerEncoderLayer`, `TransformerEncoder`: the
parameters' names, shapes, order and initialisation statistics; a torch module's `state_dict`, converted through
NumPy, loads into ours and gives the same outputs, returned attention weights and gradients (of the inputs and of
every parameter) in float64 for every option: masks (bool and float, 2-D and 3-D `attn_mask`, `key_padding_mask`,
both, the mismatched-types warning), `need_weights`, `average_attn_weights`, `batch_first`, unbatched input,
cross-attention, `kdim`/`vdim`, `add_bias_kv`, `add_zero_attn`, `bias=False`, `is_causal`, `norm_first`,
activations (strings, functions, modules), `norm=`, the causal-mask detection, train mode without dropout and
eval mode with it. Dropout itself is checked by its statistics (its random numbers are mytorch's), and the
encoder layer's four dropouts by their places (the layer written out, the same masks drawn). Every error
with PyTorch's exception type. Tolerances: float64, 1e-10 for values and 1e-8 for gradients (conftest's
assert_close); float32 2e-5 / 2e-4.

The last tests show the parity checks can fail: a swapped mask convention and a post-norm block run as pre-norm
are caught."""
import copy
import inspect
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from hypothesis import given, settings, strategies as st

import mytorch
import mytorch.nn.transformer as T
from conftest import assert_close, same_error

FAST = settings(max_examples=40, deadline=None)
NAMES = ["MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder", "multi_head_attention_forward",
         "NonDynamicallyQuantizableLinear"]


def test_all_and_docstrings():
    assert sorted(T.__all__) == sorted(NAMES)
    for name in NAMES:
        assert getattr(T, name).__doc__, name


@pytest.mark.parametrize("name", ["MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder"])
def test_signatures_are_torchs(name):
    ours, theirs = inspect.signature(getattr(T, name)), inspect.signature(getattr(tnn, name))
    assert list(ours.parameters) == list(theirs.parameters)
    for p, q in zip(ours.parameters.values(), theirs.parameters.values()):
        if p.name != "activation":
            assert p.default == q.default, f"{name}: {p} vs {q}"
    fo, ft = inspect.signature(getattr(T, name).forward), inspect.signature(getattr(tnn, name).forward)
    assert [(p.name, p.default) for p in fo.parameters.values()] == \
        [(p.name, p.default) for p in ft.parameters.values()]


def test_functional_signature_is_torchs():
    ours, theirs = inspect.signature(T.multi_head_attention_forward), inspect.signature(TF.multi_head_attention_forward)
    assert [(p.name, p.default) for p in ours.parameters.values()] == \
        [(p.name, p.default) for p in theirs.parameters.values()]


# ------------------------------------------------------------------------------------------- loading torch's weights
def load_from_torch(ours, theirs):
    "Copy torch's state_dict into our module through NumPy; the keys must be exactly the same, in the same order."
    sd = theirs.state_dict()
    assert list(ours.state_dict()) == list(sd), (list(ours.state_dict()), list(sd))
    ours.load_state_dict({k: mytorch.tensor(v.detach().numpy().copy()) for k, v in sd.items()})
    return ours


def pair(make, dtype=torch.float64, seed=0):
    "The same module from both libraries (torch's made first, its weights copied into ours)."
    torch.manual_seed(seed)
    theirs = make(tnn).to(dtype)
    ours = make(_Lib).to(getattr(mytorch, str(dtype).split(".")[1]))
    return load_from_torch(ours, theirs), theirs


class _Lib:
    "mytorch's modules under torch.nn's names, so one `make(lib)` builds either."
    MultiheadAttention = T.MultiheadAttention
    TransformerEncoderLayer = getattr(T, "TransformerEncoderLayer", None)
    TransformerEncoder = getattr(T, "TransformerEncoder", None)
    LayerNorm = mytorch.nn.LayerNorm
    ReLU, GELU, Tanh = mytorch.nn.ReLU, mytorch.nn.GELU, mytorch.nn.Tanh
    functional = mytorch.nn.functional



def tensors(arrays, grad=True):
    "The arrays as (mytorch tensors, torch tensors), leaves that require grad (float) or masks (others)."
    m, t = [], []
    for a in arrays:
        if a is None:
            m.append(None), t.append(None)
            continue
        g = grad and a.dtype.kind == "f"
        m.append(mytorch.tensor(a.copy(), requires_grad=g))
        t.append(torch.tensor(a.copy(), requires_grad=g))
    return m, t


def backward_both(ym, yt, seed=1):
    g = np.random.default_rng(seed).standard_normal(tuple(yt.shape))
    ym.backward(mytorch.tensor(g.astype(ym.dtype)))
    yt.backward(torch.tensor(g, dtype=yt.dtype))


def compare_grads(ours, theirs, m_in, t_in, what=""):
    for i, (a, b) in enumerate(zip(m_in, t_in)):
        if b is not None and b.requires_grad:
            assert_close(a.grad, b.grad, f"{what} grad of input {i}", rtol=1e-8, atol=1e-9)
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, tp[name].grad, f"{what} grad of {name}", rtol=1e-8, atol=1e-9)


# ------------------------------------------------------------------------------------------- MultiheadAttention
def test_mha_parameters_and_init():
    m = T.MultiheadAttention(16, 4)
    t = tnn.MultiheadAttention(16, 4)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    assert repr(m) == repr(t)
    assert np.abs(m.in_proj_bias.detach().numpy()).max() == 0 and np.abs(m.out_proj.bias.detach().numpy()).max() == 0
    bound = math.sqrt(6 / (16 + 48))                      # xavier_uniform_ of (48, 16)
    w = m.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
    ow = m.out_proj.weight.detach().numpy()               # Linear's default: U(+-1/sqrt(16))
    assert np.abs(ow).max() <= 0.25 and np.abs(ow).max() > 0.2
    for kw in ({"kdim": 5, "vdim": 7}, {"add_bias_kv": True}, {"bias": False}):
        m, t = T.MultiheadAttention(16, 4, **kw), tnn.MultiheadAttention(16, 4, **kw)
        assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in t.named_parameters()]
        assert list(m.state_dict()) == list(t.state_dict())


@FAST
@given(st.integers(0, 2 ** 31 - 1), st.sampled_from(["none", "bool", "float", "bool3d", "float3d"]),
       st.sampled_from(["none", "bool", "float"]), st.booleans(), st.booleans(), st.booleans(),
       st.sampled_from(["self", "cross", "kv"]), st.booleans())
def test_mha_parity(seed, attn_kind, kpm_kind, need_weights, average, batch_first, which, batched):
    rng = np.random.default_rng(seed)
    E, H, L, S, N = 8, 2, 4, 5, 3
    if which == "self":
        S = L
    ours, theirs = pair(lambda lib: lib.MultiheadAttention(E, H, batch_first=batch_first), seed=seed % 1000)
    shape = lambda n: ((N, n, E) if batch_first else (n, N, E)) if batched else (n, E)
    q = rng.standard_normal(shape(L))
    k = q if which == "self" else rng.standard_normal(shape(S))
    v = k if which in ("self", "kv") else rng.standard_normal(shape(S))
    attn = None
    if attn_kind != "none":
        ashape = (L, S) if "3d" not in attn_kind else (N * H if batched else H, L, S)
        allowed = rng.random(ashape) < 0.75
        allowed[..., 0] = True                             # every query keeps one key: no NaN rows
        attn = ~allowed if attn_kind.startswith("bool") else np.where(allowed, rng.standard_normal(ashape), -np.inf)
    kpm = None
    if kpm_kind != "none":
        pad_ = rng.random((N, S) if batched else (S,)) < 0.3
        pad_[..., 0] = False
        kpm = pad_ if kpm_kind == "bool" else np.where(pad_, -np.inf, rng.standard_normal(pad_.shape))
    arrays = [q] if which == "self" else ([q, k] if which == "kv" else [q, k, v])
    (m_in, t_in) = tensors(arrays)
    mq, tq = m_in[0], t_in[0]
    mk, tk = (mq, tq) if which == "self" else (m_in[1], t_in[1])
    mv, tv = (mk, tk) if which in ("self", "kv") else (m_in[2], t_in[2])
    (mm, tm) = tensors([attn, kpm], grad=False)
    kw = dict(need_weights=need_weights, average_attn_weights=average)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                    # mixed mask types warn in both
        ym, wm = ours(mq, mk, mv, attn_mask=mm[0], key_padding_mask=mm[1], **kw)
        yt, wt = theirs(tq, tk, tv, attn_mask=tm[0], key_padding_mask=tm[1], **kw)
    assert_close(ym, yt, "output")
    assert_close(wm, wt, "weights")
    backward_both(ym, yt)
    compare_grads(ours, theirs, m_in, t_in)


@pytest.mark.parametrize("kw", [{"kdim": 5, "vdim": 7}, {"add_bias_kv": True}, {"add_zero_attn": True},
                                {"bias": False}, {"add_bias_kv": True, "add_zero_attn": True},
                                {"kdim": 5, "vdim": 7, "add_bias_kv": True}])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_options(kw, need_weights):
    rng = np.random.default_rng(2)
    ours, theirs = pair(lambda lib: lib.MultiheadAttention(8, 2, **kw))
    q = rng.standard_normal((4, 3, 8))
    k = rng.standard_normal((5, 3, kw.get("kdim", 8)))
    v = rng.standard_normal((5, 3, kw.get("vdim", 8)))
    attn = rng.random((4, 5)) < 0.3
    attn[:, 0] = False
    kpm = np.zeros((3, 5), bool)
    kpm[1, 3:] = True
    (m_in, t_in), (mm, tm) = tensors([q, k, v]), tensors([attn, kpm])
    ym, wm = ours(*m_in, attn_mask=mm[0], key_padding_mask=mm[1], need_weights=need_weights)
    yt, wt = theirs(*t_in, attn_mask=tm[0], key_padding_mask=tm[1], need_weights=need_weights)
    assert_close(ym, yt, "output")
    assert_close(wm, wt, "weights")
    backward_both(ym, yt)
    compare_grads(ours, theirs, m_in, t_in, str(kw))


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("with_kpm", [True, False])
def test_mha_is_causal_hint(need_weights, with_kpm):
    rng = np.random.default_rng(3)
    ours, theirs = pair(lambda lib: lib.MultiheadAttention(8, 2, batch_first=True))
    x = rng.standard_normal((2, 5, 8))
    causal = np.triu(np.ones((5, 5), bool), 1)
    kpm = np.zeros((2, 5), bool)
    kpm[1, 4] = True
    (m_in, t_in), (mm, tm) = tensors([x]), tensors([causal, kpm if with_kpm else None])
    ym, wm = ours(m_in[0], m_in[0], m_in[0], attn_mask=mm[0], key_padding_mask=mm[1], need_weights=need_weights,
                  is_causal=True)
    yt, wt = theirs(t_in[0], t_in[0], t_in[0], attn_mask=tm[0], key_padding_mask=tm[1], need_weights=need_weights,
                    is_causal=True)
    assert_close(ym, yt, "output")
    assert_close(wm, wt, "weights")
    backward_both(ym, yt)
    compare_grads(ours, theirs, m_in, t_in)


def test_mha_fully_masked_rows_as_torch():
    "A query with every key masked: NaN weights and output on the composed path, zeros on the fused one (torch's)."
    rng = np.random.default_rng(4)
    ours, theirs = pair(lambda lib: lib.MultiheadAttention(8, 2))
    x = rng.standard_normal((4, 2, 8))
    mask = np.zeros((4, 4), bool)
    mask[2] = True
    (m_in, t_in), (mm, tm) = tensors([x]), tensors([mask])
    for nw in (True, False):
        ym, wm = ours(m_in[0], m_in[0], m_in[0], attn_mask=mm[0], need_weights=nw)
        yt, wt = theirs(t_in[0], t_in[0], t_in[0], attn_mask=tm[0], need_weights=nw)
        np.testing.assert_array_equal(np.isnan(ym.detach().numpy()), np.isnan(yt.detach().numpy()))
        ok = ~np.isnan(yt.detach().numpy())
        np.testing.assert_allclose(ym.detach().numpy()[ok], yt.detach().numpy()[ok], rtol=1e-10, atol=1e-12)


def test_mha_mismatched_mask_types_warn_as_torch():
    m = T.MultiheadAttention(8, 2)
    x = mytorch.randn(4, 2, 8)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask is deprecated"):
        m(x, x, x, attn_mask=mytorch.zeros(4, 4), key_padding_mask=mytorch.zeros(2, 4, dtype=mytorch.bool))


def test_mha_dropout_in_training_only():
    m = T.MultiheadAttention(8, 2, dropout=0.5)
    x = mytorch.randn(6, 2, 8)
    _, w = m(x, x, x, average_attn_weights=False)
    frac = (w.detach().numpy() == 0).mean()
    assert 0.35 < frac < 0.65                              # about half the weights dropped
    kept = w.detach().numpy()[w.detach().numpy() != 0]
    m.eval()
    _, w_eval = m(x, x, x, average_attn_weights=False)
    assert (w_eval.detach().numpy() > 0).all()
    np.testing.assert_allclose(w_eval.detach().numpy().sum(-1), 1, rtol=1e-5)
    assert kept.max() > w_eval.detach().numpy().max()     # survivors scaled by 2
    m.train()
    a, b = (m(x, x, x, need_weights=False)[0].detach().numpy() for _ in range(2))
    assert not np.allclose(a, b)                          # the fused path (no weights) drops too
    m.eval()
    a, b = (m(x, x, x, need_weights=False)[0].detach().numpy() for _ in range(2))
    np.testing.assert_array_equal(a, b)


def test_mha_eval_matches_torch_fast_path():
    "torch takes its fused 'fast path' in eval mode without grad: same numbers."
    rng = np.random.default_rng(5)
    ours, theirs = pair(lambda lib: lib.MultiheadAttention(8, 2, dropout=0.3, batch_first=True), torch.float32)
    ours.eval(), theirs.eval()
    x = rng.standard_normal((2, 5, 8)).astype(np.float32)
    kpm = np.zeros((2, 5), bool)
    kpm[0, 3:] = True
    with torch.no_grad():
        yt, wt = theirs(*(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(kpm))
    xm = mytorch.tensor(x)
    with mytorch.no_grad():
        ym, wm = ours(xm, xm, xm, key_padding_mask=mytorch.tensor(kpm))
    assert_close(ym, yt)
    assert_close(wm, wt)


def _mha_errors():
    def mk(lib, *shape, dtype="float32"):
        return lib.ones(*shape, dtype=getattr(lib, dtype))

    def call(lib, q, k=None, v=None, **kw):
        m = lib.nn.MultiheadAttention(8, 2) if lib is torch else T.MultiheadAttention(8, 2)
        k = q if k is None else k
        return m(q, k, q if v is None else v, **kw)
    return {
        "not divisible": lambda lib: (lib.nn.MultiheadAttention if lib is torch else T.MultiheadAttention)(10, 3),
        "zero heads": lambda lib: (lib.nn.MultiheadAttention if lib is torch else T.MultiheadAttention)(8, 0),
        "4-D query": lambda lib: call(lib, mk(lib, 1, 4, 2, 8)),
        "2-D key, 3-D query": lambda lib: call(lib, mk(lib, 4, 2, 8), mk(lib, 4, 8), mk(lib, 4, 8)),
        "wrong E": lambda lib: call(lib, mk(lib, 4, 2, 6)),
        "key/value differ": lambda lib: call(lib, mk(lib, 4, 2, 8), mk(lib, 5, 2, 8), mk(lib, 4, 2, 8)),
        "int mask": lambda lib: call(lib, mk(lib, 4, 2, 8), attn_mask=mk(lib, 4, 4, dtype="int64")),
        "int kpm": lambda lib: call(lib, mk(lib, 4, 2, 8), key_padding_mask=mk(lib, 2, 4, dtype="int64")),
        "2-D mask shape": lambda lib: call(lib, mk(lib, 4, 2, 8), attn_mask=mk(lib, 4, 3)),
        "3-D mask shape": lambda lib: call(lib, mk(lib, 4, 2, 8), attn_mask=mk(lib, 2, 4, 4)),
        "4-D mask": lambda lib: call(lib, mk(lib, 4, 2, 8), attn_mask=mk(lib, 1, 2, 4, 4)),
        "kpm rank": lambda lib: call(lib, mk(lib, 4, 2, 8), key_padding_mask=mk(lib, 2, 4, 1)),
        "kpm shape": lambda lib: call(lib, mk(lib, 4, 2, 8), key_padding_mask=mk(lib, 2, 5, dtype="bool")),
        "kpm batch": lambda lib: call(lib, mk(lib, 4, 2, 8), key_padding_mask=mk(lib, 3, 4, dtype="bool")),
        "causal without mask": lambda lib: call(lib, mk(lib, 4, 2, 8), is_causal=True),
        "unbatched 3-D mask": lambda lib: call(lib, mk(lib, 4, 8), attn_mask=mk(lib, 3, 4, 4)),
    }


@pytest.mark.parametrize("name", sorted(_mha_errors()))
def test_mha_errors_have_torchs_types(name):
    fn = _mha_errors()[name]
    lib = _TorchNames
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_error(lambda: fn(lib), lambda: fn(torch), message=name in ("not divisible", "4-D query",
                                                                        "causal without mask", "zero heads"))


class _TorchNames:
    "mytorch under torch's names for the error scenarios."
    float32, float64, int64, bool = mytorch.float32, mytorch.float64, mytorch.int64, mytorch.bool
    ones = staticmethod(mytorch.ones)
    nn = None


# ------------------------------------------------------------------------------------------- the checks can fail
def test_a_swapped_mask_convention_is_caught():
    "Passing SDPA's convention (True = may attend) where the module expects True = masked out changes the output."
    rng = np.random.default_rng(20)
    ours, theirs = pair(lambda lib: lib.MultiheadAttention(8, 2))
    x = rng.standard_normal((4, 2, 8))
    future = np.triu(np.ones((4, 4), bool), 1)
    (m_in, t_in) = tensors([x])
    ym, _ = ours(m_in[0], m_in[0], m_in[0], attn_mask=mytorch.tensor(~future), need_weights=False)
    yt, _ = theirs(t_in[0], t_in[0], t_in[0], attn_mask=torch.tensor(future), need_weights=False)
    with pytest.raises(AssertionError):
        assert_close(ym, yt)


# ------------------------------------------------------------------------------------------- the encoder layer
def test_encoder_layer_parameters_and_repr():
    m, t = T.TransformerEncoderLayer(16, 4, 32), tnn.TransformerEncoderLayer(16, 4, 32)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    assert list(m.state_dict()) == list(t.state_dict())
    assert repr(m) == repr(t)
    for kw in ({"bias": False}, {"activation": "gelu"}, {"activation": tnn.GELU()}):
        t = tnn.TransformerEncoderLayer(16, 4, 32, **kw)
        kw = {k: (mytorch.nn.GELU() if k == "activation" and not isinstance(v, str) else v) for k, v in kw.items()}
        m = T.TransformerEncoderLayer(16, 4, 32, **kw)
        assert list(m.state_dict()) == list(t.state_dict()) and repr(m) == repr(t)
        assert m.activation_relu_or_gelu == t.activation_relu_or_gelu


ACTS = {"relu": ("relu", "relu"), "gelu": ("gelu", "gelu"), "F.gelu": ("fn_gelu", "fn_gelu"),
        "GELU(tanh)": ("mod_gelu_tanh", "mod_gelu_tanh"), "Tanh module": ("tanh", "tanh")}


def _act(lib, name):
    return {"relu": "relu", "gelu": "gelu", "fn_gelu": lib.functional.gelu,
            "mod_gelu_tanh": lib.GELU(approximate="tanh"), "tanh": lib.Tanh()}[name]


class _TorchLib:
    MultiheadAttention, TransformerEncoderLayer, TransformerEncoder = (tnn.MultiheadAttention,
                                                                       tnn.TransformerEncoderLayer,
                                                                       tnn.TransformerEncoder)
    LayerNorm, ReLU, GELU, Tanh, functional = tnn.LayerNorm, tnn.ReLU, tnn.GELU, tnn.Tanh, TF


def pair2(make, seed=0):
    "The same module from both libraries, float64, torch's weights copied into ours."
    torch.manual_seed(seed)
    theirs = make(_TorchLib).double()
    ours = make(_Lib).double()
    return load_from_torch(ours, theirs), theirs


@FAST
@given(st.integers(0, 2 ** 31 - 1), st.booleans(), st.booleans(), st.sampled_from(sorted(ACTS)),
       st.sampled_from(["none", "bool", "float", "causal"]), st.sampled_from(["none", "bool", "float"]),
       st.booleans(), st.booleans())
def test_encoder_layer_parity(seed, norm_first, batch_first, act, mask_kind, kpm_kind, bias, batched):
    rng = np.random.default_rng(seed)
    L, N, E = 5, 2, 8
    ours, theirs = pair2(lambda lib: lib.TransformerEncoderLayer(
        E, 2, 16, dropout=0.0, activation=_act(lib, ACTS[act][0]), batch_first=batch_first,
        norm_first=norm_first, bias=bias), seed % 1000)
    shape = ((N, L, E) if batch_first else (L, N, E)) if batched else (L, E)
    x = rng.standard_normal(shape)
    mask = None
    if mask_kind in ("bool", "causal"):
        mask = np.triu(np.ones((L, L), bool), 1) if mask_kind == "causal" else rng.random((L, L)) < 0.3
        mask[:, 0] = False
    elif mask_kind == "float":
        mask = rng.standard_normal((L, L))
    kpm = None
    if kpm_kind != "none":
        p = rng.random((N, L) if batched else (L,)) < 0.3
        p[..., 0] = False
        kpm = p if kpm_kind == "bool" else np.where(p, -np.inf, 0.0)
    (m_in, t_in), (mm, tm) = tensors([x]), tensors([mask, kpm], grad=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ym = ours(m_in[0], src_mask=mm[0], src_key_padding_mask=mm[1], is_causal=mask_kind == "causal")
        yt = theirs(t_in[0], src_mask=tm[0], src_key_padding_mask=tm[1], is_causal=mask_kind == "causal")
    assert_close(ym, yt, "output")
    backward_both(ym, yt)
    compare_grads(ours, theirs, m_in, t_in)


def test_encoder_layer_eval_with_dropout_matches_torch():
    rng = np.random.default_rng(6)
    ours, theirs = pair2(lambda lib: lib.TransformerEncoderLayer(8, 2, 16, dropout=0.3))
    ours.eval(), theirs.eval()
    x = rng.standard_normal((5, 2, 8))
    (m_in, t_in) = tensors([x])
    ym, yt = ours(m_in[0]), theirs(t_in[0])
    assert_close(ym, yt)
    backward_both(ym, yt)
    compare_grads(ours, theirs, m_in, t_in)


def test_encoder_layer_dropout_is_active_in_training():
    m = T.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = mytorch.randn(5, 2, 8)
    a, b = m(x), m(x)
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    m.eval()
    np.testing.assert_array_equal(m(x).detach().numpy(), m(x).detach().numpy())


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_dropouts_sit_where_torchs_do(norm_first):
    """Training mode with dropout: the layer against torch's _sa_block / _ff_block written out with the layer's own
    submodules, both drawing the same masks (reseeded). A missing or misplaced dropout changes the draws or where
    they land. (Dropout's random numbers are mytorch's, so torch cannot be the oracle here.)"""
    m = T.TransformerEncoderLayer(8, 2, 16, dropout=0.2, norm_first=norm_first)
    x = mytorch.randn(5, 2, 8)
    sa = lambda h: m.dropout1(m.self_attn(h, h, h, need_weights=False)[0])             # noqa: E731
    ff = lambda h: m.dropout2(m.linear2(m.dropout(m.activation(m.linear1(h)))))      # noqa: E731
    mytorch.manual_seed(0)
    got = m(x)
    mytorch.manual_seed(0)
    if norm_first:
        h = x + sa(m.norm1(x))
        want = h + ff(m.norm2(h))
    else:
        h = m.norm1(x + sa(x))
        want = m.norm2(h + ff(h))
    np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    mytorch.manual_seed(0)
    assert not np.allclose(m(x).detach().numpy(), m.eval()(x).detach().numpy())      # dropout was active

def test_encoder_layer_errors():
    same_error(lambda: T.TransformerEncoderLayer(8, 2, activation="tanh"),
               lambda: tnn.TransformerEncoderLayer(8, 2, activation="tanh"))
    same_error(lambda: T.TransformerEncoderLayer(10, 3), lambda: tnn.TransformerEncoderLayer(10, 3), message=False)
    m, t = T.TransformerEncoderLayer(8, 2), tnn.TransformerEncoderLayer(8, 2)
    same_error(lambda: m(mytorch.ones(4, 2, 8), src_mask=mytorch.ones(4, 4, dtype=mytorch.int64)),
               lambda: t(torch.ones(4, 2, 8), src_mask=torch.ones(4, 4, dtype=torch.int64)), message=False)
    same_error(lambda: m(mytorch.ones(4, 2, 8), is_causal=True), lambda: t(torch.ones(4, 2, 8), is_causal=True))


# ------------------------------------------------------------------------------------------- the encoder
@pytest.mark.parametrize("norm", [False, True])
@pytest.mark.parametrize("mask_kind", ["none", "causal_float", "causal_bool", "bool", "kpm", "causal+kpm"])
def test_encoder_parity(norm, mask_kind):
    rng = np.random.default_rng(7)
    L, N, E = 6, 2, 8

    def make(lib):
        layer = lib.TransformerEncoderLayer(E, 2, 16, dropout=0.0, batch_first=True, norm_first=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")            # torch: the nested-tensor warning
            return lib.TransformerEncoder(layer, 3, norm=lib.LayerNorm(E) if norm else None)
    ours, theirs = pair2(make)
    x = rng.standard_normal((N, L, E))
    mask = kpm = None
    if mask_kind.startswith("causal"):
        mask = np.triu(np.full((L, L), -np.inf), 1) if mask_kind == "causal_float" or "kpm" in mask_kind \
            else np.triu(np.ones((L, L), bool), 1)
    if mask_kind == "bool":
        mask = rng.random((L, L)) < 0.3
        mask[:, 0] = False
    if "kpm" in mask_kind:
        kpm = np.zeros((N, L), bool)
        kpm[1, 4:] = True
        kpm = np.where(kpm, -np.inf, 0.0)
    (m_in, t_in), (mm, tm) = tensors([x]), tensors([mask, kpm], grad=False)
    ym = ours(m_in[0], mask=mm[0], src_key_padding_mask=mm[1])
    yt = theirs(t_in[0], mask=tm[0], src_key_padding_mask=tm[1])
    assert_close(ym, yt, "output")
    backward_both(ym, yt)
    compare_grads(ours, theirs, m_in, t_in)


def test_encoder_copies_and_no_final_norm_by_default():
    layer = T.TransformerEncoderLayer(8, 2, 16)
    enc = T.TransformerEncoder(layer, 2)
    t = tnn.TransformerEncoder(tnn.TransformerEncoderLayer(8, 2, 16), 2, enable_nested_tensor=False)
    assert list(enc.state_dict()) == list(t.state_dict()) and enc.norm is None
    assert repr(enc) == repr(t)
    ps = [dict(l.named_parameters()) for l in enc.layers]
    for name, p in layer.named_parameters():
        assert ps[0][name] is not p and ps[0][name] is not ps[1][name]
        np.testing.assert_array_equal(ps[1][name].detach().numpy(), p.detach().numpy())


def test_causal_mask_detection_as_torch():
    from torch.nn.modules.transformer import _detect_is_causal_mask as theirs
    for mask in (np.triu(np.full((5, 5), -np.inf), 1), np.triu(np.ones((5, 5)), 1), np.zeros((5, 5)),
                 np.triu(np.full((4, 4), -np.inf), 1)):
        for hint in (None, True, False):
            assert T._detect_is_causal_mask(mytorch.tensor(mask), hint, 5) == theirs(torch.tensor(mask), hint, 5)


def test_a_post_norm_block_run_as_pre_norm_is_caught():
    rng = np.random.default_rng(21)
    ours, theirs = pair2(lambda lib: lib.TransformerEncoderLayer(8, 2, 16, dropout=0.0))
    ours.norm_first = True
    (m_in, t_in) = tensors([rng.standard_normal((5, 2, 8))])
    with pytest.raises(AssertionError):
        assert_close(ours(m_in[0]), theirs(t_in[0]))
