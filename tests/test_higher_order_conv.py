"""Forward mode and double backward of the fused nodes of chapters 09 (convolution, pooling) and 10b (LSTM).

Each entry below is an F-level call (or a module's forward with given weights, or the fused node itself) that reaches
one of the classes `_Convolution`, `_ConvolutionPerImage`, `_ConvolutionTranspose`, `_Im2Col`, `_Col2Im`,
`_MaxPool2d`, `_TileMaxPool2d`, `_AvgPool2d`, `_AdaptiveAvgPool2d`, `_MaxUnpool2d`, `_LSTMCell`, `_LSTMLayer`. Each is
checked the four ways tests/test_higher_order_ops.py checks the op catalog, with its very functions, in float64 on tiny
shapes: the JVP against PyTorch's forward-mode tangent; <w, J u> == <J^T w, u>; the double backward against PyTorch's;
the double backward against central differences of the first-order gradient (gradgradcheck)."""
import numpy as np
import pytest
import torch

import mytorch
import mytorch.nn.functional as MF
import mytorch.nn.functional.conv as MC
import mytorch.nn.functional.pooling as MP
import mytorch.nn.gated as MG
import test_higher_order_ops as H          # its test functions, reused on the specs below
from opspec import OpSpec

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")   # torch's note on 'same'


def F(m):
    "The functional namespace of library `m` (mytorch or torch)."
    return m.nn.functional


# ------------------------------------------------------------------------------------------ convolution (09)
def _node(cls, m, torch_fn, *args, **conf):
    "The node itself for mytorch; `torch_fn` for torch."
    return cls.apply(*args, **conf) if m is mytorch else torch_fn(*args)


CONV = [
    OpSpec("conv2d_stride_pad_groups_bias",
           lambda m, x, w, b: F(m).conv2d(x, w, b, stride=2, padding=1, groups=2),
           [(2, 4, 5, 5), (6, 2, 3, 3), (6,)]),
    OpSpec("conv2d_dilation_asym_stride",
           lambda m, x, w, b: F(m).conv2d(x, w, b, stride=(1, 2), padding=(2, 1), dilation=2),
           [(1, 3, 6, 7), (4, 3, 2, 3), (4,)]),
    OpSpec("conv2d_per_image_path",              # Ho*Wo >= 2*C*kh*kw: _ConvolutionPerImage
           lambda m, x, w, b: F(m).conv2d(x, w, b, padding=1), [(2, 1, 6, 6), (3, 1, 2, 2), (3,)]),
    OpSpec("conv2d_weight_only", lambda m, x, w: F(m).conv2d(x, w, stride=2),
           [(2, 3, 5, 5), (4, 3, 3, 3)], requires_grad=[False, True]),
    OpSpec("conv2d_input_only", lambda m, x, w: F(m).conv2d(x, w, padding="same"),
           [(1, 2, 5, 4), (3, 2, 3, 2)], requires_grad=[True, False]),
    OpSpec("conv2d_bias_only", lambda m, x, w, b: F(m).conv2d(x, w, b),
           [(1, 2, 4, 4), (3, 2, 3, 3), (3,)], requires_grad=[False, False, True]),
    OpSpec("conv1d_stride_pad_dilation_bias",
           lambda m, x, w, b: F(m).conv1d(x, w, b, stride=2, padding=1, dilation=2),
           [(2, 3, 9), (4, 3, 3), (4,)]),
    OpSpec("conv1d_groups_per_image",
           lambda m, x, w, b: F(m).conv1d(x, w, b, padding=1, groups=3), [(2, 3, 12), (3, 1, 2), (3,)]),
    OpSpec("convolution_node_1d",                # the node on its own, no view around it
           lambda m, x, w, b: _node(MC._Convolution, m,
                                    lambda x, w, b: torch.nn.functional.conv1d(x, w, b, stride=2, padding=1),
                                    x, w, b, stride=(1, 2), pads=((0, 0), (1, 1)), dilation=(1, 1), groups=1),
           [(2, 2, 7), (3, 2, 3), (3,)]),
    OpSpec("conv_transpose2d_stride_outpad_groups_bias",
           lambda m, x, w, b: F(m).conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2),
           [(2, 4, 3, 3), (4, 3, 3, 3), (6,)]),
    OpSpec("conv_transpose2d_dilation",
           lambda m, x, w: F(m).conv_transpose2d(x, w, stride=(1, 2), dilation=(2, 1)),
           [(1, 2, 3, 4), (2, 3, 2, 2)]),
    OpSpec("unfold", lambda m, x: F(m).unfold(x, (2, 3), dilation=(2, 1), padding=(1, 0), stride=2),
           [(2, 3, 5, 5)]),
    OpSpec("fold", lambda m, c: F(m).fold(c, (5, 6), 2, stride=2, padding=(1, 0)), [(2, 12, 9)]),
    # unbatched inputs: the node between an unsqueeze and a squeeze (views, whose rules are 04f's)
    OpSpec("conv2d_unbatched", lambda m, x, w, b: F(m).conv2d(x, w, b, padding=1), [(2, 4, 5), (3, 2, 3, 3), (3,)]),
    OpSpec("unfold_unbatched", lambda m, x: F(m).unfold(x, 2), [(2, 4, 3)]),
    OpSpec("fold_unbatched", lambda m, c: F(m).fold(c, (3, 4), 2), [(8, 6)]),
]

# ---------------------------------------------------------------------------------------------- pooling (09a)
_rng = np.random.default_rng(1)
_UNPOOL_INDEX = ((2 * np.arange(2)[:, None] + _rng.integers(0, 2, (1, 2, 2, 2))) * 4
                 + 2 * np.arange(2) + _rng.integers(0, 2, (1, 2, 2, 2)))   # one index in each 2x2 window


POOL = [
    OpSpec("max_pool2d_overlapping", lambda m, x: F(m).max_pool2d(x, 3, stride=2, padding=1),
           [(2, 3, 7, 7)]),
    OpSpec("max_pool2d_return_indices",
           lambda m, x: F(m).max_pool2d(x, 2, stride=1, dilation=2, ceil_mode=True, return_indices=True),
           [(2, 2, 6, 5)]),
    OpSpec("max_pool2d_ceil_mode", lambda m, x: F(m).max_pool2d(x, 3, stride=2, ceil_mode=True),
           [(1, 2, 6, 6)]),
    OpSpec("max_pool2d_tiles", lambda m, x: F(m).max_pool2d(x, 2), [(2, 3, 6, 6)]),     # _TileMaxPool2d
    OpSpec("max_pool2d_tiles_gaps", lambda m, x: F(m).max_pool2d(x, 2, stride=3), [(1, 2, 7, 8)]),
    OpSpec("adaptive_max_pool2d", lambda m, x: F(m).adaptive_max_pool2d(x, (3, 2)), [(2, 2, 7, 5)]),
    OpSpec("avg_pool2d_pad", lambda m, x: F(m).avg_pool2d(x, 3, stride=2, padding=1), [(2, 3, 7, 6)]),
    OpSpec("avg_pool2d_ceil_no_pad_count",
           lambda m, x: F(m).avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
           [(1, 2, 6, 6)]),
    OpSpec("avg_pool2d_divisor_override", lambda m, x: F(m).avg_pool2d(x, 2, divisor_override=3),
           [(2, 2, 4, 6)]),
    OpSpec("adaptive_avg_pool2d", lambda m, x: F(m).adaptive_avg_pool2d(x, (3, 4)), [(2, 3, 7, 9)]),
    OpSpec("max_unpool2d", lambda m, y: F(m).max_unpool2d(y, m.tensor(_UNPOOL_INDEX), 2), [(1, 2, 2, 2)]),
    OpSpec("pools_1d", lambda m, x: F(m).max_pool1d(x, 3, stride=2, padding=1) + F(m).avg_pool1d(x, 2, stride=2)[..., :2]
           + F(m).adaptive_avg_pool1d(x, 2), [(2, 3, 4)]),
    OpSpec("max_pool1d_return_indices", lambda m, x: F(m).max_pool1d(x, 2, return_indices=True), [(2, 3, 6)]),
    OpSpec("max_pool2d_unbatched", lambda m, x: F(m).max_pool2d(x, 2) + F(m).avg_pool2d(x, 2), [(2, 4, 6)]),
    OpSpec("adaptive_avg_pool2d_global", lambda m, x: F(m).adaptive_avg_pool2d(x, 1), [(2, 3, 4, 5)]),
    OpSpec("max_pool2d_then_unpool2d",
           lambda m, x: F(m).max_unpool2d(*F(m).max_pool2d(x, 2, return_indices=True), 2, output_size=(5, 5)),
           [(2, 2, 5, 5)]),
]


# ------------------------------------------------------------------------------------------------ LSTM (10b)
def _torch_cell(x, h, c, w_ih, w_hh, b_ih, b_hh):
    "One LSTM step in plain torch ops (gates i, f, g, o): (h', c')."
    i, f, g, o = (x @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4, 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def _torch_layer(x, h, c, w_ih, w_hh, b_ih, b_hh):
    "The layer in torch ops, as _LSTMLayer returns it: h_1 ... h_T, then c_T, stacked."
    hs = []
    for t in range(x.shape[0]):
        h, c = _torch_cell(x[t], h, c, w_ih, w_hh, b_ih, b_hh)
        hs.append(h)
    return torch.stack(hs + [c])


def _lstm_cell_node(m, x, h, c, w_ih, w_hh, b_ih=None, b_hh=None):
    if m is mytorch: return MG._LSTMCell.apply(x, h, c, w_ih, w_hh, b_ih, b_hh)
    zero = torch.zeros(w_ih.shape[0], dtype=torch.float64)
    return torch.stack(_torch_cell(x, h, c, w_ih, w_hh, zero if b_ih is None else b_ih,
                                   zero if b_hh is None else b_hh))


def _lstm_layer_node(m, x, h, c, w_ih, w_hh, b_ih=None, b_hh=None):
    if m is mytorch: return MG._LSTMLayer.apply(x, h, c, w_ih, w_hh, b_ih, b_hh)
    zero = torch.zeros(w_ih.shape[0], dtype=torch.float64)
    return _torch_layer(x, h, c, w_ih, w_hh, zero if b_ih is None else b_ih, zero if b_hh is None else b_hh)


def _with_weights(m, kind, weights, *args, **kw):
    "nn.<kind> of library m run with the given tensors as its parameters (a functional call)."
    names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    if kind == "LSTM": names = [n + "_l0" for n in names]
    I, H4 = weights[0].shape[1], weights[0].shape[0]
    if m is torch:
        module = torch.nn.__dict__[kind](I, H4 // 4, dtype=torch.float64, **kw)
        return torch.func.functional_call(module, dict(zip(names, weights)), args)
    module = mytorch.nn.__dict__[kind](I, H4 // 4, dtype=mytorch.float64, **kw)
    module._parameters.update(zip(names, weights))
    return module(*args)


def _lstm_module(m, x, h, c, *weights):
    out, (hn, cn) = _with_weights(m, "LSTM", weights, x, (h, c))
    return out, hn, cn


N, I, HID, T = 2, 3, 4, 3
_CELL_SHAPES = [(N, I), (N, HID), (N, HID), (4 * HID, I), (4 * HID, HID), (4 * HID,), (4 * HID,)]
_LAYER_SHAPES = [(T, N, I)] + _CELL_SHAPES[1:]

LSTM = [
    OpSpec("lstm_cell_node", _lstm_cell_node, _CELL_SHAPES),
    OpSpec("lstm_cell_node_no_bias", _lstm_cell_node, _CELL_SHAPES[:5]),
    OpSpec("lstm_cell_node_state_only", _lstm_cell_node, _CELL_SHAPES,
           requires_grad=[False, False, True, False, False, False, False]),
    OpSpec("lstm_cell_node_weights_only", _lstm_cell_node, _CELL_SHAPES,
           requires_grad=[False, False, False, True, True, False, True]),
    OpSpec("lstm_layer_node", _lstm_layer_node, _LAYER_SHAPES),
    OpSpec("lstm_layer_node_no_bias", _lstm_layer_node, _LAYER_SHAPES[:5]),
    OpSpec("lstm_layer_node_input_only", _lstm_layer_node, _LAYER_SHAPES,
           requires_grad=[True, False, False, False, False, False, False]),
    OpSpec("nn_LSTMCell", lambda m, x, h, c, *w: _with_weights(m, "LSTMCell", w, x, (h, c)), _CELL_SHAPES),
    OpSpec("nn_LSTM", _lstm_module, [(T, N, I), (1, N, HID), (1, N, HID)] + _CELL_SHAPES[3:]),
]

SPECS = CONV + POOL + LSTM
IDS = [s.name for s in SPECS]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_jvp_matches_torch(spec):
    H.test_jvp_matches_torch(spec)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_jvp_agrees_with_vjp(spec):
    H.test_jvp_agrees_with_vjp(spec)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_double_backward_matches_torch(spec):
    H.test_double_backward_matches_torch(spec)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_gradgradcheck(spec):
    H.test_gradgradcheck(spec)


def test_every_node_is_reached():
    "The specs above reach every class this file is about (so none is left untested by accident)."
    seen = set()
    for spec in SPECS:
        arrays, flags = H.arrays_for(spec), H.grad_flags(spec)
        mt, _ = H.make_inputs(arrays, flags, "float64")
        stack = [o.grad_fn for o in H.outputs(spec.fn(mytorch, *mt)) if isinstance(o, mytorch.Tensor)]
        while stack:
            node = stack.pop()
            if node is None or isinstance(node, mytorch.Tensor): continue
            seen.add(type(node))
            stack.extend(node.next_functions)
    wanted = {MC._Convolution, MC._ConvolutionPerImage, MC._ConvolutionTranspose, MC._Im2Col, MC._Col2Im,
              MP._MaxPool2d, MP._TileMaxPool2d, MP._AvgPool2d, MP._AdaptiveAvgPool2d, MP._MaxUnpool2d,
              MG._LSTMCell, MG._LSTMLayer}
    assert wanted <= seen, f"not reached: {sorted(c.__name__ for c in wanted - seen)}"
    assert all(getattr(c, "jvp", None) is not None for c in wanted)
