#!/usr/bin/env bash
# The code format (.swift-format at the root, swift-format from the Swift toolchain).
#   bash scripts/format.sh check   exit 1 and list the files that are not formatted
#   bash scripts/format.sh fix     format them in place
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-check}
files=()
while IFS= read -r f; do files+=("$f"); done < <(git ls-files -- 'Package.swift' '*.swift')
case "$mode" in
fix)
    swift format format --in-place --parallel --configuration .swift-format "${files[@]}"
    ;;
check)
    # `format` to standard output, compared with the file: exactly what `fix` would change.
    unformatted=()
    for f in "${files[@]}"; do
        if ! swift format format --configuration .swift-format "$f" | cmp -s - "$f"; then unformatted+=("$f"); fi
    done
    if [ ${#unformatted[@]} -gt 0 ]; then
        printf '%s\n' "${unformatted[@]}"
        echo "format: ${#unformatted[@]} file(s) not formatted; run: bash scripts/format.sh fix" >&2
        exit 1
    fi
    echo "format: ${#files[@]} files formatted"
    ;;
*)
    echo "usage: bash scripts/format.sh check|fix" >&2
    exit 2
    ;;
esac
