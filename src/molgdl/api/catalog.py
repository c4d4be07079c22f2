"""What is installed (:func:`components`) and plugins defined in this session (:func:`register_plugin`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from molgdl.errors import ConfigError, PluginError

if TYPE_CHECKING:
    import pandas as pd


def components(kind: str | None = None, name: str | None = None) -> "pd.DataFrame":
    """Registered components, as ``molgdl components``.

    Args:
        kind: one kind (``model``, ``featurizer``, ``descriptor``, ``dataset``, ``analysis``, ...), or all.
        name: with ``kind``, one component: its parameters (type, default, description) instead.

    Returns:
        One row per component (``kind``, ``name``, ``summary``, ``provider``), or with ``name`` one row per
        parameter (``parameter``, ``type``, ``default``, ``description``).

    Example:
        >>> import molgdl
        >>> "dmpnn" in set(molgdl.components("model").name)
        True
        >>> molgdl.components("model", "dmpnn").set_index("parameter").loc["depth", "type"]
        'int'
    """
    import pandas as pd

    from molgdl.hookspecs import REGISTRATION_HOOKS
    from molgdl.plugins import create_plugin_manager
    from molgdl.registry import Registry, did_you_mean

    if kind is not None and kind not in REGISTRATION_HOOKS:
        raise ConfigError(f"unknown kind {kind!r}{did_you_mean(kind, list(REGISTRATION_HOOKS))}",
                          hint=f"kinds: {', '.join(REGISTRATION_HOOKS)}")
    registry = Registry(create_plugin_manager())
    if name is not None:
        from molgdl.component_info import param_rows

        if kind is None:
            raise ConfigError(f"components(name={name!r}) needs the kind of the component",
                              hint=f"e.g. molgdl.components('model', {name!r})")
        spec = registry.get(kind, name, where="components")
        return pd.DataFrame([vars(r) for r in param_rows(spec)],
                            columns=["name", "type", "default", "description"]).rename(columns={"name": "parameter"})
    rows = [{"kind": k, "name": r.spec.name, "summary": r.spec.summary, "provider": r.provider}
            for k in ([kind] if kind else REGISTRATION_HOOKS) for r in registry.items(k)]
    return pd.DataFrame(rows, columns=["kind", "name", "summary", "provider"])


def register_plugin(plugin: object, name: str) -> None:
    """Use a plugin defined in this Python session (a class, object or module with ``@molgdl.hookimpl``
    functions), as if it were an installed entry point: every run, prediction and analysis started afterwards
    in this process sees its components. Registering a name again replaces that plugin.

    Example:
        >>> import molgdl
        >>> from molgdl.specs import DescriptorSpec
        >>> class Atoms:
        ...     names = ["n_atoms"]
        ...     def compute(self, record):
        ...         from rdkit import Chem
        ...         return [Chem.MolFromSmiles(record.smiles).GetNumAtoms()]
        >>> class MyPlugin:
        ...     @molgdl.hookimpl
        ...     def molgdl_descriptors(self):
        ...         return [DescriptorSpec("n_atoms", "heavy-atom count", lambda params: Atoms())]
        >>> molgdl.register_plugin(MyPlugin(), "my_plugin")
        >>> molgdl.descriptors(["CCO"], "n_atoms")["n_atoms"].tolist()
        [3.0]
        >>> molgdl.unregister_plugin("my_plugin")
        True
    """
    from molgdl.plugins import create_plugin_manager, register_session_plugin, unregister_session_plugin
    from molgdl.registry import Registry

    previous = _session_plugins().get(name)
    register_session_plugin(plugin, name)
    try:  # check it now: a broken hook is reported here, not in the next run
        Registry(create_plugin_manager(autoload=False))
    except Exception as exc:
        unregister_session_plugin(name)
        if previous is not None:
            register_session_plugin(previous, name)
        if isinstance(exc, PluginError):
            raise
        raise PluginError(f"plugin {name!r} could not be registered: {type(exc).__name__}: {exc}",
                          hint="hook functions need @molgdl.hookimpl and a molgdl hook name "
                               "(docs/plugins.md)") from exc


def unregister_plugin(name: str) -> bool:
    """Stop using a plugin registered with :func:`register_plugin`; whether there was one.

    Example:
        >>> import molgdl
        >>> molgdl.unregister_plugin("never_registered")
        False
    """
    from molgdl.plugins import unregister_session_plugin

    return unregister_session_plugin(name)


def _session_plugins() -> dict[str, object]:
    from molgdl.plugins import _SESSION_PLUGINS

    return _SESSION_PLUGINS
