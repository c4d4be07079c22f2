"""An ensemble config is refused up front, before any featurization, with the key path of the member
(``ensemble.members.<name>.<key>``), the valid choices and a did-you-mean."""

from __future__ import annotations

import pytest

from ensemble_helpers import ensemble_config, write_config

HINT = ("  fix: a member is a partial config merged over the top-level one (docs/ensembles.md); "
        "`molgdl components --kind KIND NAME` shows a component's parameters")
KNN = {"model": {"name": "knn"}}


def _error(tmp_path, csv, members, **extra) -> str:
    from molgdl.config.load import parse_config
    from molgdl.errors import ConfigError
    from molgdl.run.resolve import resolve

    cfg = ensemble_config(tmp_path, csv, members=members)
    cfg.update(extra)
    with pytest.raises(ConfigError) as info:
        resolve(parse_config(cfg))
    assert not (tmp_path / "runs").exists()  # nothing was written
    return str(info.value)


@pytest.mark.parametrize("members, line", [
    ({"svm": {"model": {"epsilom": 0.2}}, "knn": KNN},
     "ensemble.members.svm.model.epsilom: unknown key (did you mean 'epsilon'?); valid keys: C, "
     "class_weight, epsilon, kernel"),
    ({"svm": {"model": {"C": -1}}, "knn": KNN},
     "ensemble.members.svm.model.C: Input should be greater than 0 (got -1)"),
    ({"svm": {}, "knn": {"model": {"name": "knn", "n_neighbors": 0}}},
     "ensemble.members.knn.model.n_neighbors: Input should be greater than or equal to 1 (got 0)"),
    ({"svm": {"model": {"name": "svn"}}, "knn": KNN},
     "ensemble.members.svm.model.name: unknown model 'svn' (did you mean 'svm'?); installed models: "),
    ({"svm": {"modle": {"name": "knn"}}, "knn": KNN},
     "ensemble.members.svm.modle: unknown key (did you mean 'model'?); a member may set: callbacks, "
     "descriptors, featurizer, head, loss, model, optimizer, pretrained, readout, scaling, scheduler, trainer"),
    ({"svm": {}, "gnn": {"model": {"name": "dmpnn"}, "trainer": {"max_epoch": 3}}},
     "ensemble.members.gnn.trainer.max_epoch: unknown key (did you mean 'max_epochs'?); valid keys: "
     "accelerator, "),
    ({"svm": {"split": {"name": "scaffold"}}, "knn": KNN},
     "ensemble.members.svm.split: cannot be set per member (all members share the outer split and the inner "
     "folds made from it); set it at the top level"),
    ({"svm": {"data": {"max_invalid_fraction": 0.5}}, "knn": KNN},
     "ensemble.members.svm.data: cannot be set per member (all members see the same molecules); set it at "
     "the top level"),
    ({"svm": {"descriptors": [{"name": "ecfp", "radius": -1}]}, "knn": KNN},
     "ensemble.members.svm.descriptors[0].radius: Input should be greater than or equal to 0 (got -1)"),
])
def test_a_bad_member_key_is_named_with_its_path(tmp_path, esol_csv, members, line):
    message = _error(tmp_path, esol_csv, members)
    lines = message.split("\n")
    assert lines[0] == "invalid config:"
    assert lines[1].startswith("  " + line), lines[1]
    assert lines[-1] == HINT


def test_every_bad_member_is_listed_at_once(tmp_path, esol_csv):
    members = {"svm": {"model": {"C": 0}}, "knn": {"model": {"name": "knn", "k": 3}}}
    message = _error(tmp_path, esol_csv, members)
    assert message.split("\n")[1:3] == [
        "  ensemble.members.svm.model.C: Input should be greater than 0 (got 0)",
        "  ensemble.members.knn.model.k: unknown key; valid keys: metric, n_neighbors, weights",
    ]


def test_section_refusals(tmp_path, esol_csv):
    one = _error(tmp_path, esol_csv, {"svm": {}})
    assert one.split("\n")[1] == ("  ensemble.members: Dictionary should have at least 2 items after "
                                  "validation, not 1")
    bad_name = _error(tmp_path, esol_csv, {"svm": {}, "my member": {}})
    assert bad_name.split("\n")[1] == (
        "  ensemble.members: Value error, member name(s) ['my member'] are not folder names: use a letter, "
        "then letters, digits, '_' or '-' (at most 64 characters)")
    both = {"svm": {}, "knn": KNN}
    tuned = _error(tmp_path, esol_csv, both, tune={"space": {"model.C": {"float": [1, 10]}}})
    assert tuned.split("\n")[1] == (
        "  tune: an ensemble config cannot be tuned with `molgdl tune` (its members are combined by inner CV "
        "already); remove the tune: section, or tune a member's config on its own")
    analysed = _error(tmp_path, esol_csv, both, analyses=[{"name": "learned_vs_descriptors"}])
    assert analysed.split("\n")[1] == (
        "  analyses: analyses are not run in an ensemble; run a member's config on its own to analyse it "
        "(remove the analyses list)")
    weights = _error(tmp_path, esol_csv, both, ensemble={"members": both, "weights": "median"})
    assert weights.split("\n")[1] == "  ensemble.weights: Input should be 'stacking' or 'mean' (got 'median')"
    no_cv = _error(tmp_path, esol_csv, both, ensemble={"members": both, "inner_folds": 0})
    assert no_cv.split("\n")[1] == (
        "  ensemble: Value error, inner_folds: 0 (no inner CV) leaves stacking nothing to fit its weights on: "
        "set weights: mean, or inner_folds: 2 or more")
    one = _error(tmp_path, esol_csv, both, ensemble={"members": both, "inner_folds": 1, "weights": "mean"})
    assert "inner_folds: 1 is not a cross-validation" in one


def test_merge_rules():
    """Same component: parameters updated; another component: replaced; sections merged; lists replaced."""
    from molgdl.ensemble.members import merge_member

    base = {"model": {"name": "svm", "C": 5.0, "kernel": "minmax"},
            "trainer": {"max_epochs": 50, "batch_size": 8},
            "descriptors": [{"name": "ecfp"}], "ensemble": {"members": {}}}
    assert merge_member(base, {"model": {"C": 1.0}})["model"] == {"name": "svm", "C": 1.0, "kernel": "minmax"}
    assert merge_member(base, {"model": {"name": "knn"}})["model"] == {"name": "knn"}
    merged = merge_member(base, {"trainer": {"max_epochs": 3}, "descriptors": [{"name": "maccs"}]})
    assert merged["trainer"] == {"max_epochs": 3, "batch_size": 8}
    assert merged["descriptors"] == [{"name": "maccs"}]
    assert "ensemble" not in merged and base["model"]["C"] == 5.0  # the base is not mutated


def test_validate_command_names_the_member(run_cli, tmp_path, esol_csv):
    cfg = ensemble_config(tmp_path, esol_csv, members={"svm": {"model": {"C": -1}}, "knn": KNN})
    code, out, err = run_cli("validate", write_config(tmp_path / "bad.yaml", cfg), "--no-build")
    assert code == 2
    assert "ensemble.members.svm.model.C: Input should be greater than 0 (got -1)" in " ".join(err.split())
    ok = write_config(tmp_path / "ok.yaml", ensemble_config(tmp_path, esol_csv))
    code, out, err = run_cli("validate", ok, "--no-build")
    assert code == 0, err
