"""Op-catalog entries for chapter 04 (broadcasting VJPs and the complete op set). See op_catalog.py for the format.

Every `fn(lib, *tensors)` runs unchanged on `lib=mytorch` and `lib=torch`. Index tensors and masks are made inside
the function with `lib.tensor(...)`, so they are not perturbed by gradcheck and have the right dtype in both."""
import mytorch.ops  # noqa: F401  (registers chapter 04's Tensor methods even before mytorch/__init__ imports it)
from opspec import OpSpec  # noqa: F401


def _setitem_rows(lib, x, v):
    h = x * 1.0                    # a non-leaf: assignment is recorded in the graph
    h[0:2] = v                     # v (4,) is broadcast over two rows
    return h


def _setitem_index(lib, x):
    h = x * 2.0
    h[lib.tensor([0, 2]), 1] = 0.0
    return h


def _mask(lib, rows=3):
    return lib.tensor([[True, False, True, False]] * rows)


BROADCAST_OPS = [
    # ---- broadcasting through the binary ops (the engine's unbroadcast)
    OpSpec("bcast_add_bias", lambda m, x, b: x + b, [(4, 3), (3,)]),
    OpSpec("bcast_mul_413_51", lambda m, a, b: a * b, [(4, 1, 3), (5, 1)]),
    OpSpec("bcast_scalar_mul", lambda m, s, x: s * x, [(), (3, 4)]),
    OpSpec("bcast_sub_lead", lambda m, a, b: a - b, [(2, 1, 3), (4, 1)]),
    OpSpec("bcast_div", lambda m, a, b: a / b, [(2, 1, 3), (4, 1)], domain="nonzero"),
    OpSpec("bcast_pow", lambda m, a, b: a ** b, [(3, 1), (1, 4)], domain="positive"),
    OpSpec("expand", lambda m, x: x.expand(2, -1, 4), [(3, 1)]),
    OpSpec("broadcast_to", lambda m, x: m.broadcast_to(x, (2, 3, 4)), [(3, 1)]),
    # ---- reductions
    OpSpec("sum_dim1_keep", lambda m, x: x.sum(dim=1, keepdim=True), [(3, 4)]),
    OpSpec("sum_dims_neg", lambda m, x: x.sum(dim=(-1, 0)), [(2, 3, 4)]),
    OpSpec("mean_tuple_keep", lambda m, x: x.mean(dim=(0, 2), keepdim=True), [(2, 3, 4)]),
    OpSpec("max_all", lambda m, x: x.max(), [(3, 4)]),
    OpSpec("min_all", lambda m, x: x.min(), [(3, 4)]),
    OpSpec("max_dim_values", lambda m, x: x.max(dim=1).values, [(3, 4)]),
    OpSpec("min_dim_keep_values", lambda m, x: x.min(dim=-1, keepdim=True).values, [(2, 3, 4)]),
    OpSpec("max_dim_indices", lambda m, x: x.max(dim=0).indices, [(3, 4)], grad=False),
    OpSpec("max_binary", lambda m, x, y: x.max(y), [(3, 1), (4,)]),
    OpSpec("amax_all", lambda m, x: x.amax(), [(3, 4)]),
    OpSpec("amax_tuple_keep", lambda m, x: x.amax(dim=(0, 2), keepdim=True), [(2, 3, 4)]),
    OpSpec("amin_dim_neg", lambda m, x: x.amin(dim=-2), [(2, 3, 4)]),
    OpSpec("var_all", lambda m, x: x.var(), [(3, 4)]),
    OpSpec("var_dim_corr0", lambda m, x: x.var(dim=1, correction=0), [(3, 4)]),
    OpSpec("var_unbiased_pos", lambda m, x: x.var(1, False, True), [(3, 4)]),
    OpSpec("var_tuple_corr2", lambda m, x: x.var(dim=(0, 2), correction=2), [(2, 3, 4)]),
    OpSpec("std_all", lambda m, x: x.std(), [(3, 4)]),
    OpSpec("std_dim_keep", lambda m, x: x.std(dim=-1, keepdim=True), [(2, 3, 4)]),
    OpSpec("std_unbiased_false", lambda m, x: x.std(dim=0, unbiased=False), [(3, 4)]),
    OpSpec("logsumexp_dim1", lambda m, x: x.logsumexp(dim=1), [(3, 4)]),
    OpSpec("logsumexp_tuple_keep", lambda m, x: m.logsumexp(x, dim=(0, -1), keepdim=True), [(2, 3, 4)]),
    OpSpec("norm_fro", lambda m, x: x.norm(), [(3, 4)]),
    OpSpec("norm_p1_dim", lambda m, x: x.norm(p=1, dim=1), [(3, 4)]),
    OpSpec("norm_p3_keep", lambda m, x: x.norm(p=3, dim=0, keepdim=True), [(3, 4)]),
    OpSpec("norm_inf_dim", lambda m, x: x.norm(p=float("inf"), dim=-1), [(3, 4)]),
    OpSpec("prod_all", lambda m, x: x.prod(), [(2, 3)], domain="nonzero"),
    OpSpec("prod_dim_keep", lambda m, x: x.prod(dim=1, keepdim=True), [(3, 4)]),
    OpSpec("argmax_dim", lambda m, x: x.argmax(dim=1), [(3, 4)], grad=False),
    OpSpec("argmin_all", lambda m, x: x.argmin(), [(3, 4)], grad=False),
    OpSpec("argmax_keep", lambda m, x: m.argmax(x, dim=0, keepdim=True), [(3, 4)], grad=False),
    # ---- shape operations
    OpSpec("reshape_infer", lambda m, x: x.reshape(4, -1), [(2, 3, 4)]),
    OpSpec("reshape_fn", lambda m, x: m.reshape(x, (6, 4)), [(2, 3, 4)]),
    OpSpec("view", lambda m, x: x.view(-1, 2), [(3, 4)]),
    OpSpec("flatten_start1", lambda m, x: x.flatten(1), [(2, 3, 4)]),
    OpSpec("flatten_mid", lambda m, x: m.flatten(x, 0, 1), [(2, 3, 4)]),
    OpSpec("squeeze_all", lambda m, x: x.squeeze(), [(3, 1, 4, 1)]),
    OpSpec("squeeze_dim", lambda m, x: x.squeeze(-1), [(3, 1, 4, 1)]),
    OpSpec("unsqueeze_neg", lambda m, x: x.unsqueeze(-2), [(3, 4)]),
    OpSpec("transpose", lambda m, x: x.transpose(0, -1), [(2, 3, 4)]),
    OpSpec("permute", lambda m, x: x.permute(2, 0, 1), [(2, 3, 4)]),
    OpSpec("T_matrix", lambda m, x: x.T, [(3, 4)]),
    OpSpec("mT_batch", lambda m, x: x.mT, [(2, 3, 4)]),
    OpSpec("repeat", lambda m, x: x.repeat(2, 1, 3), [(2, 3)]),
    # ---- indexing
    OpSpec("getitem_int", lambda m, x: x[1], [(3, 4)]),
    OpSpec("getitem_slices_step", lambda m, x: x[1:3, ::2], [(4, 5)]),
    OpSpec("getitem_none_ellipsis", lambda m, x: x[None, ..., 1], [(2, 3, 4)]),
    OpSpec("getitem_int_repeats", lambda m, x: x[m.tensor([0, 0, 2, 0])], [(3, 4)]),
    OpSpec("getitem_slice_array", lambda m, x: x[:, m.tensor([1, 1, 3])], [(3, 4)]),
    OpSpec("getitem_two_arrays", lambda m, x: x[m.tensor([0, 2, 2]), m.tensor([1, 1, 3])], [(3, 4)]),
    OpSpec("getitem_mask", lambda m, x: x[_mask(m)], [(3, 4)]),
    OpSpec("gather_dim1", lambda m, x: x.gather(1, m.tensor([[0, 0], [3, 1], [2, 2]])), [(3, 4)]),
    OpSpec("gather_dim0", lambda m, x: m.gather(x, 0, m.tensor([[2, 0, 1, 1]])), [(3, 4)]),
    OpSpec("setitem_rows", _setitem_rows, [(3, 4), (4,)]),
    OpSpec("setitem_index", _setitem_index, [(3, 4)]),
    OpSpec("masked_fill", lambda m, x: x.masked_fill(_mask(m), -1.5), [(3, 4)]),
    OpSpec("masked_fill_bcast", lambda m, x: x.masked_fill(m.tensor([True, False, False, True]), 0.0), [(2, 3, 4)]),
    # ---- combining
    OpSpec("cat_dim1", lambda m, a, b: m.cat([a, b, a], dim=1), [(2, 3), (2, 1)]),
    OpSpec("cat_dim0", lambda m, a, b: m.cat((a, b), dim=0), [(2, 3), (4, 3)]),
    OpSpec("stack_neg", lambda m, a, b: m.stack([a, b, a], dim=-1), [(2, 3), (2, 3)]),
    OpSpec("split_size", lambda m, x: x.split(3)[2] * 2 + x.split(3)[0][:1], [(7, 2)]),
    OpSpec("split_sections", lambda m, x: x.split([1, 3], dim=1)[1], [(2, 4)]),
    OpSpec("chunk", lambda m, x: m.stack([c.sum(0) for c in x.chunk(3)]), [(7, 2)]),
    OpSpec("narrow", lambda m, x: x.narrow(1, 1, 2), [(3, 4)]),
    # ---- choosing elementwise
    OpSpec("where_bcast", lambda m, x, y: m.where(m.tensor([True, False, True, True]), x, y), [(3, 1), (4,)]),
    OpSpec("where_scalar", lambda m, x: m.where(m.tensor([[True, False, True]]), x, 0.5), [(2, 3)]),
    OpSpec("clamp_both", lambda m, x: x.clamp(-0.5, 0.5), [(3, 4)]),
    OpSpec("clamp_min", lambda m, x: x.clamp(min=0.1), [(3, 4)]),
    OpSpec("clip_max", lambda m, x: m.clip(x, max=0.2), [(3, 4)]),
    OpSpec("maximum_bcast", lambda m, x, y: m.maximum(x, y), [(3, 1), (4,)]),
    OpSpec("minimum", lambda m, x, y: m.minimum(x, y), [(2, 3), (2, 3)]),
    OpSpec("softmax_dim1", lambda m, x: x.softmax(dim=1), [(3, 4)]),
    OpSpec("softmax_dim0_fn", lambda m, x: m.softmax(x, 0), [(3, 4)]),
    OpSpec("log_softmax_neg", lambda m, x: x.log_softmax(dim=-1), [(2, 3, 4)]),
    OpSpec("log_softmax_fn", lambda m, x: m.log_softmax(x, 1), [(2, 3, 4)]),
]
