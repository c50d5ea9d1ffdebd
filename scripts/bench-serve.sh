#!/usr/bin/env bash
# Serving benchmark, in one run, loopback only: builds release `ferry`, fetches the default model
# (SmolLM2-135M-Instruct, Q4_1 GGUF), starts `ferry serve` on a free 127.0.0.1 port, and runs scripts/loadgen.py
# (streaming /v1/completions, ~PROMPT_TOKENS-token distinct prompts, OUTPUT_TOKENS tokens with ignore_eos,
# temperature 0) at each concurrency level. Prints one table (output tokens/s, requests/s, TTFT and ITL p50/p99,
# speedup of output tokens/s over the first level, and the server's mean running batch and tokens per engine step
# sampled from /metrics), the server's peak RSS (VmHWM), and stops the server with SIGTERM, checking exit 0.
#
# Run it under the shared build lock (it builds, and benchmarks must not overlap others' compiles):
#   flock /tmp/ferry-build.lock scripts/bench-serve.sh
# It does not take the lock itself (that would deadlock under the flock above).
#
# Env: LEVELS ("1 4 16 64"), REQUESTS ("8 16 48 128", one count per level), PROMPT_TOKENS (85),
#      OUTPUT_TOKENS (128), MAX_NUM_SEQS (64), KV_CACHE_BYTES (1 GiB), LEVEL_MAX_SECONDS (150, the cap of each
#      level's measured run), MODEL (default: scripts/fetch-default-model.sh), SKIP_BUILD (1: use the built binary),
#      FERRY_SERVE_ARGS (extra `ferry serve` flags), RESULTS (a file to copy loadgen's JSON lines to),
#      SERVER_OPENBLAS_CORETYPE (OpenBLAS kernels of the server; by default an inherited OPENBLAS_CORETYPE is removed
#      so that Ferry picks its own, SkylakeX on AVX-512 CPUs: an inherited "Haswell" would cut prefill by ~30%).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
read -r -a levels <<<"${LEVELS:-1 4 16 64}"
read -r -a requests <<<"${REQUESTS:-8 16 48 128}"
prompt_tokens=${PROMPT_TOKENS:-85}
output_tokens=${OUTPUT_TOKENS:-128}
max_num_seqs=${MAX_NUM_SEQS:-64}
kv_cache_bytes=${KV_CACHE_BYTES:-$((1 << 30))}
level_max_seconds=${LEVEL_MAX_SECONDS:-150}
if [ ${#levels[@]} -ne ${#requests[@]} ]; then
    echo "bench-serve: LEVELS and REQUESTS need one entry each per level" >&2
    exit 2
fi

work=$(mktemp -d /tmp/ferry-bench-serve.XXXXXX)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        sleep 1
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# --- build and model -----------------------------------------------------------------------------------------------
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    echo "bench-serve: swift build -c release --product ferry" >&2
    swift build -c release --product ferry >&2
fi
ferry=$root/.build/release/ferry
[ -x "$ferry" ] || { echo "bench-serve: $ferry is missing" >&2; exit 1; }
model=${MODEL:-$(scripts/fetch-default-model.sh)}

# --- the server ----------------------------------------------------------------------------------------------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
server_env=(env -u OPENBLAS_CORETYPE)
[ -z "${SERVER_OPENBLAS_CORETYPE:-}" ] || server_env=(env OPENBLAS_CORETYPE="$SERVER_OPENBLAS_CORETYPE")
# shellcheck disable=SC2086  # FERRY_SERVE_ARGS is a list of flags
"${server_env[@]}" "$ferry" serve "$model" --host 127.0.0.1 --port "$port" --max-num-seqs "$max_num_seqs" \
    --kv-cache-memory-bytes "$kv_cache_bytes" ${FERRY_SERVE_ARGS:-} >"$work/server.log" 2>&1 &
server_pid=$!
ready=0
for _ in $(seq 600); do  # 120 s
    if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    if python3 - "$port" <<'EOF' 2>/dev/null; then ready=1; break; fi
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=2).read()
EOF
    sleep 0.2
done
if [ "$ready" != 1 ]; then
    echo "bench-serve: the server did not become ready; its log:" >&2
    cat "$work/server.log" >&2
    exit 1
fi
echo "bench-serve: ferry serve (pid $server_pid) ready on 127.0.0.1:$port, model $(basename "$model")," \
    "--max-num-seqs $max_num_seqs, --kv-cache-memory-bytes $kv_cache_bytes, $(nproc) CPUs," \
    "OPENBLAS_CORETYPE ${SERVER_OPENBLAS_CORETYPE:-unset (Ferry picks)}" >&2

# --- the levels ----------------------------------------------------------------------------------------------------
for i in "${!levels[@]}"; do
    concurrency=${levels[$i]}
    count=${requests[$i]}
    warmup=0
    [ "$i" -eq 0 ] && warmup=2
    echo "bench-serve: concurrency $concurrency, $count requests" >&2
    status=0
    timeout $((${level_max_seconds%.*} + 120)) python3 scripts/loadgen.py --host 127.0.0.1 --port "$port" \
        --requests "$count" --concurrency "$concurrency" --prompt-tokens "$prompt_tokens" \
        --output-tokens "$output_tokens" --max-seconds "$level_max_seconds" --warmup "$warmup" \
        --seed $((1000 * (i + 1))) --sample-metrics --server-pid "$server_pid" --json >>"$work/results.jsonl" || status=$?
    if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then  # 1: some requests failed (reported in the table)
        echo "bench-serve: loadgen exited $status at concurrency $concurrency" >&2
        exit 1
    fi
done

[ -z "${RESULTS:-}" ] || cp "$work/results.jsonl" "$RESULTS"

# --- peak RSS and shutdown -----------------------------------------------------------------------------------------
peak_rss=$(awk '/^VmHWM:/ { print $2, $3 }' "/proc/$server_pid/status")
kill -TERM "$server_pid"
# Bounded: a server still running 30 s after SIGTERM is killed (and then exits 137, a failure below).
timeout 30 tail --pid="$server_pid" -f /dev/null || kill -KILL "$server_pid" 2>/dev/null || true
exit_status=0
wait "$server_pid" || exit_status=$?
server_pid=""

# --- the table -----------------------------------------------------------------------------------------------------
python3 - "$work/results.jsonl" "$prompt_tokens" "$output_tokens" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
base = rows[0]["output_tok_s"] if rows and rows[0]["output_tok_s"] else None
print(f"streaming /v1/completions, prompt ≈{rows[0]['prompt_tokens_mean']:.0f} tokens, "
      f"{sys.argv[3]} output tokens (ignore_eos), temperature 0")
header = (f"{'conc':>4} {'reqs':>5} {'fail':>4} {'out tok/s':>9} {'req/s':>6} {'TTFT p50':>9} {'TTFT p99':>9} "
          f"{'ITL p50':>8} {'ITL p99':>8} {'speedup':>7} {'batch':>6} {'tok/step':>8} {'other CPU':>9}")
print(header)
print("-" * len(header))
ms = lambda v: "-" if v is None else (f"{v / 1000:.2f}s" if v >= 1000 else f"{v:.0f}ms")
for r in rows:
    s = r.get("server") or {}
    speedup = f"{r['output_tok_s'] / base:.2f}x" if base else "-"
    other = f"{100 * r['other_cpu_s'] / r['wall_s']:.0f}%" if "other_cpu_s" in r and r["wall_s"] else "-"
    print(f"{r['concurrency']:>4} {r['requests']:>5} {r['failures']:>4} {r['output_tok_s']:>9.1f} {r['req_s']:>6.2f} "
          f"{ms(r['ttft_ms_p50']):>9} {ms(r['ttft_ms_p99']):>9} {ms(r['itl_ms_p50']):>8} {ms(r['itl_ms_p99']):>8} "
          f"{speedup:>7} {s.get('running_mean', '-'):>6} {s.get('tokens_per_step', '-'):>8} {other:>9}")
for r in rows:
    for error, count in r["errors"].items():
        print(f"concurrency {r['concurrency']}: {count} × {error}")
print("batch: mean vllm:num_requests_running sampled each second; tok/step: mean vllm:iteration_tokens_total;")
print("other CPU: CPU time of processes other than the server and loadgen, % of one core over the level (noise:")
print("the machine is shared; repeat a run where it is high)")
EOF
echo "server peak RSS (VmHWM): $peak_rss"
if [ "$exit_status" -ne 0 ]; then
    echo "bench-serve: the server exited $exit_status after SIGTERM (expected 0); its log tail:" >&2
    tail -n 20 "$work/server.log" >&2
    exit 1
fi
echo "server stopped with SIGTERM: exit 0"
if grep -q '"failures":[1-9]' "$work/results.jsonl"; then exit 1; fi
