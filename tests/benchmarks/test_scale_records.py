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
