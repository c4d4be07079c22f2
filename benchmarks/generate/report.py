"""Writes the ``generate`` section of BENCHMARKS.md from ``benchmarks/generate/results/*.json`` (written by
``run.py``); every number and every held / not held is computed here from the records.

    python benchmarks/generate/report.py [--results DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from common import report_main  # noqa: E402

SECTIONS = ("generate",)
QUICK = ("run.py --quick",)
RESULTS = HERE / "results"
# MOSES CharRNN, Polykovskiy et al., Front. Pharmacol. 2020, Table 2 (as quoted in issue 24)
CHARRNN = {"validity": 0.975, "unique@10000": 0.999, "novelty": 0.842}
UNGUIDED = ("random_sampling", "sample_masked", "top_p_0.95_masked", "sample_masked_backtrack",
            "top_p_0.95_masked_backtrack")
LABELS = {"random_sampling": "random (ancestral) sampling, tau = 1, no masks",
          "sample_masked": "sampling, tau = 1, grammar/valence masks, no backtracking",
          "top_p_0.95_masked": "top-p 0.95, tau = 1, masks, no backtracking",
          "sample_masked_backtrack": "sampling, tau = 1, masks + backtracking (12 retries, the default)",
          "top_p_0.95_masked_backtrack": "top-p 0.95, tau = 1, masks + backtracking (12 retries)"}


def fmt(v, digits: int = 3) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def held(ok: bool) -> str:
    return "holds" if ok else "does not hold"


def schedule(train: dict) -> str:
    """How the learning rate and the data order went, from the training log and the last section's config."""
    cfg = train["config"]["training"]
    last = cfg.get("lr_schedule", "constant")
    if last == "constant" and cfg.get("shuffle", "buffer") == "buffer":
        return (f"Adam, constant learning rate {cfg['lr']:g}; the file read in its own order through a shuffle "
                f"buffer of {cfg['shuffle_buffer']:,} rows.")
    log, section = train["log"], train.get("section") or {"step": 0}
    return (f"Adam at a constant learning rate {cfg['lr']:g} with the file in its own order (shuffle buffer of "
            f"{cfg['shuffle_buffer']:,} rows) up to step {section['step']}; from there each epoch read a "
            f"whole-file permutation (`shuffle: {cfg.get('shuffle')}`) and the learning rate decayed by a {last} "
            f"schedule to {cfg.get('lr_min', 0):g}. Held-out NLL at some checkpoints: "
            + ", ".join(f"{float(r['val_nll']):.3f} at step {r['step']}" for r in _spread(log, 8)) + ".")


def _spread(log: list[dict], k: int) -> list[dict]:
    if len(log) <= k:
        return log
    return [log[round(i * (len(log) - 1) / (k - 1))] for i in range(k)]


def seeds_sentence(results: Path, first: dict) -> list[str]:
    """The MOSES-protocol row over sampling seeds (``run.py --phase sampling_seeds``): mean, spread and the
    acceptance per seed."""
    import statistics

    more = sorted(results.glob("unguided_random_sampling_seed*.json"))
    if not more:
        return []
    recs = [first] + [json.loads(p.read_text()) for p in more]
    seeds = [0] + [r["seed"] for r in recs[1:]]
    parts = []
    for key, label, bound in (("validity", "validity", 0.95), ("unique@10000", "unique@10k", 0.99),
                              ("novelty", "novelty", 0.8)):
        values = [r["metrics"][key] for r in recs]
        parts.append(f"{label} {statistics.mean(values):.4f} ± {statistics.stdev(values):.4f} (min {min(values):.4f}; "
                     f">= {bound:g} on {sum(v >= bound for v in values)} of {len(values)} seeds)")
    return ["", f"The same row over sampling seeds {', '.join(map(str, seeds))} ({first['metrics']['n']:,} molecules "
            f"each, the same model; raw: `unguided_random_sampling_seed<s>.json`, seed 0 is the table's row): "
            + "; ".join(parts) + "."]


def render(results: Path) -> str:
    train = json.loads((results / "training.json").read_text())
    s = train["summary"]["seeds"]["0"]
    runs = {n: json.loads((results / f"unguided_{n}.json").read_text()) for n in UNGUIDED
            if (results / f"unguided_{n}.json").exists()}
    lines = ["## Molecule generation: SMILES GRU on MOSES, decoders and ESOL guidance (issue 24)", "",
             f"Commands: `{train['command']}` (training), then `python benchmarks/generate/run.py --phase training`, "
             "`--phase unguided`, `--phase sampling_seeds`, `--phase guided`, `--phase guided_full`; raw results: `benchmarks/generate/results/*.json` (one per "
             "`molgdl generate` run, with its config and metrics).", "",
             f"Machine: {train['machine']}, shared with other jobs; training in the sections above (torch threads "
             f"as each section's `training.threads`: {train['config']['training']['threads']} in the last) with a "
             f"wall-clock budget of {train['budget_minutes']:g} minutes in all. {schedule(train)} "
             f"It took {s['steps']} steps of {train['batch_size']} molecules ({s['molecules_seen']:,} molecules, "
             f"{s['molecules_seen'] / 1_584_663:.2f} epochs of MOSES train) in {s['train_seconds'] / 60:.1f} "
             f"minutes; held-out NLL {s['val_nll_per_token']:.3f} nats/token on 2,000 MOSES test molecules. "
             f"Model: {train['model']}.", "",
             "| decoder | n | validity | unique@1k | unique@10k | novelty | IntDiv | Scaf | Frag | dead ends | "
             "valid among finished | backtracked (restarted) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, rec in runs.items():
        m = rec["metrics"]
        lines.append(f"| {LABELS[name]} | {m['n']:,} | {fmt(m['validity'])} | {fmt(m.get('unique@1000'))} | "
                     f"{fmt(m.get('unique@10000'))} | {fmt(m.get('novelty'))} | {fmt(m.get('intdiv'))} | "
                     f"{fmt(m.get('scaffold_similarity'))} | {fmt(m.get('fragment_similarity'))} | "
                     f"{m.get('dead_ends', 0)} | {fmt(m['valid'] / max(m['n'] - m.get('dead_ends', 0), 1))} | "
                     + (f"{m['backtracked']} ({m['restarted']}) |" if "backtracked" in m and rec["config"].get("grammar")
                        else "- |"))
    lines.append(f"| MOSES CharRNN (published) | 30,000 | {CHARRNN['validity']} | - | {CHARRNN['unique@10000']} | "
                 f"{CHARRNN['novelty']} | - | - | - | - | - | - |")
    lines += ["", "Scaf and Frag are against the first 10,000 MOSES test molecules; novelty against all 1,584,663 "
              "MOSES train SMILES; unique@10k counts the first 10,000 *valid* molecules (all of them if fewer). "
              "Dead ends: strings where the masks rejected every token (mostly an aromatic system that does not "
              "kekulize, seen only at <eos>; with backtracking also strings cut at max_len, and counted after the "
              "retries); 'valid among finished' = valid / (n - dead ends), the masks' guarantee (a string cut at max_len that "
              "still parses is both a dead end and valid, so this ratio can pass 1 by such strings). Backtracking "
              "(docs/generate.md): strings that dead-ended and were decoded again from 2^k tokens back; "
              "'restarted': those whose retries reached the first token, i.e. drew a fresh string.", ""]
    if "random_sampling" in runs:
        m = runs["random_sampling"]["metrics"]
        checks = [("validity >= 0.95", m["validity"] >= 0.95, m["validity"]),
                  ("novelty >= 0.8", m["novelty"] >= 0.8, m["novelty"])]
        if m.get("unique@10000") is not None:
            checks.insert(1, ("unique@10k >= 0.99", m["unique@10000"] >= 0.99, m["unique@10000"]))
        lines.append("Acceptance (random sampling at tau = 1, the MOSES protocol): " + "; ".join(
            f"{name}: {v:.3f}, {held(ok)}" for name, ok, v in checks) + ".")
        lines += seeds_sentence(results, runs["random_sampling"])
    masked = [n for n in ("sample_masked_backtrack", "sample_masked") if n in runs]
    if masked:  # the default decoding (masks + backtracking) when measured, else masks alone
        m = runs[masked[0]]["metrics"]
        how = "masks and backtracking, the default" if masked[0].endswith("backtrack") else "masks"
        extra = (f" ({m['backtracked']} of {m['n']:,} strings backtracked, {m['restarted']} of them back to the "
                 "first token)" if "backtracked" in m else "")
        lines.append(f"Acceptance (SMILES with {how}, sampling at tau = 1, >= 0.98 valid): {m['validity']:.3f}, "
                     f"{held(m['validity'] >= 0.98)}{extra}.")
    lines.append("")
    lines += guided(results)
    lines += guided_full(results)
    return "\n".join(lines)


def guided_full(results: Path) -> list[str]:
    files = sorted(results.glob("guided_full_*.json"))
    recs = [json.loads(f.read_text()) for f in files]
    base = next((r for r in recs if r["lam"] == 0.0), None)
    arms = sorted((r for r in recs if r["lam"] != 0.0), key=lambda r: (r["lam"], r["tau"]))
    if base is None or not arms:
        return []
    b = base["metrics"]
    lines = ["", "Full size (the acceptance arms, masks without backtracking): unguided (`guided` with lam 0, tau 1) "
             "against the guided arms fixed in `run.py` (lam 4 and lam 6 at tau 0.7, chosen on an earlier, "
             "shorter-trained model's sweep; every arm run is listed):", "",
             "| lam | tau | n | validity | mean guide score | std | IntDiv | unique@10k | log p per molecule |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in [base, *arms]:
        m = r["metrics"]
        lines.append(f"| {r['lam']:g} | {r['tau']:g} | {m['n']:,} | {fmt(m['validity'])} | {fmt(m['guide_mean'])} | "
                     f"{fmt(m['guide_std'])} | {fmt(m['intdiv'])} | {fmt(m.get('unique@10000'))} | "
                     f"{fmt(m['mean_log_likelihood'], 1)} |")
    lines.append("")
    for r in arms:
        m = r["metrics"]
        shift = (m["guide_mean"] - b["guide_mean"]) / b["guide_std"]
        d_div = m["intdiv"] - b["intdiv"]
        ok = shift >= 1.0 and m["validity"] >= 0.9 and d_div >= -0.05
        lines.append(f"lam {r['lam']:g}, tau {r['tau']:g}: shift {shift:.2f} standard deviations of the unguided "
                     f"distribution, validity {m['validity']:.3f}, IntDiv {d_div:+.3f} against unguided. Acceptance "
                     f"(shift >= 1 std, validity >= 0.9, IntDiv no more than 0.05 below unguided, {m['n']:,} "
                     f"molecules): {held(ok)}.")
    return lines + [""]


def guided(results: Path) -> list[str]:
    files = sorted(results.glob("guided_lam*.json"))
    if not files:
        return []
    recs = {json.loads(f.read_text())["lam"]: json.loads(f.read_text()) for f in files}
    base = recs[0.0]["metrics"]
    lam, rec = max(recs.items())
    m = rec["metrics"]
    guide = recs[0.0]["config"]["guide"]["run"]
    shift = (m["guide_mean"] - base["guide_mean"]) / base["guide_std"]
    d_div = m["intdiv"] - base["intdiv"]
    lines = [f"Guided decoding (`guided`, tau = 1, masks without backtracking): the guide is the property run `{guide}` "
             f"({m['guide_target']}, maximised); its prefix value was fitted on "
             f"{m['prefix_value_samples']:,} scored samples (MSE {m['prefix_value_mse']:.3f} in units of the "
             f"score's variance).", "",
             "| lam | n | validity | mean guide score | std | IntDiv | unique@1k | log p per molecule |",
             "|---|---|---|---|---|---|---|---|"]
    for key in sorted(recs):
        g = recs[key]["metrics"]
        lines.append(f"| {key:g} | {g['n']:,} | {fmt(g['validity'])} | {fmt(g['guide_mean'])} | "
                     f"{fmt(g['guide_std'])} | {fmt(g['intdiv'])} | {fmt(g.get('unique@1000'))} | "
                     f"{fmt(g['mean_log_likelihood'], 1)} |")
    ok = shift >= 1.0 and m["validity"] >= 0.9 and d_div >= -0.05
    lines += ["", f"Shift of the mean guide score at lam = {lam:g}: {shift:.2f} standard deviations of the unguided "
              f"distribution, validity {m['validity']:.3f}, IntDiv {d_div:+.3f} against unguided. Acceptance "
              f"(shift >= 1 std at validity >= 0.9 and IntDiv no more than 0.05 below unguided, "
              f"{m['n']:,} molecules): {held(ok)}.", ""]
    sweep = m.get("sweep")
    if sweep:
        lines += [f"Trade-off over lam x tau ({recs[lam]['config']['report']['sweep']['n']} molecules per cell; "
                  "picture `benchmarks/generate/results/guided_lam" + f"{lam:g}_tradeoff.png`):", "",
                  "| lam | tau | validity | log p per token | entropy per token | IntDiv | mean guide score |",
                  "|---|---|---|---|---|---|---|"]
        for r in sweep:
            lines.append(f"| {r['lam']:g} | {r['tau']:g} | {fmt(r['validity'])} | {fmt(r['loglik_per_token'])} | "
                         f"{fmt(r['entropy_per_token'])} | {fmt(r['intdiv'])} | {fmt(r['guide_mean'])} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    return report_main(__doc__, RESULTS, "generate", render, argv)


if __name__ == "__main__":
    raise SystemExit(main())
