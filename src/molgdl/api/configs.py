"""A config for :func:`molgdl.api.run`: a YAML file or a dict, keyword overrides, an in-memory DataFrame.

Nothing heavy is imported here; the result is the same validated ``RunConfig`` that ``molgdl run`` builds.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from molgdl.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from molgdl.config.schema import RunConfig

#: The data source that reads an in-memory pandas DataFrame (``data: {source: {name: dataframe, frame: ...}}``).
DATAFRAME_SOURCE = "dataframe"


def _copy(node: Any) -> Any:
    """Copy dicts and lists (the caller's config is never changed); other values (a DataFrame) are kept."""
    if isinstance(node, Mapping):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            _merge(base[key], value)
        else:
            base[key] = _copy(value)


def apply_overrides(raw: dict[str, Any], overrides: Mapping[str, Any]) -> None:
    """``{"trainer.max_epochs": 3}`` sets one key (as ``--set``); ``{"trainer": {"max_epochs": 3}}`` merges into
    the section (other keys of the section are kept); any other value replaces the key."""
    from molgdl.config.load import _set_dotted

    for key, value in overrides.items():
        if "." in key:
            _set_dotted(raw, key, _copy(value))
        elif isinstance(value, Mapping) and isinstance(raw.get(key), Mapping):
            _merge(raw[key], value)
        else:
            raw[key] = _copy(value)


def _attach_frame(raw: dict[str, Any], frame: "pd.DataFrame") -> None:
    """``data=frame``: the source becomes ``{name: dataframe, frame: <frame>, ...}``; a config that names
    another source is refused (which of the two is meant is unclear)."""
    data = raw.setdefault("data", {})
    if not isinstance(data, dict):
        raise ConfigError(f"data is {data!r}, not a section", hint="write data: {source: {...}}")
    source = data.setdefault("source", {"name": DATAFRAME_SOURCE})
    if not isinstance(source, dict):
        raise ConfigError(f"data.source is {source!r}, not a component block",
                          hint="write data.source as {name: dataframe, target_columns: [...]}")
    name = source.setdefault("name", DATAFRAME_SOURCE)
    if name != DATAFRAME_SOURCE:
        raise ConfigError(f"data= gives a DataFrame, but data.source.name is {name!r}",
                          hint=f"set data.source.name: {DATAFRAME_SOURCE} (with target_columns, smiles_column) "
                               "or leave out data=")
    source["frame"] = frame


def _register_frames(raw: dict[str, Any]) -> None:
    """A DataFrame at ``data.source.frame`` is held in this process (``molgdl.data.frames``) and replaced by its
    key: the resolved config and ``config.yaml`` record that key (a content hash), never the table itself."""
    source = (raw.get("data") or {}).get("source") if isinstance(raw.get("data"), dict) else None
    if not isinstance(source, dict) or "frame" not in source:
        return
    frame = source["frame"]
    if isinstance(frame, str):
        return
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(f"data.source.frame must be a pandas DataFrame, got a {type(frame).__name__}",
                          hint="molgdl.run(config, data=df) or data: {source: {name: dataframe, frame: df}}")
    from molgdl.data.frames import register_frame

    source["frame"] = register_frame(frame)


def build_config(config: str | Path | Mapping[str, Any], overrides: Mapping[str, Any] | None = None,
                 data: "pd.DataFrame | None" = None) -> "RunConfig":
    """The validated ``RunConfig`` of a YAML path or a dict, with ``overrides`` applied and ``data`` attached."""
    from molgdl.config.load import parse_config

    raw, where = raw_config(config, overrides, data)
    return parse_config(raw, where=where)


def raw_config(config: str | Path | Mapping[str, Any], overrides: Mapping[str, Any] | None = None,
               data: "pd.DataFrame | None" = None) -> tuple[dict[str, Any], str]:
    """The config as a plain dict (a copy), with ``overrides`` applied and ``data`` attached, and where it came
    from (for messages); not yet validated (a ``task:`` config is validated by its task, molgdl.tasks)."""
    from molgdl.config.load import read_yaml

    if isinstance(config, Mapping):
        raw, where = _copy(config), "(dict)"
    elif isinstance(config, (str, Path)):
        raw, where = read_yaml(Path(config).expanduser()), f"in {config}"
    else:
        raise ConfigError(f"a config is a YAML file path or a dict, got a {type(config).__name__}",
                          hint="molgdl.run('configs/esol.yaml') or molgdl.run({'data': ..., 'model': ...})")
    apply_overrides(raw, overrides or {})
    if data is not None:
        _attach_frame(raw, data)
    _register_frames(raw)
    return raw, where
