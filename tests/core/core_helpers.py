"""Helpers of the core tests: tiny configs, CSV writers, subprocess CLI runner.

Every run the tests start is small (tens of molecules, 1-3 epochs, hidden sizes of 16-32) and writes its
run folder and featurization cache under ``tmp_path``; nothing reads ``../shared/`` or the network.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]

# A few valid SMILES of drug-like size, used for the small CSV files the tests write.
SMILES = [
    "CCO", "c1ccccc1O", "CC(=O)N", "CCN(CC)CC", "OC(=O)c1ccccc1", "C1CCCCC1", "CC#N", "ClCCl", "CC(C)O",
    "c1ccncc1", "CCOC(=O)C", "NCCO", "CCCCCC", "c1ccc2ccccc2c1", "CC(C)(C)O", "O=C1CCCCC1", "CCOCC",
    "Cc1ccccc1", "Oc1ccc(Cl)cc1", "CC(=O)Oc1ccccc1C(=O)O", "CN1CCCC1", "C=CC=C", "CCS", "FC(F)(F)c1ccccc1",
    "NC(=O)c1ccccc1", "CCCCO", "OCC(O)CO", "c1ccsc1", "c1ccoc1", "CC(C)C(=O)O", "CCCN", "COc1ccccc1",
    "Brc1ccccc1", "CC(C)CC(C)C", "O=Cc1ccccc1", "CCOC(=O)c1ccccc1", "C1CCNCC1", "C1COCCN1", "CCCC#N",
    "Nc1ccccc1",
]  # fmt: skip


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``base`` updated recursively with ``over``; a value of ``None`` in ``over`` replaces (sets null)."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k not in ("source", "model", "split"):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def tiny_config(tmp_path: Path, **over: Any) -> dict[str, Any]:
    """A config that trains in a second or two: 40 ESOL molecules, D-MPNN width 32, 1 epoch, CPU."""
    base: dict[str, Any] = {
        "run": {"name": "t", "output_dir": str(tmp_path / "runs"), "seeds": [0]},
        "data": {
            "source": {"name": "esol", "limit": 40},
            "cache_dir": str(tmp_path / "cache"),
            "num_workers": 1,
            "progress": False,
        },
        "featurizer": {"name": "graph2d"},
        "split": {"name": "random", "sizes": [0.8, 0.1, 0.1]},
        "model": {"name": "dmpnn", "hidden_dim": 32, "depth": 2},
        "readout": {"name": "mean"},
        "head": {"hidden_dim": 16, "num_layers": 2},
        "optimizer": {"name": "adam", "lr": 0.001},
        "trainer": {
            "max_epochs": 1,
            "batch_size": 8,
            "accelerator": "cpu",
            "devices": 1,
            "early_stopping": None,
            "progress_bar": False,
        },
    }
    return deep_merge(base, over)


def write_config(path: Path, cfg: dict[str, Any]) -> Path:
    path = Path(path)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def write_csv(path: Path, rows: list[tuple[Any, ...]], header: tuple[str, ...] = ("smiles", "y")) -> Path:
    """A plain CSV (no quoting needed for the values the tests use)."""
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)


def csv_source(path: Path, **params: Any) -> dict[str, Any]:
    return {"name": "csv", "path": str(path), "smiles_column": "smiles", "target_columns": ["y"], **params}


def good_rows(n: int = 40) -> list[tuple[str, float]]:
    """``n`` valid molecules with a smooth target (number of characters / 10)."""
    return [(SMILES[i % len(SMILES)], round(len(SMILES[i % len(SMILES)]) / 10.0, 3)) for i in range(n)]


def run_dir(cfg: dict[str, Any]) -> Path:
    return Path(cfg["run"]["output_dir"]) / cfg["run"]["name"]


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text())


def assert_no_traceback(*texts: str) -> None:
    for t in texts:
        assert "Traceback" not in t, t


def subprocess_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment for ``python -m molgdl.cli`` subprocesses: wide console, cache under tmp_path."""
    env = dict(os.environ)
    env.update({"COLUMNS": "1000", "MOLGDL_CACHE_DIR": str(tmp_path / "cache"), "PYTHONWARNINGS": "ignore"})
    env.pop("MOLGDL_PLUGIN_AUTOLOAD", None)
    env.pop("MOLGDL_DISABLE_PLUGINS", None)
    if "PYTHONPATH" in extra and os.environ.get("PYTHONPATH"):
        extra = {**extra, "PYTHONPATH": extra["PYTHONPATH"] + os.pathsep + os.environ["PYTHONPATH"]}
    env.update(extra)
    return env


def molgdl_subprocess(args: list[str], tmp_path: Path, timeout: float = 240, **env: str) -> subprocess.CompletedProcess:
    """Run ``python -m molgdl.cli ARGS`` in a fresh interpreter (entry points are re-read)."""
    return subprocess.run([sys.executable, "-m", "molgdl.cli", *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=timeout, env=subprocess_env(tmp_path, **env))


def flat(text: str) -> str:
    """Whitespace-normalised text (rich may wrap long console lines)."""
    return " ".join(text.split())
