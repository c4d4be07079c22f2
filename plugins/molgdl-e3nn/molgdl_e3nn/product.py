r"""MACE's product basis (Batatia et al., NeurIPS 2022), channel-wise: tensor powers of each channel's
aggregated messages up to a correlation order :math:`\nu`, mixed by an equivariant linear map.

.. math::
    B^{(1)}_{ik} = A_{ik}, \qquad
    B^{(n)}_{ik} = \big(B^{(n-1)}_{ik} \otimes A_{ik}\big)\big|_{\text{channel irreps}}, \qquad
    \mathrm{out}_i = W\,\big[B^{(1)}_i, \dots, B^{(\nu)}_i\big]

:math:`A_{ik}` is channel ``k`` of atom ``i``'s aggregated message, one copy of every irrep of
``channel_irreps`` (e.g. ``0e + 1o``: a scalar :math:`s` and a vector :math:`\vec v`). The products are
Clebsch-Gordan couplings within one channel (e3nn ``TensorProduct``, ``uuu`` paths, no weights), kept where
they land in ``channel_irreps``: for ``0e + 1o`` and :math:`\nu = 3` the scalars are :math:`s, s^2,
\vec v\cdot\vec v, s^3, s\,\vec v\cdot\vec v` and the vectors :math:`\vec v, s\vec v, s^2\vec v,
(\vec v\cdot\vec v)\vec v`. A message is a 2-body function of the neighbourhood, so :math:`B^{(\nu)}` is a
:math:`(\nu+1)`-body one (MACE's higher body order per layer). MACE symmetrises the powers with
generalised Clebsch-Gordan matrices and element-dependent weights; here the second power drops the
couplings that vanish by symmetry (:math:`\vec v \times \vec v`) and the linear map :math:`W` (shared by
all elements, mixing channels) absorbs the remaining redundancy.

Shapes:
    - **input:** :math:`(N, \dim \text{irreps\_in})`, irreps ``irreps_in`` = ``channels x ir`` for every
      ``ir`` of ``channel_irreps``, in that order
    - **output:** :math:`(N, \dim \text{irreps\_out})`
"""

from __future__ import annotations

import torch
from e3nn import o3
from torch import Tensor, nn


def channel_power(irreps_1: o3.Irreps, irreps_2: o3.Irreps, keep: o3.Irreps, symmetric: bool) -> o3.TensorProduct:
    """Unweighted ``uuu`` products of two single-copy irreps lists (every irrep ``1x``), one output block per
    path whose irrep is in ``keep``. ``symmetric`` (the square of one list): each unordered pair once, and the
    antisymmetric couplings of an irrep with itself (odd ``L`` from ``l x l``, identically zero) left out."""
    keep_set = {ir for _, ir in keep}
    out, instructions = [], []
    for i, (_, ir_1) in enumerate(irreps_1):
        for j, (_, ir_2) in enumerate(irreps_2):
            if symmetric and j < i:
                continue
            for ir in ir_1 * ir_2:
                if ir not in keep_set or (symmetric and i == j and ir.l % 2 == 1):
                    continue
                instructions.append((i, j, len(out), "uuu", False))
                out.append((1, ir))
    return o3.TensorProduct(irreps_1, irreps_2, o3.Irreps(out), instructions)


class ProductBasis(nn.Module):
    r"""Channel-wise tensor powers of the aggregated messages up to ``correlation``, then an ``o3.Linear``.

    Args:
        channels: number of channels ``K`` (multiplicity of every irrep of the input).
        channel_irreps: the irreps of one channel (each once), e.g. ``0e + 1o``.
        correlation: highest power :math:`\nu` (1: the linear map alone).
        irreps_out: output irreps.
    """

    def __init__(self, channels: int, channel_irreps, correlation: int, irreps_out) -> None:
        super().__init__()
        self.channels = channels
        self.channel_irreps = o3.Irreps([(1, ir) for _, ir in o3.Irreps(channel_irreps)])
        self.irreps_in = o3.Irreps([(channels, ir) for _, ir in self.channel_irreps])
        self.irreps_out = o3.Irreps(irreps_out)
        powers, irreps = [], self.channel_irreps
        for n in range(2, correlation + 1):
            tp = channel_power(irreps, self.channel_irreps, self.channel_irreps, symmetric=n == 2)
            powers.append(tp)
            irreps = tp.irreps_out
        self.powers = nn.ModuleList(powers)
        basis = [self.channel_irreps] + [tp.irreps_out for tp in powers]
        self.irreps_basis = o3.Irreps([(channels, ir) for irreps in basis for _, ir in irreps])
        self.linear = o3.Linear(self.irreps_basis, self.irreps_out)

    def _per_channel(self, x: Tensor) -> Tensor:
        """e3nn layout of ``channels x ir`` blocks ``[N, K * D]`` -> one row per channel ``[N * K, D]``."""
        n, k = x.size(0), self.channels
        blocks = x.split([k * ir.dim for _, ir in self.channel_irreps], dim=-1)
        return torch.cat([b.reshape(n, k, -1) for b in blocks], dim=-1).reshape(n * k, -1)

    def _channel_major(self, x: Tensor, irreps: o3.Irreps, n: int) -> Tensor:
        """``[N * K, dim irreps]`` -> e3nn layout of ``channels x ir`` for every ``ir`` of ``irreps``."""
        blocks = x.reshape(n, self.channels, -1).split([ir.dim for _, ir in irreps], dim=-1)
        return torch.cat([b.reshape(n, -1) for b in blocks], dim=-1)

    def forward(self, a: Tensor) -> Tensor:
        n = a.size(0)
        single = self._per_channel(a)
        power, basis = single, [a]
        for tp in self.powers:
            power = tp(power, single)
            basis.append(self._channel_major(power, tp.irreps_out, n))
        return self.linear(torch.cat(basis, dim=-1))
