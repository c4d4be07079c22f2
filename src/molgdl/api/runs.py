"""Train a run (:func:`run`), open a finished one (:func:`open_run`), and use it (:class:`Run`).

``molgdl run``, ``molgdl predict`` and ``molgdl embed`` call these same functions, so the command line and
the Python API cannot drift apart.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from molgdl.api.display import Figure, img_tag, kv_table
from molgdl.errors import MolgdlError, RunDirError

if TYPE_CHECKING:
    import pandas as pd

    from molgdl.api.results import AnalysisResult
    from molgdl.screen.stream import ScreenSummary

#: What :meth:`Run.predict` and :meth:`Run.embed` accept: a CSV path, a DataFrame with a SMILES column, or
#: a list of SMILES strings.
Molecules = "str | Path | pd.DataFrame | Sequence[str]"


def run(config: str | Path | Mapping[str, Any], /, *, data: "pd.DataFrame | Mapping[str, Any] | None" = None,
        overwrite: bool = False, resume: bool = False, strict: bool = False,
        disable_plugins: Iterable[str] = (), **overrides: Any) -> "Run":
    """Train and evaluate a config, as ``molgdl run`` does, and return the finished :class:`Run`.

    Args:
        config: a YAML config file, or the same config as a dict (``data`` and ``model`` are required).
        data: a pandas DataFrame to train on (the ``dataframe`` data source: give ``target_columns`` and, if
            not ``smiles``, ``smiles_column`` under ``data.source``); a dict is merged into the ``data``
            section like any other override.
        overwrite: replace an existing run folder of the same name (``--overwrite``).
        resume: continue an interrupted run from its last checkpoint (``--resume``).
        strict: a plugin that fails to load is an error (``--strict``).
        disable_plugins: entry-point names of plugins to skip (``--disable-plugin``).
        **overrides: config changes: ``trainer={"max_epochs": 5}`` merges into a section,
            ``**{"trainer.max_epochs": 5}`` sets one key (as ``--set``).

    Returns:
        The run, with its metrics, predictions and a way to predict, embed and analyse.

    Raises:
        molgdl.ConfigError: the config is invalid (the message names the key, the choices, a did-you-mean).

    Example:
        >>> import molgdl
        >>> config = {"data": {"source": {"name": "esol", "limit": 40}, "progress": False},
        ...           "model": {"name": "dmpnn", "hidden_dim": 16, "depth": 2}}
        >>> esol = molgdl.run(config, run={"name": "esol_tiny"}, trainer={"max_epochs": 2, "batch_size": 16},
        ...                   overwrite=True)
        >>> esol.status
        'completed'
        >>> sorted(esol.metrics.columns)
        ['metric', 'n', 'split', 'std', 'target', 'value']
    """
    from molgdl.api.configs import raw_config
    from molgdl.config.load import parse_config
    from molgdl.run.pipeline import run_pipeline
    from molgdl.run.resolve import resolve
    from molgdl.tasks import PROPERTY_TASK, resolve_task, run_task, task_name

    frame = None
    if isinstance(data, Mapping):
        overrides = {**overrides, "data": data}
    elif data is not None:
        frame = data
    raw, where = raw_config(config, overrides, frame)
    if task_name(raw, where) != PROPERTY_TASK:  # dynamics, generation...: a registered task (molgdl.tasks)
        task = resolve_task(raw, where=where, strict=strict, disabled=list(disable_plugins))
        done = run_task(task, overwrite=overwrite, resume=resume)
        out = Run(done.run_dir)
        out.warnings = list(task.warnings)
        return out
    raw.pop("task", None)  # `task: property` is the default pipeline
    res = resolve(parse_config(raw, where=where), strict=strict, disabled=list(disable_plugins))
    result = run_pipeline(res, overwrite=overwrite, resume=resume)
    out = Run(result.run_dir)
    out.warnings = list(res.warnings)
    return out


def open_run(path: str | Path, *, data: "pd.DataFrame | None" = None) -> "Run":
    """Open a run folder written by :func:`run` or ``molgdl run``.

    Args:
        path: the run folder (``<run.output_dir>/<run.name>``).
        data: for a run trained on an in-memory DataFrame, the same DataFrame (needed by :meth:`Run.analyse`,
            which re-reads the training data; :meth:`Run.predict` and :meth:`Run.embed` do not need it).

    Example:
        >>> import molgdl
        >>> same = molgdl.open_run(trained.path)
        >>> same.name == trained.name
        True
    """
    path = Path(path).expanduser()
    if not (path / "config.yaml").is_file():
        raise RunDirError(f"{path.resolve()} is not a molgdl run folder (no config.yaml)",
                          hint="pass the folder that `molgdl run` created, e.g. runs/esol")
    if data is not None:
        from molgdl.data.frames import register_frame

        register_frame(data)
    return Run(path)


class Run:
    """A run folder: its config, status, metrics and predictions, and the trained models in it.

    Example:
        >>> trained.config["model"]["name"]
        'dmpnn'
        >>> trained.seeds
        [0]
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.warnings: list[str] = []

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r}, status={self.status!r})"

    # --- what the folder holds -------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The run's name (its folder name)."""
        return self.path.name

    @property
    def config(self) -> dict[str, Any]:
        """The resolved config (every default filled in), as the run recorded it in ``config.yaml``."""
        import yaml

        return yaml.safe_load((self.path / "config.yaml").read_text())

    @property
    def status(self) -> str:
        """``running``, ``completed``, ``failed`` or ``interrupted``."""
        path = self.path / "status.json"
        return json.loads(path.read_text()).get("state", "unknown") if path.is_file() else "unknown"

    @property
    def summary(self) -> dict[str, Any]:
        """Metrics per split and target (mean, std and values over replicates), counts, analyses' results."""
        path = self.path / "summary.json"
        if not path.is_file():
            raise RunDirError(f"{self.path} has no summary.json (status: {self.status})",
                              hint="the run did not finish; resume it with molgdl.run(config, resume=True)")
        return json.loads(path.read_text())

    @property
    def seeds(self) -> list[int]:
        """The replicate seeds of the run."""
        return list(self.config["run"]["seeds"])

    @property
    def metrics(self) -> "pd.DataFrame":
        """One row per split, target and metric: mean ``value``, ``std`` and number ``n`` over replicates.

        Example:
            >>> m = trained.metrics
            >>> sorted(set(m.split))
            ['test', 'train', 'val']
            >>> "rmse" in set(m.metric)
            True
        """
        import pandas as pd

        rows = []
        for split in ("test", "val", "train"):
            for target, metrics in self.summary.get(split, {}).items():
                for metric, v in metrics.items():
                    rows.append({"split": split, "target": target, "metric": metric, "value": v.get("mean"),
                                 "std": v.get("std"), "n": len(v.get("values", []))})
        return pd.DataFrame(rows, columns=["split", "target", "metric", "value", "std", "n"])

    @property
    def predictions(self) -> "pd.DataFrame":
        """Every molecule of every replicate: ``replicate``, SMILES, split, targets and predictions.

        Example:
            >>> p = trained.predictions
            >>> {"replicate", "smiles", "split"} <= set(p.columns)
            True
        """
        import pandas as pd

        files = sorted(self.path.glob("seed_*/predictions.csv"))
        if not files:
            raise RunDirError(f"{self.path} has no predictions (status: {self.status})",
                              hint="the run did not finish; resume it with molgdl.run(config, resume=True)")
        frames = [pd.read_csv(f).assign(replicate=f.parent.name) for f in files]
        out = pd.concat(frames, ignore_index=True)
        return out[["replicate", *[c for c in out.columns if c != "replicate"]]]

    @property
    def analyses(self) -> dict[str, "AnalysisResult"]:
        """The analyses run so far (those of the config's ``analyses:`` list and of :meth:`analyse`), by name.

        Example:
            >>> _ = trained.analyse("learned_vs_descriptors", max_communities=4)
            >>> "learned_vs_descriptors" in trained.analyses
            True
        """
        from molgdl.api.results import AnalysisResult

        found = self.summary.get("analyses") or {}
        return {name: AnalysisResult(name, value if isinstance(value, dict) else {"result": value},
                                     self.path / "analyses" / name) for name, value in found.items()}

    def figure(self, name: str = "parity", replicate: str | int | None = None) -> Figure:
        """A figure the run wrote for a replicate, shown inline: ``parity`` and ``learning_curve``, and for a run
        with an ``uncertainty:`` section ``reliability`` (observed against nominal coverage of the test
        intervals) and ``error_vs_uncertainty`` (docs/uncertainty.md).

        Example:
            >>> trained.figure("parity").name
            'parity'
        """
        reps = sorted(p.name for p in self.path.glob("seed_*") if p.is_dir())
        rep = reps[0] if replicate is None and reps else (f"seed_{replicate}" if isinstance(replicate, int)
                                                          else str(replicate))
        path = self.path / rep / f"{name}.png"
        if not path.is_file():
            found = sorted({p.stem for p in self.path.glob("seed_*/*.png")})
            raise MolgdlError(f"{self.path}: replicate {rep} has no figure {name!r}",
                              hint=f"figures: {', '.join(found) or '(none)'}; replicates: {', '.join(reps)}")
        return Figure(name, path)

    # --- using the trained models ----------------------------------------------------------------------------
    def predict(self, molecules: Molecules, coverage: float | None = None, device: str = "auto") -> "pd.DataFrame":
        """Predict new molecules with every replicate (averaged), as ``molgdl predict``.

        Args:
            molecules: a CSV file with a SMILES column, a DataFrame with one, or a list of SMILES.
            coverage: for a run with uncertainty, the nominal coverage of ``<target>_lower``/``_upper``
                (default: the run's ``uncertainty.coverage``; docs/uncertainty.md).
            device: where the models run: ``"auto"`` (a CUDA GPU when torch sees one, else the CPU), ``"cpu"``,
                ``"cuda"``, ``"cuda:N"`` or ``"mps"``; classical models run on the CPU.

        Returns:
            One row per molecule: ``smiles``, ``<target>_pred`` (``<target>_std`` with several replicates), and
            ``error`` (why a molecule could not be featurized; its prediction is then NaN).

        Example:
            >>> out = trained.predict(["CCO", "c1ccccc1", "not a smiles"])
            >>> list(out.columns)
            ['smiles', 'measured log solubility in mols per litre_pred', 'error']
            >>> out["error"].astype(bool).tolist()
            [False, False, True]
        """
        from molgdl.predict import predict_molecules
        from molgdl.run.device import resolve_device

        return predict_molecules(self.path, molecules, coverage=coverage, device=resolve_device(device))

    def embed(self, molecules: Molecules, device: str = "auto") -> "pd.DataFrame":
        """The learned representation of new molecules (first replicate), as ``molgdl embed``, the model on
        ``device`` (as in :meth:`predict`).

        Returns:
            One row per molecule: ``id``, ``smiles`` and the features ``f0``, ``f1``, ...

        Example:
            >>> emb = trained.embed(["CCO", "CCN"])
            >>> emb.shape
            (2, 18)
        """
        from molgdl.predict import embed_molecules
        from molgdl.run.device import resolve_device

        return embed_molecules(self.path, molecules, device=resolve_device(device))

    def predict_file(self, input: str | Path, output: str | Path, *, chunk_size: int = 10_000,
                     shard: str | None = None, resume: bool = False, coverage: float | None = None,
                     progress: bool = True, device: str = "auto") -> "ScreenSummary":
        """Predict a molecule library of any size, streamed in chunks, as ``molgdl predict`` (docs/screening.md).

        Args:
            input: CSV, CSV.gz, SMI, SDF or Parquet file with the molecules.
            output: CSV, CSV.gz or Parquet file; the rows of :meth:`predict`, appended chunk by chunk, with
                ``<output>.failures.csv`` (molecules that failed), ``<output>.log`` (RDKit's messages) and, until
                the job completes, ``<output>.progress.json``.
            chunk_size: molecules read, featurized and written at a time (memory grows with it).
            shard: ``"K/N"``: score only the K-th of N parts of the input (merge them with ``molgdl merge``).
            resume: continue a killed job from its last completed chunk.
            coverage: as in :meth:`predict`.
            progress: show a progress bar (only on a terminal).
            device: where the models run: ``"auto"`` (a CUDA GPU when torch sees one, else the CPU), ``"cpu"``,
                ``"cuda"``, ``"cuda:N"`` or ``"mps"``; classical models run on the CPU.

        Returns:
            A summary: rows read and written, molecules that failed, seconds.

        Example:
            >>> import pandas as pd
            >>> pd.DataFrame({"smiles": ["CCO", "c1ccccc1", "not a smiles"]}).to_csv("library.csv", index=False)
            >>> summary = trained.predict_file("library.csv", "scores.csv", chunk_size=2, progress=False)
            >>> summary.written, summary.failed
            (3, 1)
            >>> pd.read_csv("scores.csv.failures.csv")["row"].tolist()
            [3]
        """
        from molgdl.run.device import resolve_device
        from molgdl.screen.shards import parse_shard
        from molgdl.screen.stream import stream_file

        return stream_file("predict", self.path, Path(input), Path(output), chunk_size=chunk_size,
                           shard=parse_shard(shard), resume=resume, coverage=coverage, progress=progress,
                           device=resolve_device(device))

    def embed_file(self, input: str | Path, output: str | Path, *, chunk_size: int = 10_000,
                   shard: str | None = None, resume: bool = False, progress: bool = True,
                   device: str = "auto") -> "ScreenSummary":
        """The rows of :meth:`embed` for a library of any size, streamed as :meth:`predict_file`.

        Example:
            >>> import pandas as pd
            >>> pd.DataFrame({"smiles": ["CCO", "CCN", "c1ccccc1"]}).to_csv("library.csv", index=False)
            >>> summary = trained.embed_file("library.csv", "emb.parquet", chunk_size=2, progress=False)
            >>> pd.read_parquet("emb.parquet").shape
            (3, 18)
        """
        from molgdl.run.device import resolve_device
        from molgdl.screen.shards import parse_shard
        from molgdl.screen.stream import stream_file

        return stream_file("embed", self.path, Path(input), Path(output), chunk_size=chunk_size,
                           shard=parse_shard(shard), resume=resume, progress=progress, device=resolve_device(device))

    def analyse(self, name: str, **params: Any) -> "AnalysisResult":
        """Run a registered analysis (``molgdl.components("analysis")``) on this run.

        The analysis sees what it would see in the config's ``analyses:`` list (the run's molecules, their
        featurization, the trained models) and writes into the run folder; ``params`` are its parameters,
        checked against its parameter model.

        Example:
            >>> result = trained.analyse("learned_vs_descriptors", max_communities=4)
            >>> 0 <= result["linear_cka"] <= 1
            True
        """
        from molgdl.api.results import AnalysisResult
        from molgdl.run.analyse_run import analyse_run

        out_dir, summary = analyse_run(self.path, name, params)
        return AnalysisResult(name, summary if isinstance(summary, dict) else {"result": summary}, out_dir)

    def _repr_html_(self) -> str:
        head = [("folder", self.path), ("status", self.status)]
        try:
            cfg = self.config
            head += [("data", cfg["data"]["source"]["name"]), ("model", cfg["model"]["name"]),
                     ("seeds", cfg["run"]["seeds"])]
        except (OSError, KeyError, TypeError):
            pass
        parts = [f"<h4>molgdl run {html.escape(self.name)}</h4>", kv_table(head)]
        if (self.path / "summary.json").is_file():
            test = self.metrics.query("split == 'test'")
            if len(test):
                parts.append("<p>test metrics (mean ± std over replicates)</p>")
                parts.append(test.drop(columns=["split"]).to_html(index=False, float_format="%.4f"))
        parity = sorted(self.path.glob("seed_*/parity.png"))
        if parity:
            parts.append(img_tag(parity[0], "parity", width=360))
        return "".join(parts)
