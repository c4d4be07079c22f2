"""SMILES (regex) and SELFIES tokenizers and the token vocabulary.

SMILES: the standard atom-level pattern (Schwaller et al., "Molecular Transformer", ACS Cent. Sci. 2019):
bracket atoms, two-letter halogens, organic-subset atoms, bonds, branches and ring-closure digits.
SELFIES: ``selfies.split_selfies`` of ``selfies.encoder`` (Krenn et al. 2020); every token string decodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Literal

from molgdl.errors import DataError

SMILES_PATTERN = (r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|\/|:|~|@|\?|>|\*|\$"
                  r"|\%[0-9]{2}|[0-9])")
_SMILES_RE = re.compile(SMILES_PATTERN)

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIAL = (PAD, BOS, EOS, UNK)


def smiles_tokens(smiles: str) -> list[str]:
    """Split a SMILES string into tokens; DataError if characters are left over."""
    tokens = _SMILES_RE.findall(smiles)
    if "".join(tokens) != smiles:
        raise DataError(f"SMILES {smiles!r} has characters outside the SMILES token pattern",
                        hint="check the SMILES column (one SMILES per row, no spaces)")
    return tokens


def selfies_tokens(smiles: str) -> list[str]:
    """SELFIES tokens of a SMILES string; DataError if selfies cannot encode it."""
    import selfies

    try:
        return list(selfies.split_selfies(selfies.encoder(smiles)))
    except selfies.EncoderError as exc:
        raise DataError(f"SMILES {smiles!r} cannot be encoded as SELFIES: {exc}",
                        hint="drop the row or use tokenizer: smiles") from None


def detokenize(tokens: Iterable[str], kind: Literal["smiles", "selfies"]) -> str:
    """Token strings back to a SMILES string (SELFIES are decoded with ``selfies.decoder``)."""
    text = "".join(tokens)
    if kind == "smiles":
        return text
    import selfies

    try:
        return selfies.decoder(text) or ""
    except selfies.DecoderError:
        return ""


@dataclass(frozen=True)
class Vocabulary:
    """Token <-> id map; ids 0..3 are <pad>, <bos>, <eos>, <unk>. ``kind``: "smiles" or "selfies"."""

    kind: Literal["smiles", "selfies"]
    tokens: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {t: i for i, t in enumerate(self.tokens)})

    @classmethod
    def build(cls, kind: Literal["smiles", "selfies"], corpus: Iterable[str]) -> "Vocabulary":
        """Every token seen in ``corpus`` (SMILES strings), sorted after the special tokens."""
        seen: set[str] = set()
        split = smiles_tokens if kind == "smiles" else selfies_tokens
        for smiles in corpus:
            seen.update(split(smiles))
        return cls(kind, SPECIAL + tuple(sorted(seen)))

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def pad(self) -> int:
        return 0

    @property
    def bos(self) -> int:
        return 1

    @property
    def eos(self) -> int:
        return 2

    @property
    def unk(self) -> int:
        return 3

    def split(self, smiles: str) -> list[str]:
        return smiles_tokens(smiles) if self.kind == "smiles" else selfies_tokens(smiles)

    def encode(self, smiles: str) -> list[int]:
        """[bos, tokens..., eos] ids."""
        index = self._index  # type: ignore[attr-defined]
        return [self.bos, *(index.get(t, self.unk) for t in self.split(smiles)), self.eos]

    def decode(self, ids: Iterable[int]) -> str:
        """Ids (without bos; stops at eos/pad) to a SMILES string."""
        out = []
        for i in ids:
            if i in (self.eos, self.pad):
                break
            if i > self.unk:
                out.append(self.tokens[i])
        return detokenize(out, self.kind)

    def to_json(self) -> dict:
        return {"kind": self.kind, "tokens": list(self.tokens)}

    @classmethod
    def from_json(cls, data: dict) -> "Vocabulary":
        return cls(data["kind"], tuple(data["tokens"]))
