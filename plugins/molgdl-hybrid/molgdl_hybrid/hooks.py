"""Hook implementations of molgdl-hybrid: solvers (physical cores) and the ``dynamics`` task.

No torch / scipy import here: factories import lazily. To add a solver, append a ``SolverSpec`` to ``SOLVERS``
(one list per hook); correction models have their own list in ``molgdl_hybrid.corrections``."""

from __future__ import annotations

from molgdl import hookimpl
from molgdl.specs import SolverSpec, TaskSpec

from .molecular.params import MDSolverParams
from .params import LinearParams, Lorenz63Params, Lorenz63ScipyParams
from .task_params import DynamicsParams


def _lorenz63(params):
    from .solvers.build import build_lorenz63

    return build_lorenz63(params)


def _lorenz63_scipy(params):
    from .solvers.build import build_lorenz63_scipy

    return build_lorenz63_scipy(params)


def _dynamics(params, context):
    from .task import run_dynamics

    return run_dynamics(params, context)


def _linear(params):
    from .solvers.build import build_linear

    return build_linear(params)


def _rdkit_md(params):
    from .molecular.build import build_md_solver

    return build_md_solver(params)


SOLVERS = [
    SolverSpec("lorenz63", "Lorenz-63 core (without -beta*u3 by default), torch RK4 or Euler; differentiable",
               _lorenz63, Lorenz63Params),
    SolverSpec("lorenz63_scipy", "Lorenz-63 core stepped by scipy solve_ivp: a black box autograd cannot see "
               "through", _lorenz63_scipy, Lorenz63ScipyParams),
    SolverSpec("linear", "linear core F(u) = A u, torch Euler or RK4 (exactness checks of the gradient modes)",
               _linear, LinearParams),
    SolverSpec("rdkit_md", "velocity-Verlet (or Langevin BAOAB) molecular dynamics of one molecule on RDKit's UFF or "
               "MMFF94 forces; a black box (state [positions Å, velocities Å/fs], time in fs)", _rdkit_md, MDSolverParams),
]


@hookimpl
def molgdl_solvers():
    return list(SOLVERS)


TASKS = [
    TaskSpec("dynamics", "hybrid physics + neural dynamics: a solver plus a correction trained online through it "
             "(EGA gradient modes), evaluated by held-out rollout error", _dynamics, DynamicsParams),
]


@hookimpl
def molgdl_tasks():
    return list(TASKS)
