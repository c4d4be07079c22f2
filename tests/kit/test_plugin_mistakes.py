"""Every plugin-author mistake of ``mistakes.py`` gives its exact message through the real CLI, never a traceback.

The broken ``my_plugin`` is installed in-process (``plugin_fixture.write_plugin``: package + dist-info on
``sys.path``), so its entry point is loaded as for a pip-installed package; first-party plugins load too.
Messages are compared with runs of whitespace collapsed (the console wraps long lines).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from mistakes import COMMANDS, MISTAKES, render_markdown, shown_output  # noqa: E402
from plugin_fixture import FILES, flat, forget_package, make_site, write_plugin  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A folder first on sys.path for ``my_plugin``; plugin switches neutral; the package forgotten afterwards."""
    yield make_site(tmp_path, monkeypatch)
    forget_package()


def run(cli, command: str) -> tuple[int, str, str]:
    code, out, err = cli(*COMMANDS[command].split()[1:])
    assert "Traceback" not in out + err, out + err
    return code, out, err


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.id for m in MISTAKES])
def test_mistake_gives_its_exact_message(mistake, site, cli, tmp_path):
    write_plugin(site, mistake.files())
    code, out, err = run(cli, mistake.command)
    expected = flat(shown_output(mistake, f"{site}/"))
    if mistake.command == "plugins":
        assert code == 0, err
        assert expected in flat(out), out
    else:
        assert code == 2, out + err
        assert flat(err[err.index("error: "):]) == expected  # `run` logs progress before the error
    if mistake.command == "run":
        run_dir = tmp_path / "runs" / "mine"
        status = json.loads((run_dir / "status.json").read_text())
        assert status["state"] == "failed"
        assert status["error"] == shown_output(mistake, f"{site}/")[len("error: "):].split("\n")[0]
        log = (run_dir / "run.log").read_text()
        assert "ERROR run failed: plugin my_plugin (molgdl-my-plugin 0.1.0): hook molgdl_epoch_end raised" in log
        assert "Traceback" in log and "KeyError: 'val/mae'" in log  # the plugin author's traceback, in the log only


def test_the_unbroken_plugin_validates_runs_and_has_no_problems(site, cli, tmp_path):
    """The base of every mistake works: a mistake's message is caused by the mistake alone."""
    write_plugin(site, FILES)
    code, out, err = run(cli, "plugins")
    assert code == 0 and "problem:" not in out and "my_plugin" in out
    code, out, err = run(cli, "validate")
    assert code == 0, err
    # 7 = data.source, featurizer, split, model, readout, optimizer, descriptors[0]; all but the data source are built
    assert "7 components resolved, 6 built and run on 4 tiny molecules" in flat(err)
    code, out, err = run(cli, "run")
    assert code == 0, err
    assert (tmp_path / "runs" / "mine" / "seed_0" / "epochs.txt").read_text().startswith("0 ")  # the seed's folder


@pytest.mark.parametrize("mistake_id", ["no_hookimpl", "group_typo"])
def test_a_vanished_component_is_explained_at_validate(mistake_id, site, cli):
    """The readout is unknown; the note says why (the hook is not decorated / the group is misspelled)."""
    mistake = next(m for m in MISTAKES if m.id == mistake_id)
    write_plugin(site, mistake.files())
    code, out, err = run(cli, "validate")
    assert code == 2
    text = flat(err)
    assert "readout.name: unknown readout 'my_pool'" in text
    assert "note: " + flat(shown_output(mistake, f"{site}/").split("\n  fix:")[0][len("problem: "):]) in text


def test_a_misspelled_hook_fails_validate_but_not_plugins(site, cli):
    mistake = next(m for m in MISTAKES if m.id == "hook_typo")
    write_plugin(site, mistake.files())
    code, out, err = run(cli, "validate")
    assert code == 2 and flat(err) == "error: " + flat(shown_output(mistake, f"{site}/")[len("problem: "):])
    code, out, err = run(cli, "plugins")
    assert code == 0 and "my_plugin │ molgdl-my-plugin │ 0.1.0 │ loaded" in flat(out)
    code, out, err = cli("plugins", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["my_plugin"]["problems"] == [shown_output(mistake, f"{site}/")[len("problem: "):].split("\n")[0]]


def test_run_checks_the_first_training_batch(site, cli, tmp_path):
    """Without `molgdl validate`, a readout of the wrong shape is named before training, not in the loss."""
    import re

    write_plugin(site, next(m for m in MISTAKES if m.id == "readout_shape").files())
    code, out, err = run(cli, "run")
    assert code == 2
    text = flat(err[err.index("error: "):])
    m = re.fullmatch(r"error: plugin my_plugin \(molgdl-my-plugin 0\.1\.0\): readout 'my_pool' forward returned shape "
                     r"\[(\d+), 8\] for a batch of 4 molecules with (\d+) atoms \(.*/my_plugin/modules\.py:21\); "
                     r"expected a "
                     r"float tensor of shape \[4, out_dim=8\], one finite row per molecule fix: pool the atoms of each "
                     r"molecule with batch\.batch", text)
    assert m and m.group(1) == m.group(2), text
    assert not list((tmp_path / "runs" / "mine").glob("seed_0/checkpoints/*.ckpt"))  # no epoch was trained


def test_a_hook_returning_a_dict_is_not_reported_as_str(site, cli):
    mistake = next(m for m in MISTAKES if m.id == "dict")
    write_plugin(site, mistake.files())
    code, out, err = run(cli, "validate")
    assert "returned a dict" in err and "str" not in err


def test_plugins_reports_every_problem_at_once(site, cli):
    """Two mistakes in one plugin: both listed, and the other components of the plugin are still there."""
    from plugin_fixture import broken

    both = [next(m for m in MISTAKES if m.id == i) for i in ("bad_family", "params_instance")]
    write_plugin(site, broken(FILES, [(f"my_plugin/{f}", old, new) for m in both for f, old, new in m.changes]))
    code, out, err = cli("plugins", "--json")
    assert code == 0
    problems = {r["name"]: r["problems"] for r in json.loads(out)}["my_plugin"]
    assert [p.split(": ", 1)[1].split(" from hook")[0] for p in problems] == ["model 'my_encoder'", "readout 'my_pool'"]
    code, out, err = cli("components", "--kind", "dataset", "--json")  # other commands stop at the first one
    assert code == 2 and "has family 'graph'" in flat(err)


def test_traceback_flag_after_the_subcommand(site, cli):
    write_plugin(site, next(m for m in MISTAKES if m.id == "returns_none").files())
    from molgdl.errors import PluginError

    with pytest.raises(PluginError, match="readout 'my_pool' factory returned None"):
        cli("validate", "tiny.yaml", "--traceback")
    with pytest.raises(PluginError, match="readout 'my_pool' factory returned None"):
        cli("--traceback", "validate", "tiny.yaml")
    code, out, err = run(cli, "validate")
    assert code == 2


def test_mistakes_page_is_generated_from_the_catalogue():
    """docs/plugin-mistakes.md is exactly what the catalogue renders: edit mistakes.py, then regenerate."""
    page = REPO / "docs" / "plugin-mistakes.md"
    assert page.read_text() == render_markdown(), "regenerate: python tests/kit/mistakes.py > docs/plugin-mistakes.md"
    assert render_markdown().count("```console") == len(MISTAKES) >= 16
