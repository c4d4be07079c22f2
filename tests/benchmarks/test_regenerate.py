"""BENCHMARKS.md is exactly what ``benchmarks/regenerate.py`` builds from the committed raw results, and every
section names the command that measured it and raw files that git tracks."""

from __future__ import annotations

import fnmatch
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTION = re.compile(r"<!-- (?P<name>[\w.-]+):start -->\n(?P<body>.*?)\n<!-- (?P=name):end -->", re.S)
TICKED = re.compile(r"`([^`\n]+)`")
SCRIPT = re.compile(r"benchmarks/[\w./-]+\.(?:py|sh)")
RAW = re.compile(r"^benchmarks/[\w./<>*-]+\.(?:json|jsonl|csv)$")


def load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def regenerate():
    yield load("regenerate_under_test", ROOT / "benchmarks" / "regenerate.py")
    sys.modules.pop("regenerate_under_test", None)


@pytest.fixture(scope="module")
def tracked() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def sections(text: str) -> dict[str, str]:
    return {m["name"]: m["body"] for m in SECTION.finditer(text)}


def test_benchmarks_md_is_regenerated_byte_for_byte(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    proc = subprocess.run([sys.executable, "benchmarks/regenerate.py", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out.read_bytes() == (ROOT / "BENCHMARKS.md").read_bytes(), (
        "BENCHMARKS.md differs from what `python benchmarks/regenerate.py` builds from the committed results: "
        "run it and commit BENCHMARKS.md with the results")


def test_nothing_outside_the_sections_but_the_header(regenerate):
    text = (ROOT / "BENCHMARKS.md").read_text()
    outside = SECTION.sub("", text).strip()
    assert outside == regenerate.HEADER.strip()


def test_every_section_names_its_command_and_tracked_raw_files(tracked):
    found = sections((ROOT / "BENCHMARKS.md").read_text())
    assert "withdrawn" in found and len(found) > 1
    for name, body in found.items():
        ticked = TICKED.findall(body)
        scripts = {s for t in ticked for s in SCRIPT.findall(t)}
        assert scripts, f"section {name}: no command naming a script under benchmarks/"
        for s in scripts:
            assert s in tracked, f"section {name}: command script {s} is not in git"
        if name == "withdrawn":
            items = [line for line in body.splitlines() if line.startswith("- ")]
            assert items and all("Rerun: `" in line for line in items), "every withdrawn claim needs its command"
            continue
        raw = [t for t in ticked if RAW.match(t)]
        assert raw, f"section {name}: names no raw results file (benchmarks/.../*.json|csv)"
        for pattern in raw:
            glob = re.sub(r"<[^>]+>", "*", pattern)
            assert fnmatch.filter(tracked, glob), f"section {name}: no file in git matches {pattern}"


def test_discovery_reads_declared_sections_and_refuses_duplicates(regenerate, tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "report.py").write_text('SECTION = "two"\n')
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "report.py").write_text('SECTIONS = ("one", "one-more")\nQUICK = ("run.py --quick",)\n')
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "report.py").write_text('print("no sections declared")\n')
    found = regenerate.discover(tmp_path)
    assert [(r.path.parent.name, r.sections, r.quick) for r in found] == [
        ("a", ("one", "one-more"), ("run.py --quick",)), ("b", ("two",), ())]
    (tmp_path / "c" / "report.py").write_text('SECTIONS = ["two"]\n')
    with pytest.raises(SystemExit, match="two"):
        regenerate.discover(tmp_path)


def test_the_repository_reports_cover_the_known_sections(regenerate):
    names = {s for r in regenerate.discover() for s in r.sections}
    assert {"assay", "covariance", "qlangevin", "diffpool", "featurization", "coherence",
            "descriptors-molnet", "descriptors-moleculeace"} <= names
