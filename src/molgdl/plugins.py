"""Plugin manager: loads ``molgdl`` entry points one at a time, records failures, honours switches.

Switches: ``MOLGDL_PLUGIN_AUTOLOAD=0`` disables entry-point loading; ``MOLGDL_DISABLE_PLUGINS=a,b``
(or ``disabled=``) skips named plugins; ``strict=True`` turns a load failure into a ``PluginError``.
Nothing is loaded at import time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Iterable

import pluggy

from molgdl import hookspecs
from molgdl.errors import PluginError

ENTRY_POINT_GROUP = "molgdl"
BUILTIN_PLUGINS = ("molgdl.builtin",)


@dataclass(frozen=True)
class PluginInfo:
    """One loaded (or failed) plugin: entry-point name, distribution, version, status."""

    name: str
    distribution: str
    version: str
    status: str  # "loaded" | "failed" | "disabled" | "builtin"
    error: str | None = None


class MolgdlPluginManager(pluggy.PluginManager):
    """A pluggy manager that remembers where each plugin came from."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)
        self.infos: list[PluginInfo] = []

    def provider_of(self, plugin: object) -> str:
        """Human-readable 'name (distribution version)' of a registered plugin object."""
        name = self.get_name(plugin) or repr(plugin)
        for info in self.infos:
            if info.name == name:
                return f"{info.name} ({info.distribution} {info.version})"
        return name


def _env_list(var: str) -> set[str]:
    return {p.strip() for p in os.environ.get(var, "").split(",") if p.strip()}


def autoload_enabled() -> bool:
    return os.environ.get("MOLGDL_PLUGIN_AUTOLOAD", "1").strip().lower() not in {"0", "false", "no", "off"}


def _dist_of(ep: EntryPoint) -> tuple[str, str]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "?", "?"
    return dist.metadata["Name"], dist.version


def create_plugin_manager(
    *,
    autoload: bool | None = None,
    disabled: Iterable[str] = (),
    strict: bool = False,
    extra_plugins: Iterable[ModuleType | object] = (),
    check_hooks: bool = True,
) -> MolgdlPluginManager:
    """Build a plugin manager with the built-in plugins, entry points and ``extra_plugins``.

    ``disabled`` names (entry-point names) are merged with ``MOLGDL_DISABLE_PLUGINS``. ``check_hooks=False``
    leaves unknown hook names for the caller to report (``molgdl plugins``) instead of raising.
    """
    pm = MolgdlPluginManager()
    import importlib

    for modname in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(modname), name=modname)
        pm.infos.append(PluginInfo(modname, "molgdl", _core_version(), "builtin"))

    disabled_set = set(disabled) | _env_list("MOLGDL_DISABLE_PLUGINS")
    if autoload is None:
        autoload = autoload_enabled()
    if autoload:
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            _load_entry_point(pm, ep, disabled_set, strict)
    for name, plugin in _SESSION_PLUGINS.items():
        if name not in disabled_set and pm.get_plugin(name) is None:
            pm.register(plugin, name=name)
            pm.infos.append(PluginInfo(name, "(registered in this Python session)", "-", "loaded"))
    for plugin in extra_plugins:
        pm.register(plugin)
    if check_hooks:
        _check_pending(pm)
    return pm


#: Plugins registered in this Python process (``molgdl.register_plugin``, e.g. from a notebook cell): every
#: plugin manager created afterwards includes them, next to the entry points.
_SESSION_PLUGINS: dict[str, object] = {}


def register_session_plugin(plugin: object, name: str) -> None:
    """Include ``plugin`` (a module, class or object with ``@hookimpl`` functions) in every plugin manager
    created from now on in this process, under ``name``; registering a name again replaces that plugin."""
    if not isinstance(name, str) or not name.strip():
        raise PluginError(f"a plugin needs a name, got {name!r}", hint="e.g. register_plugin(MyPlugin(), 'mine')")
    _SESSION_PLUGINS[name] = plugin


def unregister_session_plugin(name: str) -> bool:
    """Forget a plugin registered with :func:`register_session_plugin`; whether there was one."""
    return _SESSION_PLUGINS.pop(name, None) is not None


def _load_entry_point(pm: MolgdlPluginManager, ep: EntryPoint, disabled: set[str], strict: bool) -> None:
    dist, version = _dist_of(ep)
    if ep.name in disabled or dist in disabled:
        pm.infos.append(PluginInfo(ep.name, dist, version, "disabled"))
        return
    if pm.get_plugin(ep.name) is not None:
        return
    try:
        plugin = ep.load()
        pm.register(plugin, name=ep.name)
    except Exception as exc:  # a broken plugin must not take the others down
        msg = f"{type(exc).__name__}: {exc}"
        pm.infos.append(PluginInfo(ep.name, dist, version, "failed", msg))
        if strict:
            raise PluginError(
                f"plugin {ep.name!r} ({dist} {version}) failed to load: {msg}",
                hint=f"fix or uninstall {dist}, or disable it with MOLGDL_DISABLE_PLUGINS={ep.name}",
            ) from exc
        return
    pm.infos.append(PluginInfo(ep.name, dist, version, "loaded"))


def _check_pending(pm: MolgdlPluginManager) -> None:
    """A hook implementation whose name is no molgdl hook (a typo) is an error naming the plugin."""
    from molgdl.diagnose import unknown_hooks

    problems = unknown_hooks(pm)
    if problems:
        raise PluginError("\n".join(p.message for p in problems), hint=problems[0].hint)


def failed_plugins(pm: MolgdlPluginManager) -> list[PluginInfo]:
    return [i for i in pm.infos if i.status == "failed"]


def _core_version() -> str:
    from molgdl import __version__

    return __version__
