"""Compares rankings: python3 compare.py FULL.json OTHER.json [--pytorch]
                     python3 compare.py --truth GROUND_TRUTH.csv RANKING.json

With --truth, the reference is fine-tuning truth (the demo's `ground_truth.csv`,
columns model,top1): top-1 and top-3 agreement, weighted tau (scipy's, on the truth
against the ranking's order; stopped models of a progressive ranking in their
listed place) and the top-1 regret (best truth minus the truth of the ranking's
first model).

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


def against_truth(truth_path, ranking_path):
    truth = {}
    for i, line in enumerate(open(truth_path)):
        cells = line.strip().split(",")
        if i == 0 or len(cells) < 2:
            continue
        truth[cells[0]] = float(cells[1])
    order = [m["name"] for m in json.load(open(ranking_path))["models"]]
    names = [n for n in order if n in truth]
    position = {n: i for i, n in enumerate(names)}
    best = sorted(names, key=lambda n: -truth[n])
    tau = weightedtau([truth[n] for n in names], [-position[n] for n in names])[0]
    print(json.dumps({
        "top1_same": best[0] == names[0],
        "top3_same_set": set(best[:3]) == set(names[:3]),
        "weighted_tau": round(float(tau), 4),
        "top1_regret": round(truth[best[0]] - truth[names[0]], 4),
        "truth_order": best,
        "ranking_order": names,
    }))


def main():
    if sys.argv[1] == "--truth":
        return against_truth(sys.argv[2], sys.argv[3])
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
    else:
        # each model's last-stage interval (simultaneous level) against its full-data score
        inside, total, shifts = 0, 0, []
        for m in other_models:
            interval = (m.get("progressive") or {}).get("interval")
            if interval and m["name"] in full_scores:
                total += 1
                inside += interval["lower"] <= full_scores[m["name"]] <= interval["upper"]
                shifts.append(round(full_scores[m["name"]] - interval["score"], 4))
        out["full_score_in_interval"] = f"{inside}/{total}"
        out["full_minus_stage_score"] = shifts
    print(json.dumps(out))


if __name__ == "__main__":
    main()
