"""`molgdl run` with `readout: {name: diffpool}` after the 2D D-MPNN on a tiny ESOL slice (configs/esol_diffpool.yaml),
with the diffpool_clusters analysis; and the memory guard surfacing as a clear CLI error."""

from __future__ import annotations

SMALL_2D = ["--set", "data.source.limit=40", "--set", "descriptors=[]", "--set", "model.hidden_dim=32",
            "--set", "head.hidden_dim=32"]


def test_esol_diffpool_config_runs(run_cli, tmp_path, diffpool_e2e):
    e = diffpool_e2e
    code, out, err = run_cli("run", e.root / "configs" / "esol_diffpool.yaml", *e.quick, *SMALL_2D,
                             "--set", f"run.output_dir={tmp_path / 'runs'}")
    assert code == 0, out + err
    info = e.check_run(tmp_path / "runs" / "esol_diffpool", clusters=14, hydrogens=False)
    assert info["drawn"] == info["n_molecules"]  # 2D graphs always match Chem.MolFromSmiles


def test_memory_guard_is_a_clear_cli_error(run_cli, tmp_path, diffpool_e2e):
    e = diffpool_e2e
    code, out, err = run_cli("run", e.root / "configs" / "esol_diffpool.yaml", *e.quick, *SMALL_2D,
                             "--set", f"run.output_dir={tmp_path / 'runs'}", "--set", "readout.max_dense_entries=100")
    assert code != 0
    text = out + err
    assert "max_dense_entries" in text and "batch_size" in text and "fix:" in text
