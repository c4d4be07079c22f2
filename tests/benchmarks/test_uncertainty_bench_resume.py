"""benchmarks/uncertainty/run.py keeps every finished arm of a cell: a cell killed during an arm goes on from the
next run without training the finished arms again, and its record equals an uninterrupted one. The arms are
fakes here (the benchmark itself never runs in the tests)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

RUN = Path(__file__).resolve().parents[2] / "benchmarks" / "uncertainty" / "run.py"


@pytest.fixture()
def run(monkeypatch):
    spec = importlib.util.spec_from_file_location("uncertainty_run_under_test", RUN)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setattr(mod, "machine", lambda: "test machine")
    yield mod
    sys.modules.pop("uncertainty_run_under_test", None)


class _Arms:
    """Fake arm trainers: record each call, and raise KeyboardInterrupt (a kill) in the arm named ``kill``."""

    def __init__(self, kill: str | None = None):
        self.kill, self.trained, self.runs = kill, [], []

    def molgdl(self, config: Path, run_dir: Path, seed: int):
        arm = run_dir.name
        self.runs.append(run_dir)
        if arm == self.kill:
            raise KeyboardInterrupt
        self.trained.append(arm)
        pred = pd.DataFrame({"smiles": ["C", "CC", "CCC"], "split": ["train", "val", "test"], "pIC50": [1.0, 2.0, 3.5]})
        return {"source": "molgdl", "train_seconds": 1.0, "test": {"mu": [len(arm)]}}, pred, "pIC50"

    def chemprop(self, pred: pd.DataFrame, target: str, seed: int, s: dict, work: Path):
        self.trained.append("chemprop")
        assert target == "pIC50" and pred["pIC50"].tolist() == [1.0, 2.0, 3.5]  # the split the molgdl arms had
        return {"chemprop:mve": {"source": "chemprop", "test": {"mu": [0.5]}}, "_chemprop_wall_s": 2.0}


def _training_order(run) -> list[str]:
    """The one-model arms first, then the two that train five models' worth."""
    arms = list(run.estimator_arms(run.settings(False)))
    return [a for a in arms if a not in ("ensemble", "langevin")] + ["ensemble", "langevin"]


def _cell(run, arms: _Arms, results: Path, work: Path | None = None) -> Path:
    run.run_molgdl, run.run_chemprop = arms.molgdl, arms.chemprop
    return run.run_one("CHEMBL1_Ki", {"name": "moleculeace"}, "random", 0, run.settings(False), False, results, work)


def test_a_killed_cell_goes_on_from_its_finished_arms(run, tmp_path):
    order = _training_order(run)
    killed = _Arms(kill=order[2])
    with pytest.raises(KeyboardInterrupt):
        _cell(run, killed, tmp_path / "results")
    assert killed.trained == order[:2]
    partial = tmp_path / "results" / "partial" / "CHEMBL1_Ki__random__s0"
    assert sorted(p.name for p in partial.iterdir()) == sorted([f"molgdl_{a}.json" for a in order[:2]] + ["split.csv"])
    assert not (tmp_path / "results" / "CHEMBL1_Ki__random__s0.json").exists()

    resumed = _Arms()
    out = _cell(run, resumed, tmp_path / "results")
    assert resumed.trained == order[2:] + ["chemprop"]  # the finished arms were not trained again
    assert not partial.exists()  # folded into the record

    whole = _Arms()
    reference = _cell(run, whole, tmp_path / "uninterrupted")
    assert json.loads(out.read_text()) == json.loads(reference.read_text())


def test_with_work_the_unfinished_arm_reruns_in_its_own_folder(run, tmp_path):
    order = _training_order(run)
    killed = _Arms(kill=order[0])
    with pytest.raises(KeyboardInterrupt):
        _cell(run, killed, tmp_path / "results", work=tmp_path / "work")
    resumed = _Arms()
    _cell(run, resumed, tmp_path / "results", work=tmp_path / "work")
    # the same run folder both times, so `molgdl run --resume` continues from the killed run's checkpoint
    assert killed.runs[0] == resumed.runs[0] == tmp_path / "work" / "CHEMBL1_Ki__random__s0" / order[0]


def test_redo_trains_the_named_arms_again_from_scratch_and_keeps_the_others(run, tmp_path):
    first = _Arms()
    out = _cell(run, first, tmp_path / "results", work=tmp_path / "work")
    before = json.loads(out.read_text())
    stale = tmp_path / "work" / "CHEMBL1_Ki__random__s0" / "ensemble"
    stale.mkdir(parents=True, exist_ok=True)
    (stale / "status.json").write_text("{}")  # a run folder that --resume would continue
    again = _Arms()
    run.run_molgdl, run.run_chemprop = again.molgdl, again.chemprop
    out = run.run_one("CHEMBL1_Ki", {"name": "moleculeace"}, "random", 0, run.settings(False), False,
                      tmp_path / "results", tmp_path / "work", ("ensemble", "chemprop"))
    assert again.trained == ["ensemble", "chemprop"]  # the finished cell was reopened, only these two trained
    assert not stale.exists() or not (stale / "status.json").exists()  # from scratch, not resumed
    after = json.loads(out.read_text())
    assert after == before  # the fakes give the same results again
    assert not (tmp_path / "results" / "partial" / "CHEMBL1_Ki__random__s0").exists()


def test_redo_chemprop_alone_takes_the_split_from_a_molgdl_arm_of_the_work_folder(run, tmp_path):
    first = _Arms()
    out = _cell(run, first, tmp_path / "results", work=tmp_path / "work")
    before = json.loads(out.read_text())
    arm_dir = tmp_path / "work" / "CHEMBL1_Ki__random__s0" / "mve" / "seed_0"
    arm_dir.mkdir(parents=True)
    pd.DataFrame({"smiles": ["C", "CC", "CCC"], "split": ["train", "val", "test"], "pIC50": [1.0, 2.0, 3.5],
                  "pIC50_pred": [1.1, 2.1, 3.1], "pIC50_unc": [0.1, 0.2, 0.3]}).to_csv(arm_dir / "predictions.csv",
                                                                                    index=False)
    again = _Arms()
    run.run_molgdl, run.run_chemprop = again.molgdl, again.chemprop
    out = run.run_one("CHEMBL1_Ki", {"name": "moleculeace"}, "random", 0, run.settings(False), False,
                      tmp_path / "results", tmp_path / "work", ("chemprop",))
    assert again.trained == ["chemprop"]  # the fake checks it got the molgdl arms' split and target
    assert json.loads(out.read_text()) == before


def test_redo_chemprop_alone_without_a_work_folder_says_how_to_go_on(run, tmp_path):
    out = _cell(run, _Arms(), tmp_path / "results")
    again = _Arms()
    run.run_molgdl, run.run_chemprop = again.molgdl, again.chemprop
    with pytest.raises(SystemExit, match="--redo mve chemprop"):
        run.run_one("CHEMBL1_Ki", {"name": "moleculeace"}, "random", 0, run.settings(False), False,
                    tmp_path / "results", tmp_path / "work", ("chemprop",))
    assert again.trained == [] and out.exists()  # refused before the record was touched
    assert not (tmp_path / "results" / "partial" / "CHEMBL1_Ki__random__s0").exists()
