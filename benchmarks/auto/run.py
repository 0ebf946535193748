#!/usr/bin/env python3
"""From a hub and a dataset to a tuned model: each tuning method at its default
settings against plain fine-tuning of the LogME top-1, 3 seeds, on the built-in
quick zoo, a hub of PyTorch-trained models (benchmarks/hubs/make_pytorch_hub.py)
and, with --hubs ...,full, the full zoo. Writes benchmarks/auto/results.json and
prints the tables that go into benchmarks/auto/RESULTS.md.

Per hub:
  1. rank the hub by LogME on the training split (`hubminer rank --split train`);
     the student is the top-1, the multikd teachers the next three;
  2. tune the student with finetune, btuning, feature-alignment (B-Tuning without
     its LogME weights) and multikd (teachers: the three fine-tuned on the target
     first, seed 0, as the demo does), every method at its defaults, seeds 0, 1, 2;
     `tune` picks the epoch on validation (held out of the training data when the
     dataset has no validation split) and exports that epoch's weights;
  3. score each exported model once on the test split (`hubminer extract --split
     test`: the exported card's source head is the tuned classifier); nothing is
     chosen on these numbers;
  4. when the binary has `hubminer auto`, run it with the same seeds (its chosen,
     exported model is scored the same way); otherwise the rows say it was skipped.

Usage (from the repository root, after `swift build -c release`):
    python3 benchmarks/auto/run.py [--hubminer BIN] [--work DIR] [--seeds 0,1,2]
                                   [--hubs quick,pytorch[,full]] [--auto-budget 5m]
                                   [--pytorch-hub DIR]   (a make_pytorch_hub.py output to reuse)
Resumable: finished runs (result.json plus the test scores) are not repeated.
Needs numpy (and, for the PyTorch hub, torch and scikit-learn).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
METHODS = ["finetune", "btuning", "feature-alignment", "multikd"]


def release_binary():
    out = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    return str(Path(out) / "hubminer")


def run(cmd, log=None):
    """Runs `cmd`; returns (seconds, peak RSS in MiB of that process tree's largest process)."""
    start = time.time()
    if log:
        Path(log).parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") if log else open(os.devnull, "w") as out:
        proc = subprocess.Popen([str(c) for c in cmd], stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.time() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        tail = Path(log).read_text()[-2000:] if log else ""
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {code}\n{tail}")
    return seconds, usage.ru_maxrss / 1024


def has_auto(hubminer):
    """Whether the binary has the `auto` command (an unknown subcommand's --help prints the general usage)."""
    help = subprocess.run([hubminer, "auto", "--help"], capture_output=True, text=True)
    return help.returncode == 0 and "usage: hubminer auto" in help.stdout.lower()


def test_accuracy(hubminer, model_dir, data, work, cache):
    """Top-1 of an exported hub entry (folder with <name>.pt + <name>.json) on the test split."""
    cards = sorted(p for p in Path(model_dir).glob("*.json") if (p.with_suffix(".pt")).exists())
    if len(cards) != 1:
        raise RuntimeError(f"{model_dir}: expected one exported model, found {[c.name for c in cards]}")
    name = json.loads(cards[0].read_text())["name"]
    out = Path(work)
    score = out / "test.json"
    if score.exists():
        return json.loads(score.read_text())["top1"]
    run([hubminer, "extract", "--hub", model_dir, "--data", data, "--split", "test", "--out", out / "extract",
         "--cache-dir", cache, "--quiet"], log=out / "extract.log")
    probs = np.load(out / "extract" / "source_probs" / f"{name}.npy")
    labels = np.load(out / "extract" / "labels.npy")
    top1 = float((probs.argmax(1) == labels).mean())
    score.write_text(json.dumps({"model": name, "top1": top1, "samples": int(len(labels))}) + "\n")
    return top1


def tune(hubminer, hub, data, student, method, out, seed, cache, teachers=()):
    """`method` is a name, or NAME@key=value@key=value for non-default method options."""
    out = Path(out)
    if not (out / "result.json").exists():
        name, *options = method.split("@")
        cmd = [hubminer, "tune", "--hub", hub, "--data", data, "--target", student, "--method", name,
               "--seed", seed, "--out", out, "--quiet", "--format", "json"]
        for o in options:
            cmd += ["--option", o]
        for t in teachers:
            cmd += ["--teacher", t]
        seconds, rss = run(cmd, log=str(out) + ".log")
        (out / "timing.json").write_text(json.dumps({"seconds": seconds, "peak_rss_mib": rss}) + "\n")
    result = json.loads((out / "result.json").read_text())
    timing = json.loads((out / "timing.json").read_text())
    test = test_accuracy(hubminer, out / "model", data, out / "test", cache)
    return {"validation_top1": result["best"]["top1"], "best_epoch": result["best"]["epoch"],
            "epochs": result["epochs"], "test_top1": test, **timing}


def run_auto(hubminer, hub, data, out, seed, cache, budget):
    out = Path(out)
    if not (out / "auto-done.json").exists():
        cmd = [hubminer, "auto", "--hub", hub, "--data", data, "--seed", seed, "--out", out, "--quiet"]
        if budget:
            cmd += ["--budget", budget]
        seconds, rss = run(cmd, log=str(out) + ".log")
        (out / "auto-done.json").write_text(json.dumps({"seconds": seconds, "peak_rss_mib": rss}) + "\n")
    timing = json.loads((out / "auto-done.json").read_text())
    # The chosen model's export, as OUT/auto.json names it (`choice.exported_model`).
    record = json.loads((out / "auto.json").read_text())
    choice = record.get("choice") or {}
    if not choice.get("exported_model"):
        raise RuntimeError(f"{out}/auto.json: no exported model in 'choice' ({sorted(choice)})")
    test = test_accuracy(hubminer, choice["exported_model"], data, out / "test", cache)
    return {"test_top1": test, "chosen": {k: choice.get(k) for k in ("model", "method", "settings", "validation_top1", "reason")},
            "auto_reported_test": choice.get("test"), **timing}


def prepare_hub(hubminer, name, work, cache, pytorch_hub=None):
    base = work / name
    if name == "pytorch" and pytorch_hub and not base.exists():
        # A directory make_pytorch_hub.py wrote already (exported/, target/): linked, and
        # its hub built with `hub add` when it has none.
        base.symlink_to(Path(pytorch_hub).resolve())
        if not (base / "hub").exists():
            run([hubminer, "hub", "add", base / "hub", "--model", base / "exported", "--input-size", "3,8,8",
                 "--resize", "none", "--representation", "method:features", "--source-head", "method:forward",
                 "--source-dataset", "sklearn digits (source pool)"], log=work / "pytorch-hub.log")
    if name in ("quick", "full"):
        if not (base / "hub").exists():
            run([hubminer, "zoo", "build", "--out", base] + (["--quick"] if name == "quick" else []),
                log=work / f"zoo-{name}.log")
        return base / "hub", base / "target"
    if name == "pytorch":
        if not (base / "hub").exists():
            run([sys.executable, ROOT / "benchmarks" / "hubs" / "make_pytorch_hub.py", "--out", base,
                 "--hubminer", hubminer], log=work / "pytorch-hub.log")
        return base / "hub", base / "target"
    raise SystemExit(f"unknown hub '{name}' (quick, full, pytorch)")


def teacher_hub(base, hub, student, teachers, tuned):
    """The student and the teachers fine-tuned on the target, in a hub of their own."""
    th = base / "teacher_hub"
    th.mkdir(exist_ok=True)
    for ext in ("pt", "json"):
        link = th / f"{student}.{ext}"
        if not link.exists():
            link.symlink_to(hub / f"{student}.{ext}")
    for t in teachers:
        for f in (tuned[t] / "model").iterdir():
            link = th / f.name
            if not link.exists():
                link.symlink_to(f)
    return th


def spread(xs):
    if not xs:
        return "-"
    m = statistics.mean(xs)
    return f"{100 * m:.1f}" if len(xs) == 1 else f"{100 * m:.1f} ± {100 * statistics.stdev(xs):.1f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hubminer", default=None, help="the hubminer binary (default: the release build)")
    ap.add_argument("--work", default=str(ROOT / ".build" / "benchmark-auto"))
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--results", default=str(ROOT / "benchmarks" / "auto" / "results.json"))
    ap.add_argument("--hubs", default="quick,pytorch")
    ap.add_argument("--methods", default=",".join(METHODS),
                    help="methods, comma-separated; NAME@key=value sets a method option (btuning@lambda=1)")
    ap.add_argument("--auto-budget", default=None, help="--budget for hubminer auto")
    ap.add_argument("--pytorch-hub", default=None, help="an output of make_pytorch_hub.py to use instead of generating one")
    args = ap.parse_args()
    hubminer = args.hubminer or release_binary()
    seeds = [int(s) for s in args.seeds.split(",")]
    methods = args.methods.split(",")
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    cache = work / "cache"
    auto = has_auto(hubminer)
    results_file = Path(args.results)
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    started = time.time()

    for name in args.hubs.split(","):
        hub, data = prepare_hub(hubminer, name, work, cache, args.pytorch_hub)
        base = work / name / "bench"
        base.mkdir(parents=True, exist_ok=True)
        ranking_file = base / "ranking.json"
        if not ranking_file.exists():
            run([hubminer, "rank", "--hub", hub, "--data", data, "--split", "train", "--metric", "logme",
                 "--cache-dir", cache, "--format", "json", "--output", ranking_file, "--quiet"], log=base / "rank.log")
        ranking = json.loads(ranking_file.read_text())
        by_logme = [m["name"] for m in sorted(ranking["models"], key=lambda m: -m["score"])]
        student, teachers = by_logme[0], by_logme[1:4]
        entry = results.setdefault(name, {})
        entry.update({"student": student, "teachers_multikd": teachers, "models": len(by_logme),
                      "logme": {m["name"]: m["score"] for m in ranking["models"]}})
        runs = entry.setdefault("runs", {})
        print(f"{name}: student {student} (LogME top-1 of {len(by_logme)}), multikd teachers {teachers}", flush=True)

        tuned = {}
        if any(m.split("@")[0] == "multikd" for m in methods):
            for t in teachers:
                out = base / "teachers" / t
                r = tune(hubminer, hub, data, t, "finetune", out, 0, cache)
                entry.setdefault("teacher_finetune", {})[t] = r
                tuned[t] = out
            th = teacher_hub(base, hub, student, teachers, tuned)
        for method in methods:
            for seed in seeds:
                key = f"{method}/seed-{seed}"
                if method.split("@")[0] == "multikd":
                    names = [json.loads(next((tuned[t] / "model").glob("*.json")).read_text())["name"] for t in teachers]
                    r = tune(hubminer, th, data, student, method, base / "tuning" / method / f"seed-{seed}", seed, cache, names)
                else:
                    r = tune(hubminer, hub, data, student, method, base / "tuning" / method / f"seed-{seed}", seed, cache)
                runs[key] = r
                print(f"  {key}: validation {r['validation_top1']:.4f} (epoch {r['best_epoch']}), test {r['test_top1']:.4f}, "
                      f"{r['seconds']:.0f} s", flush=True)
                results_file.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
        for seed in seeds:
            key = f"auto/seed-{seed}"
            if not auto:
                runs[key] = {"skipped": "this hubminer has no `auto` command"}
                continue
            try:
                runs[key] = run_auto(hubminer, hub, data, base / "auto" / f"seed-{seed}", seed, cache, args.auto_budget)
            except Exception as e:  # recorded, not hidden
                runs[key] = {"failed": str(e)[:500]}
            print(f"  {key}: {runs[key]}", flush=True)
        results_file.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")

    # Tables.
    for name in args.hubs.split(","):
        entry = results[name]
        runs = entry["runs"]
        ft = [runs[f"finetune/seed-{s}"]["test_top1"] for s in seeds if f"finetune/seed-{s}" in runs]
        print(f"\n### {name}: student `{entry['student']}` (LogME top-1 of {entry['models']})\n")
        print("| method | validation top-1 (chosen epoch) | test top-1 | test vs finetune | seconds per run | peak RSS MiB |")
        print("|---|---|---|---|---|---|")
        for method in sorted(set(methods + [k.split("/")[0] for k in runs]) - {"auto"}, key=lambda m: (m.split("@")[0] not in METHODS, METHODS.index(m.split("@")[0]) if m.split("@")[0] in METHODS else 99, m)) + ["auto"]:
            rs = [runs.get(f"{method}/seed-{s}", {}) for s in seeds]
            done = [r for r in rs if "test_top1" in r]
            if not done:
                why = next((r.get("skipped") or r.get("failed") for r in rs if r), "not run")
                print(f"| {method} | - | - | - | - | - ({why}) |")
                continue
            test = [r["test_top1"] for r in done]
            diffs = [r["test_top1"] - f for r, f in zip(done, ft)]
            gain = "" if method == "finetune" else f"{100 * statistics.mean(diffs):+.1f}" + (
                f" ± {100 * statistics.stdev(diffs):.1f}" if len(diffs) > 1 else "")
            val = spread([r["validation_top1"] for r in done]) if "validation_top1" in done[0] else "-"
            print(f"| {method} | {val} | {spread(test)} | {gain} | {statistics.mean(r['seconds'] for r in done):.0f} | "
                  f"{max(r['peak_rss_mib'] for r in done):.0f} |")
    print(f"\ntotal {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
