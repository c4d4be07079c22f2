"""What :meth:`molgdl.api.Run.analyse` returns: an analysis's summary, its tables, figures and report."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from molgdl.api.display import Figure, img_tag, kv_table
from molgdl.errors import MolgdlError

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class AnalysisResult:
    """The result of one analysis of a run.

    ``summary`` is the JSON-able dict the analysis returned (also stored in the run's summary under
    ``analyses``); ``tables`` are its CSV outputs as DataFrames, ``figures`` its PNG figures, ``report`` its
    markdown text (when it writes one). In a notebook the result shows its numbers and figures inline.

    Example:
        >>> result = AnalysisResult("demo", {"linear_cka": 0.5}, Path("."))
        >>> result["linear_cka"]
        0.5
    """

    name: str
    summary: dict[str, Any]
    out_dir: Path
    _tables: dict[str, "pd.DataFrame"] = field(default_factory=dict, repr=False)

    def __getitem__(self, key: str) -> Any:
        return self.summary[key]

    @property
    def table_names(self) -> list[str]:
        """Names of the analysis's tables (its CSV files without ``.csv``)."""
        return sorted(p.stem for p in Path(self.out_dir).glob("*.csv"))

    def table(self, name: str) -> "pd.DataFrame":
        """One of the analysis's tables by name (see :attr:`table_names`), as a DataFrame.

        Example:
            >>> AnalysisResult("demo", {}, Path(".")).table_names
            []
        """
        import pandas as pd

        if name not in self._tables:
            path = Path(self.out_dir) / f"{name}.csv"
            if not path.is_file():
                raise MolgdlError(f"analysis {self.name!r} has no table {name!r}",
                                  hint=f"tables: {', '.join(self.table_names) or '(none)'}")
            self._tables[name] = pd.read_csv(path)
        return self._tables[name]

    @property
    def tables(self) -> dict[str, "pd.DataFrame"]:
        """Every table of the analysis, by name."""
        return {n: self.table(n) for n in self.table_names}

    @property
    def figures(self) -> list[Figure]:
        """The analysis's PNG figures (each shows inline in a notebook)."""
        return [Figure(p.stem, p) for p in sorted(Path(self.out_dir).glob("*.png"))]

    @property
    def report(self) -> str | None:
        """The analysis's markdown report (``summary.md``), if it writes one."""
        path = Path(self.out_dir) / "summary.md"
        return path.read_text() if path.is_file() else None

    def _repr_html_(self) -> str:
        scalars = [(k, v) for k, v in self.summary.items() if isinstance(v, (int, float, str, bool)) or v is None]
        lists = [(k, ", ".join(f"{x:.3f}" if isinstance(x, float) else str(x) for x in v))
                 for k, v in self.summary.items() if isinstance(v, list) and len(v) <= 12 and k != "files"]
        figs = "".join(img_tag(f.path, f.name, width=480) for f in self.figures)
        tables = f"<p>tables: {html.escape(', '.join(self.table_names))}</p>" if self.table_names else ""
        return f"<h4>analysis {html.escape(self.name)}</h4>{kv_table(scalars + lists)}{tables}<div>{figs}</div>"
