#!/usr/bin/env python3
"""A small sweep of relsim's triplet weight (beta) and margin on the quick zoo,
selected on the validation split only, then the chosen setting's test top-1 reported
once over 3 seeds. Written to benchmarks/distillation/RELSIM_SWEEP.md.

The grid runs one seed (0) and reads only each run's `result.json` (validation top-1
at the best epoch, chosen by `tune` on the validation split); the test split is not
opened for any grid cell. Selection rule, fixed before the runs: highest validation
top-1; ties broken by the higher validation top-5 at that epoch, then by the smaller
beta, then the smaller margin. The chosen setting is then trained at seeds 0, 1, 2 and
each exported best-epoch model is scored once on the test split, beside fine-tuning
and relsim at its defaults from run.py's main table (same work folder, same epochs).

Usage (from the repository root, after `swift build -c release`):
    python3 benchmarks/distillation/sweep_relsim.py --bin .build/release [--epochs 8] [--workers 2] [--demo-run DIR]
Runs already on disk are reused, so an interrupted sweep resumes.
"""
import argparse
import itertools
import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (the benchmark's own helpers: tune, spread, binary_dir)

BETAS = [0.01, 0.1, 1.0]
MARGINS = [0.03, 0.1, 0.3]
PREVIOUS = (1.0, 0.1)  # relsim's defaults before this sweep (the main table's first relsim rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=None)
    ap.add_argument("--cache-dir", default=str(run.ROOT / ".build" / "benchmark-cache"))
    ap.add_argument("--work", default=str(run.ROOT / ".build" / "benchmark-distillation"))
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--demo-run", default=None, help="an existing `demo --quick` run folder (see run.py)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seeds", default="0,1,2")
    args = ap.parse_args()
    run.EPOCHS_SETTING[0] = args.epochs
    bindir = run.binary_dir(args.bin)
    work = Path(args.work)
    seeds = [int(s) for s in args.seeds.split(",")]
    start = time.time()

    demo = run.demo_run(bindir, args.cache_dir, args.demo_run)
    info = json.loads((demo / "run.json").read_text())
    zoo = Path(info["hub"]).parent
    data, hub = zoo / "target", demo / "teacher_hub"
    student = info["config"]["student"]
    teachers = [f"{t}-target" for t in info["config"]["teachers"]]

    def cell_dir(beta, margin, seed):
        return work / "relsim-sweep" / f"beta-{beta:g}-margin-{margin:g}" / f"seed-{seed}"

    def options(beta, margin):
        return (f"beta={beta:g}", f"margin={margin:g}")

    # 1. The grid, seed 0, validation only.
    grid = list(itertools.product(BETAS, MARGINS))

    def validate(cell):
        beta, margin = cell
        out = cell_dir(beta, margin, 0)
        val, seconds, _ = run.tune(bindir, hub, data, student, "relsim", out, 0, teachers, options(beta, margin),
                                   score_test=False)
        top5 = json.loads((out / "result.json").read_text())["best"]["top5"]
        print(f"grid beta {beta:g} margin {margin:g}: val top-1 {val:.3f} top-5 {top5:.3f} ({seconds:.0f} s)", flush=True)
        return cell, val, top5, seconds

    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        cells = list(pool.map(validate, grid))
    chosen = sorted(cells, key=lambda c: (-c[1], -c[2], c[0][0], c[0][1]))[0][0]
    print(f"chosen on validation: beta {chosen[0]:g} margin {chosen[1]:g}", flush=True)

    # 2. The chosen setting at every seed, scored once on test; fine-tuning and the
    # defaults from the main table beside it.
    def final(job):
        label, method, names, opts, out, seed = job
        val, seconds, test = run.tune(bindir, hub, data, student, method, out, seed, names, opts)
        return label, val, test, seconds

    jobs = []
    for seed in seeds:
        jobs.append(("finetune", "finetune", (), (), work / "quick" / "finetune" / f"seed-{seed}", seed))
        jobs.append((f"relsim, previous defaults (beta {PREVIOUS[0]:g}, margin {PREVIOUS[1]:g})", "relsim", teachers,
                     options(*PREVIOUS), cell_dir(*PREVIOUS, seed), seed))
        jobs.append((f"relsim chosen (beta {chosen[0]:g}, margin {chosen[1]:g})", "relsim", teachers, options(*chosen),
                     cell_dir(*chosen, seed), seed))
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        finals = list(pool.map(final, jobs))

    lines = ["# relsim: a sweep of the triplet weight and margin (quick zoo)", "",
             f"Measured by `python3 benchmarks/distillation/sweep_relsim.py --epochs {args.epochs}` on "
             f"{time.strftime('%Y-%m-%d')}: the quick zoo of run.py's main table (same student, teachers, split, "
             f"optimiser; {args.epochs} epochs), relsim's alpha 1 and temperature 4 unchanged. "
             "relsim's default beta is now 0.1 (it was 1), from this sweep; its default margin stays 0.1 (the margin "
             "made no difference at beta 0.1 here).", "",
             "### Grid (seed 0): validation top-1 at the best epoch (top-5 in brackets); the test split is not read", "",
             "| beta \\ margin | " + " | ".join(f"{m:g}" for m in MARGINS) + " |",
             "|---|" + "---|" * len(MARGINS)]
    by = {c[0]: c for c in cells}
    for beta in BETAS:
        row = []
        for margin in MARGINS:
            _, val, top5, _ = by[(beta, margin)]
            mark = " **(chosen)**" if (beta, margin) == chosen else (" (previous default)" if (beta, margin) == PREVIOUS else "")
            row.append(f"{100 * val:.1f} ({100 * top5:.1f}){mark}")
        lines.append(f"| {beta:g} | " + " | ".join(row) + " |")
    lines += ["", "Rule (fixed before the runs): highest validation top-1; ties by validation top-5, then the "
              "smaller beta, then the smaller margin.", "",
              f"### The chosen setting at seeds {', '.join(map(str, seeds))}: test top-1 scored once", "",
              "| run | val top-1 (best epoch) | test top-1 at that epoch | test vs finetune | training seconds per run |",
              "|---|---|---|---|---|"]
    labels = list(dict.fromkeys(f[0] for f in finals))
    base = [f[2] for f in finals if f[0] == "finetune"]
    for label in labels:
        rows = [f for f in finals if f[0] == label]
        vals, tests, secs = [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]
        gain = "" if label == "finetune" else f"{100 * (statistics.mean(tests) - statistics.mean(base)):+.1f}"
        lines.append(f"| {label} | {run.spread(vals)} | {run.spread(tests)} | {gain} | {statistics.mean(secs):.0f} |")
    lines += ["", f"This invocation took {time.time() - start:.0f} s (runs already on disk are reused).", ""]
    out = run.ROOT / "benchmarks" / "distillation" / "RELSIM_SWEEP.md"
    tmp = out.with_suffix(".tmp")
    tmp.write_text("\n".join(lines))
    tmp.replace(out)
    print(out.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
