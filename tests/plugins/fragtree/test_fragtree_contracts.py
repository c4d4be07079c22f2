"""The fragtree encoder and the fragtree2d featurizer pass the molgdl.testing contracts."""

from __future__ import annotations

import pytest

from molgdl.data.table import MoleculeRecord
from molgdl.testing import FeaturizerContract, ModelContract
from molgdl_fragtree import hooks

# molecules with several BRICS fragments (ester, amide, ether, aryl-alkyl links), so that every Tree-LSTM weight
# is used; plus one single-fragment molecule
SMILES = ["CCOC(=O)c1ccccc1NC(=O)C1CC1", "CC(C)Cc1ccc(cc1)C(C)C(=O)O", "COc1ccc(CCN)cc1OC", "c1ccccc1",
          "CN(C)CCOC(c1ccccc1)c1ccccc1", "O=C(Nc1ccccc1)c1ccncc1"]


class TestFragTreeModel(ModelContract):
    plugin = hooks
    name = "fragtree"
    params = {"hidden_dim": 16, "prototypes": 3}

    @pytest.fixture
    def featurizer(self):
        from molgdl_fragtree.featurizer import FragTreeFeaturizer

        return FragTreeFeaturizer()

    @pytest.fixture
    def records(self):
        return [MoleculeRecord(id=f"m{i}", smiles=s, row=i + 1) for i, s in enumerate(SMILES)]


class TestFragTree2DFeaturizer(FeaturizerContract):
    plugin = hooks
    name = "fragtree2d"
