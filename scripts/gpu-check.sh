#!/usr/bin/env bash
# The GPU checks: run HubMiner on a machine with a GPU and compare it with PyTorch
# on the same GPU. That machine has PyTorch (2.11.0, CUDA) but no Swift toolchain,
# so the programs are built here and carried there (benchmarks/README.md, "GPU").
#
#   bash scripts/gpu-check.sh pack          # here: release build, Swift's standard library
#                                           # linked statically, into .build/gpu-check/
#   bash scripts/gpu-check.sh run [DIR]     # there: checks, timings, results in DIR
#                                           # (default: $OUT, else .build/gpu-check/results)
#
# `run` records, each side by side with PyTorch on the same GPU:
#   1. the environment: nvidia-smi, PyTorch's version and CUDA, the programs' libraries;
#   2. --device cuda works: `tune --device cuda` then `--resume --device cpu` of the
#      same run (checkpoints are device-independent), and a CUDA extraction;
#      2b. a one-rank data-parallel run over the NCCL plugin;
#   3. training steps: TorchBenchmark --device cuda against bench_torch.py --device cuda;
#   4. extraction throughput: `hubminer extract --device cuda` against
#      pytorch_forward.py ... cuda on the benchmark's model and images;
#   5. the quick demo's wall time on the GPU and on the CPU.
# Every step's output goes to DIR/*.txt; DIR/summary.txt has the figures for
# benchmarks/torch/RESULTS.md and benchmarks/extraction/RESULTS.md.
set -uo pipefail
cd "$(dirname "$0")/.."
PACK=.build/gpu-check

pack() {
    set -e
    for product in hubminer hubminer-torch TorchBenchmark; do
        swift build -c release --static-swift-stdlib --product "$product" >&2
    done
    local bin
    bin="$(swift build -c release --static-swift-stdlib --show-bin-path)"
    rm -rf "$PACK" && mkdir -p "$PACK/bin"
    cp "$bin/hubminer" "$bin/hubminer-torch" "$bin/TorchBenchmark" "$PACK/bin/"
    strip "$PACK/bin/"* 2>/dev/null || true
    # The NCCL plugin travels beside the programs, where they look for it.
    if bash scripts/dev.sh nccl; then
        cp "${HUBMINER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hubminer}/nccl-2.11.0/libhubminer_nccl.so" "$PACK/bin/"
    else
        echo "no NCCL plugin packed (see above); step 2b will report NCCL unavailable" >&2
    fi
    du -sh "$PACK" >&2
    echo "carry $PACK (with benchmarks/ and scripts/ from the tree); there: bash scripts/gpu-check.sh run" >&2
}

run() {
    local out="${1:-${OUT:-$PACK/results}}" bin="$PACK/bin" python="${PYTHON:-python3}"
    mkdir -p "$out"
    out="$(cd "$out" && pwd)"
    # The GPU machine's own libtorch (the same version as the build's) and its CUDA
    # libraries: libtorch_cuda.so is loaded from beside libtorch_cpu.so.
    local torchlib
    torchlib="$("$python" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')" || {
        echo "gpu-check: $python has no torch" >&2; exit 1; }
    export LD_LIBRARY_PATH="$torchlib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    local summary="$out/summary.txt"
    : > "$summary"
    note() { echo "$*" | tee -a "$summary"; }

    # 1. Environment.
    { date -u; uptime; nvidia-smi || true
      "$python" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "gpus", torch.cuda.device_count())'
      for b in "$bin"/*; do echo "== ldd $b"; ldd "$b"; done; } > "$out/environment.txt" 2>&1
    note "torch: $("$python" -c 'import torch; print(torch.__version__, torch.version.cuda)')"
    if grep -q "not found" "$out/environment.txt"; then
        note "missing libraries (install them, or add their directory to LD_LIBRARY_PATH):"
        grep "not found" "$out/environment.txt" | sort -u | tee -a "$summary"
        exit 1
    fi

    local work="$out/work"
    rm -rf "$work" && mkdir -p "$work"
    "$python" benchmarks/extraction/make_model.py "$work" --samples 2000 --size 64 > "$out/make_model.txt" 2>&1

    # 2. CUDA works end to end, and a GPU run resumes on the CPU: the GPU run is
    # interrupted (SIGINT: a checkpoint, exit 130), the same command continues on the CPU.
    local tune=("$bin/hubminer" tune --hub "$work/hub" --data "$work/data" --target smallresnet --iterations 200
        --batch-size 64 --out "$work/tune" --quiet)
    timeout -s INT 20 "${tune[@]}" --device cuda > "$out/tune-cuda.txt" 2>&1
    note "tune --device cuda (stopped after 20 s): exit $? (130: interrupted with a checkpoint; tune-cuda.txt)"
    "${tune[@]}" --device cpu --resume > "$out/tune-resume-cpu.txt" 2>&1
    note "tune --resume --device cpu: exit $? (tune-resume-cpu.txt)"

    # 2b. The NCCL plugin: a one-rank data-parallel run on the GPU (two ranks need two
    # GPUs: NCCL refuses two ranks on one device) against the same run on one process.
    "$bin/hubminer" tune --hub "$work/hub" --data "$work/data" --target smallresnet --iterations 20 \
        --batch-size 64 --out "$work/tune-nccl" --quiet --device cuda --nproc 1 > "$out/tune-nccl.txt" 2>&1
    note "tune --device cuda --nproc 1 (NCCL): exit $? (tune-nccl.txt)"

    # 3. Training steps against PyTorch on the GPU.
    local i
    for i in 1 2 3; do
        "$bin/TorchBenchmark" --device cuda --rounds 1 --steps 50
        "$python" benchmarks/torch/bench_torch.py --device cuda --rounds 1 --steps 50
    done > "$out/train-step.txt" 2>&1
    note "training steps (ms, one JSON line per run, alternating Swift / PyTorch):"
    tee -a "$summary" < "$out/train-step.txt"

    # 4. Extraction throughput against PyTorch on the GPU (empty cache each time).
    : > "$out/extraction.txt"
    for i in 1 2 3; do
        rm -rf "$work/cache" "$work/out"
        /usr/bin/time -f "hubminer %e s wall, %M KB peak" -a -o "$out/extraction.txt" "$bin/hubminer" extract \
            --hub "$work/hub" --data "$work/data" --out "$work/out" --cache-dir "$work/cache" --batch-size 64 \
            --device cuda --quiet >> "$out/extraction.txt" 2>&1
        /usr/bin/time -f "pytorch %e s wall, %M KB peak" -a -o "$out/extraction.txt" "$python" \
            benchmarks/extraction/pytorch_forward.py "$work/hub/smallresnet.pt" "$work/data" 64 "$(nproc)" cuda \
            >> "$out/extraction.txt" 2>&1
    done
    note "extraction, 2,000 images 3x64x64, batch 64:"
    tee -a "$summary" < "$out/extraction.txt"

    # 5. The quick demo's wall time, GPU then CPU (fresh caches).
    for device in cuda cpu; do
        /usr/bin/time -f "demo --quick --device $device: %e s wall, %M KB peak" -a -o "$summary" \
            "$bin/hubminer" demo --quick --device "$device" --cache-dir "$work/demo-$device" > "$out/demo-$device.txt" 2>&1
    done
    tail -2 "$summary"
    echo "results in $out" >&2
}

case "${1:-}" in
    pack) pack ;;
    run) shift; run "$@" ;;
    *) echo "usage: bash scripts/gpu-check.sh pack | run [DIR]" >&2; exit 2 ;;
esac
