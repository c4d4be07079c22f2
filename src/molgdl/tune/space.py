"""Search dimensions of ``tune.space``: parsed, then checked against the config schema and the registry.

Every problem is a ``ConfigError`` naming ``tune.space.<key>`` and how to fix it, raised before any data is
read. A key path is a dotted config path: a key of a core section (``head.hidden_dim``,
``trainer.max_epochs``), a parameter of a component block (``model.hidden_dim``, ``optimizer.lr``), or a
whole component slot (``model``, ``optimizer``, ``descriptors``) searched with ``choice``.
"""

from __future__ import annotations

import copy
import json
import math
import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from molgdl.errors import ConfigError
from molgdl.registry import Registry, did_you_mean

# component slots of RunConfig: field -> registry kind
SLOTS = {"featurizer": "featurizer", "model": "model", "readout": "readout", "optimizer": "optimizer",
         "scheduler": "scheduler"}
# sections a search may not touch, and why
FIXED = {
    "run": "the run folder and seeds are fixed",
    "data": "the molecules are fixed",
    "split": "the outer split is fixed (trials only see its training molecules)",
    "tune": "the search cannot search itself",
    "plugins": "plugins are fixed",
    "callbacks": "callbacks are fixed",
    "analyses": "analyses run on the winner only",
    "ensemble": "a study selects one model (tune ensemble members separately)",
}
FORMS = "{int: [low, high]}, {float: [low, high]} (both with optional log: true, step: S) or {choice: [v1, v2, ...]}"


@dataclass(frozen=True)
class Dimension:
    """One searched key. ``kind`` int/float: ``low``..``high`` (``log``, ``step``); choice: ``choices``
    with the ``labels`` optuna stores (the value itself when it is a scalar, a short text otherwise)."""

    key: str
    kind: Literal["int", "float", "choice"]
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] = ()
    labels: tuple[Any, ...] = ()

    @property
    def parts(self) -> list[str]:
        return self.key.split(".")

    @property
    def where(self) -> str:
        return f"tune.space.{self.key}"

    def probe_values(self) -> list[Any]:
        """Values checked against the schema up front: both ends of a range, every choice."""
        if self.kind == "choice":
            return list(self.choices)
        cast = int if self.kind == "int" else float
        return [cast(self.low), cast(self.high)]


def _bad(key: str, what: str, fix: str) -> ConfigError:
    return ConfigError(f"invalid config: tune.space.{key}: {what}", hint=fix)


def _label(value: Any, index: int, names: list[str]) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        name = value["name"]
        return name if names.count(name) == 1 else f"{name}#{index}"
    return json.dumps(value, sort_keys=True)


def parse_dimension(key: str, raw: Any) -> Dimension:
    """``{int|float: [low, high], log, step}`` or ``{choice: [...]}`` -> ``Dimension`` (form and ranges only)."""
    if not isinstance(raw, dict):
        raise _bad(key, f"expected a mapping, got {raw!r}", f"write it as {FORMS}")
    forms = [k for k in ("int", "float", "choice") if k in raw]
    if len(forms) != 1:
        got = f"keys {sorted(raw)}" if raw else "an empty mapping"
        raise _bad(key, f"expected exactly one of int, float, choice, got {got}", f"write it as {FORMS}")
    form = forms[0]
    allowed = {"choice"} if form == "choice" else {form, "log", "step"}
    extra = sorted(set(raw) - allowed)
    if extra:
        raise _bad(key, f"unknown key(s) {extra}{did_you_mean(extra[0], sorted(allowed))} for a {form} dimension; "
                   f"valid keys: {', '.join(sorted(allowed))}", f"write it as {FORMS}")
    if form == "choice":
        values = raw["choice"]
        if not isinstance(values, list) or not values:
            raise _bad(key, f"choice needs a non-empty list of values, got {values!r}", "e.g. {choice: [mean, sum]}")
        names = [v.get("name") if isinstance(v, dict) else v for v in values]
        labels = tuple(_label(v, i, names) for i, v in enumerate(values))
        if len(set(map(repr, labels))) != len(labels):
            raise _bad(key, f"choice lists the same value twice ({values!r})", "list each value once")
        return Dimension(key, "choice", choices=tuple(values), labels=labels)
    bounds = raw[form]
    number = (int,) if form == "int" else (int, float)
    if (not isinstance(bounds, list) or len(bounds) != 2
            or not all(isinstance(b, number) and not isinstance(b, bool) for b in bounds)):
        raise _bad(key, f"{form} needs [low, high] with two {form} numbers, got {bounds!r}",
                   f"e.g. {{{form}: [{'100, 600' if form == 'int' else '0.0001, 0.01'}]}}")
    low, high = bounds
    if not all(math.isfinite(b) for b in bounds):
        raise _bad(key, f"the range [{low}, {high}] is not finite", "use finite numbers")
    if low > high:
        raise _bad(key, f"low {low} > high {high}", f"write the range as [{high}, {low}]")
    log = raw.get("log", False)
    if not isinstance(log, bool):
        raise _bad(key, f"log must be true or false, got {log!r}", "log: true searches the range on a log scale")
    if log and low <= 0:
        raise _bad(key, f"a log range needs low > 0, got [{low}, {high}]",
                   "use a positive low end, or drop log: true")
    step = raw.get("step")
    if step is not None:
        if not isinstance(step, number) or isinstance(step, bool) or step <= 0:
            raise _bad(key, f"step must be a positive {form}, got {step!r}", "e.g. step: 50")
        if log:
            raise _bad(key, "step and log: true cannot be combined (optuna samples log ranges continuously)",
                       "drop one of them")
    return Dimension(key, form, low=low, high=high, log=log, step=step)


def parse_space(space: dict[str, Any]) -> list[Dimension]:
    """Every dimension, ordered so a whole component slot is sampled before its parameters."""
    dims = [parse_dimension(k, v) for k, v in space.items()]
    return sorted(dims, key=lambda d: (len(d.parts), d.parts[-1] != "name", d.key))


# ---------------------------------------------------------------- checks against the schema and registry


def _field_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _field_model(arg)
        if found is not None:
            return found
    return None


def _component_names(dim_key: str, base: dict[str, Any], by_key: dict[str, Dimension]) -> list[str]:
    """Names a component slot may take in a trial: its choices, a ``<slot>.name`` choice, or the config's."""
    slot = dim_key.split(".")[0]
    if slot in by_key:
        return [v if isinstance(v, str) else v["name"] for v in by_key[slot].choices if v is not None]
    if f"{slot}.name" in by_key:
        return list(by_key[f"{slot}.name"].choices)
    block = base.get(slot)
    return [block["name"]] if isinstance(block, dict) and "name" in block else []


def check_keys(dims: list[Dimension], config: Any, registry: Registry) -> None:
    """Each key exists in the schema (core section field, component parameter or component slot)."""
    from molgdl.config.schema import RunConfig

    base = config.model_dump(mode="json", exclude_none=False)
    by_key = {d.key: d for d in dims}
    top_fields = sorted(RunConfig.model_fields)
    for d in dims:
        parts = d.parts
        head = parts[0]
        if head not in RunConfig.model_fields:
            raise _bad(d.key, f"unknown config key {head!r}{did_you_mean(head, top_fields)}; "
                       f"config sections: {', '.join(top_fields)}", "use a dotted path of the config, e.g. model.hidden_dim")
        if head in FIXED:
            raise _bad(d.key, f"{head} cannot be searched: {FIXED[head]}",
                       "search model, featurizer, descriptors, readout, head, optimizer, scheduler, trainer, loss "
                       "or scaling keys")
        if head in SLOTS or head == "descriptors":
            _check_slot_key(d, base, by_key, registry)
        else:
            _check_section_key(d, RunConfig.model_fields[head].annotation)


def _check_section_key(d: Dimension, annotation: Any) -> None:
    model = _field_model(annotation)
    path = [d.parts[0]]
    for part in d.parts[1:]:
        if model is None:
            raise _bad(d.key, f"{'.'.join(path)} has no sub-keys", f"search {'.'.join(path)} itself")
        fields = sorted(model.model_fields)
        if part not in model.model_fields:
            raise _bad(d.key, f"unknown key {part!r} in {'.'.join(path)}{did_you_mean(part, fields)}; "
                       f"valid keys: {', '.join(fields)}", "see configs/tutorial.yaml for the keys of each section")
        path.append(part)
        model = _field_model(model.model_fields[part].annotation)
    if model is not None and d.kind != "choice":
        raise _bad(d.key, f"{d.key} is a section, so only {{choice: [...]}} of whole blocks can search it",
                   f"search one of its keys instead, e.g. {d.key}.{sorted(model.model_fields)[0]}")


def _check_slot_key(d: Dimension, base: dict[str, Any], by_key: dict[str, Dimension], registry: Registry) -> None:
    parts = d.parts
    slot = parts[0]
    if slot == "descriptors":
        if len(parts) > 1 or d.kind != "choice":
            raise _bad(d.key, "descriptors is a list: search whole lists with {choice: [[...], [...]]}",
                       "e.g. descriptors: {choice: [[], [{name: morgan, radius: 2}]]}")
        for value in d.choices:
            if not isinstance(value, list):
                raise _bad(d.key, f"each choice must be a list of descriptor blocks, got {value!r}",
                           "e.g. {choice: [[], [{name: rdkit2d}]]}")
            for block in value:
                _check_component_value(d, "descriptor", block, registry)
        return
    kind = SLOTS[slot]
    if len(parts) == 1 or parts[1] == "name":
        if len(parts) > 2 or d.kind != "choice":
            raise _bad(d.key, f"a component is chosen by name: use {{choice: [...]}} of registered {kind} names "
                       "or blocks", f"e.g. {slot}: {{choice: [{', '.join(registry.names(kind)[:2])}]}}")
        for value in d.choices:
            if len(parts) == 2 and not isinstance(value, str):
                raise _bad(d.key, f"choices of {d.key} are {kind} names, got {value!r}",
                           f"list names, or search {slot} with whole blocks")
            _check_component_value(d, kind, value, registry)
        return
    if len(parts) > 2:
        raise _bad(d.key, f"nested component parameters ({'.'.join(parts[1:])}) cannot be searched",
                   f"search {slot} with {{choice: [...]}} of whole blocks")
    names = _component_names(d.key, base, by_key)
    if not names:
        raise _bad(d.key, f"the config has no {slot} block to set {parts[1]!r} in", f"add a {slot} block")
    param = parts[1]
    owners = [n for n in names if n in registry.names(kind) and param in registry.get(kind, n).params.model_fields]
    if not owners:
        known = sorted({f for n in names if n in registry.names(kind) for f in registry.get(kind, n).params.model_fields})
        raise _bad(d.key, f"no {kind} among {names} has a parameter {param!r}{did_you_mean(param, known)}; "
                   f"their parameters: {', '.join(known) or '(none)'}",
                   f"`molgdl components --kind {kind}` lists the parameters of each {kind}")


def _check_component_value(d: Dimension, kind: str, value: Any, registry: Registry) -> None:
    if value is None and kind == "scheduler":
        return
    name = value if isinstance(value, str) else value.get("name") if isinstance(value, dict) else None
    if not isinstance(name, str):
        raise _bad(d.key, f"choice {value!r} is not a {kind} name or a block with a name",
                   f"e.g. {{name: {registry.names(kind)[0] if registry.names(kind) else kind}, ...}}")
    if name not in registry.names(kind):
        choices = registry.names(kind)
        raise _bad(d.key, f"choice {name!r} is not a registered {kind}{did_you_mean(name, choices)}; "
                   f"installed {kind}s: {', '.join(choices) or '(none)'}",
                   f"`molgdl components --kind {kind}` lists them, or install the plugin that provides it")


def check_values(dims: list[Dimension], raw: dict[str, Any], registry: Registry) -> None:
    """Every end of every range and every choice gives a valid config (same schema as a run). A component
    parameter is probed with every component its slot may take that has the parameter."""
    from molgdl.tune.sample import apply_value, with_slot_defaults

    by_key = {d.key: d for d in dims}
    base = with_slot_defaults(raw)
    for d in dims:
        slot = d.parts[0]
        slot_dim = by_key.get(slot) or by_key.get(f"{slot}.name")
        variants = [base]
        if slot in SLOTS and len(d.parts) == 2 and d.parts[1] != "name" and slot_dim is not None:
            variants = []
            for choice in slot_dim.choices:
                variant = copy.deepcopy(base)
                apply_value(variant, slot_dim, choice, registry)
                variants.append(variant)
        for variant in variants:
            for value in d.probe_values():
                trial_raw = copy.deepcopy(variant)
                if not apply_value(trial_raw, d, value, registry):
                    continue
                problem = config_problem(trial_raw, registry)
                if problem:
                    raise _bad(d.key, f"the value {value!r} gives an invalid config: {problem}",
                               "narrow the range or drop that choice so every value is valid")


def config_problem(raw: dict[str, Any], registry: Registry) -> str | None:
    """The first line of what is wrong with a config (core schema and component params), or None."""
    from molgdl.config.load import parse_config, validate_components

    try:
        validate_components(parse_config(raw), registry)
    except ConfigError as exc:
        lines = [ln.strip() for ln in str(exc).split("\n")[1:] if ln.strip() and not ln.strip().startswith("fix:")]
        return "; ".join(lines) or str(exc).split("\n")[0]
    return None


def check_space(config: Any, registry: Registry) -> list[Dimension]:
    """Parse and check ``config.tune.space``; returns the dimensions in sampling order."""
    dims = parse_space(config.tune.space)
    check_keys(dims, config, registry)
    check_values(dims, config.model_dump(mode="json", exclude_unset=True), registry)
    return dims
