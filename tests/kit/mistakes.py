"""The catalogue of plugin-author mistakes: each breaks ``plugin_fixture``'s working plugin in one way, names the
command that must report it, and the exact message (``test_plugin_mistakes.py`` runs every one).

``docs/plugin-mistakes.md`` is generated from this catalogue (``python tests/kit/mistakes.py > docs/plugin-mistakes.md``);
``test_plugin_mistakes.py::test_mistakes_page_is_generated_from_the_catalogue`` fails when it drifts.
Locations are written ``<file:marker>``: the file of ``my_plugin`` and the line on which ``marker`` occurs in the
broken file (resolved to an absolute path in tests, to ``my_plugin/<file>`` in the docs).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from plugin_fixture import FILES, PACKAGE, broken  # noqa: E402

P = "plugin my_plugin (molgdl-my-plugin 0.1.0)"
OFF = "; or run without the plugin: MOLGDL_DISABLE_PLUGINS=my_plugin"  # added to every registration fix
READOUT = 'return [ReadoutSpec("my_pool", "mean of the atoms", build_pool, PoolParams)]'


@dataclass(frozen=True)
class Mistake:
    id: str
    title: str
    changes: tuple[tuple[str, str, str], ...]  # (file, old, new) in my_plugin
    command: str  # "validate" (exit 2), "run" (exit 2) or "plugins" (exit 0, a "problem:" line)
    expected: str

    def files(self) -> dict[str, str]:
        return broken(FILES, [(_rel(f), old, new) for f, old, new in self.changes])


def _rel(name: str) -> str:
    return name if name == "entry_points.txt" else f"{PACKAGE}/{name}"


MISTAKES: tuple[Mistake, ...] = (
    Mistake("one_spec", "A registration hook returns one spec instead of a list",
            (("hooks.py", READOUT, READOUT.replace("[", "", 1)[:-1]),), "validate",
            f"{P}: hook molgdl_readouts (<hooks.py:def molgdl_readouts>) returned a single ReadoutSpec, not a list "
            "of specs\n  fix: return a list: return [ReadoutSpec(...)]" + OFF),
    Mistake("dict", "A registration hook returns a dict of specs",
            (("hooks.py", READOUT, 'return {"my_pool": ' + READOUT[8:-1] + "}"),), "validate",
            f"{P}: hook molgdl_readouts (<hooks.py:def molgdl_readouts>) returned a dict, not a list of specs\n"
            "  fix: return a list of molgdl.specs.ReadoutSpec objects: return [ReadoutSpec(...), ...]" + OFF),
    Mistake("hook_raises", "A registration hook that raises",
            (("hooks.py", "def molgdl_readouts():\n", "def molgdl_readouts():\n    import my_plugin.pools\n\n"),),
            "validate",
            f"{P}: hook molgdl_readouts (<hooks.py:def molgdl_readouts>) raised ModuleNotFoundError: No module named "
            "'my_plugin.pools'\n  fix: registration hooks only build specs: import heavy modules inside the factory, "
            "not in the hook" + OFF),
    Mistake("factory_signature", "A factory with the wrong arguments",
            (("components.py", "def build_pool(params, in_dim):", "def build_pool(params):"),), "validate",
            f"{P}: readout 'my_pool' factory build_pool(params) (<components.py:def build_pool>) cannot be called "
            "as factory(params, in_dim)\n  fix: define it as `def build_pool(params, in_dim)` (the arguments of a "
            "readout factory, docs/plugins.md)" + OFF),
    Mistake("params_instance", "Params given as an instance instead of the class",
            (("hooks.py", "build_pool, PoolParams)]", "build_pool, PoolParams())]"),), "validate",
            f"{P}: readout 'my_pool' from hook molgdl_readouts (<hooks.py:def molgdl_readouts>) gives params as an "
            "instance of PoolParams, not the class\n  fix: pass the class itself: params=PoolParams" + OFF),
    Mistake("bad_family", "A model family that does not exist",
            (("hooks.py", 'family="encoder"', 'family="graph"'),), "validate",
            f"{P}: model 'my_encoder' from hook molgdl_models (<hooks.py:def molgdl_models>) has family 'graph'; "
            "expected one of 'encoder', 'classical'\n  fix: family='encoder' for a graph encoder (nn.Module), "
            "family='classical' for a scikit-learn model" + OFF),
    Mistake("params_not_molgdl", "A params class that is a plain pydantic model",
            (("params.py", "from molgdl.specs import Params", "from pydantic import BaseModel as Params"),), "validate",
            f"{P}: readout 'my_pool' params class PoolParams (<params.py:class PoolParams>) is a pydantic BaseModel "
            "but not a molgdl.specs.Params, so misspelled config keys would be accepted silently\n  fix: derive it "
            "from molgdl.specs.Params: class PoolParams(Params)" + OFF),
    Mistake("twice", "One plugin registers a name twice",
            (("hooks.py", READOUT, READOUT[:-1] + ',\n            ReadoutSpec("my_pool", "max of the atoms", '
              "build_pool, PoolParams)]"),), "validate",
            f"{P} registers the readout 'my_pool' twice, in hook molgdl_readouts (<hooks.py:def molgdl_readouts>)\n"
            "  fix: give each component its own name, or return it from one hook only" + OFF),
    Mistake("no_out_dim", "A readout without out_dim",
            (("modules.py", "self.out_dim = out_dim", "self.width = out_dim"),), "validate",
            f"{P}: readout 'my_pool' module Pool has no out_dim (<modules.py:class Pool>); expected an int "
            "attribute out_dim >= 1 (the width of its output)\n  fix: set self.out_dim = <output width> in __init__"),
    Mistake("returns_none", "A factory that returns None",
            (("components.py", "    return Pool(in_dim, params.out_dim)", "    Pool(in_dim, params.out_dim)"),),
            "validate",
            f"{P}: readout 'my_pool' factory returned None (<components.py:def build_pool>); expected the readout "
            "object\n  fix: return the object you built (a missing `return`?)"),
    Mistake("readout_shape", "A readout that returns one row per atom instead of one per molecule",
            (("modules.py", 'return self.lin(scatter(h, batch.batch, dim=0, dim_size=batch.num_graphs, '
              'reduce="mean"))', "return self.lin(h)"),), "validate",
            f"{P}: readout 'my_pool' forward returned shape [8, 8] for a batch of 4 molecules with 8 atoms "
            "(<modules.py:def forward(self, h, batch)>); expected a float tensor of shape [4, out_dim=8], one "
            "finite row per molecule\n  fix: pool the atoms of each molecule with batch.batch"),
    Mistake("descriptor_length", "A descriptor that returns fewer values than names",
            (("components.py", 'names = ["n_atoms", "z_sum"]', 'names = ["n_atoms", "z_sum", "charge"]'),),
            "validate",
            f"{P}: descriptor 'my_desc' compute returned 2 values for 'C' (<components.py:def compute>); expected "
            "one value per name, 3\n  fix: make compute() and names agree"),
    Mistake("featurizer_bug", "A featurizer bug (an exception other than FeaturizationError)",
            (("components.py", "return self.inner.featurize(record)",
              'return self.inner.featurize(record)[: self.options["conformers"]]'),), "validate",
            f"{P}: featurizer 'my_feat' featurize raised KeyError: 'conformers' on 'C' "
            "(<components.py:self.options[\"conformers\"]>); expected a list of Data, or FeaturizationError for a "
            "molecule it cannot handle\n  fix: fix the bug, or raise molgdl.errors.FeaturizationError"),
    Mistake("lifecycle_raises", "A lifecycle hook that raises",
            (("hooks.py", "metrics['val/loss']", "metrics['val/mae']"),), "run",
            f"{P}: hook molgdl_epoch_end raised KeyError: 'val/mae' (at <hooks.py:val/mae>)\n  fix: fix the "
            "plugin's molgdl_epoch_end (full traceback in run.log), or disable it with "
            "MOLGDL_DISABLE_PLUGINS=my_plugin"),
    Mistake("group_typo", "A typo in the entry-point group",
            (("entry_points.txt", "[molgdl]", "[molgdl.plugins]"),), "plugins",
            "distribution molgdl-my-plugin 0.1.0 looks like a molgdl plugin but has no entry point in group "
            "'molgdl'; its entry-point groups are 'molgdl.plugins', so molgdl never loads it\n  fix: in its "
            'pyproject.toml: [project.entry-points.molgdl] then `<name> = "<package>.hooks"`, and reinstall'),
    Mistake("no_hookimpl", "A hook without @hookimpl",
            (("hooks.py", "@hookimpl\ndef molgdl_readouts", "def molgdl_readouts"),), "plugins",
            f"{P}: function molgdl_readouts (<hooks.py:def molgdl_readouts>) is not decorated with @hookimpl, so "
            "molgdl never calls it\n  fix: decorate it: `from molgdl import hookimpl` then `@hookimpl` above the def"),
    Mistake("hook_typo", "A misspelled hook name",
            (("hooks.py", "def molgdl_readouts", "def molgdl_readout"),), "plugins",
            f"{P} implements an unknown hook 'molgdl_readout' (<hooks.py:def molgdl_readout>) (did you mean "
            "'molgdl_readouts'?)\n  fix: rename it to a hook of docs/plugins.md (hooks start with 'molgdl_'); "
            "`molgdl plugins` lists every hook problem"),
)

COMMANDS = {"validate": "molgdl validate tiny.yaml", "run": "molgdl run tiny.yaml", "plugins": "molgdl plugins"}


def resolve_locations(text: str, files: dict[str, str], prefix: str) -> str:
    """``<file:marker>`` -> ``<prefix>my_plugin/<file>:<line of marker>``."""

    def sub(m: re.Match) -> str:
        rel = _rel(m.group(1))
        lines = [i for i, line in enumerate(files[rel].splitlines(), 1) if m.group(2) in line]
        assert len(lines) == 1, f"marker {m.group(2)!r} is on lines {lines} of {rel}"
        return f"{prefix}{rel}:{lines[0]}"

    return re.sub(r"<([\w.]+\.py):([^>]+)>", sub, text)


def shown_output(m: Mistake, prefix: str) -> str:
    text = resolve_locations(m.expected, m.files(), prefix)
    return ("problem: " if m.command == "plugins" else "error: ") + text


def render_markdown() -> str:
    out = ["# Common plugin mistakes", "",
           "Generated from `tests/kit/mistakes.py` (`python tests/kit/mistakes.py > docs/plugin-mistakes.md`);",
           "every entry is a test that breaks a small working plugin (`tests/kit/plugin_fixture.py`, package",
           "`my_plugin`, distribution `molgdl-my-plugin`) in one way and checks the exact message below.",
           "Registration mistakes and output mistakes that need no data are reported by `molgdl validate`,",
           "before any training; `molgdl plugins` lists the mistakes that make a plugin or a hook vanish and",
           "never fails itself.", ""]
    for m in MISTAKES:
        out += [f"## {m.title}", "", f"Test `{m.id}`. The change to `my_plugin`:", ""]
        for f, old, new in m.changes:
            where = f if f == "entry_points.txt" else f"my_plugin/{f}"
            out += ["```diff", f"# {where}", *[f"- {line}" for line in old.splitlines()],
                    *[f"+ {line}" for line in new.splitlines()], "```", ""]
        out += ["```console", f"$ {COMMANDS[m.command]}", shown_output(m, ""), "```", ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(render_markdown(), end="")
