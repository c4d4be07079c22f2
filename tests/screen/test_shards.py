"""``--shard K/N`` jobs merged with ``molgdl merge`` give the unsharded output byte for byte, in each output format;
a merge of parts that do not belong together is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from screen_helpers import library, write_csv

CHUNK = 40


def _score(run_cli, command: str, run: Path, inp: Path, out: Path, *extra) -> str:
    code, _, err = run_cli(command, "--run", run, "--input", inp, "--output", out, "--chunk-size", CHUNK, *extra)
    assert code == 0, err
    return err


@pytest.mark.parametrize("command,suffix", [("predict", ".csv"), ("predict", ".csv.gz"), ("predict", ".parquet"),
                                            ("embed", ".csv")])
def test_four_shards_merged_equal_the_unsharded_output(forest_run, run_cli, tmp_path, command, suffix):
    # 610 rows: 16 chunks, the last one short, shards of 4, 4, 4 and 4 chunks; two molecules fail
    inp = write_csv(tmp_path / "lib.csv", library(610, invalid={3: "C1CC", 601: "not_a_smiles"}))
    whole = tmp_path / f"whole{suffix}"
    _score(run_cli, command, forest_run, inp, whole)
    parts = [tmp_path / f"part{k}{suffix}" for k in (1, 2, 3, 4)]
    for k, part in enumerate(parts, start=1):
        _score(run_cli, command, forest_run, inp, part, "--shard", f"{k}/4")
    assert all(part.stat().st_size < whole.stat().st_size for part in parts)
    merged = tmp_path / f"merged{suffix}"
    code, _, err = run_cli("merge", merged, *reversed(parts))
    assert code == 0 and "610 rows" in err, err
    assert merged.read_bytes() == whole.read_bytes()
    failures = Path(f"{whole}.failures.csv")
    assert Path(f"{merged}.failures.csv").read_bytes() == failures.read_bytes()
    assert failures.read_text().splitlines()[1].startswith("4,C1CC,")


def test_merge_refuses_missing_unfinished_or_foreign_parts(forest_run, run_cli, tmp_path):
    inp = write_csv(tmp_path / "lib.csv", library(100))
    parts = [tmp_path / f"p{k}.csv" for k in (1, 2)]
    for k, part in enumerate(parts, start=1):
        _score(run_cli, "predict", forest_run, inp, part, "--shard", f"{k}/2")
    code, _, err = run_cli("predict", "--run", forest_run, "--input", inp, "--output", parts[0], "--chunk-size", CHUNK,
                           "--shard", "1/2", "--resume")  # a requeued array task whose shard had completed
    assert code == 0 and "is complete (60 predictions); nothing to resume" in " ".join(err.split())
    code, _, err = run_cli("merge", tmp_path / "m.csv", parts[0])
    assert code == 2 and "shard(s) 2/2 missing" in err
    code, _, err = run_cli("merge", tmp_path / "m.csv", parts[0], parts[0])
    assert code == 2 and "both shard 1/2" in err
    other = tmp_path / "other.csv"
    _score(run_cli, "predict", forest_run, write_csv(tmp_path / "lib2.csv", library(99)), other, "--shard", "2/2")
    code, _, err = run_cli("merge", tmp_path / "m.csv", parts[0], other)
    assert code == 2 and "another job" in err
    whole = tmp_path / "whole.csv"
    _score(run_cli, "predict", forest_run, inp, whole)
    code, _, err = run_cli("merge", tmp_path / "m.csv", whole, parts[1])
    assert code == 2 and "not the output of a `--shard K/N` job" in err
    for bad in ("0/4", "5/4", "2", "a/b"):
        code, _, err = run_cli("predict", "--run", forest_run, "--input", inp, "--output", tmp_path / "x.csv",
                               "--shard", bad)
        assert code == 2 and "is not K/N with 1 <= K <= N" in err and "SLURM_ARRAY_TASK_ID" in err
