r"""The interaction block's convolution (gather, ``uvu`` tensor product, scatter-sum) as one NVIDIA
cuEquivariance segmented polynomial, with the coefficients of the e3nn tensor product it replaces.

.. math::
    s_i = \sum_{e:\ \mathrm{dst}(e) = i} \mathrm{TP}\big(x_{\mathrm{src}(e)}, Y_e;\ w_e\big)

The descriptor is built from the e3nn ``TensorProduct``'s own instructions (same path order, so the same
per-edge weight layout; same output segments, e3nn's sorted ``irreps_out``) with coefficients
``path_weight * wigner_3j(l1, l2, l3)`` in float64, the numbers e3nn's generated code multiplies by: the two
paths compute the same sums, and differ only in the order of floating-point additions. cuEquivariance's own
``ChannelWiseTensorProduct`` normalises paths and orders irreps differently, so it is not used directly.

On CUDA with ``cuequivariance-ops-torch-cu12`` installed the polynomial runs as one fused kernel
(``method="uniform_1d"``, gather and scatter included); elsewhere cuEquivariance's pure-torch ``naive`` method
computes the same thing (used by the CPU tests). Imports cuequivariance: only :mod:`molgdl_e3nn.kernels` imports
this module, and only when the fast path is chosen.

Shapes:
    - **input:** x :math:`(N, \dim \text{irreps\_in1})` (e3nn ``mul_ir`` layout), edge_sh :math:`(E, \dim
      \text{irreps\_in2})`, weight :math:`(E, \text{weight\_numel})`, edge_src / edge_dst :math:`(E)` int64
    - **output:** :math:`(N, \dim \text{irreps\_out})`, e3nn layout
"""

from __future__ import annotations

import numpy as np
import torch
from e3nn import o3
from torch import Tensor, nn

import cuequivariance as cue
import cuequivariance_torch as cuet


def _cue_irreps(irreps: o3.Irreps) -> cue.Irreps:
    """The same list of ``mul x (l, p)`` blocks, in the same order, as cuEquivariance O(3) irreps (used only for
    layout transposes, which need multiplicities and dimensions)."""
    return cue.Irreps(cue.O3, [(mul, cue.O3(ir.l, ir.p)) for mul, ir in irreps])


def uvu_polynomial(tp: o3.TensorProduct) -> cue.SegmentedPolynomial:
    """The segmented polynomial ``weights[uv], x[iu], y[jv] -> out[kuv]`` (``ir_mul`` layout) of an e3nn ``uvu``
    tensor product with per-edge weights; ``irreps_in2`` must have multiplicity 1 (spherical harmonics)."""
    if any(ins.connection_mode != "uvu" or not ins.has_weight for ins in tp.instructions):
        raise ValueError("uvu_polynomial: every instruction must be a weighted 'uvu' path")
    if any(mul != 1 for mul, _ in tp.irreps_in2):
        raise ValueError("uvu_polynomial: the second operand must have multiplicity 1 per irrep")
    d = cue.SegmentedTensorProduct.from_subscripts("uv,iu,jv,kuv+ijk")
    for mul, ir in tp.irreps_in1:
        d.add_segment(1, (ir.dim, mul))
    for mul, ir in tp.irreps_in2:
        d.add_segment(2, (ir.dim, mul))
    for mul, ir in tp.irreps_out:
        d.add_segment(3, (ir.dim, mul, 1))
    for ins in tp.instructions:  # e3nn's order = the order of the weight blocks
        l1, l2, l3 = tp.irreps_in1[ins.i_in1].ir.l, tp.irreps_in2[ins.i_in2].ir.l, tp.irreps_out[ins.i_out].ir.l
        c = ins.path_weight * o3.wigner_3j(l1, l2, l3, dtype=torch.float64).numpy()
        d.add_path(None, ins.i_in1, ins.i_in2, ins.i_out, c=np.asarray(c), dims={"u": tp.irreps_in1[ins.i_in1].mul, "v": 1})
    return cue.SegmentedPolynomial.eval_last_operand(d)


class CueConvolution(nn.Module):
    """Gather + e3nn-equal ``uvu`` tensor product + scatter-sum as one cuEquivariance call (no parameters).

    Args:
        tp: the e3nn ``TensorProduct`` (``shared_weights=False``) whose result this reproduces.
        method: ``"uniform_1d"`` (CUDA kernel of cuequivariance-ops-torch) or ``"naive"`` (pure torch, any device).
        math_dtype: dtype of the arithmetic (float64 for float64 inputs, float32 otherwise).
    """

    def __init__(self, tp: o3.TensorProduct, method: str, math_dtype: torch.dtype) -> None:
        super().__init__()
        self.weight_numel = tp.weight_numel
        self.transpose_in1 = cuet.TransposeIrrepsLayout(_cue_irreps(tp.irreps_in1), source=cue.mul_ir,
                                                        target=cue.ir_mul)
        self.transpose_in2 = cuet.TransposeIrrepsLayout(_cue_irreps(tp.irreps_in2), source=cue.mul_ir,
                                                        target=cue.ir_mul)
        self.transpose_out = cuet.TransposeIrrepsLayout(_cue_irreps(tp.irreps_out), source=cue.ir_mul,
                                                        target=cue.mul_ir)
        self.f = cuet.SegmentedPolynomial(uvu_polynomial(tp), method=method, math_dtype=math_dtype)
        self.method = self.f.method

    def forward(self, x: Tensor, edge_sh: Tensor, weight: Tensor, edge_src: Tensor, edge_dst: Tensor) -> Tensor:
        out = self.f([weight, self.transpose_in1(x), self.transpose_in2(edge_sh)],
                     input_indices={1: edge_src}, output_shapes={0: x.new_empty(x.size(0), 1)},
                     output_indices={0: edge_dst})[0]
        return self.transpose_out(out)
