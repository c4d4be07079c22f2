"""SMILES->graph throughput of molgdl's ``graph2d`` featurizer (single process), same protocol as the peers."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _featurize_common import run  # noqa: E402

import torch  # noqa: E402

from molgdl.data.table import MoleculeRecord  # noqa: E402
from molgdl.plugins import create_plugin_manager  # noqa: E402
from molgdl.registry import Registry  # noqa: E402


def main() -> None:
    torch.set_num_threads(1)
    spec = Registry(create_plugin_manager()).get("featurizer", "graph2d")
    feat = spec.factory(spec.build_params())
    run("molgdl graph2d", lambda s: feat.featurize(MoleculeRecord("m", s, 1)))


if __name__ == "__main__":
    main()
