"""``molgdl predict --resume`` after a ``kill -9`` at a random point gives the uninterrupted run's bytes; a resume
of another job, or a second job over an unfinished one, is refused with a fix."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from screen_helpers import library, write_csv

CHUNK = 100


def _predict(run_cli, run: Path, inp: Path, out: Path, *extra) -> tuple[int, str]:
    code, _, err = run_cli("predict", "--run", run, "--input", inp, "--output", out, "--chunk-size", CHUNK, *extra)
    return code, err


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_kill_9_at_a_random_point_then_resume_gives_the_uninterrupted_output(forest_run, run_cli, tmp_path, suffix):
    inp = write_csv(tmp_path / "lib.csv", library(2500, invalid={17: "not_a_smiles", 1234: "C1CC"}))
    full = tmp_path / f"full{suffix}"
    assert _predict(run_cli, forest_run, inp, full)[0] == 0
    killed = tmp_path / f"killed{suffix}"
    progress = Path(f"{killed}.progress.json")
    stop_after = random.Random(suffix).randint(2, 20)  # of 25 chunks completed before the kill, plus a random delay
    proc = subprocess.Popen([sys.executable, "-m", "molgdl", "predict", "--run", str(forest_run), "--input", str(inp),
                             "--output", str(killed), "--chunk-size", str(CHUNK)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if progress.exists() and json.loads(progress.read_text())["chunks_done"] >= stop_after:
                break
            time.sleep(0.02)
        time.sleep(random.Random(stop_after).uniform(0, 0.2))  # mid-chunk, or between a write and its record
        assert proc.poll() is None, f"the job ended before the kill: {proc.stderr.read().decode()}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
    done = json.loads(progress.read_text())
    assert 0 < done["chunks_done"] < 25
    code, err = _predict(run_cli, forest_run, inp, killed, "--resume")
    assert code == 0 and f"continued after {done['chunks_done']} chunks" in err.replace("\n", " ")
    assert killed.read_bytes() == full.read_bytes()
    assert Path(f"{killed}.failures.csv").read_bytes() == Path(f"{full}.failures.csv").read_bytes()
    assert not progress.exists()


def test_resume_refuses_another_input_or_run_and_an_unfinished_job_needs_resume(forest_run, dmpnn_run, run_cli,
                                                                                 tmp_path):
    inp = write_csv(tmp_path / "lib.csv", library(300))
    out = tmp_path / "out.csv"
    code, err = _predict(run_cli, forest_run, inp, out, "--resume")
    assert code == 2 and "nothing to resume" in err and "without --resume" in err
    assert _predict(run_cli, forest_run, inp, out)[0] == 0
    # an unfinished job: the progress file of a job cut after its first chunk
    from molgdl.screen.progress_file import Progress, file_digest, run_digest

    job = {"command": "predict", "input_sha256": file_digest(inp), "run_sha256": run_digest(forest_run),
           "chunk_size": CHUNK, "shard": None, "coverage": None, "output_format": "csv"}
    first_chunk = b"".join(out.read_bytes().splitlines(keepends=True)[:CHUNK + 1])
    out.write_bytes(first_chunk)
    Progress(job, chunks_done=1, chunks_written=1, rows_read=CHUNK, rows_written=CHUNK,
             output_bytes=len(first_chunk)).save(out)
    code, err = _predict(run_cli, forest_run, inp, out)
    assert code == 2 and "unfinished job" in err and "--resume" in err
    code, err = _predict(run_cli, dmpnn_run, inp, out, "--resume")
    assert code == 2 and "the run (config or weights)" in err
    other = write_csv(tmp_path / "other.csv", library(301))
    code, err = _predict(run_cli, forest_run, other, out, "--resume")
    assert code == 2 and "the input file's content" in err
    code, err = _predict(run_cli, forest_run, inp, out, "--resume", "--chunk-size", 50)
    assert code == 2 and "chunk_size" in err
    size = len(first_chunk)
    out.write_bytes(first_chunk[: size // 2])  # the output lost bytes that the progress file says were written
    code, err = _predict(run_cli, forest_run, inp, out, "--resume")
    assert code == 2 and "changed or replaced" in err
