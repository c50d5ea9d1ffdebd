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
# shellcheck source=lib/apt-install.sh
source "$(dirname "$0")/lib/apt-install.sh"
apt_install setup "${missing[@]}"
command -v swift >/dev/null || { echo "setup: no swift on PATH; install a Swift 6 toolchain first" >&2; exit 1; }
