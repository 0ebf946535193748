#!/usr/bin/env bash
# Progressive against full ranking and against fine-tuning truth on the built-in
# zoo's full hub, for each zoo seed:
#   1. `hubminer demo --full --seed S` builds the zoo and fine-tunes every model on
#      the target (the ground truth: test top-1 at the epoch chosen on validation,
#      RUN/ground_truth.csv);
#   2. `rank --hub` and `rank --hub --progressive` on the target's training split
#      (what the demo ranks), each with a fresh cache, under /usr/bin/time -v;
#   3. compare.py: progressive against full, and each against the truth.
#
#   benchmarks/rank-hub/zoo_truth.sh                 # seeds 0 1 2, all cores
#   SEEDS="0" PROGRESSIVE_ARGS="--top 1 --settle" benchmarks/rank-hub/zoo_truth.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

SEEDS="${SEEDS:-0 1 2}"
THREADS="${THREADS:-$(nproc)}"
PYTHON="${PYTHON:-python3}"
WORK="${WORK:-$(mktemp -d)}"
KEEP="${KEEP:-0}"
[ "$KEEP" = 1 ] || trap 'rm -rf "$WORK"' EXIT

swift build -c release --product hubminer >&2
swift build -c release --product hubminer-torch >&2
BIN="$(swift build -c release --show-bin-path)/hubminer"

timed() {  # timed NAME command...: wall s, peak MB, CPU s (user + sys) into $WORK/NAME.time
    local name="$1"; shift
    /usr/bin/time -v -o "$WORK/$name.tv" "$@"
    awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; w = s }
                /User time \(seconds\)/ { c += $2 } /System time \(seconds\)/ { c += $2 }
                /Maximum resident set size/ { m = $2 / 1024 } END { printf "%.2f %.0f %.2f\n", w, m, c }' "$WORK/$name.tv" > "$WORK/$name.time"
}

for S in $SEEDS; do
    RUN="$WORK/run$S" CACHE="$WORK/cache$S"
    [ -f "$RUN/ground_truth.csv" ] || "$BIN" demo --full --seed "$S" --run-dir "$RUN" --cache-dir "$CACHE" \
        --format json --output "$WORK/demo$S.json" >&2
    ZOO="$CACHE/zoo/full"
    timed full$S "$BIN" rank --hub "$ZOO/hub" --data "$ZOO/target" --split train --cache-dir "$WORK/cf$S" \
        --threads "$THREADS" --format json > "$WORK/full$S.json" 2> "$WORK/full$S.log"
    timed prog$S "$BIN" rank --hub "$ZOO/hub" --data "$ZOO/target" --split train --cache-dir "$WORK/cp$S" \
        --threads "$THREADS" --progressive ${PROGRESSIVE_ARGS:-} --format json > "$WORK/prog$S.json" 2> "$WORK/prog$S.log"
    FS=$("$PYTHON" -c "import json, sys; print(sum(m['diagnostics']['samples'] for m in json.load(open(sys.argv[1]))['models']))" "$WORK/full$S.json")
    GS=$(grep -o 'extracted [0-9]* model-samples' "$WORK/prog$S.log" | awk '{ s += $2 } END { print s + 0 }')
    read -r fw fm fc < "$WORK/full$S.time"; read -r gw gm gc < "$WORK/prog$S.time"
    echo "== zoo seed $S"
    grep -E '^(stage|top-)' "$WORK/prog$S.log" || true
    echo "progressive vs full:  $("$PYTHON" benchmarks/rank-hub/compare.py "$WORK/full$S.json" "$WORK/prog$S.json")"
    echo "full vs truth:        $("$PYTHON" benchmarks/rank-hub/compare.py --truth "$RUN/ground_truth.csv" "$WORK/full$S.json")"
    echo "progressive vs truth: $("$PYTHON" benchmarks/rank-hub/compare.py --truth "$RUN/ground_truth.csv" "$WORK/prog$S.json")"
    echo "full: $FS model-samples, $fw s wall, $fc s CPU, $fm MB; progressive: $GS model-samples, $gw s wall, $gc s CPU, $gm MB"
done
