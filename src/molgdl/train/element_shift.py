r"""Per-element reference values of extensive targets, fitted by least squares on the training molecules.

.. math::
    y_m \approx \sum_{i \in m} s_{z_i} = c_m^\top s, \qquad
    s = \arg\min_s \sum_{m \in \text{train}} (y_m - c_m^\top s)^2

with :math:`c_m` the element counts of molecule :math:`m`. The model is then trained on the residual
:math:`y_m - c_m^\top s` (standardised), and :math:`c_m^\top s` is added back to its predictions. This is
SchNetPack's ``atomref`` / NequIP's ``per_species_shift`` / MACE's ``E0s`` fitted from data: for an energy
it removes the composition part (on the QM9 20k subset the residual of U0_atom has a standard deviation of
1.09 eV instead of 10.3 eV), so the network learns the interaction part on a well-scaled target.
Elements absent from the training molecules get 0; a rank-deficient system (e.g. every molecule of an MD
trajectory has the same formula) gets the minimum-norm solution, which reproduces the training mean.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

NUM_ELEMENTS = 119  # atomic numbers 0..118


def element_counts(z: Tensor, ptr: Tensor, num_elements: int = NUM_ELEMENTS) -> Tensor:
    """Element counts per graph: ``[G, num_elements]`` float64, from atomic numbers ``z`` ``[N]`` and graph
    boundaries ``ptr`` ``[G + 1]``."""
    sizes = (ptr[1:] - ptr[:-1]).long()
    owner = torch.repeat_interleave(torch.arange(len(sizes)), sizes)
    counts = torch.zeros(len(sizes), num_elements, dtype=torch.float64)
    counts.index_put_((owner, z.long()), torch.ones(len(z), dtype=torch.float64), accumulate=True)
    return counts


def fit_element_shift(counts: Tensor, y: Tensor) -> Tensor:
    """Least-squares per-element values ``[num_elements, T]`` (float64) for targets ``y`` ``[G, T]``
    (NaN = missing: each target is fitted on the graphs that have it)."""
    c = counts.double().numpy()
    yy = y.double().numpy()
    out = np.zeros((c.shape[1], yy.shape[1]))
    for t in range(yy.shape[1]):
        have = ~np.isnan(yy[:, t])
        if not have.any():
            continue
        cols = np.nonzero(c[have].any(axis=0))[0]  # elements present in these graphs
        coef, *_ = np.linalg.lstsq(c[have][:, cols], yy[have, t], rcond=None)
        out[cols, t] = coef
    return torch.from_numpy(out)


def molecule_shift(shift: Tensor, z: Tensor, graph_index: Tensor | None, num_graphs: int) -> Tensor:
    """:math:`\\sum_{i \\in m} s_{z_i}` per graph: ``[num_graphs, T]`` from ``shift`` ``[num_elements, T]``."""
    per_atom = shift.index_select(0, z.long())
    if graph_index is None:
        return per_atom.sum(0, keepdim=True)
    return per_atom.new_zeros(num_graphs, shift.size(1)).index_add(0, graph_index, per_atom)
