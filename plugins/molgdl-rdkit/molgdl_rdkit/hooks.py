"""Hook implementations of the RDKit plugin. Heavy modules (rdkit, torch) load inside the factories."""

from __future__ import annotations

from molgdl import hookimpl
from molgdl.specs import DescriptorSpec, FeaturizerSpec, NoParams, SplitterSpec
from molgdl_rdkit.params import Conformer3DParams, MorganParams, RDKit2DParams, ScaffoldParams
from molgdl_rdkit.params import (
    AtomPairParams,
    AvalonParams,
    CircularParams,
    RDKitPathParams,
    TorsionParams,
)


def _graph2d(params: NoParams):
    from molgdl_rdkit.graph2d import Graph2DFeaturizer

    return Graph2DFeaturizer(params)


def _conformer3d(params: Conformer3DParams):
    from molgdl_rdkit.conformer3d import Conformer3DFeaturizer

    return Conformer3DFeaturizer(params)


def _rdkit2d(params: RDKit2DParams):
    from molgdl_rdkit.descriptors import RDKit2DDescriptors

    return RDKit2DDescriptors(params)


def _rdkit2d_fast(params: NoParams):
    from molgdl_rdkit.descriptors import RDKit2DFastDescriptors

    return RDKit2DFastDescriptors(params)


def _morgan(params: MorganParams):
    from molgdl_rdkit.descriptors import MorganFingerprint

    return MorganFingerprint(params)


def _fingerprint(kind: str):
    def factory(params):
        from molgdl_rdkit.fingerprints import build_fingerprint

        return build_fingerprint(kind, params)

    factory.__name__ = factory.__qualname__ = f"_{kind}"
    return factory


# module-level names, so that the factories pickle by reference
_ecfp, _fcfp, _atompair, _torsion, _rdkit_path, _maccs, _avalon = (
    _fingerprint(k) for k in ("ecfp", "fcfp", "atompair", "torsion", "rdkit_path", "maccs", "avalon"))

# name -> (summary, factory, params model); counts/bits and lengths are params (molgdl_rdkit.fingerprints)
FINGERPRINTS = {
    "ecfp": ("ECFP (Morgan, connectivity invariants) bits or counts, any radius (radius 2 = ECFP4)", _ecfp,
             CircularParams),
    "fcfp": ("FCFP (Morgan, pharmacophoric feature invariants) bits or counts, any radius", _fcfp,
             CircularParams),
    "atompair": ("atom-pair fingerprint (Carhart 1985) bits or counts", _atompair, AtomPairParams),
    "torsion": ("topological-torsion fingerprint (Nilakantan 1987) bits or counts", _torsion, TorsionParams),
    "rdkit_path": ("RDKit path/subgraph fingerprint (Daylight-like) bits or counts", _rdkit_path,
                   RDKitPathParams),
    "maccs": ("MACCS keys, 167 bits (bit 0 unused)", _maccs, NoParams),
    "avalon": ("Avalon fingerprint (rdkit.Avalon) bits or counts", _avalon, AvalonParams),
}


def _scaffold(params: ScaffoldParams):
    from molgdl_rdkit.scaffold import ScaffoldSplitter

    return ScaffoldSplitter(params)


@hookimpl
def molgdl_featurizers() -> list[FeaturizerSpec]:
    return [
        FeaturizerSpec(
            name="graph2d",
            summary="2D molecular graph from SMILES: 50 atom / 14 bond features (chemprop-style, RDKit)",
            factory=_graph2d,
        ),
        FeaturizerSpec(
            name="conformer3d",
            summary="graph2d features + 3D coordinates: given geometry, or ETKDGv3 + MMFF conformers",
            factory=_conformer3d,
            params=Conformer3DParams,
        ),
    ]


@hookimpl
def molgdl_descriptors() -> list[DescriptorSpec]:
    return [
        DescriptorSpec(
            name="rdkit2d",
            summary="all RDKit 2D descriptors (Descriptors._descList; Ipc as log1p(Ipc)), or only `names`; "
                    "NaN where undefined",
            factory=_rdkit2d,
            params=RDKit2DParams,
        ),
        DescriptorSpec(
            name="rdkit2d_fast",
            summary="the RDKit 2D descriptors without the 62 costliest (QED, BCUT, EState/VSA, Crippen, ...; "
                    "faster; what each costs: docs/screening.md)",
            factory=_rdkit2d_fast,
        ),
        DescriptorSpec(
            name="morgan",
            summary="Morgan fingerprint bits or counts (rdFingerprintGenerator)",
            factory=_morgan,
            params=MorganParams,
        ),
        *(
            DescriptorSpec(name=name, summary=summary, factory=factory, params=params)
            for name, (summary, factory, params) in FINGERPRINTS.items()
        ),
    ]


@hookimpl
def molgdl_splitters() -> list[SplitterSpec]:
    return [
        SplitterSpec(
            name="scaffold",
            summary="Bemis-Murcko scaffold split (chemprop scaffold_balanced); no scaffold in two splits",
            factory=_scaffold,
            params=ScaffoldParams,
        )
    ]
