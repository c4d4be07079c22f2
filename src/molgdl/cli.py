"""The ``molgdl`` command line. User mistakes print a short message (what, where, fix), never a traceback."""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from molgdl.errors import MolgdlError
from molgdl.run.signals import Terminated, sigterm_interrupts

log = logging.getLogger("molgdl")


def _console():
    from rich.console import Console

    return Console(stderr=True)


def _setup_logging(verbose: bool) -> None:
    from rich.logging import RichHandler

    logger = logging.getLogger("molgdl")
    if not any(isinstance(h, RichHandler) for h in logger.handlers):
        logger.addHandler(RichHandler(console=_console(), show_path=False, show_time=False))
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False


def _plugin_switches(args: argparse.Namespace) -> dict[str, Any]:
    if getattr(args, "no_plugins", False):
        os.environ["MOLGDL_PLUGIN_AUTOLOAD"] = "0"
    return {"strict": getattr(args, "strict", False), "disabled": getattr(args, "disable_plugin", None) or []}


def _overrides(pairs: Sequence[str] | None) -> dict[str, Any]:
    import yaml

    out = {}
    for pair in pairs or ():
        if "=" not in pair:
            raise MolgdlError(f"--set expects KEY=VALUE, got {pair!r}", hint="e.g. --set trainer.max_epochs=5")
        key, value = pair.split("=", 1)
        out[key] = yaml.safe_load(value)
    return out


def cmd_validate(args: argparse.Namespace) -> int:
    from molgdl.api.configs import raw_config
    from molgdl.run.resolve import resolve_file
    from molgdl.tasks import PROPERTY_TASK, resolve_task, task_name

    raw, where = raw_config(args.config, _overrides(args.set))
    if task_name(raw, where) != PROPERTY_TASK:
        switches = _plugin_switches(args)
        task = resolve_task(raw, where=where, strict=switches["strict"], disabled=switches["disabled"])
        for w in task.warnings:
            _console().print(f"[yellow]warning:[/] {w}")
        _console().print(f"[green]ok[/]: {args.config} is valid (task {task.spec.name!r})")
        return 0
    res = resolve_file(args.config, overrides=_overrides(args.set), **_plugin_switches(args))
    for w in res.warnings:
        _console().print(f"[yellow]warning:[/] {w}")
    from molgdl.predict import is_classical
    from molgdl.run.trainer_checks import check_trainer_environment

    if not is_classical(res):
        check_trainer_environment(res.config)  # what `run` would hand to Lightning, on this machine
    built = ""
    if not args.no_build:
        from molgdl.build_checks import N_MOLECULES, check_components

        built = f", {len(check_components(res))} built and run on {N_MOLECULES} tiny molecules"
    _console().print(f"[green]ok[/]: {args.config} is valid ({len(res.params)} components resolved{built})")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from molgdl import api  # the Python API's own function: the CLI and molgdl.run cannot drift apart
    from molgdl.run.folder import is_worker_process

    switches = _plugin_switches(args)
    run = api.run(args.config, overwrite=args.overwrite, resume=args.resume, strict=switches["strict"],
                  disable_plugins=switches["disabled"], **_overrides(args.set))
    if not is_worker_process() and (run.path / "summary.json").is_file() and "task" in run.config:
        _print_task_summary(run.config["task"], run.summary)
        _console().print(f"run folder: [bold]{run.path}[/]")
    elif not is_worker_process() and (run.path / "summary.json").is_file():
        summary = run.summary
        over = f"seeds {summary['seeds']}"
        if "folds" in summary:
            over = f"{len(summary['folds'])} folds x {over}"
        _print_metrics(f"test metrics over {over} (mean ± std)", summary)
        _console().print(f"run folder: [bold]{run.path}[/]")
    return 0


def _task_command(task: str, docs: str) -> Callable[[argparse.Namespace], int]:
    """``molgdl <task> CONFIG``: ``molgdl run`` for a config whose top-level ``task`` is ``task`` (the task may come
    from a plugin); any other config is refused with what to write instead."""

    def command(args: argparse.Namespace) -> int:
        from molgdl.api.configs import raw_config
        from molgdl.errors import ConfigError
        from molgdl.tasks import task_name

        raw, where = raw_config(args.config, _overrides(args.set))
        name = task_name(raw, where)
        if name != task:
            raise ConfigError(f"molgdl {task} runs configs with `task: {task}`, but {args.config} has task {name!r}",
                              hint=f"add `task: {task}` at the top (keys: {docs}), or use `molgdl run`")
        return cmd_run(args)

    command.__name__ = f"cmd_{task}"
    return command


cmd_pretrain = _task_command("pretrain", "docs/fewshot.md")
cmd_generate = _task_command("generate", "docs/generate.md")


def cmd_tune(args: argparse.Namespace) -> int:
    from molgdl.run.resolve import resolve_file
    from molgdl.tune.pipeline import tune_pipeline

    switches = _plugin_switches(args)
    res = resolve_file(args.config, overrides=_overrides(args.set), **switches)
    out = tune_pipeline(res, overwrite=args.overwrite, resume=args.resume, plugin_switches=switches)
    r = out.result
    from rich.table import Table

    models = Table(title=f"inner {r['inner_folds']}-fold CV {r['metric']} on {r['n_tuning_molecules']} training "
                         f"molecules ({r['trials']['complete']} completed, {r['trials']['pruned']} pruned, "
                         f"{r['trials']['fail']} failed trials)")
    for col in ("model", f"best {r['metric']}", "trial", "completed trials"):
        models.add_column(col)
    for row in r["models"]:
        models.add_row(row["model"], f"{row['best_value']:.4f}", str(row["best_trial"]), str(row["completed_trials"]))
    _console().print(models)
    _console().print(f"winner: trial {r['best_trial']} {r['best_params']}", markup=False, highlight=False)
    _print_metrics(f"winner's test metrics over seeds {out.summary.get('seeds')} (mean ± std)", out.summary)
    _console().print(f"run folder: [bold]{out.run_dir}[/] (search in tune/)")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from molgdl import api

    run_dir, input_path, output = _user_paths(args.run, args.input, args.output)
    summary = api.open_run(run_dir).predict_file(input_path, output, **_stream_options(args),
                                                 coverage=args.coverage)
    _print_screen_summary("predictions", args.output, summary)
    return 0


def cmd_embed(args: argparse.Namespace) -> int:
    from molgdl import api
    from molgdl.ensemble.predict import refuse_embed
    from molgdl.predict import check_output_path, write_embeddings

    run_dir, input_path, output = _user_paths(args.run, args.input, args.output)
    if str(output).endswith(".npz"):  # one array file: written at the end, not streamed
        if args.resume or args.shard:
            raise MolgdlError("--resume and --shard stream the output, which a .npz file cannot take",
                              hint="write CSV, CSV.gz or Parquet (e.g. --output emb.parquet)")
        refuse_embed(run_dir)
        check_output_path(output)  # before any work
        out = api.open_run(run_dir).embed(input_path, device=args.device)
        write_embeddings(out, output)
        _console().print(f"wrote {len(out)} embeddings to {args.output}")
        return 0
    summary = api.open_run(run_dir).embed_file(input_path, output, **_stream_options(args))
    _print_screen_summary("embeddings", args.output, summary)
    return 0


def _stream_options(args: argparse.Namespace) -> dict[str, Any]:
    return {"chunk_size": args.chunk_size, "shard": args.shard, "resume": args.resume, "progress": not args.quiet,
            "device": args.device}


def _print_screen_summary(what: str, output: str, summary) -> None:
    """One line for the user (issue 17): rows written, failures and where they are, RDKit's messages."""
    from rich.markup import escape

    if summary.was_complete:
        _console().print(f"{escape(output)} is complete ({summary.written} {what}); nothing to resume",
                         highlight=False)
        return
    rate = summary.written / summary.seconds if summary.seconds > 0 else 0.0
    line = f"wrote {summary.written} {what} to {escape(output)} ({rate:,.0f} molecules/s"
    line += f", continued after {summary.resumed_chunks} chunks)" if summary.resumed_chunks else ")"
    if summary.failed:
        line += (f"; {summary.failed} molecule{'s' if summary.failed != 1 else ''} failed, see 'error' and "
                 f"{escape(str(summary.failures_file))}")
    if summary.log_lines:
        line += f"; {summary.log_lines} RDKit/featurization messages in {escape(str(summary.log_file))}"
    _console().print(line, highlight=False)


def cmd_merge(args: argparse.Namespace) -> int:
    from rich.markup import escape

    from molgdl.screen.merge import merge_outputs

    output, *parts = _user_paths(args.output, *args.parts)
    rows = merge_outputs(output, parts)
    _console().print(f"merged {len(parts)} shards: {rows} rows in {escape(args.output)}", highlight=False)
    return 0


def _user_paths(*paths: str) -> list[Path]:
    """Command-line paths with ``~`` expanded (the shell leaves a quoted or ``--opt=~/x`` one alone)."""
    return [Path(p).expanduser() for p in paths]


def cmd_plugins(args: argparse.Namespace) -> int:
    """Load status of every plugin and every problem found in them (molgdl.diagnose); exits 0 whatever a plugin
    does (unless --strict and a plugin fails to load)."""
    from molgdl.diagnose import diagnose
    from molgdl.plugins import autoload_enabled, create_plugin_manager

    pm = create_plugin_manager(check_hooks=False, **_plugin_switches(args))
    problems = diagnose(pm, scan_distributions=autoload_enabled())
    rows = [{"name": i.name, "distribution": i.distribution, "version": i.version, "status": i.status,
             "error": i.error, "problems": [p.message for p in problems if p.plugin == i.name]} for i in pm.infos]
    known = {i.name for i in pm.infos}
    rows += [{"name": p.plugin, "distribution": p.plugin, "version": "?", "status": "problem", "error": None,
              "problems": [p.message]} for p in problems if p.plugin not in known]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    from rich.table import Table

    table = Table(title="molgdl plugins")
    for col in ("name", "distribution", "version", "status"):
        table.add_column(col)
    for r in rows:
        status = r["status"] + (f": {r['error']}" if r["error"] else "")
        table.add_row(r["name"], r["distribution"], r["version"], status)
    from rich.console import Console

    console = Console()
    console.print(table)
    for p in problems:
        console.print(f"problem: {p.message}\n  fix: {p.hint}", markup=False, highlight=False)
    return 0


def cmd_components(args: argparse.Namespace) -> int:
    from molgdl.hookspecs import REGISTRATION_HOOKS
    from molgdl.plugins import create_plugin_manager, failed_plugins
    from molgdl.registry import Registry

    if args.kind and args.kind not in REGISTRATION_HOOKS:
        from molgdl.registry import did_you_mean

        raise MolgdlError(f"unknown kind {args.kind!r}{did_you_mean(args.kind, list(REGISTRATION_HOOKS))}",
                          hint=f"kinds: {', '.join(REGISTRATION_HOOKS)}")
    pm = create_plugin_manager(**_plugin_switches(args))
    for info in failed_plugins(pm):
        _console().print(f"[yellow]warning:[/] plugin {info.name} ({info.distribution} {info.version}) failed to load: {info.error}")
    registry = Registry(pm)
    if args.name:
        from molgdl.component_info import describe_component

        if not args.kind:
            raise MolgdlError(f"`molgdl components {args.name}` needs the kind of the component",
                              hint=f"e.g. molgdl components --kind model {args.name}")
        spec = registry.get(args.kind, args.name, where="components")
        print(describe_component(args.kind, spec, registry.provider(args.kind, args.name)))
        return 0
    data = registry.as_json()
    if args.kind:
        data = {args.kind: data[args.kind]}
    if args.json:
        print(json.dumps(data, indent=2, default=str))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title="molgdl components")
    for col in ("kind", "name", "summary", "provider"):
        table.add_column(col)
    for kind, items in data.items():
        for it in items:
            table.add_row(kind, it["name"], it["summary"], it["provider"])
    Console(width=160).print(table)
    return 0


def cmd_new_plugin(args: argparse.Namespace) -> int:
    from molgdl.scaffold import KINDS, created_files, generate_plugin, plugin_names

    dest = generate_plugin(args.name, args.kind, Path(args.output_dir), description=args.description,
                           check_installed=not args.no_check)
    names = plugin_names(args.name)
    from rich.console import Console

    from rich.markup import escape

    console = Console()
    console.print(f"created [bold]{escape(str(dest))}[/]: {args.kind} [bold]{names.component}[/] "
                  f"({KINDS[args.kind].summary}), entry point {names.entry_point} = {names.package}.hooks")
    for rel in created_files(dest):
        console.print(f"  {rel}", markup=False, highlight=False)
    console.print(f"next: cd {dest} && pip install -e '.[test]' && python -m pytest", markup=False, highlight=False)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="molgdl", description="molecular geometric deep learning")
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument("--traceback", action="store_true", help="show the full traceback of errors")
    sub = p.add_subparsers(dest="command", required=True)

    def plugin_opts(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--strict", action="store_true", help="a plugin that fails to load is an error")
        sp.add_argument("--disable-plugin", action="append", metavar="NAME", help="skip this entry point (repeatable)")
        sp.add_argument("--no-plugins", action="store_true", help="load no entry-point plugins")

    def run_like(sp: argparse.ArgumentParser, func: Callable[[argparse.Namespace], int], resume_help: str) -> None:
        """The arguments of `molgdl run` and of the commands that are `run` for one task."""
        sp.add_argument("config")
        sp.add_argument("--overwrite", action="store_true", help="replace an existing run folder")
        sp.add_argument("--resume", action="store_true", help=resume_help)
        sp.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config value")
        plugin_opts(sp)
        sp.set_defaults(func=func)

    run_like(sub.add_parser("run", help="train and evaluate from a YAML config"), cmd_run,
             "continue an interrupted run from its last checkpoint")

    run_like(sub.add_parser("pretrain", help="pretrain an encoder on a molecule library (a config with task: "
                                             "pretrain); fine-tune from it with `pretrained: {from: RUN}`"),
             cmd_pretrain, "continue from the last checkpoint (and data row)")

    sp = sub.add_parser("tune", help="search the config's tune.space by inner CV on the training split, "
                                      "then train the winner")
    sp.add_argument("config")
    sp.add_argument("--overwrite", action="store_true", help="replace an existing run folder")
    sp.add_argument("--resume", action="store_true", help="continue a killed study (<run>/tune/study.db)")
    sp.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config value")
    plugin_opts(sp)
    sp.set_defaults(func=cmd_tune)

    run_like(sub.add_parser("generate", help="generate molecules with a language model and a decoder (a config "
                                             "with task: generate; docs/generate.md)"),
             cmd_generate, "continue an interrupted run")

    sp = sub.add_parser("validate", help="check a config without running it")
    sp.add_argument("config")
    sp.add_argument("--set", action="append", metavar="KEY=VALUE")
    sp.add_argument("--no-build", action="store_true",
                    help="only check names and parameters; do not build the components and run a tiny batch")
    plugin_opts(sp)
    sp.set_defaults(func=cmd_validate)

    for name, func, helptext in (("predict", cmd_predict, "predict new molecules with a trained run"),
                                 ("embed", cmd_embed, "write learned molecule representations")):
        sp = sub.add_parser(name, help=helptext)
        sp.add_argument("--run", required=True, help="run folder written by `molgdl run`")
        sp.add_argument("--input", required=True, help="CSV(.gz) with a SMILES column, SMI, SDF or Parquet")
        sp.add_argument("--output", required=True, help="CSV, CSV.gz or Parquet, written chunk by chunk"
                        + (" (or .npz, written at the end)" if name == "embed" else ""))
        sp.add_argument("--chunk-size", type=int, default=10_000, metavar="N",
                        help="molecules read, featurized and written at a time (default 10000)")
        sp.add_argument("--resume", action="store_true",
                        help="continue a killed job from its last completed chunk (<output>.progress.json)")
        sp.add_argument("--shard", metavar="K/N", help="score only part K of N of the input (1 <= K <= N); "
                        "join the parts with `molgdl merge` (docs/screening.md)")
        sp.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
        sp.add_argument("--device", default="auto", metavar="DEVICE",
                        help="where the models run: auto (a CUDA GPU when there is one, else the CPU), cpu, cuda, "
                             "cuda:N or mps; several GPUs: one --shard job per GPU (docs/screening.md)")
        if name == "predict":  # uncertainty runs (docs/uncertainty.md)
            sp.add_argument("--coverage", type=float, default=None,
                            help="nominal coverage of <target>_lower/_upper for a run with uncertainty "
                                 "(default: the run's uncertainty.coverage)")
        sp.set_defaults(func=func)

    sp = sub.add_parser("merge", help="join the outputs of `--shard K/N` predict or embed jobs in input order")
    sp.add_argument("output", help="merged file (CSV, CSV.gz or Parquet, as the parts)")
    sp.add_argument("parts", nargs="+", help="the --output files of shards 1/N .. N/N, in any order")
    sp.set_defaults(func=cmd_merge)

    sp = sub.add_parser("plugins", help="list installed plugins")
    sp.add_argument("--json", action="store_true")
    plugin_opts(sp)
    sp.set_defaults(func=cmd_plugins)

    sp = sub.add_parser("components", help="list registered components, or show one component's parameters")
    sp.add_argument("--kind")
    sp.add_argument("name", nargs="?", help="a component of --kind: show its parameters (types, defaults, docs)")
    sp.add_argument("--json", action="store_true")
    plugin_opts(sp)
    sp.set_defaults(func=cmd_components)

    from molgdl.scaffold import KIND_NAMES

    sp = sub.add_parser("new-plugin", help="generate a third-party plugin package (component, contract tests, CI)")
    sp.add_argument("name", help="e.g. my-encoder -> package molgdl-my-encoder, component my_encoder")
    sp.add_argument("--kind", choices=KIND_NAMES, default="model", help="component kind (default: model)")
    sp.add_argument("-o", "--output-dir", default=".", help="folder in which molgdl-NAME/ is created")
    sp.add_argument("--description", help="one line for pyproject.toml and the README")
    sp.add_argument("--no-check", action="store_true",
                    help="skip the check that no installed plugin registers a component of that name")
    sp.set_defaults(func=cmd_new_plugin)
    return p


def _traceback_anywhere(parser: argparse.ArgumentParser) -> None:
    """``--traceback`` is accepted after the subcommand too (``molgdl run c.yaml --traceback``)."""
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        for sp in action.choices.values():
            sp.add_argument("--traceback", action="store_true", default=argparse.SUPPRESS,
                            help="show the full traceback of errors")


def _print_task_summary(task: str, summary: dict) -> None:
    """A task run's test metrics (``summary["test"]``, flattened to dotted keys) as a table."""
    from rich.table import Table

    from molgdl.run.identity import flatten

    table = Table(title=f"task {task}: test metrics")
    for col in ("metric", "value"):
        table.add_column(col)
    for key, value in flatten(summary.get("test") or {}).items():
        table.add_row(key, f"{value:.6g}" if isinstance(value, float) else str(value))
    _console().print(table)


def _print_metrics(title: str, summary: dict) -> None:
    """The summary's metrics as a table (target, metric, mean ± std) on the console."""
    from rich.table import Table

    from molgdl.run.summary import summary_rows

    table = Table(title=title)
    for col in ("target", "metric", "value"):
        table.add_column(col)
    for row in summary_rows(summary):
        table.add_row(*row)
    _console().print(table)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    _traceback_anywhere(parser)
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    try:
        with sigterm_interrupts():
            return int(args.func(args) or 0)
    except MolgdlError as exc:
        if args.traceback:
            raise
        from rich.markup import escape

        _console().print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        return 2
    except KeyboardInterrupt as exc:
        what = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        if args.command in ("run", "tune", "pretrain"):
            _console().print(f"[bold red]{what}[/]: resume with `molgdl {args.command} CONFIG --resume`")
        elif args.command in ("predict", "embed"):  # streamed: the completed chunks are kept
            _console().print(f"[bold red]{what}[/]: `molgdl {args.command}` stopped after its last completed "
                             "chunk; continue it with the same command and --resume")
        else:
            _console().print(f"[bold red]{what}[/]: `molgdl {args.command}` stopped; run it again")
        return 128 + signal.SIGTERM if isinstance(exc, Terminated) else 130
    except OSError as exc:  # a full disk is not a bug: say which file and how to go on
        if args.traceback or exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        from rich.markup import escape

        resume = f", then continue with `molgdl {args.command} CONFIG --resume`" if args.command in (
            "run", "tune") else ", then run the command again"
        _console().print(f"[bold red]error:[/] could not write {escape(str(exc.filename or 'a file'))}: "
                         f"{escape(exc.strerror or str(exc))}\n  fix: free space on that disk (df -h) or point "
                         f"run.output_dir at another disk{resume}", highlight=False)
        return 2


if __name__ == "__main__":
    sys.exit(main())
