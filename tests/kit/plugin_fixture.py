"""A small, working third-party plugin (``my_plugin``, distribution ``molgdl-my-plugin``) that the mistake tests
break one way at a time, and its in-process installation.

``install_plugin`` writes the package and a ``*.dist-info`` folder (METADATA and entry_points.txt, what pip
writes) into a folder put first on ``sys.path``: ``importlib.metadata`` finds the entry point exactly as for a
pip-installed package, the shared environment is never modified, and the in-process CLI loads it.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

DIST, PACKAGE, VERSION = "molgdl-my-plugin", "my_plugin", "0.1.0"

HOOKS = '''"""my_plugin: a data source, a featurizer, a descriptor, an encoder, a readout and an epoch hook."""

from molgdl import hookimpl
from molgdl.specs import DatasetSpec, DescriptorSpec, FeaturizerSpec, ModelSpec, ReadoutSpec

from my_plugin.components import build_data, build_descriptor, build_encoder, build_featurizer, build_pool
from my_plugin.params import PoolParams


@hookimpl
def molgdl_datasets():
    return [DatasetSpec("my_data", "ten tiny 3D molecules", build_data)]


@hookimpl
def molgdl_featurizers():
    return [FeaturizerSpec("my_feat", "geometry-only graphs", build_featurizer)]


@hookimpl
def molgdl_descriptors():
    return [DescriptorSpec("my_desc", "atom count and sum of atomic numbers", build_descriptor)]


@hookimpl
def molgdl_models():
    return [ModelSpec("my_encoder", "per-atom MLP", build_encoder, family="encoder")]


@hookimpl
def molgdl_readouts():
    return [ReadoutSpec("my_pool", "mean of the atoms", build_pool, PoolParams)]


@hookimpl
def molgdl_epoch_end(run_dir, epoch, metrics):
    with open(run_dir / "epochs.txt", "a") as fh:
        fh.write(f"{epoch} {metrics['val/loss']:.4f}\\n")
'''

PARAMS = '''from pydantic import Field

from molgdl.specs import Params


class PoolParams(Params):
    out_dim: int = Field(8, ge=1, description="width of the pooled vector")
'''

COMPONENTS = '''import numpy as np

from molgdl.errors import FeaturizationError


def build_data(params):
    from molgdl.testing import tiny_table_3d

    return tiny_table_3d()


class Featurizer:
    version = "1"

    def __init__(self):
        from molgdl.testing import TinyGraphFeaturizer

        self.inner = TinyGraphFeaturizer()
        self.dims = self.inner.dims
        self.options = {"hydrogens": False}

    def featurize(self, record):
        return self.inner.featurize(record)


def build_featurizer(params):
    return Featurizer()


class AtomCount:
    names = ["n_atoms", "z_sum"]
    version = "1"

    def compute(self, record):
        if record.z is None:  # a molecule without geometry: not a bug, a molecule this descriptor cannot handle
            raise FeaturizationError(f"row {record.row}: no atomic numbers")
        return np.array([len(record.z), float(record.z.sum())])


def build_descriptor(params):
    return AtomCount()


def build_encoder(params, dims):
    from my_plugin.modules import Encoder

    return Encoder(dims.atom_dim, 8)


def build_pool(params, in_dim):
    from my_plugin.modules import Pool

    return Pool(in_dim, params.out_dim)
'''

MODULES = '''from torch import nn
from torch_geometric.utils import scatter


class Encoder(nn.Module):
    def __init__(self, atom_dim, hidden_dim):
        super().__init__()
        self.out_dim = hidden_dim
        self.net = nn.Sequential(nn.Linear(atom_dim, hidden_dim), nn.SiLU())

    def forward(self, batch):
        return self.net(batch.x)


class Pool(nn.Module):
    def __init__(self, in_dim, out_dim):
        super().__init__()
        self.out_dim = out_dim
        self.lin = nn.Linear(in_dim, out_dim)

    def forward(self, h, batch):
        return self.lin(scatter(h, batch.batch, dim=0, dim_size=batch.num_graphs, reduce="mean"))
'''

ENTRY_POINTS = f"[molgdl]\n{PACKAGE} = {PACKAGE}.hooks\n"

FILES = {
    f"{PACKAGE}/__init__.py": "",
    f"{PACKAGE}/hooks.py": HOOKS,
    f"{PACKAGE}/params.py": PARAMS,
    f"{PACKAGE}/components.py": COMPONENTS,
    f"{PACKAGE}/modules.py": MODULES,
    "entry_points.txt": ENTRY_POINTS,
}

CONFIG = f"""run: {{name: mine, output_dir: runs, seeds: [0]}}
data: {{source: {{name: my_data}}, num_workers: 1, progress: false}}
featurizer: {{name: my_feat}}
descriptors: [{{name: my_desc}}]
model: {{name: my_encoder}}
readout: {{name: my_pool, out_dim: 8}}
head: {{hidden_dim: 8, num_layers: 1}}
trainer: {{max_epochs: 1, batch_size: 4, accelerator: cpu, devices: 1, early_stopping: null, progress_bar: false,
          num_threads: 1}}
"""


def dist_info(site: Path, version: str = VERSION) -> Path:
    return site / f"{DIST.replace('-', '_')}-{version}.dist-info"


def write_plugin(site: Path, files: dict[str, str], version: str = VERSION) -> None:
    """The package and its dist-info under ``site`` (``entry_points.txt`` goes into the dist-info)."""
    for old in site.glob(f"{DIST.replace('-', '_')}-*.dist-info"):
        for f in old.iterdir():
            f.unlink()
        old.rmdir()
    info = dist_info(site, version)
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {DIST}\nVersion: {version}\nRequires-Dist: molgdl\n")
    for rel, text in files.items():
        path = info / rel if rel == "entry_points.txt" else site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    forget_package()
    importlib.invalidate_caches()


def forget_package() -> None:
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def broken(files: dict[str, str], changes: list[tuple[str, str, str]]) -> dict[str, str]:
    """``files`` with each ``(file, old, new)`` replacement made (``old`` must occur exactly once)."""
    out = dict(files)
    for rel, old, new in changes:
        assert out[rel].count(old) == 1, f"{old!r} is not once in {rel}"
        out[rel] = out[rel].replace(old, new)
    return out


def make_site(tmp_path: Path, monkeypatch, config: bool = True) -> Path:
    """``tmp_path/site``, first on sys.path for the test's plugin packages, plugin switches neutral, a
    featurization cache of the test's own (the broken plugins share name and version with the good one, so a
    shared cache would hand one test's featurization failures to the next); with ``config``, the tiny run
    config written to ``tmp_path/tiny.yaml``."""
    path = tmp_path / "site"
    path.mkdir()
    monkeypatch.syspath_prepend(str(path))
    monkeypatch.setenv("MOLGDL_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("MOLGDL_DISABLE_PLUGINS", "")
    monkeypatch.setenv("MOLGDL_CACHE_DIR", str(tmp_path / "cache"))
    if config:
        (tmp_path / "tiny.yaml").write_text(CONFIG)
    return path


def flat(text: str) -> str:
    """Whitespace collapsed (rich wraps long messages)."""
    return " ".join(text.split())
