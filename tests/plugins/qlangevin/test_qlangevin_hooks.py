"""Registration, params validation (clear errors), light imports, the generic wrapper's base lookup."""

from __future__ import annotations

import subprocess
import sys

import pluggy
import pytest
import torch
from pydantic import ValidationError

from molgdl import hookspecs
from molgdl.config.load import validate_params
from molgdl.config.schema import ComponentRef
from molgdl.errors import ConfigError
from molgdl.specs import OptimizerSpec


def specs() -> dict[str, OptimizerSpec]:
    from molgdl_qlangevin import hooks

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(hooks, name="qlangevin")
    pm.check_pending()
    return {s.name: s for group in pm.hook.molgdl_optimizers() for s in group}


def test_entry_point_is_installed():
    from importlib.metadata import entry_points

    eps = {ep.name: ep.value for ep in entry_points(group="molgdl")}
    assert eps.get("qlangevin") == "molgdl_qlangevin.hooks"


def test_registered_optimizers_build():
    found = specs()
    assert sorted(found) == ["qadam", "qsgd", "quantized", "sgld"]
    from molgdl_qlangevin.optimizer import QuantizedOptimizer
    from molgdl_qlangevin.sgld import SGLD

    for name, spec in found.items():
        opt = spec.factory(spec.build_params({}), [torch.nn.Parameter(torch.zeros(3))])
        assert isinstance(opt, torch.optim.Optimizer)
        assert isinstance(opt, SGLD if name == "sgld" else QuantizedOptimizer)
        for field in spec.params.model_fields.values():
            assert field.description, f"{name}: a parameter without description"


def test_hooks_import_no_torch():
    code = (
        "import sys\n"
        "import molgdl_qlangevin.hooks as h; h.molgdl_optimizers()\n"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("values, message", [
    ({"b": 1}, "greater than or equal to 2"),
    ({"b": 2.5}, "integer"),
    ({"eta": 0}, "greater than 0"),
    ({"eta": float("inf")}, "finite"),
    ({"schedule": "cosine"}, "'constant', 'linear', 'log' or 'step'"),
    ({"schedule": "constant", "rate": 0.5}, "rate only applies to schedule: linear"),
    ({"schedule": "linear", "tau": 2.0}, "tau only applies to schedule: log"),
    ({"schedule": "log", "step_every": 2.0}, "step_every only applies to schedule: step"),
    ({"h0": 3, "h_max": 2}, "h_max (2) must be >= h0 (3)"),
    ({"eta": 2.0**60, "h0": 5}, "exceeds 2^64"),
    ({"rounding": "up"}, "'nearest' or 'stochastic'"),
    ({"stats_every": -1}, "greater than or equal to 0"),
    ({"betas": [0.9, 1.0]}, "betas must both lie in [0, 1)"),
    ({"lr": -1.0}, "greater than 0"),
    ({"momentm": 0.9}, "unknown key (did you mean 'momentum'?)"),
    ({"fused": True, "rounding": "stochastic"}, "fused: true needs rounding: nearest"),
    ({"fused": True, "eta": 1000.0}, "fused: true needs power-of-two eta and b"),
])
def test_bad_params_give_clear_errors(values, message):
    name = "qadam" if "betas" in values else "qsgd"
    with pytest.raises(ConfigError) as exc:
        validate_params(specs()[name], ComponentRef(name=name, **values), "optimizer")
    assert message in str(exc.value), str(exc.value)


def test_sgld_and_wrapper_params():
    s = specs()
    with pytest.raises(ValidationError, match="either temperature or noise_std"):
        s["sgld"].build_params({"temperature": 1e-3, "noise_std": 0.1})
    with pytest.raises(ValidationError, match="base needs a name"):
        s["quantized"].build_params({"base": {"lr": 0.1}})
    with pytest.raises(ValidationError, match="already quantizes"):
        s["quantized"].build_params({"base": {"name": "qadam"}})
    with pytest.raises(ValidationError, match="nesterov: true needs momentum"):
        s["qsgd"].build_params({"nesterov": True})


def test_generic_wrapper_validates_its_base():
    spec = specs()["quantized"]
    param = [torch.nn.Parameter(torch.zeros(2))]
    with pytest.raises(ConfigError, match=r"optimizer.base.name: unknown optimizer 'adan' \(did you mean 'adam'\?\)"):
        spec.factory(spec.build_params({"base": {"name": "adan"}}), param)
    with pytest.raises(ConfigError, match="optimizer.base.lr"):
        spec.factory(spec.build_params({"base": {"name": "adam", "lr": -1}}), param)
    opt = spec.factory(spec.build_params({"base": {"name": "sgd", "lr": 0.5}, "schedule": "constant"}), param)
    assert type(opt.base) is torch.optim.SGD and opt.param_groups[0]["lr"] == 0.5


def test_generic_wrapper_equals_qadam():
    """quantized(base=adamw) and qadam(decoupled) take bit-identical steps."""
    s = specs()
    common = {"eta": 64.0, "schedule": "constant", "weight_decay": 0.01}
    torch.manual_seed(0)
    target = torch.randn(50)
    results = []
    for name, values in [("qadam", {**common, "decoupled": True, "lr": 0.01}),
                         ("quantized", {"eta": 64.0, "schedule": "constant",
                                        "base": {"name": "adamw", "lr": 0.01, "weight_decay": 0.01}})]:
        x = torch.nn.Parameter(torch.zeros(50))
        opt = s[name].factory(s[name].build_params(values), [x])
        for _ in range(30):
            opt.zero_grad()
            ((x - target) ** 2).sum().backward()
            opt.step()
        results.append(x.detach().clone())
    assert torch.equal(results[0], results[1])
