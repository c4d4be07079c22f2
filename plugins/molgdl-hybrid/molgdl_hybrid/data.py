"""Trajectories of the ``dynamics`` task: generated Lorenz-63 truth or state sequences from an ``.npz`` file,
split in time (the last ``test_fraction`` of each trajectory is held out) and cut into rollout windows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from molgdl.errors import DataError

from .task_params import DataParams


@dataclass(frozen=True)
class Trajectories:
    """train, test: lists of float64 arrays ``[T_i, dim]``; dt: the time step between rows."""

    train: list[np.ndarray]
    test: list[np.ndarray]
    dt: float

    @property
    def dim(self) -> int:
        return self.train[0].shape[1]


def _load_npz(params: DataParams) -> tuple[np.ndarray, float]:
    path = params.path
    if not path.is_file():
        raise DataError(f"data.path: {path} does not exist", hint="give the path of an .npz file")
    try:
        with np.load(path) as f:
            missing = [k for k in (params.states_key, params.dt_key) if k not in f.files]
            if missing:
                raise DataError(f"{path}: no array {missing[0]!r} (arrays: {', '.join(f.files)})",
                                hint="set data.states_key / data.dt_key to the names in the file")
            states, dt = np.asarray(f[params.states_key], dtype=np.float64), np.asarray(f[params.dt_key])
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable .npz file ({exc})", hint="write it with numpy.savez") from None
    if states.ndim == 2:
        states = states[None]
    if states.ndim != 3 or dt.size != 1 or not float(dt) > 0:
        raise DataError(f"{path}: states must be [T, dim] or [S, T, dim] and dt a positive scalar, got states "
                        f"{states.shape} and dt {dt.tolist()}", hint="save states=array, dt=float")
    if not np.isfinite(states).all():
        raise DataError(f"{path}: {int((~np.isfinite(states)).sum())} non-finite values in {params.states_key!r}",
                        hint="remove or interpolate them")
    return states, float(dt)


def load_trajectories(params: DataParams) -> Trajectories:
    """The trajectories and their time step, split into training and held-out parts."""
    if params.source == "lorenz63":
        from .solvers.lorenz import lorenz63_truth

        states = lorenz63_truth(params.dt, params.duration, params.spinup, params.x0, params.sigma, params.rho,
                                params.beta)[None]
        dt = params.dt
    elif params.source == "molecular_md":
        from .molecular.build import reference_states

        states, dt = reference_states(params.md)
    else:
        states, dt = _load_npz(params)
    cut = int(round(states.shape[1] * (1.0 - params.test_fraction)))
    if cut < 2 or states.shape[1] - cut < 2:
        raise DataError(f"data: {states.shape[1]} states per trajectory are too few to split with test_fraction "
                        f"{params.test_fraction}", hint="use longer trajectories")
    return Trajectories([s[:cut] for s in states], [s[cut:] for s in states], dt)


def windows(trajectories: list[np.ndarray], length: int) -> np.ndarray:
    """All windows of ``length`` consecutive states. Returns ``[N, length, dim]`` (N = 0 when none fits)."""
    parts = [np.lib.stride_tricks.sliding_window_view(t, length, axis=0).transpose(0, 2, 1)
             for t in trajectories if len(t) >= length]
    if not parts:
        return np.zeros((0, length, trajectories[0].shape[1]))
    return np.concatenate(parts)
