r"""Equivariant per-molecule vector output (dipole-like targets), from the encoder's full node features.

.. math::
    \vec\mu_g = \sum_{i \in g} \big(\vec v_i + q_i\,(\mathrm{pos}_i - \bar{\mathrm{pos}}_g)\big)

:math:`\vec v_i` (a ``1o`` irrep, or ``1e`` for the parity-free model) and the scalar "charge" :math:`q_i`
are equivariant linear maps of the node features; :math:`\bar{\mathrm{pos}}_g` is the mean position of
molecule ``g``, so the output rotates with the molecule and ignores translations. The Cartesian order is
``(x, y, z)`` (e3nn's ``1o`` basis). Python API only for now: the config pipeline feeds readouts the
invariant ``forward`` output, not the irreps.
"""

from __future__ import annotations

from e3nn import o3
from torch import Tensor, nn


class VectorHead(nn.Module):
    r"""Per-molecule vector from equivariant node features.

    Args:
        irreps_in: irreps of the node features (``E3NNEncoder.irreps_features``).
        vector_irrep: ``1o`` (parity on) or ``1e`` (parity off).
        charges: add the :math:`q_i (\mathrm{pos}_i - \bar{\mathrm{pos}}_g)` term.

    Shapes:
        - **input:** h :math:`(N, \dim \text{irreps\_in})`, batch with ``pos`` :math:`(N, 3)` Å and
          ``batch`` :math:`(N)`
        - **output:** :math:`(B, 3)` (units of the target; positions enter in Å)
    """

    def __init__(self, irreps_in, vector_irrep="1o", charges: bool = True) -> None:
        super().__init__()
        self.irreps_in = o3.Irreps(irreps_in)
        self.irreps_out = o3.Irreps([(1, o3.Irrep(vector_irrep))])
        self.vector = o3.Linear(self.irreps_in, self.irreps_out)
        self.charge = o3.Linear(self.irreps_in, "1x0e") if charges else None

    def forward(self, h: Tensor, batch) -> Tensor:
        graph_index: Tensor | None = getattr(batch, "batch", None)
        if graph_index is None:
            graph_index = h.new_zeros(h.size(0), dtype=batch.z.dtype)
        num_graphs = int(getattr(batch, "num_graphs", 0) or (int(graph_index.max()) + 1 if h.size(0) else 0))
        per_atom = self.vector(h)  # [N, 3]
        if self.charge is not None:
            pos = batch.pos.to(h.dtype)
            counts = pos.new_zeros(num_graphs).index_add(0, graph_index, pos.new_ones(pos.size(0)))
            centre = pos.new_zeros(num_graphs, 3).index_add(0, graph_index, pos) / counts.clamp(min=1).unsqueeze(-1)
            per_atom = per_atom + self.charge(h) * (pos - centre.index_select(0, graph_index))
        return per_atom.new_zeros(num_graphs, 3).index_add(0, graph_index, per_atom)
