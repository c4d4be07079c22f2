"""Hook implementations of molgdl-vlasov (no torch import: factories import lazily)."""

from __future__ import annotations

from molgdl import hookimpl
from molgdl.specs import SolverSpec, TaskSpec

from .params import CMMParams, SpectralSLParams, VlasovTaskParams


def _cmm(params):
    from .solvers import build_cmm

    return build_cmm(params)


def _spectral_sl(params):
    from .solvers import build_spectral_sl

    return build_spectral_sl(params)


def _vlasov_task(params, context):
    from .task import vlasov_task

    return vlasov_task(params, context)


@hookimpl
def molgdl_solvers():
    return [
        SolverSpec("cmm_vlasov_poisson", "characteristic mapping method for 1+1-D Vlasov-Poisson: composed "
                   "Hermite-cubic backward maps on a coarse grid (Krah et al. 2023); state: f on the "
                   "sampling grid",
                   _cmm, CMMParams),
        SolverSpec("vlasov_spectral_sl", "Strang-split spectral semi-Lagrangian Vlasov-Poisson solver on a "
                   "fixed grid (reference; differentiable; state: f on the grid)", _spectral_sl,
                   SpectralSLParams),
    ]


@hookimpl
def molgdl_tasks():
    return [TaskSpec("vlasov", "run a Vlasov-Poisson case (Landau damping, two-stream) with a Vlasov solver: "
                     "diagnostics CSV, |E_1|(t) with fitted rates, phase-space pictures", _vlasov_task,
                     VlasovTaskParams)]
