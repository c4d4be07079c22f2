"""Resume integrity (issue 19): the run's config and data fingerprints are checked by --resume, metrics
history survives a resume, checkpoints are written atomically and a truncated one falls back to the previous
good one.
"""

from __future__ import annotations

import csv
import errno
import json

import pytest
import torch
import yaml

from core_helpers import csv_source, flat, good_rows, read_json, run_dir, tiny_config, write_config, write_csv


def _run(run_cli, tmp_path, cfg, *extra):
    return run_cli("run", write_config(tmp_path / "cfg.yaml", cfg), *extra)


def _as_interrupted(folder) -> None:
    """Make a finished run look killed during training: status 'running', no results of seed 0 yet."""
    status = read_json(folder / "status.json")
    (folder / "status.json").write_text(json.dumps({**status, "state": "running"}))
    for name in ("metrics.json", "predictions.csv", "model.pt"):
        (folder / "seed_0" / name).unlink()
    (folder / "summary.json").unlink()


def _val_epochs(folder) -> list[int]:
    """Epochs of the validation rows of seed 0's logs/metrics.csv, in file order."""
    with (folder / "seed_0" / "logs" / "metrics.csv").open() as fh:
        return [int(r["epoch"]) for r in csv.DictReader(fh) if r.get("val/loss")]


def _ckpt_epoch(path) -> int:
    return torch.load(path, map_location="cpu", weights_only=True)["epoch"]


# ---------------------------------------------------------------- config and data fingerprints


def test_resume_with_a_changed_config_is_refused(run_cli, tmp_path, user_message):
    cfg = tiny_config(tmp_path)
    cfg["trainer"]["max_epochs"] = 2
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    folder = run_dir(cfg)
    identity = read_json(folder / "run_identity.json")
    assert identity["config"]["model"]["hidden_dim"] == 32 and len(identity["config_sha256"]) == 64
    _as_interrupted(folder)
    saved = (folder / "config.yaml").read_text()
    status = (folder / "status.json").read_text()

    code, out, err = _run(run_cli, tmp_path, cfg, "--resume", "--set", "model.hidden_dim=64",
                          "--set", "optimizer.lr=0.01")
    assert code == 2
    msg = flat(err)
    assert (f"error: cannot resume {folder}: the config differs from the one the run started with in 2 "
            "key(s): model.hidden_dim: 32 -> 64; optimizer.lr: 0.001 -> 0.01; nothing was changed") in msg
    assert (f"fix: resume with the run's own config (`molgdl run {folder / 'config.yaml'} --resume`) or put "
            "those values back; to train with the new values, change run.name (or pass --overwrite to "
            "replace this run)" in msg)
    user_message("resume_changed_config", err[err.index("error:"):].strip())
    assert (folder / "config.yaml").read_text() == saved  # not rewritten
    # still 'running': the refusal changed nothing
    assert json.loads((folder / "status.json").read_text()) == json.loads(status)
    assert not (folder / ".lock").exists()

    # the fix works: the run's own config.yaml resumes it
    code, out, err = run_cli("run", folder / "config.yaml", "--resume")
    assert code == 0, err
    assert read_json(folder / "status.json")["state"] == "completed"


def test_resume_may_change_keys_that_only_drive_the_run(run_cli, tmp_path):
    cfg = tiny_config(tmp_path)
    cfg["trainer"]["max_epochs"] = 1
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    folder = run_dir(cfg)
    _as_interrupted(folder)
    code, out, err = _run(run_cli, tmp_path, cfg, "--resume", "--set", "trainer.max_epochs=2",
                          "--set", "data.num_workers=2")
    assert code == 0, err
    assert ("resumed with changed settings: data.num_workers: 1 -> 2; trainer.max_epochs: 1 -> 2"
            in (folder / "run.log").read_text())
    assert yaml.safe_load((folder / "config.yaml").read_text())["trainer"]["max_epochs"] == 2
    assert read_json(folder / "run_identity.json")["config"]["trainer"]["max_epochs"] == 2


def test_resume_with_changed_data_is_refused(run_cli, tmp_path, user_message):
    data = write_csv(tmp_path / "d.csv", good_rows(40))
    original = data.read_bytes()
    cfg = tiny_config(tmp_path, data={"source": csv_source(data)})
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    folder = run_dir(cfg)
    recorded = read_json(folder / "run_identity.json")["data"]
    assert recorded["n_molecules"] == 40 and recorded["file"]["size"] == len(original)
    _as_interrupted(folder)
    split = (folder / "seed_0" / "split.json").read_text()
    status = (folder / "status.json").read_text()

    rows = good_rows(40)
    rows[3] = (rows[3][0], 99.0)  # one target edited
    rows.append(("CCCl", 0.5))  # one molecule added
    write_csv(data, rows)
    code, out, err = _run(run_cli, tmp_path, cfg, "--resume")
    assert code == 2
    msg = flat(err)
    new_size = data.stat().st_size
    assert (f"error: cannot resume {folder}: the data changed since the run started: data file {data} "
            f"changed ({len(original)} -> {new_size} bytes, sha256 {recorded['file']['sha256'][:12]} "
            "-> ") in msg
    assert ("; 40 -> 41 molecules; the molecules (ids, SMILES or structures) differ; the targets differ; "
            "resuming would split the new data again and move training molecules into the test set, so "
            "nothing was changed" in msg)
    assert ("fix: restore the data the run was trained on (its fingerprint is in "
            f"{folder / 'run_identity.json'}), or train on the new data as a new run (change run.name, or "
            "pass --overwrite)") in msg
    user_message("resume_changed_data", err[err.index("error:"):].strip())
    assert (folder / "seed_0" / "split.json").read_text() == split  # not re-split
    assert json.loads((folder / "status.json").read_text()) == json.loads(status)
    assert read_json(folder / "run_identity.json")["data"] == recorded

    data.write_bytes(original)  # the fix: the original data resumes
    code, out, err = _run(run_cli, tmp_path, cfg, "--resume")
    assert code == 0, err
    assert (folder / "seed_0" / "split.json").read_text() == split
    assert read_json(folder / "status.json")["state"] == "completed"


def test_a_changed_target_alone_is_found(tmp_path):
    from molgdl.data.table import MoleculeRecord, MoleculeTable
    from molgdl.run.identity import data_changes, data_fingerprint

    def table(y):
        records = [MoleculeRecord("a", "CCO", 1), MoleculeRecord("b", "CCN", 2)]
        return MoleculeTable(records, [[1.0], [y]], ["y"], "regression", "mem")

    same, other = data_fingerprint(table(2.0)), data_fingerprint(table(2.5))
    assert data_changes(same, data_fingerprint(table(2.0))) == []
    assert data_changes(same, other) == ["the targets differ"]


def test_config_changes_name_nested_and_list_keys():
    from molgdl.run.identity import config_changes

    old = {"model": {"name": "dmpnn", "hidden_dim": 32}, "descriptors": [{"name": "morgan", "radius": 2}],
           "run": {"seeds": [0, 1]}}
    new = {"model": {"name": "dmpnn", "hidden_dim": 32}, "descriptors": [{"name": "morgan", "radius": 3}],
           "run": {"seeds": [0]}}
    assert config_changes(old, new) == [("descriptors[0].radius", 2, 3), ("run.seeds", [0, 1], [0])]


# ---------------------------------------------------------------- metrics history and checkpoints


def test_metrics_history_is_kept_across_a_resume(run_cli, tmp_path):
    cfg = tiny_config(tmp_path)
    cfg["trainer"]["max_epochs"] = 2
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    folder = run_dir(cfg)
    assert _val_epochs(folder) == [0, 1]
    _as_interrupted(folder)
    code, out, err = _run(run_cli, tmp_path, cfg, "--resume", "--set", "trainer.max_epochs=4")
    assert code == 0, err
    assert _val_epochs(folder) == [0, 1, 2, 3]  # appended, not replaced


def test_truncated_last_checkpoint_falls_back_to_the_previous_one(run_cli, tmp_path, user_message):
    cfg = tiny_config(tmp_path)
    cfg["trainer"]["max_epochs"] = 3
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    folder = run_dir(cfg)
    ckpts = folder / "seed_0" / "checkpoints"
    last, prev = ckpts / "last.ckpt", ckpts / "last.prev.ckpt"
    assert _ckpt_epoch(last) == 2 and _ckpt_epoch(prev) == 1
    _as_interrupted(folder)
    data = last.read_bytes()
    last.write_bytes(data[: len(data) // 2])  # what a full disk did to a non-atomic write
    code, out, err = _run(run_cli, tmp_path, cfg, "--resume")
    assert code == 0, err
    msg = flat(err)
    assert f"seed 0: checkpoint {last} (" in msg
    assert f") is unreadable (truncated or corrupted?), so training resumes from {prev} (epoch 1)" in msg
    user_message("truncated_checkpoint", [ln for ln in err.splitlines() if "unreadable" in ln][0].strip())
    assert f"seed 0: resuming from {prev}" in (folder / "run.log").read_text()
    assert read_json(folder / "status.json")["state"] == "completed"
    assert _ckpt_epoch(last) == 2  # epoch 2 trained again
    assert _val_epochs(folder) == [0, 1, 2]  # the rows of the lost epoch 2 are replaced, not repeated


def test_unreadable_last_and_previous_fall_back_to_best(tmp_path):
    from molgdl.train.checkpoint_io import resume_checkpoint

    good = {"state_dict": {"w": torch.zeros(2)}, "epoch": 4, "global_step": 40}
    torch.save(good, tmp_path / "best.ckpt")
    (tmp_path / "last.ckpt").write_bytes(b"")
    (tmp_path / ".last.ckpt.999.tmp").write_bytes(b"half")  # left by a killed run
    (tmp_path / "last.prev.ckpt").write_bytes(b"garbage")
    assert resume_checkpoint(tmp_path, "seed 0") == (tmp_path / "best.ckpt", 4)
    assert not (tmp_path / ".last.ckpt.999.tmp").exists()
    (tmp_path / "best.ckpt").write_bytes(b"PK\x03\x04")
    assert resume_checkpoint(tmp_path, "seed 0") == (None, -1)


def test_interrupted_checkpoint_write_keeps_the_old_file(tmp_path, monkeypatch):
    from molgdl.train import checkpoint_io

    path = tmp_path / "last.ckpt"
    checkpoint_io.atomic_save({"state_dict": {}, "epoch": 0}, path)
    old = path.read_bytes()

    def killed(checkpoint, fh):
        fh.write(b"half a checkpoint")
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint_io, "_dump", killed)
    with pytest.raises(KeyboardInterrupt):
        checkpoint_io.atomic_save({"state_dict": {}, "epoch": 1}, path)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.ckpt"]  # no temporary file left

    monkeypatch.undo()
    # the next save keeps the current one as last.prev.ckpt
    checkpoint_io.atomic_save({"state_dict": {}, "epoch": 1}, path)
    assert _ckpt_epoch(path) == 1 and _ckpt_epoch(tmp_path / "last.prev.ckpt") == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.ckpt", "last.prev.ckpt"]


def test_disk_full_during_a_checkpoint_write_fails_cleanly_and_resumes(run_cli, tmp_path, monkeypatch,
                                                                       user_message):
    from molgdl.train import checkpoint_io

    real = checkpoint_io._dump
    seen = []

    def disk_full(checkpoint, fh):
        seen.append(checkpoint["epoch"])
        if checkpoint["epoch"] >= 1:  # epoch 0 saved; the disk is full from epoch 1 on
            fh.write(b"\0" * 1000)
            raise OSError(errno.ENOSPC, "No space left on device")
        real(checkpoint, fh)

    monkeypatch.setattr(checkpoint_io, "_dump", disk_full)
    cfg = tiny_config(tmp_path)
    cfg["trainer"]["max_epochs"] = 3
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2
    folder = run_dir(cfg)
    ckpts = folder / "seed_0" / "checkpoints"
    msg = flat(err)
    assert "error: could not write checkpoint " in msg and ": No space left on device (the previous " in msg
    assert (f"fix: free space on the disk of {ckpts} (df -h) or point run.output_dir at another disk, then "
            "continue with `molgdl run CONFIG --resume`") in msg
    user_message("disk_full_checkpoint", err[err.index("error:"):].strip())
    status = read_json(folder / "status.json")
    assert status["state"] == "failed" and status["error"].startswith("could not write checkpoint ")
    assert _ckpt_epoch(ckpts / "last.ckpt") == 0 and _ckpt_epoch(ckpts / "best.ckpt") == 0
    assert not [p.name for p in ckpts.iterdir() if p.name.endswith(".tmp")]  # no partial files left
    assert not (folder / ".lock").exists()

    monkeypatch.setattr(checkpoint_io, "_dump", real)  # space freed
    code, out, err = _run(run_cli, tmp_path, cfg, "--resume")
    assert code == 0, err
    assert read_json(folder / "status.json")["state"] == "completed"
    assert _ckpt_epoch(ckpts / "last.ckpt") == 2
    assert _val_epochs(folder) == [0, 1, 2]
    assert read_json(folder / "seed_0" / "metrics.json")["metrics"]["test"]["overall"]["rmse"] > 0


def test_disk_full_outside_a_checkpoint_is_a_message_and_the_run_resumes(run_cli, tmp_path, monkeypatch,
                                                                         user_message):
    import molgdl.run.pipeline as pipeline

    def disk_full(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    real = pipeline.write_predictions
    monkeypatch.setattr(pipeline, "write_predictions", disk_full)
    cfg = tiny_config(tmp_path)
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2
    folder = run_dir(cfg)
    msg = flat(err)
    predictions = folder / "seed_0" / "predictions.csv"
    assert (f"error: could not write {predictions}: No space left on device fix: free "
            "space on that disk (df -h) or point run.output_dir at another disk, then continue with "
            "`molgdl run CONFIG --resume`") in msg
    user_message("disk_full_other_file", err[err.index("error:"):].strip())
    status = read_json(folder / "status.json")
    assert status["state"] == "failed" and "No space left on device" in status["error"]
    assert not (folder / ".lock").exists()

    monkeypatch.setattr(pipeline, "write_predictions", real)
    code, out, err = _run(run_cli, tmp_path, cfg, "--resume")
    assert code == 0, err
    assert read_json(folder / "status.json")["state"] == "completed"
    assert len((folder / "seed_0" / "predictions.csv").read_text().splitlines()) == 41


def test_a_run_without_a_recorded_config_warns_only_when_something_was_trained(tmp_path, caplog, request):
    from molgdl.data.table import MoleculeRecord, MoleculeTable
    from molgdl.run.identity import check_config, check_or_record_data

    import logging

    logger = logging.getLogger("molgdl")  # the CLI stops propagation to the root logger caplog listens on
    logger.addHandler(caplog.handler)
    request.addfinalizer(lambda: logger.removeHandler(caplog.handler))
    table = MoleculeTable([MoleculeRecord("a", "CCO", 1)], [[1.0]], ["y"], "regression", "mem")
    with caplog.at_level("WARNING", logger="molgdl"):
        check_config(tmp_path, {"model": {"name": "dmpnn"}})  # a folder `molgdl tune` just opened
        check_or_record_data(tmp_path, table, resume=True)
    assert caplog.records == []
    (tmp_path / "seed_0").mkdir()  # an earlier molgdl's run: trained, but nothing recorded
    (tmp_path / "run_identity.json").unlink()
    with caplog.at_level("WARNING", logger="molgdl"):
        check_config(tmp_path, {"model": {"name": "dmpnn"}})
        check_or_record_data(tmp_path, table, resume=True)
    text = " ".join(r.getMessage() for r in caplog.records)
    assert "records no config" in text and "records no data fingerprint" in text
    assert json.loads((tmp_path / "run_identity.json").read_text())["data"]["n_molecules"] == 1
