"""Extended-XYZ reader of molgdl-datasets, on hand-written files."""

from __future__ import annotations

import math

import numpy as np
import pytest

from molgdl.errors import DataError
from molgdl_datasets.factories import xyz_dataset
from molgdl_datasets.params import XyzParams
from molgdl_datasets.xyz_reader import parse_comment, parse_extxyz

TWO_FRAMES = """\
3
Lattice="50.0 0.0 0.0 0.0 50.0 0.0 0.0 0.0 50.0" Properties=species:S:1:pos:R:3:forces:R:3 energy=-2079.5 dipole=0.25 config_type=Training_set pbc="F F F"
O    0.00000000    0.00000000    0.11926200     0.10000000   -0.20000000    1.50000000
H    0.00000000    0.76323900   -0.47704700    -0.05000000    0.30000000   -0.75000000
H    0.00000000   -0.76323900   -0.47704700    -0.05000000   -0.10000000   -0.75000000
2
Properties=species:S:1:pos:R:3:forces:R:3 energy=-3.125e+01 pbc="F F F"
H    0.0    0.0    0.0     0.0    0.0    -2.0
H    0.0    0.0    0.74    0.0    0.0     2.0

"""


def _write(tmp_path, text, name="traj.xyz"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_two_frames_energies_forces(tmp_path):
    path = _write(tmp_path, TWO_FRAMES)
    table = xyz_dataset(XyzParams(path=str(path)))
    assert len(table) == 2 and table.n_read == 2 and table.task == "regression"
    assert table.target_names == ["energy"] and table.units == {"energy": "eV"}
    np.testing.assert_array_equal(table.targets[:, 0], [-2079.5, -31.25])
    water, h2 = table.records
    assert water.id == "frame1" and h2.id == "frame2" and water.row == 1 and h2.row == 2
    assert water.smiles is None
    assert water.energy == -2079.5 and h2.energy == -31.25
    np.testing.assert_array_equal(water.z, [8, 1, 1])
    assert water.z.dtype == np.int64 and water.pos.dtype == np.float64
    np.testing.assert_array_equal(water.pos[1], [0.0, 0.763239, -0.477047])
    np.testing.assert_array_equal(
        water.forces, [[0.1, -0.2, 1.5], [-0.05, 0.3, -0.75], [-0.05, -0.1, -0.75]]
    )
    np.testing.assert_array_equal(h2.forces, [[0, 0, -2.0], [0, 0, 2.0]])
    assert np.linalg.norm(h2.pos[1] - h2.pos[0]) == pytest.approx(0.74)


def test_extra_targets_and_missing_key_is_nan(tmp_path):
    path = _write(tmp_path, TWO_FRAMES)
    table = xyz_dataset(XyzParams(path=str(path), target_columns=["energy", "dipole"]))
    assert table.target_names == ["energy", "dipole"]
    assert table.targets[0, 1] == 0.25 and math.isnan(table.targets[1, 1])
    assert table.units == {"energy": "eV"}


def test_custom_energy_key(tmp_path):
    text = "1\nProperties=species:S:1:pos:R:3:REF_forces:R:3 REF_energy=-13.6\nH 0 0 0 0.5 0 0\n"
    params = XyzParams(path=str(_write(tmp_path, text)), energy_key="REF_energy", forces_key="REF_forces")
    table = xyz_dataset(params)
    assert table.target_names == ["REF_energy"] and table.records[0].energy == -13.6
    np.testing.assert_array_equal(table.records[0].forces, [[0.5, 0, 0]])


def test_plain_xyz_without_properties(tmp_path):
    frames = parse_extxyz(_write(tmp_path, "2\nenergy=-1.0\nC 0 0 0\nO 0 0 1.128\n"))
    assert len(frames) == 1 and list(frames[0].z) == [6, 8] and frames[0].arrays == {}


def test_parse_comment_quotes_and_flags():
    info = parse_comment('a=1 b="x y z" c=\'q r\' Properties=species:S:1:pos:R:3 flag')
    assert info == {"a": "1", "b": "x y z", "c": "q r", "Properties": "species:S:1:pos:R:3", "flag": "T"}


def test_unknown_target_key_lists_keys(tmp_path):
    path = _write(tmp_path, TWO_FRAMES)
    with pytest.raises(DataError) as err:
        xyz_dataset(XyzParams(path=str(path), energy_key="energies"))
    msg = str(err.value)
    assert "'energies'" in msg and "did you mean 'energy'?" in msg and "dipole" in msg


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        # wrong number of columns on the second atom line of frame 2 (file line 9)
        (TWO_FRAMES.replace("H    0.0    0.0    0.74    0.0    0.0     2.0", "H 0.0 0.0 0.74"), 9, "columns"),
        # atom count line is not a number (line 6)
        (TWO_FRAMES.replace("\n2\n", "\ntwo\n"), 6, "atom count"),
        # truncated: declares 4 atoms (line 6)
        (TWO_FRAMES.replace("\n2\n", "\n4\n"), 6, "file ends"),
        # unknown element (line 3)
        (TWO_FRAMES.replace("O    0.0", "Xx   0.0"), 3, "unknown element"),
        # non-numeric coordinate (line 4)
        (TWO_FRAMES.replace("0.76323900", "abc", 1), 4, "non-numeric"),
        # malformed Properties (line 2)
        (TWO_FRAMES.replace("forces:R:3 energy=-2079.5", "forces:R energy=-2079.5"), 2, "Properties"),
        # non-numeric energy (line 7, the comment line of frame 2)
        (TWO_FRAMES.replace("energy=-3.125e+01", "energy=lots"), 7, "not a number"),
    ],
)
def test_malformed_frames_name_the_line(tmp_path, text, line, words):
    with pytest.raises(DataError) as err:
        xyz_dataset(XyzParams(path=str(_write(tmp_path, text))))
    assert f"line {line}:" in str(err.value) and words in str(err.value)
    assert err.value.hint


def test_empty_and_missing_file(tmp_path):
    with pytest.raises(DataError, match="no frames"):
        xyz_dataset(XyzParams(path=str(_write(tmp_path, "\n\n"))))
    with pytest.raises(DataError, match="not found"):
        xyz_dataset(XyzParams(path=str(tmp_path / "nothing.xyz")))
