"""Component registries: collect specs from every plugin, refuse duplicates, look up by name."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from molgdl.errors import ConfigError, PluginError
from molgdl.hookspecs import REGISTRATION_HOOKS
from molgdl.plugins import MolgdlPluginManager
from molgdl.specs import SPEC_KINDS, ComponentSpec


@dataclass(frozen=True)
class Registered:
    spec: ComponentSpec
    provider: str  # "name (distribution version)"


def did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


class Registry:
    """All components of every kind, keyed by ``(kind, name)``."""

    def __init__(self, pm: MolgdlPluginManager) -> None:
        self.pm = pm
        self._items: dict[str, dict[str, Registered]] = {kind: {} for kind in REGISTRATION_HOOKS}
        for kind, hook_name in REGISTRATION_HOOKS.items():
            hook = getattr(pm.hook, hook_name)
            for impl in hook.get_hookimpls():
                provider = pm.provider_of(impl.plugin)
                for spec in impl.function() or ():
                    self._add(kind, spec, provider)

    def _add(self, kind: str, spec: ComponentSpec, provider: str) -> None:
        expected = SPEC_KINDS[kind]
        if not isinstance(spec, expected):
            raise PluginError(
                f"plugin {provider} returned {type(spec).__name__} from the {kind} hook",
                hint=f"return molgdl.specs.{expected.__name__} objects",
            )
        existing = self._items[kind].get(spec.name)
        if existing is not None:
            raise PluginError(
                f"two plugins register the {kind} {spec.name!r}: {existing.provider} and {provider}",
                hint="uninstall or disable one of them (MOLGDL_DISABLE_PLUGINS=<entry point name>)",
            )
        self._items[kind][spec.name] = Registered(spec, provider)

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
                f"installed {kind}s: {', '.join(choices) or '(none)'}",
                hint="run `molgdl components --kind " + kind + "` to list them, or install the plugin that provides it",
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
