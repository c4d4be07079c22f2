r"""One NequIP layer: interaction block, gated nonlinearity, optional residual update (off by default in the encoder).

.. math::
    h^{(t+1)}_i = [\,h^{(t)}_i\,] + \mathrm{Gate}\big(\mathrm{Interaction}(h^{(t)})_i\big)

The residual adds every input irrep to the output irrep of the same type and multiplicity (input
channels embedded, not mixed). NequIP adds it only when input and output irreps are equal, which with
parity and ``l_max >= 1`` happens late (new irreps such as ``1e``, ``2o``, ``0o`` appear in layers 2 and 3),
so most layers of a shallow model would have none; embedding the input keeps the update residual from the
first layer on and is the identity map when the irreps are equal.
Gate (Weiler et al. 2018, e3nn ``Gate``): even scalars through SiLU, odd scalars through tanh (odd, so
parity is kept), each ``l >= 1`` irrep multiplied by its own sigmoid-activated even scalar gate.
"""

from __future__ import annotations

import torch
from e3nn import o3
from e3nn.nn import Gate
from torch import Tensor, nn

from .interaction import InteractionBlock
from .irreps import reachable, tp_path_exists


def residual_index(irreps_in: o3.Irreps, irreps_out: o3.Irreps) -> torch.Tensor | None:
    """Columns of ``irreps_out`` that receive the columns of ``irreps_in`` in a residual update: every
    ``mul x ir`` of the input must appear with the same ``mul`` in the output (``None`` otherwise)."""
    offsets, start = {}, 0
    for mul, ir in irreps_out:
        if ir in offsets:
            return None  # an irrep split over several blocks: no unique place
        offsets[ir] = (mul, start)
        start += mul * ir.dim
    index = []
    for mul, ir in irreps_in:
        if ir not in offsets or offsets[ir][0] != mul:
            return None
        index.extend(range(offsets[ir][1], offsets[ir][1] + mul * ir.dim))
    return torch.tensor(index, dtype=torch.long)


def make_gate(target: o3.Irreps, irreps_in: o3.Irreps, irreps_edge: o3.Irreps) -> Gate:
    """The gate producing ``target`` (scalars pass, ``l >= 1`` irreps are gated by extra scalars)."""
    silu, tanh, sigmoid = torch.nn.functional.silu, torch.tanh, torch.sigmoid
    scalars = o3.Irreps([(mul, ir) for mul, ir in target if ir.l == 0])
    gated = o3.Irreps([(mul, ir) for mul, ir in target if ir.l > 0])
    gate_ir = "0e" if tp_path_exists(irreps_in, irreps_edge, "0e") else "0o"
    gates = o3.Irreps([(mul, gate_ir) for mul, _ in gated])
    return Gate(scalars, [silu if ir.p == 1 else tanh for _, ir in scalars],
                gates, [sigmoid if gate_ir == "0e" else tanh for _ in gates], gated)


class GatedInteractionLayer(nn.Module):
    r"""Interaction block + gate + residual. Output irreps: the part of ``target`` reachable from
    ``irreps_in x irreps_edge``.

    Shapes:
        - **input:** as :class:`~molgdl_e3nn.interaction.InteractionBlock`
        - **output:** :math:`(N, \dim \text{irreps\_out})`
    """

    def __init__(self, irreps_in, irreps_edge, target, num_radial: int, radial_width: int = 64,
                 radial_depth: int = 2, avg_num_neighbors: float = 10.0, residual: bool = True,
                 species_types: int = 0, species_rank: int | None = None, correlation: int = 1,
                 product_channels: int | None = None, product_types: int = 0) -> None:
        super().__init__()
        self.irreps_in = o3.Irreps(irreps_in)
        irreps_edge = o3.Irreps(irreps_edge)
        out = reachable(o3.Irreps(target), self.irreps_in, irreps_edge)
        self.gate = make_gate(out, self.irreps_in, irreps_edge)
        self.irreps_out = self.gate.irreps_out
        self.interaction = InteractionBlock(self.irreps_in, irreps_edge, self.gate.irreps_in, num_radial,
                                            radial_width, radial_depth, avg_num_neighbors, species_types,
                                            species_rank, correlation, product_channels, product_types)
        index = residual_index(self.irreps_in, self.irreps_out)
        self.residual = residual and index is not None
        self.register_buffer("residual_index", index if index is not None else torch.zeros(0, dtype=torch.long),
                             persistent=False)

    def forward(self, h: Tensor, edge_src: Tensor, edge_dst: Tensor, edge_sh: Tensor, edge_radial: Tensor,
                z: Tensor | None = None) -> Tensor:
        out = self.gate(self.interaction(h, edge_src, edge_dst, edge_sh, edge_radial, z))
        if self.residual:
            dtype = torch.promote_types(out.dtype, h.dtype)  # bf16 autocast: keep the residual stream wide
            out = out.to(dtype).index_add(1, self.residual_index, h.to(dtype))
        return out
