"""A trial's config: the base config with each searched key set to the value the trial samples.

A parameter of a component slot (``model.hidden_dim``) is only sampled when the trial's component has that
parameter (conditional search space: choosing a random forest leaves ``model.hidden_dim`` unsampled).
A component named alone (``dmpnn``) keeps the config's block when the config names the same component,
and takes that component's defaults otherwise; a block (``{name: dmpnn, hidden_dim: 64}``) is used as written.
"""

from __future__ import annotations

import copy
from typing import Any

from molgdl.registry import Registry
from molgdl.tune.space import SLOTS, Dimension

# sections only neural models use: not sampled in a trial whose model is classical (e.g. a random forest)
NEURAL_ONLY = ("featurizer", "readout", "head", "optimizer", "scheduler", "trainer", "loss")


def _slot_block(raw: dict[str, Any], slot: str, value: Any) -> Any:
    if isinstance(value, str):
        current = raw.get(slot)
        if isinstance(current, dict) and current.get("name") == value:
            return copy.deepcopy(current)
        return {"name": value}
    return copy.deepcopy(value)


def with_slot_defaults(raw: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``raw`` with the schema's default block in every component slot the config leaves out
    (so ``optimizer.lr`` is searched in the default Adam block)."""
    from molgdl.config.schema import RunConfig

    out = copy.deepcopy(raw)
    out.pop("tune", None)
    for slot in SLOTS:
        if slot not in out:
            default = RunConfig.model_fields[slot].default
            out[slot] = default.model_dump(mode="json") if default is not None else None
    return out


def _classical(raw: dict[str, Any], registry: Registry) -> bool:
    block = raw.get("model")
    name = block.get("name") if isinstance(block, dict) else None
    return name in registry.names("model") and getattr(registry.get("model", name), "family", "") == "classical"


def is_active(raw: dict[str, Any], d: Dimension, registry: Registry) -> bool:
    """Whether ``d`` applies to ``raw``: not a component parameter the active component lacks, nor a key of
    neural training (featurizer, readout, head, optimizer, scheduler, trainer, loss) when the model is classical."""
    parts = d.parts
    if parts[0] in NEURAL_ONLY and _classical(raw, registry):
        return False
    if parts[0] not in SLOTS or len(parts) == 1 or parts[1] == "name":
        return True
    block = raw.get(parts[0])
    if not isinstance(block, dict) or block.get("name") not in registry.names(SLOTS[parts[0]]):
        return False
    return parts[1] in registry.get(SLOTS[parts[0]], block["name"]).params.model_fields


def apply_value(raw: dict[str, Any], d: Dimension, value: Any, registry: Registry) -> bool:
    """Set ``d``'s key in ``raw`` (in place). False when the key does not apply to this config."""
    parts = d.parts
    slot = parts[0]
    if slot in SLOTS and (len(parts) == 1 or parts[1] == "name"):
        raw[slot] = _slot_block(raw, slot, value) if value is not None else None
        return True
    if not is_active(raw, d, registry):
        return False
    node = raw
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[parts[-1]] = copy.deepcopy(value)
    return True


def choice_value(d: Dimension, label: Any) -> Any:
    for value, known in zip(d.choices, d.labels):
        if known == label and type(known) is type(label):
            return value
    raise KeyError(f"{d.where}: the stored value {label!r} is not among the choices {list(d.labels)}")


def suggest(trial: Any, d: Dimension) -> Any:
    """Ask the optuna trial for ``d``'s value (a FixedTrial replays stored params)."""
    if d.kind == "choice":
        return choice_value(d, trial.suggest_categorical(d.key, list(d.labels)))
    if d.kind == "int":
        return trial.suggest_int(d.key, int(d.low), int(d.high), step=int(d.step or 1), log=d.log)
    return trial.suggest_float(d.key, float(d.low), float(d.high), step=d.step, log=d.log)


def sample_config(trial: Any, dims: list[Dimension], base: dict[str, Any], registry: Registry) -> dict[str, Any]:
    """The raw config of one trial (without the ``tune`` section); ``dims`` in sampling order."""
    raw = with_slot_defaults(base)
    for d in dims:
        if is_active(raw, d, registry):
            apply_value(raw, d, suggest(trial, d), registry)
    return raw
