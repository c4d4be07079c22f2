"""The contract checks catch what they promise to catch: broken components fail the right tests.

The check functions are tested in-process on hand-made broken encoders and graphs; the wiring of the
contract classes (fixtures, skips, inherited tests) is tested once by running pytest on a file of broken
components in a subprocess and comparing the failed tests with the expected ones.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest
import torch
from torch_geometric.data import Batch

from molgdl.specs import FeatureDims
from molgdl.testing import (
    TinyGraphFeaturizer,
    check_euclidean_invariance,
    check_force_equivariance,
    check_graph_data,
    check_irreps_equivariance,
    forces_of,
    to_float64,
    check_node_batch_consistency,
    check_node_permutation_equivariance,
    relabel_molecule,
    tiny_graphs,
)

DIMS = TinyGraphFeaturizer().dims


def _no_grad(fn):
    def run(batch):
        with torch.no_grad():
            return fn(batch)

    return run


# ------------------------------------------------------------------------------------------ graph data


def test_tiny_graphs_follow_the_data_contract():
    for g in tiny_graphs() + tiny_graphs(hydrogens=True):
        check_graph_data(g, DIMS)


def test_relabel_molecule_moves_atoms_and_bonds_consistently():
    g = tiny_graphs()[9]  # phenol: 7 heavy atoms, a ring
    moved, perm = relabel_molecule(g, torch.Generator().manual_seed(3))
    check_graph_data(moved, DIMS, "relabelled")
    assert torch.equal(moved.z, g.z[perm]) and torch.equal(moved.pos, g.pos[perm])
    old_bonds = {(frozenset(e), tuple(a)) for e, a in zip(g.edge_index.t().tolist(), g.edge_attr.tolist())}
    new_bonds = {(frozenset(perm[e].tolist()), tuple(a)) for e, a in zip(moved.edge_index.t(), moved.edge_attr.tolist())}
    assert new_bonds == old_bonds  # same bonds with the same features, atoms renamed


@pytest.mark.parametrize("breakage, message", [
    ("odd", "odd number of edges"),
    ("unpaired", "are not the two directions of one bond"),
    ("x_dtype", "x must be float32"),
    ("no_pos", "pos must be float32"),
    ("y", "'y' is added by the core"),
    ("z_range", "outside 1..118"),
    ("edge_attr_rows", "edge_attr must be float32"),
])
def test_check_graph_data_names_the_problem(breakage, message):
    g = tiny_graphs()[5].clone()  # NCCO: a chain of 4 heavy atoms
    if breakage == "odd":
        g.edge_index, g.edge_attr = g.edge_index[:, :-1], g.edge_attr[:-1]
    elif breakage == "unpaired":
        g.edge_index = g.edge_index[:, [0, 2, 1, 3, 4, 5]]
    elif breakage == "x_dtype":
        g.x = g.x.double()
    elif breakage == "no_pos":
        del g.pos
    elif breakage == "y":
        g.y = torch.zeros(1, 1)
    elif breakage == "z_range":
        g.z = g.z * 0
    elif breakage == "edge_attr_rows":
        g.edge_attr = g.edge_attr[:2]
    with pytest.raises(AssertionError, match=message):
        check_graph_data(g, DIMS, "graph")


def test_check_graph_data_2d_featurizer_must_not_set_pos():
    g = tiny_graphs()[2]
    with pytest.raises(AssertionError, match="pos is set but dims.is_3d is false"):
        check_graph_data(g, FeatureDims(DIMS.atom_dim, DIMS.bond_dim, is_3d=False))


# ------------------------------------------------------------------------------------------ encoders


class _Sum(torch.nn.Module):
    """One sum-aggregation layer: permutation-equivariant and batch-consistent."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.lin = torch.nn.Linear(DIMS.atom_dim + DIMS.bond_dim, 6)

    def forward(self, batch):
        src, dst = batch.edge_index
        m = self.lin(torch.cat([batch.x[src], batch.edge_attr], 1))
        return torch.zeros(batch.num_nodes, 6).index_add_(0, dst, m) + batch.x[:, :6]


def test_a_correct_encoder_passes():
    graphs = tiny_graphs()
    enc = _no_grad(_Sum())
    check_node_batch_consistency(enc, graphs)
    for g in graphs:
        check_node_permutation_equivariance(enc, g)


def test_batch_statistics_are_caught():
    enc = _Sum()
    leaky = _no_grad(lambda b: enc(b) - enc(b).mean(0, keepdim=True))
    with pytest.raises(AssertionError, match=r"molecule \d+ \(\d+ atoms\): node embeddings differ alone vs inside"):
        check_node_batch_consistency(leaky, tiny_graphs())


def test_atom_order_dependence_is_caught():
    enc = _Sum()
    ordered = _no_grad(lambda b: enc(b) + torch.arange(b.num_nodes, dtype=torch.float32)[:, None])
    with pytest.raises(AssertionError, match="not permutation-equivariant"):
        check_node_permutation_equivariance(ordered, tiny_graphs()[9])


def test_bond_order_dependence_is_caught():
    """A model reading edge e ^ 1 wrongly (as e + 1) breaks when bonds are shuffled and flipped."""

    def wrong_reverse(batch):
        src, dst = batch.edge_index
        rev = (torch.arange(src.numel()) + 1) % max(src.numel(), 1)
        m = batch.edge_attr[rev, :1] * batch.x[src, :1] + 0.1 * torch.arange(src.numel())[:, None]
        return torch.zeros(batch.num_nodes, 1).index_add_(0, dst, m)

    with pytest.raises(AssertionError, match="not permutation-equivariant"):
        check_node_permutation_equivariance(wrong_reverse, tiny_graphs()[9])


def test_euclidean_invariance():
    graphs = tiny_graphs(hydrogens=True)

    def centroid_distance(batch):  # invariant: distance of each atom to its molecule's centroid
        center = torch.zeros(batch.num_graphs, 3).index_add_(0, batch.batch, batch.pos)
        center = center / torch.bincount(batch.batch).unsqueeze(1)
        return (batch.pos - center[batch.batch]).norm(dim=1, keepdim=True)

    check_euclidean_invariance(centroid_distance, graphs)

    def raw_coordinates(batch):
        return batch.pos.clone()

    with pytest.raises(AssertionError, match="changed under a rotation"):
        check_euclidean_invariance(raw_coordinates, graphs)

    def chiral(batch):  # a signed volume: invariant to rotations, flips sign under reflections
        d = batch.pos[1:4] - batch.pos[0]
        return torch.det(d).expand(batch.num_nodes, 1).clone()

    phenol = [graphs[9]]
    check_euclidean_invariance(chiral, phenol, reflections=False)
    with pytest.raises(AssertionError, match="rotation-reflection"):
        check_euclidean_invariance(chiral, phenol, reflections=True)


def _pair_energy(batch):  # invariant: a smooth function of the distances within each molecule
    d = (batch.pos[:, None] - batch.pos[None]).norm(dim=-1)
    same = batch.batch[:, None] == batch.batch[None]
    e = torch.where(same & (d > 0), torch.exp(-d), torch.zeros_like(d)).sum(1)
    return torch.zeros(batch.num_graphs, dtype=e.dtype).index_add(0, batch.batch, e)


def test_force_equivariance():
    graphs = to_float64([g for g in tiny_graphs(hydrogens=True) if g.num_nodes > 3][:4])
    check_force_equivariance(_pair_energy, graphs, rtol=1e-9, atol=1e-9)
    fd = graphs[0].clone()
    eps = 1e-6
    plus, minus = fd.clone(), fd.clone()
    plus.pos, minus.pos = fd.pos.clone(), fd.pos.clone()
    plus.pos[1, 2] += eps
    minus.pos[1, 2] -= eps
    numeric = -(_pair_energy(Batch.from_data_list([plus])) - _pair_energy(Batch.from_data_list([minus]))) / (2 * eps)
    assert forces_of(_pair_energy, [fd])[1, 2] == pytest.approx(float(numeric), rel=1e-6)

    def field(batch):  # a uniform external field: constant forces that do not rotate with the molecule
        return torch.zeros(batch.num_graphs, dtype=batch.pos.dtype).index_add(0, batch.batch, batch.pos[:, 0])

    with pytest.raises(AssertionError, match="do not rotate"):
        check_force_equivariance(field, graphs, rtol=1e-9, atol=1e-9)

    def chiral(batch):  # a pseudoscalar energy det(u, v, w) of three polar vectors: flips sign under reflections
        n = batch.num_graphs
        center = torch.zeros(n, 3, dtype=batch.pos.dtype).index_add(0, batch.batch, batch.pos)
        r = batch.pos - (center / torch.bincount(batch.batch).unsqueeze(1))[batch.batch]
        z = batch.z.to(r.dtype).unsqueeze(1)
        vecs = [torch.zeros(n, 3, dtype=r.dtype).index_add(0, batch.batch, w * r)
                for w in (z, z ** 2 * r.norm(dim=1, keepdim=True), torch.exp(-r.norm(dim=1, keepdim=True)))]
        return torch.linalg.det(torch.stack(vecs, dim=1))

    check_force_equivariance(chiral, graphs, reflections=False, rtol=1e-9, atol=1e-9)
    with pytest.raises(AssertionError, match="rotation-reflection"):
        check_force_equivariance(chiral, graphs, reflections=True, rtol=1e-9, atol=1e-9)


def test_irreps_equivariance():
    graphs = to_float64(tiny_graphs(hydrogens=True)[:4])

    def centred(batch):  # per-atom vector from the molecule's centroid: a polar vector (1o)
        center = torch.zeros(batch.num_graphs, 3, dtype=batch.pos.dtype).index_add_(0, batch.batch, batch.pos)
        center = center / torch.bincount(batch.batch).unsqueeze(1)
        r = batch.pos - center[batch.batch]
        return torch.cat([r.norm(dim=1, keepdim=True), r], dim=1)

    from e3nn import o3

    check_irreps_equivariance(centred, o3.Irreps("0e + 1o"), graphs, rtol=1e-9, atol=1e-9)
    with pytest.raises(AssertionError, match="rotation-reflection"):  # claimed axial (1e): wrong under reflections
        check_irreps_equivariance(centred, o3.Irreps("0e + 1e"), graphs, rtol=1e-9, atol=1e-9)
    check_irreps_equivariance(centred, o3.Irreps("0e + 1e"), graphs, reflections=False, rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------------------------------ the classes

BROKEN = '''
"""Broken components: each breaks specific contract rules (a test file run by test_contract_checks.py)."""
import sys

import torch
from pydantic import Field
from torch import nn

from molgdl import hookimpl
from molgdl.errors import FeaturizationError
from molgdl.specs import (AnalysisSpec, CallbackSpec, FeaturizerSpec, ModelSpec, NoParams, OptimizerSpec, Params,
                          ReadoutSpec)
from molgdl.testing import (AnalysisContract, CallbackContract, FeaturizerContract, ModelContract, OptimizerContract,
                            ReadoutContract, TinyGraphFeaturizer)


class Width(Params):
    width: int = Field(8, description="output width")


class Undocumented(Params):
    width: int = 8


class Leaky(nn.Module):
    """Subtracts the batch mean (not batch-consistent) and holds an unused layer."""

    def __init__(self, dims, width):
        super().__init__()
        self.out_dim = width
        self.lin = nn.Linear(dims.atom_dim, width)
        self.unused = nn.Linear(2, 2)

    def forward(self, batch):
        h = self.lin(batch.x)
        return h - h.mean(0, keepdim=True)


class RawPos(nn.Module):
    """Reads raw coordinates but claims E(3) invariance."""

    def __init__(self, dims, width):
        super().__init__()
        self.out_dim = width
        self.lin = nn.Linear(dims.atom_dim + 3, width)

    def forward(self, batch):
        return self.lin(torch.cat([batch.x, batch.pos], 1))


class FirstAtom(nn.Module):
    """Takes the first atom of each molecule: depends on the atom order."""

    def __init__(self, in_dim):
        super().__init__()
        self.out_dim = in_dim
        self.scale = nn.Parameter(torch.ones(in_dim))

    def forward(self, h, batch):
        return h[batch.ptr[:-1]] * self.scale


class OneWay(TinyGraphFeaturizer):
    """Stores each bond once and raises ValueError for molecules without coordinates."""

    def featurize(self, record):
        if record.z is None:
            raise ValueError("no coordinates")
        g = super().featurize(record)[0]
        g.edge_index, g.edge_attr = g.edge_index[:, 0::2], g.edge_attr[0::2]
        return [g]


class Forgetful(torch.optim.Optimizer):
    """Momentum SGD with the momentum outside ``state`` (lost on resume) and weight decay applied to
    parameters without gradient."""

    def __init__(self, params, lr=0.05):
        super().__init__(params, {"lr": lr})
        self.velocity = {}

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                p.mul_(0.999)
                if p.grad is None:
                    continue
                v = self.velocity.get(id(p), torch.zeros_like(p)) * 0.9 + p.grad
                self.velocity[id(p)] = v
                p.add_(v, alpha=-group["lr"])


def messy_analysis(params):
    def run(ctx):
        (ctx.run_dir / "stray.txt").write_text("outside out_dir")
        return {"mean_target": float(ctx.table.targets.mean())}  # NaN with missing targets
    return run


@hookimpl
def molgdl_models():
    return [ModelSpec("leaky", "batch statistics, unused layer", lambda p, d: Leaky(d, p.width), Width),
            ModelSpec("rawpos", "raw coordinates", lambda p, d: RawPos(d, p.width), Undocumented,
                      symmetry=frozenset({"permutation", "E3", "magic"}))]


@hookimpl
def molgdl_readouts():
    return [ReadoutSpec("first_atom", "first atom", lambda p, d: FirstAtom(d), NoParams)]


@hookimpl
def molgdl_featurizers():
    return [FeaturizerSpec("one_way", "bonds stored once", lambda p: OneWay(), NoParams)]


@hookimpl
def molgdl_optimizers():
    return [OptimizerSpec("forgetful", "momentum outside state", lambda p, ps: Forgetful(ps), NoParams)]


@hookimpl
def molgdl_analyses():
    return [AnalysisSpec("messy", "writes outside out_dir", messy_analysis, NoParams)]


def stray_callback(params):
    import pytorch_lightning as pl

    class Stray(pl.Callback):
        """Writes into the current directory instead of the run folder."""

        def on_train_end(self, trainer, pl_module):
            open("stray.txt", "w").write("oops")

    return Stray()


@hookimpl
def molgdl_callbacks():
    return [CallbackSpec("stray", "writes outside the run folder", stray_callback, NoParams)]


PLUGIN = sys.modules[__name__]


class TestLeaky(ModelContract):
    plugin, name = PLUGIN, "leaky"


class TestRawPos(ModelContract):
    plugin, name = PLUGIN, "rawpos"


class TestFirstAtom(ReadoutContract):
    plugin, name = PLUGIN, "first_atom"


class TestOneWay(FeaturizerContract):
    plugin, name = PLUGIN, "one_way"


class TestForgetful(OptimizerContract):
    plugin, name = PLUGIN, "forgetful"


class TestMessy(AnalysisContract):
    plugin, name = PLUGIN, "messy"


class TestStray(CallbackContract):
    plugin, name = PLUGIN, "stray"
'''

EXPECTED_FAILURES = {
    "TestLeaky::test_batch_consistency",
    "TestLeaky::test_all_parameters_receive_gradients",
    "TestRawPos::test_claimed_symmetries",
    "TestRawPos::test_claimed_symmetries_float64",
    "TestRawPos::test_forces_rotate_with_the_molecule[float32]",
    "TestRawPos::test_forces_rotate_with_the_molecule[float64]",
    "TestRawPos::test_params_are_documented",
    "TestFirstAtom::test_permutation_invariance",
    "TestOneWay::test_graph_data_contract",
    "TestOneWay::test_smiles_only_records",
    "TestOneWay::test_bad_molecule_raises_featurization_error",
    "TestForgetful::test_state_dict_roundtrip",
    "TestForgetful::test_skips_parameters_without_gradient",
    "TestMessy::test_writes_only_into_out_dir",
    "TestMessy::test_one_seed_and_missing_targets",
    "TestStray::test_survives_a_training_run_and_writes_only_under_the_run_folder",
    # the plugin module is this test file, which imports torch at module level
    *(f"{cls}::test_hooks_module_is_light"
      for cls in ("TestLeaky", "TestRawPos", "TestFirstAtom", "TestOneWay", "TestForgetful", "TestMessy",
                  "TestStray")),
}


@pytest.mark.slow
def test_contract_classes_fail_exactly_the_broken_rules(tmp_path):
    (tmp_path / "test_broken.py").write_text(textwrap.dedent(BROKEN))
    env = dict(os.environ, OMP_NUM_THREADS="1", MOLGDL_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rfEw", "-p", "no:cacheprovider",
                           "-W", "always::molgdl.testing.suites.ContractWarning", "test_broken.py"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=400, env=env)
    out = proc.stdout + proc.stderr
    failed = set(re.findall(r"^FAILED test_broken\.py::(\w+::[\w\[\]]+)", out, re.M))
    assert failed == EXPECTED_FAILURES, out[-6000:]
    assert "ERROR" not in out, out[-6000:]
    assert re.search(r"claims symmetry 'magic', which molgdl.testing has no check for", out), out[-3000:]
    counts = dict((k, int(v)) for v, k in re.findall(r"(\d+) (passed|failed)", out))
    assert counts["failed"] == len(EXPECTED_FAILURES) and counts["passed"] >= 50, out[-2000:]
