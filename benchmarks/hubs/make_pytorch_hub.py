#!/usr/bin/env python3
"""A hub of small models trained by PyTorch (not by HubMiner) on scikit-learn's
bundled handwritten digits, exported as TorchScript, plus a labelled target dataset.

What it writes under OUT (default: ./pytorch-digits-hub, outside any repository you
run it from is best; never commit the output):

  exported/<name>.pt      12 TorchScript models (torch.jit.script), input 3 x 8 x 8
                          (grey values in 0...1 repeated to three channels, as
                          HubMiner reads grey PNGs into RGB); `features(x)` gives the
                          representation (N x D), `forward(x)` the source logits
  target/train/<digit>/*.png, target/test/<digit>/*.png
                          the target task: digits 5-9 of samples no model was
                          trained on, as 8 x 8 grey PNG image folders (no val/
                          folder: HubMiner holds validation out of train)
  manifest.json           seeds, source tasks, each model's source accuracy on its
                          held-out source samples, split sizes, timings
  hub/                    only with --hubminer BIN: the hub `hubminer hub add` built

Data: `sklearn.datasets.load_digits` (1797 8 x 8 images, 17 grey levels 0..16, 10
classes). Pixels are quantised exactly as the PNGs store them (round(v * 255 / 16),
then / 255), so the models were trained on the values HubMiner decodes. The samples
are split once (seeded, stratified by digit) into a source pool (60%) and a target
pool (40%); models see only the source pool, the target task only the target pool.

Source tasks are class subsets and relabellings of the source pool, none of which is
the target task (telling 5, 6, 7, 8 and 9 apart):
  low5   digits 0-4 only, 5 classes (never sees a 5-9)
  parity even / odd over all digits (2 classes)
  mod3   digit mod 3 over all digits (3 classes)
  pairs  {0,1} {2,3} {4,5} {6,7} {8,9} (5 classes: separates 5 | 6,7 | 8,9 only)
Families: `cnn<w>` (three 3x3 convolutions of widths w, w, 2w with ReLU, a 2x2 max
pool after the second, global average pooling: features of dimension 2w) and
`mlp<h>` (two hidden layers of h with ReLU: features of dimension h).

Then (see benchmarks/hubs/README.md):
  hubminer hub add HUB --model OUT/exported --input-size 3,8,8 --resize none \\
      --representation method:features --source-head method:forward \\
      --source-dataset "sklearn digits (source pool)"
  hubminer rank --hub HUB --data OUT/target --metric logme,leep

Usage: python3 make_pytorch_hub.py [--out OUT] [--seed 0] [--train-per-class 30]
                                   [--epochs 40] [--threads 2] [--hubminer BIN]
Deterministic for a given seed, torch version and thread count.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
from torch import nn
from PIL import Image
from sklearn.datasets import load_digits

TARGET_DIGITS = [5, 6, 7, 8, 9]

# name: (family, width, source task)
MODELS = [
    ("cnn32_low5", "cnn", 32, "low5"),
    ("cnn32_parity", "cnn", 32, "parity"),
    ("cnn32_mod3", "cnn", 32, "mod3"),
    ("cnn32_pairs", "cnn", 32, "pairs"),
    ("cnn8_low5", "cnn", 8, "low5"),
    ("cnn8_parity", "cnn", 8, "parity"),
    ("cnn8_pairs", "cnn", 8, "pairs"),
    ("mlp128_low5", "mlp", 128, "low5"),
    ("mlp128_mod3", "mlp", 128, "mod3"),
    ("mlp128_pairs", "mlp", 128, "pairs"),
    ("mlp32_parity", "mlp", 32, "parity"),
    ("mlp32_mod3", "mlp", 32, "mod3"),
]

TASKS = {
    # task: (description, digit -> source class or None (sample unused))
    "low5": ("digits 0-4 only (5 classes)", lambda d: d if d < 5 else None),
    "parity": ("even / odd over all digits (2 classes)", lambda d: d % 2),
    "mod3": ("digit mod 3 over all digits (3 classes)", lambda d: d % 3),
    "pairs": ("digit pairs {0,1} {2,3} {4,5} {6,7} {8,9} (5 classes)", lambda d: d // 2),
}


class CNN(nn.Module):
    def __init__(self, width: int, classes: int):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, padding=1)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1)
        self.conv3 = nn.Conv2d(width, 2 * width, 3, padding=1)
        self.head = nn.Linear(2 * width, classes)

    @torch.jit.export
    def features(self, x):
        h = torch.relu(self.conv1(x))
        h = torch.max_pool2d(torch.relu(self.conv2(h)), 2)
        return torch.relu(self.conv3(h)).mean(dim=(2, 3))

    def forward(self, x):
        return self.head(self.features(x))


class MLP(nn.Module):
    def __init__(self, hidden: int, classes: int):
        super().__init__()
        self.fc1 = nn.Linear(3 * 64, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.head = nn.Linear(hidden, classes)

    @torch.jit.export
    def features(self, x):
        h = torch.relu(self.fc1(torch.flatten(x, 1)))
        return torch.relu(self.fc2(h))

    def forward(self, x):
        return self.head(self.features(x))


def stratified_split(labels, fraction, rng):
    """Indices (first, second): `fraction` of every class goes to the first part."""
    first, second = [], []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        rng.shuffle(idx)
        k = int(round(fraction * len(idx)))
        first += idx[:k].tolist()
        second += idx[k:].tolist()
    return np.array(sorted(first)), np.array(sorted(second))


def train_model(model, x, y, epochs, seed, batch=64, lr=3e-3):
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    n = x.shape[0]
    model.train()
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        for start in range(0, n, batch):
            idx = order[start : start + batch]
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    return model


def write_pngs(root, images_u8, digits, indices):
    for i in indices:
        folder = os.path.join(root, str(int(digits[i])))
        os.makedirs(folder, exist_ok=True)
        Image.fromarray(images_u8[i], mode="L").save(os.path.join(folder, f"{i:04d}.png"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="pytorch-digits-hub", help="output directory (created; must be empty or absent)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-per-class", type=int, default=30, help="target training images per digit (rest of the target pool is test)")
    parser.add_argument("--epochs", type=int, default=40, help="source training epochs per model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--hubminer", default=None, help="a hubminer binary: also build OUT/hub with `hub add` and check it with `hub inspect`")
    args = parser.parse_args()

    out = os.path.abspath(args.out)
    if os.path.exists(out) and os.listdir(out):
        sys.exit(f"{out}: exists and is not empty; give a new --out")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    start = time.time()

    digits = load_digits()
    raw = digits.images  # 1797 x 8 x 8, values 0..16
    y_digit = digits.target.astype(np.int64)
    images_u8 = np.rint(raw * 255.0 / 16.0).astype(np.uint8)
    # N x 3 x 8 x 8: the grey image in every channel, as HubMiner's image folders give it.
    x_all = torch.from_numpy(images_u8.astype(np.float32) / 255.0).unsqueeze(1).repeat(1, 3, 1, 1)

    rng = np.random.default_rng(args.seed)
    source_pool, target_pool = stratified_split(y_digit, 0.6, rng)
    # Source pool: 80% to train the models, 20% to report their source accuracy.
    src_train_rel, src_held_rel = stratified_split(y_digit[source_pool], 0.8, rng)
    src_train, src_held = source_pool[src_train_rel], source_pool[src_held_rel]

    # The target: digits 5-9 of the target pool; train_per_class per digit, rest test.
    target_idx = target_pool[np.isin(y_digit[target_pool], TARGET_DIGITS)]
    per_class_fraction = {}
    t_train, t_test = [], []
    for d in TARGET_DIGITS:
        idx = target_idx[y_digit[target_idx] == d].copy()
        rng.shuffle(idx)
        if len(idx) <= args.train_per_class:
            sys.exit(f"--train-per-class {args.train_per_class}: digit {d} has only {len(idx)} target images")
        t_train += idx[: args.train_per_class].tolist()
        t_test += idx[args.train_per_class :].tolist()
        per_class_fraction[d] = len(idx)

    tmp = tempfile.mkdtemp(prefix=".make_hub.", dir=os.path.dirname(out))
    try:
        write_pngs(os.path.join(tmp, "target", "train"), images_u8, y_digit, sorted(t_train))
        write_pngs(os.path.join(tmp, "target", "test"), images_u8, y_digit, sorted(t_test))
        os.makedirs(os.path.join(tmp, "exported"))
        models = []
        for i, (name, family, width, task) in enumerate(MODELS):
            t0 = time.time()
            mapping = TASKS[task][1]
            def relabel(indices):
                keep = [j for j in indices if mapping(int(y_digit[j])) is not None]
                return x_all[keep], torch.tensor([mapping(int(y_digit[j])) for j in keep])
            xtr, ytr = relabel(src_train)
            xte, yte = relabel(src_held)
            classes = int(ytr.max()) + 1
            torch.manual_seed(args.seed * 1000 + i)
            model = CNN(width, classes) if family == "cnn" else MLP(width, classes)
            train_model(model, xtr, ytr, args.epochs, seed=args.seed * 1000 + i)
            with torch.no_grad():
                acc = float((model(xte).argmax(1) == yte).float().mean())
                dim = model.features(xte[:2]).shape[1]
            torch.jit.save(torch.jit.script(model), os.path.join(tmp, "exported", f"{name}.pt"))
            models.append({
                "name": name, "family": family, "width": width, "source_task": task,
                "source_task_description": TASKS[task][0], "source_classes": classes,
                "feature_dimension": int(dim), "parameters": sum(p.numel() for p in model.parameters()),
                "source_train_samples": int(xtr.shape[0]), "source_heldout_accuracy": round(acc, 4),
                "seconds": round(time.time() - t0, 2),
            })
            print(f"{name:14s} task {task:6s} classes {classes}  held-out source accuracy {acc:.3f}  ({time.time() - t0:.1f} s)", flush=True)

        manifest = {
            "generator": "benchmarks/hubs/make_pytorch_hub.py",
            "seed": args.seed, "epochs": args.epochs, "threads": args.threads,
            "torch": torch.__version__,
            "data": "sklearn.datasets.load_digits (1797 images, 8 x 8, 10 digits)",
            "pools": {"source": int(len(source_pool)), "source_train": int(len(src_train)),
                      "source_heldout": int(len(src_held)), "target": int(len(target_pool))},
            "target": {"task": "digits 5-9 of the target pool (5 classes; class folders '5'...'9')",
                       "train": len(t_train), "test": len(t_test),
                       "train_per_class": args.train_per_class, "format": "image folders of 8 x 8 grey PNGs"},
            "hub_add": "hubminer hub add HUB --model exported --input-size 3,8,8 --resize none "
                       "--representation method:features --source-head method:forward",
            "models": models,
        }
        with open(os.path.join(tmp, "manifest.json"), "w") as fh:
            json.dump(manifest, fh, indent=2)
            fh.write("\n")
        if os.path.exists(out):
            os.rmdir(out)
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print(f"wrote {out}: {len(MODELS)} models, target train {len(t_train)} / test {len(t_test)} images ({time.time() - start:.1f} s)")

    if args.hubminer:
        hub = os.path.join(out, "hub")
        subprocess.run([args.hubminer, "hub", "add", hub, "--model", os.path.join(out, "exported"),
                        "--input-size", "3,8,8", "--resize", "none",
                        "--representation", "method:features", "--source-head", "method:forward",
                        "--source-dataset", "sklearn digits (source pool)", "--license", "BSD-3-Clause"], check=True)
        subprocess.run([args.hubminer, "hub", "inspect", hub], check=True)


if __name__ == "__main__":
    main()
