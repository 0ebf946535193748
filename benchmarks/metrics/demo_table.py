#!/usr/bin/env python3
"""Every metric's weighted tau, with its bootstrap interval, on the full demo's zoo.

    hubminer demo --full --seed S --run-dir RUN_S        # for each zoo seed S
    python3 benchmarks/metrics/demo_table.py HUBMINER RUN_0 [RUN_1 ...] > table.md

For each demo run directory it calls `hubminer evaluate --scores RUN/ranking.json
--truth RUN/ground_truth.csv --truth-column top1 --format json` (1000 model-pool
bootstrap resamples, seed 0, 95% percentile intervals), and with several runs also
the multi-task `evaluate` (each metric's mean rank and win rate across the zoos).
It prints the Markdown table of docs/metrics/README.md: one row per metric, best
mean weighted tau first, each zoo's tau with its interval, the range of the tau
with each model left out once, the weighted Pearson correlation and the top-1
regret (in the truth's units: top-1 accuracy).
"""
import json
import subprocess
import sys


def evaluate(hubminer, runs):
    args = [hubminer, "evaluate", "--truth-column", "top1", "--format", "json"]
    for run in runs:
        args += ["--scores", f"{run}/ranking.json", "--truth", f"{run}/ground_truth.csv"]
    if len(runs) == 1:
        args += ["--resamples", "1000", "--seed", "0"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def fmt(x, digits=2):
    return "n/a" if x is None else f"{x:+.{digits}f}" if digits == 2 else f"{x:.{digits}f}"


def main():
    hubminer, runs = sys.argv[1], sys.argv[2:]
    per_run = [evaluate(hubminer, [run]) for run in runs]
    names = sorted({name for r in per_run for name in r["metrics"]})

    def mean_tau(name):
        taus = [r["metrics"][name]["weighted_tau"] for r in per_run if name in r["metrics"]]
        taus = [t for t in taus if t is not None]
        return sum(taus) / len(taus) if taus else float("-inf")

    names.sort(key=lambda n: (-mean_tau(n), n))
    multi = {}
    if len(runs) > 1:
        summary = evaluate(hubminer, runs)["summary"]
        multi = {e["name"]: e for e in summary["entries"]}
    header = ["metric"] + [f"zoo seed {i}: weighted τ [95% CI]" for i in range(len(runs))]
    header += ["leave-one-model-out τ (min, max)", "weighted Pearson", "top-1 regret"]
    if multi:
        header += ["mean τ", "mean rank", "win rate"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in names:
        cells = [f"`{name}`"]
        regrets, loo, pearson = [], [], []
        for r in per_run:
            q = r["metrics"].get(name)
            u = (r.get("uncertainty") or {}).get(name)
            if q is None:
                cells.append("not run")
                regrets.append("-")
                loo.append("-")
                pearson.append("-")
                continue
            tau = q["weighted_tau"]
            if u and u["weighted_tau"].get("lower") is not None:
                cells.append(f"{fmt(tau)} [{fmt(u['weighted_tau']['lower'])}, {fmt(u['weighted_tau']['upper'])}]")
            else:
                cells.append(fmt(tau))
            regrets.append(f"{q['regret_top1']:.3f}")
            loo.append(f"{fmt(u.get('leave_one_out_min'))}, {fmt(u.get('leave_one_out_max'))}" if u else "-")
            pearson.append(fmt(u.get("weighted_pearson")) if u else "-")
        cells += [" / ".join(loo), " / ".join(pearson), " / ".join(regrets)]
        if multi:
            e = multi.get(name, {})
            rate = e.get("win_rate")
            cells += [fmt(e.get("mean_weighted_tau")), fmt(e.get("mean_rank"), 1), "n/a" if rate is None else f"{rate:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
