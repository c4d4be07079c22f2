"""SMILES->graph throughput of chemprop 2.3.1's SimpleMoleculeMolGraphFeaturizer (single process).

Run with the chemprop venv::

    .bench/chemprop-venv/bin/python benchmarks/peers/chemprop_featurize.py \
        --smiles-file data.csv --column smiles --repeat-to 5000

Timed per molecule: chemprop.utils.make_mol(smiles) (RDKit parse, chemprop's defaults
keep_h=False/add_h=False, as in chemprop's own data loading) + featurizer(mol) -> MolGraph.
Prints one JSON line with "mol_per_s".
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _featurize_common import run  # noqa: E402

import chemprop  # noqa: E402
import rdkit  # noqa: E402
from chemprop.featurizers import SimpleMoleculeMolGraphFeaturizer  # noqa: E402
from chemprop.utils import make_mol  # noqa: E402


def main() -> None:
    featurizer = SimpleMoleculeMolGraphFeaturizer()  # chemprop defaults (V2 multi-hot atoms)

    def featurize_one(smi: str):
        return featurizer(make_mol(smi))

    run("chemprop.SimpleMoleculeMolGraphFeaturizer", featurize_one,
        {"chemprop": chemprop.__version__, "rdkit": rdkit.__version__,
         "atom_fdim": featurizer.atom_fdim, "bond_fdim": featurizer.bond_fdim})


if __name__ == "__main__":
    main()
