"""Op-catalog entries for nbs/04d_creation.ipynb. See op_catalog.py for the format.

The differentiable (and deterministic) ops of chapter 04d: `t()` and `contiguous()`, conversions, and the
top-level function forms (`mytorch.sum(x, 1)`, `mytorch.max(x, 1)`, `mytorch.std_mean(x)`, ...). Conversions to
integer dtypes and the `new_*` methods are grad=False entries: their results must not require grad. The random
samplers cannot be compared value by value with PyTorch (another generator); tests/test_creation.py covers them."""
from opspec import OpSpec  # noqa: F401

CREATION_OPS = [
    # ---- t() and contiguous()
    OpSpec("t_2d", lambda m, a: a.t(), [(3, 4)]),
    OpSpec("t_1d", lambda m, a: a.t(), [(4,)]),
    OpSpec("t_0d", lambda m, a: a.t(), [()]),
    OpSpec("t_function", lambda m, a: m.t(a), [(2, 5)]),
    OpSpec("t_then_matmul", lambda m, a, b: a.t() @ b, [(4, 3), (4, 2)]),
    OpSpec("t_twice", lambda m, a: a.t().t() * a, [(3, 2)]),
    OpSpec("contiguous_of_t", lambda m, a: a.t().contiguous(), [(3, 4)]),
    OpSpec("contiguous_noop", lambda m, a: a.contiguous() * 2.0, [(3, 4)]),
    # ---- conversions
    OpSpec("type_float64", lambda m, a: a.type(m.float64) * a, [(3, 4)]),
    OpSpec("type_as", lambda m, a, b: a.type_as(b) * b, [(3, 4), (3, 4)]),
    OpSpec("long", lambda m, a: (a * 3.0).long(), [(3, 4)], grad=False),
    OpSpec("int", lambda m, a: (a * 3.0).int(), [(3, 4)], grad=False),
    OpSpec("short", lambda m, a: (a * 3.0).short(), [(3, 4)], grad=False),
    OpSpec("char", lambda m, a: (a * 3.0).char(), [(3, 4)], grad=False),
    OpSpec("byte", lambda m, a: (a.abs() * 3.0).byte(), [(3, 4)], grad=False),
    OpSpec("bool", lambda m, a: (a > 0.0).float().bool(), [(3, 4)], grad=False),
    OpSpec("type_as_int", lambda m, a, b: a.type_as((b * 3.0).long()), [(3,), (3,)], grad=False),
    OpSpec("new_zeros", lambda m, a: a.new_zeros(2, 3), [(3,)], grad=False),
    OpSpec("new_ones_tuple", lambda m, a: a.new_ones((2, 2)), [(3,)], grad=False),
    OpSpec("new_full", lambda m, a: a.new_full((2,), 1.5), [(3,)], grad=False),
    OpSpec("new_tensor", lambda m, a: a.new_tensor([1, 2, 3]), [(3,)], grad=False),
    OpSpec("detach_function", lambda m, a: m.detach(a), [(3, 4)], grad=False),
    # ---- function forms of the methods
    OpSpec("sum_function", lambda m, a: m.sum(a), [(3, 4)]),
    OpSpec("sum_function_dim", lambda m, a: m.sum(a, 1), [(3, 4)]),
    OpSpec("sum_function_keepdim", lambda m, a: m.sum(a, dim=(0, 2), keepdim=True), [(2, 3, 4)]),
    OpSpec("sum_function_dtype", lambda m, a: m.sum(a, dtype=m.float64), [(3, 4)]),
    OpSpec("max_function", lambda m, a: m.max(a), [(3, 4)]),
    OpSpec("max_function_dim", lambda m, a: m.max(a, 1), [(3, 4)]),
    OpSpec("max_function_keepdim", lambda m, a: m.max(a, -1, keepdim=True)[0], [(2, 3, 4)]),
    OpSpec("max_function_tensor", lambda m, a, b: m.max(a, b), [(3, 4), (4,)]),
    OpSpec("min_function", lambda m, a: m.min(a), [(3, 4)]),
    OpSpec("min_function_dim", lambda m, a: m.min(a, 0).values, [(3, 4)]),
    OpSpec("min_function_tensor", lambda m, a, b: m.min(a, b), [(3, 4), (3, 4)]),
    OpSpec("std_mean_all", lambda m, a: m.std_mean(a), [(3, 4)]),
    OpSpec("std_mean_dim", lambda m, a: m.std_mean(a, 1), [(3, 4)]),
    OpSpec("std_mean_mean", lambda m, a: m.std_mean(a, dim=0, keepdim=True)[1], [(3, 4)]),
    OpSpec("std_mean_correction", lambda m, a: m.std_mean(a, dim=(0, 1), correction=0), [(2, 3, 4)]),
    OpSpec("var_mean_dim", lambda m, a: m.var_mean(a, 1, True, True), [(3, 4)]),
    OpSpec("var_mean_unbiased_positional", lambda m, a: m.var_mean(a, False), [(3, 4)]),
    OpSpec("var_mean_mean", lambda m, a: m.var_mean(a, -1)[1], [(2, 3, 4)]),
    OpSpec("t_of_slice", lambda m, a: m.t(a[1:, ::2]) * 2.0, [(3, 4)]),
]
