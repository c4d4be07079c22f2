"""Resolve a validated config against the registry: specs + validated params for every component."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from molgdl.config import RunConfig, load_config, validate_components
from molgdl.errors import ConfigError
from molgdl.plugins import MolgdlPluginManager, create_plugin_manager, failed_plugins
from molgdl.registry import Registry
from molgdl.specs import ComponentSpec


@dataclass
class Resolved:
    """A config whose every component name and params have been checked against installed plugins."""

    config: RunConfig
    pm: MolgdlPluginManager
    registry: Registry
    params: dict[str, Any]  # key path -> validated params
    warnings: list[str]

    def spec(self, kind: str, path: str) -> ComponentSpec:
        ref = dict((p, r) for _, p, r in self.config.component_refs())[path]
        return self.registry.get(kind, ref.name)

    def build(self, kind: str, path: str, *args: Any) -> Any:
        """Call the factory of the component at ``path`` with its validated params and ``args``."""
        return self.spec(kind, path).factory(self.params[path], *args)

    def identity(self, kind: str, path: str) -> tuple[str, dict[str, Any], str]:
        """(name, params dict, provider) of a component: used in cache keys and versions.json."""
        spec = self.spec(kind, path)
        return spec.name, self.params[path].model_dump(mode="json"), self.registry.provider(kind, spec.name)


def resolve(config: RunConfig, *, strict: bool = False, disabled: Iterable[str] = (),
            pm: MolgdlPluginManager | None = None, trained: bool = False) -> Resolved:
    """Check ``config`` against the installed plugins. ``trained``: the config of a finished run being read
    (predict, embed); its weights are in the run, so the pretrained encoder it was fine-tuned from is not read."""
    if pm is None:
        pm = create_plugin_manager(strict=strict, disabled=[*disabled, *config.plugins.get("disable", [])])
    registry = Registry(pm)
    warnings = [f"plugin {i.name} ({i.distribution} {i.version}) failed to load: {i.error}" for i in failed_plugins(pm)]
    try:
        params = validate_components(config, registry)
    except ConfigError as exc:
        # an unknown component name is often provided by a plugin that failed to load, has a hook without
        # @hookimpl or no entry point in the molgdl group: say so
        notes = warnings + _plugin_notes(pm)
        if not notes:
            raise
        raise ConfigError(f"{exc.args[0]}\n  note: " + "\n  note: ".join(notes), hint=exc.hint) from None
    from molgdl.run.trainer_checks import check_trainer

    check_trainer(config)  # Lightning options, seeds, early-stopping monitor (static; no heavy import)
    if config.tune is not None:
        from molgdl.tune.space import check_space

        check_space(config, registry)  # every key path and range against the schema, before anything heavy
    if config.ensemble is not None:
        from molgdl.ensemble.members import check_members

        check_members(config, registry)  # every member's merged config, with paths ensemble.members.<name>.*
    if config.pretrained is not None and not trained:
        from molgdl.pretrain.finetune import check_config as check_pretrained

        check_pretrained(config, params)  # the artifact exists and matches model + featurizer (docs/fewshot.md)
    if config.uncertainty is not None:
        from molgdl.uncertainty.checks import check_uncertainty

        check_uncertainty(config, registry, params)  # estimator vs head dropout, early stopping, optimizer
    return Resolved(config, pm, registry, params, warnings)


def _plugin_notes(pm: MolgdlPluginManager) -> list[str]:
    from molgdl.diagnose import stray_distributions, undecorated_hooks
    from molgdl.plugins import autoload_enabled

    found = undecorated_hooks(pm) + (stray_distributions() if autoload_enabled() else [])
    return [p.message for p in found]


def resolve_file(path: Path | str, **kwargs: Any) -> Resolved:
    overrides = kwargs.pop("overrides", None)
    return resolve(load_config(path, overrides), **kwargs)
