"""Hook implementations of the molgdl-qlangevin plugin (no torch import: factories import lazily)."""

from __future__ import annotations

from molgdl import hookimpl
from molgdl.specs import OptimizerSpec, UncertaintySpec

from .params import QAdamParams, QSGDParams, QuantizedParams, SGLDParams
from .posterior import LangevinPosteriorParams, langevin_plan


def _qsgd(params, parameters):
    from .factories import build_qsgd

    return build_qsgd(params, parameters)


def _qadam(params, parameters):
    from .factories import build_qadam

    return build_qadam(params, parameters)


def _quantized(params, parameters):
    from .factories import build_quantized

    return build_quantized(params, parameters)


def _sgld(params, parameters):
    from .factories import build_sgld

    return build_sgld(params, parameters)


@hookimpl
def molgdl_optimizers():
    return [
        OptimizerSpec("qsgd", "SGD step rounded to a lattice of increasing resolution (quantized Langevin, "
                      "Seok & Cho 2023)", _qsgd, QSGDParams),
        OptimizerSpec("qadam", "Adam step rounded to a lattice of increasing resolution (quantized Langevin, "
                      "Seok & Cho 2023)", _qadam, QAdamParams),
        OptimizerSpec("quantized", "any registered optimizer (base: {name: ...}) with its step rounded to a "
                      "lattice of increasing resolution", _quantized, QuantizedParams),
        OptimizerSpec("sgld", "stochastic gradient Langevin dynamics (Welling & Teh 2011), Gaussian noise of "
                      "a set temperature or std", _sgld, SGLDParams),
    ]


@hookimpl
def molgdl_uncertainty_estimators():
    return [
        UncertaintySpec("langevin", "posterior samples: weight snapshots along an SGLD/QSGD/QAdam trajectory at the "
                        "low-temperature end of its schedule", langevin_plan, LangevinPosteriorParams),
    ]
