"""Data stage: read the source, featurize through the cache, record invalid rows, enforce the invalid limit."""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from molgdl.data.cache import FeatureCache, default_cache_dir
from molgdl.data.disk_featurize import featurize_to_disk
from molgdl.data.featurize import GraphSet, featurize_table
from molgdl.data.table import InvalidRow, MoleculeTable
from molgdl.data.target_checks import check_classes, check_target_names, drop_unusable_targets
from molgdl.errors import ConfigError, DataError
from molgdl.run.resolve import Resolved

log = logging.getLogger("molgdl")


@dataclass
class PreparedData:
    table: MoleculeTable
    graphs: GraphSet
    invalid: list[InvalidRow]
    featurizer: object


def load_table(res: Resolved) -> MoleculeTable:
    table = res.build("dataset", "data.source")
    if not isinstance(table, MoleculeTable):
        raise DataError(f"data source {res.config.data.source.name!r} returned {type(table).__name__}, not a MoleculeTable")
    check_target_names(table, res.config.data.source.name)
    table = drop_unusable_targets(table)
    check_classes(table, res.config.data.source.name)
    if len(table) == 0:
        raise DataError(f"data source {res.config.data.source.name!r} produced no valid molecules "
                        f"({len(table.invalid)} invalid rows)", hint="check the file and its SMILES column")
    return table


def prepare_data(res: Resolved, out_dir: Path | None,
                 on_table: Callable[[MoleculeTable], None] | None = None) -> PreparedData:
    """Read, featurize (through the cache) and check the data; ``on_table`` sees the table before featurization
    (the pipeline records or checks the data fingerprint there)."""
    cfg = res.config
    table = load_table(res)
    if on_table is not None:
        on_table(table)
    featurizer = res.build("featurizer", "featurizer")
    if cfg.loss.force_weight > 0 and not featurizer.dims.is_3d:
        raise ConfigError(f"loss.force_weight > 0 needs atom positions, but featurizer {cfg.featurizer.name!r} "
                          "is not 3D", hint="use `featurizer: {name: conformer3d}`, or set loss.force_weight: 0")
    descriptors = [(res.build("descriptor", f"descriptors[{i}]"), res.identity("descriptor", f"descriptors[{i}]"))
                   for i in range(len(cfg.descriptors))]
    cache_root = Path(cfg.data.cache_dir) if cfg.data.cache_dir else default_cache_dir()
    if use_disk(cfg.data, table):
        graphs = featurize_to_disk(table, featurizer, res.identity("featurizer", "featurizer"), descriptors,
                                   cache_root, cfg.data.num_workers, cfg.data.progress)
        where = "on disk"
    else:
        graphs = featurize_table(table, featurizer, res.identity("featurizer", "featurizer"), descriptors,
                                 FeatureCache(cache_root), cfg.data.num_workers, cfg.data.progress)
        where = "in memory"
    log.info("featurization: %d molecules in %.3f s (%s, %s)", len(table), graphs.seconds,
             "cache hit" if graphs.from_cache else "computed, now cached", where)
    for note in graphs.notes:
        log.warning(note)

    invalid = list(table.invalid) + [
        InvalidRow(table.records[p].row, table.records[p].id, table.records[p].smiles or "", reason)
        for p, reason in sorted(graphs.failures.items())
    ]
    if out_dir is not None:
        write_invalid_rows(out_dir / "invalid_rows.csv", invalid)
    n_read = max(table.n_read, len(table) + len(table.invalid))
    frac = len(invalid) / max(n_read, 1)
    if invalid:
        log.warning("%d of %d rows invalid (%.1f%%), listed in invalid_rows.csv", len(invalid), n_read, 100 * frac)
    if frac > cfg.data.max_invalid_fraction:
        first = "; ".join(r.reason if r.reason.startswith(f"row {r.row} ") else f"row {r.row}: {r.reason}"
                          for r in invalid[:3])
        raise DataError(
            f"{len(invalid)} of {n_read} rows ({100 * frac:.1f}%) are invalid, more than "
            f"data.max_invalid_fraction={cfg.data.max_invalid_fraction}. First: {first}",
            hint="fix those rows (all are listed in invalid_rows.csv in the run folder) "
                 "or raise data.max_invalid_fraction",
        )
    if len(graphs.dataset) == 0:
        raise DataError("no molecule could be featurized", hint="see invalid_rows.csv in the run folder")
    return PreparedData(table, graphs, invalid, featurizer)


def use_disk(data_cfg, table: MoleculeTable) -> bool:
    """Whether featurized graphs go to the disk store (``data.storage``; ``auto``: from ``data.disk_above``
    molecules on, unless the data has reference forces, which only the in-memory store keeps)."""
    has_forces = any(r.forces is not None for r in table.records)
    if data_cfg.storage == "disk":
        if has_forces:
            raise ConfigError("data.storage: disk does not store reference forces (per-atom training targets), "
                              f"and data source {data_cfg.source.name!r} has them",
                              hint="use data.storage: memory (or auto) for force training")
        return True
    return data_cfg.storage == "auto" and len(table) >= data_cfg.disk_above and not has_forces


def write_invalid_rows(path: Path, rows: list[InvalidRow]) -> None:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["row", "id", "smiles", "reason"])
        for r in rows:
            w.writerow([r.row, r.id, r.smiles, r.reason])
