"""Contract test classes: what every model, readout, featurizer, optimizer and analysis must do.

Subclass one in a test file of your plugin and name your component; pytest collects the inherited tests::

    from molgdl.testing import ModelContract
    from my_plugin import hooks

    class TestMyEncoder(ModelContract):
        plugin = hooks                 # the module (or object) holding your @hookimpl functions
        name = "my_encoder"            # the component name it registers
        params = {"hidden_dim": 16}    # small parameters, validated by the component's params model

The component is found the way ``molgdl run`` finds it: ``plugin`` is registered on a fresh plugin manager
(entry-point autoload off) and looked up in the ``Registry``. Every input a test uses comes from a fixture
that a subclass may override (``featurizer``/``records`` for models, ``in_dim`` for readouts, ``records`` for
featurizers, ``analysis_context`` for analyses); ``component_spec`` and ``component_params`` may be overridden
too, e.g. to parametrize one class over several components (see molgdl's
``tests/kit/test_first_party_contracts.py``).

A failing check raises ``AssertionError`` with what differs; the checks themselves are functions in
``molgdl.testing.contracts``. Symmetries claimed in ``ModelSpec.symmetry`` are checked through
``molgdl.testing.contracts.SYMMETRY_CHECKS`` (extend it with ``register_symmetry_check``).
"""

from __future__ import annotations

import functools
import io
import json
import os
import pickle
import re
import subprocess
import sys
import warnings
from types import ModuleType
from typing import Any, ClassVar

import pytest

HEAVY_MODULES = ("torch", "torch_geometric", "rdkit", "e3nn", "pytorch_lightning", "lightning", "sklearn")
NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")


class ContractWarning(UserWarning):
    """Something a contract could not check (e.g. a claimed symmetry molgdl has no check for)."""


@functools.lru_cache(maxsize=None)
def heavy_imports_of(module_name: str) -> tuple[str, ...]:
    """Heavy packages (torch, rdkit, ...) that importing ``module_name`` pulls in, in a fresh interpreter."""
    code = ("import importlib, sys; importlib.import_module(sys.argv[1]); "
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[2:]))))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run([sys.executable, "-c", code, module_name, *HEAVY_MODULES], capture_output=True,
                          text=True, timeout=120, env=env)
    if proc.returncode != 0:
        raise AssertionError(f"importing {module_name} in a fresh interpreter failed:\n{proc.stderr[-2000:]}")
    return tuple(proc.stdout.split())


def _state_roundtrip(module) -> dict:
    """``state_dict`` through ``torch.save`` / ``torch.load(weights_only=True)``, as ``model.pt`` is read."""
    import torch

    buf = io.BytesIO()
    torch.save({"state_dict": module.state_dict()}, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)["state_dict"]


def _assert_close(a, b, rtol: float, atol: float, what: str) -> None:
    import torch

    scale = max(1.0, float(a.detach().abs().max())) if a.numel() else 1.0
    if a.shape != b.shape or not torch.allclose(a, b, rtol=rtol, atol=atol * scale):
        diff = f"max |diff| = {(a - b).abs().max():.3g}" if a.shape == b.shape else f"{a.shape} vs {b.shape}"
        raise AssertionError(f"{what}: {diff}")


# ------------------------------------------------------------------------------------------------ base


class ComponentContract:
    """Checks shared by every kind: registration, the spec, its params model, a light hooks module."""

    kind: ClassVar[str] = ""
    plugin: ClassVar[Any] = None
    name: ClassVar[str] = ""
    params: ClassVar[dict[str, Any]] = {}
    require_param_descriptions: ClassVar[bool] = True
    rtol: ClassVar[float] = 1e-4
    atol: ClassVar[float] = 1e-5

    # -- fixtures (override in a subclass when needed)

    @pytest.fixture
    def plugin_object(self):
        """The plugin (usually the ``hooks`` module) that registers the component."""
        if self.plugin is None:
            pytest.fail(f"{type(self).__name__}: set `plugin = <your hooks module>` (and `name = ...`)")
        return self.plugin

    @pytest.fixture
    def registry(self, molgdl_pm, plugin_object):
        """A ``Registry`` with molgdl's built-ins and ``plugin`` only (no entry points)."""
        from molgdl.registry import Registry

        molgdl_pm.register(plugin_object)
        return Registry(molgdl_pm)

    @pytest.fixture
    def component_spec(self, registry):
        """The spec registered under ``(kind, name)``."""
        if not self.name:
            pytest.fail(f"{type(self).__name__}: set `name = <the registered {self.kind} name>`")
        from molgdl.hookspecs import REGISTRATION_HOOKS

        names = registry.names(self.kind)
        if self.name not in names:
            raise AssertionError(f"{self.plugin!r} registers no {self.kind} named {self.name!r}; registered: "
                                 f"{names or 'none'} (check the hook name {REGISTRATION_HOOKS[self.kind]} and the "
                                 "spec's name)")
        return registry.get(self.kind, self.name)

    @pytest.fixture
    def component_params(self, component_spec):
        """``params`` validated by the component's params model."""
        return component_spec.build_params(dict(self.params))

    # -- tests

    def test_spec_is_well_formed(self, component_spec):
        from molgdl.specs import SPEC_KINDS, Params

        expected = SPEC_KINDS[self.kind]
        assert isinstance(component_spec, expected), f"expected {expected.__name__}, got {type(component_spec).__name__}"
        assert NAME_PATTERN.match(component_spec.name), (
            f"name {component_spec.name!r}: use letters, digits, '_', '-', '.', starting with a letter "
            "(it is typed in YAML configs)")
        summary = component_spec.summary
        assert isinstance(summary, str) and summary.strip() and "\n" not in summary, \
            "summary must be one non-empty line (shown by `molgdl components`)"
        assert callable(component_spec.factory), "factory must be callable"
        assert isinstance(component_spec.params, type) and issubclass(component_spec.params, Params), \
            "params must be a subclass of molgdl.specs.Params (extra='forbid', frozen)"

    def test_params_have_defaults(self, component_spec):
        """``{name: ...}`` alone in a config must be valid."""
        required = [n for n, f in component_spec.params.model_fields.items() if f.is_required()]
        assert not required, f"params without a default: {required}"
        component_spec.build_params()

    def test_params_are_documented(self, component_spec):
        if not self.require_param_descriptions:
            pytest.skip("require_param_descriptions is off")
        missing = [n for n, f in component_spec.params.model_fields.items() if not f.description]
        assert not missing, f"params without Field(description=...): {missing} (shown by `molgdl components`)"

    def test_params_reject_unknown_keys(self, component_spec):
        from pydantic import ValidationError

        with pytest.raises(ValidationError):
            component_spec.build_params({"not_a_parameter_of_this_component": 1})

    def test_params_survive_the_resolved_config(self, component_spec, component_params):
        """``config.yaml`` of a run holds the params as JSON-able values; ``molgdl predict`` reads them back."""
        from pydantic import ValidationError

        dumped = json.loads(json.dumps(component_params.model_dump(mode="json")))
        try:
            reloaded = component_spec.build_params(dumped)
        except ValidationError as exc:
            raise AssertionError(f"the params, written out with every default filled in (as in a run's "
                                 f"config.yaml), are refused when read back: {exc}") from None
        assert reloaded == component_params, f"params changed through JSON: {component_params} -> {reloaded}"

    def test_hooks_module_is_light(self, plugin_object):
        """Listing components and validating configs must not import torch, rdkit, ...: import them inside
        the factory (or in a module the factory imports)."""
        if not isinstance(plugin_object, ModuleType) or getattr(plugin_object, "__file__", None) is None:
            pytest.skip("plugin is not an importable module")
        heavy = heavy_imports_of(plugin_object.__name__)
        assert not heavy, f"importing {plugin_object.__name__} imports {list(heavy)}: move these imports into the factory"


# ------------------------------------------------------------------------------------------------ models


class ModelContract(ComponentContract):
    """Encoders (``family="encoder"``): shapes, batching, claimed symmetries, gradients, saving; classical
    models (``family="classical"``): scikit-learn fit/predict with a ``random_state``."""

    kind: ClassVar[str] = "model"
    symmetry_rtol: ClassVar[float] = 1e-4
    symmetry_atol: ClassVar[float] = 1e-4
    symmetry_tol64: ClassVar[float] = 1e-9

    @pytest.fixture
    def featurizer(self):
        """Produces the test graphs; default: ``TinyGraphFeaturizer`` (core only, graphs with ``pos``)."""
        from molgdl.testing.molecules import TinyGraphFeaturizer

        return TinyGraphFeaturizer()

    @pytest.fixture
    def records(self):
        """Molecules for the test graphs (SMILES and 3D coordinates)."""
        from molgdl.testing.molecules import tiny_table_3d

        return tiny_table_3d().records

    @pytest.fixture
    def graphs(self, featurizer, records):
        return [g for r in records for g in featurizer.featurize(r)]

    @pytest.fixture
    def feature_dims(self, featurizer):
        return featurizer.dims

    @pytest.fixture
    def build_encoder(self, component_spec, component_params, feature_dims):
        """``build_encoder(seed=0)``: a fresh encoder in eval mode (skips for classical models)."""
        if component_spec.family != "encoder":
            pytest.skip(f"{component_spec.name} is a {component_spec.family} model")

        def build(seed: int = 0):
            import torch

            torch.manual_seed(seed)
            return component_spec.factory(component_params, feature_dims).eval()

        return build

    @pytest.fixture
    def encoder(self, build_encoder):
        return build_encoder(0)

    def _encode(self, encoder):
        import torch

        def fn(batch):
            with torch.no_grad():
                return encoder(batch)

        return fn

    def test_encoder_interface(self, encoder):
        from torch import nn

        assert isinstance(encoder, nn.Module), f"factory must return a torch.nn.Module, got {type(encoder).__name__}"
        out_dim = getattr(encoder, "out_dim", None)
        assert isinstance(out_dim, int) and out_dim > 0, f"encoder.out_dim must be a positive int, got {out_dim!r}"

    def test_output_shape_and_values(self, encoder, graphs):
        import torch
        from torch_geometric.data import Batch

        batch = Batch.from_data_list(graphs)
        h = self._encode(encoder)(batch)
        assert isinstance(h, torch.Tensor) and h.is_floating_point(), "forward(batch) must return a float tensor"
        assert tuple(h.shape) == (batch.num_nodes, encoder.out_dim), \
            f"expected [num_nodes={batch.num_nodes}, out_dim={encoder.out_dim}], got {list(h.shape)}"
        assert torch.isfinite(h).all(), "node embeddings hold NaN or inf"

    def test_single_atom_molecule(self, encoder, graphs):
        """Methane or water without hydrogens is one atom and no bond."""
        import torch
        from torch_geometric.data import Batch

        one = graphs[0].subgraph(torch.tensor([0]))
        h = self._encode(encoder)(Batch.from_data_list([one]))
        assert tuple(h.shape) == (1, encoder.out_dim) and torch.isfinite(h).all()

    def test_batch_consistency(self, encoder, graphs):
        from molgdl.testing.contracts import check_node_batch_consistency

        check_node_batch_consistency(self._encode(encoder), graphs, rtol=self.rtol, atol=self.atol)

    def _check_claims(self, component_spec, encoder, graphs, rtol: float, atol: float) -> None:
        from molgdl.testing import contracts

        fn = self._encode(encoder)
        broken = []
        for claim in sorted(component_spec.symmetry):
            check = contracts.SYMMETRY_CHECKS.get(claim)
            if check is None:
                warnings.warn(f"{component_spec.name} claims symmetry {claim!r}, which molgdl.testing has no check "
                              f"for (known: {sorted(contracts.SYMMETRY_CHECKS)})", ContractWarning, stacklevel=1)
                continue
            try:
                check(fn, graphs, encoder, rtol=rtol, atol=atol)
            except AssertionError as exc:
                broken.append(f"claimed symmetry {claim!r} does not hold: {exc}")
        assert not broken, "\n".join(broken)

    def test_claimed_symmetries(self, component_spec, encoder, graphs):
        """Every name in ``ModelSpec.symmetry`` is checked by ``SYMMETRY_CHECKS[name]`` (float32, relative
        tolerance ``symmetry_rtol``)."""
        self._check_claims(component_spec, encoder, graphs, self.symmetry_rtol, self.symmetry_atol)

    def test_claimed_symmetries_float64(self, component_spec, encoder, graphs):
        """The same claims in float64 hold to a relative ``symmetry_tol64`` (1e-9): an exact symmetry is exact
        up to round-off, an approximate one is not."""
        from molgdl.testing.contracts import to_float64

        self._check_claims(component_spec, encoder.double(), to_float64(graphs), self.symmetry_tol64,
                           self.symmetry_tol64)

    @pytest.mark.parametrize("precision", ["float32", "float64"])
    def test_forces_rotate_with_the_molecule(self, component_spec, encoder, graphs, precision):
        """For models claiming E(3)/SE(3): forces ``-dE/dpos`` of an invariant energy built on the node embeddings
        (``E = sum_i tanh(h_i) . w``) rotate with the molecule and follow relabelled atoms."""
        import torch

        from molgdl.testing.contracts import check_force_equivariance, to_float64

        claims = component_spec.symmetry & {"E3", "SE3"}
        if not claims:
            pytest.skip(f"{component_spec.name} claims no Euclidean symmetry")
        if precision == "float64":
            encoder, graphs = encoder.double(), to_float64(graphs)
            tol = self.symmetry_tol64
        else:
            tol = self.symmetry_rtol
        w = torch.randn(encoder.out_dim, generator=torch.Generator().manual_seed(0)).to(graphs[0].pos.dtype)

        def energy(batch):
            h = torch.tanh(encoder(batch)) @ w
            return torch.zeros(batch.num_graphs, dtype=h.dtype).index_add(0, batch.batch, h)

        check_force_equivariance(energy, graphs, reflections="E3" in claims, rtol=tol, atol=tol)

    def test_all_parameters_receive_gradients(self, encoder, graphs):
        """Every trainable parameter gets a finite gradient (DDP needs every parameter used)."""
        import torch
        from torch_geometric.data import Batch

        encoder.train()
        h = encoder(Batch.from_data_list(graphs))
        (h.pow(2).mean() + h.mean()).backward()
        missing = [n for n, p in encoder.named_parameters() if p.requires_grad and p.grad is None]
        assert not missing, f"parameters without gradient (unused in forward): {missing}"
        bad = [n for n, p in encoder.named_parameters() if p.grad is not None and not torch.isfinite(p.grad).all()]
        assert not bad, f"non-finite gradients: {bad}"
        assert any(float(p.grad.abs().sum()) > 0 for p in encoder.parameters() if p.grad is not None), \
            "every gradient is zero"

    def test_does_not_modify_the_batch(self, encoder, graphs):
        import torch
        from torch_geometric.data import Batch

        batch = Batch.from_data_list(graphs)
        before = {k: v.clone() for k, v in batch.items() if isinstance(v, torch.Tensor)}
        self._encode(encoder)(batch)
        changed = [k for k, v in before.items() if not torch.equal(v, batch[k])]
        assert not changed, f"forward changed batch tensors in place: {changed}"

    def test_same_seed_same_model(self, build_encoder, graphs):
        """Runs are reproducible: the factory draws its initial weights from torch's seeded generator."""
        from torch_geometric.data import Batch

        batch = Batch.from_data_list(graphs)
        a = self._encode(build_encoder(3))(batch)
        b = self._encode(build_encoder(3))(batch)
        _assert_close(a, b, 0.0, 0.0, "two encoders built with the same seed differ")

    def test_state_dict_roundtrip(self, build_encoder, graphs):
        """``model.pt`` holds tensors only; a fresh encoder loaded from it predicts the same."""
        from torch_geometric.data import Batch

        batch = Batch.from_data_list(graphs)
        trained, fresh = build_encoder(1), build_encoder(2)
        fresh.load_state_dict(_state_roundtrip(trained))
        fresh.eval()
        _assert_close(self._encode(fresh)(batch), self._encode(trained)(batch), self.rtol, self.atol,
                      "encoder reloaded from its state_dict predicts differently")

    def test_loss_decreases_with_training(self, encoder, graphs):
        """Encoder + sum readout + linear head fitted to fixed targets for 40 Adam steps: the loss drops."""
        import torch
        from torch_geometric.data import Batch
        from torch_geometric.utils import scatter

        batch = Batch.from_data_list(graphs)
        torch.manual_seed(0)
        head = torch.nn.Linear(encoder.out_dim, 1)
        target = torch.randn(batch.num_graphs, 1, generator=torch.Generator().manual_seed(0))
        opt = torch.optim.Adam([*encoder.parameters(), *head.parameters()], lr=3e-3)

        def loss_fn():
            h = encoder(batch)
            pooled = scatter(h, batch.batch, dim=0, dim_size=batch.num_graphs, reduce="mean")
            return (head(pooled) - target).pow(2).mean()

        first = float(loss_fn().detach())
        for _ in range(40):
            opt.zero_grad()
            loss = loss_fn()
            loss.backward()
            opt.step()
        last = float(loss_fn().detach())
        assert last < first, f"training loss did not decrease: {first:.4g} -> {last:.4g}"

    # -- classical models

    @pytest.fixture
    def build_estimator(self, component_spec, component_params):
        if component_spec.family != "classical":
            pytest.skip(f"{component_spec.name} is an {component_spec.family}")

        def build(task: str, seed: int = 0):
            est = component_spec.factory(component_params, task)
            for method in ("fit", "predict", "set_params"):
                assert callable(getattr(est, method, None)), f"classical model lacks {method}()"
            est.set_params(random_state=seed)  # molgdl seeds each replicate this way
            return est

        return build

    def _descriptors(self, estimator=None):
        """``X [40, 6]`` and ``y [40]``; ``|X|`` for an estimator tagged ``input_tags.positive_only``."""
        import numpy as np

        rng = np.random.default_rng(0)
        X = rng.standard_normal((40, 6))
        if estimator is not None and _positive_only(estimator):
            X = np.abs(X)
        return X, X[:, 0] * 2.0 - X[:, 1] + 0.1 * rng.standard_normal(40)

    def test_classical_regression(self, build_estimator):
        import numpy as np

        X, y = self._descriptors(build_estimator("regression", 0))
        pred = build_estimator("regression", 0).fit(X, y).predict(X)
        assert np.shape(pred) == (40,) and np.isfinite(pred).all()
        assert np.corrcoef(pred, y)[0, 1] > 0.5, "predictions on the training set do not follow the target"
        again = build_estimator("regression", 0).fit(X, y).predict(X)
        np.testing.assert_allclose(again, pred, err_msg="same random_state, different predictions")

    def test_classical_classification(self, build_estimator):
        import numpy as np

        X, y = self._descriptors(build_estimator("classification", 0))
        labels = (y > 0).astype(float)
        est = build_estimator("classification", 0).fit(X, labels)
        proba = est.predict_proba(X)
        assert np.shape(proba) == (40, 2), "predict_proba must return [n, 2] (molgdl uses column 1)"
        assert np.allclose(proba.sum(1), 1.0) and ((proba >= 0) & (proba <= 1)).all()


    def test_classical_positive_only_refuses_negative_input(self, build_estimator):
        """An estimator tagged ``positive_only`` (molgdl then refuses negative descriptors by name) must not
        fit negative values silently either."""
        import numpy as np

        est = build_estimator("regression", 0)
        if not _positive_only(est):
            pytest.skip("the estimator accepts any real descriptors")
        X, y = self._descriptors()
        with pytest.raises(Exception, match="negative"):
            est.fit(X, y)


def _positive_only(estimator) -> bool:
    """scikit-learn's ``input_tags.positive_only`` tag (False for estimators without tags)."""
    try:
        return bool(estimator.__sklearn_tags__().input_tags.positive_only)
    except AttributeError:
        return False


# ------------------------------------------------------------------------------------------------ readouts


class ReadoutContract(ComponentContract):
    """Readouts: ``factory(params, in_dim)``, ``forward(h, batch) -> [num_graphs, out_dim]``, invariant to
    the atom order, the same alone as in a batch, differentiable."""

    kind: ClassVar[str] = "readout"
    in_dim: ClassVar[int] = 16

    @pytest.fixture
    def graphs(self):
        from molgdl.testing.molecules import tiny_graphs

        return tiny_graphs()

    @pytest.fixture
    def build_readout(self, component_spec, component_params):
        def build(seed: int = 0):
            import torch

            torch.manual_seed(seed)
            return component_spec.factory(component_params, self.in_dim).eval()

        return build

    @pytest.fixture
    def readout(self, build_readout):
        return build_readout(0)

    def _node_features(self, graphs):
        import torch

        gen = torch.Generator().manual_seed(0)
        return [torch.randn(g.num_nodes, self.in_dim, generator=gen) for g in graphs]

    def _apply(self, readout, graphs, feats):
        import torch
        from torch_geometric.data import Batch

        with torch.no_grad():
            return readout(torch.cat(feats), Batch.from_data_list(graphs))

    def test_readout_interface(self, readout):
        from torch import nn

        assert isinstance(readout, nn.Module), f"factory must return a torch.nn.Module, got {type(readout).__name__}"
        out_dim = getattr(readout, "out_dim", None)
        assert isinstance(out_dim, int) and out_dim > 0, f"readout.out_dim must be a positive int, got {out_dim!r}"

    def test_output_shape_and_values(self, readout, graphs):
        import torch

        out = self._apply(readout, graphs, self._node_features(graphs))
        assert tuple(out.shape) == (len(graphs), readout.out_dim), \
            f"expected [num_graphs={len(graphs)}, out_dim={readout.out_dim}], got {list(out.shape)}"
        assert torch.isfinite(out).all(), "output holds NaN or inf"

    def test_permutation_invariance(self, readout, graphs):
        import torch

        from molgdl.testing.contracts import relabel_molecule

        feats = self._node_features(graphs)
        moved, moved_feats = [], []
        for i, (g, h) in enumerate(zip(graphs, feats)):
            g2, perm = relabel_molecule(g, torch.Generator().manual_seed(i))
            moved.append(g2)
            moved_feats.append(h[perm])
        _assert_close(self._apply(readout, moved, moved_feats), self._apply(readout, graphs, feats), self.rtol,
                      self.atol, "readout output changed when the atoms were relabelled")

    def test_batch_consistency(self, readout, graphs):
        feats = self._node_features(graphs)
        together = self._apply(readout, graphs, feats)
        for i, (g, h) in enumerate(zip(graphs, feats)):
            _assert_close(self._apply(readout, [g], [h])[0], together[i], self.rtol, self.atol,
                          f"molecule {i} differs alone vs inside a batch")

    def test_single_atom_molecule(self, readout, graphs):
        import torch

        one = graphs[0].subgraph(torch.tensor([0]))
        out = self._apply(readout, [one], [torch.ones(1, self.in_dim)])
        assert tuple(out.shape) == (1, readout.out_dim) and torch.isfinite(out).all()

    def test_gradients(self, readout, graphs):
        """The loss reaches the node embeddings and every trainable parameter."""
        import torch
        from torch_geometric.data import Batch

        readout.train()
        h = torch.cat(self._node_features(graphs)).requires_grad_(True)
        out = readout(h, Batch.from_data_list(graphs))
        loss = out.pow(2).mean() + out.mean()
        for value in (getattr(readout, "auxiliary_losses", None) or {}).values():
            loss = loss + value
        loss.backward()
        assert h.grad is not None and torch.isfinite(h.grad).all() and float(h.grad.abs().sum()) > 0, \
            "no gradient reaches the node embeddings"
        missing = [n for n, p in readout.named_parameters() if p.requires_grad and p.grad is None]
        assert not missing, f"parameters without gradient (unused in forward): {missing}"

    def test_auxiliary_losses(self, readout, graphs):
        """Optional ``auxiliary_losses``: a dict of finite scalar tensors, added to the loss and logged."""
        import torch

        self._apply(readout, graphs, self._node_features(graphs))
        aux = getattr(readout, "auxiliary_losses", None)
        if aux is None:
            pytest.skip("the readout has no auxiliary_losses")
        assert isinstance(aux, dict), f"auxiliary_losses must be a dict, got {type(aux).__name__}"
        for key, value in aux.items():
            assert isinstance(key, str) and isinstance(value, torch.Tensor) and value.dim() == 0, \
                f"auxiliary_losses[{key!r}] must be a scalar tensor"
            assert torch.isfinite(value), f"auxiliary_losses[{key!r}] is not finite"

    def test_does_not_modify_inputs(self, readout, graphs):
        import torch
        from torch_geometric.data import Batch

        feats = torch.cat(self._node_features(graphs))
        batch = Batch.from_data_list(graphs)
        before_h, before_b = feats.clone(), batch.batch.clone()
        with torch.no_grad():
            readout(feats, batch)
        assert torch.equal(feats, before_h) and torch.equal(batch.batch, before_b), "forward changed its inputs"

    def test_state_dict_roundtrip(self, build_readout, graphs):
        feats = self._node_features(graphs)
        trained, fresh = build_readout(1), build_readout(2)
        fresh.load_state_dict(_state_roundtrip(trained))
        fresh.eval()
        _assert_close(self._apply(fresh, graphs, feats), self._apply(trained, graphs, feats), self.rtol, self.atol,
                      "readout reloaded from its state_dict gives a different output")


# ------------------------------------------------------------------------------------------------ featurizers


class FeaturizerContract(ComponentContract):
    """Featurizers: ``dims``/``version``/``featurize``, the graph data contract, clear errors for bad
    molecules, determinism, pickling (worker processes) and the featurization cache."""

    kind: ClassVar[str] = "featurizer"

    @pytest.fixture
    def featurizer(self, component_spec, component_params):
        return component_spec.factory(component_params)

    @pytest.fixture
    def records(self):
        """Molecules the featurizer must handle: SMILES with 3D coordinates (``tiny_table_3d``)."""
        from molgdl.testing.molecules import tiny_table_3d

        return tiny_table_3d().records

    @pytest.fixture
    def smiles_only_records(self):
        """Molecules without coordinates: featurized, or refused with a FeaturizationError."""
        from molgdl.testing.molecules import tiny_table

        return tiny_table(4).records

    @pytest.fixture
    def bad_record(self):
        from molgdl.data.table import MoleculeRecord

        return MoleculeRecord(id="broken", smiles="C1CC(", row=7)

    def test_featurizer_interface(self, featurizer):
        from molgdl.specs import FeatureDims

        assert isinstance(getattr(featurizer, "dims", None), FeatureDims), "featurizer.dims must be a FeatureDims"
        version = getattr(featurizer, "version", None)
        assert isinstance(version, str) and version, "featurizer.version must be a non-empty str (cache key)"
        assert callable(getattr(featurizer, "featurize", None)), "featurizer.featurize(record) is missing"

    def test_graph_data_contract(self, featurizer, records):
        from molgdl.testing.contracts import check_graph_data

        for rec in records:
            graphs = featurizer.featurize(rec)
            assert isinstance(graphs, list) and graphs, f"row {rec.row}: featurize must return a non-empty list"
            for k, g in enumerate(graphs):
                check_graph_data(g, featurizer.dims, f"row {rec.row} ({rec.smiles}) graph {k}")

    def test_smiles_only_records(self, featurizer, smiles_only_records):
        from molgdl.errors import MolgdlError
        from molgdl.testing.contracts import check_graph_data

        for rec in smiles_only_records:
            try:
                graphs = featurizer.featurize(rec)
            except MolgdlError as exc:
                assert f"row {rec.row}" in str(exc) or rec.id in str(exc), \
                    f"the error for a molecule must say which one (row or id): {exc}"
                continue
            for k, g in enumerate(graphs):
                check_graph_data(g, featurizer.dims, f"row {rec.row} ({rec.smiles}) graph {k}")

    def test_bad_molecule_raises_featurization_error(self, featurizer, bad_record):
        """A molecule that cannot be read gives a ``FeaturizationError`` naming it, not another exception."""
        from molgdl.errors import FeaturizationError

        with pytest.raises(FeaturizationError) as info:
            featurizer.featurize(bad_record)
        msg = str(info.value)
        assert "row 7" in msg or "broken" in msg, f"the message must name the row or id of the molecule: {msg}"

    def test_deterministic(self, featurizer, records):
        import torch

        for rec in records[:4]:
            a, b = featurizer.featurize(rec), featurizer.featurize(rec)
            assert len(a) == len(b)
            for ga, gb in zip(a, b):
                for key in ga.keys():
                    va, vb = ga[key], gb[key]
                    if isinstance(va, torch.Tensor):
                        assert torch.equal(va, vb), f"row {rec.row}: {key} differs between two calls"

    def test_picklable(self, featurizer, records):
        """Featurization runs in worker processes: the featurizer is pickled to them."""
        import torch

        clone = pickle.loads(pickle.dumps(featurizer))
        a, b = featurizer.featurize(records[2])[0], clone.featurize(records[2])[0]
        for key in a.keys():
            if isinstance(a[key], torch.Tensor):
                assert torch.equal(a[key], b[key]), f"{key} differs after pickling the featurizer"

    def test_featurization_cache_roundtrip(self, featurizer, component_spec, component_params, tmp_path):
        """The graphs go through molgdl's cache (tensors only, ``weights_only`` loading) unchanged."""
        import torch

        from molgdl.data.cache import FeatureCache
        from molgdl.data.featurize import featurize_table
        from molgdl.testing.molecules import tiny_table_3d

        table = tiny_table_3d()
        ident = (component_spec.name, component_params.model_dump(mode="json"), "contract")
        cache = FeatureCache(tmp_path / "cache")
        first = featurize_table(table, featurizer, ident, [], cache, num_workers=1, progress=False)
        second = featurize_table(table, featurizer, ident, [], cache, num_workers=1, progress=False)
        assert not first.failures, f"molecules failed: {first.failures}"
        assert second.from_cache and not cache.corrupted, f"cache entry not reused: {cache.corrupted}"
        assert len(first.dataset) == len(second.dataset) >= len(table)
        for i in range(len(first.dataset)):
            ga, gb = first.dataset[i], second.dataset[i]
            for key in ga.keys():
                if isinstance(ga[key], torch.Tensor):
                    assert torch.equal(ga[key], gb[key]), f"graph {i}: {key} differs after the cache"


# ------------------------------------------------------------------------------------------------ optimizers


class OptimizerContract(ComponentContract):
    """Optimizers: ``factory(params, parameters)`` returns a ``torch.optim.Optimizer`` that minimizes, skips
    parameters without gradient, resumes from its state_dict and works with molgdl's schedulers.

    The optional trainer protocol is honoured: ``set_steps_per_epoch(B)`` is called after construction
    (and after loading a state_dict, as on resume), ``epoch_stats()`` is checked when present.
    """

    kind: ClassVar[str] = "optimizer"
    steps: ClassVar[int] = 100

    def _problem(self, seed: int = 0):
        """Least squares ``|A w - b|^2`` with ``w`` [4], plus a parameter that never gets a gradient."""
        import torch

        gen = torch.Generator().manual_seed(seed)
        A = torch.randn(12, 4, generator=gen)
        b = torch.randn(12, generator=gen)
        w = torch.nn.Parameter(torch.randn(4, generator=gen))
        unused = torch.nn.Parameter(torch.ones(3))
        return [w, unused], lambda: (A @ w - b).pow(2).mean()

    steps_per_epoch: ClassVar[int] = 4

    @pytest.fixture
    def make_optimizer(self, component_spec, component_params):
        """``make_optimizer(parameters, bind=True)``: the optimizer as molgdl's trainer sets it up (torch's
        global generator seeded, a generator of parameters, the optional ``set_steps_per_epoch(B)`` called
        as at train start)."""

        def make(parameters, bind: bool = True):
            import torch

            torch.manual_seed(0)  # as each replicate (and each resume) starts: pl.seed_everything(seed)
            opt = component_spec.factory(component_params, (p for p in parameters))
            if bind:
                self._bind(opt)
            return opt

        return make

    def _bind(self, opt) -> None:
        bind = getattr(opt, "set_steps_per_epoch", None)
        if callable(bind):
            bind(self.steps_per_epoch)

    def _run(self, opt, loss_fn, steps: int) -> float:
        for _ in range(steps):
            opt.zero_grad()
            loss = loss_fn()
            loss.backward()
            opt.step()
        return float(loss_fn().detach())

    def test_returns_a_torch_optimizer(self, make_optimizer):
        import torch

        params, _ = self._problem()
        opt = make_optimizer(params)
        assert isinstance(opt, torch.optim.Optimizer), f"expected torch.optim.Optimizer, got {type(opt).__name__}"
        assert sum(len(g["params"]) for g in opt.param_groups) == 2, "the optimizer must take every parameter"
        assert all("lr" in g for g in opt.param_groups), "param_groups need an 'lr' entry (schedulers change it)"

    def test_minimizes_a_quadratic(self, make_optimizer):
        import math

        params, loss_fn = self._problem()
        first = float(loss_fn().detach())
        last = self._run(make_optimizer(params), loss_fn, self.steps)
        assert math.isfinite(last) and last < first, f"loss did not decrease in {self.steps} steps: {first:.4g} -> {last:.4g}"

    def test_skips_parameters_without_gradient(self, make_optimizer):
        import torch

        params, loss_fn = self._problem()
        self._run(make_optimizer(params), loss_fn, 3)
        assert torch.equal(params[1].detach(), torch.ones(3)), "a parameter without gradient was changed"

    def test_state_dict_roundtrip(self, make_optimizer):
        """Resuming from a checkpoint continues exactly as an uninterrupted run."""
        import torch

        ref_params, ref_loss = self._problem()
        ref = make_optimizer(ref_params)
        self._run(ref, ref_loss, 10)

        params, loss_fn = self._problem()
        opt = make_optimizer(params)
        self._run(opt, loss_fn, 5)
        buf = io.BytesIO()
        torch.save({"optimizer": opt.state_dict(), "params": [p.detach().clone() for p in params]}, buf)
        buf.seek(0)
        saved = torch.load(buf, weights_only=True)
        params2, loss_fn2 = self._problem()
        with torch.no_grad():
            for p, v in zip(params2, saved["params"]):
                p.copy_(v)
        resumed = make_optimizer(params2, bind=False)
        resumed.load_state_dict(saved["optimizer"])
        self._bind(resumed)  # molgdl's trainer: state restored from the checkpoint, then train start
        self._run(resumed, loss_fn2, 5)
        for a, b in zip(params2, ref_params):
            _assert_close(a.detach(), b.detach(), 1e-6, 1e-7, "resumed optimizer diverged from the uninterrupted run")

    def test_epoch_stats(self, make_optimizer):
        """Optional ``epoch_stats() -> dict[str, float]``, logged as ``optim/<key>`` at each epoch end."""
        import math

        params, loss_fn = self._problem()
        opt = make_optimizer(params)
        stats = getattr(opt, "epoch_stats", None)
        if not callable(stats):
            pytest.skip("the optimizer has no epoch_stats()")
        self._run(opt, loss_fn, self.steps_per_epoch)
        values = stats()
        assert isinstance(values, dict), f"epoch_stats() must return a dict, got {type(values).__name__}"
        for key, value in values.items():
            assert isinstance(key, str) and math.isfinite(float(value)), f"epoch_stats()[{key!r}] = {value!r}"

    def test_works_with_molgdl_schedulers(self, make_optimizer):
        from molgdl.plugins import create_plugin_manager
        from molgdl.registry import Registry

        registry = Registry(create_plugin_manager(autoload=False))
        for item in registry.items("scheduler"):
            params, loss_fn = self._problem()
            opt = make_optimizer(params)
            sched = item.spec.factory(item.spec.build_params(), opt, 4, 3)
            lrs = []
            for _ in range(6):
                self._run(opt, loss_fn, 1)
                sched.step()
                lrs.append(opt.param_groups[0]["lr"])
            assert len(set(lrs)) > 1, f"scheduler {item.spec.name} did not change the learning rate"


# ------------------------------------------------------------------------------------------------ analyses


class AnalysisContract(ComponentContract):
    """Analyses: ``factory(params)`` returns ``fn(context) -> dict``, strict-JSON-able and deterministic,
    writing only under ``context.out_dir``; robust to one seed, missing targets and classification."""

    kind: ClassVar[str] = "analysis"

    @pytest.fixture
    def make_context(self, tmp_path, component_params, component_spec):
        from molgdl.testing.runs import make_analysis_context

        counter = iter(range(1000))

        def make(**kwargs):
            return make_analysis_context(tmp_path / f"run{next(counter)}", params=component_params,
                                         name=component_spec.name, **kwargs)

        return make

    @pytest.fixture
    def analysis(self, component_spec, component_params):
        fn = component_spec.factory(component_params)
        assert callable(fn), f"factory must return a callable(context) -> dict, got {type(fn).__name__}"
        return fn

    def _run(self, analysis, ctx) -> dict:
        result = analysis(ctx)
        assert isinstance(result, dict), f"an analysis returns a dict (stored in summary.json), got {type(result).__name__}"
        try:
            json.dumps(result, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise AssertionError(f"the result is not strict JSON (use None for NaN, plain floats): {exc}") from None
        return result

    def test_returns_a_json_dict(self, analysis, make_context):
        self._run(analysis, make_context())

    def test_writes_only_into_out_dir(self, analysis, make_context):
        ctx = make_context()

        def snapshot():
            return {p: p.stat().st_mtime_ns for p in ctx.run_dir.rglob("*")
                    if p.is_file() and ctx.out_dir not in p.parents}

        before = snapshot()
        self._run(analysis, ctx)
        assert snapshot() == before, "the analysis wrote or changed files outside context.out_dir"

    def test_deterministic(self, analysis, make_context):
        assert self._run(analysis, make_context()) == self._run(analysis, make_context())

    def test_one_seed_and_missing_targets(self, analysis, make_context):
        self._run(analysis, make_context(seeds=(0,), missing_targets=True))

    def test_classification_run(self, analysis, make_context):
        self._run(analysis, make_context(task="classification"))


# ---------------------------------------------------------------------------------------------- callbacks


def _tiny_encoder_and_readout(atom_dim: int, width: int = 8):
    """Core-only stand-ins for a callback's training run (the contract must not depend on a plugin)."""
    import torch
    from torch import nn

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.out_dim = width
            self.lin = nn.Linear(atom_dim, width)

        def forward(self, batch):
            return torch.tanh(self.lin(batch.x))

    class MeanReadout(nn.Module):
        def __init__(self):
            super().__init__()
            self.out_dim = width

        def forward(self, h, batch):
            sums = h.new_zeros(batch.num_graphs, h.size(1)).index_add(0, batch.batch, h)
            counts = torch.bincount(batch.batch, minlength=batch.num_graphs).clamp(min=1).unsqueeze(1)
            return sums / counts

    return Encoder(), MeanReadout()


class CallbackContract(ComponentContract):
    """Callbacks: ``factory(params)`` returns a Lightning ``Callback`` that survives a short molgdl training run
    (two epochs of a tiny model on the tiny molecules, validation included), writes only under the trainer's
    ``default_root_dir`` (the seed folder in ``molgdl run``), and whose ``state_dict`` (saved in checkpoints,
    loaded with ``weights_only=True``) holds plain data and loads into a fresh callback."""

    kind: ClassVar[str] = "callback"

    @pytest.fixture
    def build_callback(self, component_spec, component_params):
        def build():
            import pytorch_lightning as pl

            cb = component_spec.factory(component_params)
            assert isinstance(cb, pl.Callback), f"factory must return a lightning Callback, got {type(cb).__name__}"
            return cb

        return build

    def _fit(self, callback, root) -> None:
        import pytorch_lightning as pl
        import torch
        from torch_geometric.loader import DataLoader

        from molgdl.testing.molecules import tiny_graphs
        from molgdl.train.module import MolecularModel, PredictorModule

        torch.manual_seed(0)
        graphs = []
        for i, g in enumerate(tiny_graphs()):
            g = g.clone()
            g.y = torch.tensor([[float(g.num_nodes) + 0.1 * i]])
            g.extra = torch.zeros(1, 0)
            graphs.append(g)
        encoder, readout = _tiny_encoder_and_readout(graphs[0].x.size(1))
        model = MolecularModel(encoder, readout, 0, 1, 8, 2, 0.0)
        module = PredictorModule(model, "regression", lambda p: torch.optim.Adam(p, lr=1e-2))
        trainer = pl.Trainer(max_epochs=2, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                             enable_progress_bar=False, enable_model_summary=False, callbacks=[callback],
                             default_root_dir=str(root), log_every_n_steps=1)
        trainer.fit(module, DataLoader(graphs, batch_size=4, shuffle=True), DataLoader(graphs, batch_size=4))

    def test_survives_a_training_run_and_writes_only_under_the_run_folder(self, build_callback, tmp_path):
        root = tmp_path / "seed_0"
        root.mkdir()
        outside = sorted(p.name for p in tmp_path.iterdir())
        cwd = os.getcwd()
        os.chdir(tmp_path)
        try:
            self._fit(build_callback(), root)
        finally:
            os.chdir(cwd)
        assert sorted(p.name for p in tmp_path.iterdir()) == outside, \
            "the callback wrote outside trainer.default_root_dir (the seed folder)"

    def test_state_dict_roundtrip(self, build_callback, tmp_path):
        import torch

        cb = build_callback()
        self._fit(cb, tmp_path)
        state = cb.state_dict()
        buf = io.BytesIO()
        torch.save(state, buf)
        buf.seek(0)
        loaded = torch.load(buf, weights_only=True)  # as in a checkpoint resume
        build_callback().load_state_dict(loaded)
