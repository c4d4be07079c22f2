"""Registration: the specs, their params, the factories' return types and the run-start check."""

from __future__ import annotations

import pytest

from molgdl.errors import ConfigError
from molgdl.registry import Registry
from molgdl_coherence import hooks


@pytest.fixture
def registry(molgdl_pm):
    molgdl_pm.register(hooks, name="coherence")
    return Registry(molgdl_pm)


def test_components_are_registered_with_documented_params(registry):
    assert {"coherence", "per_example_gradients"} <= set(registry.names("callback"))
    assert {"winsorized", "m3", "rm3"} <= set(registry.names("optimizer"))
    for kind, name in [("callback", "coherence"), ("callback", "per_example_gradients"),
                       ("optimizer", "winsorized"), ("optimizer", "m3"), ("optimizer", "rm3")]:
        spec = registry.get(kind, name)
        for field, info in spec.params.model_fields.items():
            assert info.description, f"{name}.{field} has no description"


def test_callback_factories_return_lightning_callbacks(registry):
    import pytorch_lightning as pl

    for name in ("coherence", "per_example_gradients"):
        spec = registry.get("callback", name)
        assert isinstance(spec.factory(spec.build_params()), pl.Callback)


def test_params_validation():
    from pydantic import ValidationError

    from molgdl_coherence.params import CoherenceParams, WinsorizedParams

    with pytest.raises(ValidationError, match="already a robust aggregator"):
        WinsorizedParams(base={"name": "m3"})
    with pytest.raises(ValidationError, match="needs a name"):
        WinsorizedParams(base={"lr": 0.1})
    with pytest.raises(ValidationError):
        CoherenceParams(m=1)
    with pytest.raises(ValidationError):
        CoherenceParams(method="backpack")


def test_run_start_requires_the_feeder_for_winsorized_and_m3(tmp_path):
    for opt in ({"name": "winsorized"}, {"name": "quantized", "base": {"name": "m3"}}):
        with pytest.raises(ConfigError, match="per_example_gradients"):
            hooks.molgdl_run_start(run_dir=tmp_path, config={"optimizer": opt, "callbacks": []})
    hooks.molgdl_run_start(run_dir=tmp_path, config={"optimizer": {"name": "m3"},
                                                     "callbacks": [{"name": "per_example_gradients"}]})
    hooks.molgdl_run_start(run_dir=tmp_path, config={"optimizer": {"name": "rm3"}, "callbacks": []})
