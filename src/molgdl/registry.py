"""Component registries: collect specs from every plugin, refuse duplicates, look up by name."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from molgdl.errors import ConfigError, PluginError
from molgdl.hookspecs import REGISTRATION_HOOKS
from molgdl.plugins import MolgdlPluginManager
from molgdl.spec_checks import check_hook_result, check_spec, location
from molgdl.specs import ComponentSpec


PLURALS = {"analysis": "analyses"}  # kind -> its plural in messages (default: kind + "s")


@dataclass(frozen=True)
class Registered:
    spec: ComponentSpec
    provider: str  # "name (distribution version)"


def did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _call(impl: Any, hook_name: str, provider: str) -> Any:
    """Call one registration hook implementation; an exception in it is the plugin's, named as such."""
    try:
        return impl.function()
    except Exception as exc:
        raise PluginError(
            f"plugin {provider}: hook {hook_name} ({location(impl.function)}) raised {type(exc).__name__}: {exc}",
            hint="registration hooks only build specs: import heavy modules inside the factory, not in the hook",
        ) from exc


class Registry:
    """All components of every kind, keyed by ``(kind, name)``.

    Every hook result and spec is checked at registration (``molgdl.spec_checks``). By default the first
    problem raises a ``PluginError``; with ``problems=[]`` every problem is appended there instead and the
    offending spec skipped (``molgdl plugins`` reports them all and never fails).
    """

    def __init__(self, pm: MolgdlPluginManager, problems: list[PluginError] | None = None) -> None:
        self.pm = pm
        self.problems = problems
        self._items: dict[str, dict[str, Registered]] = {kind: {} for kind in REGISTRATION_HOOKS}
        self._origin: dict[tuple[str, str], str] = {}
        for kind, hook_name in REGISTRATION_HOOKS.items():
            hook = getattr(pm.hook, hook_name)
            for impl in hook.get_hookimpls():
                provider = pm.provider_of(impl.plugin)
                try:
                    specs = check_hook_result(_call(impl, hook_name, provider), kind, hook_name, provider,
                                              impl.function)
                except PluginError as exc:
                    self._fail(exc, impl.plugin)
                    continue
                for spec in specs:
                    try:
                        check_spec(spec, kind, hook_name, provider, impl.function)
                        self._add(kind, spec, provider, f"hook {hook_name} ({location(impl.function)})")
                    except PluginError as exc:
                        self._fail(exc, impl.plugin)

    def _fail(self, exc: PluginError, plugin: object) -> None:
        """Raise ``exc`` (or collect it), with the way to run without the plugin added to its fix."""
        name = self.pm.get_name(plugin)
        if name and not name.startswith("molgdl.") and "MOLGDL_DISABLE_PLUGINS" not in (exc.hint or ""):
            exc.hint = f"{exc.hint}; or run without the plugin: MOLGDL_DISABLE_PLUGINS={name}"
        if self.problems is None:
            raise exc
        self.problems.append(exc)

    def _add(self, kind: str, spec: ComponentSpec, provider: str, origin: str) -> None:
        existing = self._items[kind].get(spec.name)
        if existing is not None and existing.provider == provider:
            first = self._origin[(kind, spec.name)]
            where = f"in {origin}" if first == origin else f"in {first} and again in {origin}"
            raise PluginError(
                f"plugin {provider} registers the {kind} {spec.name!r} twice, {where}",
                hint="give each component its own name, or return it from one hook only",
            )
        if existing is not None:
            raise PluginError(
                f"two plugins register the {kind} {spec.name!r}: {existing.provider} and {provider}",
                hint="uninstall or disable one of them (MOLGDL_DISABLE_PLUGINS=<entry point name>)",
            )
        self._items[kind][spec.name] = Registered(spec, provider)
        self._origin[(kind, spec.name)] = origin

    def names(self, kind: str) -> list[str]:
        return sorted(self._items[kind])

    def items(self, kind: str) -> list[Registered]:
        return [self._items[kind][n] for n in self.names(kind)]

    def get(self, kind: str, name: str, *, where: str = "") -> ComponentSpec:
        try:
            return self._items[kind][name].spec
        except KeyError:
            choices = self.names(kind)
            loc = f"{where}: " if where else ""
            raise ConfigError(
                f"{loc}unknown {kind} {name!r}{did_you_mean(name, choices)}; "
                f"installed {PLURALS.get(kind, kind + 's')}: {', '.join(choices) or '(none)'}",
                hint=f"run `molgdl components --kind {kind}` to list them, or install the plugin that provides it",
            ) from None

    def provider(self, kind: str, name: str) -> str:
        return self._items[kind][name].provider

    def as_json(self) -> dict[str, list[dict[str, Any]]]:
        return {
            kind: [
                {"name": r.spec.name, "summary": r.spec.summary, "provider": r.provider,
                 "params": r.spec.params.model_json_schema().get("properties", {})}
                for r in self.items(kind)
            ]
            for kind in self._items
        }
