#!/usr/bin/env bash
# Time and peak memory of `hubminer stats` (chunked, two shards) and `rank --stats`
# against the in-memory `rank` on a feature file larger than one 64 MB chunk.
# Needs python3 with numpy (any interpreter), GNU time at /usr/bin/time, and a release
# build: swift build -c release --product hubminer
# Usage: benchmarks/stats/run.sh [N] [D] [C]
set -euo pipefail
N=${1:-200000}
D=${2:-256}
C=${3:-20}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HUBMINER="$ROOT/.build/release/hubminer"
[ -x "$HUBMINER" ] || { echo "build first: swift build -c release --product hubminer" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/feats"
python3 - "$WORK" "$N" "$D" "$C" <<'PY'
import sys, numpy as np
work, n, d, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(0)
y = rng.integers(0, c, n)
f = rng.standard_normal((n, d), dtype=np.float32)
f[np.arange(n), y % d] += 1.0
np.save(f"{work}/feats/model.npy", f)
np.save(f"{work}/labels.npy", y)
PY
measure() {  # label, command...
    local label=$1; shift
    /usr/bin/time -v "$@" > "$WORK/out.txt" 2> "$WORK/time.txt"
    local secs rss
    secs=$(grep "Elapsed (wall clock)" "$WORK/time.txt" | awk '{print $NF}')
    rss=$(grep "Maximum resident set size" "$WORK/time.txt" | awk '{print $NF}')
    printf "| %s | %s | %.0f |\n" "$label" "$secs" "$(echo "$rss / 1024" | bc -l)"
}
HALF=$((N / 2))
BYTES=$(stat -c %s "$WORK/feats/model.npy")
echo "N=$N D=$D C=$C, feature file $((BYTES / 1048576)) MB float32 ($((N * D * 8 / 1048576)) MB as float64); $(nproc) cores; $(git -C "$ROOT" rev-parse --short HEAD)"
echo
echo "| command | wall (m:s) | peak RSS MB |"
echo "|---|---|---|"
measure "stats --rows 0:$HALF --class-grams" "$HUBMINER" stats --features "$WORK/feats" --labels "$WORK/labels.npy" --rows 0:$HALF --out "$WORK/a" --class-grams --quiet
measure "stats --rows $HALF:$N --class-grams" "$HUBMINER" stats --features "$WORK/feats" --labels "$WORK/labels.npy" --rows $HALF:$N --out "$WORK/b" --class-grams --quiet
measure "stats (all rows, default 64 MB chunks)" "$HUBMINER" stats --features "$WORK/feats" --labels "$WORK/labels.npy" --out "$WORK/all" --quiet
measure "stats (all rows, --chunk-rows 4096)" "$HUBMINER" stats --features "$WORK/feats" --labels "$WORK/labels.npy" --out "$WORK/all" --chunk-rows 4096 --quiet
measure "rank --stats a b --metric logme,hscore,hscore_shrinkage,transrate,gbc" "$HUBMINER" rank --stats "$WORK/a" "$WORK/b" --metric logme,hscore,hscore_shrinkage,transrate,gbc --format csv --quiet
cp "$WORK/out.txt" "$WORK/merged.csv"
measure "rank --features (in memory) --metric logme,hscore,hscore_shrinkage,transrate,gbc" "$HUBMINER" rank --features "$WORK/feats" --labels "$WORK/labels.npy" --metric logme,hscore,hscore_shrinkage,transrate,gbc --format csv --quiet
cp "$WORK/out.txt" "$WORK/whole.csv"
measure "rank --features --metric logme (LogME alone streams)" "$HUBMINER" rank --features "$WORK/feats" --labels "$WORK/labels.npy" --metric logme --format csv --quiet
echo
python3 - "$WORK/merged.csv" "$WORK/whole.csv" <<'PY'
import csv, sys
a = next(csv.DictReader(open(sys.argv[1]))); b = next(csv.DictReader(open(sys.argv[2])))
for m in ["logme", "hscore", "hscore_shrinkage", "transrate", "gbc"]:
    x, y = float(a[m]), float(b[m])
    print(f"{m}: merged {x:.12g}, whole {y:.12g}, relative difference {abs(x - y) / max(abs(x), abs(y)):.1e}")
PY
