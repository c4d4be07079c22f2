"""Run a registered analysis on a finished run (``molgdl.api.Run.analyse``): the same context as the analyses
named in a config get during ``molgdl run`` (``molgdl.run.analysis``), rebuilt from the run folder."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from molgdl.config.schema import ComponentRef
from molgdl.errors import RunDirError

log = logging.getLogger("molgdl")


def analyse_run(run_dir: Path, name: str, params: dict[str, Any] | None = None) -> tuple[Path, Any]:
    """Run the analysis ``name`` with ``params`` on the run in ``run_dir``.

    The run's config rebuilds its data source and featurizer (featurization comes from the cache), the trained
    models are read from ``seed_<s>/``; the analysis writes into ``analyses/<name>/`` and its summary is added
    to ``summary.json`` under ``analyses``. Returns ``(out_dir, the analysis's summary)``.
    """
    from molgdl.config.load import validate_params
    from molgdl.predict import open_run
    from molgdl.run.analysis import AnalysisContext
    from molgdl.run.data_stage import prepare_data
    from molgdl.run.folder import write_json

    run_dir = Path(run_dir)
    res, _ = open_run(run_dir)
    spec = res.registry.get("analysis", name, where=f"analyse({name!r})")
    where = f"analyse({name!r})"
    validated = validate_params(spec, ComponentRef(name=name, **(params or {})), where)
    seeds = [s for s in res.config.run.seeds if (run_dir / f"seed_{s}").is_dir()]
    if not seeds:
        raise RunDirError(f"{run_dir} has no replicate folder seed_<s> for the seeds {res.config.run.seeds}",
                          hint="analyses read the trained model of a seed; k-fold runs name folders "
                               "seed_<s>_fold_<k> and are not analysed this way")
    data = prepare_data(res, None)
    out_dir = run_dir / "analyses" / name
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = AnalysisContext(run_dir, out_dir, data.table, data.graphs, seeds, res, validated)
    log.info("analysis %s -> %s", name, out_dir)
    result = spec.factory(validated)(ctx)
    summary_file = run_dir / "summary.json"
    if summary_file.is_file():
        summary = json.loads(summary_file.read_text())
        summary.setdefault("analyses", {})[name] = result
        write_json(summary_file, summary)
    return out_dir, result
