"""Registration-time checks of what a registration hook returns: the container, each spec's type, name,
params class, model family and factory signature.

Nothing here builds a component or imports torch: factories are only inspected. Every failure is a
``PluginError`` that names the plugin, the component, the file and line to fix, and what was expected.
"""

from __future__ import annotations

import inspect
import linecache
import traceback
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from molgdl.errors import PluginError
from molgdl.specs import SPEC_KINDS, ComponentSpec, ModelSpec, Params

MODEL_FAMILIES = ("encoder", "classical")

# what molgdl passes to each kind's factory, after the validated params (see molgdl.specs)
FACTORY_ARGS: dict[str, tuple[str, ...]] = {
    "dataset": ("params",),
    "featurizer": ("params",),
    "descriptor": ("params",),
    "splitter": ("params",),
    "model": ("params", "dims"),
    "readout": ("params", "in_dim"),
    "optimizer": ("params", "parameters"),
    "scheduler": ("params", "optimizer", "steps_per_epoch", "max_epochs"),
    "analysis": ("params",),
    "callback": ("params",),
    "uncertainty": ("params",),
    "calibrator": ("params",),
    "solver": ("params",),
    "task": ("params", "context"),
}
CLASSICAL_FACTORY_ARGS = ("params", "task")


def location(obj: Any) -> str:
    """``file:line`` of the ``def``/``class`` line of a function or class (``?`` when Python cannot tell)."""
    target = inspect.unwrap(obj) if callable(obj) else obj
    target = getattr(target, "func", target)  # functools.partial
    code = getattr(target, "__code__", None)
    try:
        if code is not None:
            path, line = code.co_filename, code.co_firstlineno
        else:
            path, line = inspect.getsourcefile(target), inspect.getsourcelines(target)[1]
    except (OSError, TypeError):
        return "?"
    while linecache.getline(path, line).lstrip().startswith("@"):  # decorators: point at the def
        line += 1
    return f"{path}:{line}"


def raised_at(exc: BaseException) -> str:
    """``file:line`` of the innermost frame of an exception's traceback (the line that raised)."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def check_hook_result(result: Any, kind: str, hook_name: str, provider: str, hook_fn: Any) -> list[Any]:
    """The specs returned by one hook implementation, as a list; a single spec, a mapping or a string is refused."""
    if result is None:
        return []
    expected = SPEC_KINDS[kind].__name__
    where = f"hook {hook_name} ({location(hook_fn)})"
    if isinstance(result, ComponentSpec):
        raise PluginError(
            f"plugin {provider}: {where} returned a single {type(result).__name__}, not a list of specs",
            hint=f"return a list: return [{type(result).__name__}(...)]",
        )
    if isinstance(result, (Mapping, str, bytes)) or not isinstance(result, Iterable):
        raise PluginError(
            f"plugin {provider}: {where} returned {_article(type(result).__name__)} {type(result).__name__}, "
            "not a list of specs",
            hint=f"return a list of molgdl.specs.{expected} objects: return [{expected}(...), ...]",
        )
    return list(result)


def check_spec(spec: Any, kind: str, hook_name: str, provider: str, hook_fn: Any) -> None:
    """Type, name, summary, params class, family (models) and factory signature of one spec."""
    expected = SPEC_KINDS[kind]
    where = f"hook {hook_name} ({location(hook_fn)})"
    if not isinstance(spec, expected):
        got = type(spec).__name__
        right_hook = next((f"; a {got} belongs in molgdl_{k}s" for k, c in SPEC_KINDS.items()
                           if isinstance(spec, c)), "")
        raise PluginError(
            f"plugin {provider} returned {got} from the {kind} {where}; expected molgdl.specs.{expected.__name__}",
            hint=f"return molgdl.specs.{expected.__name__} objects{right_hook}",
        )
    if not isinstance(spec.name, str) or not spec.name.strip():
        raise PluginError(f"plugin {provider}: a {kind} from {where} has the name {spec.name!r}",
                          hint="give every component a non-empty string name (used in configs)")
    component = f"{kind} {spec.name!r} from {where}"
    if not isinstance(spec.summary, str):
        raise PluginError(f"plugin {provider}: {component} has a summary of type "
                          f"{type(spec.summary).__name__}", hint="summary is one line of text")
    _check_params(spec, component, f"{kind} {spec.name!r}", provider)
    if isinstance(spec, ModelSpec) and spec.family not in MODEL_FAMILIES:
        raise PluginError(
            f"plugin {provider}: {component} has family {spec.family!r}; expected one of "
            f"{', '.join(map(repr, MODEL_FAMILIES))}",
            hint="family='encoder' for a graph encoder (nn.Module), family='classical' for a scikit-learn model",
        )
    _check_factory(spec, kind, f"{kind} {spec.name!r}", provider)


def _check_params(spec: ComponentSpec, component: str, kind_name: str, provider: str) -> None:
    params = spec.params
    if isinstance(params, BaseModel):
        name = type(params).__name__
        raise PluginError(f"plugin {provider}: {component} gives params as an instance of {name}, "
                          "not the class", hint=f"pass the class itself: params={name}")
    if not (isinstance(params, type) and issubclass(params, BaseModel)):
        raise PluginError(f"plugin {provider}: {component} has params={params!r}; expected a subclass "
                          "of molgdl.specs.Params",
                          hint="define `class MyParams(molgdl.specs.Params)` with typed fields")
    if not issubclass(params, Params):
        raise PluginError(
            f"plugin {provider}: {kind_name} params class {params.__name__} ({location(params)}) is a pydantic "
            "BaseModel but not a molgdl.specs.Params, so misspelled config keys would be accepted silently",
            hint=f"derive it from molgdl.specs.Params: class {params.__name__}(Params)",
        )


def factory_args(spec: ComponentSpec, kind: str) -> tuple[str, ...]:
    if isinstance(spec, ModelSpec) and spec.family == "classical":
        return CLASSICAL_FACTORY_ARGS
    return FACTORY_ARGS[kind]


def _check_factory(spec: ComponentSpec, kind: str, component: str, provider: str) -> None:
    factory = spec.factory
    args = factory_args(spec, kind)
    call = f"factory({', '.join(args)})"
    if not callable(factory):
        raise PluginError(f"plugin {provider}: {component} has factory={factory!r}, which is not callable",
                          hint=f"molgdl calls {call}: pass a function or class")
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):  # some builtins and C functions have no signature: nothing to check
        return
    try:
        sig.bind(*args)
    except TypeError:
        name = getattr(factory, "__name__", type(factory).__name__)
        shown = ", ".join(args)
        raise PluginError(
            f"plugin {provider}: {component} factory {name}{sig} ({location(factory)}) cannot be called as {call}",
            hint=f"define it as `def {name}({shown})` (the arguments of a {kind} factory, docs/plugins.md)",
        ) from None
