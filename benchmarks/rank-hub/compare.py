"""Compares rankings: python3 compare.py FULL.json OTHER.json [--pytorch]

FULL is `hubminer rank --format json` on every sample. OTHER is either another such
JSON (a progressive ranking: models in its order, stopped ones last) or, with
--pytorch, pytorch_rank.py's output (model -> score). Prints one JSON line: top-1
agreement, top-3 set agreement, weighted tau (scipy's, hyperbolic weights, on the
full scores against the other side's order), and for PyTorch the largest score
difference.
"""
import json
import sys

from scipy.stats import weightedtau


def main():
    full = json.load(open(sys.argv[1]))
    names = [m["name"] for m in full["models"]]
    full_scores = {m["name"]: m["score"] for m in full["models"]}
    if "--pytorch" in sys.argv:
        other = json.load(open(sys.argv[2]))["scores"]
        order = sorted(other, key=lambda n: -other[n])
        diff = max(abs(other[n] - full_scores[n]) for n in names)
    else:
        other_models = json.load(open(sys.argv[2]))["models"]
        order = [m["name"] for m in other_models]  # already best first, stopped models last
        diff = None
    position = {n: i for i, n in enumerate(order)}
    tau = weightedtau([full_scores[n] for n in names], [-position[n] for n in names])[0]
    out = {
        "top1_same": names[0] == order[0],
        "top3_same_set": set(names[:3]) == set(order[:3]),
        "weighted_tau": round(float(tau), 4),
        "full_order": names,
        "other_order": order,
    }
    if diff is not None:
        out["max_score_difference"] = diff
    print(json.dumps(out))


if __name__ == "__main__":
    main()
