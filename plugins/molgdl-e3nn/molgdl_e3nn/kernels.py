"""Which kernels run the e3nn encoder: the plain e3nn modules or cuEquivariance's fused convolution. The choice
changes speed, never the parameters or (beyond float rounding) the results.

- ``plain``: e3nn's generated code (the reference).
- ``cuequivariance``: each interaction block's gather + tensor product + scatter as one cuEquivariance
  segmented polynomial with e3nn's coefficients (:mod:`molgdl_e3nn.cue_conv`); needs ``cuequivariance-torch``
  (``pip install molgdl-e3nn[cuda]``); its fused CUDA kernel comes from ``cuequivariance-ops-torch-cu12``,
  without which cuEquivariance runs the same sums in pure torch (any device; how the CPU tests run it).
- ``auto`` (default): ``cuequivariance`` on a CUDA device when both cuEquivariance packages are installed,
  ``plain`` otherwise (on CPU the pure-torch cuEquivariance path is not faster, so results there stay those
  of the plain path). The fused kernel needs every input irrep of a convolution to have the same multiplicity
  (:func:`uniform`; e.g. ``num_tensor_features`` equal to ``num_features``, the default): ``auto`` keeps a block
  whose irreps differ on the plain path, and an explicit ``cuequivariance`` runs it with the pure-torch method.

``torch.compile`` is not offered: with torch 2.13 and e3nn 0.6 Dynamo fails while guarding the layers (it calls
``len()`` on e3nn ``Irrep`` objects, which raise ``NotImplementedError``), in e3nn's eager and script modes alike.
"""

from __future__ import annotations

import importlib.util

from molgdl.errors import ConfigError

KERNELS = ("auto", "plain", "cuequivariance")
CUE_HINT = "pip install 'molgdl-e3nn[cuda]' (cuequivariance-torch; for the CUDA kernels also cuequivariance-ops-torch-cu12)"

_found: set[str] = set()  # packages seen installed (a missing one is looked up again next time)


def installed(package: str) -> bool:
    """Whether ``package`` can be imported (without importing it)."""
    if package in _found:
        return True
    if importlib.util.find_spec(package) is not None:
        _found.add(package)
        return True
    return False


def check(kernels: str) -> None:
    """Fail early, with the fix, when ``kernels`` names an unknown or uninstalled path."""
    if kernels not in KERNELS:
        raise ConfigError(f"e3nn: kernels must be one of {', '.join(KERNELS)}; got {kernels!r}",
                          hint="set the e3nn param kernels to auto, plain or cuequivariance")
    if kernels == "cuequivariance" and not installed("cuequivariance_torch"):
        raise ConfigError("e3nn: kernels 'cuequivariance' needs the package cuequivariance-torch, which is not installed",
                          hint=CUE_HINT + "; or set kernels: auto")


def uniform(irreps_in) -> bool:
    """Whether cuEquivariance's fused ``uniform_1d`` kernel can run a convolution of node irreps ``irreps_in``
    (with multiplicity-1 spherical harmonics): all segments must have the same size, i.e. one multiplicity."""
    return len({mul for mul, _ in irreps_in}) == 1


def resolve(kernels: str, device_type: str) -> str:
    """The path that runs on ``device_type`` (``"cpu"``, ``"cuda"``, ...): ``auto`` resolved, others as given."""
    if kernels != "auto":
        return kernels
    if device_type == "cuda" and installed("cuequivariance_torch") and installed("cuequivariance_ops_torch"):
        return "cuequivariance"
    return "plain"
