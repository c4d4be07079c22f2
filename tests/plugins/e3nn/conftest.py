"""Helpers of the molgdl-e3nn tests: 3D test molecules (with hydrogens) and exact symmetry transforms.

Tests reach the helpers through the ``e3`` fixture (a namespace), not by import.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torch_geometric.data import Batch, Data


def molecules(dtype: torch.dtype = torch.float64, names: tuple[str, ...] | None = None) -> list[Data]:
    """``tiny_table_3d`` molecules (MMFF geometries, hydrogens kept) with ``pos`` in ``dtype``; ``names``
    picks molecules by SMILES (``"CCO"`` is ethanol)."""
    from molgdl.testing.molecules import TinyGraphFeaturizer, tiny_table_3d

    feat = TinyGraphFeaturizer(hydrogens=True)
    out = []
    for rec in tiny_table_3d().records:
        if names is None or rec.smiles in names:
            g = feat.featurize(rec)[0]
            g.pos = torch.as_tensor(rec.pos, dtype=dtype)  # the stored coordinates, not rounded to float32
            out.append(g)
    return out


def orthogonal(seed: int, proper: bool = True, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """A random 3 x 3 rotation (``proper``) or rotation-reflection (det -1)."""
    from molgdl.testing.contracts import random_rotation

    return random_rotation(torch.Generator().manual_seed(seed), proper=proper, dtype=dtype)


def moved(graphs: list[Data], rot: torch.Tensor, seed: int = 0) -> list[Data]:
    """Every molecule rotated by ``rot`` about the origin and translated by its own random vector (Å)."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for g in graphs:
        g2 = g.clone()
        g2.pos = g.pos @ rot.to(g.pos.dtype).T + (torch.randn(3, generator=gen, dtype=torch.float64) * 5).to(g.pos.dtype)
        out.append(g2)
    return out


def build(dtype: torch.dtype = torch.float64, seed: int = 0, **kwargs):
    """An ``E3NNEncoder`` (small by default) in ``dtype``, eval mode."""
    from molgdl_e3nn.model import E3NNEncoder

    torch.manual_seed(seed)
    params = dict(num_layers=2, num_features=8, radial_width=16, l_max=1)
    params.update(kwargs)
    return E3NNEncoder(**params).to(dtype).eval()


def close(a: torch.Tensor, b: torch.Tensor, rel: float) -> tuple[bool, float]:
    """``|a - b| <= rel * max(1, max|a|)`` elementwise; returns (ok, relative max deviation)."""
    scale = max(1.0, float(a.abs().max()))
    err = float((a - b).abs().max()) / scale
    return err <= rel, err


def wigner_D(irreps, rot: torch.Tensor) -> torch.Tensor:
    """Block-diagonal representation of the orthogonal matrix ``rot`` on ``irreps``, to float64 precision.

    e3nn's ``Irreps.D_from_matrix`` builds its Lie generators in float32 (errors ~1e-7 even in float64), too
    coarse for 1e-9 checks. Here each block ``D_l`` solves ``Y_l(R' x) = D_l Y_l(x)`` by least squares over
    random points (``Y_l``: e3nn's real spherical harmonics, exact polynomials), with ``R' = det(R) R`` proper;
    an irrep ``(l, p)`` gets the extra factor ``p`` when ``det(R) = -1``.
    """
    from e3nn import o3

    rot = rot.to(torch.float64)
    det = float(torch.det(rot).sign())
    proper = rot * det
    x = torch.randn(64, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    blocks = []
    for mul, ir in o3.Irreps(irreps):
        y = o3.spherical_harmonics(ir.l, x, normalize=True)
        y_rot = o3.spherical_harmonics(ir.l, x @ proper.T, normalize=True)
        d = torch.linalg.lstsq(y, y_rot).solution.T * (ir.p if det < 0 else 1)
        blocks += [d] * mul
    return torch.block_diag(*blocks)


TOL = {torch.float64: 1e-9, torch.float32: 1e-4}


@pytest.fixture
def e3():
    return SimpleNamespace(wigner_D=wigner_D, molecules=molecules, orthogonal=orthogonal, moved=moved, build=build, close=close,
                           batch=lambda graphs: Batch.from_data_list(list(graphs)), TOL=TOL)
