"""Run-folder safety (issue 19): run names are one folder, --overwrite removes only what molgdl created and
never through a link, a lock refuses a second writer, `~` is expanded once, seeds are distinct.

Every case checks that nothing outside ``run.output_dir/<name>`` changed: the files around the run folder are
snapshotted (path, bytes) before and compared after.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from core_helpers import flat, read_json, run_dir, tiny_config, write_config


def _run(run_cli, tmp_path, cfg, *extra):
    return run_cli("run", write_config(tmp_path / "cfg.yaml", cfg), *extra)


def _snapshot(root) -> dict[str, bytes | str]:
    """Every path under ``root`` (links by their target, files by their bytes), not following links."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                out[rel] = "link -> " + os.readlink(p)
            elif os.path.isfile(p):
                with open(p, "rb") as fh:
                    out[rel] = fh.read()
            else:
                out[rel] = "dir"
    return out


def _surroundings(tmp_path):
    """A neighbour run folder, a sibling file and a file next to output_dir: what a bad name could destroy."""
    other = tmp_path / "runs" / "other_run"
    other.mkdir(parents=True)
    (other / "status.json").write_text('{"state": "completed"}')
    (other / "notes.txt").write_text("another run")
    (tmp_path / "runs" / "sibling.txt").write_text("next to the runs")
    (tmp_path / "project.txt").write_text("the only copy")


@pytest.mark.parametrize(("name", "what"), [
    ("..", "the folder above run.output_dir"),
    ("", "run.output_dir itself"),
    (".", "run.output_dir itself"),
    ("../x", "a path outside run.output_dir"),
    ("a/b", "a path through several folders"),
])
def test_run_name_that_is_not_one_folder_is_refused(run_cli, tmp_path, user_message, name, what):
    _surroundings(tmp_path)
    cfg = tiny_config(tmp_path)
    cfg["run"]["name"] = name
    write_config(tmp_path / "cfg.yaml", cfg)
    before = _snapshot(tmp_path)
    code, out, err = _run(run_cli, tmp_path, cfg, "--overwrite")
    assert code == 2
    msg = flat(err)
    assert ("run.name: Value error, run.name must be one folder name inside run.output_dir, but "
            f"{name!r} would be {what}; use a plain name such as 'esol_dmpnn' and put parent folders in "
            "run.output_dir") in msg
    assert _snapshot(tmp_path) == before  # nothing created, nothing removed
    user_message(f"run_name_{what.split()[0]}_{len(name)}", err[err.index("error:"):].strip())
    code, out, err = run_cli("validate", tmp_path / "cfg.yaml", "--no-build")  # refused by validate too
    assert code == 2 and "run.name must be one folder name" in flat(err)


def test_absolute_run_name_is_refused(run_cli, tmp_path, user_message):
    _surroundings(tmp_path)
    cfg = tiny_config(tmp_path)
    cfg["run"]["name"] = str(tmp_path / "elsewhere")
    before = _snapshot(tmp_path)
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2
    elsewhere = str(tmp_path / "elsewhere")
    assert f"but {elsewhere!r} would be an absolute path outside run.output_dir" in flat(err)
    after = _snapshot(tmp_path)
    after.pop("cfg.yaml")
    before.pop("cfg.yaml", None)
    assert after == before
    user_message("run_name_absolute", err[err.index("error:"):].strip())


def test_overwrite_of_a_folder_molgdl_did_not_create_is_refused(run_cli, tmp_path, user_message):
    cfg = tiny_config(tmp_path)
    folder = run_dir(cfg)
    folder.mkdir(parents=True)
    (folder / "thesis.tex").write_text("my only copy")
    (folder / "status.json").write_text('{"state": "completed"}')  # even one that looks like a run
    code, out, err = _run(run_cli, tmp_path, cfg, "--overwrite")
    assert code == 2
    assert (f"error: {folder} was not created by `molgdl run` (no .molgdl-run marker file); --overwrite only "
            "replaces run folders molgdl created, nothing was changed") in flat(err)
    assert f"fix: change run.name, or check what {folder} holds and delete it yourself" in flat(err)
    user_message("overwrite_foreign_folder", err[err.index("error:"):].strip())
    assert sorted(p.name for p in folder.iterdir()) == ["status.json", "thesis.tex"]
    assert (folder / "thesis.tex").read_text() == "my only copy"


def test_overwrite_never_removes_through_a_symlinked_run_folder(run_cli, tmp_path, user_message):
    target = tmp_path / "precious"
    target.mkdir()
    (target / ".molgdl-run").write_text("{}")  # even a real molgdl run behind the link is not removed
    (target / "status.json").write_text('{"state": "completed"}')
    (target / "data.csv").write_text("smiles,y\nCCO,1\n")
    cfg = tiny_config(tmp_path)
    folder = run_dir(cfg)
    folder.parent.mkdir(parents=True)
    folder.symlink_to(target, target_is_directory=True)
    before = _snapshot(tmp_path)
    code, out, err = _run(run_cli, tmp_path, cfg, "--overwrite")
    assert code == 2
    assert (f"error: run folder {folder} is a symbolic link (to {target}); --overwrite never removes "
            "through a link, nothing was changed") in flat(err)
    assert f"fix: remove the link yourself (rm {folder}) or change run.name" in flat(err)
    user_message("overwrite_symlinked_folder", err[err.index("error:"):].strip())
    after = _snapshot(tmp_path)
    after.pop("cfg.yaml")
    before.pop("cfg.yaml", None)
    assert after == before


def test_overwrite_removes_links_inside_the_run_folder_not_their_targets(run_cli, tmp_path):
    cfg = tiny_config(tmp_path)
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    folder = run_dir(cfg)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("outside the run")
    (tmp_path / "keep_file.txt").write_text("also outside")
    (folder / "link_dir").symlink_to(outside, target_is_directory=True)
    (folder / "seed_0" / "link_file").symlink_to(tmp_path / "keep_file.txt")
    before = _snapshot(outside)
    code, out, err = _run(run_cli, tmp_path, cfg, "--overwrite")
    assert code == 0, err
    assert _snapshot(outside) == before
    assert (tmp_path / "keep_file.txt").read_text() == "also outside"
    assert not os.path.lexists(folder / "link_dir") and not os.path.lexists(folder / "seed_0" / "link_file")
    assert read_json(folder / "status.json")["state"] == "completed"
    assert (folder / ".molgdl-run").is_file() and not (folder / ".lock").exists()


def test_run_folder_that_is_a_file_is_refused(run_cli, tmp_path):
    cfg = tiny_config(tmp_path)
    run_dir(cfg).parent.mkdir(parents=True)
    run_dir(cfg).write_text("a file")
    code, out, err = _run(run_cli, tmp_path, cfg, "--overwrite")
    assert code == 2
    assert f"error: run folder {run_dir(cfg)} exists and is not a folder; nothing was changed" in flat(err)
    assert run_dir(cfg).read_text() == "a file"


def test_duplicate_seeds_are_refused(run_cli, tmp_path, user_message):
    cfg = tiny_config(tmp_path)
    cfg["run"]["seeds"] = [0, 1, 0]
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2
    assert ("run.seeds: Value error, seed(s) [0] listed more than once: each seed trains one replicate "
            "in its own folder seed_<s>; list each seed once, e.g. [0, 1]") in flat(err)
    user_message("duplicate_seeds", err[err.index("error:"):].strip())
    assert not (tmp_path / "runs").exists()


def test_tilde_in_output_dir_and_cache_dir_is_expanded_once(run_cli, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    cfg = tiny_config(tmp_path)
    cfg["run"]["output_dir"] = "~/runs"
    cfg["data"]["cache_dir"] = "~/cache"
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    assert read_json(home / "runs" / "t" / "status.json")["state"] == "completed"
    assert list((home / "cache").glob("*.pt")), "the featurization cache is not under the home folder"
    assert not any("~" in p.name for p in tmp_path.rglob("*")), "a literal '~' folder was created"
    import yaml

    saved = yaml.safe_load((home / "runs" / "t" / "config.yaml").read_text())
    assert saved["run"]["output_dir"] == str(home / "runs")
    assert saved["data"]["cache_dir"] == str(home / "cache")


def test_tilde_in_a_split_file_path_is_expanded(tmp_path, monkeypatch):
    from molgdl.builtin_params import FileSplitParams

    monkeypatch.setenv("HOME", str(tmp_path))
    assert FileSplitParams(path="~/split.json").path == str(tmp_path / "split.json")


# ---------------------------------------------------------------- the lock


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _write_lock(folder, pid, host=None):
    lock = {"pid": pid, "host": host or socket.gethostname(), "started": "2026-01-01T00:00:00",
            "command": "molgdl run cfg.yaml"}
    (folder / ".lock").write_text(json.dumps(lock))


def test_second_writer_is_refused_while_the_first_holds_the_lock(run_cli, tmp_path, user_message):
    cfg = tiny_config(tmp_path)
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    folder = run_dir(cfg)
    assert not (folder / ".lock").exists()  # released when the run ended
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        _write_lock(folder, sleeper.pid)
        before = _snapshot(folder)
        for flag in ("--resume", "--overwrite"):
            code, out, err = _run(run_cli, tmp_path, cfg, flag)
            assert code == 2
            msg = flat(err)
            assert (f"error: run folder {folder} is in use by another molgdl process (PID {sleeper.pid} "
                    f"on host {socket.gethostname()}, started 2026-01-01T00:00:00: molgdl run cfg.yaml); two "
                    "processes writing one run folder would corrupt it") in msg
            assert (f"fix: wait for that process to finish, or stop it (kill {sleeper.pid}) on this host and "
                    "then resume with --resume; if it is no longer running (e.g. its machine crashed), "
                    f"delete {folder / '.lock'} and retry") in msg
            assert _snapshot(folder) == before  # neither resumed into nor removed
        user_message("second_writer", err[err.index("error:"):].strip())
    finally:
        sleeper.kill()
        sleeper.wait()


def test_lock_of_another_host_is_not_broken(run_cli, tmp_path):
    cfg = tiny_config(tmp_path)
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    _write_lock(run_dir(cfg), _dead_pid(), host="some-other-node")
    code, out, err = _run(run_cli, tmp_path, cfg, "--resume")
    assert code == 2
    assert "in use by another molgdl process" in flat(err) and "on another host" in flat(err)


def test_stale_lock_is_taken_over_with_a_message(run_cli, tmp_path, user_message):
    cfg = tiny_config(tmp_path)
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    folder = run_dir(cfg)
    pid = _dead_pid()
    _write_lock(folder, pid)
    code, out, err = _run(run_cli, tmp_path, cfg, "--resume")
    assert code == 0, err
    line = (f"stale lock {folder / '.lock'} taken over: the process that held it (PID {pid} on host "
            f"{socket.gethostname()}, started 2026-01-01T00:00:00: molgdl run cfg.yaml) is no longer running")
    assert line in flat(err)
    user_message("stale_lock", line)
    assert not (folder / ".lock").exists()
    assert read_json(folder / "status.json")["state"] == "completed"


def test_unreadable_lock_is_explained(run_cli, tmp_path):
    cfg = tiny_config(tmp_path)
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    (run_dir(cfg) / ".lock").write_text("")
    code, out, err = _run(run_cli, tmp_path, cfg, "--resume")
    assert code == 2
    lock = run_dir(cfg) / ".lock"
    folder = run_dir(cfg)
    assert (f"error: run folder {folder} has an unreadable lock file {lock}; another molgdl process may be "
            "writing it") in flat(err)
    assert f"fix: if no molgdl process uses this folder, delete {lock} and retry" in flat(err)


def test_lock_is_exclusive_and_released_only_by_its_holder(tmp_path):
    from molgdl.errors import RunDirError
    from molgdl.run import lock

    lock.acquire(tmp_path)
    held = json.loads((tmp_path / ".lock").read_text())
    assert held["pid"] == os.getpid() and held["host"] == socket.gethostname()
    lock.acquire(tmp_path)  # the same process again (a later stage): allowed
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _write_lock(tmp_path, sleeper.pid)
        lock.release(tmp_path)  # not ours: kept
        assert (tmp_path / ".lock").exists()
        with pytest.raises(RunDirError):
            lock.acquire(tmp_path)
    finally:
        sleeper.kill()
        sleeper.wait()
    lock.acquire(tmp_path)  # now stale: taken over
    lock.release(tmp_path)
    assert not (tmp_path / ".lock").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no temporary files left


def test_tilde_in_predict_paths_is_expanded(run_cli, tmp_path, monkeypatch):
    from core_helpers import good_rows, write_csv

    cfg = tiny_config(tmp_path)
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    monkeypatch.setenv("HOME", str(tmp_path))
    write_csv(tmp_path / "new.csv", good_rows(3))
    code, out, err = run_cli("predict", "--run", "~/runs/t", "--input", "~/new.csv", "--output", "~/p.csv")
    assert code == 0, err
    assert len((tmp_path / "p.csv").read_text().splitlines()) == 4  # header + 3 molecules
    assert not (tmp_path / "~").exists()


def test_a_reused_pid_does_not_hold_a_stale_lock(tmp_path):
    from molgdl.run import lock

    if lock._proc_start(os.getpid()) is None:
        pytest.skip("no /proc: process start times are unknown here")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _write_lock(tmp_path, sleeper.pid)  # the PID runs, but no start time recorded: it holds the lock
        assert not lock._holder_alive({**json.loads((tmp_path / ".lock").read_text()), "proc_start": "1"})
        assert lock._holder_alive(json.loads((tmp_path / ".lock").read_text()))
        held = {**json.loads((tmp_path / ".lock").read_text()), "proc_start": "1"}  # another process's start
        (tmp_path / ".lock").write_text(json.dumps(held))
        lock.acquire(tmp_path)  # the PID was reused by an unrelated process: the lock is stale
        assert json.loads((tmp_path / ".lock").read_text())["pid"] == os.getpid()
    finally:
        sleeper.kill()
        sleeper.wait()
    lock.release(tmp_path)


def test_tilde_in_the_cache_environment_variable_is_expanded(tmp_path, monkeypatch):
    from molgdl.data.cache import default_cache_dir

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("MOLGDL_CACHE_DIR", "~/molgdl-cache")
    assert default_cache_dir() == tmp_path / "molgdl-cache"
    monkeypatch.delenv("MOLGDL_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "~/xdg")
    assert default_cache_dir() == tmp_path / "xdg" / "molgdl"


def test_output_dir_that_cannot_be_created_is_a_message(run_cli, tmp_path, user_message):
    (tmp_path / "results.txt").write_text("a file, not a folder")
    cfg = tiny_config(tmp_path)
    cfg["run"]["output_dir"] = str(tmp_path / "results.txt" / "runs")
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 2
    folder = tmp_path / "results.txt" / "runs" / "t"
    assert f"error: cannot create run folder {folder}: Not a directory (" in flat(err)
    assert ("fix: set run.output_dir to a folder you can write to (every part of the path a folder, on a "
            "disk with free space)") in flat(err)
    user_message("output_dir_not_creatable", err[err.index("error:"):].strip())
    assert (tmp_path / "results.txt").read_text() == "a file, not a folder"


def test_overwrite_that_cannot_remove_the_folder_is_a_message(run_cli, tmp_path, monkeypatch):
    from molgdl.run import folder as folder_module

    cfg = tiny_config(tmp_path)
    code, out, err = _run(run_cli, tmp_path, cfg)
    assert code == 0, err

    def refused(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path / "seed_0"))

    monkeypatch.setattr(folder_module.shutil, "rmtree", refused)
    code, out, err = _run(run_cli, tmp_path, cfg, "--overwrite")
    assert code == 2
    folder = run_dir(cfg)
    assert (f"error: --overwrite could not remove {folder}: Permission denied ({folder / 'seed_0'}); part of "
            "it may be gone") in flat(err)
    assert "fix: check the permissions of that folder and retry, or change run.name" in flat(err)
    assert not (run_dir(cfg) / ".lock").exists()
