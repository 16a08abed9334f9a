"""Tests for chapter 05c (nbs/05c_losses.ipynb -> mytorch/nn/functional/loss.py): every loss and every option
against torch.nn.functional 2.13. Forward value and dtype, input gradients (float32 and float64), gradcheck in
float64, the stability cases (logits of +-1e4 for cross-entropy, +-100 for BCE with logits), ignore_index,
label_smoothing, weights, probability targets, reductions, the legacy size_average/reduce flags, signatures,
and every warning and error with PyTorch's category/exception type (ERRATA §2 and §3.7, issue 9 item 10)."""
import inspect
import re
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import mytorch as mt
import mytorch.nn.functional.loss as MF
from mytorch.autograd import gradcheck
from conftest import assert_close, tol

PUBLIC = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy",
          "binary_cross_entropy", "binary_cross_entropy_with_logits"]
FLOATS = ["float32", "float64"]
REDUCTIONS = ["mean", "sum", "none"]
RNG = np.random.default_rng(0)


# ------------------------------------------------------------------------------------------- the harness
def lib_tensor(lib, a, dtype, grad):
    """A float array in `dtype` (a leaf requiring grad if `grad`), an integer/bool array as it is;
    ('keep', array) keeps the array's own float dtype."""
    if isinstance(a, tuple) and a and a[0] == "keep":
        a, dtype = np.asarray(a[1]), str(np.asarray(a[1]).dtype)
    a = np.asarray(a)
    if a.dtype.kind == "f":
        t = lib.tensor(a.astype(dtype))
        return t.requires_grad_() if grad else t
    return lib.tensor(a)


def run(lib, fname, args, kwargs, dtype, grad=(0,), upstream_seed=1):
    """Call loss `fname` of `lib` on `args` (NumPy arrays; positions in `grad` require grad) and `kwargs`
    (arrays become tensors of `dtype`, or of their own dtype if given as ('keep', array)); backprop a fixed
    random upstream gradient. Returns (output, [grads of the `grad` leaves])."""
    f = getattr(MF if lib is mt else TF, fname)
    xs = [lib_tensor(lib, a, dtype, i in grad) for i, a in enumerate(args)]
    kw = {}
    for k, v in kwargs.items():
        if isinstance(v, (tuple, np.ndarray)): kw[k] = lib_tensor(lib, v, dtype, False)
        else: kw[k] = v
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = f(*xs, **kw)
    leaves = [xs[i] for i in grad if xs[i].requires_grad]
    if leaves:
        g = np.random.default_rng(upstream_seed).normal(size=tuple(out.shape)).astype(np.float64)
        (out * lib.tensor(g).to(out.dtype)).sum().backward()
    return out, [x.grad for x in leaves]


def compare(fname, args, kwargs=None, dtype="float64", grad=(0,), **bounds):
    """mytorch against torch: output (shape, dtype, values) and every input gradient; `bounds` (rtol, atol)
    loosen the value check for mixed precision (a float64 result computed from float32 logits)."""
    kwargs = kwargs or {}
    mo, mg = run(mt, fname, args, kwargs, dtype, grad)
    to, tg = run(torch, fname, args, kwargs, dtype, grad)
    assert_close(mo, to, f"{fname} {kwargs} {dtype}: value", **bounds)
    assert len(mg) == len(tg)
    for i, (a, b) in enumerate(zip(mg, tg)):
        assert_close(a, b, f"{fname} {kwargs} {dtype}: grad {i}", **tol(b, grad=True))
    return mo


def check_gradcheck(fname, args, kwargs=None, grad=(0,)):
    "mytorch's gradcheck (central differences, float64) on the float64 loss."
    kwargs = kwargs or {}
    xs = [lib_tensor(mt, a, "float64", i in grad) for i, a in enumerate(args)]
    kw = {k: (lib_tensor(mt, v, "float64", False) if isinstance(v, np.ndarray) else v)
          for k, v in kwargs.items()}
    f = getattr(MF, fname)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gradcheck(lambda *a: f(*a, **kw), xs)


def probs(shape, axis=1, seed=0):
    "Rows of class probabilities along `axis`."
    e = np.exp(np.random.default_rng(seed).normal(size=shape))
    return e / e.sum(axis=axis, keepdims=True)


# ------------------------------------------------------------------------------------------- data
X = RNG.normal(size=(3, 4))
Y = RNG.normal(size=(3, 4))
W_ELEM = RNG.uniform(0.5, 2.0, size=(3, 4))
LOGITS = RNG.normal(size=(5, 4)) * 2
IDX = np.array([0, 3, 1, 3, 2])
W_CLASS = np.array([0.5, 1.0, 2.0, 3.0])
LOGITS_K = RNG.normal(size=(2, 4, 3, 2))
IDX_K = RNG.integers(0, 4, size=(2, 3, 2))
P_X = RNG.uniform(0.05, 0.95, size=(3, 4))
P_T = RNG.uniform(0.0, 1.0, size=(3, 4))
Z = RNG.normal(size=(3, 4)) * 3


# ------------------------------------------------------------------------------------------- names, signatures
def test_public_names_exist_in_module():
    for name in PUBLIC:
        assert callable(getattr(MF, name)), name
        assert name in MF.__all__, name


def test_public_names_in_functional_package():
    import mytorch.nn.functional as F
    missing = [n for n in PUBLIC if not hasattr(F, n)]
    if len(missing) == len(PUBLIC):
        pytest.skip("mytorch/nn/functional/__init__.py (the lead's) does not import .loss yet")
    assert not missing, missing
    for n in PUBLIC: assert getattr(F, n) is getattr(MF, n)


@pytest.mark.parametrize("name", PUBLIC)
def test_signature_as_torch(name):
    def params(f):
        return [(p.name, p.default, p.kind) for p in inspect.signature(f).parameters.values()]
    assert params(getattr(MF, name)) == params(getattr(TF, name))


# ------------------------------------------------------------------------------------------- regression losses
REG = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("fname", REG)
def test_regression_losses(fname, reduction, dtype):
    compare(fname, [X, Y], {"reduction": reduction}, dtype, grad=(0, 1))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kw", [{"beta": 0.5}, {"beta": 2.0}, {"beta": 0.0}, {"beta": 0.0, "reduction": "none"},
                                {"beta": 3.0, "reduction": "sum"}])
def test_smooth_l1_beta(kw, dtype):
    compare("smooth_l1_loss", [X, Y], kw, dtype, grad=(0, 1))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kw", [{"delta": 0.5}, {"delta": 2.0}, {"delta": 0.3, "reduction": "none"},
                                {"delta": 1.5, "reduction": "sum"}])
def test_huber_delta(kw, dtype):
    compare("huber_loss", [X, Y], kw, dtype, grad=(0, 1))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("fname", ["mse_loss", "l1_loss", "huber_loss"])
def test_regression_weight(fname, reduction, dtype):
    "MSE/L1 weighted mean divides by sum(w), Huber's by N: both as torch."
    compare(fname, [X, Y], {"reduction": reduction, "weight": W_ELEM}, dtype, grad=(0, 1))


@pytest.mark.parametrize("fname", REG)
def test_regression_gradcheck(fname):
    check_gradcheck(fname, [X, Y], {}, grad=(0, 1))
    check_gradcheck(fname, [X, Y], {"reduction": "none"}, grad=(0, 1))


def test_regression_gradcheck_options():
    check_gradcheck("smooth_l1_loss", [X, Y], {"beta": 0.5}, grad=(0, 1))
    check_gradcheck("huber_loss", [X, Y], {"delta": 0.5, "weight": W_ELEM}, grad=(0, 1))
    check_gradcheck("mse_loss", [X, Y], {"weight": W_ELEM}, grad=(0, 1))
    check_gradcheck("l1_loss", [X, Y], {"weight": W_ELEM, "reduction": "sum"}, grad=(0, 1))


@pytest.mark.parametrize("fname", ["l1_loss", "smooth_l1_loss", "huber_loss"])
def test_regression_kinks_as_torch(fname):
    "Errors exactly 0 and exactly at the threshold (1.0): torch's subgradients."
    x = np.array([0.0, 1.0, -1.0, 2.0, 0.5])
    compare(fname, [x, np.zeros(5)], {"reduction": "none"}, "float64", grad=(0, 1))


def test_regression_int_input_float_target():
    compare("mse_loss", [np.array([1, 2, 3]), np.array([0.5, 2.0, 4.0])], {}, "float32", grad=(1,))


def test_regression_empty_is_nan_as_torch():
    for fname in REG:
        compare(fname, [np.zeros(0), np.zeros(0)], {}, "float32", grad=())


def shape_warnings(lib, fname, a, b, **kw):
    f = getattr(MF if lib is mt else TF, fname)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = f(lib.tensor(a), lib.tensor(b), **kw)
    return out, rec


def torch_size_as_tuple(msg):
    "PyTorch's 'torch.Size([3, 1])' in a message as mytorch prints sizes: '(3, 1)'."
    return re.sub(r"torch\.Size\(\[([^\]]*)\]\)",
                  lambda m: str(tuple(int(v) for v in m.group(1).split(",") if v.strip())), msg)


@pytest.mark.parametrize("fname", REG)
@pytest.mark.parametrize("shapes", [((3, 1), (3,)), ((3,), (2, 3)), ((2, 3), (1, 3))])
def test_regression_shape_mismatch_warns_and_broadcasts(fname, shapes):
    "ERRATA §2: MSE, L1, Huber and SmoothL1 broadcast, with PyTorch's UserWarning text."
    a = RNG.normal(size=shapes[0]).astype(np.float32)
    b = RNG.normal(size=shapes[1]).astype(np.float32)
    mo, mrec = shape_warnings(mt, fname, a, b)
    to, trec = shape_warnings(torch, fname, a, b)
    assert_close(mo, to)
    assert [w.category for w in mrec] == [w.category for w in trec] == [UserWarning]
    assert str(mrec[0].message) == torch_size_as_tuple(str(trec[0].message))
    assert mrec[0].filename == __file__, "the warning should point at the caller"


@pytest.mark.parametrize("fname", REG)
def test_regression_same_shape_no_warning(fname):
    _, rec = shape_warnings(mt, fname, X, Y)
    assert rec == []


# ------------------------------------------------------------------------------------------- reductions, legacy
LEGACY = [dict(size_average=False), dict(reduce=False), dict(reduce=True), dict(size_average=True, reduce=True),
          dict(size_average=False, reduce=True), dict(size_average=True, reduce=False),
          dict(size_average=0), dict(reduce=0)]             # falsy, not False: PyTorch tests truth


def legacy_call(lib, fname, args, kw):
    f = getattr(MF if lib is mt else TF, fname)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = f(*[lib_tensor(lib, a, "float64", False) for a in args], **kw)
    return out, [(w.category, str(w.message)) for w in rec]


LEGACY_CALLS = [("mse_loss", [X, Y]), ("l1_loss", [X, Y]), ("smooth_l1_loss", [X, Y]),
                ("nll_loss", [LOGITS, IDX]), ("cross_entropy", [LOGITS, IDX]),
                ("binary_cross_entropy", [P_X, P_T]), ("binary_cross_entropy_with_logits", [Z, P_T])]


@pytest.mark.parametrize("kw", LEGACY)
@pytest.mark.parametrize("fname,args", LEGACY_CALLS)
def test_legacy_size_average_reduce(fname, args, kw):
    mo, mw = legacy_call(mt, fname, args, kw)
    to, tw = legacy_call(torch, fname, args, kw)
    assert_close(mo, to)
    assert mw == tw


@pytest.mark.parametrize("fname,args", LEGACY_CALLS + [("huber_loss", [X, Y])])
def test_invalid_reduction_raises_valueerror(fname, args):
    for lib in (mt, torch):
        with pytest.raises(ValueError, match="not a valid value for reduction|Invalid reduction"):
            legacy_call(lib, fname, args, {"reduction": "avg"})


def test_elementwise_mean_deprecated_as_torch():
    mo, mw = legacy_call(mt, "mse_loss", [X, Y], {"reduction": "elementwise_mean"})
    to, tw = legacy_call(torch, "mse_loss", [X, Y], {"reduction": "elementwise_mean"})
    assert_close(mo, to)
    assert mw == tw


# ------------------------------------------------------------------------------------------- nll_loss
NLL_OPTIONS = [{}, {"weight": W_CLASS}, {"ignore_index": 3}, {"ignore_index": 1, "weight": W_CLASS}]


def logp_of(z):
    return z - np.log(np.exp(z).sum(axis=1 if z.ndim > 1 else 0, keepdims=True))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", NLL_OPTIONS)
def test_nll_loss(kw, reduction, dtype):
    compare("nll_loss", [logp_of(LOGITS), IDX], dict(kw, reduction=reduction), dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_default_ignore_index(reduction, dtype):
    t = IDX.copy(); t[[1, 4]] = -100
    compare("nll_loss", [logp_of(LOGITS), t], {"reduction": reduction, "weight": W_CLASS}, dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_kdim(reduction):
    compare("nll_loss", [logp_of(LOGITS_K), IDX_K], {"reduction": reduction, "weight": W_CLASS})


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_unbatched(reduction):
    "(C,) input with a 0-d target; a (1,) target too (forward only: torch's backward fails on it)."
    kw = {"reduction": reduction, "weight": W_CLASS}
    compare("nll_loss", [logp_of(LOGITS[0]), np.array(2)], kw)
    compare("nll_loss", [logp_of(LOGITS[0]), np.array([2])], kw, grad=())


def test_nll_loss_uint8_target():
    compare("nll_loss", [logp_of(LOGITS), IDX.astype(np.uint8)], {"weight": W_CLASS}, "float32")


def test_nll_loss_gradcheck():
    for kw in NLL_OPTIONS:
        check_gradcheck("nll_loss", [logp_of(LOGITS), IDX], kw)
    check_gradcheck("nll_loss", [logp_of(LOGITS_K), IDX_K], {"weight": W_CLASS, "reduction": "none"})


@pytest.mark.parametrize("fname", ["nll_loss", "cross_entropy"])
def test_all_targets_ignored_gives_nan(fname):
    "ERRATA §3.7: every target ignored -> nan for 'mean' (0/0), 0 for 'sum'."
    t = np.full(5, -100)
    for red in ("mean", "sum"):
        mo = compare(fname, [LOGITS, t], {"reduction": red}, "float32", grad=())
        assert np.isnan(mo.item()) == (red == "mean")
    for ls in (0.0, 0.1):
        if fname == "cross_entropy":
            compare(fname, [LOGITS, t], {"label_smoothing": ls, "weight": W_CLASS}, "float32", grad=())


# ------------------------------------------------------------------------------------------- cross_entropy
CE_INDEX_OPTIONS = [{}, {"weight": W_CLASS}, {"ignore_index": 2}, {"label_smoothing": 0.2},
                    {"label_smoothing": 0.3, "weight": W_CLASS},
                    {"label_smoothing": 0.1, "weight": W_CLASS, "ignore_index": 3},
                    {"label_smoothing": 0.25, "ignore_index": 0}, {"label_smoothing": 1.0},
                    {"label_smoothing": -0.1}]
CE_PROB_OPTIONS = [{}, {"weight": W_CLASS}, {"label_smoothing": 0.2},
                   {"label_smoothing": 0.4, "weight": W_CLASS}, {"ignore_index": -1}]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", CE_INDEX_OPTIONS)
def test_cross_entropy_class_indices(kw, reduction, dtype):
    compare("cross_entropy", [LOGITS, IDX], dict(kw, reduction=reduction), dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", CE_PROB_OPTIONS)
def test_cross_entropy_class_probabilities(kw, reduction, dtype):
    "Input and target gradients; ERRATA §3.7: weighted 'mean' divides by N here."
    compare("cross_entropy", [LOGITS, probs(LOGITS.shape)], dict(kw, reduction=reduction), dtype,
            grad=(0, 1))


def test_cross_entropy_weighted_mean_divisors():
    "ERRATA §3.7 spelled out: sum(w[y]) for indices, N for probabilities."
    z, w = mt.tensor(LOGITS), mt.tensor(W_CLASS)
    onehot = np.eye(4)[IDX]
    total_idx = MF.cross_entropy(z, mt.tensor(IDX), weight=w, reduction="sum").item()
    total_prob = MF.cross_entropy(z, mt.tensor(onehot), weight=w, reduction="sum").item()
    assert np.isclose(total_idx, total_prob)
    assert np.isclose(MF.cross_entropy(z, mt.tensor(IDX), weight=w).item(), total_idx / W_CLASS[IDX].sum())
    assert np.isclose(MF.cross_entropy(z, mt.tensor(onehot), weight=w).item(), total_prob / 5)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [{}, {"weight": W_CLASS, "label_smoothing": 0.2, "ignore_index": 1}])
def test_cross_entropy_kdim(kw, reduction):
    compare("cross_entropy", [LOGITS_K, IDX_K], dict(kw, reduction=reduction))
    compare("cross_entropy", [LOGITS_K, probs(LOGITS_K.shape)],
            {k: v for k, v in dict(kw, reduction=reduction).items() if k != "ignore_index"}, grad=(0, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_unbatched(reduction):
    kw = {"reduction": reduction, "weight": W_CLASS}
    compare("cross_entropy", [LOGITS[0], np.array(3)], dict(kw, label_smoothing=0.1))
    compare("cross_entropy", [LOGITS[0], np.array([3])], kw, grad=())   # torch fails with smoothing
    compare("cross_entropy", [LOGITS[0], probs((4,), axis=0)], {"reduction": reduction}, grad=(0, 1))


def test_cross_entropy_uint8_target_works_int32_raises():
    "ERRATA §3.7: uint8 targets work; int32 targets raise (RuntimeError, as torch)."
    compare("cross_entropy", [LOGITS, IDX.astype(np.uint8)], {"label_smoothing": 0.1}, "float32")
    for lib in (mt, torch):
        with pytest.raises(RuntimeError, match="Long or Byte"):
            run(lib, "cross_entropy", [LOGITS, IDX.astype(np.int32)], {}, "float32")


def test_cross_entropy_probability_dtype_promotion():
    "A float64 probability target with float32 logits gives float64, as torch."
    mo = compare("cross_entropy", [LOGITS, ("keep", probs(LOGITS.shape))], {}, "float32", rtol=1e-6)
    assert mo.dtype == mt.float64


def test_cross_entropy_empty_batch():
    for red in REDUCTIONS:
        compare("cross_entropy", [np.zeros((0, 4)), np.zeros(0, dtype=np.int64)], {"reduction": red},
                "float32", grad=())
        compare("cross_entropy", [np.zeros((0, 4)), np.zeros((0, 4))], {"reduction": red}, "float32",
                grad=())


def test_cross_entropy_gradcheck():
    for kw in CE_INDEX_OPTIONS:
        check_gradcheck("cross_entropy", [LOGITS, IDX], kw)
    for kw in CE_PROB_OPTIONS:
        check_gradcheck("cross_entropy", [LOGITS, probs(LOGITS.shape)], kw, grad=(0, 1))
    check_gradcheck("cross_entropy", [LOGITS_K, IDX_K], {"weight": W_CLASS, "label_smoothing": 0.2,
                                                         "reduction": "none"})


def test_cross_entropy_is_log_softmax_then_nll():
    z, y = mt.tensor(LOGITS), mt.tensor(IDX)
    a = MF.cross_entropy(z, y, weight=mt.tensor(W_CLASS))
    b = MF.nll_loss(z.log_softmax(1), y, weight=mt.tensor(W_CLASS))
    assert np.isclose(a.item(), b.item(), rtol=1e-12)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kw", [{}, {"label_smoothing": 0.1, "weight": W_CLASS[:3]},
                                {"reduction": "none"}])
def test_cross_entropy_stable_at_1e4(kw, dtype):
    "Logits of +-1e4: finite loss and gradients, equal to torch (indices and probabilities)."
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0], [0.0, 0.0, 1e4]])
    for target in (np.array([1, 1, 0]), probs((3, 3))):
        mo = compare("cross_entropy", [z, target], kw, dtype)
        _, (g,) = run(mt, "cross_entropy", [z, target], kw, dtype)
        assert np.isfinite(mo.detach().numpy()).all() and np.isfinite(g.numpy()).all()


def test_cross_entropy_gradient_is_softmax_minus_onehot():
    z = mt.tensor(LOGITS, requires_grad=True)
    MF.cross_entropy(z, mt.tensor(IDX), reduction="sum").backward()
    p = np.exp(LOGITS) / np.exp(LOGITS).sum(1, keepdims=True)
    np.testing.assert_allclose(z.grad.numpy(), p - np.eye(4)[IDX], rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------------------------------- binary cross-entropy
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [{}, {"weight": W_ELEM}, {"weight": W_CLASS}, {"weight": np.array(2.0)}])
def test_binary_cross_entropy(kw, reduction, dtype):
    compare("binary_cross_entropy", [P_X, P_T], dict(kw, reduction=reduction), dtype, grad=(0, 1))


@pytest.mark.parametrize("dtype", FLOATS)
def test_binary_cross_entropy_log_clamped_at_minus_100(dtype):
    "x = 0 or 1: loss 100 (each log clamped at -100), gradient +-1e12 as torch (x(1-x) clamped at 1e-12)."
    x, t = np.array([0.0, 1.0, 0.0, 1.0, 1e-30]), np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    mo = compare("binary_cross_entropy", [x, t], {"reduction": "none"}, dtype)
    np.testing.assert_allclose(mo.detach().numpy()[:2], [100.0, 100.0])
    compare("binary_cross_entropy", [x, t], {"reduction": "sum"}, dtype, grad=(0, 1))


@pytest.mark.parametrize("dtype", FLOATS)
def test_binary_cross_entropy_no_runtime_warning_at_0_and_1(dtype):
    "x in {0, 1}: log(0) is clamped silently, forward and backward (PyTorch prints nothing)."
    x = mt.tensor(np.array([0.0, 1.0, 0.0, 1.0], dtype=dtype), requires_grad=True)
    t = mt.tensor(np.array([1.0, 0.0, 0.0, 1.0], dtype=dtype), requires_grad=True)
    with warnings.catch_warnings(), np.errstate(all="warn"):
        warnings.simplefilter("error")
        loss = MF.binary_cross_entropy(x, t, reduction="sum")
        loss.backward()
    assert loss.item() == 200.0 and np.isfinite(x.grad.numpy()).all()


def test_binary_cross_entropy_node_name_as_torch():
    "The one fused node carries PyTorch's name; nothing but the eight losses is public."
    m = MF.binary_cross_entropy(mt.tensor(P_X, requires_grad=True), mt.tensor(P_T), reduction="none")
    t = TF.binary_cross_entropy(torch.tensor(P_X, requires_grad=True), torch.tensor(P_T), reduction="none")
    assert m.grad_fn.name() == t.grad_fn.name() == "BinaryCrossEntropyBackward0"
    assert sorted(MF.__all__) == sorted(PUBLIC)


def test_binary_cross_entropy_weight_dtype_follows_input():
    compare("binary_cross_entropy", [P_X, P_T], {"weight": ("keep", W_CLASS)}, "float32", grad=(0, 1))


def test_binary_cross_entropy_gradcheck():
    check_gradcheck("binary_cross_entropy", [P_X, P_T], {"weight": W_CLASS}, grad=(0, 1))
    check_gradcheck("binary_cross_entropy", [P_X, P_T], {"reduction": "none"}, grad=(0, 1))


BCEL_OPTIONS = [{}, {"weight": W_ELEM}, {"pos_weight": W_CLASS}, {"pos_weight": W_CLASS, "weight": W_CLASS},
                {"pos_weight": np.array(3.0)}]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", BCEL_OPTIONS)
def test_binary_cross_entropy_with_logits(kw, reduction, dtype):
    compare("binary_cross_entropy_with_logits", [Z, P_T], dict(kw, reduction=reduction), dtype, grad=(0, 1))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kw", [{}, {"pos_weight": np.array([2.0, 0.5, 1.0, 3.0])}, {"reduction": "none"}])
def test_binary_cross_entropy_with_logits_stable_at_100(kw, dtype):
    "Logits of +-100: finite loss and gradients, equal to torch."
    z = np.array([100.0, -100.0, 100.0, -100.0])
    t = np.array([1.0, 0.0, 0.0, 1.0])
    mo = compare("binary_cross_entropy_with_logits", [z, t], kw, dtype, grad=(0, 1))
    _, grads = run(mt, "binary_cross_entropy_with_logits", [z, t], kw, dtype, grad=(0, 1))
    assert np.isfinite(mo.detach().numpy()).all()
    assert all(np.isfinite(g.numpy()).all() for g in grads)


def test_binary_cross_entropy_with_logits_dtypes():
    compare("binary_cross_entropy_with_logits", [Z, ("keep", P_T)], {}, "float32", rtol=1e-6)  # float64
    compare("binary_cross_entropy_with_logits", [Z, P_T], {"weight": ("keep", W_CLASS)}, "float32")


def test_binary_cross_entropy_with_logits_gradcheck():
    for kw in BCEL_OPTIONS:
        check_gradcheck("binary_cross_entropy_with_logits", [Z, P_T], kw, grad=(0, 1))


# ------------------------------------------------------------------------------------------- errors
def both_raise(fname, args, kwargs=None, dtype="float32", grad=()):
    """Run on torch and mytorch: both must raise, the same exception type. Returns mytorch's message."""
    kwargs = kwargs or {}
    with pytest.raises(Exception) as te:
        run(torch, fname, args, kwargs, dtype, grad)
    with pytest.raises(Exception) as me:
        run(mt, fname, args, kwargs, dtype, grad)
    assert me.type is te.type, f"{fname}: mytorch raised {me.type.__name__}: {me.value}, " \
                               f"torch {te.type.__name__}: {te.value}"
    return str(me.value)


def f32(a): return np.asarray(a, dtype=np.float32)


CLASS_ERRORS = [  # (op, args, kwargs, words mytorch's message must contain)
    ("cross_entropy", [LOGITS, np.array([0, 4, 1, 3, 2])], {}, ["cross_entropy", "Target 4 is out of bounds",
                                                                "[0, 3]", "hint"]),
    ("cross_entropy", [LOGITS, np.array([0, -1, 1, 3, 2])], {}, ["Target -1 is out of bounds", "hint"]),
    ("nll_loss", [LOGITS, np.array([0, 9, 1, 3, 2])], {}, ["nll_loss", "Target 9 is out of bounds", "hint"]),
    ("nll_loss", [LOGITS, np.array([0, -100, 1, 3, 2])], {"ignore_index": 3}, ["Target -100"]),
    ("cross_entropy", [LOGITS, np.array([0, 4, 1, 3, 2])], {"reduction": "none"}, ["out of bounds"]),
    ("cross_entropy", [LOGITS_K, np.full((2, 3, 2), 5)], {}, ["Target 5 is out of bounds"]),
    ("cross_entropy", [LOGITS, IDX.astype(np.float32)], {}, ["cross_entropy", "Long or Byte", "float32",
                                                             "hint", "probabilities"]),
    ("cross_entropy", [LOGITS, ("keep", IDX.astype(np.float64))], {}, ["Long or Byte", "float64"]),
    ("nll_loss", [LOGITS, IDX.astype(np.float32)], {}, ["nll_loss", "Long or Byte", "hint"]),
    ("cross_entropy", [LOGITS, np.array([5.0, 0, 0, 0, 0])], {}, ["Long or Byte"]),
    ("nll_loss", [LOGITS, IDX.astype(np.int32)], {}, ["Long or Byte", "int32", "target.long()"]),
    ("cross_entropy", [LOGITS, IDX.astype(np.int16)], {}, ["Long or Byte", "int16"]),
    ("cross_entropy", [LOGITS, IDX.astype(np.int8)], {}, ["Long or Byte"]),
    ("cross_entropy", [LOGITS, IDX.astype(bool)], {}, ["Long or Byte", "bool"]),
    ("cross_entropy", [LOGITS, IDX[:4]], {}, ["batch_size (5)", "batch_size (4)"]),
    ("nll_loss", [LOGITS, IDX[:4]], {}, ["nll_loss", "batch_size (5)"]),
    ("nll_loss", [LOGITS, np.float32(np.arange(3))], {}, ["batch_size"]),
    ("cross_entropy", [LOGITS, IDX[:, None]], {}, ["multi-target"]),
    ("cross_entropy", [LOGITS, np.ones((5, 3))], {}, ["multi-target"]),
    ("cross_entropy", [np.zeros((2, 3)), np.array(1)], {}, ["batch_size (2)"]),
    ("nll_loss", [LOGITS_K, IDX_K[:, :2]], {}, ["Expected target size [2, 3, 2], got [2, 2, 2]"]),
    ("nll_loss", [LOGITS_K, IDX_K[:, :, 0]], {}, ["Expected target size"]),
    ("nll_loss", [LOGITS[0], np.array([1, 1])], {}, ["1D target must have size 1"]),
    ("nll_loss", [np.float32(1.0), np.array(0)], {}, ["Expected 1 or more dimensions"]),
    ("cross_entropy", [np.float32(1.0), np.array(0)], {}, ["floating point type"]),
    ("cross_entropy", [np.float32(1.0), np.float32(0.0)], {}, ["no dimensions"]),
    ("cross_entropy", [LOGITS, np.ones((5, 4), dtype=np.int64)], {}, ["floating point type", "int64"]),
    ("cross_entropy", [LOGITS, IDX], {"weight": np.ones(5)}, ["for all 4 classes", "[5]"]),
    ("nll_loss", [LOGITS, IDX], {"weight": np.ones(3)}, ["for all 4 classes"]),
    ("cross_entropy", [LOGITS, probs(LOGITS.shape)], {"weight": np.ones(5)}, ["for all 4 classes"]),
    ("cross_entropy", [LOGITS, probs(LOGITS.shape)], {"ignore_index": 0}, ["ignore_index is not supported"]),
    ("cross_entropy", [LOGITS, IDX], {"weight": ("keep", np.ones(4))}, ["weight", "float64"]),
    ("nll_loss", [LOGITS, IDX], {"weight": ("keep", np.ones(4))}, ["weight"]),
    ("cross_entropy", [LOGITS, IDX], {"label_smoothing": 1.5}, ["label_smoothing", "1.5"]),
    ("cross_entropy", [np.ones((5, 4), dtype=np.int64), IDX], {}, ["cross_entropy", "int64"]),
    ("nll_loss", [np.ones((5, 4), dtype=np.int64), IDX], {}, ["nll_loss", "int64"]),
]


@pytest.mark.parametrize("fname,args,kwargs,words", CLASS_ERRORS)
def test_class_target_errors(fname, args, kwargs, words):
    msg = both_raise(fname, args, kwargs)
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"


@pytest.mark.parametrize("fname,kw", [("nll_loss", {}), ("cross_entropy", {}),
                                      ("cross_entropy", {"label_smoothing": 0.1})])
def test_class_index_weight_requiring_grad_raises_as_torch(fname, kw):
    for lib, f in ((mt, getattr(MF, fname)), (torch, getattr(TF, fname))):
        w = lib.ones(4, requires_grad=True)
        with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
            f(lib.tensor(f32(logp_of(LOGITS))), lib.tensor(IDX), weight=w, **kw)


def test_cross_entropy_probabilities_weight_gradient_as_torch():
    "With probability targets the weight is an ordinary factor: its gradient is torch's."
    grads = []
    for lib, f in ((mt, MF.cross_entropy), (torch, TF.cross_entropy)):
        w = lib.tensor(W_CLASS, requires_grad=True)
        f(lib.tensor(LOGITS), lib.tensor(probs(LOGITS.shape)), weight=w, label_smoothing=0.2).backward()
        grads.append(w.grad)
    assert_close(*grads, **tol(grads[1], grad=True))


OTHER_ERRORS = [
    ("binary_cross_entropy", [P_X[:, :1], P_T[:, 0]], {}, ["different to the input size", "(3, 1)"]),
    ("binary_cross_entropy", [P_X, P_T[0]], {}, ["different to the input size"]),
    ("binary_cross_entropy", [np.array([1.5, 0.5]), np.array([1.0, 0.0])], {}, ["input should be between 0 and 1",
                                                                             "hint"]),
    ("binary_cross_entropy", [np.array([-0.5, 0.5]), np.array([1.0, 0.0])], {}, ["between 0 and 1"]),
    ("binary_cross_entropy", [np.array([0.5, 0.5]), np.array([1.5, 0.0])], {}, ["target should be between"]),
    ("binary_cross_entropy", [P_X, ("keep", P_T)], {}, ["Found dtype float64 but expected float32"]),
    ("binary_cross_entropy", [P_X, np.ones((3, 4), dtype=np.int64)], {}, ["Found dtype int64"]),
    ("binary_cross_entropy", [np.ones((3, 4), dtype=np.int64), np.ones((3, 4), dtype=np.int64)], {}, ["int64"]),
    ("binary_cross_entropy", [P_X, P_T], {"weight": np.ones(3)}, ["weight", "(3,)", "(3, 4)"]),
    ("binary_cross_entropy_with_logits", [Z[:, :1], P_T[:, 0]], {}, ["must be the same as input size"]),
    ("binary_cross_entropy_with_logits", [Z, np.ones((3, 4), dtype=np.int64)], {}, ["int64", "hint"]),
    ("binary_cross_entropy_with_logits", [Z, P_T], {"pos_weight": np.ones(3)}, []),
    ("binary_cross_entropy_with_logits", [Z, P_T], {"weight": np.ones(3)}, []),
    ("mse_loss", [np.zeros(3), np.zeros(2)], {}, []),
    ("mse_loss", [np.zeros(3, dtype=np.int64), np.zeros(3, dtype=np.int64)], {}, ["mse_loss", "int64"]),
    ("l1_loss", [np.zeros(3, dtype=np.int64), np.zeros(3, dtype=np.int64)], {}, ["l1_loss"]),
    ("huber_loss", [np.zeros(3, dtype=np.int64), np.zeros(3, dtype=np.int64)], {}, ["huber_loss"]),
    ("smooth_l1_loss", [np.zeros(3, dtype=np.int64), np.zeros(3, dtype=np.int64)], {}, ["smooth_l1_loss"]),
    ("mse_loss", [X, Y], {"weight": np.ones(4)}, ["Weights and input must have the same size."]),
    ("l1_loss", [X, Y], {"weight": np.ones((4, 3))}, ["Weights and input"]),
    ("huber_loss", [X, Y], {"weight": np.ones(4)}, ["Weights and input"]),
    ("smooth_l1_loss", [X, Y], {"beta": -1.0}, ["negative values for beta"]),
    ("huber_loss", [X, Y], {"delta": 0.0}, ["non-positive values for delta"]),
    ("huber_loss", [X, Y], {"delta": -2.0}, ["non-positive values for delta"]),
]


@pytest.mark.parametrize("fname,args,kwargs,words", OTHER_ERRORS)
def test_other_errors(fname, args, kwargs, words):
    msg = both_raise(fname, args, kwargs)
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"


def test_bce_shape_errors_text_as_torch():
    "BCE and BCE-with-logits raise on a target of another shape (ERRATA §2) with PyTorch's text (sizes as tuples)."
    for fname, a, b in (("binary_cross_entropy", P_X[:, :1], P_T[:, 0]),
                        ("binary_cross_entropy_with_logits", Z[:, :1], P_T[:, 0])):
        with pytest.raises(ValueError) as te:
            run(torch, fname, [a, b], {}, "float32", ())
        with pytest.raises(ValueError) as me:
            run(mt, fname, [a, b], {}, "float32", ())
        assert str(me.value) == torch_size_as_tuple(str(te.value))


@pytest.mark.parametrize("fname", ["nll_loss", "cross_entropy"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5, 4), (4,)], ids=str)
def test_nll_node_names_as_torch(fname, reduction, shape):
    "(N, C) and (C,) inputs: one NllLossBackward0 node (after LogSoftmaxBackward0 for cross_entropy), as torch."
    rng = np.random.default_rng(7)
    x = rng.normal(size=shape)
    y = rng.integers(0, shape[-1], size=shape[:-1])
    if fname == "nll_loss":
        x = x - np.log(np.exp(x).sum(-1, keepdims=True))
    names = []
    for lib in (mt, torch):
        xi = lib.tensor(x, requires_grad=True)
        out = getattr(MF if lib is mt else TF, fname)(xi, lib.tensor(y), reduction=reduction)
        fn = out.grad_fn
        names.append(fn.name() if lib is mt else fn.name())
        if fname == "cross_entropy":
            nxt = fn.next_functions[0]
            names.append(nxt.name() if lib is mt else nxt[0].name())
    half = len(names) // 2
    assert names[:half] == names[half:] and names[0] == "NllLossBackward0"
