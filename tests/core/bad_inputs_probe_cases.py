"""The probe of issue 19: bad inputs and faults a new user tries, each with the exact message it must give.

A case is data: an id, what is wrong, a short example, how to set it up (a config change, a file, a command)
and the expected exit code. The messages live in ``bad_inputs_probe_messages.json`` (``<tmp>`` for the test
folder); ``test_bad_inputs_probe.py`` runs every case through the CLI and compares, and renders the table of
``docs/bad_inputs.md`` (section "Probe") from the cases and messages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from core_helpers import csv_source, good_rows, tiny_config, write_config, write_csv

MESSAGES_FILE = Path(__file__).with_name("bad_inputs_probe_messages.json")


@dataclass(frozen=True)
class Case:
    id: str
    bad: str  # what is wrong, in words
    example: str  # a short example of it (markdown code)
    setup: Callable[[Path], list[str]]  # writes the files, returns the CLI arguments
    code: int = 2  # expected exit code
    happens: str = "exit 2, nothing run"
    extract: Callable[[Path, str, str], str] | None = None  # the user-visible message when not the error line
    group: str = "config"
    tags: tuple[str, ...] = field(default_factory=tuple)


def messages() -> dict[str, str]:
    return json.loads(MESSAGES_FILE.read_text()) if MESSAGES_FILE.exists() else {}


# ---------------------------------------------------------------- builders


def _config(tmp: Path, mutate: Callable[[dict[str, Any]], None] | None = None, **over: Any) -> Path:
    cfg = tiny_config(tmp, **over)
    if mutate is not None:
        mutate(cfg)
    return write_config(tmp / "cfg.yaml", cfg)


def validate(mutate: Callable[[dict[str, Any]], None] | None = None, *extra: str, **over: Any):
    """``molgdl validate --no-build`` on the tiny config changed by ``mutate`` / ``over``."""
    return lambda tmp: ["validate", "--no-build", _config(tmp, mutate, **over), *extra]


def run(mutate: Callable[[dict[str, Any]], None] | None = None, *extra: str, **over: Any):
    return lambda tmp: ["run", _config(tmp, mutate, **over), *extra]


def raw_yaml(text: str, command: str = "validate"):
    def setup(tmp: Path) -> list[str]:
        (tmp / "cfg.yaml").write_text(text)
        return [command, *(["--no-build"] if command == "validate" else []), tmp / "cfg.yaml"]
    return setup


def raw_bytes(data: bytes):
    def setup(tmp: Path) -> list[str]:
        (tmp / "cfg.yaml").write_bytes(data)
        return ["validate", "--no-build", tmp / "cfg.yaml"]
    return setup


def tiny_yaml() -> str:
    return yaml.safe_dump(tiny_config(Path("/TMP")), sort_keys=False)


def setv(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set a dotted key of the config (``trainer.precision``)."""
    def mutate(cfg: dict[str, Any]) -> None:
        node = cfg
        parts = path.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return mutate


def csv_run(text: str, *extra: str, name: str = "d.csv", params: dict[str, Any] | None = None,
            data: dict[str, Any] | None = None, **over: Any):
    """``molgdl run`` on a CSV file with ``text`` (written as is) and csv source ``params``."""
    def setup(tmp: Path) -> list[str]:
        path = tmp / name
        path.write_text(text)
        source = csv_source(path, **(params or {}))
        return ["run", _config(tmp, data={"source": source, **(data or {})}, **over), *extra]
    return setup


def csv_lines(rows: list[tuple[Any, ...]], header: tuple[str, ...] = ("smiles", "y")) -> str:
    return "\n".join([",".join(header)] + [",".join(str(v) for v in r) for r in rows]) + "\n"


def rows_with(bad: dict[int, tuple[Any, ...]], n: int = 20) -> str:
    rows: list[tuple[Any, ...]] = list(good_rows(n))
    for i, r in bad.items():
        rows[i] = r
    return csv_lines(rows)


def split_file_run(content: Any, n: int = 40):
    def setup(tmp: Path) -> list[str]:
        data = write_csv(tmp / "d.csv", good_rows(n))
        split = tmp / "split.json"
        split.write_text(content if isinstance(content, str) else json.dumps(content))
        return ["run", _config(tmp, data={"source": csv_source(data)}, split={"name": "file", "path": str(split)})]
    return setup


BAD_ROWS = {1: None, 5: None, 9: None}  # three of twenty rows: over data.max_invalid_fraction (5%)


def three_bad(row: tuple[Any, ...]) -> str:
    return rows_with({i: row for i in BAD_ROWS})


FAILED = "exit 2, status `failed`, `invalid_rows.csv` lists the rows"


def predict(input_text: str | None, *, command: str = "predict", output: str = "p.csv",
            damage: Callable[[Path], None] | None = None, input_name: str = "new.csv"):
    """``molgdl predict`` (or embed) with the trained run copied to ``<tmp>/trained``."""
    def setup(tmp: Path) -> list[str]:
        if input_text is not None:
            (tmp / input_name).write_text(input_text)
        if damage is not None:
            damage(tmp / "trained")
        return [command, "--run", tmp / "trained", "--input", tmp / input_name, "--output", tmp / output]
    return setup


def _unlink(rel: str) -> Callable[[Path], None]:
    return lambda run: (run / rel).unlink()


def _overwrite(rel: str, data: bytes) -> Callable[[Path], None]:
    return lambda run: (run / rel).write_bytes(data)


def _drop(*keys: str) -> Callable[[dict[str, Any]], None]:
    def mutate(cfg: dict[str, Any]) -> None:
        for k in keys:
            node = cfg
            parts = k.split(".")
            for p in parts[:-1]:
                node = node[p]
            del node[parts[-1]]
    return mutate


def _dup_yaml(section: str) -> str:
    text = tiny_yaml()
    return text + f"{section}:\n  max_epochs: 2\n"


CASES: list[Case] = [
    # ------------------------------------------------ Lightning options, seeds, monitor (deliverable 5)
    Case("accelerator_typo", "Unknown accelerator", "`trainer.accelerator: gpus`", validate(setv("trainer.accelerator", "gpus"))),
    Case("accelerator_unknown", "Accelerator name Lightning lacks", "`trainer.accelerator: npu`", validate(setv("trainer.accelerator", "npu"))),
    Case("accelerator_absent", "Accelerator this machine lacks", "`trainer.accelerator: tpu` on a CPU machine", validate(setv("trainer.accelerator", "tpu"))),
    Case("precision_typo", "Unknown precision", "`trainer.precision: fp16`", validate(setv("trainer.precision", "fp16"))),
    Case("precision_word", "Precision as a word", "`trainer.precision: half`", validate(setv("trainer.precision", "half"))),
    Case("precision_number", "Precision as a YAML number", "`trainer.precision: 16`", validate(setv("trainer.precision", 16))),
    Case("strategy_typo", "Unknown strategy", "`trainer.strategy: dpp`", validate(setv("trainer.strategy", "dpp"))),
    Case("strategy_needs_gpu", "Strategy that needs a GPU", "`trainer.strategy: fsdp` with `accelerator: cpu`", validate(setv("trainer.strategy", "fsdp"))),
    Case("devices_zero", "Zero devices", "`trainer.devices: 0`", validate(setv("trainer.devices", 0))),
    Case("devices_negative", "Negative devices", "`trainer.devices: -2`", validate(setv("trainer.devices", -2))),
    Case("devices_word", "Devices as a word", "`trainer.devices: two`", validate(setv("trainer.devices", "two"))),
    Case("devices_float", "Devices as a fraction", "`trainer.devices: 1.5`", validate(setv("trainer.devices", 1.5))),
    Case("num_nodes_zero", "Zero nodes", "`trainer.num_nodes: 0`", validate(setv("trainer.num_nodes", 0))),
    Case("seed_negative", "Negative seed", "`run.seeds: [-1]`", validate(setv("run.seeds", [-1]))),
    Case("seed_too_large", "Seed beyond 2**32 - 1", "`run.seeds: [4294967296]`", validate(setv("run.seeds", [2**32]))),
    Case("seeds_empty", "No seed", "`run.seeds: []`", validate(setv("run.seeds", []))),
    Case("seeds_not_a_list", "Seeds as a string", "`run.seeds: '0,1'`", validate(setv("run.seeds", "0,1"))),
    Case("seed_float", "Fractional seed", "`run.seeds: [0.5]`", validate(setv("run.seeds", [0.5]))),
    Case("monitor_typo", "Early-stopping monitor not logged (typo)", "`trainer.early_stopping: {monitor: val_loss}`", validate(setv("trainer.early_stopping", {"monitor": "val_loss"}))),
    Case("monitor_unlogged", "Early-stopping monitor that is no logged metric", "`monitor: val/rmse`", validate(setv("trainer.early_stopping", {"monitor": "val/rmse"}))),
    Case("monitor_forces_without_forces", "Force metric monitored without force training", "`monitor: val/force_mae`, `loss.force_weight: 0`", validate(setv("trainer.early_stopping", {"monitor": "val/force_mae"}))),
    Case("patience_zero", "Zero patience", "`trainer.early_stopping: {patience: 0}`", validate(setv("trainer.early_stopping", {"patience": 0}))),
    Case("early_stopping_number", "Early stopping as a number", "`trainer.early_stopping: 10`", validate(setv("trainer.early_stopping", 10))),
    Case("set_accelerator", "Bad accelerator given with --set", "`--set trainer.accelerator=cuda0`", validate(None, "--set", "trainer.accelerator=cuda0")),
    Case("monitor_at_run", "Unlogged monitor at `molgdl run` (not only validate)", "`monitor: val/acc`", run(setv("trainer.early_stopping", {"monitor": "val/acc"})), happens="exit 2 before the run folder is created"),
    Case("precision_at_run", "Unknown precision at `molgdl run`", "`trainer.precision: float16`", run(setv("trainer.precision", "float16")), happens="exit 2 before the run folder is created"),
    # ------------------------------------------------ trainer and other core keys
    Case("max_epochs_zero", "Zero epochs", "`trainer.max_epochs: 0`", validate(setv("trainer.max_epochs", 0))),
    Case("max_epochs_word", "Epochs as a word", "`trainer.max_epochs: ten`", validate(setv("trainer.max_epochs", "ten"))),
    Case("batch_size_negative", "Negative batch size", "`trainer.batch_size: -8`", validate(setv("trainer.batch_size", -8))),
    Case("max_time_zero", "Zero time limit", "`trainer.max_time_minutes: 0`", validate(setv("trainer.max_time_minutes", 0))),
    Case("clip_word", "Gradient clip as a word", "`trainer.gradient_clip_val: high`", validate(setv("trainer.gradient_clip_val", "high"))),
    Case("loader_workers_negative", "Negative loader workers", "`trainer.loader_workers: -1`", validate(setv("trainer.loader_workers", -1))),
    Case("num_threads_zero", "Zero threads", "`trainer.num_threads: 0`", validate(setv("trainer.num_threads", 0))),
    Case("deterministic_word", "Boolean as a word", "`trainer.deterministic: maybe`", validate(setv("trainer.deterministic", "maybe"))),
    Case("head_dropout_one", "Dropout of 1", "`head.dropout: 1.0`", validate(setv("head.dropout", 1.0))),
    Case("head_layers_zero", "Zero head layers", "`head.num_layers: 0`", validate(setv("head.num_layers", 0))),
    Case("head_hidden_list", "Head width as a list", "`head.hidden_dim: [64, 32]`", validate(setv("head.hidden_dim", [64, 32]))),
    Case("max_invalid_over_one", "Invalid fraction above 1", "`data.max_invalid_fraction: 5`", validate(setv("data.max_invalid_fraction", 5))),
    Case("max_invalid_percent", "Invalid fraction as a percent string", "`data.max_invalid_fraction: 5%`", validate(setv("data.max_invalid_fraction", "5%"))),
    Case("num_workers_word", "Featurization workers as a word", "`data.num_workers: many`", validate(setv("data.num_workers", "many"))),
    Case("force_weight_negative", "Negative force weight", "`loss.force_weight: -1`", validate(setv("loss.force_weight", -1))),
    Case("descriptor_scaling_unknown", "Unknown descriptor scaling", "`scaling.descriptors: zscore`", validate(setv("scaling.descriptors", "zscore"))),
    Case("element_shift_string", "Element shift as a string", "`scaling.element_shift: U0`", validate(setv("scaling.element_shift", "U0"))),
    Case("plugins_unknown_key", "Unknown key under plugins", "`plugins: {enable: [x]}`", validate(setv("plugins", {"enable": ["x"]}))),
    Case("top_level_typo", "Misspelled section", "`training:` instead of `trainer:`", validate(lambda c: c.update(training=c.pop("trainer")))),
    Case("missing_data", "No data section", "config without `data:`", validate(_drop("data"))),
    Case("missing_model", "No model", "config without `model:`", validate(_drop("model"))),
    Case("model_without_name", "Component without a name", "`model: {hidden_dim: 32}`", validate(setv("model", {"hidden_dim": 32}))),
    Case("model_as_string", "Component as a plain string", "`model: dmpnn`", validate(setv("model", "dmpnn"))),
    Case("descriptors_mapping", "Descriptors as a mapping", "`descriptors: {name: morgan}`", validate(setv("descriptors", {"name": "morgan"}))),
    Case("source_without_name", "Data source without a name", "`data.source: {path: d.csv}`", validate(setv("data.source", {"path": "d.csv"}))),
    # ------------------------------------------------ component names and parameters
    Case("optimizer_unknown", "Unknown optimizer", "`optimizer: {name: adamw2}`", validate(setv("optimizer", {"name": "adamw2"}))),
    Case("readout_unknown", "Unknown readout", "`readout: {name: avg}`", validate(setv("readout", {"name": "avg"}))),
    Case("scheduler_unknown", "Unknown scheduler", "`scheduler: {name: cosine_annealing}`", validate(setv("scheduler", {"name": "cosine_annealing"}))),
    Case("callback_unknown", "Unknown callback", "`callbacks: [{name: early_stop}]`", validate(setv("callbacks", [{"name": "early_stop"}]))),
    Case("analysis_unknown", "Unknown analysis", "`analyses: [{name: pca}]`", validate(setv("analyses", [{"name": "pca"}]))),
    Case("featurizer_param_typo", "Misspelled featurizer parameter", "`featurizer: {name: conformer3d, n_conformer: 3}`", validate(setv("featurizer", {"name": "conformer3d", "n_conformer": 3}))),
    Case("conformer_time_limit_zero", "Zero conformer time limit", "`featurizer: {name: conformer3d, time_limit_seconds: 0}`", validate(setv("featurizer", {"name": "conformer3d", "time_limit_seconds": 0}))),
    Case("conformers_zero", "Zero conformers", "`featurizer: {name: conformer3d, n_conformers: 0}`", validate(setv("featurizer", {"name": "conformer3d", "n_conformers": 0}))),
    Case("optimizer_lr_word", "Learning rate as a word", "`optimizer: {name: adam, lr: fast}`", validate(setv("optimizer", {"name": "adam", "lr": "fast"}))),
    Case("optimizer_lr_negative", "Negative learning rate", "`optimizer: {name: adam, lr: -0.001}`", validate(setv("optimizer", {"name": "adam", "lr": -0.001}))),
    Case("model_depth_zero", "Zero message-passing depth", "`model: {name: dmpnn, depth: 0}`", validate(setv("model", {"name": "dmpnn", "depth": 0}))),
    Case("split_sizes_negative", "Negative split fraction", "`split: {name: random, sizes: [1.2, -0.1, -0.1]}`", validate(setv("split", {"name": "random", "sizes": [1.2, -0.1, -0.1]}))),
    Case("split_sizes_two", "Two split fractions", "`split: {name: random, sizes: [0.8, 0.2]}`", validate(setv("split", {"name": "random", "sizes": [0.8, 0.2]}))),
    Case("split_file_without_path", "File split without a path", "`split: {name: file}`", validate(setv("split", {"name": "file"}))),
    Case("csv_without_targets", "CSV source without target columns", "`source: {name: csv, path: d.csv}`", validate(setv("data.source", {"name": "csv", "path": "d.csv"}))),
    Case("csv_task_unknown", "Unknown task", "`source: {..., task: regresion}`", validate(setv("data.source", {"name": "csv", "path": "d.csv", "target_columns": ["y"], "task": "regresion"}))),
    Case("csv_targets_string", "Target columns as a string", "`target_columns: y`", validate(setv("data.source", {"name": "csv", "path": "d.csv", "target_columns": "y"}))),
    # ------------------------------------------------ the YAML file itself (deliverable 4)
    Case("yaml_duplicate_section", "Duplicate YAML section", "two `trainer:` sections", raw_yaml(_dup_yaml("trainer"))),
    Case("yaml_duplicate_key", "Duplicate key inside a section", "`model: {name: dmpnn, name: gine}`", raw_yaml(tiny_yaml().replace("  name: dmpnn\n", "  name: dmpnn\n  name: gine\n"))),
    Case("yaml_tab_indent", "Tab indentation", "a tab before `max_epochs:`", raw_yaml(tiny_yaml().replace("  max_epochs: 1", "\tmax_epochs: 1"))),
    Case("yaml_unclosed_bracket", "Unclosed flow mapping", "`model: {name: dmpnn`", raw_yaml("model: {name: dmpnn\ndata: {source: {name: esol}}\n")),
    Case("yaml_top_level_list", "Top level is a list", "`- data: ...`", raw_yaml("- data: {source: {name: esol}}\n")),
    Case("yaml_empty", "Empty config file", "0-byte `cfg.yaml`", raw_yaml("")),
    Case("yaml_not_utf8", "Config that is not UTF-8 text", "Latin-1 bytes", raw_bytes("model: {name: dmpnn}\n# r\xe9sum\xe9\n".encode("latin-1"))),
    Case("yaml_plain_text", "A text file, not a config", "`just some notes`", raw_yaml("just some notes\n")),
    Case("config_is_a_folder", "Config path is a folder", "`molgdl validate configs/`", lambda tmp: (tmp / "configs").mkdir() or ["validate", tmp / "configs"]),
    Case("set_without_equals", "`--set` without `=`", "`--set trainer.max_epochs`", validate(None, "--set", "trainer.max_epochs")),
    Case("set_unknown_key", "`--set` of an unknown key", "`--set trainer.epochs=3`", validate(None, "--set", "trainer.epochs=3")),
    Case("set_bad_value", "`--set` with a wrong type", "`--set trainer.max_epochs=abc`", validate(None, "--set", "trainer.max_epochs=abc")),
    Case("set_into_a_value", "`--set` below a plain value", "`--set trainer.max_epochs.x=3`", validate(None, "--set", "trainer.max_epochs.x=3")),
    Case("set_empty_part", "`--set` with an empty key part", "`--set trainer..x=3`", validate(None, "--set", "trainer..x=3")),
    # ------------------------------------------------ data files (deliverable 4 and 6)
    Case("target_overflow", "Targets beyond float32 (1e300)", "3 of 20 rows with `y = 1e300`", csv_run(three_bad(("CCO", "1e300"))), happens=FAILED, group="data"),
    Case("target_inf", "Infinite targets", "3 of 20 rows with `y = inf`", csv_run(three_bad(("CCO", "inf"))), happens=FAILED, group="data"),
    Case("target_minus_inf", "Negative infinite targets", "3 of 20 rows with `y = -Infinity`", csv_run(three_bad(("CCO", "-Infinity"))), happens=FAILED, group="data"),
    Case("target_overflow_negative", "Targets below -float32 max", "3 of 20 rows with `y = -4e38`", csv_run(three_bad(("CCO", "-4e38"))), happens=FAILED, group="data"),
    Case("smiles_inner_space", "SMILES with an inner space", "3 of 20 rows `CC O`", csv_run(three_bad(("CC O", 1.0))), happens=FAILED, group="data"),
    Case("smiles_inner_tab", "SMILES with a tab", "3 of 20 rows `CC\\tO`", csv_run(three_bad(("CC\tO", 1.0))), happens=FAILED, group="data"),
    Case("smiles_with_name", "SMILES followed by a name", "3 of 20 rows `CCO ethanol`", csv_run(three_bad(("CCO ethanol", 1.0))), happens=FAILED, group="data"),
    Case("csv_duplicate_target_column", "Duplicate CSV column", "header `smiles,y,y`", csv_run(csv_lines([(s, y, y) for s, y in good_rows(10)], ("smiles", "y", "y"))), happens="exit 2, status `failed`", group="data"),
    Case("csv_duplicate_smiles_column", "Duplicate SMILES column", "header `smiles,smiles,y`", csv_run(csv_lines([(s, s, y) for s, y in good_rows(10)], ("smiles", "smiles", "y"))), happens="exit 2, status `failed`", group="data"),
    Case("target_named_split", "Target column named `split`", "`target_columns: [split]`", csv_run(csv_lines(good_rows(10), ("smiles", "split")), params={"target_columns": ["split"]}), happens="exit 2, status `failed`", group="data"),
    Case("target_named_id", "Target column named `id`", "`target_columns: [id]`", csv_run(csv_lines(good_rows(10), ("smiles", "id")), params={"target_columns": ["id"]}), happens="exit 2, status `failed`", group="data"),
    Case("target_named_like_prediction", "Target named like another's prediction column", "`target_columns: [y, y_pred]`", csv_run(csv_lines([(s, y, y) for s, y in good_rows(10)], ("smiles", "y", "y_pred")), params={"target_columns": ["y", "y_pred"]}), happens="exit 2, status `failed`", group="data"),
    Case("target_listed_twice", "Target listed twice", "`target_columns: [y, y]`", csv_run(csv_lines(good_rows(10)), params={"target_columns": ["y", "y"]})),
    Case("csv_semicolons", "Semicolon-separated file", "`smiles;y`", csv_run("smiles;y\nCCO;1.0\nCCC;2.0\n"), happens="exit 2, status `failed`", group="data"),
    Case("csv_binary", "A binary file as CSV", "gzip bytes in `d.csv`", lambda tmp: (tmp / "d.csv").write_bytes(b"\x1f\x8b\x08\x00\xff\xfe\x00\x00" * 8) and ["run", _config(tmp, data={"source": csv_source(tmp / "d.csv")})], happens="exit 2, status `failed`", group="data"),
    Case("csv_is_a_folder", "Data path is a folder", "`path: data/`", lambda tmp: (tmp / "data").mkdir() or ["run", _config(tmp, data={"source": csv_source(tmp / "data")})], happens="exit 2, status `failed`", group="data"),
    Case("csv_all_smiles_empty", "Every SMILES empty", "`smiles` column blank", csv_run(csv_lines([("", y) for _, y in good_rows(10)])), happens="exit 2, status `failed`", group="data"),
    Case("csv_labels_minus_one", "Classification labels -1/1", "`task: classification`, labels -1 and 1", csv_run(csv_lines([(s, (-1) ** i) for i, (s, _) in enumerate(good_rows(10))]), params={"task": "classification"}), happens="exit 2, status `failed`", group="data"),
    Case("classification_one_class", "Classification target with one class", "`task: classification`, every label 0", csv_run(csv_lines([(s, 0) for s, _ in good_rows(20)]), params={"task": "classification"}), happens="exit 2, status `failed` (it used to complete with NaN ROC-AUC)", group="data"),
    Case("csv_missing_id_column", "Missing id column", "`id_column: name`", csv_run(csv_lines(good_rows(10)), params={"id_column": "name"}), happens="exit 2, status `failed`", group="data"),
    Case("csv_missing_split_column", "Missing split column", "`split_column: fold`", csv_run(csv_lines(good_rows(10)), params={"split_column": "fold"}), happens="exit 2, status `failed`", group="data"),
    Case("csv_only_spaces", "Header of spaces only", "a file holding `   `", csv_run("   \n"), happens="exit 2, status `failed`", group="data"),
    Case("cache_dir_is_a_file", "`data.cache_dir` is a file", "`cache_dir: notes.txt`", lambda tmp: (tmp / "notes.txt").write_text("x") and ["run", _config(tmp, data={"cache_dir": str(tmp / "notes.txt")})], code=0, happens="run completes without the cache; warning on the console and in run.log", extract=lambda tmp, out, err: next(ln.split("WARNING", 1)[1].strip() for ln in (tmp / "runs" / "t" / "run.log").read_text().splitlines() if "cache entry not written" in ln), group="data"),
    # ------------------------------------------------ split files (deliverable 4)
    Case("split_file_foreign_rows", "Split file of a bigger dataset", "`split.json` naming rows up to 999 for a 40-row file", split_file_run({"train": list(range(0, 800)), "val": list(range(800, 900)), "test": list(range(900, 1000))}), happens="exit 2, status `failed`", group="split"),
    Case("split_file_too_few", "Split file that leaves most molecules out", "`split.json` with 10 of 40 rows", split_file_run({"train": list(range(6)), "val": [6, 7], "test": [8, 9]}), happens="exit 2, status `failed`", group="split"),
    Case("split_file_negative_rows", "Split file with negative rows", "`train: [-1, ...]`", split_file_run({"train": [-1] + list(range(30)), "val": list(range(30, 35)), "test": list(range(35, 40))}), happens="exit 2, status `failed`", group="split"),
    Case("split_file_not_json", "Split file that is not JSON", "`train: 1,2,3`", split_file_run("train: 1,2,3"), happens="exit 2, status `failed`", group="split"),
    Case("split_file_missing_keys", "Split file without `val`", '`{"train": [...], "test": [...]}`', split_file_run({"train": list(range(30)), "test": list(range(30, 40))}), happens="exit 2, status `failed`", group="split"),
    Case("split_file_missing", "Split file that does not exist", "`split: {name: file, path: nope.json}`", lambda tmp: ["run", _config(tmp, split={"name": "file", "path": str(tmp / "nope.json")})], happens="exit 2, status `failed`", group="split"),
    # ------------------------------------------------ predict and embed inputs (a trained run copied per case)
    Case("predict_input_missing", "Predict input that does not exist", "`--input nope.csv`", predict(None, input_name="nope.csv"), group="predict", happens="exit 2, nothing written"),
    Case("predict_input_empty", "Empty predict input", "0-byte `new.csv`", predict(""), group="predict", happens="exit 2, nothing written"),
    Case("predict_no_smiles_column", "Predict input without a SMILES column", "header `molecule,y`", predict("molecule,y\nCCO,1\n"), group="predict", happens="exit 2, nothing written"),
    Case("predict_inner_space", "Predict SMILES with an inner space", "`CC O` among valid SMILES", predict("smiles\nCCO\nCC O\nc1ccccc1\n"), code=0, group="predict", happens="predictions written; the row has no prediction and this `error`", extract=lambda tmp, out, err: __import__("pandas").read_csv(tmp / "p.csv")["error"].fillna("").tolist()[1]),
    Case("predict_output_folder_missing", "Predict output in a folder that does not exist", "`--output out/p.csv`", predict("smiles\nCCO\n", output="out/p.csv"), group="predict", happens="exit 2, nothing written"),
    Case("predict_output_is_a_folder", "Predict output is a folder", "`--output results/`", lambda tmp: (tmp / "results").mkdir() or predict("smiles\nCCO\n", output="results")(tmp), group="predict", happens="exit 2, nothing written"),
    Case("predict_input_is_a_folder", "Predict input is a folder", "`--input inputs/`", lambda tmp: (tmp / "inputs").mkdir() or predict(None, input_name="inputs")(tmp), group="predict", happens="exit 2, nothing written"),
    Case("predict_model_missing", "Run folder without model.pt", "`seed_0/model.pt` deleted", predict("smiles\nCCO\n", damage=_unlink("seed_0/model.pt")), group="predict", happens="exit 2, nothing written"),
    Case("predict_model_garbage", "Damaged model.pt", "`seed_0/model.pt` overwritten with text", predict("smiles\nCCO\n", damage=_overwrite("seed_0/model.pt", b"not a model")), group="predict", happens="exit 2, nothing written"),
    Case("predict_config_missing", "Run folder without config.yaml", "`config.yaml` deleted", predict("smiles\nCCO\n", damage=_unlink("config.yaml")), group="predict", happens="exit 2, nothing written"),
    Case("predict_config_garbage", "Damaged config.yaml in the run", "`config.yaml` overwritten with `: :`", predict("smiles\nCCO\n", damage=_overwrite("config.yaml", b"model: [\n")), group="predict", happens="exit 2, nothing written"),
    Case("predict_binary_input", "Binary predict input", "gzip bytes in `new.csv`", lambda tmp: (tmp / "new.csv").write_bytes(b"\x1f\x8b\x08\x00\xff\xfe\x00\x00" * 8) and predict(None)(tmp), group="predict", happens="exit 2, nothing written"),
    Case("predict_header_only", "Predict input with a header only", "`smiles` and no rows", predict("smiles\n"), group="predict", happens="exit 2, nothing written"),
    Case("predict_blank_lines", "Predict input of blank lines", "`smiles` then empty lines", predict("smiles\n\n\n"), group="predict", happens="exit 2, nothing written"),
    Case("predict_duplicate_smiles_column", "Predict input with two SMILES columns", "header `smiles,smiles`", predict("smiles,smiles\nCCO,CCC\n"), group="predict", happens="exit 2, nothing written"),
    Case("embed_header_only", "Embed input with a header only", "`molgdl embed`, `smiles` and no rows", predict("smiles\n", command="embed"), group="predict", happens="exit 2, nothing written"),
    Case("embed_nothing_featurizable", "Embed input where no molecule parses", "`molgdl embed` on `C1CC` and an empty cell", predict("smiles,x\nC1CC,1\n,2\n", command="embed"), group="predict", happens="exit 2, nothing written"),
    Case("embed_input_missing", "Embed input that does not exist", "`molgdl embed --input nope.csv`", predict(None, command="embed", input_name="nope.csv"), group="predict", happens="exit 2, nothing written"),
    Case("embed_output_folder_missing", "Embed output in a folder that does not exist", "`--output out/e.csv`", predict("smiles\nCCO\n", command="embed", output="out/e.csv"), group="predict", happens="exit 2, nothing written"),
]
