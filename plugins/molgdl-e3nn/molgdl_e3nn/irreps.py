"""Irreps bookkeeping of the interaction network: hidden feature irreps and tensor-product reachability."""

from __future__ import annotations

import torch
from e3nn import o3


def hidden_irreps(num_scalars: int, num_tensors: int, l_max: int, parity: bool, natural: bool = False) -> o3.Irreps:
    """Target irreps of every layer, as in NequIP: ``num_scalars x 0e`` plus ``num_tensors`` copies of every
    other ``(l, p)`` with ``l <= l_max`` (both parities when ``parity``; only ``p = +1`` otherwise, so that
    pseudo-quantities are not told apart from true ones: an SE(3)-only, chiral model).
    ``natural=True`` keeps only the parity of the spherical harmonics, ``p = (-1)^l`` (``0e + 1o + 2e + 3o``,
    as MACE's hidden irreps): fewer tensor-product paths, no pseudoscalars or pseudovectors."""
    parities = (1, -1) if parity else (1,)
    irreps = [(num_scalars if (l, p) == (0, 1) else num_tensors, (l, p)) for l in range(l_max + 1) for p in parities
              if not (natural and parity and p != (-1) ** l)]
    return o3.Irreps(irreps).sort().irreps.simplify()


def edge_irreps(l_max: int, parity: bool) -> o3.Irreps:
    """Spherical-harmonic irreps of the edge directions: ``0e + 1o + 2e + ...`` (``1e + 2e ...`` without parity:
    edge vectors are then labelled as pseudovectors, which SE(3) cannot tell apart)."""
    return o3.Irreps.spherical_harmonics(l_max, p=-1 if parity else 1)


def tp_path_exists(irreps_in1: o3.Irreps, irreps_in2: o3.Irreps, ir_out: o3.Irrep) -> bool:
    """Whether some ``ir1 x ir2`` of the two inputs contains ``ir_out``."""
    ir_out = o3.Irrep(ir_out)
    return any(ir_out in ir1 * ir2 for _, ir1 in o3.Irreps(irreps_in1) for _, ir2 in o3.Irreps(irreps_in2))


def reachable(target: o3.Irreps, irreps_in: o3.Irreps, irreps_edge: o3.Irreps) -> o3.Irreps:
    """The part of ``target`` a convolution of ``irreps_in`` with ``irreps_edge`` can produce."""
    return o3.Irreps([(mul, ir) for mul, ir in target if tp_path_exists(irreps_in, irreps_edge, ir)])


def exact_wigner_3j_(module: torch.nn.Module) -> None:
    """Refill the Wigner 3j constants of every e3nn tensor product in ``module`` (buffers ``_w3j_l1_l2_l3``)
    from their float64 values, cast to the buffer's dtype. e3nn builds them in the default dtype at
    construction (float32), so a model cast to float64 afterwards couples with coefficients rounded to float32
    (~1e-8 relative): equivariance errors of ~1e-11 at l_max 2, which products of features (``correlation`` 3)
    amplify past 1e-9 in forces."""
    for sub in module.modules():
        for name, buf in sub.named_buffers(recurse=False):
            if name.startswith("_w3j_") and buf.is_floating_point():
                l1, l2, l3 = (int(x) for x in name[len("_w3j_"):].split("_"))
                with torch.no_grad():
                    buf.copy_(o3.wigner_3j(l1, l2, l3, dtype=torch.float64))
