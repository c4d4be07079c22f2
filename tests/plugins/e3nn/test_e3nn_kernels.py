"""The e3nn encoder's kernel paths (molgdl_e3nn.kernels) against the plain e3nn path: the same outputs and forces
in float64 (to 1e-12 relative: the same sums, added in another order) and float32 (1e-5), the same parameters,
and the choice of ``auto``. cuEquivariance runs here through its pure-torch method (CPU); its fused CUDA kernel
runs only where CUDA (and cuequivariance-ops-torch) is available."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch

from molgdl.errors import ConfigError

NAMES = ("CC(C)O", "c1ccncc1")
TOL = {torch.float64: 1e-12, torch.float32: 1e-5}
CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def outputs_and_forces(model, batch):
    """``(invariant outputs, full features, d(sum of outputs)/d pos)`` of one batch."""
    batch = batch.clone()
    batch.pos = batch.pos.detach().requires_grad_(True)
    h = model(batch)
    (grad,) = torch.autograd.grad(h.square().sum(), batch.pos)
    return h.detach(), model.forward_features(batch).detach(), grad


def compare(e3, dtype, kernels, device="cpu", **options):
    model = e3.build(dtype, kernels="plain", **options).to(device)
    batch = e3.batch(e3.molecules(dtype, NAMES)).to(device)
    ref = outputs_and_forces(model, batch)
    model.kernels = kernels
    fast = outputs_and_forces(model, batch)
    for what, a, b in zip(("output", "features", "forces"), ref, fast):
        ok, err = e3.close(a, b, TOL[dtype])
        assert ok, f"{kernels} {what} differs from plain e3nn in {dtype}: rel err {err:.3g}"


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("l_max, options", [(0, {}), (1, {}), (2, {}), (3, {"num_tensor_features": 4}),
                                             (2, {"parity": False}), (1, {"natural_parity": False, "correlation": 3}),
                                             (1, {"residual": True, "species_product": True})],
                         ids=["l0", "l1", "l2", "l3", "l2-chiral", "l1-both-parities-corr3", "l1-residual-species"])
def test_cuequivariance_equals_plain(e3, dtype, l_max, options):
    pytest.importorskip("cuequivariance_torch")
    compare(e3, dtype, "cuequivariance", l_max=l_max, **options)


def force_loss_gradients(model, batch):
    """Parameter gradients of an energy + force loss (double backward: forces = -dE/dpos with create_graph)."""
    batch = batch.clone()
    batch.pos = batch.pos.detach().requires_grad_(True)
    energy = model(batch).sum(-1)
    (forces,) = torch.autograd.grad(-energy.sum(), batch.pos, create_graph=True)
    loss = energy.square().mean() + forces.square().mean()
    return torch.autograd.grad(loss, [p for p in model.parameters()], allow_unused=True)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
def test_force_training_gradients_equal_plain(e3, dtype):
    """The parameter gradients of a force loss (second derivatives through the convolution) match."""
    pytest.importorskip("cuequivariance_torch")
    model = e3.build(dtype, kernels="plain", l_max=2)
    batch = e3.batch(e3.molecules(dtype, NAMES))
    ref = force_loss_gradients(model, batch)
    model.kernels = "cuequivariance"
    fast = force_loss_gradients(model, batch)
    assert sum(g is not None for g in ref) > 10
    for (name, _), a, b in zip(model.named_parameters(), ref, fast):
        assert (a is None) == (b is None), name
        if a is not None:
            ok, err = e3.close(a, b, 10 * TOL[dtype])
            assert ok, f"gradient of {name} differs in {dtype}: rel err {err:.3g}"


def test_paths_share_parameters_and_survive_copies(e3):
    """Switching kernels keeps the state dict; a model that ran the fast path still deep-copies and pickles."""
    pytest.importorskip("cuequivariance_torch")
    model = e3.build(torch.float64, kernels="cuequivariance")
    batch = e3.batch(e3.molecules(torch.float64, NAMES))
    out = model(batch).detach()
    keys = list(model.state_dict())
    model.kernels = "plain"
    assert list(model.state_dict()) == keys
    model.kernels = "cuequivariance"
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert clone.kernels == "cuequivariance"
        assert torch.equal(clone(batch).detach(), out)


def test_auto_is_plain_on_cpu_and_cuequivariance_on_cuda(monkeypatch):
    from molgdl_e3nn import kernels

    assert kernels.resolve("auto", "cpu") == "plain"
    monkeypatch.setattr(kernels, "installed", lambda package: True)
    assert kernels.resolve("auto", "cuda") == "cuequivariance"
    assert kernels.resolve("auto", "cpu") == "plain"
    monkeypatch.setattr(kernels, "installed", lambda package: package == "cuequivariance_torch")
    assert kernels.resolve("auto", "cuda") == "plain"  # no fused kernels: the pure-torch fallback is no gain
    assert kernels.resolve("cuequivariance", "cpu") == "cuequivariance"


def test_fused_kernel_needs_one_multiplicity(e3, monkeypatch):
    """``uniform``: one multiplicity over the input irreps; under ``auto`` a block without it stays plain."""
    pytest.importorskip("cuequivariance_torch")
    from e3nn import o3
    from molgdl_e3nn import kernels

    assert kernels.uniform(o3.Irreps("32x0e+32x1o+32x2e")) and kernels.uniform(o3.Irreps("8x0e"))
    assert not kernels.uniform(o3.Irreps("32x0e+16x1o"))
    model = e3.build(torch.float64, kernels="auto", num_features=8, num_tensor_features=4)
    calls = []
    for k, layer in enumerate(model.layers):
        real = layer.interaction._cue
        monkeypatch.setattr(layer.interaction, "_cue", lambda *a, _real=real, _k=k: calls.append(_k) or _real(*a))
    monkeypatch.setattr(kernels, "resolve", lambda k, d: "cuequivariance")  # as on CUDA with the ops installed
    model(e3.batch(e3.molecules(torch.float64, NAMES)))
    uniform = [kernels.uniform(layer.interaction.tp.irreps_in1) for layer in model.layers]
    assert uniform == [True, False] and calls == [0]  # only the first layer (input 8x0e) takes the fast path


def test_bad_kernels_say_how_to_fix(e3, monkeypatch):
    from molgdl_e3nn import kernels
    from molgdl_e3nn.params import E3NNParams

    with pytest.raises(ConfigError, match="kernels must be one of auto, plain, cuequivariance"):
        e3.build(kernels="triton")
    with pytest.raises(Exception, match="kernels"):
        E3NNParams(kernels="triton")
    monkeypatch.setattr(kernels, "installed", lambda package: False)
    with pytest.raises(ConfigError, match="cuequivariance-torch") as err:
        e3.build(kernels="cuequivariance")
    assert "molgdl-e3nn[cuda]" in str(err.value.hint)
    assert e3.build(kernels="auto").kernels == "auto"  # auto never needs the extra


@CUDA
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("l_max", [1, 2])
def test_cuequivariance_on_cuda_equals_plain(e3, dtype, l_max):
    pytest.importorskip("cuequivariance_ops_torch")  # the fused kernel (method uniform_1d)
    compare(e3, dtype, "cuequivariance", device="cuda", l_max=l_max)
