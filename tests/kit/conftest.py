"""Fixtures of the plugin-kit tests.

Torch runs single-threaded here: on a 2-core machine shared with other work, the small tensors of the
contract checks are many times faster without intra-op threads (the setting is restored afterwards).
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
