"""The property guide: a molgdl property run folder that scores complete molecules (``molgdl.open_run().predict``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Sequence

import numpy as np

from molgdl.errors import ConfigError, MolgdlError


class Guide:
    """Scores SMILES with a trained molgdl run: g(y) = sign * prediction of ``target`` (sign = -1 for
    ``direction: minimize``, so that the decoders always maximise g). Invalid molecules score NaN.
    Scores are cached by SMILES."""

    def __init__(self, run: str | Path, target: str | None = None,
                 direction: Literal["maximize", "minimize"] = "maximize", where: str = "guide.run") -> None:
        import molgdl

        path = Path(run)
        if not path.is_dir():
            raise ConfigError(f"{where}: guide run folder {path} does not exist",
                              hint="train a property model first (e.g. molgdl run configs/esol_dmpnn.yaml) and "
                                   "give its run folder (runs/<name>)")
        try:
            self.run = molgdl.open_run(path)
            columns = list(self.run.predict(["CCO"]).columns)
        except MolgdlError as exc:
            raise ConfigError(f"{where}: {path} is not a usable molgdl property run: {exc}",
                              hint="give the folder of a completed `molgdl run` (property task)") from None
        preds = [c[: -len("_pred")] for c in columns if c.endswith("_pred")]
        if target is None:
            if len(preds) != 1:
                raise ConfigError(f"{where}: the run predicts {len(preds)} targets ({', '.join(preds)})",
                                  hint="set guide.target to one of them")
            target = preds[0]
        elif target not in preds:
            raise ConfigError(f"guide.target: {target!r} is not predicted by {path} (targets: {', '.join(preds)})",
                              hint="use one of the listed targets")
        self.path, self.target, self.sign = path, target, (1.0 if direction == "maximize" else -1.0)
        self.cache: dict[str, float] = {}

    def predict(self, smiles: Sequence[str]) -> np.ndarray:
        """The run's prediction (target units, not signed) of each SMILES; NaN where it fails."""
        todo = sorted({s for s in smiles if s and s not in self.cache})
        if todo:
            out = self.run.predict(todo)
            for s, v in zip(out["smiles"], out[f"{self.target}_pred"]):
                self.cache[s] = float(v)
        return np.array([self.cache.get(s, np.nan) if s else np.nan for s in smiles], dtype=float)

    def score(self, smiles: Sequence[str]) -> np.ndarray:
        """The signed score g (larger is better)."""
        return self.sign * self.predict(smiles)
