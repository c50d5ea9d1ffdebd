#!/usr/bin/env bash
# Benchmarks FerryHTTP's HTTP/2 against its HTTP/1.1 on this machine, in one run, loopback only, one server:
#   h2load (h2c with prior knowledge, CONNECTIONS_H2 connections x STREAMS concurrent streams each) and
#   wrk (HTTP/1.1, CONNECTIONS_H1 keep-alive connections) on `GET /live`, ROUNDS rounds alternating the two.
#
# Usage: scripts/bench-h2.sh
#   A release bench server is compiled from Sources/FerryHTTP with swiftc (as scripts/bench-http.sh does).
# Env: DURATION (10 s per run), ROUNDS (2), CONNECTIONS_H1 (64), CONNECTIONS_H2 (4), STREAMS (100), THREADS (2).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
duration=${DURATION:-10}
rounds=${ROUNDS:-2}
connections_h1=${CONNECTIONS_H1:-64}
connections_h2=${CONNECTIONS_H2:-4}
streams=${STREAMS:-100}
threads=${THREADS:-2}
port=18082
work=$(mktemp -d /tmp/ferry-bench-h2.XXXXXX)
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v h2load >/dev/null || missing+=(nghttp2-client)
command -v curl >/dev/null || missing+=(curl)
dpkg-query -W -f='${Status}' libnghttp2-dev 2>/dev/null | grep -q "install ok installed" || missing+=(libnghttp2-dev)
# shellcheck source=lib/apt-install.sh
source "$(dirname "$0")/lib/apt-install.sh"
apt_install bench-h2 "${missing[@]}"
ulimit -n 8192 2>/dev/null || true

mkdir -p "$work/bench"
cat >"$work/bench/main.swift" <<'SWIFT'
// A release server for scripts/bench-h2.sh: FerryHTTP's sources compiled with this file into one executable.
import Dispatch
import Glibc

let port = Int(getenv("FERRY_HTTP_BENCH_PORT").map { String(cString: $0) } ?? "") ?? 18082
var router = HTTPRouter()
router.add(.get, "/live") { _, writer in
    try? writer.respond(HTTPResponse(contentType: "text/plain", body: "ok"))
}
var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: port)
configuration.http2.isEnabled = true
let server = HTTPServer(configuration: configuration, responder: router)
do {
    try server.start()
} catch {
    print("bench server: \(error)")
    exit(1)
}
dispatchMain()
SWIFT
echo "bench-h2: compiling the release bench server (swiftc -O, whole module)" >&2
"$root/scripts/build-http-bench.sh" "$work/bench/main.swift" "$work/bench/ferry-http-bench"

FERRY_HTTP_BENCH_PORT=$port "$work/bench/ferry-http-bench" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
    curl -sf --http2-prior-knowledge "http://127.0.0.1:$port/live" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -sf --http2-prior-knowledge "http://127.0.0.1:$port/live" >/dev/null || {
    echo "bench-h2: the server did not start" >&2
    cat "$work/server.log" >&2
    exit 1
}

# Prints "requests_per_second failed".
run_h2load() {
    local output
    output=$(timeout $((duration + 30)) h2load -t "$threads" -c "$connections_h2" -m "$streams" -D "$duration" \
        "http://127.0.0.1:$port/live")
    echo "$(echo "$output" | awk '/^finished in/ { print $4 }') $(echo "$output" | awk '/^requests:/ { print $10 }')"
}
run_wrk() {
    timeout $((duration + 30)) wrk -t"$threads" -c"$connections_h1" -d"${duration}s" "http://127.0.0.1:$port/live" \
        | awk '/Requests\/sec/ { print $2 }'
}

echo "GET /live (2-byte body), ${duration}s per run, $rounds rounds:"
echo "  h2load: h2c, $connections_h2 connections x $streams concurrent streams; wrk: HTTP/1.1, $connections_h1 connections"
printf '%-8s %-28s %14s\n' round client "requests/s"
best_h2=0; best_h1=0
for round in $(seq "$rounds"); do
    read -r h2_rps h2_failed < <(run_h2load)
    printf '%-8s %-28s %14s\n' "$round" "h2load (failed: $h2_failed)" "$h2_rps"
    h1_rps=$(run_wrk)
    printf '%-8s %-28s %14s\n' "$round" "wrk" "$h1_rps"
    if awk -v a="$h2_rps" -v b="$best_h2" 'BEGIN { exit !(a > b) }'; then best_h2=$h2_rps; fi
    if awk -v a="$h1_rps" -v b="$best_h1" 'BEGIN { exit !(a > b) }'; then best_h1=$h1_rps; fi
done
awk -v h2="$best_h2" -v h1="$best_h1" 'BEGIN {
    printf "best:    HTTP/2 %.0f req/s, HTTP/1.1 %.0f req/s, ratio h2/h1 %.2f\n", h2, h1, h2 / h1
}'
