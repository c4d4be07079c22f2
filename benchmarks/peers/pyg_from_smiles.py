"""SMILES->graph throughput of torch_geometric.utils.from_smiles (single process).

Run with molgdl's venv::

    .venv/bin/python benchmarks/peers/pyg_from_smiles.py \
        --smiles-file data.csv --column smiles --repeat-to 5000

Timed per molecule: from_smiles(smiles) (RDKit parse + PyG's 9 integer atom / 3 bond
features -> Data), defaults (with_hydrogen=False, kekulize=False).
Prints one JSON line with "mol_per_s".
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _featurize_common import run  # noqa: E402

import rdkit  # noqa: E402
import torch  # noqa: E402
import torch_geometric  # noqa: E402
from torch_geometric.utils import from_smiles  # noqa: E402


def main() -> None:
    torch.set_num_threads(1)  # single process, single thread: tensors are tiny anyway
    run("torch_geometric.utils.from_smiles", from_smiles,
        {"torch_geometric": torch_geometric.__version__, "rdkit": rdkit.__version__})


if __name__ == "__main__":
    main()
