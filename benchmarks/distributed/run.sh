#!/usr/bin/env bash
# `hubminer rank` on 1 process against `rank --nproc P` (P local processes over
# libtorch's c10d/Gloo on 127.0.0.1): wall time, the ranks' phase timings and the
# float64 values all-reduced, on generated features (M models, N rows, D float32
# columns, C classes). Needs python3 with numpy (any interpreter) and GNU time at
# /usr/bin/time. Build first: swift build -c release --product hubminer --product hubminer-torch
# (or BUILD=debug to time a debug build).
# Usage: benchmarks/distributed/run.sh [M] [N] [D] [C] [P]
set -euo pipefail
M=${1:-12}
N=${2:-50000}
D=${3:-512}
C=${4:-10}
P=${5:-2}
BUILD=${BUILD:-release}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HUBMINER="$ROOT/.build/$BUILD/hubminer"
[ -x "$HUBMINER" ] && [ -x "$ROOT/.build/$BUILD/hubminer-torch" ] || {
    echo "build first: swift build -c $BUILD --product hubminer --product hubminer-torch" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/feats"
python3 - "$WORK" "$M" "$N" "$D" "$C" <<'PY'
import sys, numpy as np
work, m, n, d, c = sys.argv[1], *map(int, sys.argv[2:6])
rng = np.random.default_rng(0)
y = rng.integers(0, c, n)
np.save(f"{work}/labels.npy", y)
for i in range(m):
    f = rng.standard_normal((n, d), dtype=np.float32) + 0.5
    f[np.arange(n), y % d] += 0.1 * (i + 1)
    np.save(f"{work}/feats/model_{i:02d}.npy", f)
PY
METRICS=logme,hscore
export HUBMINER_DIST_TIMEOUT=${HUBMINER_DIST_TIMEOUT:-300}
measure() {  # label, command...
    local label=$1; shift
    /usr/bin/time -v "$@" > "$WORK/out.txt" 2> "$WORK/time.txt"
    local secs rss
    secs=$(grep "Elapsed (wall clock)" "$WORK/time.txt" | awk '{print $NF}')
    rss=$(grep "Maximum resident set size" "$WORK/time.txt" | awk '{print $NF}')
    printf "| %s | %s | %.0f |\n" "$label" "$secs" "$(echo "$rss / 1024" | bc -l)"
}
echo "M=$M models, N=$N, D=$D float32, C=$C; $(nproc) cores; $BUILD build; $(git -C "$ROOT" rev-parse --short HEAD)"
echo
echo "| command | wall (m:s) | peak RSS MB (launcher or process) |"
echo "|---|---|---|"
measure "rank (1 process, in memory, --metric $METRICS)" "$HUBMINER" rank --features "$WORK/feats" --labels "$WORK/labels.npy" --metric $METRICS --format json --quiet
cp "$WORK/out.txt" "$WORK/single.json"
measure "rank --nproc 1 (statistics path, one rank)" "$HUBMINER" rank --features "$WORK/feats" --labels "$WORK/labels.npy" --metric $METRICS --format json --nproc 1
grep "of 1: join" "$WORK/time.txt" > "$WORK/phases1.txt" || true
measure "rank --nproc $P" "$HUBMINER" rank --features "$WORK/feats" --labels "$WORK/labels.npy" --metric $METRICS --format json --nproc "$P"
cp "$WORK/out.txt" "$WORK/multi.json"
echo
echo "Phases (per rank, from its stderr):"
echo '```'
cat "$WORK/phases1.txt"
grep "of $P: join" "$WORK/time.txt" || true
echo '```'
python3 - "$WORK/single.json" "$WORK/multi.json" <<'PY'
import json, sys
a = {m["name"]: m["metrics"] for m in json.load(open(sys.argv[1]))["models"]}
b = {m["name"]: m["metrics"] for m in json.load(open(sys.argv[2]))["models"]}
worst = max(abs(a[n][k]["score"] - b[n][k]["score"]) / max(1, abs(a[n][k]["score"])) for n in a for k in a[n])
print(f"largest relative difference of {len(a)} models' scores, 1 process vs --nproc: {worst:.1e}")
PY
