"""Parameter models of the RDKit plugin (pydantic only: imported when configs are validated)."""

from __future__ import annotations

from pydantic import Field, field_validator

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
