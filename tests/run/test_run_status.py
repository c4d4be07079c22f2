"""``status.json`` of a run folder: a resumed run that goes on does not keep the error of the attempt that failed."""

from __future__ import annotations

from molgdl.run.folder import RunFolder


def test_error_of_a_failed_attempt_goes_when_the_run_goes_on(tmp_path):
    folder = RunFolder(tmp_path / "run")
    folder.path.mkdir()
    folder.set_status("running", seeds=[0])
    folder.record_failure(ImportError("cannot import name 'X'\nmore lines"))
    assert folder.status()["state"] == "failed" and folder.status()["error"] == "cannot import name 'X'"
    folder.set_status("running", seeds=[0])  # --resume
    assert "error" not in folder.status() and folder.status()["seeds"] == [0]
    folder.set_status("completed")
    assert folder.status()["state"] == "completed" and "error" not in folder.status()
