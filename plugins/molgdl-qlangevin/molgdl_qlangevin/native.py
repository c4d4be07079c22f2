r"""Fused QSGD step on the CPU: SGD update and lattice rounding in one C loop per tensor, no dispatcher.

.. math::
    d = g + \mathrm{wd}\, x, \quad b \leftarrow \mu b + d, \quad
    x \leftarrow Q^{-1}\, \mathrm{rint}\big(Q\,(x - \lambda\,[d + \mu b \text{ (Nesterov) } | b | d])\big)

with the floating-point operations of ``torch.optim.SGD`` (dampening 0) followed by
:func:`molgdl_qlangevin.lattice.quantize_`: ATen's ``add(.., alpha=c)`` is one fused multiply-add, the
momentum update ``b * mu`` then ``+ d`` two roundings, ``x * Q`` and ``k * (1/Q)`` exact (``Q`` a power of two)
and ``rint`` rounds half to even like ``torch.round``. So the fused step is bit for bit the unfused one
(``tests/plugins/qlangevin/test_qlangevin_native.py``).

Why not ``torch.compile``: on a 1M-parameter model a plain SGD step is ~0.15 ms of memory traffic, and
the compiled call adds ~0.1 ms of guard and wrapper overhead on every step (1.45x the base step in
``benchmarks/qlangevin/step_time.py``). This loop is called through ``ctypes`` (a few microseconds).

The C source is compiled once per process with the system C compiler (``$CC`` or ``cc``, ``-O3 -march=native``:
AVX2 and FMA where the CPU has them) in a temporary folder that is removed once the library is loaded, ~0.3 s. Without a compiler, or for tensors this
loop does not take (not float32/float64, not contiguous, sparse gradients, not on the CPU),
:func:`sgd_lattice_step_` returns ``False`` and the caller uses the next path. One thread: on several
cores ATen's per-tensor kernels may split large tensors across threads, this loop does not.
"""

from __future__ import annotations

import ctypes
import logging
import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import torch
from torch import Tensor

log = logging.getLogger(__name__)

SOURCE = r"""
#include <math.h>
#include <stdint.h>

#define SGD_LATTICE(NAME, T, FMA, RINT)                                                              \
void NAME(int64_t count, T *const *params, T *const *grads, T *const *bufs, const int64_t *sizes,     \
          T lr, T q, T inv_q, T momentum, T wd, int use_m, int use_wd, int nesterov) {               \
    const T neg_lr = -lr;                                                                             \
    for (int64_t k = 0; k < count; ++k) {                                                             \
        T *restrict p = params[k];                                                                    \
        const T *restrict g = grads[k];                                                               \
        const int64_t n = sizes[k];                                                                   \
        if (!use_m && !use_wd) {                                                                      \
            for (int64_t i = 0; i < n; ++i) p[i] = RINT(FMA(neg_lr, g[i], p[i]) * q) * inv_q;        \
        } else if (!use_m) {                                                                          \
            for (int64_t i = 0; i < n; ++i) {                                                         \
                const T d = FMA(wd, p[i], g[i]);                                                      \
                p[i] = RINT(FMA(neg_lr, d, p[i]) * q) * inv_q;                                        \
            }                                                                                         \
        } else {                                                                                      \
            T *restrict b = bufs[k];                                                                  \
            for (int64_t i = 0; i < n; ++i) {                                                         \
                T d = use_wd ? FMA(wd, p[i], g[i]) : g[i];                                            \
                T m = b[i] * momentum;                                                                \
                m = m + d;                                                                            \
                b[i] = m;                                                                             \
                d = nesterov ? FMA(momentum, m, d) : m;                                               \
                p[i] = RINT(FMA(neg_lr, d, p[i]) * q) * inv_q;                                        \
            }                                                                                         \
        }                                                                                             \
    }                                                                                                 \
}

SGD_LATTICE(sgd_lattice_f32, float, fmaf, rintf)
SGD_LATTICE(sgd_lattice_f64, double, fma, rint)
"""
# -ffp-contract=off: only the explicit fma() calls fuse (``b * mu + d`` must round twice, as in torch)
FLAGS = ["-O3", "-fPIC", "-shared", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=off"]
_ARCH_FLAGS = (["-march=native"], ["-mcpu=native"], [])
_LIB: list = []  # [ctypes.CDLL] once built, [None] when building failed (then never retried)
_TYPES = {torch.float32: ("sgd_lattice_f32", ctypes.c_float), torch.float64: ("sgd_lattice_f64", ctypes.c_double)}


def build(compiler: str | None = None) -> ctypes.CDLL | None:
    """Compile :data:`SOURCE` and load it (cached for the process); ``None`` if no C compiler works here."""
    if _LIB:
        return _LIB[0]
    compiler = compiler or os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    lib = None
    if compiler:
        folder = Path(tempfile.mkdtemp(prefix="molgdl_qsgd_"))
        (folder / "qsgd.c").write_text(SOURCE)
        errors = []
        try:
            for arch in _ARCH_FLAGS:
                cmd = [*shlex.split(compiler), *FLAGS, *arch, str(folder / "qsgd.c"), "-o", str(folder / "qsgd.so"),
                       "-lm"]
                try:
                    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
                except (OSError, subprocess.TimeoutExpired) as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                    break
                if done.returncode == 0:
                    lib = ctypes.CDLL(str(folder / "qsgd.so"))
                    break
                errors.append((done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1])
        finally:
            shutil.rmtree(folder, ignore_errors=True)  # a loaded library stays mapped after its file is removed
        if lib is None:
            log.warning("qsgd fused: could not compile the CPU kernel with %s (%s); using torch.compile or the "
                        "unfused step", compiler, errors[-1])
    for name, scalar in _TYPES.values():
        if lib is not None:
            fn = getattr(lib, name)
            fn.restype = None
            fn.argtypes = [ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                           scalar, scalar, scalar, scalar, scalar, ctypes.c_int, ctypes.c_int, ctypes.c_int]
    _LIB.append(lib)
    return lib


def supports(params: list[Tensor], grads: list[Tensor], bufs: list[Tensor]) -> bool:
    """Whether the loop can take these tensors: CPU, one dtype (float32 or float64), dense and contiguous."""
    if not params:
        return True
    dtype = params[0].dtype
    if dtype not in _TYPES:
        return False
    for ts in (params, grads, bufs):
        for t in ts:  # cheap attribute checks first: is_contiguous() raises on sparse tensors
            if not (t.is_cpu and t.dtype is dtype and t.layout is torch.strided and t.is_contiguous()):
                return False
    return True


def _pointers(tensors: list[Tensor]):
    return (ctypes.c_void_p * len(tensors))(*[t.data_ptr() for t in tensors])


def sgd_lattice_step_(params: list[Tensor], grads: list[Tensor], bufs: list[Tensor], lr: float, q: float,
                      momentum: float, weight_decay: float, nesterov: bool, *, checked: bool = False) -> bool:
    """In place, one device/dtype group: SGD (``bufs``: the momentum buffers, empty without momentum) and
    rounding to ``Q^-1 Z``; ``Q`` must be a power of two. ``False`` (nothing changed) when the loop cannot
    take these tensors or could not be built. ``checked``: the caller has already run :func:`supports`."""
    if not params:
        return True
    if not checked and not supports(params, grads, bufs):
        return False
    lib = build()
    if lib is None:
        return False
    name, scalar = _TYPES[params[0].dtype]
    use_m = momentum != 0.0
    sizes = (ctypes.c_int64 * len(params))(*[p.numel() for p in params])
    getattr(lib, name)(len(params), _pointers(params), _pointers(grads), _pointers(bufs) if use_m else None, sizes,
                       lr, q, 1.0 / q, momentum, weight_decay, int(use_m), int(weight_decay != 0.0), int(nesterov))
    return True
