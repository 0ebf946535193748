#!/usr/bin/env bash
# Ranking a hub end to end: `hubminer rank --hub` against the published kind of
# PyTorch script (pytorch_rank.py: a loop over models, ImageFolder + DataLoader,
# features to NumPy, LogME in NumPy), from JPEG files to scores; then progressive
# against full ranking on the same hub and on the built-in zoo's full hub.
#
#   benchmarks/rank-hub/run.sh            # 500 images 224 x 224, 8 models, batch 32, all cores
#   COUNT=2000 BATCH=64 benchmarks/rank-hub/run.sh
#   PRECISION=bfloat16 benchmarks/rank-hub/run.sh   # rank --hub in bfloat16 (default float32;
#                                                   # the progressive run stays float32)
#   PROGRESSIVE_ARGS="--settle" benchmarks/rank-hub/run.sh   # extra flags for the progressive side
#
# Prints, for full against progressive ranking, the model-samples extracted, wall,
# CPU (user + sys) and peak RSS, and top-1 / top-3 / weighted tau of progressive
# against full.
#
# hubminer freezes and optimises the models and probes each one's memory format and
# batch size on its own (logged in $WORK/full.log); see inference_speed.sh for those
# alone.
# Each side runs once with a fresh cache (hubminer) under /usr/bin/time -v, at the
# same nice level and thread count. PyTorch is the python3 on PATH (torch 2.11.0,
# the libtorch HubMiner links).
set -euo pipefail
cd "$(dirname "$0")/../.."

COUNT="${COUNT:-500}"
BATCH="${BATCH:-32}"
THREADS="${THREADS:-$(nproc)}"
PYTHON="${PYTHON:-python3}"
PRECISION="${PRECISION:-float32}"
WORK="${WORK:-$(mktemp -d)}"
KEEP="${KEEP:-0}"
[ "$KEEP" = 1 ] || trap 'rm -rf "$WORK"' EXIT

swift build -c release --product hubminer >&2
swift build -c release --product hubminer-torch >&2
BIN="$(swift build -c release --show-bin-path)/hubminer"

if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
    if grep -qw avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX
    elif grep -qw avx2 /proc/cpuinfo; then export OPENBLAS_CORETYPE=Haswell; fi
fi
export OPENBLAS_NUM_THREADS="$THREADS"

[ -d "$WORK/bench/hub" ] || "$PYTHON" benchmarks/rank-hub/make_hub.py "$WORK/bench" --count "$COUNT"
HUB="$WORK/bench/hub" IMAGES="$WORK/bench/images"

timed() {  # timed NAME command...: wall seconds, peak RSS (MB) and CPU seconds (user + sys) into $WORK/NAME.time
    local name="$1"; shift
    /usr/bin/time -v -o "$WORK/$name.tv" "$@"
    awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; w = s }
                /User time \(seconds\)/ { c += $2 } /System time \(seconds\)/ { c += $2 }
                /Maximum resident set size/ { m = $2 / 1024 } END { printf "%.2f %.0f %.2f\n", w, m, c }' "$WORK/$name.tv" > "$WORK/$name.time"
    echo "$name: $(cat "$WORK/$name.time") (wall s, peak MB, CPU s); load $(cut -d' ' -f1 /proc/loadavg)" >&2
}
full_samples() {  # full_samples JSON: model-samples of a full ranking (each model's sample count)
    "$PYTHON" -c "import json, sys; print(sum(m['diagnostics']['samples'] for m in json.load(open(sys.argv[1]))['models']))" "$1"
}
samples() {  # samples LOG: model-samples a progressive run extracted (the sum of its stage lines)
    grep -o 'extracted [0-9]* model-samples' "$1" | awk '{ s += $2 } END { print s + 0 }'
}

echo "== end to end: hubminer rank --hub vs PyTorch ($COUNT images, batch $BATCH, $THREADS threads)" >&2
timed pytorch "$PYTHON" benchmarks/rank-hub/pytorch_rank.py "$HUB" "$IMAGES" "$BATCH" "$THREADS" > "$WORK/pytorch.json"
timed hub_full "$BIN" rank --hub "$HUB" --data "$IMAGES" --cache-dir "$WORK/cache-full" --batch-size "$BATCH" \
    --threads "$THREADS" --precision "$PRECISION" --format json > "$WORK/full.json" 2> "$WORK/full.log"
timed hub_progressive "$BIN" rank --hub "$HUB" --data "$IMAGES" --cache-dir "$WORK/cache-progressive" --batch-size "$BATCH" \
    --threads "$THREADS" --progressive ${PROGRESSIVE_ARGS:-} --format json > "$WORK/progressive.json" 2> "$WORK/progressive.log"
echo "pytorch vs hubminer (same features? same order?): $("$PYTHON" benchmarks/rank-hub/compare.py "$WORK/full.json" "$WORK/pytorch.json" --pytorch)"
echo "progressive vs full: $("$PYTHON" benchmarks/rank-hub/compare.py "$WORK/full.json" "$WORK/progressive.json")"
grep -E 'frozen|as loaded|layout|against float32|warning' "$WORK/full.log" || true
grep -E '^(stage|top-)' "$WORK/progressive.log" || true
read -r pw pm pc < "$WORK/pytorch.time"; read -r hw hm hc < "$WORK/hub_full.time"; read -r gw gm gc < "$WORK/hub_progressive.time"
FS=$(full_samples "$WORK/full.json"); GS=$(samples "$WORK/progressive.log")
echo "| run | model-samples | wall | CPU (user + sys) | peak RSS |"
echo "|---|---|---|---|---|"
echo "| PyTorch script | $FS | $pw s | $pc s | $pm MB |"
echo "| hubminer rank --hub | $FS | $hw s | $hc s | $hm MB |"
echo "| hubminer rank --hub --progressive | $GS | $gw s | $gc s | $gm MB |"
echo "ratio PyTorch / hubminer: wall $(echo "$pw / $hw" | bc -l | cut -c1-5), CPU $(echo "$pc / $hc" | bc -l | cut -c1-5)"
echo "progressive / full: model-samples $(echo "$GS / $FS" | bc -l | cut -c1-5), wall $(echo "$gw / $hw" | bc -l | cut -c1-5), CPU $(echo "$gc / $hc" | bc -l | cut -c1-5)"

echo "== the built-in zoo's full hub (target train split)" >&2
"$BIN" zoo build --out "$WORK/zoo" --threads "$THREADS" --quiet >&2
ZHUB="$WORK/zoo/hub" ZDATA="$WORK/zoo/target"
timed zoo_full "$BIN" rank --hub "$ZHUB" --data "$ZDATA" --split train --cache-dir "$WORK/zcache-full" \
    --threads "$THREADS" --format json > "$WORK/zoo-full.json" 2> "$WORK/zoo-full.log"
timed zoo_progressive "$BIN" rank --hub "$ZHUB" --data "$ZDATA" --split train --cache-dir "$WORK/zcache-progressive" \
    --threads "$THREADS" --progressive ${PROGRESSIVE_ARGS:-} --format json > "$WORK/zoo-progressive.json" 2> "$WORK/zoo-progressive.log"
echo "zoo progressive vs full: $("$PYTHON" benchmarks/rank-hub/compare.py "$WORK/zoo-full.json" "$WORK/zoo-progressive.json")"
grep -E '^(stage|top-)' "$WORK/zoo-progressive.log" || true
read -r zw zm zc < "$WORK/zoo_full.time"; read -r yw ym yc < "$WORK/zoo_progressive.time"
ZS=$(full_samples "$WORK/zoo-full.json")
echo "zoo: full $ZS model-samples, $zw s wall, $zc s CPU, $zm MB; progressive $(samples "$WORK/zoo-progressive.log") model-samples, $yw s wall, $yc s CPU, $ym MB"
echo "the zoo against fine-tuning truth, seeds 0-2: benchmarks/rank-hub/zoo_truth.sh" >&2
