"""Parameters of the ``attribution`` analysis (pydantic only: nothing heavy is imported here)."""

from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import Field, field_validator

from molgdl.specs import Params

Method = Literal["auto", "integrated_gradients", "occlusion", "permutation_shap"]
#: the methods that need a graph model, and the one that needs a descriptor (classical) model
GRAPH_METHODS = ("integrated_gradients", "occlusion")
CLASSICAL_METHODS = ("permutation_shap",)


class MethodParams(Params):
    """How each attribution method is computed (shared by the analysis and ``attribute``)."""

    steps: int = Field(
        50, ge=2, le=2000,
        description="integrated_gradients: points on the straight path from the all-zero feature baseline to "
        "the molecule (midpoint rule).")
    occlusion: Literal["atom", "bonds"] = Field(
        "atom",
        description="occlusion: 'atom' removes the atom and its bonds from the graph; 'bonds' cuts only its "
        "bonds (the atom stays, isolated). The atom's score is prediction(molecule) - prediction(occluded).")
    permutations: int = Field(
        10, ge=2, le=1000,
        description="permutation_shap: feature orders sampled per background molecule, in antithetic pairs "
        "(an order and its reverse); rounded up to an even number.")
    background: int = Field(
        16, ge=1, le=1000,
        description="permutation_shap: training molecules (sampled) that the molecule's descriptors are "
        "swapped in against; the attributions explain prediction(molecule) - mean prediction(background).")
    batch_size: int = Field(
        256, ge=1,
        description="Graphs per forward pass: integrated_gradients puts steps copies of batch_size // steps "
        "molecules in one pass, occlusion one graph per atom.")
    random_state: int = Field(0, description="Seed of the background sample and the feature orders.")


class AttributionParams(MethodParams):
    """Per-atom contributions to a trained model's prediction, drawn and aggregated into substructures."""

    methods: list[Method] = Field(
        default_factory=lambda: ["auto"],
        description="Methods to run: integrated_gradients and occlusion (graph models), permutation_shap "
        "(descriptor / fingerprint models); auto picks integrated_gradients or permutation_shap for the "
        "run's model. Each writes its files into analyses/attribution/ named <method>_*.")
    target: Optional[Union[str, int]] = Field(
        None, description="Target explained: its name or 0-based index (null: the first target).")
    seed: Optional[int] = Field(
        None, description="Replicate whose model is explained (null: the first seed).")
    split: Literal["test", "val", "train", "all"] = Field("test", description="Molecules attributed.")
    max_molecules: int = Field(
        200, ge=1, description="At most this many molecules of the split (in table order).")
    radius: int = Field(
        1, ge=0, le=4,
        description="Radius (bonds) of the atom-centred substructure each atom's score is aggregated under "
        "in <method>_substructures.csv.")
    min_molecules: int = Field(
        3, ge=1,
        description="A substructure is listed when it occurs in at least this many attributed molecules.")
    top_k: int = Field(
        12, ge=1, description="Substructures shown per direction (up, down) in <method>_substructures.png.")
    n_draw: int = Field(
        12, ge=0, description="Molecules drawn in <method>_molecules.png and as <method>_molecules/*.svg.")
    mols_per_row: int = Field(4, ge=1, description="Columns of the <method>_molecules.png grid.")
    image_size: int = Field(300, ge=100, description="Size in pixels of one drawn molecule.")

    @field_validator("methods")
    @classmethod
    def _methods(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("methods needs at least one of auto, integrated_gradients, occlusion, "
                             "permutation_shap")
        if len(set(v)) != len(v):
            raise ValueError(f"methods lists a method twice: {v}")
        return v
