#!/usr/bin/env bash
# Fails when a source of the `ferry` product imports full Foundation (or one of its ICU-backed parts): with
# --static-swift-stdlib that links ICU and its 34 MB data table into the binary. The product builds on
# FoundationEssentials; see docs/architecture.md ("Foundation"). Also checks that the Unicode tables are current.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if grep -rnE '^\s*(@_exported\s+)?import\s+(Foundation|FoundationInternationalization|FoundationNetworking|FoundationXML)\b' \
    Sources; then
    echo "check-no-foundation: the lines above import full Foundation; use FoundationEssentials" >&2
    exit 1
fi
if ! python3 scripts/gen-unicode-tables.py --check; then
    echo "check-no-foundation: Sources/FerryTokenizer/UnicodeTables.swift differs from scripts/gen-unicode-tables.py's" \
        "output (another Python/Unicode version?); regenerate it and rerun the tests" >&2
    exit 1
fi
