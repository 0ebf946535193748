#!/usr/bin/env python3
"""Distillation benchmark: the model-mining teacher-student methods (aekd, relsim,
lcc, fewdata) against fine-tuning and against multi-teacher KD with each of its
weightings (uniform, logme, entropy, confidence), on the built-in quick zoo, 3 seeds,
and a few-data block (split.train_per_class) for fewdata. Written to
benchmarks/distillation/RESULTS.md.

Every run selects its epoch on the validation split (held out of the target's
training split; `tune` exports the best epoch's weights) and is then scored once on
the target's test split by this script, which loads the exported TorchScript model
and applies its card (representation, then the trained head). The test split is
never seen by `tune`.

Usage (from the repository root, after `swift build`):
    python3 benchmarks/distillation/run.py [--bin DIR] [--cache-dir DIR] [--seeds 0,1,2] [--hub-dir DIR]
`--hub-dir`: optionally also a hub of PyTorch-trained models with a target dataset
(`DIR/hub`, `DIR/target`, `DIR/benchmark.json` naming student and teachers).
Needs torch and numpy (for the test-split scoring); the training is `hubminer`'s.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
EPOCHS = 30  # --epochs overrides


def binary_dir(arg):
    if arg:
        return Path(arg)
    out = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    return Path(out)


def spread(xs):
    if not xs:
        return "-"
    m = statistics.mean(xs)
    if len(xs) == 1:
        return f"{100 * m:.1f}"
    return f"{100 * m:.1f} ± {100 * statistics.stdev(xs):.1f}"


def load_split(data, split):
    """The split as HubMiner reads it: NumPy arrays (the zoo's target), or an image
    folder (class folders in sorted order; images decoded as RGB, as HubMiner reads
    image folders, so a grey image has its value in every channel), scaled to [0, 1]."""
    d = Path(data) / split
    if (d / "images.npy").exists():
        x = np.load(d / "images.npy").astype(np.float32) / 255.0
        y = np.load(d / "labels.npy").astype(np.int64)
        return torch.from_numpy(x), torch.from_numpy(y)
    from PIL import Image
    images, labels = [], []
    for label, folder in enumerate(sorted(p for p in d.iterdir() if p.is_dir())):
        for f in sorted(folder.iterdir()):
            rgb = np.asarray(Image.open(f).convert("RGB"), dtype=np.float32) / 255.0
            images.append(rgb.transpose(2, 0, 1))
            labels.append(label)
    return torch.from_numpy(np.stack(images)), torch.tensor(labels, dtype=torch.int64)


def call(module, spec, x):
    if "method" in spec:
        return getattr(module, spec["method"])(x)
    sub = module
    for part in spec["submodule"].split("."):
        sub = getattr(sub, part)
    return sub(x)


def test_accuracy(run_dir, data):
    """Top-1 on the test split of the exported (best-epoch) model: card representation
    (pooled as the card says), then the card's source head (the trained head)."""
    model_dir = Path(run_dir) / "model"
    card_file = next(p for p in model_dir.glob("*.json"))
    card = json.loads(card_file.read_text())
    module = torch.jit.load(str(model_dir / card["file"]), map_location="cpu")
    module.eval()
    x, y = load_split(data, "test")
    correct = 0
    with torch.no_grad():
        for start in range(0, len(x), 256):
            xb = x[start:start + 256]
            f = call(module, card["representation"], xb)
            if isinstance(f, (tuple, list)):
                f = f[0]
            pooling = card["representation"].get("pooling", "none")
            if f.dim() > 2:
                f = f.mean(dim=tuple(range(2, f.dim()))) if pooling in ("avg", "none") else f.flatten(1)
            logits = call(module, card["source_head"], f)
            correct += int((logits.argmax(1) == y[start:start + 256]).sum())
    return correct / len(x)


class Refused(Exception):
    """`tune` stopped with an error (for example a method refusing the models)."""


class NotRun(Exception):
    """--report-only: the run is not on disk (it is left out of the table, not trained)."""


REPORT_ONLY = [False]


def tune(bindir, hub, data, student, method, out, seed, teachers=(), options=(), config=None, score_test=True):
    """Train (unless `out` already holds a finished run) and return (validation top-1 at
    the best epoch, training seconds, test top-1 of the exported best epoch). With
    `score_test=False` the test split is not read (a selection step) and the third
    value is None."""
    out = Path(out)
    if not (out / "result.json").exists() and REPORT_ONLY[0]:
        raise NotRun(str(out))
    if not (out / "result.json").exists():
        cmd = [str(bindir / "hubminer"), "tune", "--hub", str(hub), "--data", str(data), "--target", student,
               "--method", method, "--epochs", str(EPOCHS_SETTING[0]), "--lr", "0.01", "--seed", str(seed), "--out", str(out),
               "--quiet", "--format", "json"]
        if config:
            cmd += ["--config", str(config)]
        if teachers:
            cmd += ["--teachers", ",".join(teachers)]
        for o in options:
            cmd += ["--option", o]
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            lines = [l for l in done.stderr.splitlines() if l.strip()]
            raise Refused(lines[-1] if lines else f"exit {done.returncode}")
    result = json.loads((out / "result.json").read_text())
    return result["best"]["top1"], result["seconds"], (test_accuracy(out, data) if score_test else None)


RELSIM_OPTIONS = []  # --relsim-option: the setting chosen on validation by sweep_relsim.py


def method_list(teachers, only=None):
    first = teachers[:1]
    relsim_label = "relsim" + (f" ({', '.join(RELSIM_OPTIONS)})" if RELSIM_OPTIONS else "")
    methods = [
        ("finetune", "finetune", (), ()),
        ("multikd uniform", "multikd", teachers, ("weighting=uniform",)),
        ("multikd logme", "multikd", teachers, ("weighting=logme",)),
        ("multikd entropy", "multikd", teachers, ("weighting=entropy",)),
        ("multikd confidence", "multikd", teachers, ("weighting=confidence",)),
        ("aekd", "aekd", teachers, ()),
        (relsim_label, "relsim", teachers, tuple(RELSIM_OPTIONS)),
        ("lcc", "lcc", first, ()),
        ("kd", "kd", first, ()),
        ("fewdata", "fewdata", first, ()),
        ("at", "at", first, ()),
    ]
    return [m for m in methods if not only or m[0] in only or m[0].split(" (")[0] in only]


def compare(bindir, hub, data, student, teachers, seeds, work, title, few_config=None, only=None, workers=1):
    """The methods on one student (all, or the labels in `only`); returns markdown lines.
    Runs go through a pool of `workers` processes (each run is independent and
    seeded; results do not depend on the pool)."""
    methods = method_list(teachers, only)
    # Seed-major: every method at the first seed before any at the next, so a grid
    # stopped early still compares all methods.
    jobs = [(label, method, names, options, seed) for seed in seeds for label, method, names, options in methods]

    def one(job):
        label, method, names, options, seed = job
        out = work / label.replace(" ", "-").replace("(", "").replace(")", "").replace(",", "").replace("=", "-") / f"seed-{seed}"
        try:
            val, seconds, test = tune(bindir, hub, data, student, method, out, seed, names, options, few_config)
        except Refused as error:
            print(f"{title}: {label} seed {seed}: {error}", flush=True)
            return job, None, str(error), None
        except NotRun:
            return job, None, None, None
        print(f"{title}: {label} seed {seed}: val {val:.3f} test {test:.3f}", flush=True)
        return job, val, test, seconds

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, jobs))
    lines = [f"### {title}", "",
             "| method | teachers | val top-1 (best epoch) | test top-1 at that epoch | test vs finetune | training seconds per run |",
             "|---|---|---|---|---|---|"]
    base = None
    for label, method, names, options in methods:
        rows = [r for r in results if r[0][0] == label and (r[1] is not None or r[2] is not None)]
        refused = [r[2] for r in rows if r[1] is None]
        if refused:
            lines.append(f"| {label} | {len(names)} | refused: {refused[0]} | | | |")
            continue
        if not rows:
            lines.append(f"| {label} | {len(names)} | not run | | | |")
            continue
        if len(rows) < len(seeds):
            done = ", ".join(str(r[0][4]) for r in rows)
            label = f"{label} (seed{'s' if len(rows) > 1 else ''} {done} only)"
        vals, tests = [r[1] for r in rows], [r[2] for r in rows]
        secs = [r[3] for r in rows if r[3] is not None]
        if method == "finetune":
            base = {r[0][4]: r[2] for r in rows}
        # The gain is paired by seed: the mean over the seeds both have run.
        common = [r for r in rows if base and r[0][4] in base]
        gain = "" if method == "finetune" or not common else \
            f"{100 * statistics.mean(r[2] - base[r[0][4]] for r in common):+.1f}"
        sec = f"{statistics.mean(secs):.0f}" if secs else "-"
        lines.append(f"| {label} | {len(names)} | {spread(vals)} | {spread(tests)} | {gain} | {sec} |")
    return lines + [""]


EPOCHS_SETTING = [EPOCHS]


def demo_run(bindir, cache_dir, given=None):
    """The quick demo's run folder (zoo, target, teacher hub): `given` when named (a
    demo run made earlier; the demo's cache key includes the binary's digest, so a new
    build would otherwise repeat the whole demo), else `hubminer demo --quick`."""
    if given:
        return Path(given)
    demo = subprocess.run([str(bindir / "hubminer"), "demo", "--quick", "--cache-dir", cache_dir, "--quiet"],
                          capture_output=True, text=True, check=True)
    report = next(l for l in demo.stdout.splitlines() if l.startswith("Report: "))[len("Report: "):]
    return Path(report).parent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=None, help="directory of the hubminer binaries (default: swift build --show-bin-path)")
    ap.add_argument("--cache-dir", default=str(ROOT / ".build" / "benchmark-cache"))
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--hub-dir", default=None)
    ap.add_argument("--work", default=str(ROOT / ".build" / "benchmark-distillation"))
    ap.add_argument("--per-class", type=int, default=5)
    ap.add_argument("--workers", type=int, default=3, help="tune runs at a time")
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    ap.add_argument("--cnn-student", default="cnn-w8-glyphs")
    ap.add_argument("--cnn-only", action="store_true", help="run only the convolutional-student block")
    ap.add_argument("--few-only", action="store_true", help="run only the few-data block (to run it beside the main one)")
    ap.add_argument("--demo-run", default=None, help="an existing `demo --quick` run folder to use instead of running the demo")
    ap.add_argument("--report-only", action="store_true", help="train nothing: tabulate the runs already on disk")
    ap.add_argument("--main-only", action="store_true", help="run only the main quick-zoo block (no cnn, few-data or hub blocks)")
    ap.add_argument("--only", default=None, help="comma-separated method labels of the main block (default: all)")
    ap.add_argument("--relsim-option", action="append", default=[], help="key=value for relsim (repeatable), e.g. the setting sweep_relsim.py chose")
    ap.add_argument("--results", default=str(ROOT / "benchmarks" / "distillation" / "RESULTS.md"),
                    help="markdown file to write (its '## Reading' section is kept)")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    EPOCHS_SETTING[0] = args.epochs
    RELSIM_OPTIONS[:] = args.relsim_option
    REPORT_ONLY[0] = args.report_only
    bindir = binary_dir(args.bin)
    build = "release" if "release" in str(bindir) else "debug"
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)

    start = time.time()
    run = demo_run(bindir, args.cache_dir, args.demo_run)
    info = json.loads((run / "run.json").read_text())
    config = info["config"]
    zoo = Path(info["hub"]).parent
    data = zoo / "target"
    hub = run / "teacher_hub"
    student = config["student"]
    teachers = [f"{t}-target" for t in config["teachers"]]
    train_count = len(np.load(data / "train" / "labels.npy"))
    test_count = len(np.load(data / "test" / "labels.npy"))
    classes = len(np.unique(np.load(data / "train" / "labels.npy")))

    lines = ["# Distillation benchmark: the model-mining teacher-student methods", "",
             f"Measured by `python3 benchmarks/distillation/run.py --epochs {EPOCHS_SETTING[0]}` on {time.strftime('%Y-%m-%d')}, 2 shared cores, CPU only, "
             f"{build} build of `hubminer` (accuracies do not depend on the build; the seconds per run are only indicative).", "",
             f"The quick zoo (`hubminer demo --quick`): student `{student}` (the median model by LogME), teachers the "
             f"demo's top-3 models by LogME fine-tuned on the target ({', '.join(teachers)}); single-teacher methods "
             f"(`kd`, `lcc`, `fewdata`) use the first. Target: {classes} classes, {train_count} training images "
             f"(a fifth held out for validation, stratified, seed 0) and {test_count} test images.", "",
             f"Every run: {EPOCHS_SETTING[0]} epochs, SGD (Nesterov, momentum 0.9, weight decay 5e-4), learning rate 0.01 for the "
             "head and 0.001 for the backbone, cosine schedule, batch 32, no augmentation, each method's default "
             "options. The epoch is chosen on the validation split (highest top-1); the test column is the exported "
             "best-epoch model scored once on the test split. Mean ± sample std over seeds "
             f"{', '.join(map(str, seeds))} (percent).", ""]
    if args.few_only:
        few = work / "few-config.json"
        few.write_text(json.dumps({"split": {"train_per_class": args.per_class}}))
        compare(bindir, hub, data, student, teachers, seeds, work / "quick-few", "few", few_config=few,
                only={"finetune", "kd", "fewdata"}, workers=args.workers)
        return 0
    if not args.cnn_only:
        main_only = set(args.only.split(",")) if args.only else {m[0] for m in method_list(teachers)} - {"at"}
        lines += compare(bindir, hub, data, student, teachers, seeds, work / "quick", "Quick zoo, all training samples",
                     workers=args.workers, only=main_only)
    if args.main_only:
        return write_results(lines, start, Path(args.results))

    # lcc needs [B, C, H, W] maps paired one to one: the quick student (a small ViT)
    # gives token sequences, so a convolutional student of the zoo is tuned as well.
    cnn_hub = work / "cnn-hub"
    cnn_hub.mkdir(exist_ok=True)
    cnn_student = args.cnn_student
    for f in [zoo / "hub" / f"{cnn_student}.pt", zoo / "hub" / f"{cnn_student}.json", hub / f"{teachers[0]}.pt", hub / f"{teachers[0]}.json"]:
        link = cnn_hub / f.name
        if not link.exists():
            link.symlink_to(f.resolve())
    lines += compare(bindir, cnn_hub, data, cnn_student, teachers[:1], seeds, work / "cnn",
                     f"Quick zoo, convolutional student `{cnn_student}` (for lcc; teacher {teachers[0]})",
                     only={"finetune", "lcc", "at"}, workers=args.workers)
    if args.cnn_only:
        return 0

    few = work / "few-config.json"
    few.write_text(json.dumps({"split": {"train_per_class": args.per_class}}))
    lines += compare(bindir, hub, data, student, teachers, seeds, work / "quick-few",
                     f"Quick zoo, few data: `split.train_per_class: {args.per_class}`", few_config=few,
                     only={"finetune", "kd", "fewdata"}, workers=args.workers)

    if args.hub_dir:
        hd = Path(args.hub_dir)
        spec = json.loads((hd / "benchmark.json").read_text())
        lines += compare(bindir, hd / "hub", hd / "target", spec["student"], spec["teachers"], seeds, work / "pytorch-hub",
                         f"Hub of PyTorch-trained models: student `{spec['student']}`", workers=args.workers)

    return write_results(lines, start, Path(args.results))


def write_results(lines, start, out):
    lines = lines + [f"This invocation took {time.time() - start:.0f} s (runs already on disk are reused, not repeated); "
                     "the training seconds above are each run's own `result.json` figure.", ""]
    existing = out.read_text() if out.exists() else ""
    notes = existing[existing.index("## Reading"):] if "## Reading" in existing else ""
    tmp = out.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + ("\n" + notes if notes else ""))
    tmp.replace(out)
    print(out.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
