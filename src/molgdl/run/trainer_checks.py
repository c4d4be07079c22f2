"""Checks of the settings that only Lightning, numpy or the training loop would reject, run by ``molgdl validate``
and before a run creates anything: accelerator, precision, strategy, devices, seeds and the early-stopping monitor.

``check_trainer`` is static (no heavy import); ``check_trainer_environment`` builds a throwaway
``pytorch_lightning.Trainer`` with the same options, so that what this machine cannot do (a GPU that is not
there, a precision the accelerator lacks) is reported as a config error, not as a traceback during the run.
"""

from __future__ import annotations

import difflib
import logging

from molgdl.config.schema import RunConfig
from molgdl.errors import ConfigError

ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps", "tpu")
PRECISIONS = ("32-true", "32", "64-true", "64", "16-mixed", "16", "bf16-mixed", "bf16", "16-true", "bf16-true",
              "transformer-engine", "transformer-engine-float16")
STRATEGIES = ("auto", "ddp", "ddp_spawn", "ddp_fork", "ddp_notebook", "ddp_find_unused_parameters_true",
              "ddp_find_unused_parameters_false", "ddp_spawn_find_unused_parameters_true",
              "ddp_spawn_find_unused_parameters_false", "ddp_fork_find_unused_parameters_true",
              "ddp_fork_find_unused_parameters_false", "ddp_notebook_find_unused_parameters_true",
              "ddp_notebook_find_unused_parameters_false", "deepspeed", "deepspeed_stage_1", "deepspeed_stage_2",
              "deepspeed_stage_2_offload", "deepspeed_stage_3", "deepspeed_stage_3_offload",
              "deepspeed_stage_3_offload_nvme", "fsdp", "fsdp_cpu_offload", "single_device", "single_xla", "xla")
SEED_MAX = 2**32 - 1  # numpy's and Lightning's seed range is 0 .. 2**32 - 1
HINT = "see configs/tutorial.yaml for every key with comments"


def _choice(path: str, value: str, valid: tuple[str, ...], what: str) -> str | None:
    if value in valid:
        return None
    close = difflib.get_close_matches(value, valid, n=1, cutoff=0.5)
    mean = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{path}: {value!r} is not a {what}{mean}; valid: {', '.join(valid)}"


def logged_metrics(config: RunConfig) -> list[str]:
    """Metrics the training loop logs every epoch (an early-stopping monitor must be one of them)."""
    names = ["val/loss", "train/loss"]
    if config.loss.force_weight > 0:
        names += ["val/energy_mse", "val/force_mae"]
    return names


def trainer_problems(config: RunConfig) -> list[str]:
    t = config.trainer
    problems = [
        _choice("trainer.accelerator", t.accelerator, ACCELERATORS, "Lightning accelerator"),
        _choice("trainer.precision", t.precision, PRECISIONS, "Lightning precision"),
        _choice("trainer.strategy", t.strategy, STRATEGIES, "Lightning strategy"),
    ]
    problems.append(_devices_problem(t.devices))
    for i, seed in enumerate(config.run.seeds):
        if not 0 <= seed <= SEED_MAX:
            problems.append(f"run.seeds[{i}]: seed {seed} is out of range; seeds go from 0 to {SEED_MAX}")
    if t.early_stopping is not None:
        monitor = t.early_stopping.monitor
        logged = logged_metrics(config)
        if monitor not in logged and not monitor.startswith(("val/aux_", "optim/")):
            close = difflib.get_close_matches(monitor, logged, n=1, cutoff=0.5)
            mean = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"trainer.early_stopping.monitor: {monitor!r} is not a metric the run logs{mean}; "
                            f"logged every epoch: {', '.join(logged)} (and val/aux_<name>, optim/<key> when a "
                            "readout or optimizer reports them)")
    return [p for p in problems if p]


def _devices_problem(devices: int | str) -> str | None:
    path = "trainer.devices"
    if isinstance(devices, int):
        if devices >= 1 or devices == -1:
            return None
        return f"{path}: {devices} devices; use a number >= 1, -1 (all devices) or 'auto'"
    text = devices.strip()
    if text in ("auto", "-1"):
        return None
    parts = [p.strip() for p in text.strip("[]").split(",") if p.strip()]
    if parts and all(p.isdigit() for p in parts):
        return None
    return (f"{path}: {devices!r} is neither a number of devices nor a list of device indices; "
            "use e.g. 1, -1 (all), 'auto' or '0,1'")


def check_trainer(config: RunConfig) -> None:
    problems = trainer_problems(config)
    if problems:
        raise ConfigError("invalid config:\n  " + "\n  ".join(problems), hint=HINT)


def check_trainer_environment(config: RunConfig) -> None:
    """Build (and drop) a Lightning Trainer with the config's options on this machine."""
    check_trainer(config)
    t = config.trainer
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)  # Lightning's "GPU available: ..." lines belong to the run, not to a check
    try:
        import pytorch_lightning as pl

        pl.Trainer(accelerator=t.accelerator, devices=t.devices, strategy=t.strategy, num_nodes=t.num_nodes,
                   precision=t.precision, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                   enable_model_summary=False, max_epochs=1)
    except Exception as exc:  # noqa: BLE001 - Lightning raises MisconfigurationException, ValueError, ...
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(
            f"invalid config: trainer settings accelerator={t.accelerator!r}, devices={t.devices!r}, "
            f"strategy={t.strategy!r}, precision={t.precision!r}, num_nodes={t.num_nodes} cannot run on this "
            f"machine: {msg}",
            hint="use trainer.accelerator: cpu (or auto) and devices: 1 where there is no GPU; see the Lightning "
                 "Trainer documentation for valid combinations") from None
    finally:
        logging.disable(previous)
