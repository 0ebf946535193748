"""How LogME moves with the sample count, and whether the half-samples predict it.

    hubminer extract --hub HUB --data IMAGES --cache-dir CACHE --out FEATURES
    python3 logme_shift.py FEATURES [n ...]          # default n: 160 320

For each model of FEATURES (`extract --out`'s layout: features/NAME.npy, labels.npy)
and each n: LogME (numpy_logme.py's algorithm) on a random subset of n samples, on
all N, and on 20 half-samples of the subset. Prints one row per model: the full-data
score, then per n the subset's score, full minus subset (the shift progressive
ranking's intervals do not see), the shift predicted from the half-samples (the
n/2 -> n change scaled as 1/n: (score - mean of halves) * (1 - n/N)) and the
half-samples' standard deviation. NaN where NumPy's fixed point fails.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "logme"))
from numpy_logme import logme_same  # noqa: E402


def main():
    root = sys.argv[1]
    sizes = [int(a) for a in sys.argv[2:]] or [160, 320]
    labels = np.load(os.path.join(root, "labels.npy"))
    rng = np.random.default_rng(0)
    total = len(labels)
    print("model full " + " ".join(f"n={n}:score,shift,predicted,sd" for n in sizes))
    for name in sorted(os.listdir(os.path.join(root, "features"))):
        f = np.load(os.path.join(root, "features", name)).astype(np.float64)
        row = [name.removesuffix(".npy"), f"{logme_same(f, labels):.4f}"]
        full = logme_same(f, labels)
        for n in sizes:
            subset = rng.permutation(total)[:n]
            score = logme_same(f[subset], labels[subset])
            halves = []
            for _ in range(20):
                h = subset[rng.permutation(n)[: n // 2]]
                halves.append(logme_same(f[h], labels[h]))
            predicted = (score - np.mean(halves)) * (1 - n / total)
            row.append(f"{score:.4f},{full - score:+.4f},{predicted:+.4f},{np.std(halves, ddof=1):.4f}")
        print(" ".join(row), flush=True)


if __name__ == "__main__":
    main()
