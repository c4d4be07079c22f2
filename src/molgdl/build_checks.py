"""Build-time checks: what each factory returns, and one batch through the featurizer, descriptors, encoder and
readout (shapes, dtypes, finiteness), before any training.

``check_components(res)`` is what ``molgdl validate`` runs: it builds every component of the config and pushes
a few of ``molgdl.testing``'s tiny molecules (SMILES, atomic numbers and 3D coordinates) through them, so
mistakes that need no data are found without the data. ``check_model_outputs`` is also run on the first real
training batch. Each failure is a ``PluginError`` naming plugin, component, file:line and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from molgdl.errors import FeaturizationError, MolgdlError, PluginError
from molgdl.spec_checks import location, raised_at

N_MOLECULES = 4  # tiny molecules pushed through the featurizer and the model


@dataclass(frozen=True)
class Component:
    """Who to blame: kind, registered name, provider ('name (distribution version)')."""

    kind: str
    name: str
    provider: str

    def error(self, what: str, where: Any, expected: str, hint: str) -> PluginError:
        loc = where if isinstance(where, str) else location(where)
        return PluginError(f"plugin {self.provider}: {self.kind} {self.name!r} {what} ({loc}); "
                           f"expected {expected}", hint=hint)


def component_of(res: Any, kind: str, path: str) -> Component:
    name, _, provider = res.identity(kind, path)
    return Component(kind, name, provider)


def built(res: Any, kind: str, path: str, *args: Any) -> Any:
    """``res.build(kind, path, *args)`` with the result checked against what the kind promises."""
    comp = component_of(res, kind, path)
    factory = res.spec(kind, path).factory
    try:
        obj = res.build(kind, path, *args)
    except MolgdlError:
        raise
    except Exception as exc:
        raise comp.error(f"factory raised {type(exc).__name__}: {exc}", raised_at(exc), "a built component",
                         "fix the factory (run it in a test with the params of the config)") from exc
    _check_product(comp, obj, factory, res.spec(kind, path))
    return obj


def _needs(obj: Any, attrs: tuple[str, ...]) -> list[str]:
    return [a for a in attrs if not callable(getattr(obj, a, None))]


def _check_product(comp: Component, obj: Any, factory: Any, spec: Any) -> None:
    kind = comp.kind
    if obj is None:
        raise comp.error("factory returned None", factory, f"the {kind} object",
                         "return the object you built (a missing `return`?)")
    if kind == "model" and getattr(spec, "family", "encoder") == "classical":
        missing = _needs(obj, ("fit", "predict", "set_params"))
        if missing:
            raise comp.error(f"factory returned {type(obj).__name__} without {', '.join(missing)}", factory,
                             "a scikit-learn estimator", "return e.g. sklearn.ensemble.RandomForestRegressor(...)")
        return
    if kind in ("model", "readout"):
        import torch

        if not isinstance(obj, torch.nn.Module):
            raise comp.error(f"factory returned {type(obj).__name__}", factory, "a torch.nn.Module",
                             "return an nn.Module instance")
        out_dim = getattr(obj, "out_dim", None)
        if not isinstance(out_dim, int) or isinstance(out_dim, bool) or out_dim < 1:
            got = "has no out_dim" if out_dim is None else f"has out_dim={out_dim!r}"
            raise comp.error(f"module {type(obj).__name__} {got}", type(obj),
                             "an int attribute out_dim >= 1 (the width of its output)",
                             "set self.out_dim = <output width> in __init__")
    elif kind == "featurizer":
        from molgdl.specs import FeatureDims

        if not isinstance(getattr(obj, "dims", None), FeatureDims) or _needs(obj, ("featurize",)):
            raise comp.error(f"factory returned {type(obj).__name__} without dims: FeatureDims and featurize()",
                             factory, "an object with dims (molgdl.specs.FeatureDims) and featurize(record)",
                             "see the Featurizers section of docs/plugins.md")
    elif kind == "descriptor":
        names = getattr(obj, "names", None)
        named = isinstance(names, (list, tuple)) and all(isinstance(n, str) for n in names)
        if _needs(obj, ("compute",)) or not named:
            raise comp.error(f"factory returned {type(obj).__name__} without names: list[str] and compute()",
                             factory, "an object with names (list of str) and compute(record)",
                             "see the DescriptorSpec section of docs/plugins.md")
    elif kind == "optimizer":
        import torch

        if not isinstance(obj, torch.optim.Optimizer):
            raise comp.error(f"factory returned {type(obj).__name__}", factory, "a torch.optim.Optimizer",
                             "return an optimizer built on the parameters passed to the factory")
    elif kind in ("scheduler", "splitter"):
        method = "step" if kind == "scheduler" else "split"
        if _needs(obj, (method,)):
            raise comp.error(f"factory returned {type(obj).__name__} without {method}()", factory,
                             f"an object with {method}()", f"see the {kind} section of docs/plugins.md")
    elif kind == "analysis" and not callable(obj):
        raise comp.error(f"factory returned {type(obj).__name__}, which is not callable", factory,
                         "a callable(context) -> dict", "return a function or an object with __call__")
    elif kind == "callback":
        import pytorch_lightning as pl

        if not isinstance(obj, pl.Callback):
            raise comp.error(f"factory returned {type(obj).__name__}", factory, "a lightning Callback",
                             "subclass pytorch_lightning.Callback")


def _tensor_problem(t: Any, shape: tuple[int, ...]) -> str | None:
    """What is wrong with an output tensor: type, shape, dtype, non-finite values (None if fine)."""
    import torch

    if not isinstance(t, torch.Tensor):
        return f"returned {type(t).__name__}"
    if tuple(t.shape) != shape:
        return f"returned shape {list(t.shape)}"
    if not t.is_floating_point():
        return f"returned dtype {t.dtype}"
    if not torch.isfinite(t).all():
        return f"returned {int((~torch.isfinite(t)).sum())} non-finite values"
    return None


def check_model_outputs(encoder: Any, readout: Any, batch: Any, model: Component, readout_c: Component) -> None:
    """One batch through encoder and readout: ``[N, out_dim]`` then ``[B, out_dim]``, float, finite."""
    import torch

    n, b = int(batch.num_nodes), int(batch.num_graphs)
    modes = [(m, m.training) for m in (encoder, readout)]
    try:
        for m, _ in modes:
            m.eval()
        with torch.random.fork_rng(devices=[]):  # the check leaves the seeded training RNG stream untouched
            _check_outputs(encoder, readout, batch, model, readout_c, n, b)
    finally:
        for m, mode in modes:
            m.train(mode)


def _check_outputs(encoder: Any, readout: Any, batch: Any, model: Component, readout_c: Component, n: int,
                   b: int) -> None:
    import torch

    with torch.no_grad():
        h = _forward(model, encoder, batch)
        problem = _tensor_problem(h, (n, encoder.out_dim))
        if problem:
            raise model.error(f"forward {problem} for a batch of {b} molecules with {n} atoms",
                              type(encoder).forward, f"a float tensor of shape [{n}, out_dim={encoder.out_dim}], "
                              "one finite row per atom", "fix the encoder's forward (or its out_dim)")
        out = _forward(readout_c, readout, h, batch)
        problem = _tensor_problem(out, (b, readout.out_dim))
        if problem:
            raise readout_c.error(f"forward {problem} for a batch of {b} molecules with {n} atoms",
                                  type(readout).forward, f"a float tensor of shape [{b}, out_dim={readout.out_dim}], "
                                  "one finite row per molecule", "pool the atoms of each molecule with batch.batch")


def _forward(comp: Component, module: Any, *args: Any) -> Any:
    try:
        return module(*args)
    except MolgdlError:
        raise
    except Exception as exc:
        raise comp.error(f"forward raised {type(exc).__name__}: {exc}", raised_at(exc),
                         "a forward pass on a batch of molgdl.testing's tiny molecules",
                         "reproduce it with the plugin's contract tests (molgdl.testing)") from exc


def featurized(featurizer: Any, comp: Component, records: list[Any]) -> list[Any]:
    """Graphs of the records the featurizer accepts, each checked against its ``dims``."""
    import torch

    graphs = []
    dims = featurizer.dims
    for rec in records:
        try:
            out = featurizer.featurize(rec)
        except FeaturizationError:
            continue
        except Exception as exc:
            raise comp.error(f"featurize raised {type(exc).__name__}: {exc} on {rec.smiles!r}",
                             raised_at(exc), "a list of Data, or FeaturizationError for a molecule it "
                             "cannot handle", "fix the bug, or raise molgdl.errors.FeaturizationError") from exc
        if not isinstance(out, list) or not out:
            raise comp.error(f"featurize returned {type(out).__name__} for {rec.smiles!r}", type(featurizer).featurize,
                             "a non-empty list of torch_geometric Data (one per conformer)", "return [data]")
        for g in out:
            n = int(g.num_nodes)
            checks = [("x", dims.atom_dim, (n, dims.atom_dim)), ("edge_attr", dims.bond_dim,
                                                                 (g.edge_index.size(1), dims.bond_dim))]
            if dims.is_3d:
                checks.append(("pos", 3, (n, 3)))
            for key, width, shape in checks:
                value = getattr(g, key, None)
                if width == 0 and value is None:
                    continue
                problem = _tensor_problem(value, shape)
                if problem:
                    raise comp.error(f"data.{key} {problem.replace('returned ', 'is ')} for {rec.smiles!r}",
                                     type(featurizer).featurize, f"a float tensor of shape {list(shape)} (dims: "
                                     f"{dims})", "make dims match what featurize() produces")
        graphs.extend(out)
    return graphs


def check_descriptor(desc: Any, comp: Component, records: list[Any]) -> None:
    import numpy as np

    for rec in records:
        try:
            values = np.asarray(desc.compute(rec), dtype=np.float64).ravel()
        except FeaturizationError:
            continue
        except Exception as exc:
            raise comp.error(f"compute raised {type(exc).__name__}: {exc} on {rec.smiles!r}", raised_at(exc),
                             "a float array, or FeaturizationError for a molecule it cannot handle",
                             "fix the bug, or raise molgdl.errors.FeaturizationError") from exc
        if len(values) != len(desc.names):
            raise comp.error(f"compute returned {len(values)} values for {rec.smiles!r}", type(desc).compute,
                             f"one value per name, {len(desc.names)}", "make compute() and names agree")


def check_components(res: Any) -> list[str]:
    """Build every component of ``res`` and run one tiny batch; returns the key paths checked."""
    import torch
    from torch_geometric.data import Batch

    from molgdl.specs import FeatureDims
    from molgdl.testing.molecules import tiny_table_3d

    cfg = res.config
    records = tiny_table_3d().records[:N_MOLECULES]
    featurizer = built(res, "featurizer", "featurizer")
    graphs = featurized(featurizer, component_of(res, "featurizer", "featurizer"), records)
    done = ["featurizer"]
    extra_dim = 0
    for i in range(len(cfg.descriptors)):
        path = f"descriptors[{i}]"
        desc = built(res, "descriptor", path)
        check_descriptor(desc, component_of(res, "descriptor", path), records)
        extra_dim += len(desc.names)
        done.append(path)
    if getattr(res.spec("model", "model"), "family", "encoder") == "classical":
        built(res, "model", "model", "regression")
        done.append("model")
    else:
        base = featurizer.dims
        encoder = built(res, "model", "model", FeatureDims(base.atom_dim, base.bond_dim, extra_dim, base.is_3d))
        readout = built(res, "readout", "readout", encoder.out_dim)
        if graphs:
            check_model_outputs(encoder, readout, Batch.from_data_list(graphs), component_of(res, "model", "model"),
                                component_of(res, "readout", "readout"))
        parameters = [p for m in (encoder, readout) for p in m.parameters()] or [torch.nn.Parameter(torch.zeros(1))]
        optimizer = built(res, "optimizer", "optimizer", parameters)
        done += ["model", "readout", "optimizer"]
        if cfg.scheduler is not None:
            built(res, "scheduler", "scheduler", optimizer, 1, 1)
            done.append("scheduler")
    built(res, "splitter", "split")
    done.append("split")
    for kind, key in [("analysis", f"analyses[{i}]") for i in range(len(cfg.analyses))] + \
                     [("callback", f"callbacks[{i}]") for i in range(len(cfg.callbacks))]:
        built(res, kind, key)
        done.append(key)
    return done
