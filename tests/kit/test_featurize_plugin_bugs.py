"""A featurizer or descriptor exception other than ``FeaturizationError`` is a plugin bug: ``molgdl run`` stops
once with the plugin named, instead of counting the molecules as invalid rows; a ``FeaturizationError`` still
marks just that molecule invalid. Also through worker processes (``featurize_table`` with two workers)."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from plugin_fixture import FILES, PACKAGE, broken, flat, forget_package, make_site, write_plugin  # noqa: E402

from molgdl.data.featurize import featurize_table  # noqa: E402
from molgdl.errors import FeaturizationError, PluginError  # noqa: E402
from molgdl.testing import TinyGraphFeaturizer, tiny_table_3d  # noqa: E402

P = "plugin my_plugin (molgdl-my-plugin 0.1.0)"
FEATURIZE = "return self.inner.featurize(record)"


@pytest.fixture
def site(tmp_path, monkeypatch):
    yield make_site(tmp_path, monkeypatch)
    forget_package()


def run(cli, site, change: tuple[str, str, str]) -> tuple[int, str, str]:
    write_plugin(site, broken(FILES, [(f"{PACKAGE}/{change[0]}", change[1], change[2])]))
    code, out, err = cli("run", "tiny.yaml", "--set", "data.max_invalid_fraction=0.5")
    assert "Traceback" not in out + err
    err = flat(err)
    return code, out, err[err.find("error: "):] if code else err


def line_of(site: Path, rel: str, marker: str) -> str:
    lines = (site / PACKAGE / rel).read_text().splitlines()
    (n,) = [i for i, line in enumerate(lines, 1) if marker in line]
    return f"{site}/{PACKAGE}/{rel}:{n}"


def test_a_featurizer_bug_on_one_molecule_stops_the_run(site, cli, tmp_path):
    code, out, err = run(cli, site, ("components.py", FEATURIZE,
                                     FEATURIZE + ' if record.row != 3 else self.options["conformers"]'))
    assert code == 2
    where = line_of(site, "components.py", 'self.options["conformers"]')
    assert err == flat(
        f"error: {P}: featurizer 'my_feat' raised KeyError: 'conformers' on 1 of 10 molecules (first: row 3, id "
        f"'g2', 'CCO'; at {where}); only molgdl.errors.FeaturizationError marks a molecule as invalid, any other "
        "exception is a bug in the plugin\n  fix: fix the featurizer, or raise "
        'molgdl.errors.FeaturizationError("reason") for molecules it cannot handle')
    status = json.loads((tmp_path / "runs" / "mine" / "status.json").read_text())
    assert status["state"] == "failed" and status["error"].startswith(f"{P}: featurizer 'my_feat' raised KeyError")


def test_a_featurization_error_still_marks_one_molecule_invalid(site, cli, tmp_path):
    """The control: the documented exception is a bad molecule, listed, and the run completes."""
    code, out, err = run(cli, site, ("components.py", FEATURIZE, 'if record.row == 3:\n            raise '
                                     '__import__("molgdl.errors").errors.FeaturizationError("row 3: no")\n        '
                                     + FEATURIZE))
    assert code == 0, err
    rows = list(csv.DictReader((tmp_path / "runs" / "mine" / "invalid_rows.csv").open()))
    assert [(r["row"], r["reason"]) for r in rows] == [("3", "row 3: no")]


def test_a_descriptor_of_the_wrong_length_stops_the_run(site, cli):
    code, out, err = run(cli, site, ("components.py", 'names = ["n_atoms", "z_sum"]', 'names = ["n_atoms"]'))
    assert code == 2
    where = line_of(site, "components.py", "def compute")
    assert err == flat(f"error: {P}: descriptor 'my_desc' compute returned 2 values for row 1 ('C') ({where}); "
                       "expected one value per name, 1\n  fix: make compute() and names agree")


def test_a_descriptor_bug_stops_the_run(site, cli):
    code, out, err = run(cli, site, ("components.py", "float(record.z.sum())", "float(record.charge)"))
    assert code == 2
    where = line_of(site, "components.py", "record.charge")
    assert err.startswith(flat(f"error: {P}: descriptor 'my_desc' raised AttributeError: 'MoleculeRecord' object "
                               f"has no attribute 'charge' on 10 of 10 molecules (first: row 1, id 'g0', 'C'; at "
                               f"{where}); only molgdl.errors.FeaturizationError"))


class BuggyOnOxygen(TinyGraphFeaturizer):
    """Raises a KeyError for molecules containing oxygen, a FeaturizationError for row 1."""

    def featurize(self, record):
        if record.row == 1:
            raise FeaturizationError("row 1: refused")
        if 8 in record.z:
            return {}["oxygen"]
        return super().featurize(record)


@pytest.mark.parametrize("workers", [1, 2])
def test_bugs_are_reported_from_worker_processes(workers):
    table = tiny_table_3d()
    n_oxygen = sum(8 in r.z for r in table.records[1:])  # row 1 raises FeaturizationError first
    assert n_oxygen >= 2
    with pytest.raises(PluginError) as info:
        featurize_table(table, BuggyOnOxygen(), ("buggy", {}, "test (t 1)"), [], None, workers, progress=False)
    msg = str(info.value)
    first = next(r for r in table.records[1:] if 8 in r.z)
    assert msg.startswith(f"plugin test (t 1): featurizer 'buggy' raised KeyError: 'oxygen' on {n_oxygen} of "
                          f"{len(table)} molecules (first: row {first.row}, id {first.id!r}")
    assert f"{Path(__file__)}:" in msg  # the line that raised, in this file


def test_without_bugs_the_failures_are_molecule_errors():
    table = tiny_table_3d()

    class RefuseRowOne(TinyGraphFeaturizer):
        def featurize(self, record):
            if record.row == 1:
                raise FeaturizationError("row 1: refused")
            return super().featurize(record)

    graphs = featurize_table(table, RefuseRowOne(), ("ok", {}, "test (t 1)"), [], None, 1, progress=False)
    assert graphs.failures == {0: "row 1: refused"}
    assert np.array_equal(np.unique(graphs.graph_owner), np.arange(1, len(table)))
