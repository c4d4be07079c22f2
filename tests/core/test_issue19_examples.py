"""The examples of issue 19 (deliverables 3-5) end to end: each was reproduced on the old code (a silently
wrong result, a traceback or a hang) and must now behave as described in docs/bad_inputs.md."""

from __future__ import annotations

import csv
import json
import math
import types

import numpy as np
import pytest
import torch

from core_helpers import csv_source, flat, good_rows, read_json, run_dir, tiny_config, write_config, write_csv


def _strict_json(path):
    """json.loads that refuses NaN / Infinity (not JSON; Python's json writes them by default)."""
    def refuse(token):
        raise AssertionError(f"{path} holds {token}")
    return json.loads(path.read_text(), parse_constant=refuse)


def test_overflowing_target_and_inner_space_smiles_are_invalid_rows_and_metrics_are_finite(run_cli, tmp_path):
    rows = good_rows(40)
    rows[4] = ("CCO", "1e300")  # was: float32 inf -> every scaled target NaN -> loss 0, "completed", no metrics
    rows[9] = ("CC O", 0.5)  # was: silently read as 'CC' (RDKit takes ' O' as a name)
    cfg = tiny_config(tmp_path, data={"source": csv_source(write_csv(tmp_path / "d.csv", rows)),
                                      "max_invalid_fraction": 0.1})
    code, out, err = run_cli("run", write_config(tmp_path / "cfg.yaml", cfg))
    assert code == 0, err
    folder = run_dir(cfg)
    with (folder / "invalid_rows.csv").open() as fh:
        bad = {r["row"]: r["reason"] for r in csv.DictReader(fh)}
    assert bad == {
        "5": "value '1e300' in target column 'y' is beyond float32's range (|x| > 3.4e+38), which training uses",
        "10": "SMILES 'CC O' in column 'smiles' contains a space: RDKit would read only 'CC' and take the rest as "
              "the molecule's name",
    }
    assert "2 of 40 rows invalid (5.0%), listed in invalid_rows.csv" in flat(err)
    summary = _strict_json(folder / "summary.json")
    test = summary["test"]["y"]
    assert set(test) == {"rmse", "mae", "r2"} and all(math.isfinite(v["mean"]) for v in test.values())
    assert summary["n_invalid"] == 2
    _strict_json(folder / "seed_0" / "metrics.json")
    assert read_json(folder / "status.json")["state"] == "completed"


def test_targets_out_of_float32_range_from_any_source_become_invalid_rows():
    from molgdl.data.table import MoleculeRecord, MoleculeTable
    from molgdl.data.target_checks import drop_unusable_targets

    recs = [MoleculeRecord(id=f"m{i}", smiles="C", row=i + 1) for i in range(4)]
    table = MoleculeTable(recs, np.array([[1.0], [np.inf], [-1e39], [np.nan]]), ["y"], "regression", "src")
    out = drop_unusable_targets(table)
    assert [r.id for r in out.records] == ["m0", "m3"]  # NaN is a missing value, kept (masked in the loss)
    assert [(r.row, r.reason) for r in out.invalid] == [
        (2, "target 'y' = inf is not finite in float32 (|x| > 3.4e+38 or inf), which training uses"),
        (3, "target 'y' = -1e+39 is not finite in float32 (|x| > 3.4e+38 or inf), which training uses"),
    ]
    assert out.n_read == 4


def test_json_files_never_hold_nan_or_infinity(tmp_path):
    from molgdl.run.folder import write_json

    path = tmp_path / "m.json"
    write_json(path, {"a": float("nan"), "b": [np.float32("inf"), 1.5], "c": np.array([np.nan, 2.0]),
                      "d": torch.tensor(float("-inf")), "e": np.float64(3.0), "f": 7, "g": True})
    assert _strict_json(path) == {"a": None, "b": [None, 1.5], "c": [None, 2.0], "d": None, "e": 3.0, "f": 7,
                                  "g": True}


class _NaNAfterValidation:
    """Callback factory: NaN weights right after the first real validation (its loss is finite, so best.ckpt
    holds NaN weights): the trained model then predicts NaN for every molecule."""

    def __new__(cls, params):
        import pytorch_lightning as pl

        class Poison(pl.Callback):
            def on_validation_epoch_end(self, trainer, pl_module):
                if not trainer.sanity_checking:
                    with torch.no_grad():
                        for p in pl_module.parameters():
                            p.fill_(float("nan"))

        return Poison()


def test_a_model_that_predicts_nan_fails_the_run_instead_of_completing_with_empty_metrics(tmp_path, monkeypatch):
    from molgdl import hookimpl
    from molgdl.config import load_config
    from molgdl.errors import TrainingError
    from molgdl.plugins import create_plugin_manager
    from molgdl.run.pipeline import run_pipeline
    from molgdl.run.resolve import resolve
    from molgdl.specs import CallbackSpec

    plug = types.ModuleType("nan_after_validation_plugin")
    plug.molgdl_callbacks = hookimpl(lambda: [CallbackSpec("nan_after_val", "NaN weights", _NaNAfterValidation)])
    monkeypatch.chdir(tmp_path)
    cfg = tiny_config(tmp_path, callbacks=[{"name": "nan_after_val"}])
    res = resolve(load_config(write_config(tmp_path / "cfg.yaml", cfg)),
                  pm=create_plugin_manager(extra_plugins=[plug]))
    with pytest.raises(TrainingError) as info:
        run_pipeline(res)
    msg = str(info.value)
    assert msg.startswith("seed 0: the trained model predicts NaN or inf for 40 of 40 molecules (first: data row 1, ")
    assert "no metrics were computed" in msg
    status = read_json(run_dir(cfg) / "status.json")
    assert status["state"] == "failed" and status["error"].startswith("seed 0: the trained model predicts NaN")
    assert not (run_dir(cfg) / "seed_0" / "metrics.json").exists()
    assert not (run_dir(cfg) / "summary.json").exists()


def test_split_file_of_another_dataset_is_refused_and_this_datas_own_is_reused(run_cli, tmp_path):
    data = write_csv(tmp_path / "d.csv", good_rows(40))
    cfg = tiny_config(tmp_path, data={"source": csv_source(data)})
    code, out, err = run_cli("run", write_config(tmp_path / "cfg.yaml", cfg))
    assert code == 0, err
    own = run_dir(cfg) / "seed_0" / "split.json"
    cfg2 = tiny_config(tmp_path, run={"name": "again", "output_dir": str(tmp_path / "runs"), "seeds": [0]},
                       data={"source": csv_source(data)}, split={"name": "file", "path": str(own)})
    code, out, err = run_cli("run", write_config(tmp_path / "cfg2.yaml", cfg2))
    assert code == 0, err  # the same data: accepted, same split
    assert read_json(run_dir(cfg2) / "seed_0" / "split.json") == read_json(own)
    small = write_csv(tmp_path / "small.csv", good_rows(20))
    cfg3 = tiny_config(tmp_path, run={"name": "other", "output_dir": str(tmp_path / "runs"), "seeds": [0]},
                       data={"source": csv_source(small)}, split={"name": "file", "path": str(own)})
    code, out, err = run_cli("run", write_config(tmp_path / "cfg3.yaml", cfg3))
    assert code == 2
    assert f"error: split file {own} names data row(s) [" in flat(err)
    assert "but data source" in flat(err) and "has only 20 rows (0..19): the file was written for another dataset" \
        in flat(err)


def test_validate_reports_what_lightning_would_refuse_at_run(run_cli, tmp_path):
    cfg = tiny_config(tmp_path)
    cfg["trainer"].update(strategy="fsdp")  # needs a GPU: was a traceback from Lightning during `run`
    code, out, err = run_cli("validate", "--no-build", write_config(tmp_path / "cfg.yaml", cfg))
    assert code == 2
    assert "cannot run on this machine: The strategy `fsdp` requires a GPU accelerator" in flat(err)
    code, out, err = run_cli("run", tmp_path / "cfg.yaml")
    assert code == 2 and "cannot run on this machine" in flat(err)
    assert not (tmp_path / "runs").exists()
    cfg["trainer"].update(strategy="auto", early_stopping={"monitor": "val/loss", "patience": 3})
    code, out, err = run_cli("validate", "--no-build", write_config(tmp_path / "cfg.yaml", cfg))
    assert code == 0, err


# ---------------------------------------------------------------- Ctrl+C at each stage


STAGES = {
    # stage: (module attribute of molgdl.run.pipeline replaced by a function that presses Ctrl+C)
    "data": "prepare_data",
    "split": "check_split",
    "evaluate": "evaluate_predictions",
    "predictions": "write_predictions",
    "plots": "parity_plot",
    "summary": "summarize",
    "analyses": "run_analyses",
}


@pytest.mark.parametrize("stage", list(STAGES))
def test_ctrl_c_at_each_stage_marks_the_run_interrupted(stage, run_cli, tmp_path, monkeypatch):
    import time

    from molgdl.run import pipeline

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, STAGES[stage], ctrl_c)
    cfg = tiny_config(tmp_path)
    t0 = time.monotonic()
    code, out, err = run_cli("run", write_config(tmp_path / "cfg.yaml", cfg))
    assert time.monotonic() - t0 < 30
    assert code == 130
    assert "interrupted: resume with `molgdl run CONFIG --resume`" in flat(err)
    status = read_json(run_dir(cfg) / "status.json")
    assert status["state"] == "interrupted"


def test_ctrl_c_in_predict_says_how_to_resume(run_cli, tmp_path, monkeypatch):
    from molgdl import predict

    cfg = tiny_config(tmp_path)
    code, out, err = run_cli("run", write_config(tmp_path / "cfg.yaml", cfg))
    assert code == 0, err
    write_csv(tmp_path / "new.csv", good_rows(3))

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    featurize = predict._featurize_input
    monkeypatch.setattr(predict, "_featurize_input", ctrl_c)
    code, out, err = run_cli("predict", "--run", run_dir(cfg), "--input", "new.csv", "--output", "p.csv")
    assert code == 130
    assert "interrupted: `molgdl predict` stopped after its last completed chunk; continue it with the same " \
           "command and --resume" in flat(err)
    assert not (tmp_path / "p.csv").exists()
    monkeypatch.setattr(predict, "_featurize_input", featurize)  # streaming predict: --resume finishes the job
    code, out, err = run_cli("predict", "--run", run_dir(cfg), "--input", "new.csv", "--output", "p.csv", "--resume")
    assert code == 0 and len(list(csv.reader(open(tmp_path / "p.csv")))) == 1 + 3


def test_every_test_named_in_docs_bad_inputs_exists():
    import re

    from core_helpers import REPO

    text = (REPO / "docs" / "bad_inputs.md").read_text()
    named = set(re.findall(r"`(?:(tests/[\w/]+\.py)::)?(test_\w+)`", text))
    assert len(named) >= 30
    sources = {p: p.read_text() for p in (REPO / "tests").rglob("test_*.py")}
    for path, name in sorted(named):
        files = [REPO / path] if path else list(sources)
        assert any(f"def {name}(" in sources.get(f, "") for f in files), f"docs/bad_inputs.md names {path}::{name}"


def test_undefined_metrics_are_explained_written_as_null_and_shown_as_undefined(run_cli, tmp_path):
    rows = [(s, 1 if i < 4 else 0) for i, (s, _) in enumerate(good_rows(40))]  # positives only in train
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"train": list(range(32)), "val": list(range(32, 36)), "test": list(range(36, 40))}))
    cfg = tiny_config(tmp_path, data={"source": csv_source(write_csv(tmp_path / "d.csv", rows), task="classification")},
                      split={"name": "file", "path": str(split)})
    code, out, err = run_cli("run", write_config(tmp_path / "cfg.yaml", cfg))
    assert code == 0, err
    note = "test metric(s) roc_auc of 'y', pr_auc of 'y' undefined (the split holds one class only): written as null"
    assert note in flat(err) and note in (run_dir(cfg) / "run.log").read_text()
    summary = _strict_json(run_dir(cfg) / "summary.json")
    assert summary["test"]["y"]["roc_auc"]["mean"] is None and summary["test"]["y"]["roc_auc"]["values"] == [None]
    assert "undefined (see run.log)" in out + err
    assert summary["train"]["y"]["roc_auc"]["mean"] is not None


def test_a_full_disk_while_writing_the_cache_leaves_no_partial_entry_and_the_run_goes_on(tmp_path, monkeypatch):
    import errno

    from molgdl.data import cache as cache_module
    from molgdl.data.cache import FeatureCache

    def full_disk(obj, path, *args, **kwargs):
        with open(path, "wb") as fh:
            fh.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache_module.torch, "save", full_disk)
    cache = FeatureCache(tmp_path / "cache")
    assert cache.put("k", {"x": torch.zeros(3)}) is None
    assert list((tmp_path / "cache").iterdir()) == []  # the partial temp file is gone
    assert cache.unwritable == [f"featurization cache entry not written to {tmp_path / 'cache'} (No space left on "
                                "device); the run goes on without it: set data.cache_dir to a writable folder to "
                                "reuse features"]
    assert cache.get("k") is None
