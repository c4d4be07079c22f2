"""Each input format (CSV, CSV.gz, SMI, SDF, Parquet) gives the same predictions; molecules that fail are listed in
``<output>.failures.csv`` and summarised on the console; RDKit's own messages go to ``<output>.log``."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from screen_helpers import library, write_csv

BAD_ROW = 7  # 1-based input row of a molecule that cannot be read in any format


def _write_inputs(tmp: Path, smiles: list[str]) -> dict[str, Path]:
    from rdkit import Chem

    paths = {"csv": write_csv(tmp / "lib.csv", smiles)}
    paths["csv.gz"] = tmp / "lib.csv.gz"
    paths["csv.gz"].write_bytes(gzip.compress(paths["csv"].read_bytes()))
    paths["smi"] = tmp / "lib.smi"  # no header, a name after the SMILES
    paths["smi"].write_text("".join(f"{s} mol{i}\n" for i, s in enumerate(smiles)))
    paths["parquet"] = tmp / "lib.parquet"
    pd.DataFrame({"name": [f"mol{i}" for i in range(len(smiles))], "smiles": smiles}).to_parquet(paths["parquet"])
    blocks = []
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        # the bad row: a record whose nitrogen has five bonds, which RDKit refuses (and logs)
        block = Chem.MolToMolBlock(mol) if mol is not None else Chem.MolToMolBlock(
            Chem.MolFromSmiles("CN(C)(C)(C)C", sanitize=False))
        blocks.append(block + "$$$$\n")
    paths["sdf"] = tmp / "lib.sdf"
    paths["sdf"].write_text("".join(blocks))
    return paths


def test_every_input_format_gives_the_same_predictions_and_failures(forest_run, run_cli, tmp_path):
    smiles = library(120, invalid={BAD_ROW - 1: "CN(C)(C)(C)C"})
    outputs = {}
    for kind, path in _write_inputs(tmp_path, smiles).items():
        out = tmp_path / f"out_{kind.replace('.', '_')}.csv"
        code, _, err = run_cli("predict", "--run", forest_run, "--input", path, "--output", out, "--chunk-size", 50)
        assert code == 0, err
        flat = " ".join(err.split())
        assert "1 molecule failed" in flat and f"{out}.failures.csv" in flat, (kind, flat)
        assert "Explicit valence" not in err  # RDKit's message is in the log, not on the console
        outputs[kind] = pd.read_csv(out, dtype=str, keep_default_na=False)
        failures = pd.read_csv(f"{out}.failures.csv")
        assert failures["row"].tolist() == [BAD_ROW], kind
        if kind == "sdf":
            assert "could not be read by RDKit" in failures["reason"][0]
            assert "Explicit valence" in Path(f"{out}.log").read_text()
    reference = outputs.pop("csv")
    assert (reference["error"] != "").sum() == 1 and reference["smiles"].tolist() == smiles
    pred = [c for c in reference.columns if c.endswith(("_pred", "_std"))]
    assert len(pred) == 2
    for kind, got in outputs.items():
        assert got[pred].equals(reference[pred]), kind  # the numbers as written, digit for digit
        valid = reference["error"] == ""
        assert got["smiles"][valid].tolist() == reference["smiles"][valid].tolist(), kind


@pytest.mark.parametrize("name,content,message", [
    ("lib.txt", "smiles\nCCO\n", "unknown file type"),
    ("lib.csv", "name\nCCO\n", "no SMILES column 'smiles'"),
    ("lib.csv", "smiles\n", "has a header but no molecules"),
    ("lib.csv.gz", "smiles\nCCO\n", "could not read"),  # not gzip data
    ("lib.parquet", "smiles\nCCO\n", "could not read"),
])
def test_unreadable_inputs_are_refused_with_a_fix(forest_run, run_cli, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    code, _, err = run_cli("predict", "--run", forest_run, "--input", path, "--output", tmp_path / "o.csv")
    assert code == 2 and message in " ".join(err.split()) and "fix:" in err
