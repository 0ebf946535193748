#!/usr/bin/env bash
# Extraction benchmark: `hubminer extract` against PyTorch's own forward on the same
# TorchScript model, batch size, thread count and array of images.
#
#   benchmarks/extraction/run.sh                 # 2,000 images 3x64x64, batch 64, all cores
#   SAMPLES=500 BATCH=32 RUNS=5 benchmarks/extraction/run.sh
#
# Both sides compute the features and the source head's softmax, with data loading
# from the same .npy file included. hubminer runs with an empty cache each time
# (a fresh --cache-dir), so its time also covers hashing the model, writing the
# cached .npy files and their checksums. Runs alternate between the two sides;
# prints the best wall and CPU (user + system) times per side, the ratio of the best
# wall times and the median of the per-run ratios (robust on a shared machine). PyTorch is the `python3` on PATH
# (PYTHON=... to choose another): torch 2.11.0, the version of the libtorch HubMiner links.
set -euo pipefail
cd "$(dirname "$0")/../.."

SAMPLES="${SAMPLES:-2000}"
SIZE="${SIZE:-64}"
BATCH="${BATCH:-64}"
THREADS="${THREADS:-$(nproc)}"
RUNS="${RUNS:-3}"
PYTHON="${PYTHON:-python3}"

swift build -c release --product hubminer >&2
swift build -c release --product hubminer-torch >&2  # extract is forwarded to it
BIN="$(swift build -c release --show-bin-path)/hubminer"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$PYTHON" benchmarks/extraction/make_model.py "$WORK" --samples "$SAMPLES" --size "$SIZE"

# Same OpenBLAS kernels on both sides (hubminer re-executes itself with this set
# when OpenBLAS would pick generic kernels; PyTorch gets it from the environment).
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
    if grep -qw avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX
    elif grep -qw avx2 /proc/cpuinfo; then export OPENBLAS_CORETYPE=Haswell; fi
fi
export OPENBLAS_NUM_THREADS="$THREADS"

best() { sort -g | head -1; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
hub_wall=() hub_cpu=() py_wall=() py_cpu=() ratios=() pyt_wall=() pyt_cpu=() tuned_ratios=() hub_mem=() py_mem=() pyt_mem=()
for run in $(seq "$RUNS"); do
    rm -rf "$WORK/cache" "$WORK/out"
    # /usr/bin/time: wall, user and system seconds of the whole process.
    /usr/bin/time -f "%e %U %S %M" -o "$WORK/hub.time" "$BIN" extract --hub "$WORK/hub" --data "$WORK/data" \
        --out "$WORK/out" --cache-dir "$WORK/cache" --batch-size "$BATCH" --threads "$THREADS" --quiet > "$WORK/table"
    rate="$(awk -F'\t' '$1 == "smallresnet" { print $6 }' "$WORK/table")"
    /usr/bin/time -f "%e %U %S %M" -o "$WORK/py.time" "$PYTHON" benchmarks/extraction/pytorch_forward.py \
        "$WORK/hub/smallresnet.pt" "$WORK/data" "$BATCH" "$THREADS" > /dev/null
    MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=134217728 \
        /usr/bin/time -f "%e %U %S %M" -o "$WORK/pyt.time" "$PYTHON" benchmarks/extraction/pytorch_forward.py \
        "$WORK/hub/smallresnet.pt" "$WORK/data" "$BATCH" "$THREADS" > /dev/null
    read -r tw tu ts tm < "$WORK/pyt.time"
    read -r hw hu hs hm < "$WORK/hub.time"
    pyt_wall+=("$tw"); pyt_cpu+=("$(echo "$tu + $ts" | bc -l)")
    tuned_ratios+=("$(echo "$hw / $tw" | bc -l)")
    read -r pw pu ps pm < "$WORK/py.time"
    hub_mem+=("$hm"); py_mem+=("$pm"); pyt_mem+=("$tm")
    hub_wall+=("$hw"); py_wall+=("$pw")
    hub_cpu+=("$(echo "$hu + $hs" | bc -l)"); py_cpu+=("$(echo "$pu + $ps" | bc -l)")
    ratios+=("$(echo "$hw / $pw" | bc -l)")
    echo "run $run: hubminer ${hw} s wall, ${hub_cpu[-1]} s CPU (extraction loop $rate images/s);" \
        "PyTorch ${pw} s wall, ${py_cpu[-1]} s CPU; PyTorch, same allocator settings, ${tw} s wall, ${pyt_cpu[-1]} s CPU;" \
        "peak RSS hubminer $((hm / 1024)) MB, PyTorch $((pm / 1024)) MB, $((tm / 1024)) MB; load $(cut -d' ' -f1 /proc/loadavg)" >&2
done
HW=$(printf '%s\n' "${hub_wall[@]}" | best); PW=$(printf '%s\n' "${py_wall[@]}" | best); TW=$(printf '%s\n' "${pyt_wall[@]}" | best)
HC=$(printf '%s\n' "${hub_cpu[@]}" | best); PC=$(printf '%s\n' "${py_cpu[@]}" | best); TC=$(printf '%s\n' "${pyt_cpu[@]}" | best)
RM=$(printf '%s\n' "${ratios[@]}" | median); TM=$(printf '%s\n' "${tuned_ratios[@]}" | median)
echo "| PyTorch set-up | hubminer wall (best) | PyTorch wall (best) | ratio of bests | median of per-run ratios | hubminer CPU (best) | PyTorch CPU (best) |"
echo "|---|---|---|---|---|---|---|"
row() { printf '| %s | %.2f s | %.2f s | %.3f | %.3f | %.2f s | %.2f s |\n' "$1" "$HW" "$2" "$(echo "$HW / $2" | bc -l)" "$3" "$HC" "$4"; }
row "glibc defaults" "$PW" "$RM" "$PC"
row "same allocator thresholds" "$TW" "$TM" "$TC"
peak() { sort -g | tail -1; }
echo "Peak resident memory (largest run): hubminer $(( $(printf '%s\n' "${hub_mem[@]}" | peak) / 1024 )) MB," \
    "PyTorch $(( $(printf '%s\n' "${py_mem[@]}" | peak) / 1024 )) MB," \
    "PyTorch with the same allocator thresholds $(( $(printf '%s\n' "${pyt_mem[@]}" | peak) / 1024 )) MB"
echo "($SAMPLES images 3x${SIZE}x${SIZE}, batch $BATCH, $THREADS threads, best of $RUNS)"
