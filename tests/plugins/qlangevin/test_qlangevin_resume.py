"""Test 6: state-dict round trips reproduce an uninterrupted run exactly, at the optimizer level and through
molgdl's Lightning module (which also binds steps_per_epoch and logs the optimizer's epoch stats)."""

from __future__ import annotations

import csv
import io

import pytest
import torch
from torch import nn

from molgdl_qlangevin.factories import build_qadam, build_qsgd, build_sgld
from molgdl_qlangevin.params import QAdamParams, QSGDParams, SGLDParams

FACTORIES = {
    "qadam-stochastic-linear": lambda p: build_qadam(
        QAdamParams(lr=0.05, eta=16.0, schedule="linear", rate=0.5, rounding="stochastic", seed=3, stats_every=2), p),
    "qsgd-momentum-log": lambda p: build_qsgd(
        QSGDParams(lr=0.05, momentum=0.9, eta=100.0, b=3, schedule="log", tau=0.1), p),
    "qsgd-step": lambda p: build_qsgd(QSGDParams(lr=0.1, eta=8.0, schedule="step", step_every=0.6), p),
    "sgld": lambda p: build_sgld(SGLDParams(lr=0.05, temperature=0.01, seed=5), p),
}


def make_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 1))


def batches(n: int):
    g = torch.Generator().manual_seed(42)
    return [(torch.randn(8, 6, generator=g), torch.randn(8, 1, generator=g)) for _ in range(n)]


def run(model, opt, sched, data):
    for x, y in data:
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        sched.step()


def build(name):
    model = make_model()
    opt = FACTORIES[name](model.parameters())
    if hasattr(opt, "set_steps_per_epoch"):
        opt.set_steps_per_epoch(5)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 1.0 / (1 + 0.1 * k))
    return model, opt, sched


@pytest.mark.parametrize("name", list(FACTORIES))
def test_state_dict_resume_is_exact(name):
    data = batches(23)
    model, opt, sched = build(name)
    run(model, opt, sched, data)
    uninterrupted = [p.detach().clone() for p in model.parameters()]

    model, opt, sched = build(name)
    run(model, opt, sched, data[:12])  # stop mid-epoch (B = 5)
    buf = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}, buf)
    buf.seek(0)
    saved = torch.load(buf, weights_only=True)

    model, opt, sched = build(name)
    model.load_state_dict(saved["model"])
    opt.load_state_dict(saved["opt"])
    sched.load_state_dict(saved["sched"])
    if hasattr(opt, "base"):
        assert opt.param_groups is opt.base.param_groups and opt.state is opt.base.state
        assert opt.steps == 12
    run(model, opt, sched, data[12:])
    for a, b in zip(uninterrupted, model.parameters()):
        assert torch.equal(a, b.detach())


# --- through molgdl's Lightning module --------------------------------------------------------------------

class NodeLinear(nn.Module):
    out_dim = 8

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 8)

    def forward(self, batch):
        return torch.tanh(self.lin(batch.x))


class MeanReadout(nn.Module):
    out_dim = 8

    def forward(self, h, batch):
        out = torch.zeros(batch.num_graphs, h.size(1), dtype=h.dtype).index_add_(0, batch.batch, h)
        counts = torch.bincount(batch.batch, minlength=batch.num_graphs).clamp(min=1)
        return out / counts[:, None]


def toy_data():
    from torch_geometric.data import Data

    g = torch.Generator().manual_seed(7)
    graphs = []
    for _ in range(40):
        n = int(torch.randint(2, 6, (1,), generator=g))
        x = torch.randn(n, 4, generator=g)
        graphs.append(Data(x=x, y=x.sum().reshape(1, 1) / 4, extra=torch.zeros(1, 0)))
    return graphs


def fit(tmp_path, name, epochs, make_opt, ckpt=None, save=None):
    import pytorch_lightning as pl
    from pytorch_lightning.loggers import CSVLogger
    from torch_geometric.loader import DataLoader

    from molgdl.train.module import MolecularModel, PredictorModule

    torch.manual_seed(0)
    model = MolecularModel(NodeLinear(), MeanReadout(), 0, 1, 8, 2, 0.0)
    module = PredictorModule(model, "regression", make_opt)
    loader = DataLoader(toy_data(), batch_size=6, shuffle=False)  # 7 batches per epoch
    trainer = pl.Trainer(max_epochs=epochs, accelerator="cpu", logger=CSVLogger(tmp_path, name=name, version=""),
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         log_every_n_steps=1)
    trainer.fit(module, loader, ckpt_path=ckpt, weights_only=True if ckpt else None)
    if save:
        trainer.save_checkpoint(save)
    opt = trainer.optimizers[0]
    with open(tmp_path / name / "metrics.csv") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("optim/level")]
    return [p.detach().clone() for p in model.parameters()], opt, rows


def test_lightning_resume_binds_schedule_and_logs(tmp_path):
    def make_opt(params):
        return build_qadam(QAdamParams(lr=0.02, eta=32.0, schedule="linear", rate=0.5, rounding="stochastic",
                                       seed=1, stats_every=1), params)

    full, opt, rows = fit(tmp_path, "full", 4, make_opt)
    assert opt.steps_per_epoch == 7 and opt.steps == 28
    # level of the last step of epoch e: floor(0.5 * (e + 6/7))
    assert [float(r["optim/level"]) for r in rows] == [0.0, 0.0, 1.0, 1.0]
    first = rows[0]
    for key in ("optim/resolution", "optim/temperature", "optim/frozen_frac", "optim/quant_err",
                "optim/quant_err_rel"):
        assert first[key] != "", key
    assert float(first["optim/temperature"]) == pytest.approx(1 / (24 * 0.02 * 32.0**2))

    ckpt = tmp_path / "two.ckpt"
    fit(tmp_path, "first", 2, make_opt, save=ckpt)
    resumed, opt, _ = fit(tmp_path, "resumed", 4, make_opt, ckpt=str(ckpt))
    assert opt.steps == 28
    for a, b in zip(full, resumed):
        assert torch.equal(a, b)


def test_lightning_logs_freezing(tmp_path):
    """Test 4 as logged: lr far below half a spacing -> optim/frozen_frac = 1 once on the lattice (measured
    by default on the middle batch of each epoch, i.e. after the first step put the parameters on it)."""
    def make_opt(params):
        return build_qsgd(QSGDParams(lr=1e-5, eta=16.0, schedule="constant"), params)

    _, _, rows = fit(tmp_path, "frozen", 3, make_opt)
    assert [float(r["optim/frozen_frac"]) for r in rows] == [1.0, 1.0, 1.0]
    assert [float(r["optim/measured_steps"]) for r in rows] == [1.0, 1.0, 1.0]
    assert all(float(r["optim/quant_err_rel"]) < 0.01 for r in rows)
