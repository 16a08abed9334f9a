"""mytorch.testing: the chapters' check helpers, and assert_close against torch.testing.assert_close."""
import numpy as np
import pytest
import torch

import mytorch
from mytorch import testing as mt

DTYPES = [np.float16, np.float32, np.float64, np.int64, np.bool_]


def _torch_ok(a, b, **kw):
    try:
        torch.testing.assert_close(torch.from_numpy(np.asarray(a)), torch.from_numpy(np.asarray(b)), **kw)
        return True
    except AssertionError:
        return False


def _ours_ok(a, b, **kw):
    try:
        mt.assert_close(a, b, **kw)
        return True
    except AssertionError:
        return False


@pytest.mark.parametrize("dtype", DTYPES[:3])
@pytest.mark.parametrize("scale", [0.0, 1e-8, 1e-7, 1e-6, 3e-6, 1e-5, 1e-4, 1e-3, 1e-2])
def test_assert_close_agrees_with_torch_on_float_tolerances(dtype, scale):
    rng = np.random.default_rng(0)
    b = rng.normal(size=(4, 5)).astype(dtype)
    a = (b.astype(np.float64) + scale * rng.normal(size=b.shape)).astype(dtype)
    assert _ours_ok(a, b) == _torch_ok(a, b)


@pytest.mark.parametrize("equal_nan", [False, True])
def test_assert_close_nan_and_inf_like_torch(equal_nan):
    cases = [([np.nan], [np.nan]), ([np.inf], [np.inf]), ([np.inf], [-np.inf]), ([1.0], [np.nan]),
             ([np.inf], [1e308])]
    for a, b in cases:
        a, b = np.array(a), np.array(b)
        assert _ours_ok(a, b, equal_nan=equal_nan) == _torch_ok(a, b, equal_nan=equal_nan), (a, b)


def test_assert_close_integers_are_exact_and_explicit_tolerances_apply():
    a, b = np.array([1, 2, 3]), np.array([1, 2, 4])
    assert not _ours_ok(a, b) and not _torch_ok(a, b)
    x = np.array([1.0, 2.0])
    for kw in [dict(rtol=0.0, atol=0.5), dict(rtol=0.1, atol=0.0), dict(rtol=0.0, atol=0.0)]:
        y = x + 0.3
        assert _ours_ok(y, x, **kw) == _torch_ok(y, x, **kw), kw


def test_assert_close_shape_dtype_and_messages():
    x = np.ones(3, np.float32)
    with pytest.raises(AssertionError, match="'shape' do not match"):
        mt.assert_close(x, np.ones(2, np.float32))
    with pytest.raises(AssertionError, match="'dtype' do not match"):
        mt.assert_close(x, np.ones(3, np.float64))
    mt.assert_close(x, np.ones(3, np.float64), check_dtype=False)
    with pytest.raises(AssertionError, match=r"Mismatched elements: 1 / 3 \(33.3%\)"):
        mt.assert_close(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0]))
    with pytest.raises(AssertionError, match="my message"):
        mt.assert_close(np.array([1.0]), np.array([2.0]), msg="my message")
    with pytest.raises(ValueError, match="both 'rtol' and 'atol'"):
        mt.assert_close(x, x, atol=1.0)
    with pytest.raises(TypeError, match="assert_close: actual must be"):
        mt.assert_close("a", x)


def test_assert_close_accepts_tensors_and_numbers():
    t = mytorch.tensor([1.0, 2.0])
    mt.assert_close(t, mytorch.tensor([1.0, 2.0 + 1e-7]))
    mt.assert_close(1.0, 1.0 + 1e-9)
    with pytest.raises(AssertionError):
        mt.assert_close(t, mytorch.tensor([1.0, 2.1]))


def test_short_helpers_pass_and_fail():
    mt.test_eq([1, [2, 3]], [1, [2, 3]])
    mt.test_eq(mytorch.tensor([1.0, 2.0]), np.array([1.0, 2.0], np.float32))
    for a, b in [(np.zeros(3), np.zeros(1)), ([1, 2], [1, 2, 3]), ("a", "b"), (1, 2)]:
        with pytest.raises(AssertionError, match="expected"):
            mt.test_eq(a, b)
    mt.test_close(0.1 + 0.2, 0.3)
    for a, b in [(1.0, 1.1), (np.ones(3), np.ones(1)), (np.nan, np.nan)]:
        with pytest.raises(AssertionError):
            mt.test_close(a, b)
    mt.test_fail(lambda: 1 / 0, contains="division", exc=ZeroDivisionError)
    with pytest.raises(AssertionError, match="no error was raised"):
        mt.test_fail(lambda: None)
    with pytest.raises(AssertionError, match="'sqrt' in the message"):
        mt.test_fail(lambda: 1 / 0, contains="sqrt")
    with pytest.raises(ZeroDivisionError):
        mt.test_fail(lambda: 1 / 0, exc=TypeError)


def test_helpers_are_not_collected_by_pytest():
    assert all(f.__test__ is False for f in (mt.test_eq, mt.test_close, mt.test_fail))


def test_one_gradcheck_error_class_for_every_chapter():
    import mytorch.manualgrad
    import mytorch.scalar
    assert mytorch.manualgrad.GradcheckError is mt.GradcheckError is mytorch.autograd.GradcheckError
    assert mytorch.autograd.gradcheck.__name__ == mytorch.manualgrad.gradcheck.__name__ == "gradcheck"
    x = mytorch.tensor([1.0, 2.0], dtype=mytorch.float64, requires_grad=True)

    class Wrong(mytorch.autograd.Function, arrays=True):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * a          # should be 2 * a * g

    with pytest.raises(mt.GradcheckError):
        mytorch.autograd.gradcheck(Wrong.apply, (x,))
