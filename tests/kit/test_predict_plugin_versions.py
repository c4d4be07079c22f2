"""``molgdl predict`` on a run whose plugin changed since training names the plugin and both versions from
``versions.json``: an error when the model no longer builds or loads, a warning when it still does."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from plugin_fixture import FILES, PACKAGE, broken, dist_info, flat, forget_package, make_site, write_plugin  # noqa: E402

RUN = "runs/mine"


@pytest.fixture
def trained(tmp_path, monkeypatch, cli):
    """A one-epoch run of my_plugin 0.1.0 in ``tmp_path/runs/mine`` and an input CSV."""
    site = make_site(tmp_path, monkeypatch)
    (tmp_path / "new.csv").write_text("smiles\nCCO\n")
    write_plugin(site, FILES)
    code, out, err = cli("run", "tiny.yaml")
    assert code == 0, err
    yield site
    forget_package()


def predict(cli):
    code, out, err = cli("predict", "--run", RUN, "--input", "new.csv", "--output", "pred.csv")
    assert "Traceback" not in out + err
    err = flat(err)
    return code, err[err.find("error: "):] if code else err  # the warnings logged before the error are tested below


def test_a_plugin_upgrade_that_changes_the_weights_is_named(trained, cli):
    no_bias = "nn.Linear(in_dim, out_dim, bias=False)"
    files = broken(FILES, [(f"{PACKAGE}/modules.py", "nn.Linear(in_dim, out_dim)", no_bias)])
    write_plugin(trained, files, version="0.2.0")
    code, err = predict(cli)
    assert code == 2
    assert err == flat(
        f"error: {RUN} cannot be loaded with the installed plugins (RuntimeError: Unexpected key(s) in state_dict: "
        '"readout.lin.bias".); plugins changed since training:\n  plugin my_plugin: trained with molgdl-my-plugin '
        f"0.1.0, installed now molgdl-my-plugin 0.2.0\n  fix: install the versions in {RUN}/versions.json (pip "
        "install DIST==VERSION), or retrain the run with the installed plugins"), err


def test_an_uninstalled_plugin_is_named(trained, cli):
    shutil.rmtree(trained / PACKAGE)
    shutil.rmtree(dist_info(trained))
    forget_package()
    code, err = predict(cli)
    assert code == 2
    assert err.startswith(flat(
        f"error: {RUN} cannot be read with the installed plugins (ConfigError: data.source.name: unknown dataset "
        "'my_data'")), err
    assert flat("plugins changed since training:\n  plugin my_plugin: trained with molgdl-my-plugin 0.1.0, not "
                "installed now") in err


def test_a_compatible_upgrade_predicts_with_a_warning(trained, cli, tmp_path):
    write_plugin(trained, FILES, version="0.2.0")
    code, err = predict(cli)
    assert code == 0, err
    assert flat(f"plugin my_plugin: trained with molgdl-my-plugin 0.1.0, installed now molgdl-my-plugin 0.2.0 "
                f"(recorded in {RUN}/versions.json)") in err
    assert (tmp_path / "pred.csv").read_text().splitlines()[0].startswith("smiles,rg_pred")


def test_the_same_versions_give_no_warning(trained, cli):
    code, err = predict(cli)
    assert code == 0 and "trained with" not in err
