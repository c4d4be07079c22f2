"""``molgdl new-plugin``: generate a third-party plugin package that works, is tested and publishable.

The package gets ``pyproject.toml`` with the ``molgdl`` entry point, a ``hooks.py`` holding only hook
implementations, a params model, a lazy factory, a working example component of the chosen kind, tests
that run molgdl's contract class over it (plus hand-checked tests of the example), ``examples/tiny.yaml``,
a README and a GitHub Actions workflow. Templates are package data under ``molgdl/scaffold/templates``:
``common/`` for every kind, ``<kind>/`` for one kind; ``@@token@@`` placeholders are filled in, and in
paths ``_package_`` becomes the import package, ``_github``/``_gitignore`` the dot names, ``.tmpl`` is dropped.

Only the standard library is imported here (the CLI builds its parser from ``KINDS``).
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from molgdl.errors import MolgdlError


@dataclass(frozen=True)
class KindTemplate:
    """What differs between kinds: hook, implementation module, contract class, dependencies, docs."""

    hook: str
    module: str
    contract: str
    dependencies: tuple[str, ...]
    summary: str
    usage: str
    example: str


_TRAIN_2D = "featurizer: {name: graph2d}\nmodel: {name: dmpnn, hidden_dim: 32, depth: 2}\n"

KINDS: dict[str, KindTemplate] = {
    "model": KindTemplate(
        hook="molgdl_models",
        module="model",
        contract="ModelContract",
        dependencies=("torch>=2.3", "torch-geometric>=2.6"),
        summary="a residual edge-conditioned message-passing encoder",
        usage="Name the encoder in a config; a readout and the MLP head are added by molgdl:\n\n"
              "```yaml\nmodel: {name: @@name@@, hidden_dim: 128, num_layers: 3, dropout: 0.0}\n```",
        example="featurizer: {name: graph2d}\nmodel: {name: @@name@@, hidden_dim: 32, num_layers: 2}\n"
                "readout: {name: mean}\noptimizer: {name: adam, lr: 0.001}",
    ),
    "featurizer": KindTemplate(
        hook="molgdl_featurizers",
        module="featurizer",
        contract="FeaturizerContract",
        dependencies=("rdkit>=2023.9", "torch>=2.3", "torch-geometric>=2.6"),
        summary="a compact RDKit 2D molecular graph featurizer",
        usage="Name the featurizer in a config; any 2D encoder (dmpnn, gine, ...) uses its graphs:\n\n"
              "```yaml\nfeaturizer: {name: @@name@@, explicit_hydrogens: false}\n```",
        example="featurizer: {name: @@name@@}\nmodel: {name: dmpnn, hidden_dim: 32, depth: 2}\n"
                "readout: {name: mean}\noptimizer: {name: adam, lr: 0.001}",
    ),
    "readout": KindTemplate(
        hook="molgdl_readouts",
        module="readout",
        contract="ReadoutContract",
        dependencies=("torch>=2.3", "torch-geometric>=2.6"),
        summary="a sum/mean/max multi-aggregation readout",
        usage="Name the readout in a config; it pools the encoder's atom embeddings per molecule:\n\n"
              "```yaml\nreadout: {name: @@name@@, out_dim: 128}\n```",
        example=_TRAIN_2D + "readout: {name: @@name@@, out_dim: 16}\noptimizer: {name: adam, lr: 0.001}",
    ),
    "optimizer": KindTemplate(
        hook="molgdl_optimizers",
        module="optimizer",
        contract="OptimizerContract",
        dependencies=("torch>=2.3",),
        summary="the Lion optimizer",
        usage="Name the optimizer in a config; schedulers (noam, cosine) work with it:\n\n"
              "```yaml\noptimizer: {name: @@name@@, lr: 0.0003, weight_decay: 0.01}\n```",
        example=_TRAIN_2D + "readout: {name: mean}\noptimizer: {name: @@name@@, lr: 0.0003}",
    ),
    "analysis": KindTemplate(
        hook="molgdl_analyses",
        module="analysis",
        contract="AnalysisContract",
        dependencies=("numpy>=1.26",),
        summary="a k-nearest-neighbour agreement analysis of learned embeddings",
        usage="List the analysis in a config; it runs after training and writes into "
              "`runs/<name>/analyses/@@name@@/`, its result goes into `summary.json`:\n\n"
              "```yaml\nanalyses:\n  - {name: @@name@@, k: 5, metric: euclidean}\n```",
        example=_TRAIN_2D + "readout: {name: mean}\noptimizer: {name: adam, lr: 0.001}\n"
                "analyses:\n  - {name: @@name@@, k: 5}",
    ),
}
KIND_NAMES = tuple(KINDS)

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
_TOKEN = re.compile(r"@@[A-Za-z_]+@@")


@dataclass(frozen=True)
class PluginNames:
    """Names derived from ``NAME``: ``my-plug`` -> distribution ``molgdl-my-plug``, package ``molgdl_my_plug``,
    entry point and component ``my_plug``, class prefix ``MyPlug``."""

    dist: str
    package: str
    entry_point: str
    component: str
    class_name: str


def plugin_names(name: str) -> PluginNames:
    """Validate ``name`` (a leading ``molgdl-`` is dropped) and derive the package names."""
    base = re.sub(r"^molgdl[-_]", "", name.strip())
    if not _NAME.match(base):
        raise MolgdlError(
            f"invalid plugin name {name!r}: use lowercase letters and digits, words joined by '-' or '_', "
            "starting with a letter",
            hint="e.g. `molgdl new-plugin my-encoder --kind model`",
        )
    component = base.replace("-", "_")
    class_name = "".join(part.capitalize() for part in component.split("_"))
    if keyword.iskeyword(component):
        raise MolgdlError(f"invalid plugin name {name!r}: {component!r} is a Python keyword", hint="choose another name")
    return PluginNames(f"molgdl-{base.replace('_', '-')}", f"molgdl_{component}", component, component, class_name)


def _template_files(kind: str) -> list[tuple[str, str]]:
    """``(relative output path, template text)`` of the common and the kind's templates."""
    root = resources.files("molgdl.scaffold") / "templates"
    out: list[tuple[str, str]] = []

    def walk(node, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            rel = f"{prefix}{child.name}"
            if child.is_dir():
                if child.name != "__pycache__":
                    walk(child, rel + "/")
            elif child.name.endswith(".tmpl"):
                out.append((rel[: -len(".tmpl")], child.read_text(encoding="utf-8")))

    walk(root / "common", "")
    walk(root / kind, "")
    return out


def _output_path(rel: str, names: PluginNames) -> str:
    parts = []
    for part in rel.split("/"):
        part = {"_package_": names.package, "_github": ".github", "_gitignore": ".gitignore"}.get(part, part)
        parts.append(part)
    return "/".join(parts)


def render(text: str, tokens: dict[str, str]) -> str:
    """Replace every ``@@key@@``; a placeholder without a value is a template bug."""
    for key, value in tokens.items():
        text = text.replace(f"@@{key}@@", value)
    left = sorted(set(_TOKEN.findall(text)))
    if left:
        raise MolgdlError(f"template placeholders without a value: {left}")
    return text


def _check_not_installed(kind: str, component: str) -> None:
    """A component of the same kind and name would be refused at start-up: say so now."""
    try:
        from molgdl.plugins import create_plugin_manager
        from molgdl.registry import Registry

        registry = Registry(create_plugin_manager())
    except MolgdlError:  # the environment has its own plugin problems: not this command's concern
        return
    if component in registry.names(kind):
        article = "an" if kind[0] in "aeiou" else "a"
        raise MolgdlError(
            f"{article} {kind} named {component!r} is already registered by {registry.provider(kind, component)}; "
            "component names must be unique across installed plugins",
            hint="choose another NAME (or use --no-check if you are regenerating that very plugin)",
        )


def generate_plugin(name: str, kind: str = "model", output_dir: Path | str = ".", *,
                    description: str | None = None, check_installed: bool = True) -> Path:
    """Write the plugin package ``<output_dir>/molgdl-<name>/`` and return its path."""
    from molgdl import __version__

    if kind not in KINDS:
        raise MolgdlError(f"unknown kind {kind!r}", hint=f"kinds: {', '.join(KINDS)}")
    names = plugin_names(name)
    if check_installed:
        _check_not_installed(kind, names.component)
    dest = Path(output_dir) / names.dist
    if dest.exists() and any(dest.iterdir()):
        raise MolgdlError(f"{dest} already exists and is not empty",
                          hint="choose another --output-dir or remove that folder")
    spec = KINDS[kind]
    description = (description or f"{spec.summary[0].upper()}{spec.summary[1:]} for molgdl.").strip()
    if "\n" in description or '"' in description:
        raise MolgdlError("--description must be one line without double quotes")
    base_tokens = {"name": names.component, "package": names.package, "dist": names.dist,
                   "entry_point": names.entry_point, "Class": names.class_name, "kind": kind,
                   "module": spec.module, "contract": spec.contract, "molgdl_version": __version__,
                   "description": description,
                   "dependencies": "\n".join(f'    "{d}",' for d in spec.dependencies)}
    tokens = {**base_tokens, "usage": render(spec.usage, base_tokens), "example_config": render(spec.example, base_tokens)}
    files = [(_output_path(rel, names), render(text, tokens)) for rel, text in _template_files(kind)]
    for rel, text in files:
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return dest


def created_files(dest: Path) -> list[str]:
    """Relative paths of the files under ``dest``, sorted (for the CLI's summary)."""
    return sorted(str(p.relative_to(dest)) for p in Path(dest).rglob("*") if p.is_file())
