#!/usr/bin/env bash
# Installs the system packages Ferry builds against (Debian/Ubuntu). Needs root or sudo; a no-op when present.
# The Swift 6 toolchain itself is a prerequisite (https://www.swift.org/install/linux/).
set -euo pipefail

# libcurl4-openssl-dev and libssl-dev: FerryHub's downloads from the Hugging Face hub (libcurl, OpenSSL's SHA-256).
# libssl-dev also serves TLS (COpenSSL); openssl makes the TLS tests' certificates.
# libnghttp2-dev: HTTP/2; nghttp2-client (h2load) and curl: the HTTP/2 tests.
# g++: scripts/test-gpu-kernels-on-cpu.sh (the GPU kernels run on the CPU, C++20).
packages=(libopenblas-dev libcurl4-openssl-dev libssl-dev openssl libnghttp2-dev nghttp2-client curl python3 python3-pip
          python3-venv unzip g++)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    echo "setup: installing ${missing[*]}" >&2
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: no swift on PATH; install a Swift 6 toolchain first" >&2; exit 1; }
