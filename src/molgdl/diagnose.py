"""What ``molgdl plugins`` reports besides the load status: every problem of the installed plugins, collected
instead of raised, so that the diagnosing command itself never fails.

Problems: hook names that are not molgdl hooks (typos), functions named like a hook but not decorated with
``@hookimpl`` (pluggy ignores them), registration problems (``molgdl.spec_checks``, duplicate names, hooks
that raise), and installed distributions that look like molgdl plugins but have no entry point in the
``molgdl`` group (molgdl never loads them).
"""

from __future__ import annotations

import difflib
import inspect
import re
from dataclasses import dataclass
from importlib.metadata import distributions, entry_points

from molgdl import hookspecs
from molgdl.errors import PluginError
from molgdl.plugins import ENTRY_POINT_GROUP, MolgdlPluginManager
from molgdl.spec_checks import location


@dataclass(frozen=True)
class Problem:
    """One finding: ``plugin`` is the entry-point (or module) name, or the distribution for a stray package."""

    plugin: str
    message: str
    hint: str


def hook_names() -> list[str]:
    marker = f"{hookspecs.PROJECT}_spec"
    return sorted(n for n, f in vars(hookspecs).items() if inspect.isfunction(f) and hasattr(f, marker))


def _did_you_mean(name: str) -> str:
    close = difflib.get_close_matches(name, hook_names(), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_hooks(pm: MolgdlPluginManager) -> list[Problem]:
    """``@hookimpl`` functions whose name is not a molgdl hook: pluggy would never call them."""
    out = []
    for name in sorted(vars(pm.hook)):
        caller = getattr(pm.hook, name)
        if not hasattr(caller, "has_spec") or caller.has_spec():
            continue
        for impl in caller.get_hookimpls():
            plugin = pm.get_name(impl.plugin) or repr(impl.plugin)
            out.append(Problem(
                plugin,
                f"plugin {pm.provider_of(impl.plugin)} implements an unknown hook {name!r} "
                f"({location(impl.function)}){_did_you_mean(name)}",
                "rename it to a hook of docs/plugins.md (hooks start with 'molgdl_'); "
                f"`molgdl plugins` lists every hook problem",
            ))
    return out


def undecorated_hooks(pm: MolgdlPluginManager) -> list[Problem]:
    """Functions of a plugin module named like a hook (``molgdl_...``) that lack ``@hookimpl``."""
    impl_marker = f"{hookspecs.PROJECT}_impl"
    out = []
    for plugin in pm.get_plugins():
        module = getattr(plugin, "__name__", None)
        for attr, fn in sorted(vars(plugin).items()) if hasattr(plugin, "__dict__") else ():
            if not (attr.startswith("molgdl_") and inspect.isfunction(fn)) or hasattr(fn, impl_marker):
                continue
            if module is not None and fn.__module__ != module:
                continue
            hint = "decorate it: `from molgdl import hookimpl` then `@hookimpl` above the def"
            mean = "" if attr in hook_names() else _did_you_mean(attr)
            out.append(Problem(pm.get_name(plugin) or str(module),
                               f"plugin {pm.provider_of(plugin)}: function {attr} ({location(fn)}) is not decorated "
                               f"with @hookimpl, so molgdl never calls it{mean}", hint))
    return out


def registration_problems(pm: MolgdlPluginManager) -> list[Problem]:
    from molgdl.registry import Registry

    found: list[PluginError] = []
    Registry(pm, problems=found)
    return [Problem(_plugin_of(str(e)), str(e).split("\n  fix:")[0], e.hint or "") for e in found]


def _plugin_of(message: str) -> str:
    m = re.match(r"(?:plugin |two plugins register the \w+ '[^']*': )(\S+)", message)
    return m.group(1) if m else "?"


def stray_distributions() -> list[Problem]:
    """Distributions named ``molgdl-*`` (or with an entry-point group that resembles ``molgdl``) without an entry
    point in the ``molgdl`` group."""
    grouped = {(ep.dist.metadata["Name"] or "").lower() for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.dist}
    out, seen = [], set()
    for dist in distributions():
        name = dist.metadata["Name"] or ""
        norm = re.sub(r"[-_.]+", "-", name).lower()
        if norm in seen or norm == "molgdl" or name.lower() in grouped:
            continue
        seen.add(norm)
        groups = sorted({ep.group for ep in dist.entry_points})
        lookalike = [g for g in groups if g != "pytest11" and ("molgdl" in g.lower()
                     or difflib.get_close_matches(g.lower(), [ENTRY_POINT_GROUP], cutoff=0.6))]
        if not (norm.startswith("molgdl-") or lookalike):
            continue
        has = (f"; its entry-point groups are {', '.join(map(repr, lookalike))}" if lookalike
               else "; it declares no molgdl entry point")
        out.append(Problem(
            name,
            f"distribution {name} {dist.version} looks like a molgdl plugin but has no entry point in group "
            f"{ENTRY_POINT_GROUP!r}{has}, so molgdl never loads it",
            "in its pyproject.toml: [project.entry-points.molgdl] then `<name> = \"<package>.hooks\"`, and reinstall",
        ))
    return out


def diagnose(pm: MolgdlPluginManager, *, scan_distributions: bool = True) -> list[Problem]:
    """Every problem found, in a stable order; never raises for a plugin's mistake."""
    checks = [unknown_hooks, undecorated_hooks, registration_problems]
    if scan_distributions:
        checks.append(lambda _: stray_distributions())
    problems: list[Problem] = []
    for check in checks:
        try:
            problems += check(pm)
        except Exception as exc:  # the diagnosing command must survive anything a plugin (or its metadata) does
            problems.append(Problem("?", f"a plugin check failed: {type(exc).__name__}: {exc}",
                                    "the other checks still ran; this one is a molgdl bug worth reporting"))
    return problems
