"""Bad ``task: vlasov`` configs fail before any computation with messages that name the key and the fix."""

from __future__ import annotations

import pytest

import molgdl
from molgdl.errors import ConfigError

BASE = {"task": "vlasov", "case": {"name": "landau"}, "solver": {"name": "cmm_vlasov_poisson", "n_map": 8,
                                                                 "n_sampling": 16},
        "time": {"t_end": 1.0, "dt": 0.5}}


def _run(tmp_path, **changes):
    raw = {**BASE, **changes, "run": {"name": "bad", "output_dir": str(tmp_path)}}
    return molgdl.run(raw)


@pytest.mark.parametrize("changes, pattern", [
    ({"solver": {"name": "cmm_vlasov_poisson", "k": 0.3}}, r"solver\.k is set by the case; set case\.k"),
    ({"solver": {"n_map": 8}}, r"solver needs a name"),
    ({"case": {"name": "landua"}}, r"case\.name"),
    ({"fit": [{"t_min": 0.0, "t_max": 5.0}]}, r"fit\[0\]\.t_max = 5\.0 is after time\.t_end = 1\.0"),
    ({"fit": [{"t_min": 2.0, "t_max": 1.0}]}, r"t_max \(1\.0\) must exceed t_min \(2\.0\)"),
    ({"time": {"t_end": -1.0}}, r"time\.t_end"),
    ({"solver": {"name": "cmm_vlasov_poison"}}, r"did you mean 'cmm_vlasov_poisson'"),
    ({"solver": {"name": "cmm_vlasov_poisson", "n_mapp": 8}}, r"solver\.n_mapp.*did you mean 'n_map'"),
    ({"solver": {"name": "vlasov_spectral_sl", "n_v": 2}}, r"solver\.n_v: Input should be greater than or equal"),
])
def test_bad_config_names_the_key(tmp_path, changes, pattern):
    with pytest.raises(ConfigError, match=pattern):
        _run(tmp_path, **changes)


def test_a_fit_window_with_too_few_steps_says_how_to_fix_it(tmp_path):
    with pytest.raises(ConfigError, match=r"fit 'rate'.*holds 3 logged times; it needs 8") as info:
        _run(tmp_path, fit=[{"t_max": 1.0}])
    assert "lower time.dt" in str(info.value)
