"""The attribution methods against closed forms and brute force: integrated gradients and occlusion on a
linear graph model, permutation Shapley values against exact Shapley values, the spreading of feature
attributions onto atoms, and the atom-centred substructure keys."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from molgdl.errors import ConfigError


def graph(n: int, bonds: list[tuple[int, int]], atom_dim: int = 3, bond_dim: int = 2, seed: int = 0):
    """A molgdl-contract graph: bond k is columns 2k (u, v) and 2k + 1 (v, u)."""
    from torch_geometric.data import Data

    g = torch.Generator().manual_seed(seed)
    cols = [c for u, v in bonds for c in ((u, v), (v, u))]
    edge_index = torch.tensor(cols, dtype=torch.long).t().reshape(2, -1)
    return Data(x=torch.rand(n, atom_dim, generator=g), edge_index=edge_index,
                edge_attr=torch.rand(len(cols), bond_dim, generator=g),
                z=torch.full((n,), 6, dtype=torch.long), extra=torch.zeros(1, 0), y=torch.zeros(1, 1))


W = torch.tensor([1.0, -2.0, 0.5])
U = torch.tensor([0.3, -0.7])


def linear(batch):
    """F = sum_v W.x_v + sum_e U.e_e per graph (both directions of a bond counted)."""
    from torch_geometric.utils import scatter

    node = scatter(batch.x @ W, batch.batch, dim=0, dim_size=batch.num_graphs, reduce="sum")
    edge_graph = batch.batch[batch.edge_index[0]]
    edge = scatter(batch.edge_attr @ U, edge_graph, dim=0, dim_size=batch.num_graphs, reduce="sum")
    return node + edge


def incident_edge_sum(g, atom: int) -> float:
    touch = (g.edge_index[0] == atom) | (g.edge_index[1] == atom)
    return float((g.edge_attr[touch] @ U).sum())


GRAPHS = [graph(4, [(0, 1), (1, 2), (2, 3)], seed=1), graph(3, [(0, 1), (0, 2)], seed=2),
          graph(1, [], seed=3)]


def test_integrated_gradients_of_a_linear_model_is_the_closed_form():
    """For a linear F, IG is exact at any step count: atom v gets W.x_v plus half of each incident directed
    edge's U.e (both directions of each of its bonds)."""
    from molgdl_attribution.graph import integrated_gradients

    out = integrated_gradients(linear, GRAPHS, steps=3, batch_size=6)
    for g, r in zip(GRAPHS, out):
        expected = [float(g.x[v] @ W) + 0.5 * incident_edge_sum(g, v) for v in range(g.num_nodes)]
        np.testing.assert_allclose(r.atoms, expected, rtol=1e-5, atol=1e-6)
        assert r.reference == pytest.approx(0.0, abs=1e-7) and r.gap == pytest.approx(0.0, abs=1e-5)
        assert r.output == pytest.approx(float(linear_single(g)), rel=1e-6)


def linear_single(g):
    from torch_geometric.data import Batch

    return linear(Batch.from_data_list([g]))[0]


def test_integrated_gradients_completeness_on_a_nonlinear_model():
    """A nonlinear model (tanh of a sum readout): atom scores sum to F(x) - F(0) up to the midpoint rule's
    error, which shrinks as the steps grow."""
    from molgdl_attribution.graph import integrated_gradients

    def fn(batch):
        return torch.tanh(0.8 * linear(batch)) + 0.1 * linear(batch) ** 2

    gaps = []
    for steps in (4, 64):
        out = integrated_gradients(fn, GRAPHS, steps=steps, batch_size=64)
        gaps.append(max(abs(r.gap) for r in out))
        for r in out:
            assert r.atoms.sum() == pytest.approx(r.output - r.reference, abs=0.05)
    assert gaps[1] < gaps[0] / 10 and gaps[1] < 1e-3


def test_integrated_gradients_refuses_a_model_that_ignores_the_features():
    from molgdl_attribution.graph import integrated_gradients

    def fn(batch):  # reads only the atomic numbers, as schnet does
        return torch.zeros(batch.num_graphs).index_add_(0, batch.batch, batch.z.float()).requires_grad_()

    with pytest.raises(ConfigError, match="occlusion"):
        integrated_gradients(fn, GRAPHS[:1], steps=2)


def test_occlusion_of_a_linear_model_is_the_closed_form():
    """Removing atom v removes W.x_v and every directed edge at v; cutting its bonds removes only the
    edges."""
    from molgdl_attribution.graph import occlusion

    atom = occlusion(linear, GRAPHS[:2], mode="atom", batch_size=2)
    bonds = occlusion(linear, GRAPHS[:2], mode="bonds")
    for g, a, b in zip(GRAPHS, atom, bonds):
        np.testing.assert_allclose(a.atoms, [float(g.x[v] @ W) + incident_edge_sum(g, v)
                                             for v in range(g.num_nodes)], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(b.atoms, [incident_edge_sum(g, v) for v in range(g.num_nodes)],
                                   rtol=1e-5, atol=1e-6)
    single = occlusion(linear, GRAPHS[2:], mode="atom")[0]  # one atom: its features zeroed instead
    assert single.atoms[0] == pytest.approx(float(GRAPHS[2].x[0] @ W), rel=1e-5)


def test_remove_atom_keeps_the_graph_contract():
    from molgdl_attribution.graph import remove_atom

    g = GRAPHS[0]  # path 0-1-2-3
    h = remove_atom(g, 1)
    assert h.num_nodes == 3 and h.x.shape == (3, 3) and h.z.shape == (3,)
    assert torch.equal(h.x, g.x[[0, 2, 3]]) and h.extra.shape == (1, 0) and h.y.shape == (1, 1)
    assert h.edge_index.tolist() == [[1, 2], [2, 1]]  # only bond 2-3 is left, renumbered 1-2
    assert torch.equal(h.edge_attr, g.edge_attr[[4, 5]])
    k = remove_atom(g, 1, keep_atom=True)
    assert k.num_nodes == 4 and k.edge_index.tolist() == [[2, 3], [3, 2]]


def exact_shapley(f, x, b):
    """Brute force over all orders of the features."""
    d = len(x)
    phi = np.zeros(d)
    for order in itertools.permutations(range(d)):
        z = b.copy()
        prev = f(z[None])[0]
        for j in order:
            z[j] = x[j]
            cur = f(z[None])[0]
            phi[j] += cur - prev
            prev = cur
    return phi / math.factorial(d)


def test_permutation_shap_is_exact_for_a_linear_model():
    from molgdl_attribution.permutation import permutation_shap

    rng = np.random.default_rng(0)
    w = rng.normal(size=6)
    x = rng.integers(0, 3, 6).astype(float)
    bg = rng.integers(0, 3, (5, 6)).astype(float)
    phi, fx, fb = permutation_shap(lambda r: r @ w, x, bg, permutations=2)
    np.testing.assert_allclose(phi, w * (x - bg.mean(0)), atol=1e-12)
    assert fx == pytest.approx(x @ w) and fb == pytest.approx((bg @ w).mean())


def test_permutation_shap_matches_brute_force_shapley_values():
    """An interaction model f = x0 x1 + max(x2, x3) - x1 x3 with one background vector: the estimate converges
    to the exact Shapley values, and efficiency holds exactly for every sample."""
    from molgdl_attribution.permutation import permutation_shap

    def f(r):
        return r[:, 0] * r[:, 1] + np.maximum(r[:, 2], r[:, 3]) - r[:, 1] * r[:, 3]

    x = np.array([1.0, 2.0, 3.0, 0.5])
    b = np.array([0.0, 0.5, 1.0, 2.0])
    exact = exact_shapley(f, x, b)
    phi, fx, fb = permutation_shap(f, x, b[None], permutations=400, rng=np.random.default_rng(1))
    np.testing.assert_allclose(phi, exact, atol=0.05)
    few, _, _ = permutation_shap(f, x, b[None], permutations=2, rng=np.random.default_rng(2))
    assert few.sum() == pytest.approx(fx - fb, abs=1e-12)
    assert not np.allclose(exact, 0.0)


def test_permutation_shap_leaves_equal_features_alone_and_chunks_rows():
    from molgdl_attribution.permutation import permutation_shap

    calls = []

    def f(r):
        calls.append(len(r))
        return r.sum(1) ** 2

    x = np.array([1.0, 0.0, 2.0, 0.0])
    bg = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    phi, fx, fb = permutation_shap(f, x, bg, permutations=4, max_rows=5)
    assert phi[1] == 0.0  # equal in x and every background vector
    assert phi.sum() == pytest.approx(fx - fb)
    assert max(calls) <= 5 + 3  # a path (at most 3 differing features + 1 rows) is never split


def test_spread_to_atoms_hand_example():
    from molgdl_attribution.spread import spread_to_atoms

    phi = np.array([0.6, 0.0, 0.4, -0.2, 1.0])
    env = {0: [(0, 1)], 2: [(2,), (1, 3)]}  # column 0 once (atoms 0, 1); column 2 twice
    mapped = np.array([True, True, True, True, False])  # column 4 belongs to a set without atom mapping
    atoms, absent, unmapped = spread_to_atoms(phi, env, 4, mapped)
    np.testing.assert_allclose(atoms, [0.3, 0.3 + 0.1, 0.2, 0.1])
    assert absent == pytest.approx(-0.2) and unmapped == pytest.approx(1.0)
    assert atoms.sum() + absent + unmapped == pytest.approx(phi.sum())
    with pytest.raises(ConfigError, match="atom 7"):
        spread_to_atoms(phi, {0: [(7,)]}, 4, mapped)


def test_descriptor_without_atom_mapping_is_refused_by_name():
    from molgdl_attribution.spread import DescriptorBlock, check_mapped

    class Whole:
        names = ["MolWt"]

    with pytest.raises(ConfigError, match="'rdkit2d' have no atom mapping") as info:
        check_mapped([DescriptorBlock("rdkit2d", Whole(), 0, 1)])
    assert "ecfp" in info.value.hint


def test_environment_keys_mark_the_centre_and_do_not_depend_on_atom_order():
    from rdkit import Chem

    from molgdl_attribution.aggregate import atom_environment, substructure_table

    mol = Chem.MolFromSmiles("CC(=O)Nc1ccccc1")  # acetanilide
    keys = [atom_environment(mol, a, 1).key for a in range(mol.GetNumAtoms())]
    assert keys[:6] == ["C[C:1]", "C[C:1](N)=O", "C=[O:1]", "C[N:1]c", "c[c:1](c)N", "c[c:1]c"]
    assert atom_environment(mol, 1, 1).atoms == (0, 1, 2, 3)
    assert atom_environment(mol, 1, 0).key == "[C:1]"
    # every atom of every ordering of the molecule gets the same key (RDKit's canonical SMILES of a fragment
    # alone would give C[N:1]c or c[N:1]C depending on the atom order)
    rng = np.random.default_rng(0)
    for smiles in ("CC(=O)Nc1ccc(O)cc1", "CCOP(=S)(OCC)Oc1ccc([N+](=O)[O-])cc1", "[Na+].CC(=O)[O-]",
                   "Cc1cc[nH]c1"):
        m = Chem.MolFromSmiles(smiles)
        order = [int(i) for i in rng.permutation(m.GetNumAtoms())]
        shuffled = Chem.RenumberAtoms(m, order)
        for radius in (1, 2):
            for a in range(m.GetNumAtoms()):
                key = atom_environment(shuffled, order.index(a), radius).key
                assert atom_environment(m, a, radius).key == key
    salt = Chem.MolFromSmiles("[Na+].CC(=O)[O-]")
    assert atom_environment(salt, 3, 1).key == "C=[O:1]" and atom_environment(salt, 0, 1).key == "[Na+:1]"

    other = Chem.MolFromSmiles("c1ccc(NC(C)=O)cc1")
    scores = [np.array([0.0, 1.0, 0.5, 0.5, 0.0, 0, 0, 0, 0, 0]), np.array([0, 0, 0, 0, 0, 3.0, 0, 0, 0, 0])]
    table = substructure_table([mol, other], scores, [10, 11], radius=1, min_molecules=1)
    row = table.set_index("substructure").loc["C[C:1](N)=O"]
    assert row["n_atoms"] == 2 and row["n_molecules"] == 2 and row["mean"] == pytest.approx(2.0)
    assert row["example_position"] == 11 and row["example_atom"] == 5 and row["direction"] == "up"
    assert table.iloc[0]["substructure"] == "C[C:1](N)=O"
    assert len(substructure_table([mol, other], scores, [10, 11], min_molecules=3)) == 0


def test_atom_colours():
    from molgdl_attribution.draw import DOWN, UP, atom_colours

    c = atom_colours(np.array([2.0, -1.0, 0.0]))
    assert c[0] == pytest.approx(UP) and c[2] == pytest.approx((1.0, 1.0, 1.0))
    assert c[1] == pytest.approx(tuple(1 - 0.5 * (1 - v) for v in DOWN))


def test_methods_fit_the_model_and_targets_resolve():
    from molgdl_attribution.selection import resolve_methods, target_index

    assert resolve_methods(["auto"], False, "dmpnn") == ["integrated_gradients"]
    assert resolve_methods(["auto", "permutation_shap"], True, "random_forest") == ["permutation_shap"]
    with pytest.raises(ConfigError, match="needs a graph model"):
        resolve_methods(["occlusion"], True, "random_forest")
    with pytest.raises(ConfigError, match="descriptor"):
        resolve_methods(["permutation_shap"], False, "dmpnn")
    assert target_index(None, ["a", "b"]) == 0 and target_index("b", ["a", "b"]) == 1
    assert target_index(1, ["a", "b"]) == 1
    with pytest.raises(ConfigError, match="targets: \\['a', 'b'\\]"):
        target_index("c", ["a", "b"])


def test_params_and_registration(molgdl_pm):
    from pydantic import ValidationError

    from molgdl.registry import Registry
    from molgdl_attribution import hooks
    from molgdl_attribution.params import AttributionParams

    molgdl_pm.register(hooks)
    spec = Registry(molgdl_pm).get("analysis", "attribution")
    assert spec.params is AttributionParams
    assert all(f.description for f in AttributionParams.model_fields.values())
    with pytest.raises(ValidationError):
        AttributionParams(methods=["gradcam"])
    with pytest.raises(ValidationError):
        AttributionParams(methods=[])


def test_hooks_import_is_light():
    code = ("import sys, molgdl_attribution.hooks as h; h.molgdl_analyses()\n"
            "print(sorted(m for m in ('torch', 'rdkit', 'pandas', 'matplotlib', 'numpy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
