"""Bad inputs: each gives a short message that says what, where and how to fix it, never a traceback.

The messages asserted here are the ones documented in docs/bad_inputs.md (refresh them with
``MOLGDL_RECORD_MESSAGES=/tmp/m.json pytest tests/core/test_bad_inputs.py``).
"""

from __future__ import annotations

import csv
import json
import time
import types

import pytest
import torch

from core_helpers import (
    csv_source,
    flat,
    good_rows,
    read_json,
    run_dir,
    tiny_config,
    write_config,
    write_csv,
)


def _run(run_cli, tmp_path, cfg, *extra, name="cfg.yaml"):
    code, out, err = run_cli("run", write_config(tmp_path / name, cfg), *extra)
    return code, out, err


def _error_line(err: str) -> str:
    """The 'error: ...' paragraph the CLI printed (with its 'fix:' line)."""
    text = err[err.index("error:"):] if "error:" in err else err
    return text.strip()


def _invalid_rows(folder) -> list[dict[str, str]]:
    with (folder / "invalid_rows.csv").open() as fh:
        return list(csv.DictReader(fh))


# ---------------------------------------------------------------- invalid rows


def test_invalid_smiles_rows_are_skipped_counted_and_listed(run_cli, tmp_path, user_message):
    rows = good_rows(40)
    rows[4] = ("C1CC", 0.5)  # unclosed ring
    rows[17] = ("not_a_smiles", 0.7)
    cfg = tiny_config(tmp_path, data={"source": csv_source(write_csv(tmp_path / "d.csv", rows)),
                                      "max_invalid_fraction": 0.1})
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    folder = run_dir(cfg)
    warning = "2 of 40 rows invalid (5.0%), listed in invalid_rows.csv"
    assert warning in flat(err)
    assert warning in (folder / "run.log").read_text()
    user_message("invalid_smiles_rows", [ln for ln in err.splitlines() if "rows invalid" in ln][0])
    bad = _invalid_rows(folder)
    assert [(r["row"], r["smiles"]) for r in bad] == [("5", "C1CC"), ("18", "not_a_smiles")]
    assert all(r["reason"] for r in bad)
    user_message("invalid_smiles_rows_csv", (folder / "invalid_rows.csv").read_text())
    summary = read_json(folder / "summary.json")
    assert summary["n_invalid"] == 2 and summary["n_molecules"] == 40
    assert read_json(folder / "status.json")["state"] == "completed"


def test_too_many_invalid_rows_fail_the_run(run_cli, tmp_path, user_message):
    rows = good_rows(20)
    for i in (1, 5, 9):
        rows[i] = ("C1CC", 1.0)
    cfg = tiny_config(tmp_path, data={"source": csv_source(write_csv(tmp_path / "d.csv", rows))})
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2
    msg = flat(err)
    assert "error: 3 of 20 rows (15.0%) are invalid, more than data.max_invalid_fraction=0.05. First: row 2 " \
           "(id 'row2'): SMILES 'C1CC' could not be parsed" in msg
    assert "row 2: row 2" not in msg  # the row is named once
    assert "fix: fix those rows (all are listed in invalid_rows.csv in the run folder) or raise " \
           "data.max_invalid_fraction" in msg
    user_message("too_many_invalid_rows", _error_line(err))
    folder = run_dir(cfg)
    assert [r["row"] for r in _invalid_rows(folder)] == ["2", "6", "10"]
    status = read_json(folder / "status.json")
    assert status["state"] == "failed" and "are invalid" in status["error"]


def test_reader_level_invalid_rows_count_towards_the_limit(run_cli, tmp_path):
    rows = good_rows(20)
    rows[1] = ("", 1.0)
    rows[3] = ("CCO", "n.a.")
    cfg = tiny_config(tmp_path, data={"source": csv_source(write_csv(tmp_path / "d.csv", rows))})
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2
    assert "2 of 20 rows (10.0%) are invalid, more than data.max_invalid_fraction=0.05. First: row 2: empty " \
           "SMILES in column 'smiles'; row 4: non-numeric value 'n.a.' in target column 'y'" in flat(err)


def test_empty_smiles_and_non_numeric_cells_are_invalid_rows(run_cli, tmp_path):
    rows = good_rows(40)
    rows[3] = ("", 1.0)
    rows[7] = ("CCO", "abc")
    cfg = tiny_config(tmp_path, data={"source": csv_source(write_csv(tmp_path / "d.csv", rows)),
                                      "max_invalid_fraction": 0.1})
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    bad = {r["row"]: r["reason"] for r in _invalid_rows(run_dir(cfg))}
    assert bad == {"4": "empty SMILES in column 'smiles'", "8": "non-numeric value 'abc' in target column 'y'"}


# ---------------------------------------------------------------- data files


def test_empty_file(run_cli, tmp_path, user_message):
    (tmp_path / "empty.csv").write_text("")
    cfg = tiny_config(tmp_path, data={"source": csv_source(tmp_path / "empty.csv")})
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2
    assert f"error: CSV file is empty: {tmp_path / 'empty.csv'}" in flat(err)
    assert "fix: the file needs a header line and at least one data row" in flat(err)
    user_message("empty_file", _error_line(err))


def test_header_only_file(run_cli, tmp_path, user_message):
    (tmp_path / "head.csv").write_text("smiles,y\n")
    cfg = tiny_config(tmp_path, data={"source": csv_source(tmp_path / "head.csv")})
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2
    assert "has a header but no data rows (columns: ['smiles', 'y'])" in flat(err)
    user_message("header_only_file", _error_line(err))


def test_missing_target_column_lists_the_columns_found(run_cli, tmp_path, user_message):
    data = write_csv(tmp_path / "d.csv", [(s, y, 1) for s, y in good_rows(10)], header=("smiles", "logS", "mw"))
    cfg = tiny_config(tmp_path, data={"source": csv_source(data, target_columns=["logs"])})
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2
    assert "no target column 'logs' (did you mean 'logS'?); columns found: ['smiles', 'logS', 'mw']" in flat(err)
    assert "fix: set `target_columns` to one of the columns found" in flat(err)
    user_message("missing_target_column", _error_line(err))


def test_missing_smiles_column(run_cli, tmp_path, user_message):
    data = write_csv(tmp_path / "d.csv", good_rows(10), header=("SMILES", "y"))
    cfg = tiny_config(tmp_path, data={"source": csv_source(data)})
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2
    assert "no SMILES column 'smiles' (did you mean 'SMILES'?); columns found: ['SMILES', 'y']" in flat(err)
    user_message("missing_smiles_column", _error_line(err))


def test_non_numeric_target_column(run_cli, tmp_path, user_message):
    rows = [(s, "high" if i % 2 else "low") for i, (s, _) in enumerate(good_rows(10))]
    cfg = tiny_config(tmp_path, data={"source": csv_source(write_csv(tmp_path / "d.csv", rows))})
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2
    assert "target column 'y' is not numeric: 10 of 10 non-empty cells are not numbers, e.g. 'low' in data row 1" \
        in flat(err)
    user_message("non_numeric_target", _error_line(err))


def test_all_missing_target_column(run_cli, tmp_path, user_message):
    rows = [(s, "" if i % 2 else "NaN") for i, (s, _) in enumerate(good_rows(10))]
    cfg = tiny_config(tmp_path, data={"source": csv_source(write_csv(tmp_path / "d.csv", rows))})
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2
    assert "target column 'y' is entirely empty (10 rows, no value)" in flat(err)
    user_message("all_missing_target", _error_line(err))


def test_non_binary_classification_labels(run_cli, tmp_path, user_message):
    rows = [(s, i % 3) for i, (s, _) in enumerate(good_rows(12))]
    cfg = tiny_config(tmp_path, data={"source": csv_source(write_csv(tmp_path / "d.csv", rows), task="classification")})
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2
    assert "classification target 'y' must be 0 or 1, found 2" in flat(err)
    user_message("non_binary_labels", _error_line(err))


def test_nonexistent_data_file(run_cli, tmp_path, user_message):
    cfg = tiny_config(tmp_path, data={"source": csv_source("missing/data.csv")})
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2
    assert f"error: CSV file not found: {tmp_path / 'missing' / 'data.csv'} (params.path='missing/data.csv')" in flat(err)
    user_message("nonexistent_data_file", _error_line(err))
    assert not run_dir(cfg).exists() or read_json(run_dir(cfg) / "status.json")["state"] == "failed"


def test_nonexistent_config_file(run_cli, tmp_path, user_message):
    code, out, err = run_cli("run", "configs/nope.yaml")
    assert code == 2
    assert f"error: config file not found: {tmp_path / 'configs' / 'nope.yaml'}" in flat(err)
    user_message("nonexistent_config_file", _error_line(err))


# ---------------------------------------------------------------- config mistakes


def test_unknown_config_key(run_cli, tmp_path, user_message):
    cfg = tiny_config(tmp_path)
    cfg["trainer"]["epochs"] = cfg["trainer"].pop("max_epochs")
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2
    assert "trainer.epochs: unknown key (did you mean 'max_epochs'?); valid keys: accelerator" in flat(err)
    user_message("unknown_config_key", _error_line(err))
    assert not run_dir(cfg).exists()  # nothing is created for an invalid config


def test_unknown_component_name(run_cli, tmp_path, user_message):
    cfg = tiny_config(tmp_path, model={"name": "dmpnn2"})
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2
    assert "model.name: unknown model 'dmpnn2' (did you mean 'dmpnn'?); installed models: dmpnn, " in flat(err)
    assert ", gine, " in flat(err)
    user_message("unknown_component", _error_line(err))


def test_wrong_parameter_type(run_cli, tmp_path, user_message):
    cfg = tiny_config(tmp_path, model={"name": "dmpnn", "hidden_dim": "wide"})
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2
    assert "model.hidden_dim: Input should be a valid integer, unable to parse string as an integer (got 'wide')" \
        in flat(err)
    user_message("wrong_parameter_type", _error_line(err))


def test_split_fractions_not_summing_to_one(run_cli, tmp_path, user_message):
    cfg = tiny_config(tmp_path, split={"name": "random", "sizes": [0.7, 0.2, 0.2]})
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2
    assert "split.sizes: Value error, split fractions must sum to 1, got 1.1 from [0.7, 0.2, 0.2]" in flat(err)
    user_message("split_fractions", _error_line(err))


# ---------------------------------------------------------------- featurization


def test_conformer_failure_is_reported_in_invalid_rows(run_cli, tmp_path, user_message):
    # cyclopropyne cannot be embedded in 3D (ETKDG fails, also from random coordinates)
    rows = good_rows(24)
    rows[6] = ("C1#CC1", 0.3)
    cfg = tiny_config(
        tmp_path,
        data={"source": csv_source(write_csv(tmp_path / "d.csv", rows)), "max_invalid_fraction": 0.1},
        featurizer={"name": "conformer3d", "optimize": False, "max_attempts": 20},
        model={"name": "schnet", "hidden_channels": 16, "num_filters": 16, "num_interactions": 1,
               "num_gaussians": 10},
    )
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    assert "1 of 24 rows invalid (4.2%), listed in invalid_rows.csv" in flat(err)
    bad = _invalid_rows(run_dir(cfg))
    assert [(r["row"], r["smiles"]) for r in bad] == [("7", "C1#CC1")]
    assert "conformer" in bad[0]["reason"].lower() or "embed" in bad[0]["reason"].lower(), bad[0]["reason"]
    user_message("conformer_failure", bad[0]["reason"])
    pred = (run_dir(cfg) / "seed_0" / "predictions.csv").read_text().splitlines()
    assert len(pred) == 25  # the failed molecule is listed, without a prediction


# ---------------------------------------------------------------- training


def test_dataset_smaller_than_a_batch(run_cli, tmp_path, user_message):
    cfg = tiny_config(tmp_path)
    cfg["trainer"]["batch_size"] = 64
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2
    assert "error: the training split has 32 molecules, fewer than one batch (trainer.batch_size=64)" in flat(err)
    assert "fix: set trainer.batch_size to at most 32 or use more data" in flat(err)
    user_message("smaller_than_batch", _error_line(err))
    assert read_json(run_dir(cfg) / "status.json")["state"] == "failed"


def test_nan_loss_stops_with_the_epoch(run_cli, tmp_path, user_message):
    cfg = tiny_config(tmp_path, optimizer={"name": "sgd", "lr": 1e30})
    cfg["trainer"]["max_epochs"] = 3
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2, err
    msg = flat(err)
    assert "error: the training loss became" in msg and "at epoch 0, batch" in msg
    assert "no epoch finished, so there is no checkpoint" in msg
    assert "fix: lower optimizer.lr, add trainer.gradient_clip_val, or check the targets for extreme values" in msg
    user_message("nan_loss_first_epoch", _error_line(err))
    status = read_json(run_dir(cfg) / "status.json")
    assert status["state"] == "failed" and "the training loss became" in status["error"]
    assert not (run_dir(cfg) / "seed_0" / "checkpoints" / "best.ckpt").exists()


class _PoisonWeights:
    """Callback factory: from epoch ``at_epoch`` on, the weights are NaN (a stand-in for a diverging run)."""

    def __new__(cls, params):
        import pytorch_lightning as pl

        class Poison(pl.Callback):
            def on_train_epoch_start(self, trainer, pl_module):
                if trainer.current_epoch >= 1:
                    with torch.no_grad():
                        for p in pl_module.parameters():
                            p.fill_(float("nan"))

        return Poison()


def test_nan_loss_after_an_epoch_keeps_the_best_checkpoint(tmp_path, monkeypatch, user_message):
    from molgdl.config import load_config
    from molgdl.errors import TrainingError
    from molgdl.plugins import create_plugin_manager
    from molgdl.run.pipeline import run_pipeline
    from molgdl.run.resolve import resolve
    from molgdl.specs import CallbackSpec

    from molgdl import hookimpl

    plug = types.ModuleType("poison_plugin")
    plug.molgdl_callbacks = hookimpl(lambda: [CallbackSpec("poison", "NaN weights from epoch 1", _PoisonWeights)])
    monkeypatch.chdir(tmp_path)
    cfg = tiny_config(tmp_path, callbacks=[{"name": "poison"}])
    cfg["trainer"]["max_epochs"] = 3
    res = resolve(load_config(write_config(tmp_path / "cfg.yaml", cfg)),
                  pm=create_plugin_manager(extra_plugins=[plug]))
    with pytest.raises(TrainingError) as info:
        run_pipeline(res)
    msg = str(info.value)
    best = run_dir(cfg) / "seed_0" / "checkpoints" / "best.ckpt"
    assert msg.startswith("the training loss became nan at epoch 1, batch 0; best checkpoint kept at ")
    assert str(best) in msg
    user_message("nan_loss_later_epoch", "error: " + msg)
    assert best.exists()
    assert torch.load(best, map_location="cpu", weights_only=False)["epoch"] == 0
    status = read_json(run_dir(cfg) / "status.json")
    assert status["state"] == "failed" and status["error"].startswith("the training loss became nan at epoch 1")


# ---------------------------------------------------------------- run folders and cache


def test_existing_run_folder_is_not_overwritten(run_cli, tmp_path, user_message):
    cfg = tiny_config(tmp_path)
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    metrics = run_dir(cfg) / "seed_0" / "metrics.json"
    before, mtime = metrics.read_bytes(), metrics.stat().st_mtime_ns
    time.sleep(0.01)

    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2
    assert f"error: run folder {run_dir(cfg)} already exists (state: completed); nothing was overwritten" in flat(err)
    assert "fix: pass --resume to continue an interrupted run, --overwrite to replace it, or change run.name" \
        in flat(err)
    user_message("existing_run_folder", _error_line(err))
    assert metrics.read_bytes() == before and metrics.stat().st_mtime_ns == mtime
    assert read_json(run_dir(cfg) / "status.json")["state"] == "completed"

    code, out, err = _run(run_cli, tmp_path, cfg, "--overwrite")
    assert code == 0, err
    assert metrics.stat().st_mtime_ns != mtime


def test_corrupted_cache_entry_is_rebuilt(run_cli, tmp_path, user_message):
    cfg = tiny_config(tmp_path)
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    entries = list((tmp_path / "cache").glob("*.pt"))
    assert len(entries) == 1
    entries[0].write_bytes(b"this is not a torch file")

    code, out, err = _run(run_cli, tmp_path, cfg, "--overwrite")
    assert code == 0, err
    log = (run_dir(cfg) / "run.log").read_text()
    assert f"corrupted cache entry rebuilt: {entries[0]} (checksum mismatch)" in log
    assert "computed, now cached" in log
    assert "corrupted cache entry rebuilt" in flat(err)  # also shown on the console
    user_message("corrupted_cache", [ln.split(" ", 2)[2] for ln in log.splitlines() if "corrupted" in ln][0])
    assert read_json(run_dir(cfg) / "summary.json")["featurization_cached"] is False
    # the rebuilt entry is valid: a third run reads it
    code, out, err = _run(run_cli, tmp_path, cfg, "--overwrite")
    assert code == 0, err
    assert read_json(run_dir(cfg) / "summary.json")["featurization_cached"] is True


def test_interrupted_run_is_resumed(run_cli, tmp_path, user_message):
    cfg = tiny_config(tmp_path)
    cfg["trainer"]["max_epochs"] = 2
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    folder = run_dir(cfg)
    seed = folder / "seed_0"
    # make it look like the process was killed during training: status 'running', last.ckpt present,
    # no results written yet
    status = read_json(folder / "status.json")
    (folder / "status.json").write_text(json.dumps({**status, "state": "running"}))
    for name in ("metrics.json", "predictions.csv", "model.pt"):
        (seed / name).unlink()
    (folder / "summary.json").unlink()
    last = seed / "checkpoints" / "last.ckpt"
    assert last.exists()
    assert torch.load(last, map_location="cpu", weights_only=False)["epoch"] == 1

    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2
    assert f"run folder {folder} already exists (state: running); nothing was overwritten" in flat(err)
    user_message("running_folder_without_resume", _error_line(err))

    code, out, err = _run(run_cli, tmp_path, cfg, "--resume", "--set", "trainer.max_epochs=4")
    assert code == 0, err
    assert f"seed 0: resuming from {last}" in (folder / "run.log").read_text()
    assert read_json(folder / "status.json")["state"] == "completed"
    assert (seed / "metrics.json").exists() and (folder / "summary.json").exists()
    assert torch.load(last, map_location="cpu", weights_only=False)["epoch"] == 3  # 2 more epochs, not 4


def test_resume_of_a_completed_seed_skips_it(run_cli, tmp_path):
    cfg = tiny_config(tmp_path)
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    metrics = run_dir(cfg) / "seed_0" / "metrics.json"
    before = metrics.read_bytes()
    code, out, err = _run(run_cli, tmp_path, cfg, "--resume")
    assert code == 0, err
    assert "seed 0 already completed, skipped" in (run_dir(cfg) / "run.log").read_text()
    assert metrics.read_bytes() == before


def test_resume_needs_a_run_folder(run_cli, tmp_path, user_message):
    cfg = tiny_config(tmp_path)
    run_dir(cfg).mkdir(parents=True)
    (run_dir(cfg) / "notes.txt").write_text("mine")
    code, out, err = _run(run_cli, tmp_path, cfg, "--resume")
    assert code == 2
    assert f"error: {run_dir(cfg)} is not a molgdl run folder (no status.json)" in flat(err)
    user_message("resume_not_a_run", _error_line(err))
    assert (run_dir(cfg) / "notes.txt").read_text() == "mine"


def test_predict_with_a_folder_that_is_not_a_run(run_cli, tmp_path, user_message):
    write_csv(tmp_path / "new.csv", good_rows(3))
    code, out, err = run_cli("predict", "--run", "runs/none", "--input", "new.csv", "--output", "p.csv")
    assert code == 2
    assert f"error: {tmp_path / 'runs' / 'none'} is not a molgdl run folder (no config.yaml)" in flat(err)
    user_message("predict_not_a_run", _error_line(err))


class _CtrlC:
    """Callback factory: presses Ctrl+C (raises KeyboardInterrupt) when epoch 1 starts."""

    def __new__(cls, params):
        import pytorch_lightning as pl

        class CtrlC(pl.Callback):
            def on_train_epoch_start(self, trainer, pl_module):
                if trainer.current_epoch == 1:
                    raise KeyboardInterrupt

        return CtrlC()


def test_ctrl_c_marks_the_run_interrupted_and_resume_finishes_it(run_cli, tmp_path, monkeypatch, user_message):
    import signal

    from molgdl import hookimpl
    from molgdl.run import resolve as resolve_module
    from molgdl.specs import CallbackSpec

    plug = types.ModuleType("ctrl_c_plugin")
    plug.molgdl_callbacks = hookimpl(lambda: [CallbackSpec("ctrl_c", "Ctrl+C at epoch 1", _CtrlC)])
    real = resolve_module.create_plugin_manager
    monkeypatch.setattr(resolve_module, "create_plugin_manager", lambda **kw: real(extra_plugins=[plug], **kw))
    cfg = tiny_config(tmp_path, callbacks=[{"name": "ctrl_c"}])
    cfg["trainer"]["max_epochs"] = 3
    sigint = signal.getsignal(signal.SIGINT)
    try:
        code, out, err = _run(run_cli, tmp_path, cfg)
    finally:
        signal.signal(signal.SIGINT, sigint)  # Lightning ignores SIGINT after a Ctrl+C
    assert code == 130
    assert "interrupted: resume with `molgdl run CONFIG --resume`" in flat(err)
    user_message("ctrl_c", err[err.index("interrupted:"):])
    folder = run_dir(cfg)
    assert read_json(folder / "status.json")["state"] == "interrupted"
    last = folder / "seed_0" / "checkpoints" / "last.ckpt"
    assert torch.load(last, map_location="cpu", weights_only=False)["epoch"] == 0

    del cfg["callbacks"]
    code, out, err = _run(run_cli, tmp_path, cfg, "--resume")
    assert code == 0, err
    assert read_json(folder / "status.json")["state"] == "completed"
    assert torch.load(last, map_location="cpu", weights_only=False)["epoch"] == 2
