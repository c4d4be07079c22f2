"""``molgdl merge OUT PART...``: the outputs of ``--shard 1/N`` .. ``N/N`` jobs joined in the input's order.

Chunk ``c`` of the input is chunk ``c // N`` of shard ``c % N + 1`` (:mod:`molgdl.screen.shards`); each part's
progress file says its job, chunk size and chunk count, so the merge checks that the parts belong together,
are all there and are complete. The merged file is written chunk by chunk through the same writer as an
unsharded job, so it equals that job's output byte for byte; the parts' failure lists are joined likewise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pandas as pd

from molgdl.errors import DataError
from molgdl.screen.outputs import ChunkWriter, FailureLog, output_kind
from molgdl.screen.progress_file import Progress, load_progress, progress_path
from molgdl.screen.shards import parse_shard


def merge_outputs(output: Path, parts: list[Path]) -> int:
    """Write ``output`` from the shard outputs ``parts`` (any order); returns the number of rows written."""
    output = Path(output)
    shards = _read_parts([Path(p) for p in parts])
    n = len(shards)
    kind = output_kind(output)
    if any(output_kind(p) != kind for p, _ in shards):
        raise DataError(f"the parts are {sorted({output_kind(p) for p, _ in shards})} files but the merged "
                        f"output {output} is {kind}", hint="give the output the parts' suffix")
    readers = [_chunks(p, kind, st.job["chunk_size"]) for p, st in shards]
    total_chunks = sum(st.chunks_written for _, st in shards)
    writer = ChunkWriter(output)
    writer.start()
    rows = 0
    for c in range(total_chunks):
        frame = next(readers[c % n])
        writer.write(frame, c)
        rows += len(frame)
    writer.finish(total_chunks)
    _merge_failures(output, [p for p, _ in shards])
    return rows


def _read_parts(parts: list[Path]) -> list[tuple[Path, Progress]]:
    """The parts ordered by shard number, checked to be the complete shards 1..N of one job."""
    found: dict[int, tuple[Path, Progress]] = {}
    job = None
    for part in parts:
        state = load_progress(part)
        if state is None or state.job.get("shard") is None:
            raise DataError(f"{part} is not the output of a `--shard K/N` job (no {progress_path(part).name} "
                            "with a shard)", hint="pass the --output files of the shard jobs")
        if not state.complete:
            raise DataError(f"{part}: shard {state.job['shard']} did not finish ({state.chunks_written} chunks "
                            "written)", hint="resume that shard's job with --resume, then merge")
        shard = parse_shard(state.job["shard"])
        same = {k: v for k, v in state.job.items() if k != "shard"}
        if job is not None and same != job:
            raise DataError(f"{part} comes from another job than {found[min(found)][0]} (run, input, chunk size "
                            "or coverage differ)", hint="merge the shards of one job only")
        if shard.k in found:
            raise DataError(f"{part} and {found[shard.k][0]} are both shard {shard}", hint="pass each shard once")
        job = same
        found[shard.k] = (part, state)
    n = parse_shard(found[min(found)][1].job["shard"]).n if found else 0
    missing = [k for k in range(1, n + 1) if k not in found]
    if not found or missing:
        raise DataError(f"shard(s) {', '.join(f'{k}/{n}' for k in missing) or 'all'} missing from the parts",
                        hint="pass the outputs of all N shard jobs")
    return [found[k] for k in range(1, n + 1)]


def _chunks(part: Path, kind: str, chunk_size: int) -> Iterator:
    """The chunks of a part as written: frames of strings (CSV: the cells as written) or Arrow tables."""
    if kind == "parquet":
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(part)
        for g in range(pf.num_row_groups):
            yield pf.read_row_group(g)
        return
    if part.stat().st_size == 0:
        return
    yield from pd.read_csv(part, dtype=str, keep_default_na=False, chunksize=chunk_size)


def _merge_failures(output: Path, parts: list[Path]) -> None:
    files = [FailureLog(p).path for p in parts if FailureLog(p).path.exists()]
    log = FailureLog(output)
    log.start()
    if not files:
        return
    rows = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files], ignore_index=True)
    rows = rows.iloc[rows["row"].astype(int).argsort(kind="stable")]
    log.path.write_text(rows.to_csv(index=False))
