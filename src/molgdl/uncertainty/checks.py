"""Static checks of an ``uncertainty:`` section against the rest of the config (before anything heavy runs), and
the task check once the data is loaded."""

from __future__ import annotations

from molgdl.errors import ConfigError


def check_uncertainty(config, registry, params: dict) -> None:
    """``config``: RunConfig, ``params``: validated params by key path (``molgdl.config.validate_components``)."""
    unc = config.uncertainty
    plan = registry.get("uncertainty", unc.estimator.name).factory(params["uncertainty.estimator"])
    est = f"uncertainty.estimator {unc.estimator.name!r}"
    if config.ensemble is not None:
        raise ConfigError("uncertainty: and ensemble: cannot be combined yet: a stacked ensemble's members each "
                          "train their own way", hint="remove one of the two sections")
    if config.loss.force_weight > 0:
        raise ConfigError(f"{est} with loss.force_weight > 0: uncertainty of force-trained energies is not "
                          "supported", hint="set loss.force_weight: 0 or remove the uncertainty section")
    if plan.needs_dropout and config.head.dropout == 0:
        raise ConfigError(f"{est} samples dropout masks, but head.dropout is 0",
                          hint="set head.dropout, e.g. head: {dropout: 0.1}")
    if plan.snapshots is not None and config.trainer.early_stopping is not None:
        raise ConfigError(f"{est} keeps weight snapshots at set epochs of the schedule, which early stopping "
                          "would cut short", hint="set trainer: {early_stopping: null}")
    calibrator = registry.get("calibrator", unc.calibrator.name).factory(params["uncertainty.calibrator"])
    if getattr(calibrator, "needs_members", False) and not plan.cv_folds:
        raise ConfigError(f"uncertainty.calibrator {unc.calibrator.name!r} needs out-of-fold residuals from an "
                          f"ensemble trained on folds of the training split, but the estimator is {est}",
                          hint="use uncertainty: {estimator: {name: ensemble, members: 5, cv_folds: true}}")
    if plan.optimizers and config.optimizer.name not in plan.optimizers:
        raise ConfigError(f"{est} samples the posterior with a Langevin optimizer, but optimizer is "
                          f"{config.optimizer.name!r}", hint=f"use one of {list(plan.optimizers)}")


def check_task(config, registry, task: str) -> None:
    """The estimator and calibrator must suit the data's task (regression or classification)."""
    unc = config.uncertainty
    for kind, ref in (("uncertainty", unc.estimator), ("calibrator", unc.calibrator)):
        spec = registry.get(kind, ref.name)
        if kind == "uncertainty":
            from molgdl.config.load import validate_params

            tasks = spec.factory(validate_params(spec, ref, "uncertainty.estimator")).tasks
        else:
            tasks = (getattr(spec.factory(None), "task", "any"),)
        if "any" not in tasks and task not in tasks:
            key = "estimator" if kind == "uncertainty" else "calibrator"
            hint = ("use ensemble or mc_dropout" if kind == "uncertainty" else
                    "use platt, isotonic_probability or none" if task == "classification" else
                    "use zscaling, isotonic, conformal or none")
            raise ConfigError(f"uncertainty.{key} {ref.name!r} is for {' or '.join(tasks)} data, but the targets "
                              f"are {task}", hint=hint)
