"""LogME on a subset projected to the full sample count, against LogME on all samples.

    hubminer extract --hub HUB --data IMAGES --cache-dir CACHE --out FEATURES
    python3 logme_projection.py FEATURES [n ...]      # default n: 224 512 1024

For each n and 3 seeded stratified subsets, per model (`extract --out`'s layout:
features/NAME.npy, labels.npy): LogME on the subset (numpy_logme.py's fixed point,
with its alpha and beta), its projection to all N samples (the Occam term moved from
n to N with the fit's alpha, beta and per-sample spectrum: what
`LogMEFit.projectedScore` computes, written here independently in NumPy), and both
with half-sample intervals at z = 3.08 (20 half-samples, as progressive ranking with
8 models and 3 stages). Prints per model the errors against LogME on all N and
whether each interval holds it; then per n the mean absolute error and the coverage
of each. Models whose NumPy fixed point fails (NaN) are left out of that subset.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "logme"))
from numpy_logme import logme_columns  # noqa: E402

Z = 3.08


def scores(f, labels, total):
    """(LogME on these samples, its projection to `total` samples)."""
    n = f.shape[0]
    per, s = logme_columns(f, labels)
    observed = np.mean([e for e, _, _ in per])
    projected = np.mean([e + np.log1p(b * s / a).sum() / (2 * n) - np.log1p(b * s * (total / n) / a).sum() / (2 * total)
                         for e, a, b in per])
    return observed, projected


def stratified(labels, n, rng):
    keyed = []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        keyed += [((j + 0.5) / len(members), rng.random(), i) for j, i in enumerate(members)]
    return np.array([i for _, _, i in sorted(keyed)[:n]])


def main():
    root = sys.argv[1]
    sizes = [int(a) for a in sys.argv[2:]] or [224, 512, 1024]
    labels = np.load(os.path.join(root, "labels.npy"))
    total = len(labels)
    names = sorted(x.removesuffix(".npy") for x in os.listdir(os.path.join(root, "features")))
    feats = {m: np.load(os.path.join(root, "features", m + ".npy")).astype(np.float64) for m in names}
    with np.errstate(all="ignore"):
        full = {m: scores(feats[m], labels, total)[0] for m in names}
    rng = np.random.default_rng(1)
    for n in sizes:
        err_o, err_p, cov_o, cov_p, count = [], [], 0, 0, 0
        for _ in range(3):
            subset = stratified(labels, n, rng)
            halves = [np.sort(rng.permutation(n)[: n // 2]) for _ in range(20)]
            for m in names:
                f, y = feats[m][subset], labels[subset]
                with np.errstate(all="ignore"):
                    o, p = scores(f, y, total)
                    hs = np.array([scores(f[h], y[h], total) for h in halves])
                if not (np.isfinite(o) and np.isfinite(p) and np.all(np.isfinite(hs)) and np.isfinite(full[m])):
                    continue
                so, sp = hs[:, 0].std(ddof=1), hs[:, 1].std(ddof=1)
                in_o, in_p = abs(full[m] - o) <= Z * so, abs(full[m] - p) <= Z * sp
                err_o.append(abs(full[m] - o)); err_p.append(abs(full[m] - p))
                cov_o += in_o; cov_p += in_p; count += 1
                print(f"n={n} {m:20s} full {full[m]:+.4f}  subset {o:+.4f} ±{Z * so:.4f} {'in ' if in_o else 'out'}"
                      f"  projected {p:+.4f} ±{Z * sp:.4f} {'in ' if in_p else 'out'}", flush=True)
        print(f"n={n}: mean |error| subset {np.mean(err_o):.4f}, projected {np.mean(err_p):.4f}; "
              f"intervals holding the full-data score: subset {cov_o}/{count}, projected {cov_p}/{count}", flush=True)


if __name__ == "__main__":
    main()
