"""The decoders, registered by name with a typed params model (``decoder: {name: ..., <params>}``).

A plugin-local registry, not a core component kind: the generate task is the only consumer of decoders,
and a decoder needs this plugin's language-model interface anyway (docs/generate.md says how to add one).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Callable

from pydantic import ValidationError

from molgdl.errors import ConfigError
from molgdl.specs import Params


@dataclass(frozen=True)
class DecoderSpec:
    """``build(params) -> decoder`` with ``decoder.generate(lm, n, context) -> Decoded``."""

    name: str
    summary: str
    params: type[Params]
    build: Callable[[Any], Any]
    needs: frozenset[str] = frozenset()  # "amateur", "guide"


_DECODERS: dict[str, DecoderSpec] = {}


def register(spec: DecoderSpec) -> DecoderSpec:
    if spec.name in _DECODERS:
        raise ConfigError(f"decoder {spec.name!r} is registered twice")
    _DECODERS[spec.name] = spec
    return spec


def decoder_names() -> list[str]:
    from . import catalog  # noqa: F401 - registers the built-in decoders

    return sorted(_DECODERS)


def decoder_spec(name: str, where: str = "decoder.name") -> DecoderSpec:
    names = decoder_names()
    if name not in _DECODERS:
        close = difflib.get_close_matches(name, names, n=1)
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"{where}: unknown decoder {name!r}{guess}; choices: {', '.join(names)}",
                          hint="pick one of the registered decoders (docs/generate.md)")
    return _DECODERS[name]


def decoder_params(block: dict[str, Any], where: str = "decoder") -> tuple[DecoderSpec, Params]:
    """Validate ``{name: ..., <params>}`` against the decoder's params model."""
    block = dict(block)
    name = block.pop("name", None)
    if not isinstance(name, str):
        raise ConfigError(f"{where}: missing 'name' (a decoder)", hint=f"choices: {', '.join(decoder_names())}")
    spec = decoder_spec(name, f"{where}.name")
    try:
        params = spec.params.model_validate(block)
    except ValidationError as exc:
        problems = "; ".join(f"{where}.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        fields = ", ".join(spec.params.model_fields)
        raise ConfigError(f"invalid decoder {name!r} parameters: {problems}",
                          hint=f"{name} takes: {fields or 'no parameters'}") from None
    return spec, params
