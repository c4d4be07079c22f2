r"""E(3)-equivariant, energy-conserving correction force for one molecule:
:math:`E_\theta(x) = s \sum_i w^\top h_i(x)` with :math:`h` the invariant atom features of an E(3)-invariant
encoder (the registered ``e3nn`` model of molgdl-e3nn by default), and :math:`F_\theta = -\partial E_\theta/\partial x`.

As a hybrid correction it returns the tendency :math:`c(u) = [0, F_\theta(x) / m]` (Å/fs², see
:mod:`.solver`): the force is conservative (a gradient field), rotates with the molecule and has zero net sum.
The head starts at zero, so an untrained correction leaves the core's trajectory unchanged bit for bit.
"""

from __future__ import annotations

from types import SimpleNamespace

import torch
from torch import Tensor, nn

from .units import ACCEL


def build_encoder(name: str = "e3nn", params: dict | None = None, registry=None) -> nn.Module:
    """An invariant atom encoder from the model registry (family ``encoder``, 3D), e.g. ``e3nn`` with its
    params; ``registry``: a :class:`molgdl.registry.Registry` (default: one over the installed plugins)."""
    from molgdl.specs import FeatureDims

    if registry is None:
        from molgdl.plugins import create_plugin_manager
        from molgdl.registry import Registry

        registry = Registry(create_plugin_manager())
    spec = registry.get("model", name, where="correction.encoder.name")
    return spec.factory(spec.build_params(params or {}), FeatureDims(atom_dim=0, bond_dim=0, is_3d=True))


class EnergyCorrection(nn.Module):
    r"""Learned potential energy correction of one molecule and its forces, as a hybrid tendency.

    Args:
        encoder: module with ``out_dim`` whose ``forward(batch)`` (``z``, ``pos`` Å, ``batch``) returns
            E(3)-invariant atom features :math:`(N_{tot}, \text{out\_dim})`.
        z: atomic numbers :math:`(N)`; masses: amu :math:`(N)`.
        energy_scale: :math:`s`, kcal/mol per unit of head output.

    Shapes:
        - **energy(x):** x :math:`(B, N, 3)` Å -> :math:`(B)` kcal/mol
        - **forces(x):** :math:`(B, N, 3)` kcal/mol/Å
        - **forward(u):** u :math:`(B, 6N)` -> tendency :math:`(B, 6N)`: zeros (positions), Å/fs² (velocities)
    """

    positions_only = True  # the tendency depends on positions only (the solver may reuse it within a step pair)

    def __init__(self, encoder: nn.Module, z, masses, energy_scale: float = 1.0) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(encoder.out_dim, 1, bias=False)
        nn.init.zeros_(self.head.weight)
        self.energy_scale = float(energy_scale)
        self.register_buffer("z", torch.as_tensor(z, dtype=torch.long))
        self.register_buffer("inv_mass", ACCEL / torch.as_tensor(masses, dtype=torch.float64))
        self.num_atoms = int(self.z.numel())

    @property
    def dtype(self) -> torch.dtype:
        return self.head.weight.dtype

    def energy(self, x: Tensor) -> Tensor:
        b, n = x.shape[0], self.num_atoms
        batch = SimpleNamespace(z=self.z.repeat(b), pos=x.reshape(b * n, 3),
                                batch=torch.arange(b, device=x.device).repeat_interleave(n), num_graphs=b)
        atom = self.head(self.encoder(batch)).squeeze(-1) * self.energy_scale  # [B*N]
        return atom.reshape(b, n).sum(1)

    def forces(self, x: Tensor, create_graph: bool | None = None) -> Tensor:
        """``-dE/dx``; ``create_graph`` (default: whether grad mode is on) keeps the graph for training."""
        create_graph = torch.is_grad_enabled() if create_graph is None else create_graph
        with torch.enable_grad():
            x = x.to(self.dtype)
            if not x.requires_grad:
                x = x.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(self.energy(x).sum(), x, create_graph=create_graph)
        return -grad if create_graph else -grad.detach()

    def forward(self, u: Tensor) -> Tensor:
        b, n3 = u.shape[0], 3 * self.num_atoms
        accel = self.forces(u[:, :n3].reshape(b, self.num_atoms, 3)) * self.inv_mass.to(self.dtype)[:, None]
        return torch.cat([torch.zeros_like(u[:, :n3]), accel.reshape(b, n3).to(u.dtype)], dim=1)
