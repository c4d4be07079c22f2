"""molgdl's plotting helper leaves a backend the user (or Jupyter, through MPLBACKEND) chose, and picks the
file-only Agg backend otherwise. Each case runs in a fresh interpreter: a backend is process-global."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CODE = """
import sys
if {preimport}:
    import matplotlib
    matplotlib.use("svg")
    import matplotlib.pyplot
from molgdl.run.plots import pyplot
plt = pyplot()
fig, ax = plt.subplots()
print(plt.get_backend().lower())
"""


@pytest.mark.parametrize("env_backend,preimport,expected", [
    (None, False, "agg"),    # nothing chosen: Agg, so writing PNGs works without a display
    ("pdf", False, "pdf"),   # MPLBACKEND set (as ipykernel does with its inline backend): kept
    (None, True, "svg"),     # pyplot already imported with a backend: kept
])
def test_pyplot_keeps_a_chosen_backend(env_backend, preimport, expected):
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    if env_backend:
        env["MPLBACKEND"] = env_backend
    out = subprocess.run([sys.executable, "-c", CODE.format(preimport=preimport)], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == expected
