"""LogME in plain NumPy (float64), for side-by-side timing with `hubminer rank`.

    python3 numpy_logme.py FEATURES.npy LABELS.npy [same|reference]

`same` (default) is the algorithm HubMiner runs: one eigh of FᵀF, then per class the
fixed-point iteration on O(D) scalars to a relative tolerance of 1e-8, with the
log-determinant over all D eigenvalues. `reference` is the published reference
implementation's structure (per class: Fᵀy by a matrix-vector product, and every
iteration recomputes the residual as |y - F m|² with an N x D product; 11 iterations
at most, tolerance 1e-3), for context. Prints one JSON line: score and seconds,
loading the file included, as `hubminer rank` includes it.
"""
import json
import sys
import time

import numpy as np


def logme_columns(f, labels):
    """Per class (evidence per sample, alpha, beta) at the fixed point, and FᵀF's eigenvalues."""
    n, d = f.shape
    classes = np.unique(labels)
    gram = f.T @ f
    s, v = np.linalg.eigh(gram)
    s = np.maximum(s, 0.0)
    onehot = (labels[:, None] == classes[None, :]).astype(np.float64)
    z = v.T @ (f.T @ onehot)                       # D x C projections
    columns = []
    for k in range(len(classes)):
        zk = z[:, k]
        yy = onehot[:, k].sum()
        alpha, beta = 1.0, 1.0
        for _ in range(10000):
            lam = alpha / beta
            t = zk / (s + lam)
            gamma = (s / (s + lam)).sum()
            mm = t @ t
            rss = yy - 2 * (t @ zk) + (s * t * t).sum()
            alpha, beta = gamma / mm, (n - gamma) / rss
            if abs(alpha / beta - lam) <= 1e-8 * lam:
                break
        lam = alpha / beta
        t = zk / (s + lam)
        mm = t @ t
        rss = yy - 2 * (t @ zk) + (s * t * t).sum()
        evidence = (d / 2 * np.log(alpha) + n / 2 * np.log(beta) - 0.5 * np.log(alpha + beta * s).sum()
                    - beta / 2 * rss - alpha / 2 * mm - n / 2 * np.log(2 * np.pi))
        columns.append((evidence / n, alpha, beta))
    return columns, s


def logme_same(f, labels):
    return float(np.mean([e for e, _, _ in logme_columns(f, labels)[0]]))


def logme_reference(f, labels):
    n, d = f.shape
    ft = f.T
    s, v = np.linalg.eigh(ft @ f)
    s = np.maximum(s, 0.0)
    evidences = []
    for c in np.unique(labels):
        y = (labels == c).astype(np.float64)
        alpha, beta = 1.0, 1.0
        lam = 1.0
        tmp = v.T @ (ft @ y)
        for _ in range(11):
            gamma = (s / (s + lam)).sum()
            m = v @ (tmp * beta / (alpha + beta * s))
            alpha_de = m @ m
            alpha = gamma / (alpha_de + 1e-5)
            beta_de = ((y - f @ m) ** 2).sum()
            beta = (n - gamma) / (beta_de + 1e-5)
            new_lam = alpha / beta
            if abs(new_lam - lam) / lam < 1e-3:
                break
            lam = new_lam
        evidence = (d / 2 * np.log(alpha) + n / 2 * np.log(beta) - 0.5 * np.log(alpha + beta * s).sum()
                    - beta / 2 * (beta_de + 1e-5) - alpha / 2 * (alpha_de + 1e-5) - n / 2 * np.log(2 * np.pi))
        evidences.append(evidence / n)
    return float(np.mean(evidences))


def main():
    features, labels_path = sys.argv[1], sys.argv[2]
    variant = sys.argv[3] if len(sys.argv) > 3 else "same"
    start = time.perf_counter()
    f = np.load(features).astype(np.float64)
    labels = np.load(labels_path)
    score = (logme_same if variant == "same" else logme_reference)(f, labels)
    print(json.dumps({"variant": variant, "score": score, "seconds": time.perf_counter() - start}))


if __name__ == "__main__":
    main()
