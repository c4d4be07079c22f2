"""Streaming predict goes through the same core function as ``Run.predict`` for every kind of run: a two-seed
D-MPNN with calibrated uncertainty (``_std``, ``_unc``, ``_lower``, ``_upper``, ``--coverage``) and an ensemble of
classical members give, chunk by chunk, the numbers of one ``Run.predict`` call on the whole library."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from screen_helpers import library, write_csv
from molgdl import api


@pytest.mark.parametrize("fixture", ["dmpnn_run", "ensemble_run"])
def test_chunks_give_the_numbers_of_one_call(request, run_cli, tmp_path, fixture):
    run = request.getfixturevalue(fixture)
    smiles = library(90, invalid={4: "C1CC"})
    inp = write_csv(tmp_path / "lib.csv", smiles)
    coverage = ["--coverage", "0.5"] if fixture == "dmpnn_run" else []
    code, _, err = run_cli("predict", "--run", run, "--input", inp, "--output", tmp_path / "o.csv", "--chunk-size", 16,
                           *coverage)
    assert code == 0, err
    got = pd.read_csv(tmp_path / "o.csv")
    got["error"] = got["error"].fillna("")
    expected = api.open_run(run).predict(smiles, coverage=0.5 if coverage else None)
    assert list(got.columns) == list(expected.columns)
    numbers = [c for c in expected.columns if c not in ("smiles", "error")]
    assert got[numbers].to_numpy(dtype=float) == pytest.approx(expected[numbers].to_numpy(), rel=1e-5, abs=1e-6,
                                                                nan_ok=True)
    assert (got["error"] != "").tolist() == (expected["error"] != "").tolist() == [i == 4 for i in range(90)]
    if fixture == "dmpnn_run":
        assert {c.rsplit("_", 1)[1] for c in numbers} == {"pred", "std", "unc", "lower", "upper"}
        wide = api.open_run(run).predict(smiles[:10], coverage=0.9)
        width = lambda df: df.filter(like="_upper").to_numpy() - df.filter(like="_lower").to_numpy()  # noqa: E731
        valid = np.arange(10) != 4
        assert (width(wide)[valid] > width(got.head(10))[valid]).all()  # --coverage reached the bounds


def test_ensemble_members_share_the_features_of_a_chunk(ensemble_run, run_cli, tmp_path, monkeypatch):
    """Both members of the ensemble use the same ECFP counts: a streamed chunk computes them once, not once per
    member (the default physchem ensemble has seven members on the same RDKit descriptors), and the numbers are
    those of the members featurizing alone."""
    from molgdl_rdkit.fingerprints import Fingerprint

    calls = []
    compute = Fingerprint.compute
    monkeypatch.setattr(Fingerprint, "compute", lambda self, record: calls.append(record.row) or compute(self, record))
    smiles = library(40, invalid={7: "C1CC"})
    inp = write_csv(tmp_path / "lib.csv", smiles)
    code, _, err = run_cli("predict", "--run", ensemble_run, "--input", inp, "--output", tmp_path / "o.csv",
                           "--chunk-size", 16)
    assert code == 0, err
    assert len(calls) == len(set(calls)) == 40  # each molecule once for both members (the broken one included)
    got = pd.read_csv(tmp_path / "o.csv")
    expected = api.open_run(ensemble_run).predict(smiles)  # through the on-disk cache, member by member
    numbers = [c for c in expected.columns if c not in ("smiles", "error")]
    assert got[numbers].to_numpy(dtype=float) == pytest.approx(expected[numbers].to_numpy(), rel=1e-5, abs=1e-6,
                                                                nan_ok=True)
