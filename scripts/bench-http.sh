#!/usr/bin/env bash
# Benchmarks FerryHTTP against nginx on this machine, in one run, loopback only:
#   1. wrk (64 connections, DURATION seconds, ROUNDS rounds alternating the two servers) on a tiny `GET /live`
#      response: requests/s and p99 latency of each, and Ferry/nginx ratios;
#   2. memory: a fresh Ferry server's RSS increase per connection with 1,000 idle connections (fresh, then
#      keep-alive after one request each).
#
# Usage: scripts/bench-http.sh [SERVER_COMMAND]
#   SERVER_COMMAND serves `GET /live` on the port in $FERRY_HTTP_BENCH_PORT (e.g. a later `ferry http-bench-server`).
#   Without it, a release bench server is compiled from Sources/FerryHTTP with swiftc (no Package.swift change).
# Env: DURATION (10), ROUNDS (2), CONNECTIONS (64), THREADS (2), IDLE_CONNECTIONS (1000).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
duration=${DURATION:-10}
rounds=${ROUNDS:-2}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
idle_connections=${IDLE_CONNECTIONS:-1000}
ferry_port=18080
nginx_port=18081
work=$(mktemp -d /tmp/ferry-bench-http.XXXXXX)
chmod 755 "$work"  # nginx workers run as an unprivileged user and must read the static file
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# --- tools ---------------------------------------------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v python3 >/dev/null || missing+=(python3)
# shellcheck source=lib/apt-install.sh
source "$(dirname "$0")/lib/apt-install.sh"
apt_install bench-http "${missing[@]}"
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
ulimit -n 8192 2>/dev/null || true

# --- the Ferry server ----------------------------------------------------------------------------------------------
if [ $# -gt 0 ]; then
    server_command=("$@")
else
    mkdir -p "$work/bench"
    cat >"$work/bench/main.swift" <<'EOF'
// A release server for scripts/bench-http.sh: FerryHTTP's sources compiled with this file into one executable.
import Dispatch
import Glibc

let port = Int(getenv("FERRY_HTTP_BENCH_PORT").map { String(cString: $0) } ?? "") ?? 18080
var router = HTTPRouter()
router.add(.get, "/live") { _, writer in
    try? writer.respond(HTTPResponse(contentType: "text/plain", body: "ok"))
}
var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: port)
configuration.timeouts.header = .seconds(120)  // the idle-connection count must not be cut by the header timeout
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
    echo "bench-http: compiling the release bench server (swiftc -O, whole module)" >&2
    "$root/scripts/build-http-bench.sh" "$work/bench/main.swift" "$work/bench/ferry-http-bench"
    server_command=("$work/bench/ferry-http-bench")
fi

start_ferry() {
    FERRY_HTTP_BENCH_PORT=$ferry_port "${server_command[@]}" >"$work/ferry.log" 2>&1 &
    ferry_pid=$!
    pids+=("$ferry_pid")
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$ferry_port/live" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "bench-http: the Ferry server did not start:" >&2
    cat "$work/ferry.log" >&2
    exit 1
}

stop_ferry() {
    kill "$ferry_pid" 2>/dev/null || true
    wait "$ferry_pid" 2>/dev/null || true
}

# --- nginx on a small static file ----------------------------------------------------------------------------------
mkdir -p "$work/www" "$work/nginx-temp"
printf 'ok' >"$work/www/live"
cat >"$work/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $work/nginx-temp;
    proxy_temp_path $work/nginx-temp;
    fastcgi_temp_path $work/nginx-temp;
    uwsgi_temp_path $work/nginx-temp;
    scgi_temp_path $work/nginx-temp;
    default_type text/plain;
    server {
        listen 127.0.0.1:$nginx_port;
        root $work/www;
    }
}
EOF
"$nginx_bin" -c "$work/nginx.conf" -p "$work"
sleep 0.3
curl -sf "http://127.0.0.1:$nginx_port/live" >/dev/null || {
    echo "bench-http: nginx did not start" >&2
    cat "$work/nginx-error.log" >&2
    exit 1
}

# --- throughput and latency ----------------------------------------------------------------------------------------
# Prints "requests_per_second p99_milliseconds".
run_wrk() {
    local output p99
    output=$(timeout $((duration + 30)) wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$1")
    p99=$(echo "$output" | awk '$1 == "99%" { print $2 }')
    case "$p99" in
        *us) p99=$(awk -v v="${p99%us}" 'BEGIN { printf "%.3f", v / 1000 }') ;;
        *ms) p99=${p99%ms} ;;
        *s) p99=$(awk -v v="${p99%s}" 'BEGIN { printf "%.3f", v * 1000 }') ;;
    esac
    echo "$(echo "$output" | awk '/Requests\/sec/ { print $2 }') $p99"
}

start_ferry
echo "wrk: $threads threads, $connections connections, ${duration}s per run, $rounds rounds, GET /live (2-byte body)"
printf '%-8s %-8s %14s %12s\n' round server "requests/s" "p99 ms"
best_ferry=0; best_nginx=0; ferry_p99=0; nginx_p99=0
for round in $(seq "$rounds"); do
    read -r ferry_rps ferry_lat < <(run_wrk "http://127.0.0.1:$ferry_port/live")
    printf '%-8s %-8s %14s %12s\n' "$round" ferry "$ferry_rps" "$ferry_lat"
    read -r nginx_rps nginx_lat < <(run_wrk "http://127.0.0.1:$nginx_port/live")
    printf '%-8s %-8s %14s %12s\n' "$round" nginx "$nginx_rps" "$nginx_lat"
    if awk -v a="$ferry_rps" -v b="$best_ferry" 'BEGIN { exit !(a > b) }'; then best_ferry=$ferry_rps; ferry_p99=$ferry_lat; fi
    if awk -v a="$nginx_rps" -v b="$best_nginx" 'BEGIN { exit !(a > b) }'; then best_nginx=$nginx_rps; nginx_p99=$nginx_lat; fi
done
awk -v f="$best_ferry" -v n="$best_nginx" -v fl="$ferry_p99" -v nl="$nginx_p99" 'BEGIN {
    printf "best:    ferry %.0f req/s (p99 %s ms), nginx %.0f req/s (p99 %s ms)\n", f, fl, n, nl
    printf "ratios:  ferry/nginx requests/s %.2f (target >= 0.50), p99 latency %.2f\n", f / n, (nl > 0 ? fl / nl : 0)
}'
stop_ferry

# --- memory per idle connection --------------------------------------------------------------------------------------
start_ferry
python3 - "$ferry_pid" "$ferry_port" "$idle_connections" <<'EOF'
import socket, sys, time

pid, port, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

def rss_kib():
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

time.sleep(0.5)
base = rss_kib()
sockets = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    sockets.append(s)
time.sleep(1.0)
fresh = rss_kib()
request = b"GET /live HTTP/1.1\r\nHost: bench\r\n\r\n"
for s in sockets:
    s.sendall(request)
for s in sockets:
    data = b""
    while not data.endswith(b"ok"):
        data += s.recv(4096)
time.sleep(1.0)
used = rss_kib()
print(f"memory:  RSS {base} KiB with no connection; {count} fresh idle connections: +{fresh - base} KiB "
      f"({(fresh - base) * 1024 / count:.0f} B each); after one request each (keep-alive idle): "
      f"+{used - base} KiB ({(used - base) * 1024 / count:.0f} B each)")
for s in sockets:
    s.close()
EOF
stop_ferry
