"""Every shipped config validates, and the 3D configs train end to end in CI-sized form (bundled data)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from molgdl.cli import main

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_config_validates(path, capsys):
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("name, overrides, metric", [
    ("qm9_e3nn.yaml", ["data.source.limit=160", "trainer.max_epochs=2", "model.num_layers=2",
                       "model.num_features=8", "trainer.batch_size=16"], "U0_atom"),
    ("ethanol_forces.yaml", ["data.source.limit=40", "trainer.max_epochs=2", "trainer.batch_size=8"], "forces"),
])
def test_3d_configs_train_end_to_end(tmp_path, name, overrides, metric):
    path = next(p for p in CONFIGS if p.name == name)
    args = ["run", str(path), "--set", f"run.output_dir={tmp_path}", "--set", f"data.cache_dir={tmp_path / 'cache'}",
            "--set", "trainer.progress_bar=false", "--set", "trainer.accelerator=cpu"]
    for o in overrides:
        args += ["--set", o]
    assert main(args) == 0
    run = next(p for p in tmp_path.iterdir() if (p / "summary.json").exists())
    summary = json.loads((run / "summary.json").read_text())
    assert summary["test"][metric]["mae"]["mean"] >= 0
