"""``attribute(run, smiles)``: per-atom attributions of new molecules by a finished run, as tables and
drawings (``Attributions``). The docstring examples run in ``tests/plugins/attribution/test_attribution_run.py``
with ``run_dir`` a tiny finished D-MPNN run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from pydantic import ValidationError

from molgdl.errors import ConfigError, DataError, RunDirError

from .params import MethodParams


@dataclass
class Attributions:
    """What :func:`attribute` returns.

    atoms: one row per atom (``molecule``: index in the input, ``id``, ``smiles``, ``atom``, ``element``,
    ``attribution``, ``rank`` 1 = highest of its molecule); molecules: one row per input molecule
    (``prediction``, ``reference``, ``on_atoms``, ``off_atoms``, ``error`` for a molecule that could not be
    featurized); features: permutation_shap only, the Shapley value of every non-zero descriptor column per
    molecule (long format). ``draw(i)`` draws molecule ``i``; ``substructures()`` aggregates the atoms.
    """

    method: str
    target: str
    atoms: pd.DataFrame
    molecules: pd.DataFrame
    features: pd.DataFrame | None = None
    _mols: list = field(default_factory=list, repr=False)
    _scores: list = field(default_factory=list, repr=False)

    def draw(self, i: int = 0, *, size: int = 350, notes: bool = True, scale: float | None = None):
        """Molecule ``i`` with atoms coloured by attribution (red up, blue down), as an SVG that a notebook
        shows inline (``IPython.display.SVG``; the SVG text without IPython). ``notes``: each atom's score next
        to it; ``scale``: the score drawn at full colour (default: the largest absolute score of the molecule).

        Example:
            >>> svg = attribute(run_dir, ["c1ccccc1O"]).draw(0)
            >>> "<svg" in getattr(svg, "data", svg)
            True
        """
        from .draw import draw_molecule

        mol = self._mols[i] if 0 <= i < len(self._mols) else None
        if mol is None:
            raise DataError(f"molecule {i} has no attributions to draw"
                            + (f": {self.molecules.loc[i, 'error']}" if 0 <= i < len(self.molecules)
                               and self.molecules.loc[i, "error"] else ""),
                            hint=f"pick a molecule index between 0 and {len(self._mols) - 1} without an "
                                 "error")
        row = self.molecules.loc[i]
        legend = f"{row['smiles']}  {self.target}: {row['prediction']:.2f}"
        svg = draw_molecule(mol, self._scores[i], size=size, legend=legend, notes=notes, scale=scale)
        try:
            from IPython.display import SVG
        except ImportError:
            return svg
        return SVG(svg)

    def substructures(self, radius: int = 1, min_molecules: int = 1) -> pd.DataFrame:
        """Atom-centred substructures of ``radius`` bonds with the mean attribution of their centre atoms
        (``molgdl_attribution.aggregate.substructure_table``), highest first.

        Example:
            >>> table = attribute(run_dir, ["CCO", "CCCO"]).substructures(radius=1)
            >>> sorted(table.substructure)
            ['C[C:1]', 'C[C:1]C', 'C[C:1]O', 'C[O:1]']
        """
        from .aggregate import substructure_table

        keep = [i for i, m in enumerate(self._mols) if m is not None]
        table = substructure_table([self._mols[i] for i in keep], [self._scores[i] for i in keep], keep,
                                   radius, min_molecules)
        return table.rename(columns={"example_position": "example_molecule"})

    def _repr_html_(self) -> str:
        return (f"<p><b>{self.method}</b> attributions of <code>{self.target}</code> for "
                f"{len(self.molecules)} molecule(s), {len(self.atoms)} atoms</p>"
                + self.molecules.to_html(index=True, max_rows=20))


def _run_dir(run: Any) -> Path:
    for attr in ("path", "run_dir"):
        value = getattr(run, attr, None)
        if isinstance(value, (str, Path)):
            return Path(value)
    if isinstance(run, (str, Path)):
        return Path(run)
    raise ConfigError(f"attribute() needs a run folder or a run object, not a {type(run).__name__}",
                      hint="pass the folder `molgdl run` wrote (e.g. 'runs/esol') or molgdl.open_run(...)")


def _table_of(smiles: Sequence[str] | pd.DataFrame, names: list[str], task: str):
    from molgdl.data.table import MoleculeRecord, MoleculeTable

    if isinstance(smiles, str):
        smiles = [smiles]
    if isinstance(smiles, pd.DataFrame):
        if "smiles" not in smiles.columns:
            raise DataError("the DataFrame has no 'smiles' column", hint="name the SMILES column 'smiles'")
        smiles = smiles["smiles"].tolist()
    smiles = list(smiles)
    if not smiles or not all(isinstance(s, str) for s in smiles):
        raise DataError("attribute() needs a non-empty list of SMILES strings",
                        hint="e.g. attribute(run, ['CC(=O)Nc1ccccc1', 'CCO'])")
    records = [MoleculeRecord(id=str(i), smiles=s.strip(), row=i + 1) for i, s in enumerate(smiles)]
    return MoleculeTable(records, np.full((len(records), len(names)), np.nan), names, task, "attribute()")


def _featurize(res: Any, table: Any):
    from molgdl.data.cache import FeatureCache, default_cache_dir
    from molgdl.data.featurize import featurize_table

    featurizer = res.build("featurizer", "featurizer")
    descriptors = [(res.build("descriptor", key), res.identity("descriptor", key))
                   for key in (f"descriptors[{i}]" for i in range(len(res.config.descriptors)))]
    cache_root = Path(res.config.data.cache_dir) if res.config.data.cache_dir else default_cache_dir()
    return featurize_table(table, featurizer, res.identity("featurizer", "featurizer"), descriptors,
                           FeatureCache(cache_root), 1, progress=False)


def _targets(run_dir: Path) -> tuple[list[str], str]:
    from molgdl.predict import _targets_of_run

    return _targets_of_run(run_dir)


def attribute(run: Any, smiles: Sequence[str] | pd.DataFrame | str, method: str = "auto", *,
              target: str | int | None = None, seed: int | None = None, **method_params: Any) -> Attributions:
    """Per-atom attributions of ``smiles`` by the model of a finished run.

    run: a run folder (or an object with a ``path``, e.g. ``molgdl.open_run(...)``); smiles: SMILES strings
    (or a DataFrame with a ``smiles`` column); method: ``auto`` (integrated_gradients for graph models,
    permutation_shap for descriptor models), ``integrated_gradients``, ``occlusion`` or ``permutation_shap``;
    target: a target name or index (default the first); seed: the replicate (default the first);
    method_params: ``steps``, ``occlusion``, ``permutations``, ``background``, ``batch_size``,
    ``random_state`` (``molgdl_attribution.params.MethodParams``).

    Attributions are in the units of the explained output: the target's units (regression; the logit for
    graph classifiers, the probability for descriptor classifiers). docs/attributions.md explains each method.

    Example:
        >>> from molgdl_attribution import attribute
        >>> result = attribute(run_dir, ["CC(=O)Nc1ccccc1", "CCO"])
        >>> result.method, result.atoms.groupby("molecule").size().tolist()
        ('integrated_gradients', [10, 3])
        >>> list(result.atoms.columns)
        ['molecule', 'id', 'smiles', 'atom', 'element', 'attribution', 'rank']
        >>> m = result.molecules  # on_atoms + off_atoms = prediction - reference (completeness)
        >>> bool(((m.on_atoms + m.off_atoms) - (m.prediction - m.reference)).abs().max() < 1e-6)
        True
        >>> occluded = attribute(run_dir, ["CCO"], method="occlusion", occlusion="bonds")
        >>> occluded.atoms[["atom", "element"]].values.tolist()
        [[0, 'C'], [1, 'C'], [2, 'O']]
    """
    from molgdl.ensemble.predict import is_ensemble_run
    from molgdl.predict import is_classical, load_classical_replicate, load_replicate_model, open_run

    from .explainers import explain_classical, explain_graph
    from .outputs import atom_frame, molecule_frame, molecules_of
    from .selection import (background_positions, descriptor_blocks, resolve_methods, split_positions,
                            target_index, with_graphs)

    run_dir = _run_dir(run)
    if is_ensemble_run(run_dir):
        raise ConfigError(f"{run_dir} is an ensemble: its prediction is a weighted sum of member runs",
                          hint="attribute one member's run folder (members/<name>/)")
    try:
        params = MethodParams(**method_params)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"attribute(): {problems}",
                          hint="the method parameters are steps, occlusion, permutations, background, "
                               "batch_size and random_state (molgdl_attribution.params.MethodParams)",
                          ) from None
    res, seed_dirs = open_run(run_dir)
    names, task = _targets(run_dir)
    classical = is_classical(res)
    (method,) = resolve_methods([method], classical, res.config.model.name)
    t = target_index(target, names)
    seed_names = [p.name for p in seed_dirs]
    seed = int(seed_names[0].split("_")[1]) if seed is None else seed
    seed_dir = run_dir / f"seed_{seed}"
    if seed_dir not in seed_dirs:
        raise RunDirError(f"{run_dir} has no trained replicate seed_{seed}; replicates: {seed_names}",
                          hint="pass seed= one of those, or leave it out")
    table = _table_of(smiles, names, task)
    graphs = _featurize(res, table)
    positions = with_graphs(range(len(table)), graphs.graph_owner)
    if classical:
        from molgdl.run.data_stage import prepare_data

        model = load_classical_replicate(res, seed_dir)
        blocks = descriptor_blocks(res)
        data = prepare_data(res, None)  # the run's own molecules (featurization cache): background
        train = with_graphs(split_positions(run_dir, seed, data.table, "train"), data.graphs.graph_owner)
        bg = background_positions(train, params.background, params.random_state)
        results, phis = explain_classical(model, t, blocks, graphs.extra, table.records, positions,
                                          data.graphs.extra[bg], params)
        features = pd.DataFrame([(p, graphs.extra_names[j], float(phis[k, j]))
                                 for k, p in enumerate(positions) for j in np.flatnonzero(phis[k])],
                                columns=["molecule", "feature", "attribution"])
    else:
        model = load_replicate_model(res, seed_dir, graphs, table)
        results = explain_graph(model, task, t, graphs, positions, method, params)
        features = None
    atoms = atom_frame(results, table).drop(columns="position")
    atoms.insert(0, "molecule", [r.position for r in results for _ in range(len(r.atoms))])
    mol_rows = molecule_frame(results, table).set_index("position")
    molecules = pd.DataFrame({"smiles": table.smiles}).join(mol_rows.drop(columns="smiles"))
    molecules["error"] = [graphs.failures.get(i, "") for i in range(len(table))]
    molecules.index.name = "molecule"
    mols = [None] * len(table)
    scores: list = [None] * len(table)
    for r, m in zip(results, molecules_of(results, table)):
        mols[r.position], scores[r.position] = m, r.atoms
    return Attributions(method, names[t], atoms, molecules, features, mols, scores)
