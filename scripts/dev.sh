#!/usr/bin/env bash
# HubMiner's one entry point for newcomers and CI:
#   bash scripts/dev.sh demo    the quick demo: built-in zoo -> ranking -> tuning -> report
#                               (installs what it needs first; extra arguments go to
#                               `hubminer demo`, e.g. `bash scripts/dev.sh demo --full`,
#                               the same as `hubminer demo` or `hubminer demo --full`)
#   bash scripts/dev.sh test    run the test suite (`swift test`, after the same install)
#   bash scripts/dev.sh deps    only install the Debian packages and libtorch
#   bash scripts/dev.sh build   release build of `hubminer` and `hubminer-torch`
# The Swift 6 toolchain itself is expected on PATH; the C libraries come from Debian,
# libtorch from PyPI's `torch` wheel (pinned below; installed once per machine into
# ${XDG_CACHE_HOME:-$HOME/.cache}/hubminer/, where Package.swift finds it).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the build links against (C libraries through system-library targets)
# and the tools the build needs to find them.
# libgloo-dev supplies only the Gloo headers that libtorch's ProcessGroupGloo.hpp
# includes (the wheel ships none; docs/DISTRIBUTED.md says why these are sound);
# python3-pip downloads the libtorch wheel.
PACKAGES=(pkg-config libopenblas-dev liblapacke-dev zlib1g-dev libpng-dev libjpeg62-turbo-dev libsqlite3-dev libgloo-dev python3-pip unzip)

install_deps() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing Debian packages: ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# libtorch: the include/ and lib/ of PyPI's torch wheel (one pinned version, the one
# the GPU machines run, so that a build made here runs there against their own
# libtorch), plus the two small CUDA runtime libraries that libtorch_cpu.so links
# (libcudart, libcupti; they are only called when a GPU is used). Every file is
# checked against its SHA-256, the install is assembled beside the cache entry and
# renamed into place, so a half-finished install is never seen. LIBTORCH=/path or
# LIBTORCH_USE_PYTORCH=1 (the installed Python torch) skip it (docs/TORCH.md).
TORCH_VERSION=2.11.0
TORCH_WHEEL=torch-2.11.0-cp311-cp311-manylinux_2_28_x86_64.whl
TORCH_SHA256=7aa2f9bbc6d4595ba72138026b2074be1233186150e9292865e04b7a63b8c67a
CUDART_WHEEL=nvidia_cuda_runtime-13.0.96-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl
CUDART_SHA256=7f82250d7782aa23b6cfe765ecc7db554bd3c2870c43f3d1821f1d18aebf0548
CUPTI_WHEEL=nvidia_cuda_cupti-13.0.85-py3-none-manylinux_2_25_x86_64.whl
CUPTI_SHA256=4eb01c08e859bf924d222250d2e8f8b8ff6d3db4721288cf35d14252a4d933c8
LIBTORCH_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/hubminer/libtorch-$TORCH_VERSION"

# Downloads one pinned wheel into $2 (the wheel's own tags, whatever Python runs pip)
# and checks its digest.
fetch_wheel() {
    local requirement=$1 dir=$2 file=$3 sha=$4 python_tag=$5 abi=$6 platform=$7
    python3 -m pip download --quiet --no-deps --only-binary=:all: --no-cache-dir \
        --implementation "${python_tag:0:2}" --python-version "${python_tag:2}" --abi "$abi" --platform "$platform" \
        -d "$dir" "$requirement" >&2
    [ -f "$dir/$file" ] || { echo "libtorch install: pip did not fetch $file" >&2; return 1; }
    echo "$sha  $dir/$file" | sha256sum --check --quiet - ||
        { echo "libtorch install: $file does not match its pinned SHA-256" >&2; return 1; }
}

install_libtorch() {
    [ -n "${LIBTORCH:-}" ] || [ "${LIBTORCH_USE_PYTORCH:-}" = 1 ] && return 0
    [ -f "$LIBTORCH_CACHE/lib/libtorch.so" ] && return 0
    echo "installing libtorch $TORCH_VERSION (PyPI's torch wheel, about 530 MB to download) into $LIBTORCH_CACHE" >&2
    local parent staging started=$SECONDS
    parent=$(dirname "$LIBTORCH_CACHE")
    mkdir -p "$parent"
    staging=$(mktemp -d "$parent/.libtorch-$TORCH_VERSION.XXXXXX")
    trap 'rm -rf "$staging"' EXIT
    fetch_wheel "torch==$TORCH_VERSION" "$staging/wheels" "$TORCH_WHEEL" "$TORCH_SHA256" cp311 cp311 manylinux_2_28_x86_64
    fetch_wheel "nvidia-cuda-runtime==13.0.96" "$staging/wheels" "$CUDART_WHEEL" "$CUDART_SHA256" cp311 none manylinux_2_17_x86_64
    fetch_wheel "nvidia-cuda-cupti==13.0.85" "$staging/wheels" "$CUPTI_WHEEL" "$CUPTI_SHA256" cp311 none manylinux_2_25_x86_64
    # Headers, and the CPU libraries with the OpenMP runtime they link; not the
    # CUDA libraries (libtorch_cuda.so is loaded from a GPU machine's own install).
    unzip -q "$staging/wheels/$TORCH_WHEEL" 'torch/include/*' 'torch/lib/libtorch_cpu.so' 'torch/lib/libc10.so' \
        'torch/lib/libgomp.so.1' -d "$staging/unpacked"
    unzip -q "$staging/wheels/$CUDART_WHEEL" 'nvidia/cu13/lib/libcudart.so.13' -d "$staging/unpacked"
    unzip -q "$staging/wheels/$CUPTI_WHEEL" 'nvidia/cu13/lib/libcupti.so.13' -d "$staging/unpacked"
    mkdir -p "$staging/libtorch"
    mv "$staging/unpacked/torch/include" "$staging/unpacked/torch/lib" "$staging/libtorch/"
    mv "$staging/unpacked/nvidia/cu13/lib/"* "$staging/libtorch/lib/"
    # AOTInductor packages link libtorch.so, which in the wheel also pulls in the CUDA
    # libraries: a CPU libtorch.so that links libtorch_cpu only stands in for it.
    local cc
    cc=$(command -v cc || command -v clang) || { echo "libtorch install: no C compiler (cc or clang)" >&2; return 1; }
    "$cc" -shared -x c /dev/null -o "$staging/libtorch/lib/libtorch.so" -Wl,-soname,libtorch.so \
        -Wl,--no-as-needed -L"$staging/libtorch/lib" -ltorch_cpu -Wl,-rpath,'$ORIGIN'
    echo "$TORCH_VERSION" > "$staging/libtorch/VERSION"
    # An install from an older dev.sh (without libtorch.so) is replaced; another clone
    # may have finished the same install meanwhile: then keep the first.
    [ -d "$LIBTORCH_CACHE" ] && [ ! -f "$LIBTORCH_CACHE/lib/libtorch.so" ] && mv -T "$LIBTORCH_CACHE" "$staging/old"
    mv -T "$staging/libtorch" "$LIBTORCH_CACHE" 2>/dev/null || [ -f "$LIBTORCH_CACHE/lib/libtorch.so" ]
    rm -rf "$staging"
    trap - EXIT
    echo "libtorch $TORCH_VERSION installed in $((SECONDS - started)) s" >&2
}

# The NCCL process-group plugin (docs/DISTRIBUTED.md, "GPUs and NCCL"): c10d's
# NCCL group lives in libtorch_cuda and its header needs CUDA's and NCCL's headers,
# so it is compiled apart from the SwiftPM build, against a CUDA build of PyTorch
# of the pinned version installed by pip (its torch/include and lib, and the
# nvidia-* packages it depends on, which carry the CUDA, cuBLAS, cuSPARSE,
# cuSOLVER and NCCL headers). Two header-only packages the torch wheel does not
# depend on (nvidia-cuda-crt, nvidia-cuda-cccl, about 4 MB) are fetched into the
# cache. The result goes to the per-machine cache, where HubMiner looks for it.
build_nccl_plugin() {
    local python=${PYTHON:-python3} info torch_dir cuda site out headers
    info=$("$python" -c 'import os, torch; print(torch.__version__.split("+")[0], torch.version.cuda or "", os.path.dirname(torch.__file__))' 2>/dev/null) ||
        { echo "nccl plugin: $python has no torch; install PyTorch $TORCH_VERSION for CUDA with pip (pip install torch==$TORCH_VERSION)" >&2; return 1; }
    read -r version cuda torch_dir <<<"$info"
    [ "$version" = "$TORCH_VERSION" ] ||
        { echo "nccl plugin: $python has torch $version; the plugin must match HubMiner's libtorch $TORCH_VERSION" >&2; return 1; }
    [ -n "$cuda" ] && [ -f "$torch_dir/lib/libtorch_cuda.so" ] ||
        { echo "nccl plugin: $python's torch $version is a CPU-only build; the plugin needs the CUDA build" >&2; return 1; }
    site=$(dirname "$torch_dir")/nvidia
    for h in cu13/include/cuda_runtime_api.h cu13/include/cublas_v2.h nccl/include/nccl.h; do
        [ -f "$site/$h" ] || { echo "nccl plugin: $site/$h is missing (reinstall torch==$TORCH_VERSION with its nvidia-* dependencies)" >&2; return 1; }
    done
    local cache="${HUBMINER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hubminer}"
    mkdir -p "$cache"
    headers="$cache/cuda-headers-$cuda"
    if [ ! -f "$headers/nvidia/cu13/include/crt/host_config.h" ] || [ ! -d "$headers/nvidia/cu13/include/nv" ]; then
        local staging
        staging=$(mktemp -d "$cache/.cuda-headers.XXXXXX")
        "$python" -m pip download --quiet --no-deps --only-binary=:all: -d "$staging" \
            "nvidia-cuda-crt==$cuda.*" "nvidia-cuda-cccl==$cuda.*" >&2
        (cd "$staging" && for w in *.whl; do python3 -m zipfile -e "$w" .; done && rm -f ./*.whl)
        rm -rf "$headers"
        mv -T "$staging" "$headers"
    fi
    out="$cache/nccl-$TORCH_VERSION"
    mkdir -p "$out"
    local cxx
    cxx=$(command -v clang++ || command -v c++) || { echo "nccl plugin: no C++ compiler" >&2; return 1; }
    echo "compiling the NCCL plugin against $torch_dir (CUDA $cuda)" >&2
    "$cxx" -std=c++17 -O2 -fPIC -shared -D_GLIBCXX_USE_CXX11_ABI=1 \
        -I"$torch_dir/include" -I"$torch_dir/include/torch/csrc/api/include" \
        -I"$site/cu13/include" -I"$headers/nvidia/cu13/include" -I"$site/nccl/include" \
        Sources/CTorch/nccl/nccl_plugin.cpp \
        -L"$torch_dir/lib" -ltorch_cuda -lc10_cuda -ltorch_cpu -lc10 \
        -o "$out/libhubminer_nccl.so.partial"
    mv -f "$out/libhubminer_nccl.so.partial" "$out/libhubminer_nccl.so"
    echo "NCCL plugin: $out/libhubminer_nccl.so" >&2
}

[ "${1:-}" = nccl ] || command -v swift >/dev/null || { echo "swift not found: install the Swift 6 toolchain and put it on PATH" >&2; exit 1; }

case "${1:-}" in
    deps) install_deps; install_libtorch ;;
    nccl) build_nccl_plugin ;;
    build)
        install_deps
        install_libtorch
        # hubminer (ranking) and hubminer-torch (commands that run models), side by side.
        swift build -c release --product hubminer
        swift build -c release --product hubminer-torch
        ;;
    demo)
        install_deps
        install_libtorch
        swift build -c release --product hubminer >&2
        swift build -c release --product hubminer-torch >&2
        shift
        # The quick demo unless the caller asks for the full one (`--full`, the default
        # of `hubminer demo` itself) or says --quick.
        case " $* " in *" --full "* | *" --quick "*) ;; *) set -- --quick "$@" ;; esac
        exec "$(swift build -c release --show-bin-path)/hubminer" demo "$@"
        ;;
    test)
        install_deps
        install_libtorch
        shift
        # Tests run the OpenBLAS kernels a user gets (the program re-executes itself
        # with this set; a test process cannot, so set it here).
        if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -q avx512f /proc/cpuinfo 2>/dev/null; then export OPENBLAS_CORETYPE=SkylakeX; fi
        exec swift test "$@"
        ;;
    *) echo "usage: bash scripts/dev.sh demo|test|deps|build|nccl" >&2; exit 2 ;;
esac
