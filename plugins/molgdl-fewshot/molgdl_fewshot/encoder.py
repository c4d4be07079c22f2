"""A ``molgdl pretrain`` artifact as a featurizer + encoder + readout built from the registry."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from molgdl.data.table import MoleculeRecord
from molgdl.errors import ConfigError, MolgdlError
from molgdl.pretrain.artifact import PretrainedEncoder, load_artifact
from molgdl.specs import FeatureDims


@dataclass
class Embedder:
    """featurizer, and factories of (encoder, readout) as pretrained (``build(True)``) or freshly initialised."""

    artifact: PretrainedEncoder
    featurizer: Any
    dims: FeatureDims
    registry: Any

    def build(self, pretrained: bool, seed: int = 0) -> tuple[torch.nn.Module, torch.nn.Module]:
        meta = self.artifact.meta
        torch.manual_seed(seed)
        spec = self.registry.get("model", meta["model"]["name"])
        encoder = spec.factory(spec.build_params(meta["model"]["params"]), self.dims)
        rspec = self.registry.get("readout", meta["readout"]["name"])
        readout = rspec.factory(rspec.build_params(meta["readout"]["params"]), encoder.out_dim)
        if pretrained:
            encoder.load_state_dict(self.artifact.encoder, strict=True)
            readout.load_state_dict(self.artifact.readout, strict=True)
        return encoder, readout


def load_embedder(path: Path | str, registry: Any, where: str = "pretrained") -> Embedder:
    """Build the artifact's featurizer (refused when its version differs from the pretrained one)."""
    art = load_artifact(path, where)
    meta = art.meta["featurizer"]
    spec = registry.get("featurizer", meta["name"], where=f"{where} (featurizer of {art.path})")
    featurizer = spec.factory(spec.build_params(meta["params"]))
    if str(getattr(featurizer, "version", "")) != meta["version"]:
        raise ConfigError(f"{where}: the encoder in {art.path} was pretrained on featurizer version "
                          f"{meta['version']!r}, the installed {meta['name']!r} is {featurizer.version!r}",
                          hint="pretrain again with the installed featurizer")
    d = featurizer.dims
    return Embedder(art, featurizer, FeatureDims(d.atom_dim, d.bond_dim, 0, d.is_3d), registry)


def featurize(featurizer: Any, smiles: list[str]) -> tuple[list[Any], np.ndarray]:
    """Graphs of the molecules that featurize, and their row indices ``[M']``."""
    graphs, ok = [], []
    for i, smi in enumerate(smiles):
        try:
            g = featurizer.featurize(MoleculeRecord(id=f"row{i + 1}", smiles=smi, row=i + 1))
        except MolgdlError:
            continue
        g[0].extra = torch.zeros(1, 0)
        graphs.append(g[0])
        ok.append(i)
    return graphs, np.asarray(ok, dtype=np.int64)


def embed(encoder: torch.nn.Module, readout: torch.nn.Module, graphs: list[Any], batch_size: int = 256) -> np.ndarray:
    """Molecule embeddings ``[M, readout.out_dim]`` (eval mode, no gradients)."""
    from torch_geometric.loader import DataLoader

    encoder.eval()
    readout.eval()
    out = []
    with torch.no_grad():
        for batch in DataLoader(graphs, batch_size=batch_size):
            out.append(readout(encoder(batch), batch).double().numpy())
    return np.concatenate(out) if out else np.zeros((0, readout.out_dim))
