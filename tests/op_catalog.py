"""The op catalog: one list of specs drives the forward checks, gradcheck (float64) and PyTorch parity.

Each spec's `fn(lib, *tensors)` is written once against the API that mytorch and torch share, so the same
lambda runs on both: `lib` is the module (`mytorch` or `torch`), the tensors come from that library.
Chapter 03 (autograd) owns AUTOGRAD_OPS below; chapter 04 (broadcasting/ops) owns tests/op_catalog_ops.py."""
from opspec import OpSpec  # noqa: F401

AUTOGRAD_OPS = [
    # ---- arithmetic: tensor (op) tensor, and a Python number on either side
    OpSpec("add", lambda m, a, b: a + b, [(3, 4), (3, 4)]),
    OpSpec("add_scalar_right", lambda m, a: a + 2.5, [(3, 4)]),
    OpSpec("add_scalar_left", lambda m, a: 2.5 + a, [(3, 4)]),
    OpSpec("add_int_scalar", lambda m, a: a + 2, [(3,)]),
    OpSpec("add_same_tensor", lambda m, a: a + a, [(3,)]),
    OpSpec("add_broadcast_row", lambda m, a, b: a + b, [(3, 4), (4,)]),
    OpSpec("sub", lambda m, a, b: a - b, [(3, 4), (3, 4)]),
    OpSpec("sub_scalar_right", lambda m, a: a - 1.5, [(3, 4)]),
    OpSpec("sub_scalar_left", lambda m, a: 1.5 - a, [(3, 4)]),
    OpSpec("sub_broadcast_col", lambda m, a, b: a - b, [(3, 4), (3, 1)]),
    OpSpec("mul", lambda m, a, b: a * b, [(3, 4), (3, 4)]),
    OpSpec("mul_scalar_right", lambda m, a: a * -3.0, [(3, 4)]),
    OpSpec("mul_scalar_left", lambda m, a: 0.5 * a, [(3, 4)]),
    OpSpec("mul_self", lambda m, a: a * a, [(5,)]),
    OpSpec("mul_0d", lambda m, a, b: a * b, [(), ()]),
    OpSpec("mul_broadcast", lambda m, a, b: a * b, [(2, 1, 3), (4, 1)]),
    OpSpec("mul_only_second_grad", lambda m, a, b: a * b, [(3,), (3,)], requires_grad=[False, True]),
    OpSpec("div", lambda m, a, b: a / b, [(3, 4), (3, 4)], domain="nonzero"),
    OpSpec("div_scalar_right", lambda m, a: a / 4.0, [(3, 4)]),
    OpSpec("div_scalar_left", lambda m, a: 2.0 / a, [(3, 4)], domain="nonzero"),
    OpSpec("div_broadcast", lambda m, a, b: a / b, [(3, 4), (4,)], domain="nonzero"),
    OpSpec("neg", lambda m, a: -a, [(3, 4)]),
    OpSpec("neg_0d", lambda m, a: -a, [()]),
    OpSpec("pow_int_exponent", lambda m, a: a ** 3, [(3, 4)]),
    OpSpec("pow_square", lambda m, a: a ** 2, [(3, 4)]),
    OpSpec("pow_float_exponent", lambda m, a: a ** 1.5, [(3, 4)], domain="positive"),
    OpSpec("pow_negative_exponent", lambda m, a: a ** -2.0, [(3, 4)], domain="nonzero"),
    OpSpec("pow_tensor_tensor", lambda m, a, b: a ** b, [(3, 4), (3, 4)], domain="positive"),
    OpSpec("pow_tensor_exponent_only", lambda m, a, b: a ** b, [(3,), (3,)], domain="positive", requires_grad=[False, True]),
    OpSpec("rpow_scalar_base", lambda m, a: 2.0 ** a, [(3, 4)]),
    # ---- matrix product: 1-D, 2-D, batched, broadcast batches
    OpSpec("matmul_2d", lambda m, a, b: a @ b, [(3, 4), (4, 5)]),
    OpSpec("matmul_vec_vec", lambda m, a, b: a @ b, [(4,), (4,)]),
    OpSpec("matmul_vec_mat", lambda m, a, b: a @ b, [(4,), (4, 3)]),
    OpSpec("matmul_mat_vec", lambda m, a, b: a @ b, [(3, 4), (4,)]),
    OpSpec("matmul_batched", lambda m, a, b: a @ b, [(2, 3, 4), (2, 4, 5)]),
    OpSpec("matmul_batch_mat", lambda m, a, b: a @ b, [(2, 3, 4), (4, 5)]),
    OpSpec("matmul_mat_batch", lambda m, a, b: a @ b, [(3, 4), (2, 4, 5)]),
    OpSpec("matmul_batch_broadcast", lambda m, a, b: a @ b, [(2, 1, 3, 4), (5, 4, 2)]),
    OpSpec("matmul_vec_batch", lambda m, a, b: a @ b, [(4,), (2, 4, 3)]),
    OpSpec("matmul_batch_vec", lambda m, a, b: a @ b, [(2, 3, 4), (4,)]),
    OpSpec("matmul_method", lambda m, a, b: a.matmul(b), [(3, 4), (4, 2)]),
    OpSpec("matmul_function", lambda m, a, b: m.matmul(a, b), [(3, 4), (4, 2)]),
    OpSpec("matmul_only_weight_grad", lambda m, x, w: x @ w, [(5, 3), (3, 2)], requires_grad=[False, True]),
    # ---- elementwise functions
    OpSpec("exp", lambda m, a: a.exp(), [(3, 4)]),
    OpSpec("exp_function", lambda m, a: m.exp(a), [(3,)]),
    OpSpec("log", lambda m, a: a.log(), [(3, 4)], domain="positive"),
    OpSpec("sin", lambda m, a: a.sin(), [(3, 4)]),
    OpSpec("cos", lambda m, a: a.cos(), [(3, 4)]),
    OpSpec("sqrt", lambda m, a: a.sqrt(), [(3, 4)], domain="positive"),
    OpSpec("abs", lambda m, a: a.abs(), [(3, 4)], domain="nonzero"),
    OpSpec("relu", lambda m, a: a.relu(), [(3, 4)], domain="nonzero"),
    OpSpec("relu_function", lambda m, a: m.relu(a), [(3, 4)], domain="nonzero"),
    OpSpec("sigmoid", lambda m, a: a.sigmoid(), [(3, 4)]),
    OpSpec("sigmoid_large", lambda m, a: (a * 40.0).sigmoid(), [(3, 4)]),
    OpSpec("tanh", lambda m, a: a.tanh(), [(3, 4)]),
    OpSpec("exp_0d", lambda m, a: a.exp(), [()]),
    # ---- reductions
    OpSpec("sum_all", lambda m, a: a.sum(), [(3, 4)]),
    OpSpec("sum_dim0", lambda m, a: a.sum(dim=0), [(3, 4)]),
    OpSpec("sum_dim_neg", lambda m, a: a.sum(dim=-1), [(2, 3, 4)]),
    OpSpec("sum_dim_tuple", lambda m, a: a.sum(dim=(0, 2)), [(2, 3, 4)]),
    OpSpec("sum_keepdim", lambda m, a: a.sum(dim=1, keepdim=True), [(2, 3, 4)]),
    OpSpec("sum_tuple_keepdim", lambda m, a: a.sum(dim=(0, -1), keepdim=True), [(2, 3, 4)]),
    OpSpec("sum_0d", lambda m, a: a.sum(), [()]),
    OpSpec("sum_positional_dim", lambda m, a: a.sum(1), [(3, 4)]),
    OpSpec("mean_all", lambda m, a: a.mean(), [(3, 4)]),
    OpSpec("mean_dim0", lambda m, a: a.mean(dim=0), [(3, 4)]),
    OpSpec("mean_dim_neg_keepdim", lambda m, a: a.mean(dim=-1, keepdim=True), [(2, 3, 4)]),
    OpSpec("mean_dim_tuple", lambda m, a: a.mean(dim=(1, 2)), [(2, 3, 4)]),
    # ---- copies and casts
    OpSpec("clone", lambda m, a: a.clone(), [(3, 4)]),
    OpSpec("clone_then_mul", lambda m, a: a.clone() * a, [(3,)]),
    OpSpec("double", lambda m, a: a.double() * 2.0, [(3,)]),
    OpSpec("to_float64", lambda m, a: a.to(m.float64), [(3,)]),
    # ---- composites
    OpSpec("linear_relu_mse", lambda m, x, w, b: ((x @ w + b).relu() ** 2).mean(), [(4, 3), (3, 2), (2,)]),
    OpSpec("logistic_loss", lambda m, x, w: (1.0 + (-(x @ w)).exp()).log().sum(), [(5, 3), (3,)]),
    OpSpec("diamond", lambda m, a: (a * 2.0).sin() * (a * 2.0).cos() + a.tanh() / (a * a + 1.0), [(4,)]),
    # ---- comparisons: boolean results, no gradient
    OpSpec("lt", lambda m, a, b: a < b, [(3, 4), (3, 4)], grad=False),
    OpSpec("le", lambda m, a, b: a <= b, [(3, 4), (3, 4)], grad=False),
    OpSpec("gt", lambda m, a, b: a > b, [(3, 4), (3, 4)], grad=False),
    OpSpec("ge", lambda m, a, b: a >= b, [(3, 4), (3, 4)], grad=False),
    OpSpec("eq", lambda m, a, b: a == b, [(3, 4), (3, 4)], grad=False),
    OpSpec("ne", lambda m, a, b: a != b, [(3, 4), (3, 4)], grad=False),
    OpSpec("gt_scalar", lambda m, a: a > 0.0, [(3, 4)], grad=False),
    OpSpec("eq_self", lambda m, a: a == a, [(3,)], grad=False),
    OpSpec("lt_broadcast", lambda m, a, b: a < b, [(3, 4), (4,)], grad=False),
]

from op_catalog_ops import BROADCAST_OPS  # noqa: E402  (chapter 04's entries)
from op_catalog_pointwise import POINTWISE_OPS  # noqa: E402  (04b)
from op_catalog_indexing import INDEXING_OPS  # noqa: E402  (04c)
from op_catalog_creation import CREATION_OPS  # noqa: E402  (04d)

OPS = AUTOGRAD_OPS + BROADCAST_OPS + POINTWISE_OPS + INDEXING_OPS + CREATION_OPS
