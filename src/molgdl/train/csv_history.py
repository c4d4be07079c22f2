"""``logs/metrics.csv`` that survives a resume.

Lightning's CSV logger deletes an existing ``metrics.csv`` when it starts, so a resumed run kept only the
epochs after the resume (and its learning curve with them). ``HistoryCSVLogger`` keeps the rows of the
epochs the resumed checkpoint contains (``epoch <= keep_epoch``), drops rows of epochs logged after it (they
are trained again) and appends the new ones.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from pytorch_lightning.loggers import CSVLogger
from pytorch_lightning.loggers.csv_logs import ExperimentWriter


class _HistoryWriter(ExperimentWriter):
    def __init__(self, log_dir: str, keep_epoch: int) -> None:
        self.keep_epoch = keep_epoch  # read by _check_log_dir_exists, which the base __init__ calls
        super().__init__(log_dir=log_dir)

    def _check_log_dir_exists(self) -> None:  # Lightning's version deletes metrics.csv
        path = Path(self.metrics_file_path)
        if not path.is_file():
            return
        with path.open(newline="") as fh:
            reader = csv.DictReader(fh)
            fields = sorted(reader.fieldnames or [])  # Lightning keeps the header sorted
            rows = [r for r in reader if _epoch(r) is not None and _epoch(r) <= self.keep_epoch]
        if not rows:
            path.unlink()
            return
        tmp = path.with_name(f".{path.name}.tmp")
        with tmp.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, path)
        self.metrics_keys = fields  # new rows are appended under the same header


def _epoch(row: dict[str, str]) -> int | None:
    try:
        return int(float(row.get("epoch") or ""))
    except ValueError:
        return None


class HistoryCSVLogger(CSVLogger):
    """CSVLogger that keeps the rows of epochs ``<= keep_epoch`` of an existing metrics.csv (-1: none)."""

    def __init__(self, *args, keep_epoch: int = -1, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._keep_epoch = keep_epoch

    @property
    def experiment(self) -> ExperimentWriter:
        if self._experiment is not None:
            return self._experiment
        if not self._is_global_zero():
            return super().experiment
        self._fs.makedirs(self.root_dir, exist_ok=True)
        self._experiment = _HistoryWriter(self.log_dir, self._keep_epoch)
        return self._experiment

    def _is_global_zero(self) -> bool:
        from pytorch_lightning.utilities.rank_zero import rank_zero_only

        return getattr(rank_zero_only, "rank", 0) == 0
