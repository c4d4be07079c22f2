"""Calling the lifecycle hooks (``molgdl_run_start``, ``molgdl_epoch_end``, ``molgdl_run_end``).

An exception inside a plugin's hook becomes a ``PluginError`` that names the plugin, the hook, the file and
line that raised, so that ``status.json`` and ``run.log`` say whose code stopped the run.
"""

from __future__ import annotations

import traceback
from typing import Any

from molgdl.errors import MolgdlError, PluginError
from molgdl.plugins import MolgdlPluginManager


def call_lifecycle(pm: MolgdlPluginManager, hook_name: str, **kwargs: Any) -> None:
    """``pm.hook.<hook_name>(**kwargs)``, with a failing implementation reported by plugin and hook."""
    hook = getattr(pm.hook, hook_name)
    try:
        hook(**kwargs)
    except MolgdlError:
        raise
    except Exception as exc:
        impls = {impl.function.__code__: impl for impl in hook.get_hookimpls()
                 if hasattr(impl.function, "__code__")}
        frames = traceback.extract_tb(exc.__traceback__)
        impl = None
        tb = exc.__traceback__
        while tb is not None:  # the deepest frame that is a hook implementation is the culprit
            impl = impls.get(tb.tb_frame.f_code, impl)
            tb = tb.tb_next
        if impl is None:
            raise
        last = frames[-1]
        provider = pm.provider_of(impl.plugin)
        raise PluginError(
            f"plugin {provider}: hook {hook_name} raised {type(exc).__name__}: {exc} "
            f"(at {last.filename}:{last.lineno})",
            hint=f"fix the plugin's {hook_name} (full traceback in run.log), or disable it with "
                 f"MOLGDL_DISABLE_PLUGINS={pm.get_name(impl.plugin)}",
        ) from exc
