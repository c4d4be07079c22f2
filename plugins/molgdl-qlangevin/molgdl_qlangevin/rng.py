"""One seeded ``torch.Generator`` per device, with a state dict (exact resume of the noise stream)."""

from __future__ import annotations

import torch


def draw_seed() -> int:
    """A seed from torch's global RNG (deterministic under ``seed_everything``)."""
    return int(torch.randint(0, 2**62, (1,)).item())


class DeviceGenerators:
    """Lazily created generators, all seeded with ``seed``, keyed by ``str(device)``."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._gens: dict[str, torch.Generator] = {}

    def get(self, device: torch.device) -> torch.Generator:
        key = str(device)
        gen = self._gens.get(key)
        if gen is None:
            gen = torch.Generator(device=device)
            gen.manual_seed(self.seed)
            self._gens[key] = gen
        return gen

    def state_dict(self) -> dict:
        return {"seed": self.seed, "states": {k: g.get_state() for k, g in self._gens.items()}}

    def load_state_dict(self, state: dict) -> None:
        self.seed = int(state["seed"])
        self._gens = {}
        for key, gen_state in state["states"].items():
            self.get(torch.device(key)).set_state(gen_state.cpu())
