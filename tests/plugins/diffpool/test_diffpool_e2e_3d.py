"""`molgdl run` with the diffpool readout after SchNet on the bundled QM9 slice (conformer3d: DFT geometry,
hydrogens included), radius-graph adjacency, with the diffpool_clusters analysis (configs/qm9_diffpool.yaml)."""

from __future__ import annotations


def test_qm9_diffpool_config_runs(run_cli, tmp_path, diffpool_e2e):
    e = diffpool_e2e
    code, out, err = run_cli("run", e.root / "configs" / "qm9_diffpool.yaml", *e.quick,
                             "--set", "data.source.limit=40", "--set", "model.hidden_channels=16",
                             "--set", "model.num_filters=16", "--set", "model.num_interactions=1",
                             "--set", f"run.output_dir={tmp_path / 'runs'}")
    assert code == 0, out + err
    info = e.check_run(tmp_path / "runs" / "qm9_diffpool", clusters=8, hydrogens=True)
    assert 0 < info["mean_clusters_used"] <= 8
