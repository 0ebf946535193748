#!/usr/bin/env bash
# Inference speed of extraction alone (no decoding): 3 torchvision models
# (resnet18, mobilenet_v3_small, efficientnet_b0; random weights, torch.jit.script)
# over COUNT samples of 3 x 224 x 224 in batches of BATCH on THREADS threads:
#   - PyTorch: the TorchScript model under torch.no_grad() and under torch.inference_mode()
#   - hubminer extract --plain-inference: InferenceMode, the module as loaded
#   - hubminer extract --layout-probe off: frozen + optimize_for_inference, NCHW, batch BATCH
#   - hubminer extract --layout-probe always: the same, then the memory format and
#     batch size its probe on the first chunk measured fastest
# Each run is one process (every model in turn), back to back at the same nice level,
# under /usr/bin/time -v (wall, CPU, peak RSS). Per-model seconds: hubminer's extract
# table (forward passes only; the probe is logged apart), PyTorch's own timer.
#
#   COUNT=256 BATCH=32 THREADS=2 benchmarks/rank-hub/inference_speed.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

COUNT="${COUNT:-256}"
BATCH="${BATCH:-32}"
THREADS="${THREADS:-2}"
PYTHON="${PYTHON:-python3}"
WORK="${WORK:-$(mktemp -d)}"
KEEP="${KEEP:-0}"
[ "$KEEP" = 1 ] || trap 'rm -rf "$WORK"' EXIT
BIN="${BIN:-}"
if [ -z "$BIN" ]; then
    swift build -c release --product hubminer >&2
    swift build -c release --product hubminer-torch >&2
    BIN="$(swift build -c release --show-bin-path)/hubminer"
fi
if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -qw avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX; fi

[ -d "$WORK/hub" ] || "$PYTHON" benchmarks/rank-hub/inference_speed.py make "$WORK" --count "$COUNT"

timed() {  # timed NAME command...: "wall cpu peakMB" into $WORK/NAME.time
    local name="$1"; shift
    /usr/bin/time -v -o "$WORK/$name.tv" "$@"
    awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; w = s }
                /User time/ { u = $2 } /System time/ { y = $2 }
                /Maximum resident set size/ { m = $2 / 1024 } END { printf "%.2f %.2f %.0f\n", w, u + y, m }' "$WORK/$name.tv" > "$WORK/$name.time"
    echo "$name: $(cat "$WORK/$name.time") (wall s, CPU s, peak MB); load $(cut -d' ' -f1 /proc/loadavg)" >&2
}

hub() {  # hub NAME extra-flags...
    local name="$1"; shift
    rm -rf "$WORK/cache-$name" "$WORK/out-$name"
    timed "$name" "$BIN" extract --hub "$WORK/hub" --data "$WORK/data" --batch-size "$BATCH" --torch-threads "$THREADS" --loader-workers 1 \
        --cache-dir "$WORK/cache-$name" --out "$WORK/out-$name" "$@" > "$WORK/$name.table" 2> "$WORK/$name.log"
}

timed torch_no_grad "$PYTHON" benchmarks/rank-hub/inference_speed.py time "$WORK" no_grad "$BATCH" "$THREADS" > "$WORK/torch_no_grad.json"
timed torch_inference_mode "$PYTHON" benchmarks/rank-hub/inference_speed.py time "$WORK" inference_mode "$BATCH" "$THREADS" > "$WORK/torch_inference_mode.json"
hub hub_plain --plain-inference
hub hub_optimised --layout-probe off
hub hub_probed --layout-probe always

for run in hub_plain hub_optimised hub_probed; do echo "== $run"; cat "$WORK/$run.table"; grep -E "frozen|as loaded|layout" "$WORK/$run.log" || true; done
for run in torch_no_grad torch_inference_mode; do echo "== $run"; cat "$WORK/$run.json"; done
echo "== whole processes (wall s, CPU s, peak MB)"
for run in torch_no_grad torch_inference_mode hub_plain hub_optimised hub_probed; do echo "$run $(cat "$WORK/$run.time")"; done
"$PYTHON" - "$WORK" <<'PY'
import json, sys, numpy as np, os
w = sys.argv[1]
for run in ["hub_plain", "hub_optimised", "hub_probed"]:
    for name in ["resnet18", "mobilenet_v3_small", "efficientnet_b0"]:
        a = np.load(os.path.join(w, f"out-{run}", "features", name + ".npy"))
        ref = np.load(os.path.join(w, "out-hub_plain", "features", name + ".npy"))
        print(f"{run} {name}: max relative difference to the module as loaded {np.abs(a - ref).max() / np.abs(ref).max():.2e}")
PY
