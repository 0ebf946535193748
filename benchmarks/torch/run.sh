#!/usr/bin/env bash
# Training-step benchmark: the Torch layer (Swift) against PyTorch on the same
# libtorch version (2.11.0), same thread count and same OpenBLAS kernels.
#
#   benchmarks/torch/run.sh               # threads = number of cores
#   THREADS=1 PAIRS=10 MODES=same-default benchmarks/torch/run.sh
#
# Prints a Markdown table; copy it into benchmarks/torch/RESULTS.md. Times are the
# best per-run median step time; "CPU" is process CPU time per step (all threads),
# which other processes on a shared machine disturb far less than wall time.
# PyTorch is the `python3` on PATH (PYTHON=... to choose another); it must be torch
# 2.11.0, the version of the libtorch HubMiner links, for a like-for-like comparison.
set -euo pipefail
cd "$(dirname "$0")/../.."

THREADS="${THREADS:-$(nproc)}"
PAIRS="${PAIRS:-6}"
STEPS="${STEPS:-20}"
PYTHON="${PYTHON:-python3}"

swift build -c release --product TorchBenchmark >&2
BIN="$(swift build -c release --show-bin-path)/TorchBenchmark"

# Debian's OpenBLAS falls back to generic kernels on CPUs it does not know. Both
# sides get the same kernels through OPENBLAS_CORETYPE (read when OpenBLAS loads).
CORE="${OPENBLAS_CORETYPE:-$("$BIN" --recommended-core-type)}"

echo "Matrix product 1024x1024 float32 (libtorch, $THREADS threads):" >&2
# HUBMINER_BLAS_REEXEC=1 stops the program from fixing the kernels itself.
WITHOUT="$(env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS="$THREADS" HUBMINER_BLAS_REEXEC=1 "$BIN" --matmul --threads "$THREADS")"
if [ -n "$CORE" ]; then
    WITH="$(OPENBLAS_CORETYPE="$CORE" OPENBLAS_NUM_THREADS="$THREADS" "$BIN" --matmul --threads "$THREADS")"
else
    WITH="$WITHOUT"
fi

export OPENBLAS_CORETYPE="$CORE"
# libtorch's thread setting does not reach OpenBLAS's own thread pool (used by the
# matrix products); pin it to the same count on both sides.
export OPENBLAS_NUM_THREADS="$THREADS"
# Three allocator set-ups (see docs/TORCH.md, "Allocator note"):
#   same-default: glibc's adaptive thresholds on both sides (Swift opts out of tuning)
#   same-tuned:   fixed thresholds on both sides, through the environment
#   as-shipped:   TorchRuntime.configure()'s tuning vs PyTorch's default
MODES="${MODES:-same-default same-tuned as-shipped}"
TUNED_ENV=(MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=134217728)

run_mode() {
    local mode="$1" swift_env=() python_env=() swift_flags=()
    case "$mode" in
        same-default) swift_flags=(--no-allocator-tuning) ;;
        same-tuned) swift_env=("${TUNED_ENV[@]}"); python_env=("${TUNED_ENV[@]}") ;;
        as-shipped) ;;
        *) echo "unknown mode $mode" >&2; exit 2 ;;
    esac
    local swift_runs=() python_runs=()
    # Many short runs, alternating the two sides: on a shared machine, background
    # load comes and goes, and the best median of each side is taken from its
    # quiet moments.
    for _ in $(seq "$PAIRS"); do
        swift_runs+=("$(env "${swift_env[@]}" "$BIN" --threads "$THREADS" --rounds 1 --steps "$STEPS" "${swift_flags[@]}")")
        python_runs+=("$(env "${python_env[@]}" "$PYTHON" benchmarks/torch/bench_torch.py --threads "$THREADS" --rounds 1 --steps "$STEPS")")
    done
    "$PYTHON" - "$mode" "${swift_runs[@]}" "${python_runs[@]}" <<'PY'
import json, statistics, sys
mode = sys.argv[1]
runs = [json.loads(a) for a in sys.argv[2:]]
swift = [r for r in runs if r["side"] == "swift"]
torch = [r for r in runs if r["side"] == "pytorch"]
best = lambda rs, k: min(r[k] for r in rs)
print(f"### Allocator: {mode}")
print()
print(f"libtorch {torch[0]['version']}, {swift[0]['threads']} intra-op threads, OpenBLAS kernels {swift[0]['blas_core']}, "
      f"best median step time of {len(swift)} alternating runs per side")
print()
print("| Benchmark | Swift wall (ms) | PyTorch wall (ms) | wall ratio | Swift CPU (ms) | PyTorch CPU (ms) | CPU ratio |")
print("|---|---:|---:|---:|---:|---:|---:|")
for key, name in [("mlp", "MLP 1024-512-100, batch 256, SGD step"),
                  ("cnn", "CNN conv32-conv64-fc10, batch 64x3x32x32, SGD step")]:
    sw, tw = best(swift, key + "_step_ms"), best(torch, key + "_step_ms")
    sc, tc = best(swift, key + "_cpu_ms"), best(torch, key + "_cpu_ms")
    print(f"| {name} | {sw:.2f} | {tw:.2f} | {sw / tw:.2f}x | {sc:.2f} | {tc:.2f} | {sc / tc:.2f}x |")
print()
print(f"Peak resident memory (largest run, both models): Swift {max(r['peak_rss_mb'] for r in swift):.0f} MB, "
      f"PyTorch {max(r['peak_rss_mb'] for r in torch):.0f} MB")
print()
for key in ["mlp_step_ms", "cnn_step_ms"]:
    s, t = sorted(r[key] for r in swift), sorted(r[key] for r in torch)
    print(f"All run medians, {key}: Swift {s}, PyTorch {t}; median of runs: Swift {statistics.median(s):.2f}, "
          f"PyTorch {statistics.median(t):.2f}, ratio {statistics.median(s) / statistics.median(t):.2f}x")
    print()
PY
}

for mode in $MODES; do run_mode "$mode"; done

"$PYTHON" - "$WITHOUT" "$WITH" <<'PY'
import json, sys
without, with_fix = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("### OpenBLAS kernels")
print()
print("| OpenBLAS kernels | 1024x1024 float32 matmul (ms) |")
print("|---|---:|")
print(f"| {without['core']} (as detected) | {without['matmul_1024_ms']:.2f} |")
print(f"| {with_fix['core']} (OPENBLAS_CORETYPE) | {with_fix['matmul_1024_ms']:.2f} |")
PY
