"""Parameter models of the RDKit plugin (pydantic only: imported when configs are validated)."""

from __future__ import annotations

from pydantic import Field, field_validator, model_serializer

from molgdl.specs import Params


class Conformer3DParams(Params):
    """``conformer3d``: ETKDGv3 embedding and force-field optimisation (unused with given coordinates)."""

    seed: int = Field(
        0, ge=0, description="random seed of the ETKDGv3 embedding (same seed -> same coordinates)"
    )
    n_conformers: int = Field(
        1, ge=1, le=1000, description="conformers embedded per molecule; one graph each"
    )
    add_hs: bool = Field(True, description="keep hydrogens as graph nodes (embedding always uses hydrogens)")
    optimize: bool = Field(
        True, description="MMFF94 optimisation after embedding (UFF when MMFF lacks parameters)"
    )
    max_attempts: int = Field(
        200, ge=1, description="ETKDG maxIterations per conformer before the random-coordinate retry"
    )
    time_limit_seconds: int = Field(
        60, ge=1, le=86_400,
        description="wall-time limit of one molecule's conformer generation (embedding and optimisation); a "
        "molecule over it becomes an invalid row with the reason",
    )


class MorganParams(Params):
    """``morgan``: Morgan fingerprint from ``rdFingerprintGenerator.GetMorganGenerator``."""

    radius: int = Field(2, ge=0, le=10, description="Morgan radius (2 ~ ECFP4)")
    n_bits: int = Field(2048, ge=1, le=1_048_576, description="fingerprint length (fpSize)")
    counts: bool = Field(False, description="count fingerprint instead of bits")


class ScaffoldParams(Params):
    """``scaffold``: Bemis-Murcko scaffold split fractions and ordering."""

    sizes: tuple[float, float, float] = Field(
        (0.8, 0.1, 0.1), description="train/val/test fractions, each >= 0, summing to 1"
    )
    balanced: bool = Field(
        True,
        description="chemprop's scaffold_balanced (large scaffold sets to train, rest shuffled by seed); "
        "False: DeepChem's order, largest scaffold sets first, seed unused",
    )

    @field_validator("sizes")
    @classmethod
    def _check_sizes(cls, sizes: tuple[float, float, float]) -> tuple[float, float, float]:
        if any(s < 0 for s in sizes):
            raise ValueError(f"split sizes must be >= 0, got {list(sizes)}")
        if abs(sum(sizes) - 1.0) > 1e-6:
            raise ValueError(f"split sizes must sum to 1, got {list(sizes)} (sum {sum(sizes):.6g})")
        return sizes


# ---- fingerprint descriptor sets (molgdl_rdkit.fingerprints)


class _FingerprintParams(Params):
    """Shared by the hashed fingerprints: length and bits/counts."""

    n_bits: int = Field(2048, ge=1, le=1_048_576, description="fingerprint length (fpSize)")
    counts: bool = Field(
        False, description="count fingerprint (how often each hashed feature occurs) instead of 0/1 bits"
    )


class CircularParams(_FingerprintParams):
    """``ecfp`` / ``fcfp``: Morgan fingerprint with connectivity (ECFP) or pharmacophoric feature (FCFP)
    atom invariants."""

    radius: int = Field(2, ge=0, le=10, description="Morgan radius: 2 ~ ECFP4/FCFP4, 3 ~ ECFP6/FCFP6")
    chirality: bool = Field(False, description="include CIP chirality in the atom invariants")


class AtomPairParams(_FingerprintParams):
    """``atompair``: atom pairs (Carhart et al. 1985) with their topological distance."""

    min_distance: int = Field(1, ge=1, le=100, description="shortest bond distance of a pair")
    max_distance: int = Field(30, ge=1, le=100, description="longest bond distance of a pair")
    count_simulation: bool = Field(
        True, description="bits only: set up to 4 bits per feature by its count (RDKit's default for atom pairs)"
    )

    @field_validator("max_distance")
    @classmethod
    def _check_range(cls, value: int, info) -> int:
        low = info.data.get("min_distance", 1)
        if value < low:
            raise ValueError(f"max_distance ({value}) must be >= min_distance ({low})")
        return value


class TorsionParams(_FingerprintParams):
    """``torsion``: topological torsions (Nilakantan et al. 1987), linear paths of ``atom_count`` atoms."""

    atom_count: int = Field(4, ge=2, le=10, description="atoms per torsion path")
    count_simulation: bool = Field(
        True, description="bits only: set up to 4 bits per feature by its count (RDKit's default for torsions)"
    )


class RDKitPathParams(_FingerprintParams):
    """``rdkit_path``: RDKit's Daylight-like fingerprint of subgraphs/paths of ``min_path``..``max_path`` bonds."""

    min_path: int = Field(1, ge=1, le=20, description="fewest bonds in a path")
    max_path: int = Field(7, ge=1, le=20, description="most bonds in a path")
    branched: bool = Field(True, description="branched subgraphs too, not only linear paths")

    @field_validator("max_path")
    @classmethod
    def _check_range(cls, value: int, info) -> int:
        low = info.data.get("min_path", 1)
        if value < low:
            raise ValueError(f"max_path ({value}) must be >= min_path ({low})")
        return value


class AvalonParams(_FingerprintParams):
    """``avalon``: Avalon fingerprint (Gedeck et al. 2006, ``rdkit.Avalon.pyAvalonTools``)."""

    n_bits: int = Field(1024, ge=8, le=1_048_576, description="fingerprint length (nBits)")


class RDKit2DParams(Params):
    """``rdkit2d``: all RDKit 2D descriptors, or only the named ones."""

    names: list[str] | None = Field(
        None,
        description="compute only these descriptors (names of rdkit.Chem.Descriptors._descList, Ipc also as "
        "Ipc_log1p), in this order; null: all of them. Only these are computed, so fewer is faster "
        "(docs/screening.md: what each costs)",
    )

    @field_validator("names")
    @classmethod
    def _distinct_names(cls, v: list[str] | None) -> list[str] | None:
        if v is not None:
            if not v:
                raise ValueError("names is an empty list: give at least one descriptor name, or null for all")
            repeated = sorted({n for n in v if v.count(n) > 1})
            if repeated:
                raise ValueError(f"descriptor(s) {repeated} listed more than once in names; list each once")
        return v

    @model_serializer(mode="wrap")
    def _all_as_before(self, handler):
        """Without ``names`` the params dump as ``{}``, as rdkit2d's did before ``names`` existed: the same
        feature-cache key and recorded config, so existing caches are reused and existing runs resume."""
        data = handler(self)
        if data.get("names") is None:
            data.pop("names", None)
        return data
