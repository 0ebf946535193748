"""Which way to share the cores between models: `--schedule sequential` (one model at
a time, BLAS on every core) or `--schedule concurrent` (one model per core, BLAS
single-threaded), on a hub of many small models and one of a few large ones.

Run from the repository root after `bash scripts/dev.sh build`:
    python3 benchmarks/rank-schedule/run.py [--repeats 3]
Writes benchmarks/rank-schedule/RESULTS.md. `--schedule auto` (the default) should pick the
faster one on both.
"""
import argparse
import os
import statistics
import subprocess
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORK = os.path.join(ROOT, "benchmarks", ".work", "schedule")


def hub(name, n, d, models):
    folder = os.path.join(WORK, name)
    feats = os.path.join(folder, "features")
    if not os.path.exists(feats):
        os.makedirs(feats)
        rng = np.random.default_rng(n + d)
        y = rng.integers(0, 20, n)
        y[:20] = np.arange(20)
        np.save(os.path.join(folder, "labels.npy"), y)
        centres = rng.standard_normal((20, d)).astype(np.float32)
        for k in range(models):
            np.save(os.path.join(feats, f"model{k:02d}.npy"), 0.2 * centres[y] + rng.standard_normal((n, d), dtype=np.float32))
    return feats, os.path.join(folder, "labels.npy")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    binary = os.path.join(ROOT, ".build", "release", "hubminer")
    cases = [("24 models, N=2000, D=256", hub("small", 2000, 256, 24)),
             ("12 models, N=5000, D=512", hub("medium", 5000, 512, 12)),
             ("3 models, N=20000, D=1024", hub("large", 20000, 1024, 3))]
    lines = ["# Sharing the cores between models", "",
             f"Median wall-clock seconds of {args.repeats} runs of `hubminer rank` ({os.cpu_count()} cores). "
             "Regenerate with `python3 benchmarks/rank-schedule/run.py`.", "",
             "| hub | sequential | concurrent | auto |", "|---|---|---|---|"]
    for label, (feats, labels) in cases:
        times = {}
        for schedule in ("sequential", "concurrent", "auto"):
            runs = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                subprocess.run([binary, "rank", "--features", feats, "--labels", labels, "--schedule", schedule, "--quiet"],
                               check=True, capture_output=True)
                runs.append(time.perf_counter() - start)
            times[schedule] = statistics.median(runs)
        print(label, times, flush=True)
        lines.append(f"| {label} | {times['sequential']:.2f} | {times['concurrent']:.2f} | {times['auto']:.2f} |")
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md"), "w") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
