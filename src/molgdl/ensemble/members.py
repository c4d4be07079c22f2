"""A member's config: its partial config merged over the run's config, validated by the run schema.

Merge rules (``merge_member``): a component block (``model``, ``featurizer``, ``readout``, ``optimizer``,
``scheduler``) naming the same component as the run's (or no name) updates the run's block; naming another
component replaces it. Sections (``head``, ``trainer``, ``loss``, ``scaling``) are merged key by key; lists
(``descriptors``, ``callbacks``) are replaced. ``run``, ``data``, ``split``, ``plugins``, ``tune``,
``analyses`` and ``ensemble`` cannot be set per member.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from molgdl.errors import ConfigError
from molgdl.registry import Registry, did_you_mean

SHARED = {"run": "all members share the run's folder and seeds", "data": "all members see the same molecules",
          "split": "all members share the outer split and the inner folds made from it",
          "plugins": "plugins are loaded once for the whole run", "tune": "an ensemble is not tuned",
          "ensemble": "members cannot be nested ensembles",
          "analyses": "analyses are not run in an ensemble; run a member's config on its own to analyse it"}
SLOTS = ("featurizer", "model", "readout", "optimizer", "scheduler")
SECTIONS = ("head", "trainer", "loss", "scaling")
MEMBERS_DIR = "members"


@dataclass(frozen=True)
class MemberConfig:
    """``raw``: the merged config as a plain dict (run section pointing at ``<run>/members/<name>``)."""

    name: str
    raw: dict[str, Any]


def _merge_dicts(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge_dicts(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def merge_member(base: dict[str, Any], partial: dict[str, Any]) -> dict[str, Any]:
    """``base`` (the run's config as written, a dict) with ``partial`` applied by the rules above."""
    out = copy.deepcopy(base)
    out.pop("ensemble", None)
    out.pop("tune", None)
    for key, value in partial.items():
        current = out.get(key)
        if key in SLOTS and isinstance(value, dict) and isinstance(current, dict) \
                and value.get("name", current.get("name")) == current.get("name"):
            out[key] = {**current, **copy.deepcopy(value)}
        elif key in SECTIONS and isinstance(value, dict) and isinstance(current, dict):
            out[key] = _merge_dicts(current, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def member_configs(config: Any, run_dir: Path | None = None) -> list[MemberConfig]:
    """Every member's merged config (not validated here: ``check_members`` does that)."""
    base = config.model_dump(mode="json", exclude_unset=True)
    out = []
    for name, partial in config.ensemble.members.items():
        raw = merge_member(base, partial)
        run = dict(raw.get("run", {}))
        run["name"] = name
        run["output_dir"] = str(Path(run_dir) / MEMBERS_DIR) if run_dir is not None else MEMBERS_DIR
        raw["run"] = run
        out.append(MemberConfig(name, raw))
    return out


def check_members(config: Any, registry: Registry) -> list[Any]:
    """Validate every member's merged config with the run schema and the registry; one ``ConfigError`` lists
    every problem with its path ``ensemble.members.<name>.<key>``. Returns the members' ``RunConfig``s."""
    from molgdl.config.load import format_validation_error
    from molgdl.config.schema import RunConfig

    problems: list[str] = []
    if config.tune is not None:
        problems.append("tune: an ensemble config cannot be tuned with `molgdl tune` (its members are "
                        "combined by inner CV already); remove the tune: section, or tune a member's config "
                        "on its own")
    if config.analyses:
        problems.append(f"analyses: {SHARED['analyses']} (remove the analyses list)")
    parsed = []
    for member in member_configs(config):
        prefix = f"ensemble.members.{member.name}"
        partial = config.ensemble.members[member.name]
        shared = [k for k in partial if k in SHARED]
        for key in shared:
            problems.append(f"{prefix}.{key}: cannot be set per member ({SHARED[key]}); "
                            "set it at the top level")
        if shared:
            continue
        unknown = [k for k in partial if k not in RunConfig.model_fields]
        for key in unknown:
            allowed = sorted(set(RunConfig.model_fields) - set(SHARED))
            problems.append(f"{prefix}.{key}: unknown key{did_you_mean(key, allowed)}; a member may set: "
                            f"{', '.join(allowed)}")
        if unknown:
            continue
        try:
            member_cfg = RunConfig.model_validate(member.raw)
        except ValidationError as exc:
            text = format_validation_error(exc, RunConfig, prefix=prefix)
            problems += text.split(":\n  ", 1)[1].split("\n  ")
            continue
        problems += _component_problems(member_cfg, registry, prefix)
        parsed.append(member_cfg)
    if problems:
        raise ConfigError("invalid config:\n  " + "\n  ".join(problems),
                          hint="a member is a partial config merged over the top-level one "
                               "(docs/ensembles.md); "
                               "`molgdl components --kind KIND NAME` shows a component's parameters")
    return parsed


def _component_problems(member_cfg: Any, registry: Registry, prefix: str) -> list[str]:
    from molgdl.config.load import validate_params

    problems: list[str] = []
    for kind, path, ref in member_cfg.component_refs():
        where = f"{prefix}.{path}"
        try:
            spec = registry.get(kind, ref.name, where=where + ".name")
        except ConfigError as exc:
            problems.append(str(exc).split("\n  fix:")[0])
            continue
        validate_params(spec, ref, where, problems)
    return problems
