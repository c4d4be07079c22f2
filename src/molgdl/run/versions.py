"""Compare the plugins recorded in a run's ``versions.json`` with the ones installed now.

``predict`` and ``embed`` rebuild a trained model from its config with today's plugins: when a plugin changed
(another version, uninstalled, disabled, failing to load), a model that no longer builds or loads is reported
with the plugin and both versions instead of a tensor-size traceback.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from molgdl.errors import MolgdlError, PluginError
from molgdl.plugins import MolgdlPluginManager

log = logging.getLogger("molgdl")
VERSIONS_FILE = "versions.json"
_ACTIVE = ("loaded", "builtin")


def plugin_drift(run_dir: Path, pm: MolgdlPluginManager) -> list[str]:
    """One line per plugin that was active at training and differs now (empty when all match or no record)."""
    path = Path(run_dir) / VERSIONS_FILE
    try:
        recorded = json.loads(path.read_text()).get("plugins", [])
    except (OSError, ValueError, AttributeError):
        return []
    now = {i.name: i for i in pm.infos}
    lines = []
    for rec in recorded:
        if rec.get("status") not in _ACTIVE:
            continue
        then = f"{rec.get('distribution')} {rec.get('version')}"
        cur = now.get(rec.get("name"))
        if cur is None:
            lines.append(f"plugin {rec.get('name')}: trained with {then}, not installed now")
        elif cur.status not in _ACTIVE:
            lines.append(f"plugin {cur.name}: trained with {then}, now {cur.distribution} {cur.version} is {cur.status}"
                         + (f" ({cur.error})" if cur.error else ""))
        elif (cur.distribution, cur.version) != (rec.get("distribution"), rec.get("version")):
            lines.append(f"plugin {cur.name}: trained with {then}, installed now {cur.distribution} {cur.version}")
    return lines


def warn_drift(run_dir: Path, pm: MolgdlPluginManager) -> list[str]:
    drift = plugin_drift(run_dir, pm)
    for line in drift:
        log.warning("%s (recorded in %s)", line, Path(run_dir) / VERSIONS_FILE)
    return drift


def drift_error(run_dir: Path, pm: MolgdlPluginManager, exc: BaseException, what: str) -> MolgdlError | None:
    """A ``PluginError`` naming the changed plugins when ``exc`` (raised while ``what``) may come from them."""
    drift = plugin_drift(run_dir, pm)
    if not drift:
        return None
    lines = str(exc).split("\n  fix:")[0].splitlines()
    first = lines[1].strip() if len(lines) > 1 and lines[0].endswith(":") else lines[0]
    return PluginError(
        f"{Path(run_dir)} cannot be {what} with the installed plugins ({type(exc).__name__}: {first}); "
        "plugins changed since training:\n  " + "\n  ".join(drift),
        hint=f"install the versions in {Path(run_dir) / VERSIONS_FILE} (pip install DIST==VERSION), or retrain "
             "the run with the installed plugins",
    )
