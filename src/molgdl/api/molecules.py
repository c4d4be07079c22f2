"""Molecules without a run: read a data source (:func:`dataset`), featurize (:func:`featurize`), compute
descriptors (:func:`descriptors`) with any registered component."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from molgdl.api.display import kv_table
from molgdl.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from molgdl.registry import Registry


def _registry() -> "Registry":
    from molgdl.plugins import create_plugin_manager
    from molgdl.registry import Registry

    return Registry(create_plugin_manager())


def _component(registry: "Registry", kind: str, name: str, params: Mapping[str, Any], where: str) -> Any:
    from molgdl.config.load import validate_params
    from molgdl.config.schema import ComponentRef

    spec = registry.get(kind, name, where=where)
    validated = validate_params(spec, ComponentRef(name=name, **dict(params)), where)
    return spec, validated


def _smiles_list(molecules: "Sequence[str] | pd.DataFrame", smiles_column: str = "smiles") -> list[str]:
    import pandas as pd

    if isinstance(molecules, str):
        raise ConfigError("molecules must be a list of SMILES (a single string was given)",
                          hint=f"wrap it in a list: [{molecules!r}]")
    if isinstance(molecules, pd.DataFrame):
        if smiles_column not in molecules.columns:
            raise ConfigError(f"the DataFrame has no column {smiles_column!r}; columns: "
                              f"{', '.join(map(str, molecules.columns))}", hint="pass smiles_column=...")
        return [str(s) for s in molecules[smiles_column]]
    return [str(s) for s in molecules]


def dataset(name: str, **params: Any) -> "pd.DataFrame":
    """Read a registered data source (a bundled dataset or a file reader) into a DataFrame.

    Args:
        name: the source's registered name (``molgdl.components("dataset")``), e.g. ``esol`` or ``csv``.
        **params: its parameters, as under ``data.source`` in a config (e.g. ``limit=100``).

    Returns:
        One row per valid molecule: ``id``, ``smiles``, the targets and any metadata columns.

    Example:
        >>> import molgdl
        >>> esol = molgdl.dataset("esol", limit=5)
        >>> list(esol.columns[:2]), len(esol)
        (['id', 'smiles'], 5)
    """
    import pandas as pd

    spec, validated = _component(_registry(), "dataset", name, params, f"dataset({name!r})")
    table = spec.factory(validated)
    out = pd.DataFrame({"id": [r.id for r in table.records], "smiles": table.smiles})
    for j, target in enumerate(table.target_names):
        out[target] = table.targets[:, j]
    for column, values in table.columns.items():
        out[column] = values
    return out


def descriptors(molecules: "Sequence[str] | pd.DataFrame", names: str | Sequence[str] | Mapping[str, Mapping[str, Any]] = "rdkit2d",
                *, smiles_column: str = "smiles") -> "pd.DataFrame":
    """Molecule-level descriptors of registered descriptor sets, one row per molecule.

    Args:
        molecules: a list of SMILES, or a DataFrame with a SMILES column.
        names: one descriptor set (``"rdkit2d"``), several (``["rdkit2d", "morgan"]``), or sets with parameters
            (``{"morgan": {"radius": 3}}``); ``molgdl.components("descriptor")`` lists them.
        smiles_column: the SMILES column of a DataFrame.

    Returns:
        A DataFrame indexed by SMILES. With one set the columns are its descriptor names; with several they are
        ``<set>:<name>``. A value that is undefined, infinite or beyond float32's range is NaN, as in a run.

    Example:
        >>> import molgdl
        >>> d = molgdl.descriptors(["CCO", "c1ccccc1"], "rdkit2d")
        >>> d.loc["c1ccccc1", ["RingCount", "NumAromaticRings"]].tolist()
        [1.0, 1.0]
    """
    import numpy as np
    import pandas as pd

    from molgdl.data.descriptor_values import sanitize
    from molgdl.data.table import MoleculeRecord
    from molgdl.errors import MolgdlError

    sets = {names: {}} if isinstance(names, str) else (
        {k: dict(v or {}) for k, v in names.items()} if isinstance(names, Mapping) else {n: {} for n in names})
    smiles = _smiles_list(molecules, smiles_column)
    registry = _registry()
    blocks = []
    for name, params in sets.items():
        spec, validated = _component(registry, "descriptor", name, params, f"descriptors({name!r})")
        desc = spec.factory(validated)
        rows = []
        for i, s in enumerate(smiles):
            try:
                rows.append(np.asarray(desc.compute(MoleculeRecord(str(i), s, i + 1)), dtype=np.float64).ravel())
            except MolgdlError:
                rows.append(np.full(len(desc.names), np.nan))
        values, _, _ = sanitize(np.stack(rows) if rows else np.zeros((0, len(desc.names))))
        cols = list(desc.names) if len(sets) == 1 else [f"{name}:{c}" for c in desc.names]
        blocks.append(pd.DataFrame(values, columns=cols))
    out = pd.concat(blocks, axis=1)
    out.index = pd.Index(smiles, name="smiles")
    return out


@dataclass
class Featurized:
    """Molecules featurized by a registered featurizer: PyG graphs and the molecules that failed.

    ``graphs`` holds one ``torch_geometric.data.Data`` per graph (several per molecule for multi-conformer
    featurizers), ``molecule`` the input position of each graph, ``errors`` ``{position: reason}``.

    Example:
        >>> import molgdl
        >>> f = molgdl.featurize(["CCO", "CC(=O)O"])
        >>> f.dims.is_3d, f.molecule
        (False, [0, 1])
    """

    featurizer: str
    smiles: list[str]
    graphs: list[Any]
    molecule: list[int]
    errors: dict[int, str]
    dims: Any

    def __len__(self) -> int:
        return len(self.graphs)

    def __getitem__(self, i: int) -> Any:
        return self.graphs[i]

    def _repr_html_(self) -> str:
        rows = [("featurizer", self.featurizer), ("molecules", len(self.smiles)), ("graphs", len(self.graphs)),
                ("atom features", self.dims.atom_dim), ("bond features", self.dims.bond_dim),
                ("3D", self.dims.is_3d), ("failed", len(self.errors))]
        failed = "".join(f"<li>{html.escape(self.smiles[i])}: {html.escape(r)}</li>"
                         for i, r in list(self.errors.items())[:10])
        return kv_table(rows) + (f"<ul>{failed}</ul>" if failed else "")


def featurize(molecules: "Sequence[str] | pd.DataFrame", featurizer: str = "graph2d", *,
              smiles_column: str = "smiles", **params: Any) -> Featurized:
    """Featurize molecules with a registered featurizer, as a run would (through the featurization cache).

    Args:
        molecules: a list of SMILES, or a DataFrame with a SMILES column.
        featurizer: the featurizer's registered name (``molgdl.components("featurizer")``).
        smiles_column: the SMILES column of a DataFrame.
        **params: the featurizer's parameters.

    Example:
        >>> import molgdl
        >>> f = molgdl.featurize(["CCO", "c1ccccc1", "not a smiles"])
        >>> len(f), f[0].num_nodes, sorted(f.errors)
        (2, 3, [2])
    """
    import numpy as np

    from molgdl.data.cache import FeatureCache, default_cache_dir
    from molgdl.data.featurize import featurize_table
    from molgdl.data.table import MoleculeRecord, MoleculeTable

    smiles = _smiles_list(molecules, smiles_column)
    registry = _registry()
    spec, validated = _component(registry, "featurizer", featurizer, params, f"featurize({featurizer!r})")
    built = spec.factory(validated)
    records = [MoleculeRecord(str(i), s.strip(), i + 1) for i, s in enumerate(smiles)]
    table = MoleculeTable(records, np.zeros((len(records), 0)), [], "regression", "featurize()")
    ident = (featurizer, validated.model_dump(mode="json"), registry.provider("featurizer", featurizer))
    graphs = featurize_table(table, built, ident, [], FeatureCache(default_cache_dir()), 1, progress=False)
    data = [graphs.dataset[i] for i in range(len(graphs.dataset))]
    return Featurized(featurizer, smiles, data, [int(o) for o in graphs.graph_owner], dict(graphs.failures),
                      built.dims)
