#!/usr/bin/env bash
# Compiles a release FerryHTTP bench server: FerryHTTP's sources with MAIN.swift into one executable (swiftc -O,
# whole module), with every C library FerryHTTP links (OpenSSL for TLS, libnghttp2 for HTTP/2). The one place the
# bench scripts (bench-http.sh, bench-tls.sh, bench-h2.sh) learn FerryHTTP's C dependencies.
# Usage: scripts/build-http-bench.sh MAIN.swift OUTPUT
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 2 ] || { echo "usage: $0 MAIN.swift OUTPUT" >&2; exit 2; }
swiftc -O -wmo -swift-version 6 -enable-upcoming-feature ExistentialAny -module-name FerryHTTPBench \
    -I "$root/Sources/COpenSSL" -I "$root/Sources/CNghttp2" -lnghttp2 \
    "$root"/Sources/FerryHTTP/*.swift "$1" -o "$2"
