"""Fine-tuning from a pretrained encoder: refuse a mismatch, load the weights exactly, freeze, and give the
pretrained weights their own learning rate (optimizer parameter groups)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from molgdl.config.schema import PretrainedSection
from molgdl.errors import ConfigError
from molgdl.pretrain.artifact import PretrainedEncoder, load_artifact

if TYPE_CHECKING:
    from torch import nn

log = logging.getLogger("molgdl")


def _describe(item: dict[str, Any]) -> str:
    params = ", ".join(f"{k}={v}" for k, v in sorted(item["params"].items()))
    return f"{item['name']}({params})"


def check_compatible(art: PretrainedEncoder, identities: dict[str, tuple[str, dict[str, Any]]]) -> None:
    """``identities``: key -> (name, params) of this config's ``model`` and ``featurizer``; each must equal the
    pretrained one, or a ConfigError names both."""
    check_meta(art.path, art.meta, identities)


def check_config(config: Any, params: dict[str, Any]) -> None:
    """``molgdl validate`` / resolve time: the ``pretrained.from`` artifact exists and matches the config's
    model and featurizer (``params``: key path -> validated params). Reads only pretrained.json."""
    from molgdl.pretrain.artifact import read_meta

    folder, meta = read_meta(config.pretrained.source)
    ids = {"model": (config.model.name, params["model"].model_dump(mode="json")),
           "featurizer": (config.featurizer.name, params["featurizer"].model_dump(mode="json"))}
    check_meta(folder, meta, ids)


def check_meta(folder: Any, meta: dict[str, Any], identities: dict[str, tuple[str, dict[str, Any]]]) -> None:
    for key in ("model", "featurizer"):
        name, params = identities[key]
        mine = {"name": name, "params": params}
        theirs = meta[key]
        if theirs["name"] != name or theirs["params"] != params:
            raise ConfigError(
                f"pretrained.from: the encoder in {folder} was pretrained with {key} {_describe(theirs)}, but "
                f"this config's {key} is {_describe(mine)}",
                hint=f"set `{key}: {{name: {theirs['name']}, ...}}` with the pretrained parameters, or pretrain "
                     "with this config's")


def frozen_modules(encoder: "nn.Module", readout: "nn.Module", freeze: str | int) -> list["nn.Module"]:
    """What ``freeze`` fixes: nothing, encoder + readout ('all'), or the encoder's first k direct submodules that
    hold parameters (in the order the encoder registers them)."""
    if freeze == "none" or freeze == 0:
        return []
    if freeze == "all":
        return [encoder, readout]
    parts = [m for m in encoder.children() if any(True for _ in m.parameters())]
    if freeze > len(parts):
        raise ConfigError(f"pretrained.freeze: {freeze} submodules asked, but the encoder has {len(parts)} with "
                          f"parameters ({', '.join(type(m).__name__ for m in parts)})",
                          hint=f"use a count <= {len(parts)}, or 'all'")
    return parts[:freeze]


def apply_pretrained(model: Any, section: PretrainedSection, identities: dict[str, tuple[str, dict[str, Any]]],
                     readout_identity: tuple[str, dict[str, Any]]) -> PretrainedEncoder:
    """Load the artifact into ``model.encoder`` (strictly) and ``model.readout`` (when the readout is the
    pretrained one), then freeze what ``section.freeze`` says (``requires_grad=False``, kept in eval mode)."""
    art = load_artifact(section.source)
    check_compatible(art, identities)
    model.encoder.load_state_dict(art.encoder, strict=True)
    pre_ro = art.component("readout")
    if (pre_ro["name"], pre_ro["params"]) == readout_identity:
        model.readout.load_state_dict(art.readout, strict=True)
    else:
        log.info("pretrained: readout %s differs from the pretrained %s, so it starts fresh",
                 readout_identity[0], pre_ro["name"])
    model.frozen = frozen_modules(model.encoder, model.readout, section.freeze)
    for module in model.frozen:
        for p in module.parameters():
            p.requires_grad_(False)
    log.info("pretrained encoder loaded from %s (freeze: %s, lr multiplier %g)", art.path, section.freeze,
             section.lr_multiplier)
    return art


def parameter_groups(model: Any) -> list[dict[str, Any]]:
    """Trainable parameters as two optimizer groups: pretrained (encoder + readout) first, then the rest."""
    pre_ids = {id(p) for m in (model.encoder, model.readout) for p in m.parameters()}
    pre = [p for p in model.parameters() if p.requires_grad and id(p) in pre_ids]
    rest = [p for p in model.parameters() if p.requires_grad and id(p) not in pre_ids]
    return [g for g in ({"params": pre, "pretrained": True}, {"params": rest, "pretrained": False}) if g["params"]]


def scale_pretrained_lr(optimizer: Any, multiplier: float) -> Any:
    """Multiply the learning rate of the pretrained group (built by ``parameter_groups``)."""
    for group in getattr(optimizer, "param_groups", []):
        if group.get("pretrained") and "lr" in group:
            group["lr"] = group["lr"] * multiplier
    return optimizer
