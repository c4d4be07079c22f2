"""The cosine-similarity head against a closed form, and as `head: {kind: cosine}` in a model."""

from __future__ import annotations

import numpy as np
import torch

from molgdl.train.cosine_head import CosineLinear
from molgdl.train.module import mlp


def test_closed_form_and_scale_invariance():
    torch.manual_seed(0)
    layer = CosineLinear(5, 3, scale=7.0).double()
    with torch.no_grad():
        layer.bias.copy_(torch.tensor([0.5, -1.0, 2.0]))
    z = torch.randn(4, 5, dtype=torch.float64)
    w = layer.weight.detach().numpy()
    zn = z.numpy()
    expected = 7.0 * (zn @ w.T) / np.linalg.norm(zn, axis=1, keepdims=True) / np.linalg.norm(w, axis=1) + [0.5, -1, 2]
    np.testing.assert_allclose(layer(z).detach().numpy(), expected, rtol=1e-12)
    torch.testing.assert_close(layer(3.5 * z), layer(z))  # the norm of the representation does not matter
    assert layer.scale.requires_grad


def test_mlp_kind_cosine_ends_with_the_cosine_layer():
    head = mlp(6, 4, 2, 2, 0.0, "cosine")
    assert isinstance(head[-1], CosineLinear) and isinstance(head[1], torch.nn.Linear)
    assert isinstance(mlp(6, 4, 2, 2, 0.0)[-1], torch.nn.Linear)
