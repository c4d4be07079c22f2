"""The pretrained-encoder artifact: ``<run>/pretrained/encoder.pt`` (encoder and readout weights, tensors only) and
``<run>/pretrained/pretrained.json`` (what produced them: encoder, readout, featurizer and their params, the
featurizer version, the descriptor targets with their standardisation, package and plugin versions)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from molgdl.errors import ConfigError

ARTIFACT_DIR = "pretrained"
WEIGHTS, META = "encoder.pt", "pretrained.json"
FORMAT = 1


@dataclass(frozen=True)
class PretrainedEncoder:
    """A loaded artifact: ``meta`` (pretrained.json) and the weights ``encoder`` / ``readout`` (state dicts)."""

    path: Path
    meta: dict[str, Any]
    encoder: dict[str, Any]
    readout: dict[str, Any]

    def component(self, key: str) -> dict[str, Any]:
        """``{"name": ..., "params": {...}}`` of ``model``, ``readout`` or ``featurizer``."""
        return self.meta[key]


def write_artifact(run_dir: Path, encoder, readout, meta: dict[str, Any]) -> Path:
    """Write the artifact under ``run_dir/pretrained/`` (atomic weights file); returns that folder."""
    from molgdl.run.folder import write_json
    from molgdl.train.checkpoint_io import atomic_save

    out = Path(run_dir) / ARTIFACT_DIR
    out.mkdir(parents=True, exist_ok=True)
    atomic_save({"encoder": encoder.state_dict(), "readout": readout.state_dict()}, out / WEIGHTS)
    write_json(out / META, {"format": FORMAT, **meta})
    return out


#: ``pretrained: {from: molgdl:NAME}``: an encoder shipped with molgdl (``encoders/NAME/``, see its README.md)
BUNDLED_PREFIX = "molgdl:"
BUNDLED_DIR = Path(__file__).resolve().parent / "encoders"


def bundled_encoders() -> list[str]:
    """Names of the encoders shipped with molgdl (``molgdl:NAME``)."""
    return sorted(p.name for p in BUNDLED_DIR.iterdir() if (p / ARTIFACT_DIR / META).is_file())


def locate(path: Path | str, where: str = "pretrained.from") -> Path:
    """The pretraining run folder that ``path`` names: ``molgdl:NAME`` (a shipped encoder) or a path."""
    text = str(path)
    if not text.startswith(BUNDLED_PREFIX):
        return Path(path).expanduser()
    name = text[len(BUNDLED_PREFIX):]
    if name not in bundled_encoders():
        raise ConfigError(f"{where}: molgdl ships no encoder named {name!r}",
                          hint="shipped encoders: " + ", ".join(f"{BUNDLED_PREFIX}{n}" for n in bundled_encoders())
                          + "; or give the run folder of a finished `molgdl pretrain CONFIG`")
    return BUNDLED_DIR / name


def artifact_folder(path: Path | str) -> Path:
    """The artifact folder of a pretraining run folder (or the folder itself)."""
    path = locate(path)
    return path if (path / META).is_file() else path / ARTIFACT_DIR


HINT = ("give the run folder of a finished `molgdl pretrain CONFIG` (it holds pretrained/pretrained.json), or a "
        f"shipped encoder such as {BUNDLED_PREFIX}moses_1m")


def read_meta(path: Path | str, where: str = "pretrained.from") -> tuple[Path, dict[str, Any]]:
    """(artifact folder, pretrained.json) without loading weights; a missing or unreadable artifact is a
    ConfigError naming ``where`` and the path."""
    path = locate(path, where)
    folder = artifact_folder(path)
    if not Path(path).expanduser().exists():
        raise ConfigError(f"{where}: {path} does not exist", hint=HINT)
    if not (folder / META).is_file() or not (folder / WEIGHTS).is_file():
        raise ConfigError(f"{where}: {path} holds no pretrained encoder (no {ARTIFACT_DIR}/{META} and "
                          f"{ARTIFACT_DIR}/{WEIGHTS}); is the pretraining finished?", hint=HINT)
    try:
        meta = json.loads((folder / META).read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{where}: cannot read {folder / META}: {exc}", hint=HINT) from None
    if meta.get("format") != FORMAT:
        raise ConfigError(f"{where}: {folder / META} has format {meta.get('format')!r}, this molgdl reads "
                          f"{FORMAT}", hint="pretrain again with this molgdl version")
    return folder, meta


def load_artifact(path: Path | str, where: str = "pretrained.from") -> PretrainedEncoder:
    """Read an artifact (metadata and weights), with the errors of ``read_meta``."""
    import torch

    folder, meta = read_meta(path, where)
    try:
        weights = torch.load(folder / WEIGHTS, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the same user-facing problem
        raise ConfigError(f"{where}: cannot read the pretrained weights in {folder}: {exc}", hint=HINT) from None
    return PretrainedEncoder(folder, meta, weights["encoder"], weights["readout"])
