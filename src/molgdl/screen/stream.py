"""Streaming ``molgdl predict`` / ``molgdl embed``: read a library in chunks, score each chunk with the same
core functions as a small prediction (:func:`molgdl.predict.predict_molecules`, :func:`embed_molecules`: ensemble,
classical, uncertainty and multi-seed runs alike), append its rows to the output, then record the progress.

After a kill at any point, ``--resume`` cuts the output back to the last recorded chunk and goes on; chunks are the
same in both runs, so the final file equals an uninterrupted run's byte for byte. Memory is bounded by the chunk
size. RDKit's messages and featurization notes go to ``<output>.log``, failed molecules to
``<output>.failures.csv``.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from molgdl.errors import DataError
from molgdl.screen.inputs import check_input, count_records, iter_chunks
from molgdl.screen.outputs import ChunkWriter, FailureLog, output_kind
from molgdl.screen.progress_file import (Progress, file_digest, job_mismatch, load_progress, progress_path,
                                         run_digest)
from molgdl.screen.progress_bar import ScreenBar
from molgdl.screen.rdkit_log import captured_logs
from molgdl.screen.shards import Shard

DEFAULT_CHUNK_SIZE = 10_000


@dataclass
class ScreenSummary:
    """What a streaming job did: rows of the input it covered, rows written, molecules that failed."""

    output: Path
    rows: int
    written: int
    failed: int
    seconds: float
    failures_file: Path | None
    log_file: Path
    log_lines: int
    resumed_chunks: int
    was_complete: bool = False  # --resume of a job that had already completed: nothing was done


def stream_file(command: str, run_dir: Path, input_path: Path, output: Path, *, chunk_size: int = DEFAULT_CHUNK_SIZE,
                shard: Shard | None = None, resume: bool = False, coverage: float | None = None,
                progress: bool = True, device: str = "cpu") -> ScreenSummary:
    """Score ``input_path`` with the run in ``run_dir`` (``command``: "predict" or "embed") into ``output``, the
    models on ``device`` (not part of the job: a job resumed on another device goes on, its numbers equal to
    float32 rounding)."""
    from molgdl.predict import check_output_path

    run_dir, input_path, output = Path(run_dir), Path(input_path), Path(output)
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise DataError(f"--chunk-size {chunk_size!r} is not a positive whole number",
                        hint="e.g. --chunk-size 10000 (memory grows with the chunk size)")
    check_input(input_path)
    check_output_path(output)
    smiles_column = _check_run(command, run_dir)
    job = {"command": command, "input_sha256": file_digest(input_path), "run_sha256": run_digest(run_dir),
           "chunk_size": chunk_size, "shard": str(shard) if shard else None, "coverage": coverage,
           "output_format": output_kind(output)}
    chunks = iter_chunks(input_path, smiles_column, chunk_size)
    first = next(chunks)  # an unreadable input is refused before any output is touched
    state = _start_or_resume(job, output, resume)
    writer, failures = ChunkWriter(output), FailureLog(output)
    log_file = output.with_name(output.name + ".log")
    t0, resumed = time.perf_counter(), state.chunks_done
    if state.complete:
        done = _summary(state, output, failures, log_file, 0, time.perf_counter() - t0, resumed)
        done.was_complete = True
        return done
    if resumed or resume:
        writer.resume_to(state.output_bytes, state.chunks_written)
        failures.resume_to(state.failures_bytes)
    else:
        writer.start()
        failures.start()
        log_file.unlink(missing_ok=True)
        state.save(output)  # from here on, --resume continues the job (after Ctrl+C in its first chunk too)
    total = _rows_to_score(count_records(input_path), chunk_size, shard) if progress else None
    with captured_logs(log_file) as log_lines, ScreenBar(command, total, state.rows_written, progress) as bar:
        for raw in itertools.chain([first], chunks):
            if raw.index < state.chunks_done:
                continue
            if shard is not None and not shard.takes(raw.index):
                continue
            frame, failed = _score(command, run_dir, raw, coverage, device)
            state.output_bytes = writer.write(frame, state.chunks_written)
            state.failures_bytes = failures.write(failed, state.failures_bytes)
            state.chunks_done, state.chunks_written = raw.index + 1, state.chunks_written + 1
            state.rows_read = raw.first_row - 1 + len(raw)
            state.rows_written += len(frame)
            state.failed += len(failed)
            state.save(output)
            bar.advance(len(raw))
        writer.finish(state.chunks_written)
        failures.finish(state.failures_bytes)
        state.complete = True
        if shard is not None:  # `molgdl merge` reads the shard's job and chunk count from it
            state.save(output)
        else:
            progress_path(output).unlink(missing_ok=True)
    return _summary(state, output, failures, log_file, log_lines(), time.perf_counter() - t0, resumed)


def _rows_to_score(total: int | None, chunk_size: int, shard: Shard | None) -> int | None:
    if shard is None or total is None:
        return total
    return sum(min(chunk_size, total - c * chunk_size) for c in range(-(-total // chunk_size)) if shard.takes(c))


def _check_run(command: str, run_dir: Path) -> str:
    """Refuse a run that cannot score (before any output is touched); returns its SMILES column name."""
    import yaml

    from molgdl.ensemble.predict import is_ensemble_run, read_ensemble, refuse_embed
    from molgdl.predict import open_run

    if command == "embed":
        refuse_embed(run_dir)
    if is_ensemble_run(run_dir):
        read_ensemble(run_dir)
    else:
        open_run(run_dir)
    raw = yaml.safe_load((run_dir / "config.yaml").read_text()) or {}
    source = ((raw.get("data") or {}).get("source") or {})
    return str(source.get("smiles_column", "smiles"))


def _start_or_resume(job: dict, output: Path, resume: bool) -> Progress:
    saved = load_progress(output)
    where = progress_path(output)
    if resume:
        if saved is None:
            raise DataError(f"nothing to resume: {where} does not exist (the job finished, or never started)",
                            hint="run the command without --resume to start it")
        differs = job_mismatch(saved.job, job)
        if differs:
            raise DataError(f"--resume refused: {where} records another job; " + "; ".join(differs),
                            hint="resume with the same --run, --input, --chunk-size, --shard and --coverage, or "
                                 f"delete {where} and the output to start again without --resume")
        return saved
    if saved is not None and not saved.complete:
        raise DataError(f"{output} is the output of an unfinished job ({saved.chunks_written} chunks, "
                        f"{saved.rows_written} rows written; {where})",
                        hint=f"add --resume to continue it, or delete {where} to start again")
    return Progress(job=job)


def _score(command: str, run_dir: Path, raw, coverage, device: str) -> tuple[pd.DataFrame, list]:
    """The chunk's output frame and its failed molecules ``(row, smiles, reason)``."""
    from molgdl.predict import embed_molecules, predict_molecules

    smiles, read_errors = raw.smiles()
    # rows and ids of the whole input in messages and embeddings (molgdl.predict.read_molecules)
    molecules = pd.DataFrame({"smiles": smiles}, index=pd.RangeIndex(raw.first_row - 1, raw.first_row - 1 + len(raw)))
    molecules.attrs["source"] = f"rows {raw.first_row}-{raw.first_row + len(raw) - 1} of {raw.source}"
    if command == "predict":
        frame = predict_molecules(run_dir, molecules, coverage=coverage, cache=False, device=device)
        errors = frame["error"]
    else:
        frame = embed_molecules(run_dir, molecules, cache=False, with_errors=True, device=device)
        errors = frame.pop("error")
    errors = [read_errors.get(i, e) for i, e in enumerate(errors)]
    if command == "predict":
        frame["error"] = errors
    failed = [(raw.first_row + i, s, e) for i, (s, e) in enumerate(zip(smiles, errors)) if e]
    return frame, failed


def _summary(state: Progress, output: Path, failures: FailureLog, log_file: Path, log_lines: int,
             seconds: float, resumed: int) -> ScreenSummary:
    return ScreenSummary(output, state.rows_read, state.rows_written, state.failed, seconds,
                         failures.path if failures.path.exists() else None, log_file, log_lines, resumed)
