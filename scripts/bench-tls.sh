#!/usr/bin/env bash
# Benchmarks Ferry's TLS against plain HTTP on this machine, in one run, loopback only:
#   1. handshake rate: wrk with `Connection: close` (a new connection, so a full TLS handshake, per request) over
#      https and over http, and `openssl s_time -new` (full handshakes, no resumption);
#   2. wrk on `GET /live` with keep-alive connections, https against http;
#   3. a raw streamed body (STREAM_MB MiB in 16 KiB chunks, back-pressure honoured) over https against http;
#   4. memory: the TLS server's RSS increase per idle connection (IDLE_CONNECTIONS, after the handshake and after
#      one keep-alive request each);
#   5. streamed completions from `ferry serve` (stories260K, COMPLETIONS sequential SSE requests of
#      MAX_TOKENS tokens, ignore_eos) over https against http, same binary.
# Each figure is the best of ROUNDS runs alternating http and https (the machine is shared: compare ratios).
# Parts 1-4 use a release server compiled from Sources/FerryHTTP with swiftc (as bench-http.sh); part 5 uses
# $FERRY_BINARY (default .build/release/ferry, else .build/debug/ferry).
#
# Usage: scripts/bench-tls.sh
# Env: DURATION (10), ROUNDS (3), CONNECTIONS (64), THREADS (2), STREAM_MB (256), IDLE_CONNECTIONS (1000),
#      COMPLETIONS (20), MAX_TOKENS (400), FERRY_BINARY, MODEL (../shared/models/stories260K).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
duration=${DURATION:-10}
rounds=${ROUNDS:-3}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
stream_mb=${STREAM_MB:-256}
idle_connections=${IDLE_CONNECTIONS:-1000}
completions=${COMPLETIONS:-20}
max_tokens=${MAX_TOKENS:-400}
model=${MODEL:-$root/../shared/models/stories260K}
plain_port=18090
tls_port=18091
work=$(mktemp -d /tmp/ferry-bench-tls.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
# shellcheck source=lib/apt-install.sh
source "$(dirname "$0")/lib/apt-install.sh"
apt_install bench-tls "${missing[@]}"
ulimit -n 8192 2>/dev/null || true

# --- credentials: a CA and a server certificate for 127.0.0.1 (RSA 2048, as most deployments) ---------------------
(
    cd "$work"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=bench CA" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 1 -days 2 -extfile san.ext \
        -out server.pem 2>/dev/null
)

# --- the release bench server ----------------------------------------------------------------------------------------
mkdir -p "$work/bench"
cat >"$work/bench/main.swift" <<'EOF'
// A release server for scripts/bench-tls.sh: FerryHTTP's sources compiled with this file into one executable.
// GET /live: "ok". GET /stream?mb=N: N MiB in 16 KiB chunks, waiting whenever the writer is not writable.
import Dispatch
import Glibc

func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

let port = Int(environment("FERRY_BENCH_PORT") ?? "") ?? 18090
var router = HTTPRouter()
router.add(.get, "/live") { _, writer in
    try? writer.respond(HTTPResponse(contentType: "text/plain", body: "ok"))
}
router.add(.get, "/stream") { request, writer in
    let megabytes = Int(request.query?.split(separator: "=").last ?? "1") ?? 1
    let stream = try! writer.startStream()
    DispatchQueue.global().async {
        let chunk = [UInt8](repeating: 120, count: 16 << 10)
        for _ in 0..<(megabytes * 64) {
            if !stream.isWritable {
                let ready = DispatchSemaphore(value: 0)
                writer.whenWritable { ready.signal() }
                ready.wait()
            }
            guard stream.write(chunk) else { return }
        }
        stream.finish()
    }
}
var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: port)
configuration.numberOfEventLoops = 2
if let certificate = environment("FERRY_BENCH_CERT"), let key = environment("FERRY_BENCH_KEY") {
    do {
        configuration.tls = try TLSServerContext(configuration: TLSConfiguration(certificateChainFile: certificate,
                                                                                 privateKeyFile: key))
    } catch {
        print("bench server: \(error)")
        exit(1)
    }
}
let server = HTTPServer(configuration: configuration, responder: router)
do {
    try server.start()
} catch {
    print("bench server: \(error)")
    exit(1)
}
print("listening on \(server.localAddress!)")
dispatchMain()
EOF
echo "bench-tls: compiling the release bench server (swiftc -O, whole module)" >&2
"$root/scripts/build-http-bench.sh" "$work/bench/main.swift" "$work/bench/ferry-tls-bench"

wait_for() {  # URL
    for _ in $(seq 300); do
        curl -sf --cacert "$work/ca.pem" "$1" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "bench-tls: $1 did not answer" >&2
    exit 1
}

FERRY_BENCH_PORT=$plain_port "$work/bench/ferry-tls-bench" >"$work/plain.log" 2>&1 &
pids+=($!)
FERRY_BENCH_PORT=$tls_port FERRY_BENCH_CERT="$work/server.pem" FERRY_BENCH_KEY="$work/server.key" \
    "$work/bench/ferry-tls-bench" >"$work/tls.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$plain_port/live"
wait_for "https://127.0.0.1:$tls_port/live"
plain="http://127.0.0.1:$plain_port"
tls="https://127.0.0.1:$tls_port"

requests_per_second() {  # wrk arguments...
    timeout $((duration + 30)) wrk -t"$threads" -d"${duration}s" "$@" | awk '/Requests\/sec/ { print $2 }'
}

max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }

# best_of NAME COMMAND...: runs COMMAND for "$plain" then "$tls", ROUNDS times; sets NAME_plain and NAME_tls.
best_of() {
    local name=$1 best_plain=0 best_tls=0
    shift
    for _ in $(seq "$rounds"); do
        best_plain=$(max "$best_plain" "$("$@" "$plain")")
        best_tls=$(max "$best_tls" "$("$@" "$tls")")
    done
    printf -v "${name}_plain" '%s' "$best_plain"
    printf -v "${name}_tls" '%s' "$best_tls"
}

closing() { requests_per_second -c"$connections" -H "Connection: close" "$1/live"; }
keep_alive() { requests_per_second -c"$connections" "$1/live"; }

echo "== 1. handshakes: wrk -c$connections with 'Connection: close' (one TCP connection per request)," \
    "${duration}s x $rounds"
best_of close closing
awk -v p="$close_plain" -v t="$close_tls" 'BEGIN {
    printf "   http  %10.0f new connections+requests/s\n", p
    printf "   https %10.0f new connections+requests/s (full TLS handshakes; %.2f of http)\n", t, t / p }' 
s_time=$(timeout $((duration + 30)) openssl s_time -connect "127.0.0.1:$tls_port" -new -time "$duration" 2>&1 |
    grep -E 'connections in [0-9]+ real seconds' | head -1)
echo "   openssl s_time -new (one client, sequential, RSA 2048, $(openssl version | cut -d' ' -f1-2)): $s_time"

echo "== 2. keep-alive GET /live: wrk -t$threads -c$connections, ${duration}s x $rounds"
best_of live keep_alive
awk -v p="$live_plain" -v t="$live_tls" 'BEGIN {
    printf "   http  %10.0f requests/s\n   https %10.0f requests/s (%.2f of http)\n", p, t, t / p }'

echo "== 3. one streamed body of ${stream_mb} MiB (16 KiB chunks), curl, best of $rounds"
stream_rate() {  # URL
    curl -s --cacert "$work/ca.pem" -o /dev/null -w '%{size_download} %{time_total}\n' "$1/stream?mb=$stream_mb" |
        awk '{ printf "%.0f", $1 / $2 / 1048576 }'
}
best_of stream stream_rate
awk -v p="$stream_plain" -v t="$stream_tls" 'BEGIN {
    printf "   http  %6d MiB/s\n   https %6d MiB/s (%.2f of http)\n", p, t, t / p }'
kill "${pids[@]}" 2>/dev/null || true
wait 2>/dev/null || true
pids=()

# --- memory per idle TLS connection ----------------------------------------------------------------------------------
FERRY_BENCH_PORT=$tls_port FERRY_BENCH_CERT="$work/server.pem" FERRY_BENCH_KEY="$work/server.key" \
    "$work/bench/ferry-tls-bench" >"$work/tls.log" 2>&1 &
memory_pid=$!
pids+=("$memory_pid")
wait_for "https://127.0.0.1:$tls_port/live"
echo "== 4. memory: $idle_connections idle TLS connections (after the handshake, then after one request each)"
python3 - "$memory_pid" "$tls_port" "$idle_connections" "$work/ca.pem" <<'EOF'
import socket, ssl, sys, time

pid, port, count, ca = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
context = ssl.create_default_context(cafile=ca)

def rss_kib():
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

time.sleep(0.5)
base = rss_kib()
sockets = [context.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
           for _ in range(count)]
time.sleep(1.0)
fresh = rss_kib()
for s in sockets:
    s.sendall(b"GET /live HTTP/1.1\r\nHost: bench\r\n\r\n")
for s in sockets:
    data = b""
    while not data.endswith(b"ok"):
        data += s.recv(4096)
time.sleep(1.0)
used = rss_kib()
print(f"   RSS {base} KiB with no connection; after the handshakes +{fresh - base} KiB "
      f"({(fresh - base) * 1024 / count:.0f} B each); after one request each (keep-alive idle): "
      f"+{used - base} KiB ({(used - base) * 1024 / count:.0f} B each)")
for s in sockets:
    s.close()
EOF
kill "$memory_pid" 2>/dev/null || true
wait "$memory_pid" 2>/dev/null || true
pids=()

# --- streamed completions from ferry serve ---------------------------------------------------------------------------
binary=${FERRY_BINARY:-}
if [ -z "$binary" ]; then
    binary="$root/.build/release/ferry"
    [ -x "$binary" ] || binary="$root/.build/debug/ferry"
fi
if [ ! -x "$binary" ] || [ ! -e "$model" ]; then
    echo "== 5. skipped: no ferry binary ($binary) or model ($model)"
    exit 0
fi
"$binary" serve "$model" --host 127.0.0.1 --port $plain_port --served-model-name m >"$work/serve-plain.log" 2>&1 &
pids+=($!)
"$binary" serve "$model" --host 127.0.0.1 --port $tls_port --served-model-name m \
    --ssl-certfile "$work/server.pem" --ssl-keyfile "$work/server.key" >"$work/serve-tls.log" 2>&1 &
pids+=($!)
wait_for "$plain/health"
wait_for "$tls/health"
body="{\"model\":\"m\",\"prompt\":\"Once upon a time\",\"max_tokens\":$max_tokens,\"temperature\":0,\"ignore_eos\":true,\"stream\":true}"
completion_rate() {  # base URL; prints tokens/s
    local start end bytes=0 size
    start=$(date +%s.%N)
    for _ in $(seq "$completions"); do
        size=$(curl -s --cacert "$work/ca.pem" -o /dev/null -w '%{size_download}' -H 'Content-Type: application/json' \
            -d "$body" "$1/v1/completions")
        bytes=$((bytes + size))
    done
    end=$(date +%s.%N)
    echo "$bytes" >"$work/completion-bytes"
    awk -v s="$start" -v e="$end" -v n="$completions" -v t="$max_tokens" 'BEGIN { printf "%.0f\n", n * t / (e - s) }'
}
completion_rate "$plain" >/dev/null  # warm-up, both servers
completion_rate "$tls" >/dev/null
echo "== 5. streamed completions: $completions sequential SSE requests x $max_tokens tokens," \
    "$(basename "$model"), $(basename "$(dirname "$binary")") binary, best of $rounds"
best_of tokens completion_rate
awk -v p="$tokens_plain" -v t="$tokens_tls" -v b="$(cat "$work/completion-bytes")" -v n="$completions" 'BEGIN {
    printf "   http  %7.0f tokens/s\n   https %7.0f tokens/s (%.2f of http); %.0f bytes of SSE per completion\n",
        p, t, t / p, b / n }'
