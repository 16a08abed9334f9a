"""Op-catalog entries for nbs/04b_pointwise.ipynb (elementwise math, division, steps, clamp_min/max, lerp,
logsigmoid/softplus, and the in-place variants). See op_catalog.py for the format.

Every `fn(lib, *tensors)` runs unchanged on `lib=mytorch` and `lib=torch`. `logsigmoid` and `softplus` live in
`torch.nn.functional`; `F(lib)` finds them there (and in mytorch at the top level until mytorch has an `nn`)."""
import mytorch.pointwise  # noqa: F401  (registers 04b's Tensor methods)
from opspec import OpSpec  # noqa: F401


def F(lib):
    "`lib.nn.functional`; for mytorch before its nn chapter, `mytorch.pointwise`, where these functions live."
    nn = getattr(lib, "nn", None)
    return nn.functional if nn is not None else lib.pointwise


POINTWISE_OPS = [
    # ---- the table of float functions (04b "One table, many elementwise ops")
    OpSpec("pw_exp2", lambda m, a: m.exp2(a), [(3, 4)]),
    OpSpec("pw_exp2_method", lambda m, a: a.exp2(), [(5,)]),
    OpSpec("pw_expm1", lambda m, a: m.expm1(a), [(3, 4)]),
    OpSpec("pw_log2", lambda m, a: m.log2(a), [(3, 4)], domain="positive"),
    OpSpec("pw_log10", lambda m, a: a.log10(), [(3, 4)], domain="positive"),
    OpSpec("pw_log1p", lambda m, a: m.log1p(a), [(3, 4)], domain="positive"),
    OpSpec("pw_log1p_unit", lambda m, a: a.log1p(), [(6,)], domain="unit"),
    OpSpec("pw_rsqrt", lambda m, a: m.rsqrt(a), [(3, 4)], domain="positive"),
    OpSpec("pw_reciprocal", lambda m, a: m.reciprocal(a), [(3, 4)], domain="nonzero"),
    OpSpec("pw_tan", lambda m, a: m.tan(a), [(3, 4)], domain="unit"),
    OpSpec("pw_erf", lambda m, a: m.erf(a), [(3, 4)]),
    OpSpec("pw_erf_wide", lambda m, a: (a * 3.0).erf(), [(8,)]),
    OpSpec("pw_erf_0d", lambda m, a: m.erf(a), [()]),
    # ---- step functions: zero gradients
    OpSpec("pw_floor", lambda m, a: m.floor(a * 3.0), [(3, 4)]),
    OpSpec("pw_ceil", lambda m, a: (a * 3.0).ceil(), [(3, 4)]),
    OpSpec("pw_trunc", lambda m, a: m.trunc(a * 3.0), [(3, 4)]),
    OpSpec("pw_round", lambda m, a: m.round(a * 3.0), [(3, 4)]),
    OpSpec("pw_round_decimals", lambda m, a: m.round(a * 3.0, decimals=1), [(3, 4)]),
    OpSpec("pw_round_method_decimals", lambda m, a: (a * 300.0).round(decimals=-2), [(3, 4)]),
    OpSpec("pw_sign", lambda m, a: m.sign(a), [(3, 4)]),
    OpSpec("pw_step_mixed", lambda m, a: a * m.floor(a * 2.0) + m.sign(a), [(5,)]),
    # ---- arithmetic function forms
    OpSpec("pw_add_alpha", lambda m, a, b: m.add(a, b, alpha=2.5), [(3, 4), (4,)]),
    OpSpec("pw_add_scalar", lambda m, a: m.add(a, 3.0), [(3,)]),
    OpSpec("pw_add_method_alpha", lambda m, a, b: a.add(b, alpha=-1), [(3, 1), (1, 4)]),
    OpSpec("pw_sub_alpha", lambda m, a, b: m.sub(a, b, alpha=0.5), [(3, 4), (3, 4)]),
    OpSpec("pw_subtract", lambda m, a, b: m.subtract(a, b), [(2, 3), (3,)]),
    OpSpec("pw_mul", lambda m, a, b: m.mul(a, b), [(3, 4), (3, 1)]),
    OpSpec("pw_multiply_method", lambda m, a, b: a.multiply(b), [(4,), (4,)]),
    OpSpec("pw_div", lambda m, a, b: m.div(a, b), [(3, 4), (4,)], domain="nonzero"),
    OpSpec("pw_divide", lambda m, a, b: m.divide(a, b), [(3,), (3,)], domain="nonzero"),
    OpSpec("pw_true_divide", lambda m, a, b: a.true_divide(b), [(3,), (3,)], domain="nonzero"),
    OpSpec("pw_div_floor", lambda m, a, b: m.div(a * 4.0, b, rounding_mode="floor"), [(3, 4), (4,)],
           domain="nonzero"),
    OpSpec("pw_div_trunc", lambda m, a, b: a.div(b, rounding_mode="trunc") * a, [(3, 4), (3, 4)],
           domain="nonzero"),
    OpSpec("pw_div_floor_scalar", lambda m, a: m.div(a * 4.0, 0.7, rounding_mode="floor"), [(5,)]),
    OpSpec("pw_pow", lambda m, a: m.pow(a, 3), [(3, 4)]),
    OpSpec("pw_pow_tensors", lambda m, a, b: m.pow(a, b), [(3, 4), (4,)], domain="positive"),
    OpSpec("pw_pow_number_base", lambda m, a: m.pow(2.0, a), [(3, 4)]),
    OpSpec("pw_pow_method", lambda m, a: a.pow(0.5), [(3, 4)], domain="positive"),
    OpSpec("pw_square", lambda m, a: m.square(a), [(3, 4)]),
    OpSpec("pw_square_method", lambda m, a: a.square(), [(5,)]),
    OpSpec("pw_neg", lambda m, a: m.neg(a), [(3, 4)]),
    OpSpec("pw_negative_method", lambda m, a: a.negative(), [(3, 4)]),
    OpSpec("pw_abs", lambda m, a: m.abs(a), [(3, 4)], domain="nonzero"),
    OpSpec("pw_absolute", lambda m, a: m.absolute(a), [(3, 4)], domain="nonzero"),
    OpSpec("pw_abs_builtin", lambda m, a: abs(a) * 2.0, [(3, 4)], domain="nonzero"),
    OpSpec("pw_positive_plus", lambda m, a: (+a) * 2.0, [(3,)]),
    # ---- remainder and fmod: d/db = -floor(a/b), -trunc(a/b); inputs away from the jumps
    OpSpec("pw_remainder", lambda m, a, b: m.remainder(a * 5.0, b), [(3, 4), (3, 4)], domain="nonzero"),
    OpSpec("pw_remainder_scalar", lambda m, a: m.remainder(a * 5.0, 1.3), [(3, 4)]),
    OpSpec("pw_mod_operator", lambda m, a, b: (a * 5.0) % b, [(2, 3), (3,)], domain="nonzero"),
    OpSpec("pw_fmod", lambda m, a, b: m.fmod(a * 5.0, b), [(3, 4), (3, 4)], domain="nonzero"),
    OpSpec("pw_fmod_scalar_method", lambda m, a: (a * 5.0).fmod(-1.3), [(3, 4)]),
    OpSpec("pw_remainder_only_divisor", lambda m, a, b: m.remainder(a * 5.0, b), [(4,), (4,)],
           domain="nonzero", requires_grad=[False, True]),
    # ---- clamp_min / clamp_max: number bounds and differentiable tensor bounds
    OpSpec("pw_clamp_min", lambda m, a: m.clamp_min(a, 0.1), [(3, 4)]),
    OpSpec("pw_clamp_max_method", lambda m, a: a.clamp_max(-0.2), [(3, 4)]),
    OpSpec("pw_clamp_min_tensor", lambda m, a, b: m.clamp_min(a, b), [(3, 4), (4,)]),
    OpSpec("pw_clamp_max_tensor", lambda m, a, b: a.clamp_max(b), [(3, 4), (3, 1)]),
    # ---- lerp: w.r.t. all three inputs
    OpSpec("pw_lerp_scalar", lambda m, a, b: m.lerp(a, b, 0.3), [(3, 4), (3, 4)]),
    OpSpec("pw_lerp_scalar_big", lambda m, a, b: a.lerp(b, 0.8), [(3, 4), (4,)]),
    OpSpec("pw_lerp_tensor", lambda m, a, b, w: m.lerp(a, b, w), [(3, 4), (3, 4), (3, 4)]),
    OpSpec("pw_lerp_broadcast", lambda m, a, b, w: m.lerp(a, b, w), [(3, 1), (4,), (2, 1, 1)]),
    OpSpec("pw_lerp_weight_only", lambda m, a, b, w: m.lerp(a, b, w), [(4,), (4,), (4,)],
           requires_grad=[False, False, True]),
    # ---- logsigmoid and softplus (torch.nn.functional)
    OpSpec("pw_logsigmoid", lambda m, a: F(m).logsigmoid(a), [(3, 4)]),
    OpSpec("pw_logsigmoid_wide", lambda m, a: F(m).logsigmoid(a * 30.0), [(3, 4)]),
    OpSpec("pw_softplus", lambda m, a: F(m).softplus(a), [(3, 4)]),
    OpSpec("pw_softplus_wide", lambda m, a: F(m).softplus(a * 15.0), [(3, 4)]),
    OpSpec("pw_softplus_beta", lambda m, a: F(m).softplus(a * 3.0, beta=2.0, threshold=5.0), [(3, 4)]),
    # ---- in-place variants on non-leaves (recorded through apply_inplace)
    OpSpec("pw_inplace_exp2_", lambda m, a: (a * 1.0).exp2_(), [(3, 4)]),
    OpSpec("pw_inplace_sigmoid_", lambda m, a: (a * 2.0).sigmoid_(), [(3, 4)]),
    OpSpec("pw_inplace_tanh_", lambda m, a: m.tanh_(a * 1.0), [(3, 4)]),
    OpSpec("pw_inplace_log1p_", lambda m, a: (a * 1.0).log1p_(), [(3, 4)], domain="positive"),
    OpSpec("pw_inplace_pow_", lambda m, a: (a * 1.0).pow_(3), [(3, 4)]),
    OpSpec("pw_inplace_clamp_min_", lambda m, a: (a * 1.0).clamp_min_(0.0), [(3, 4)], domain="nonzero"),
    OpSpec("pw_inplace_lerp_", lambda m, a, b, w: (a * 1.0).lerp_(b, w), [(3, 4), (3, 4), (3, 4)]),
    OpSpec("pw_inplace_remainder_", lambda m, a, b: (a * 5.0).remainder_(b), [(3, 4), (3, 4)],
           domain="nonzero"),
    OpSpec("pw_inplace_floor_", lambda m, a: (a * 3.0).floor_() + a, [(3, 4)]),
    OpSpec("pw_inplace_gt_", lambda m, a: (a * 1.0).gt_(0.0) * a, [(3, 4)]),
    OpSpec("pw_inplace_chain", lambda m, a: (a * 1.0).abs_().add_(1.0).log2_().neg_(), [(3, 4)],
           domain="nonzero"),
    OpSpec("pw_inplace_mod_operator", lambda m, a, b: _imod(a * 5.0, b), [(3,), (3,)], domain="nonzero"),
    # ---- comparisons and masks: no gradient
    OpSpec("pw_eq_function", lambda m, a, b: m.eq(a, b), [(3, 4), (4,)], grad=False),
    OpSpec("pw_isclose", lambda m, a: m.isclose(a, a * (1.0 + 1e-7)), [(3, 4)], grad=False),
    OpSpec("pw_logical_and", lambda m, a, b: m.logical_and(a > 0, b), [(3, 4), (4,)], grad=False),
    OpSpec("pw_all_dim", lambda m, a: (a > -1.0).all(dim=1, keepdim=True), [(3, 4)], grad=False),
]


def _imod(x, b):
    x %= b
    return x
