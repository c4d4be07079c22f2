"""What a task's factory receives besides its params."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from molgdl.registry import Registry


@dataclass(frozen=True)
class TaskContext:
    """run_dir: the run folder (write everything under it); seeds: ``run.seeds``; resume: ``--resume`` was
    given (skip what is already complete in ``run_dir``); registry: every registered component (e.g.
    ``registry.get("solver", name)``); log: the run's logger (its records go to ``run_dir/run.log``)."""

    run_dir: Path
    seeds: tuple[int, ...]
    resume: bool
    registry: Registry
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("molgdl"))

    def seed_dir(self, seed: int) -> Path:
        """``run_dir/seed_<seed>/``, created."""
        path = self.run_dir / f"seed_{seed}"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def build(self, kind: str, block: dict[str, Any], where: str) -> Any:
        """Build a component from a config block ``{name: ..., <params>}``; ``where`` is its key path, used in
        the error message for an unknown name or bad parameter."""
        from molgdl.config.load import validate_params
        from molgdl.config.schema import ComponentRef

        ref = ComponentRef.model_validate(block)
        spec = self.registry.get(kind, ref.name, where=f"{where}.name")
        return spec.factory(validate_params(spec, ref, where))
