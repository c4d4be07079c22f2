"""benchmarks/scale/predict.py keeps the records of every benchmark command: the report pairs the arms measured
by one command, so a later command with an arm of the same name and size must not replace an earlier record."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

PREDICT = Path(__file__).resolve().parents[2] / "benchmarks" / "scale" / "predict.py"


def test_a_record_of_another_command_is_kept(tmp_path):
    spec = importlib.util.spec_from_file_location("scale_predict_under_test", PREDICT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    sys.modules.pop("scale_predict_under_test", None)
    name = "predict_esol_dmpnn_10000.json"
    first = mod.record_path(tmp_path, name, "cmd A")
    assert first == tmp_path / name
    first.write_text(json.dumps({"benchmark_command": "cmd A"}))
    assert mod.record_path(tmp_path, name, "cmd A") == first  # the same command measures again: replaced
    other = mod.record_path(tmp_path, name, "cmd B")
    assert other != first and other.name == name and other.parent.parent == tmp_path
    other.write_text(json.dumps({"benchmark_command": "cmd B"}))
    assert json.loads(first.read_text())["benchmark_command"] == "cmd A"
    assert mod.record_path(tmp_path, name, "cmd B") == other


def _load_module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    sys.modules.pop(name, None)
    return mod


CHILD = """
import json, sys, time
from pathlib import Path
held = []
for k in range(4):  # as molgdl's streaming loop: progress saved, then the chunk's work (k + 1 blocks of 40 MB held)
    Path(sys.argv[1]).write_text(json.dumps({"chunks_written": k}))
    block = bytearray(40 * 2**20)
    block[::4096] = b"x" * (40 * 2**20 // 4096)  # every page touched, so resident
    held.append(block)
    time.sleep(0.8)
"""


def test_rss_by_chunk_follows_a_memory_that_grows_chunk_by_chunk(tmp_path):
    """The sampler sees the grandchild (as under /usr/bin/time), tells chunks apart by the progress file, and
    removes its live file at the end."""
    import subprocess

    mod = _load_module("scale_predict_rss", PREDICT)
    child, progress, live = tmp_path / "child.py", tmp_path / "out.csv.progress.json", tmp_path / "live.json"
    child.write_text(CHILD)
    parent = f"import subprocess, sys; sys.exit(subprocess.call([sys.executable, {str(child)!r}, {str(progress)!r}]))"
    proc = subprocess.Popen([sys.executable, "-c", parent])
    peaks = mod.rss_by_chunk(proc, progress, live, every=0.05)
    assert proc.returncode == 0 and not live.exists()
    assert len(peaks) == 4 and all(p is not None for p in peaks)
    steps = [b - a for a, b in zip(peaks, peaks[1:])]
    assert all(30 < s < 60 for s in steps), peaks  # 40 MB = 38.1 MiB per chunk


def test_the_report_compares_the_memory_of_early_and_late_chunks():
    report = _load_module("scale_report_rss", PREDICT.with_name("report.py"))
    record = {"run": "esol_default", "molecules": 60_000, "chunk_size": 10_000,
              "rss_by_chunk_mb_runs": [[900.0, 1000.0, None, 1100.0, 1050.0, 1210.0], [800.0] * 6]}
    text = report.chunk_rss_sentence(record)
    assert "900 MiB while scoring chunk 1" in text and "1,210 MiB while scoring chunk 6" in text
    assert "first 2 sampled chunks 1,000 MiB, over the last 3 1,210 MiB (1.21x)" in text
    assert report.chunk_rss_sentence({**record, "rss_by_chunk_mb_runs": [[900.0, None, 950.0]]}) is None
    assert report.chunk_rss_sentence({"run": "graph_only"}) is None  # a record from before the series
