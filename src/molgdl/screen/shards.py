"""``--shard K/N`` and ``molgdl merge``: independent jobs each score a part of a library, merged back in order.

Shard ``K`` of ``N`` (``K`` = 1..N) scores the input's chunks ``c`` with ``c % N == K - 1`` (round robin over
chunks of ``chunk_size`` rows). Why chunks and not rows or contiguous blocks: no job needs the row count first
(a library may be a compressed stream), every shard gets an even mix of the file (a library sorted by size
does not give one shard all the large molecules), and each chunk is featurized and batched exactly as in an
unsharded job, so the merged file equals the unsharded output byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from molgdl.errors import DataError


@dataclass(frozen=True)
class Shard:
    k: int  # 1..n
    n: int

    def takes(self, chunk_index: int) -> bool:
        return chunk_index % self.n == self.k - 1

    def __str__(self) -> str:
        return f"{self.k}/{self.n}"


def parse_shard(text: str | None) -> Shard | None:
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise DataError(f"--shard {text!r} is not K/N with 1 <= K <= N",
                        hint="e.g. --shard 1/4 ... --shard 4/4; in a SLURM array --array=1-4 use "
                             "--shard $SLURM_ARRAY_TASK_ID/4")
    return Shard(int(m.group(1)), int(m.group(2)))
