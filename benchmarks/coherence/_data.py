"""Target-corrupted copies of the bundled ESOL / Lipophilicity CSVs and their split files (benchmark helper)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "plugins" / "molgdl-datasets" / "molgdl_datasets" / "data"
SOURCES = {  # file, SMILES column, target column
    "esol": ("esol_delaney-processed.csv", "smiles", "measured log solubility in mols per litre"),
    "lipo": ("lipo_Lipophilicity.csv", "smiles", "exp"),
}


def read(dataset: str) -> tuple[list[str], np.ndarray]:
    file, smi, target = SOURCES[dataset]
    with (DATA / file).open() as f:
        rows = list(csv.DictReader(f))
    return [r[smi].strip() for r in rows], np.array([float(r[target]) for r in rows])


def random_split(n: int, seed: int, sizes=(0.8, 0.1, 0.1)) -> dict[str, list[int]]:
    perm = np.random.default_rng(seed).permutation(n)
    a, b = int(sizes[0] * n), int((sizes[0] + sizes[1]) * n)
    return {"train": sorted(perm[:a].tolist()), "val": sorted(perm[a:b].tolist()), "test": sorted(perm[b:].tolist())}


def write(out_dir: Path, name: str, smiles: list[str], y: np.ndarray, split: dict[str, list[int]]) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    path, split_path = out_dir / f"{name}.csv", out_dir / f"{name}_split.json"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["smiles", "y"])
        w.writerows(zip(smiles, [f"{v:.6g}" for v in y]))
    split_path.write_text(json.dumps(split))
    return path, split_path


def shuffled_all(dataset: str, out_dir: Path, shuffle: bool, seed: int = 0) -> tuple[Path, Path]:
    """Every target permuted across molecules (``shuffle``) or the real ones, with a seeded 80/10/10 split."""
    smiles, y = read(dataset)
    if shuffle:
        y = y[np.random.default_rng(1000 + seed).permutation(len(y))]
    return write(out_dir, f"{dataset}_{'shuffled' if shuffle else 'real'}", smiles, y, random_split(len(y), seed))


def noisy_train(dataset: str, out_dir: Path, fraction: float, seed: int = 0) -> tuple[Path, Path]:
    """A ``fraction`` of the training molecules get the target of another, random training molecule (the
    training targets' distribution is kept); validation and test targets stay real."""
    smiles, y = read(dataset)
    split = random_split(len(y), seed)
    rng = np.random.default_rng(2000 + seed)
    train = np.array(split["train"])
    k = int(round(fraction * len(train)))
    hit = rng.choice(train, size=k, replace=False)
    y = y.copy()
    y[hit] = y[rng.choice(train, size=k, replace=True)]
    return write(out_dir, f"{dataset}_noise{int(100 * fraction)}", smiles, y, split)
