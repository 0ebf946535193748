#!/usr/bin/env python3
"""Tuning benchmark: the full demo's comparison (finetune, btuning, kd, multikd over
3 seeds on the built-in zoo), then a B-Tuning sweep (lambda x projection) on two
students, written to benchmarks/tuning/RESULTS.md.

Usage (from the repository root, after `swift build -c release`):
    python3 benchmarks/tuning/run.py [--cache-dir DIR] [--seeds 0,1,2]
Only the standard library is needed; the work is done by the `hubminer` binary.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def binary():
    out = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    return str(Path(out) / "hubminer")


def best_last(run_dir):
    r = json.loads((Path(run_dir) / "result.json").read_text())
    return r["best"]["top1"], r["last"]["top1"]


def spread(xs):
    if not xs:
        return "-"
    m = statistics.mean(xs)
    if len(xs) == 1:
        return f"{100 * m:.1f}"
    return f"{100 * m:.1f} ± {100 * statistics.stdev(xs):.1f}"


def tune(hubminer, hub, data, student, method, out, seed, options=(), teachers=()):
    if not (Path(out) / "result.json").exists():
        cmd = [hubminer, "tune", "--hub", str(hub), "--data", str(data), "--target", student, "--method", method,
               "--epochs", "30", "--lr", "0.01", "--seed", str(seed), "--out", str(out), "--quiet", "--format", "json"]
        for o in options:
            cmd += ["--option", o]
        for t in teachers:
            cmd += ["--teacher", t]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return best_last(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache-dir", default=str(ROOT / ".build" / "benchmark-cache"))
    ap.add_argument("--seeds", default="0,1,2")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    hubminer = binary()
    cache = Path(args.cache_dir)

    start = time.time()
    demo = subprocess.run([hubminer, "demo", "--cache-dir", str(cache), "--quiet"], capture_output=True, text=True, check=True)
    demo_seconds = time.time() - start
    report = next(l for l in demo.stdout.splitlines() if l.startswith("Report: "))[len("Report: "):]
    run = Path(report).parent
    info = json.loads((run / "run.json").read_text())
    config = info["config"]
    zoo = Path(info["hub"]).parent
    data = zoo / "target"
    ranking = json.loads((run / "ranking.json").read_text())
    by_logme = [m["name"] for m in sorted(ranking["models"], key=lambda m: -m["score"])]
    truth = json.loads((run / "ground_truth.json").read_text())["models"]

    lines = ["# Tuning benchmark", "",
             f"Measured by `python3 benchmarks/tuning/run.py` on {time.strftime('%Y-%m-%d')}, 2 cores, CPU only, "
             f"release build. The full demo (zoo build, extraction, ranking with 13 metrics, {len(by_logme)} ground-truth "
             f"fine-tunings, evaluation, {len(config['methods'])} methods x {len(config['seeds'])} seeds, report) took "
             f"{demo_seconds:.0f} s; its timings by stage are in the run's `run.json`.", "",
             "Every run: 30 epochs, SGD (Nesterov, momentum 0.9, weight decay 5e-4), learning rate 0.01 for the new head "
             "and 0.001 for the backbone, cosine schedule, batch 32, no augmentation; top-1 on the target's 1000-image "
             "test split at the best epoch and at the last, mean ± sample std over seeds (percent).", "",
             "## The demo's comparison", "",
             f"Student `{config['student']}` (the median model by LogME; fine-tuned alone it is the ground truth's "
             f"{truth[config['student']] * 100:.1f}%). `btuning`: the top-3 zoo models by LogME as teachers "
             f"({', '.join(config['teachers'])}), K = 3, t = 0.1, lambda = 100. `kd`: the top model by LogME after "
             "fine-tuning on the target, T = 4, 0.1 CE + 0.9 KD. `multikd`: the same three teachers fine-tuned, uniform "
             "weights, T = 4.", "",
             "| method | best top-1 | last top-1 | vs finetune (best) |", "|---|---|---|---|"]
    base = None
    for method in config["methods"]:
        results = [best_last(run / "tuning" / method / f"seed-{s}") for s in config["seeds"]]
        best = [b for b, _ in results]
        if method == "finetune":
            base = statistics.mean(best)
        gain = "" if method == "finetune" else f"{100 * (statistics.mean(best) - base):+.1f}"
        lines.append(f"| {method} | {spread(best)} | {spread([l for _, l in results])} | {gain} |")

    # B-Tuning sweep: lambda x projection, on the demo's student and on the runner-up.
    sweep = run / "benchmark-sweep"
    students = [config["student"], by_logme[1]]
    lines += ["", "## B-Tuning: lambda and the projection", "",
              "Same setting; `frozen` keeps the student's LogME posterior mean m_s fixed (the paper's loss), "
              "`learnable` starts from m_s and trains it (the remedy for a degenerate m_s).", "",
              "| student | finetune | " + " | ".join(f"lambda {lam} {proj}" for lam in (1, 10, 100) for proj in ("frozen", "learnable")) + " |",
              "|---|---|" + "---|" * 6]
    for student in students:
        cells = []
        ft = [tune(hubminer, zoo / "hub", data, student, "finetune", sweep / student / "finetune" / f"seed-{s}", s)[0] for s in seeds]
        for lam in (1, 10, 100):
            for proj in ("frozen", "learnable"):
                accs = [tune(hubminer, zoo / "hub", data, student, "btuning", sweep / student / f"bt-{lam}-{proj}" / f"seed-{s}", s,
                             options=[f"lambda={lam}", f"projection={proj}"])[0] for s in seeds]
                cells.append(spread(accs))
        lines.append(f"| {student} ({100 * truth[student]:.1f} ground truth) | {spread(ft)} | " + " | ".join(cells) + " |")
    lines += ["", f"Total benchmark time: {time.time() - start:.0f} s.", ""]
    out = ROOT / "benchmarks" / "tuning" / "RESULTS.md"
    existing = out.read_text() if out.exists() else ""
    notes = existing[existing.index("## Reading"):] if "## Reading" in existing else ""
    out.write_text("\n".join(lines) + ("\n" + notes if notes else ""))
    print(out.read_text())


if __name__ == "__main__":
    sys.exit(main())
