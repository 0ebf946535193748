#!/usr/bin/env bash
# Fuzzes one of HubMiner's parsers with libFuzzer:
#   bash scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]
#   bash scripts/fuzz.sh list
# TARGET: npy, npz, safetensors, csv, tokenizer, card, config.
#
# Each target (fuzz/targets/TARGET.swift) is compiled with swiftc and
# -sanitize=fuzzer,address together with the package modules it reads through,
# which are compiled here from Sources/ with the same instrumentation (coverage
# guides the fuzzer into the parsers, AddressSanitizer catches memory errors).
# Nothing of the SwiftPM build is reused, so this works beside it. Builds go to
# .build/fuzz/; the corpus is fuzz/corpus/TARGET (committed seeds; new inputs
# libFuzzer finds go to .build/fuzz/corpus-TARGET, not into the repository);
# crashes are written to .build/fuzz/crashes/TARGET/. The run is niced (FUZZ_NICE,
# default 19; 0 gives the fuzzer a fair share of a busy machine).
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=${1:-}
SECONDS_TO_RUN=${2:-60}
shift 2 2>/dev/null || true

# Package modules in dependency order, per target. `card` compiles the model card
# file of Hub (its decoding and checks need nothing else of Hub); `config` the
# configuration files of Tuning with Yams.
modules_for() {
    case "$1" in
        npy | npz | safetensors | csv) echo "Support Linalg FeatureIO" ;;
        tokenizer) echo "Tokenizers" ;;
        card) echo "Support Linalg FeatureIO Hub:ModelCard.swift" ;;
        # Run configurations decode through Tuning, which needs libtorch: this target
        # links the objects of the ordinary debug build (`swift build --target
        # Tuning`), so only the target file is instrumented (coverage of the YAML
        # and JSON layers comes from the sanitizer hooks on comparisons there).
        config) echo "prebuilt:Support Linalg FeatureIO Data Ranking RunSchema Tokenizers Models Torch CTorch Hub Distributed Tuning Yams CYaml" ;;
        *) return 1 ;;
    esac
}

if [ "$TARGET" = list ] || [ -z "$TARGET" ]; then
    echo "targets: npy npz safetensors csv tokenizer card config"
    [ -n "$TARGET" ] && exit 0 || exit 2
fi
MODULES=$(modules_for "$TARGET") || { echo "unknown target '$TARGET' (bash scripts/fuzz.sh list)" >&2; exit 2; }

BUILD=.build/fuzz
MODS=$BUILD/modules-$TARGET
mkdir -p "$MODS" "$BUILD/crashes/$TARGET" "$BUILD/corpus-$TARGET"
# `package` declarations are visible only under one package name: for modules this
# script compiles, its own; for the prebuilt ones, the name SwiftPM compiled them
# with (the checkout directory's name).
PACKAGE_NAME=hubminer
if [[ "$MODULES" == prebuilt:* ]]; then
    PACKAGE_NAME=$(grep -o -- '-package-name","[^"]*"' .build/debug.yaml 2>/dev/null | grep -v -e grdb -e swift_ | head -1 | cut -d'"' -f3)
    [ -n "$PACKAGE_NAME" ] || { echo ".build/debug.yaml missing: run swift build --target Tuning first" >&2; exit 1; }
fi
SAN=(-sanitize=fuzzer,address -parse-as-library -Onone -gline-tables-only -package-name "$PACKAGE_NAME")
BLAS_INCLUDE=$(pkg-config --cflags-only-I openblas 2>/dev/null | sed 's/-I//g' | tr -d ' ')
SYS=(-I Sources/CLapack -I Sources/CZlib -Xcc -I"$BLAS_INCLUDE")
YAMS=.build/checkouts/Yams/Sources
OBJECTS=()

compile_swift() { # module name, sources...
    local name=$1
    shift
    swiftc "${SAN[@]}" -wmo -module-name "$name" -emit-module -emit-module-path "$MODS/$name.swiftmodule" \
        -I "$MODS" "${SYS[@]}" -c "$@" -o "$MODS/$name.o"
    OBJECTS+=("$MODS/$name.o")
}

LINK_EXTRA=()
if [[ "$MODULES" == prebuilt:* ]]; then
    DEBUG=.build/debug
    for m in ${MODULES#prebuilt:}; do
        [ -d "$DEBUG/$m.build" ] || { echo "$DEBUG/$m.build missing: run swift build --target Tuning first" >&2; exit 1; }
        # Only objects of files the module has now (a build directory shared with
        # other branches keeps objects of deleted files).
        src=Sources/$m
        [ -d "$src" ] || src=$YAMS/$m
        while IFS= read -r o; do
            base=$(basename "$o" .o)
            [ -n "$(find "$src" -name "$base" -print -quit)" ] && OBJECTS+=("$o")
        done < <(find "$DEBUG/$m.build" -name "*.o" | sort)
    done
    LIBTORCH="${LIBTORCH:-${XDG_CACHE_HOME:-$HOME/.cache}/hubminer/libtorch-2.11.0}"
    SYS+=(-I "$DEBUG/Modules" -I Sources/CPNG -I Sources/CJPEG -Xcc -fmodule-map-file="$DEBUG/CTorch.build/module.modulemap"
        -Xcc -fmodule-map-file="$YAMS/CYaml/include/module.modulemap" -Xcc -I"$YAMS/CYaml/include")
    LINK_EXTRA=("$LIBTORCH/lib/libtorch_cpu.so" "$LIBTORCH/lib/libc10.so" -Xlinker -rpath -Xlinker "$LIBTORCH/lib"
        -lstdc++ -lpng -ljpeg)
    MODULES=""
fi

for m in $MODULES; do
    case "$m" in
        Hub:*) compile_swift Hub "Sources/Hub/${m#Hub:}" ;;
        CYaml)
            [ -d "$YAMS/CYaml" ] || { echo "Yams sources not found in $YAMS (run swift build once)" >&2; exit 1; }
            for c in "$YAMS"/CYaml/src/*.c; do
                clang -c -O1 -g -fsanitize=fuzzer-no-link,address -I "$YAMS/CYaml/include" "$c" -o "$MODS/cyaml-$(basename "$c" .c).o"
                OBJECTS+=("$MODS/cyaml-$(basename "$c" .c).o")
            done
            ;;
        Yams)
            compile_swift Yams -D SWIFT_PACKAGE -Xcc -I"$YAMS/CYaml/include" -Xcc -fmodule-map-file="$YAMS/CYaml/include/module.modulemap" \
                "$YAMS"/Yams/*.swift
            ;;
        *) compile_swift "$m" $(find "Sources/$m" -name '*.swift' | sort) ;;
    esac
done

# (gold warns once per AddressSanitizer helper symbol; those lines are dropped.)
swiftc "${SAN[@]}" -I "$MODS" "${SYS[@]}" fuzz/FuzzInput.swift "fuzz/targets/$TARGET.swift" "${OBJECTS[@]}" \
    -L/usr/lib/x86_64-linux-gnu/openblas-pthread -lopenblas -llapacke -lz ${LINK_EXTRA[@]+"${LINK_EXTRA[@]}"} \
    -o "$BUILD/$TARGET-fuzzer" 2>&1 |
    { grep -v "Cannot export local symbol" || true; } >&2

echo "fuzzing $TARGET for $SECONDS_TO_RUN s" >&2
# New inputs go to the first corpus directory, seeds are read from the second;
# -artifact_prefix keeps crashes out of the tree. Leak detection is off: the Swift
# runtime and Foundation keep caches that LeakSanitizer reports as leaks.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} exec nice -n "${FUZZ_NICE:-19}" "$BUILD/$TARGET-fuzzer" -max_total_time="$SECONDS_TO_RUN" -rss_limit_mb=2048 -timeout=10 -detect_leaks=0 \
    -artifact_prefix="$BUILD/crashes/$TARGET/" -print_final_stats=1 "$@" "$BUILD/corpus-$TARGET" "fuzz/corpus/$TARGET"
