"""Neural trials report their validation loss every epoch and inner fold; optuna's MedianPruner stops the bad ones.
End to end: a tiny D-MPNN, 3 trials, 2 inner folds of 3 epochs on 150 ESOL molecules."""

from __future__ import annotations


import pytest

from tune_helpers import dmpnn_config, result, trials, write_config


class FakeTrial:
    """Records reports; asks to prune once a report reaches ``prune_at``."""

    def __init__(self, prune_at: int | None) -> None:
        self.reports: list[tuple[int, float]] = []
        self.prune_at = prune_at

    def report(self, value: float, step: int) -> None:
        self.reports.append((step, value))

    def should_prune(self) -> bool:
        return self.prune_at is not None and self.reports[-1][0] >= self.prune_at


def test_epoch_reporter_steps_and_prune_signal(tmp_path):
    from molgdl.tune.objective import EPOCH_STRIDE, EpochReporter, PruneSignal

    trial = FakeTrial(prune_at=EPOCH_STRIDE + 2)
    rep = EpochReporter(trial, fold=1, fold_dir=tmp_path / "fold_1")
    rep.molgdl_epoch_end(run_dir=tmp_path / "other_fold", epoch=0, metrics={"val/loss": 1.0})  # not this fold
    rep.molgdl_epoch_end(run_dir=tmp_path / "fold_1", epoch=0, metrics={"train/loss": 1.0})  # no val/loss
    rep.molgdl_epoch_end(run_dir=tmp_path / "fold_1", epoch=0, metrics={"val/loss": float("nan")})
    rep.molgdl_epoch_end(run_dir=tmp_path / "fold_1", epoch=1, metrics={"val/loss": 0.5})
    assert trial.reports == [(EPOCH_STRIDE + 1, 0.5)]
    with pytest.raises(PruneSignal, match="pruned at inner fold 1, epoch 2"):
        rep.molgdl_epoch_end(run_dir=tmp_path / "fold_1", epoch=2, metrics={"val/loss": 0.7})


def test_dmpnn_study_reports_epochs_and_prunes(run_cli, tmp_path, esol_csv):
    import optuna

    from molgdl.tune.objective import EPOCH_STRIDE
    from molgdl.tune.study import STUDY_NAME, storage

    code, _, err = run_cli("tune", write_config(tmp_path / "cfg.yaml", dmpnn_config(tmp_path, esol_csv)))
    assert code == 0, err
    run = tmp_path / "runs" / "nn"
    study = optuna.load_study(study_name=STUDY_NAME, storage=storage(run / "tune" / "study.db"))
    states = [t.state.name for t in study.trials]
    assert len(states) == 3 and set(states) <= {"COMPLETE", "PRUNED"}
    for t in study.trials:
        steps = sorted(t.intermediate_values)
        if t.state.name == "COMPLETE":  # every epoch of every inner fold was reported
            assert steps == [k * EPOCH_STRIDE + e for k in range(2) for e in range(3)]
        else:  # stopped at the step the pruner refused, with the reason recorded
            assert steps and steps[-1] == max(steps)
            assert t.user_attrs["pruned"].startswith("pruned at inner fold")
            assert f"epoch {steps[-1] % EPOCH_STRIDE}" in t.user_attrs["pruned"]
            # the median rule: its last loss is worse than the median of the earlier trials at that step
            earlier = [u.intermediate_values[steps[-1]] for u in study.trials
                       if u.number < t.number and steps[-1] in u.intermediate_values]
            assert earlier and t.intermediate_values[steps[-1]] > sorted(earlier)[(len(earlier) - 1) // 2]
    assert "PRUNED" in states, states  # lr spans 1e-6..1e-1, so a trial falls behind the first one
    r = result(run)
    assert r["trials"]["complete"] + r["trials"]["pruned"] == 3 and r["best_model"] == "dmpnn"
    assert (run / "tune" / "intermediate.png").is_file()
    assert (run / "seed_0" / "model.pt").is_file()  # the winner was trained as by `molgdl run`
    df = trials(run)
    assert df.loc[df["state"] == "PRUNED", "value"].isna().all()  # its last loss is not the metric
    assert df.loc[df["state"] == "COMPLETE", "value"].notna().all()
