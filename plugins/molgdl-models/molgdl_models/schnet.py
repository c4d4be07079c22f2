r"""SchNet encoder (Schütt et al. 2017) built from PyG's SchNet pieces on a plain-torch radius graph.

.. math::
    h^{(0)}_i = \mathrm{Emb}(z_i), \qquad
    h^{(t+1)}_i = h^{(t)}_i + \mathrm{Interaction}_t\big(h^{(t)}, \{(j, i, d_{ij}) : d_{ij} < r_c\}\big)

Each interaction is PyG's ``InteractionBlock`` (continuous-filter convolution on a Gaussian expansion of
:math:`d_{ij}` with a cosine cutoff envelope). The output is the atom-wise :math:`h^{(T)}` (PyG's final
atom-wise MLP and sum are left to the molgdl readout/head). Invariant to rotations, translations,
reflections and atom permutations (up to neighbour-cap ties when ``max_num_neighbors`` truncates).
"""

from __future__ import annotations

from torch import Tensor, nn
from torch_geometric.nn.models.schnet import GaussianSmearing, InteractionBlock

from molgdl.errors import ConfigError, DataError
from molgdl.specs import FeatureDims

from molgdl.geometry import radius_graph


class SchNetEncoder(nn.Module):
    r"""SchNet atom embeddings from atomic numbers and 3D positions.

    Args:
        hidden_channels: atom embedding width (= ``out_dim``).
        num_filters: continuous-filter width.
        num_interactions: number of interaction blocks.
        num_gaussians: size of the distance expansion on ``[0, cutoff]``.
        cutoff: cutoff radius (Å).
        max_num_neighbors: nearest neighbours kept per atom (``None``: all).
        max_z: embedding table size (atomic numbers must be ``< max_z``; 0 is a zero padding row).

    Shapes:
        - **input:** batch with ``z`` :math:`(N)` int64, ``pos`` :math:`(N, 3)` Å, ``batch`` :math:`(N)`
        - **output:** :math:`(N, \text{hidden\_channels})`
    """

    def __init__(
        self,
        hidden_channels: int = 128,
        num_filters: int = 128,
        num_interactions: int = 3,
        num_gaussians: int = 50,
        cutoff: float = 5.0,
        max_num_neighbors: int | None = None,
        max_z: int = 100,
    ) -> None:
        super().__init__()
        self.out_dim = hidden_channels
        self.cutoff = cutoff
        self.max_num_neighbors = max_num_neighbors
        self.max_z = max_z
        self.embedding = nn.Embedding(max_z, hidden_channels, padding_idx=0)
        self.distance_expansion = GaussianSmearing(0.0, cutoff, num_gaussians)
        self.interactions = nn.ModuleList(
            InteractionBlock(hidden_channels, num_gaussians, num_filters, cutoff)
            for _ in range(num_interactions)
        )

    def forward(self, batch) -> Tensor:
        z: Tensor = batch.z
        pos: Tensor | None = getattr(batch, "pos", None)
        if pos is None:
            raise DataError(
                "schnet: the batch has no 3D positions (batch.pos)",
                hint="use a 3D featurizer (one that embeds conformers) with the schnet model",
            )
        if z.numel() and bool(((z < 0) | (z >= self.max_z)).any()):
            raise DataError(
                f"schnet: atomic numbers must lie in [0, {self.max_z}); got {int(z.min())}..{int(z.max())}",
                hint="raise the schnet param max_z",
            )
        graph_index = getattr(batch, "batch", None)
        edge_index = radius_graph(pos, graph_index, self.cutoff, self.max_num_neighbors)
        src, dst = edge_index
        edge_weight = (pos[src] - pos[dst]).norm(dim=-1)  # differentiable in pos
        edge_attr = self.distance_expansion(edge_weight)
        h = self.embedding(z)
        for interaction in self.interactions:
            h = h + interaction(h, edge_index, edge_weight, edge_attr)
        return h


def build_schnet(params, dims: FeatureDims) -> SchNetEncoder:
    """Factory of the ``schnet`` encoder (ignores ``dims.atom_dim``: uses ``z`` and ``pos`` only)."""
    if not dims.is_3d:
        raise ConfigError(
            "model schnet needs 3D positions, but the featurizer is 2D (FeatureDims.is_3d is False)",
            hint="choose a 3D featurizer (one that embeds conformers) or a 2D model such as dmpnn or gine",
        )
    return SchNetEncoder(
        hidden_channels=params.hidden_channels,
        num_filters=params.num_filters,
        num_interactions=params.num_interactions,
        num_gaussians=params.num_gaussians,
        cutoff=params.cutoff,
        max_num_neighbors=params.max_num_neighbors,
        max_z=params.max_z,
    )
