"""Hook implementations of the molgdl-models plugin (no torch import: factories import lazily)."""

from __future__ import annotations

from molgdl import hookimpl
from molgdl.specs import ModelSpec, NoParams, ReadoutSpec

from .params import (
    AtomwiseReadoutParams,
    AttentionReadoutParams,
    DMPNNParams,
    GaussianProcessParams,
    GINEParams,
    KNNParams,
    LightGBMParams,
    LinearParams,
    RandomForestParams,
    SchNetParams,
    Set2SetParams,
    SVMParams,
)


def _dmpnn(params, dims):
    from .dmpnn import build_dmpnn

    return build_dmpnn(params, dims)


def _gine(params, dims):
    from .gine import build_gine

    return build_gine(params, dims)


def _schnet(params, dims):
    from .schnet import build_schnet

    return build_schnet(params, dims)


def _random_forest(params, task):
    from .forest import build_random_forest

    return build_random_forest(params, task)


def _classical(name: str):
    def factory(params, task):
        from . import classical

        return getattr(classical, f"build_{name}")(params, task)

    factory.__name__ = factory.__qualname__ = f"_{name}"
    return factory


# module-level names, so that the factories pickle by reference
_svm, _knn, _linear, _lightgbm, _gp = (_classical(n) for n in ("svm", "knn", "linear", "lightgbm", "gp"))

# fingerprint / descriptor models (molgdl_models.classical): name -> (summary, factory, params)
CLASSICAL = {
    "svm": ("SVR/SVC with a MinMax (counts) or Tanimoto (bits) kernel on fingerprints (MoleculeACE's best)",
            _svm, SVMParams),
    "knn": ("k-nearest neighbours by MinMax/Tanimoto similarity", _knn, KNNParams),
    "linear": ("ridge (regression) or L2 logistic regression (classification) on standardised descriptors",
               _linear, LinearParams),
    "lightgbm": ("LightGBM gradient-boosted trees on molecule descriptors", _lightgbm, LightGBMParams),
    "gp": ("Gaussian process (RBF kernel, fitted by marginal likelihood) on standardised descriptors", _gp,
           GaussianProcessParams),
}


def _readout(name: str):
    def factory(params, in_dim):
        from . import readouts

        return getattr(readouts, f"build_{name}")(params, in_dim)

    factory.__name__ = factory.__qualname__ = f"_{name}_readout"
    return factory


_sum_readout = _readout("sum")
_mean_readout = _readout("mean")
_max_readout = _readout("max")
_attention_readout = _readout("attention")
_atomwise_readout = _readout("atomwise")
_set2set_readout = _readout("set2set")


@hookimpl
def molgdl_models():
    return [
        ModelSpec(
            name="dmpnn",
            summary="Directed bond message passing (chemprop v2 D-MPNN, Yang et al. 2019)",
            factory=_dmpnn,
            params=DMPNNParams,
            family="encoder",
        ),
        ModelSpec(
            name="gine",
            summary="GIN with bond features (PyG GINEConv stack, Hu et al. 2020)",
            factory=_gine,
            params=GINEParams,
            family="encoder",
        ),
        ModelSpec(
            name="schnet",
            summary="SchNet continuous-filter convolutions on 3D distances (Schütt et al. 2017)",
            factory=_schnet,
            params=SchNetParams,
            family="encoder",
            symmetry=frozenset({"E3", "permutation"}),
        ),
        ModelSpec(
            name="random_forest",
            summary="scikit-learn random forest on molecule descriptors",
            factory=_random_forest,
            params=RandomForestParams,
            family="classical",
            symmetry=frozenset(),
        ),
        *(
            ModelSpec(name=name, summary=summary, factory=factory, params=params, family="classical",
                      symmetry=frozenset())
            for name, (summary, factory, params) in CLASSICAL.items()
        ),
    ]


@hookimpl
def molgdl_readouts():
    return [
        ReadoutSpec(name="sum", summary="Sum of atom embeddings", factory=_sum_readout, params=NoParams),
        ReadoutSpec(name="mean", summary="Mean of atom embeddings", factory=_mean_readout, params=NoParams),
        ReadoutSpec(
            name="max", summary="Element-wise max of atom embeddings", factory=_max_readout, params=NoParams
        ),
        ReadoutSpec(
            name="atomwise",
            summary="Per-atom MLP, then sum (SchNetPack Atomwise; with a linear head: a sum of atomic terms)",
            factory=_atomwise_readout,
            params=AtomwiseReadoutParams,
        ),
        ReadoutSpec(
            name="attention",
            summary="Gated attention pooling (PyG AttentionalAggregation)",
            factory=_attention_readout,
            params=AttentionReadoutParams,
        ),
        ReadoutSpec(
            name="set2set",
            summary="Set2Set LSTM attention pooling (output 2 x in_dim)",
            factory=_set2set_readout,
            params=Set2SetParams,
        ),
    ]
