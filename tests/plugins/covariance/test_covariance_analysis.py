"""The learned_vs_descriptors analysis: registration and light imports, the pure comparison on planted data,
and an end-to-end `molgdl run` on a tiny ESOL subset that writes the report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[3]
FILES = ["block_parameters.csv", "blocks.csv", "correlation_heatmap.png", "features.csv", "interconnection.csv",
         "interconnection_heatmap.png", "partial_correlations.csv", "summary.md", "top_descriptors.csv"]


def test_entry_point_and_spec(molgdl_pm):
    from importlib.metadata import entry_points

    from molgdl.registry import Registry
    from molgdl_covariance import hooks

    assert {ep.name: ep.value for ep in entry_points(group="molgdl")}["covariance"] == "molgdl_covariance.hooks"
    molgdl_pm.register(hooks)
    spec = Registry(molgdl_pm).get("analysis", "learned_vs_descriptors")
    assert all(f.description for f in spec.params.model_fields.values())


def test_hooks_import_is_light():
    code = ("import sys, molgdl_covariance.hooks as h; h.molgdl_analyses()\n"
            "print(sorted(m for m in ('torch', 'rdkit', 'sklearn', 'matplotlib', 'pandas', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_comparison_finds_the_planted_link():
    """Two learned factors: f0 drives descriptors 0-4 (r ~ 0.8), f1 is unrelated to any descriptor; sign flips of
    single features must not change the block model (orientation)."""
    from molgdl_covariance import compare_feature_sets

    rng = np.random.default_rng(0)
    n = 300
    f = rng.standard_normal((n, 3))
    learned = np.column_stack([f[:, 0] + 0.3 * rng.standard_normal(n) for _ in range(4)]
                              + [f[:, 1] + 0.3 * rng.standard_normal(n) for _ in range(3)])
    learned[:, 1] *= -1.0
    desc = np.column_stack([f[:, 0] + 0.4 * rng.standard_normal(n) for _ in range(5)]
                           + [f[:, 2] + 0.4 * rng.standard_normal(n) for _ in range(5)]
                           + [np.ones(n)])  # a constant descriptor, dropped
    cmp = compare_feature_sets(learned, desc, method="hierarchical")
    assert cmp.summary["dropped_descriptors_constant"] == 1
    assert cmp.summary["n_communities"] == 3 and cmp.summary["n_mixed_communities"] == 1
    feats = cmp.features.set_index("name")
    assert feats.loc["h1", "sign"] == -feats.loc["h0", "sign"]
    inter = cmp.interconnection
    link = cmp.summary["strongest_link"]
    assert link["mean_r"] > 0.6 and inter.to_numpy().max() == inter.loc[link["learned_block"], link["descriptor_block"]]
    assert np.sort(np.abs(inter.to_numpy()).ravel())[-2] < 0.2  # every other learned x descriptor block is ~0
    top = cmp.top_descriptors[cmp.top_descriptors.learned_block == link["learned_block"]]
    assert set(top.descriptor) == {f"d{i}" for i in range(5)}
    assert 0.0 < cmp.summary["linear_cka"] < 1.0 and cmp.summary["precision"] == "bias-corrected"


def test_molgdl_run_writes_the_report(cli, tmp_path):
    cfg = {
        "run": {"name": "lvd", "output_dir": str(tmp_path / "runs"), "seeds": [0]},
        "data": {"source": {"name": "esol", "limit": 60}, "progress": False},
        "featurizer": {"name": "graph2d"},
        "model": {"name": "dmpnn", "hidden_dim": 12, "depth": 2},
        "head": {"hidden_dim": 12},
        "trainer": {"max_epochs": 2, "batch_size": 20, "progress_bar": False, "accelerator": "cpu",
                    "early_stopping": None, "num_threads": 1},
        "analyses": [{"name": "learned_vs_descriptors", "method": "louvain", "top_k": 3}],
    }
    path = tmp_path / "lvd.yaml"
    path.write_text(yaml.safe_dump(cfg))
    code, out, err = cli("run", str(path))
    assert code == 0, out + err
    run = tmp_path / "runs" / "lvd"
    out_dir = run / "analyses" / "learned_vs_descriptors"
    assert sorted(p.name for p in out_dir.iterdir()) == FILES
    result = json.loads((run / "summary.json").read_text())["analyses"]["learned_vs_descriptors"]
    assert result["n_molecules"] == 60 and result["n_learned"] <= 12
    assert result["files"] == FILES and 0.0 <= result["linear_cka"] <= 1.0
    feats = pd.read_csv(out_dir / "features.csv")
    assert len(feats) == result["n_learned"] + result["n_descriptors"]
    assert result["dropped_descriptors_constant"] > 0  # 60 molecules: many fragment counts are constant
    assert "constant" in (out_dir / "summary.md").read_text()


def test_esol_analysis_config_validates(cli):
    code, out, err = cli("validate", str(ROOT / "configs" / "esol_analysis.yaml"))
    assert code == 0, out + err
