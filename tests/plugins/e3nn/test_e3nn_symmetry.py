"""Symmetries of the e3nn encoder: E(3) / SE(3) invariance of the scalar output, equivariance of the full
irreps features (against float64 Wigner D matrices fitted on e3nn's spherical harmonics, see conftest) and
of the VectorHead, atom permutations,
batch consistency; float64 (1e-9) and float32 (1e-4, relative) for every l_max in 0..3."""

from __future__ import annotations

import pytest
import torch

NAMES = ("CC(C)O", "c1ccncc1")
DTYPES = [torch.float64, torch.float32]


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("parity", [True, False], ids=["parity", "noparity"])
@pytest.mark.parametrize("l_max, options", [(0, {}), (1, {}), (2, {}), (3, {}), (1, {"residual": True}),
                                             (2, {"residual": True}), (2, {"species_self_connection": True}),
                                             (2, {"species_rank": None}), (2, {"natural_parity": False}),
                                             (3, {"natural_parity": False}), (0, {"correlation": 3}),
                                             (1, {"correlation": 1}), (2, {"correlation": 3}),
                                             (2, {"all_layer_outputs": True}), (2, {"species_product": True})],
                         ids=["l0", "l1", "l2", "l3", "l1-residual", "l2-residual", "l2-species", "l2-species-table",
                              "l2-both-parities", "l3-both-parities", "l0-corr3", "l1-nequip", "l2-corr3", "l2-all-layers",
                              "l2-species-product"])
def test_euclidean_symmetry(e3, l_max, options, parity, dtype):
    model = e3.build(dtype, l_max=l_max, parity=parity, **options)
    graphs = e3.molecules(dtype, NAMES)
    batch = e3.batch(graphs)
    with torch.no_grad():
        h, feats = model(batch), model.forward_features(batch)
    assert h.dtype == feats.dtype == dtype and h.shape == (batch.num_nodes, model.out_dim)
    assert feats.shape == (batch.num_nodes, model.irreps_features.dim)
    cases = [(True, 1)] + ([(False, 2)] if parity else [])  # reflections only for the E(3) model
    for proper, seed in cases:
        rot = e3.orthogonal(seed, proper, torch.float64)
        moved = e3.batch(e3.moved(graphs, rot, seed))
        with torch.no_grad():
            h2, feats2 = model(moved), model.forward_features(moved)
        ok, err = e3.close(h, h2, e3.TOL[dtype])
        assert ok, f"0e output changed under {'rotation' if proper else 'reflection'}: rel err {err:.3g}"
        D = e3.wigner_D(model.irreps_features, rot).to(dtype)
        ok, err = e3.close(feats @ D.T, feats2, e3.TOL[dtype])
        assert ok, f"irreps features {model.irreps_features} not equivariant: rel err {err:.3g}"
