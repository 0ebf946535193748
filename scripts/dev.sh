#!/usr/bin/env bash
# HubMiner's one entry point for newcomers and CI:
#   bash scripts/dev.sh demo    the quick demo: built-in zoo -> ranking -> tuning -> report
#                               (installs what it needs first; extra arguments go to
#                               `hubminer demo`, e.g. `bash scripts/dev.sh demo --full`)
#   bash scripts/dev.sh test    run the test suite (`swift test`, after the same install)
#   bash scripts/dev.sh deps    only install the Debian packages
#   bash scripts/dev.sh build   release build of `hubminer` and `hubminer-torch`
# The Swift 6 toolchain itself is expected on PATH; everything else comes from Debian.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the build links against (C libraries through system-library targets)
# and the tools the build needs to find them.
PACKAGES=(pkg-config libopenblas-dev liblapacke-dev zlib1g-dev libtorch-dev libpng-dev libjpeg62-turbo-dev libsqlite3-dev libgloo-dev)

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

command -v swift >/dev/null || { echo "swift not found: install the Swift 6 toolchain and put it on PATH" >&2; exit 1; }

case "${1:-}" in
    deps) install_deps ;;
    build)
        install_deps
        # hubminer (ranking) and hubminer-torch (commands that run models), side by side.
        swift build -c release --product hubminer
        swift build -c release --product hubminer-torch
        ;;
    demo)
        install_deps
        swift build -c release --product hubminer >&2
        swift build -c release --product hubminer-torch >&2
        shift
        # The quick demo unless the caller says otherwise (`--full` runs the full one).
        if [ "$#" -eq 0 ]; then set -- --quick; elif [ "$1" = "--full" ]; then shift; fi
        exec "$(swift build -c release --show-bin-path)/hubminer" demo "$@"
        ;;
    test)
        install_deps
        shift
        # Tests run the OpenBLAS kernels a user gets (the program re-executes itself
        # with this set; a test process cannot, so set it here).
        if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -q avx512f /proc/cpuinfo 2>/dev/null; then export OPENBLAS_CORETYPE=SkylakeX; fi
        exec swift test "$@"
        ;;
    *) echo "usage: bash scripts/dev.sh demo|test|deps|build" >&2; exit 2 ;;
esac
