"""Load YAML into ``RunConfig`` and turn pydantic errors into messages with key path, choices, did-you-mean."""

from __future__ import annotations

import difflib
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from molgdl.config.schema import ComponentRef, RunConfig
from molgdl.errors import ConfigError
from molgdl.registry import Registry


def _fmt_loc(prefix: str, loc: tuple[Any, ...]) -> str:
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _model_at(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """Follow field annotations along ``loc`` to the pydantic model that owns the last key."""
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        model = _first_model(field.annotation)
    return model


def _first_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _first_model(arg)
        if found is not None:
            return found
    return None


def format_validation_error(exc: ValidationError, model: type[BaseModel], prefix: str = "", where: str = "") -> str:
    """One line per problem: key path, what is wrong, the valid choices and a did-you-mean."""
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = _fmt_loc(prefix, loc)
        if err["type"] == "extra_forbidden":
            owner = _model_at(model, loc[:-1])
            allowed = sorted(owner.model_fields) if owner else []
            key = str(loc[-1])
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
            mean = f" (did you mean {close[0]!r}?)" if close else ""
            lines.append(f"{path}: unknown key{mean}; valid keys: {', '.join(allowed)}")
        elif err["type"] == "missing":
            lines.append(f"{path}: required key is missing")
        else:
            got = err.get("input")
            got_s = f" (got {got!r})" if not isinstance(got, (dict, list)) else ""
            lines.append(f"{path}: {err['msg']}{got_s}")
    head = f"invalid config{f' {where}' if where else ''}:\n  "
    return head + "\n  ".join(lines)


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: Any, first: int, second: int) -> None:
        super().__init__(key)
        self.key, self.first, self.second = key, first, second


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys in a mapping silently; a config that says one thing twice is
    a mistake (two `trainer:` sections, a pasted key), so it is refused with both lines."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` may be overridden by explicit keys
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise _DuplicateKey(key, seen[key], line)
            if isinstance(key, (str, int, float, bool)):
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> dict[str, Any]:
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path.resolve()} is a folder, not a config file",
                          hint="pass the YAML file itself, e.g. configs/tutorial.yaml")
    if not path.is_file():
        raise ConfigError(f"config file not found: {path.resolve()}", hint="check the path, or start from configs/tutorial.yaml")
    try:
        raw = yaml.load(path.read_text(), Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except _DuplicateKey as exc:
        raise ConfigError(f"{path}: key {exc.key!r} appears twice in the same section (lines {exc.first} and "
                          f"{exc.second}); YAML would silently keep only the second",
                          hint="keep one of the two (merge their contents if both hold settings)") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not a UTF-8 text file ({exc.reason} at byte {exc.start})",
                          hint="save the config as UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}",
                          hint="check indentation and quoting around that line") from None
    if not isinstance(raw, dict):
        got = "empty" if raw is None else f"a {type(raw).__name__}"
        raise ConfigError(f"{path}: the top level must be a mapping of sections (data:, model:, ...), but the "
                          f"file is {got}", hint="start from configs/tutorial.yaml: `data:` and `model:` at the "
                                                 "start of a line, their keys indented below them")
    return raw


def load_config(path: Path | str, overrides: dict[str, Any] | None = None) -> RunConfig:
    """Parse and validate the core schema (no plugin needed, nothing heavy imported)."""
    raw = read_yaml(Path(path))
    for dotted, value in (overrides or {}).items():
        _set_dotted(raw, dotted, value)
    return parse_config(raw, where=f"in {path}")


def parse_config(raw: dict[str, Any], where: str = "") -> RunConfig:
    try:
        return RunConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, RunConfig, where=where),
                          hint="see configs/tutorial.yaml for every key with comments") from None


def _set_dotted(raw: dict[str, Any], dotted: str, value: Any) -> None:
    node = raw
    parts = dotted.split(".")
    if not all(parts):
        raise ConfigError(f"--set {dotted}={value!r}: the key has an empty part",
                          hint="write keys as dotted paths, e.g. --set trainer.max_epochs=5")
    for i, p in enumerate(parts[:-1]):
        if node.get(p) is None:
            node[p] = {}
        node = node[p]
        if not isinstance(node, dict):
            where = ".".join(parts[: i + 1])
            raise ConfigError(f"--set {dotted}={value!r}: {where} is {node!r}, not a section with keys",
                              hint=f"set {where} itself (--set {where}=...) or a key of a section")
    node[parts[-1]] = value


def validate_components(config: RunConfig, registry: Registry) -> dict[str, Any]:
    """Check every component name and its params; return ``{key path: validated params}``."""
    resolved: dict[str, Any] = {}
    problems: list[str] = []
    for kind, path, ref in config.component_refs():
        try:
            spec = registry.get(kind, ref.name, where=path + ".name")
        except ConfigError as exc:
            problems.append(str(exc).split("\n  fix:")[0])
            continue
        resolved[path] = validate_params(spec, ref, path, problems)
    if problems:
        raise ConfigError("invalid config:\n  " + "\n  ".join(problems),
                          hint="`molgdl components --kind KIND` lists the names, "
                               "`molgdl components --kind KIND NAME` shows one's parameters")
    return resolved


def validate_params(spec: Any, ref: ComponentRef, path: str, problems: list[str] | None = None) -> Any:
    try:
        return spec.build_params(ref.params)
    except ValidationError as exc:
        msg = format_validation_error(exc, spec.params, prefix=path).split(":\n  ", 1)[1]
        if problems is None:
            raise ConfigError(f"invalid config:\n  {msg}") from None
        problems.append(msg)
        return None
