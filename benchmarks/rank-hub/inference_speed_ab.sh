#!/usr/bin/env bash
# Frozen + optimised against the module as loaded, and against PyTorch, one model
# at a time: REPS rounds, each round running back to back (same nice level) one
# process per side: PyTorch (torch.jit.load + torch.inference_mode), hubminer
# extract --plain-inference and hubminer extract --layout-probe off (frozen and
# optimised, NCHW, --batch-size). Rounds alternate the sides so that a change in the
# machine's load falls on all of them; the medians are reported. Needs the inputs of
# inference_speed.sh (KEEP=1 WORK=DIR benchmarks/rank-hub/inference_speed.sh, or
# `python3 inference_speed.py make DIR`).
#
#   WORK=DIR REPS=3 BATCH=32 THREADS=2 benchmarks/rank-hub/inference_speed_ab.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK="${WORK:?the directory made by inference_speed.py make}"
REPS="${REPS:-3}"
BATCH="${BATCH:-32}"
THREADS="${THREADS:-2}"
PYTHON="${PYTHON:-python3}"
BIN="${BIN:-$(swift build -c release --show-bin-path)/hubminer}"
if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -qw avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX; fi
OUT="$WORK/ab"
mkdir -p "$OUT"
: > "$OUT/runs.tsv"

run() {  # run SIDE MODEL ROUND command...: appends "side model round wall cpu forward" to runs.tsv
    local side="$1" model="$2" round="$3"; shift 3
    /usr/bin/time -f "%e %U %S" -o "$OUT/t" "$@" > "$OUT/stdout" 2> "$OUT/stderr"
    read -r wall user sys < "$OUT/t"
    local forward
    if [ "$side" = torch ]; then
        forward=$("$PYTHON" -c "import json,sys; print(json.load(open('$OUT/stdout'))['$model']['wall'])")
    else  # rows / samples-per-second of extract's table: the forward passes alone
        forward=$(awk -v m="$model" '$1 == m { print $3 / $6 }' "$OUT/stdout")
    fi
    printf "%s\t%s\t%s\t%s\t%s\t%s\n" "$side" "$model" "$round" "$wall" "$(echo "$user + $sys" | bc -l)" "$forward" | tee -a "$OUT/runs.tsv" >&2
}

for round in $(seq 1 "$REPS"); do
    for model in resnet18 mobilenet_v3_small efficientnet_b0; do
        run torch "$model" "$round" "$PYTHON" benchmarks/rank-hub/inference_speed.py time "$WORK" inference_mode "$BATCH" "$THREADS" "$model"
        for side in plain optimised; do
            flag=$([ "$side" = plain ] && echo --plain-inference || echo "--layout-probe off")
            rm -rf "$OUT/cache" "$OUT/out"
            # shellcheck disable=SC2086
            run "$side" "$model" "$round" "$BIN" extract --hub "$WORK/hub" --data "$WORK/data" --models "$model" --batch-size "$BATCH" \
                --torch-threads "$THREADS" --loader-workers 1 --cache-dir "$OUT/cache" --out "$OUT/out" $flag
        done
    done
done
"$PYTHON" - "$OUT/runs.tsv" <<'PY'
import sys, statistics as st
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()]
print("| model | side | forward s (median) | process wall s | process CPU s |")
print("|---|---|---|---|---|")
for model in ["resnet18", "mobilenet_v3_small", "efficientnet_b0"]:
    med = {}
    for side in ["torch", "plain", "optimised"]:
        r = [x for x in rows if x[0] == side and x[1] == model]
        f, w, c = (st.median(float(x[i]) for x in r) for i in (5, 3, 4))
        med[side] = f
        print(f"| {model} | {side} | {f:.2f} | {w:.2f} | {c:.2f} |")
    print(f"| {model} | ratios (forward) | plain/optimised {med['plain'] / med['optimised']:.2f}x, torch/optimised {med['torch'] / med['optimised']:.2f}x | | |")
PY
