#!/usr/bin/env python3
"""Load generator for an OpenAI-compatible server's streaming /v1/completions (Ferry, vLLM, llama-server).

Python 3 standard library only: asyncio streams, HTTP/1.1 keep-alive (one connection per worker), chunked
transfer decoding and SSE parsed incrementally, so each content chunk is timed when it arrives.

Bounded and loopback only: the host must be 127.0.0.0/8, localhost or ::1; a fixed number of requests
(--requests) at a fixed concurrency (--concurrency), under a wall-clock cap (--max-seconds) after which the
requests in flight are cancelled and counted as failures.

Each request streams `max_tokens = --output-tokens` with `ignore_eos: true` and `temperature: 0`, on a distinct
prompt of about --prompt-tokens tokens (random English sentences from a seeded word list, calibrated with the
server's POST /tokenize when it has one, so prefix caching cannot share even the first KV block).

Per request: TTFT (first non-empty text chunk), inter-token latencies (gaps between content chunks), end-to-end
latency, output tokens (the usage chunk's completion_tokens, else the content chunk count). Reported: output
tokens/s and requests/s over the run's wall time, TTFT / ITL / TPOT / E2E percentiles and failures; --json prints
the same as one JSON line. --sample-metrics also scrapes /metrics once a second during the run (batch fill:
vllm:num_requests_running/waiting and mean vllm:iteration_tokens_total per engine step).

Example: scripts/loadgen.py --port 8000 --requests 48 --concurrency 16 --prompt-tokens 85 --output-tokens 128
"""
import argparse
import asyncio
import ipaddress
import os
import json
import random
import resource
import sys
import time

# --- prompts -------------------------------------------------------------------------------------------------------
SUBJECTS = """the old fisherman|a curious child|my neighbour's dog|the night nurse|a tired engineer|the village baker|
our history teacher|a quiet librarian|the young pilot|an elderly farmer|the ship's captain|a street musician|
the museum guard|a nervous student|the city mayor|a travelling salesman|the hotel chef|my grandmother|
the forest ranger|a famous painter|the bus driver|a lonely astronaut|the team coach|a small grey cat|
the lighthouse keeper|a retired judge|the postman|a clever fox|the radio host|an honest merchant""".replace("\n", "")
VERBS = """carried|painted|repaired|forgot|discovered|described|borrowed|sold|measured|cleaned|hid|followed|
photographed|counted|ordered|wrapped|explained|delivered|abandoned|studied|collected|dropped|built|examined|
polished|questioned|returned|recorded|planted|sketched""".replace("\n", "")
OBJECTS = """a wooden boat|three silver keys|the broken clock|an enormous map|the chemistry report|a basket of plums|
the winter coats|a stack of letters|the garden fence|an antique lamp|the missing receipts|a jar of honey|
the train timetable|two red bicycles|the kitchen window|a bag of flour|the concert tickets|an unusual stone|
the harbour charts|a pair of boots|the summer schedule|a box of candles|the old radio|a torn umbrella|
the library books|an iron kettle|the wedding photos|a crate of apples|the village records|a folded blanket""".replace(
    "\n", "")
PLACES = """near the harbour|behind the station|in the empty market|on a rainy morning|before the storm|
after midnight|during the festival|beside the river|under the bridge|at the edge of town|inside the castle|
across the valley|in the crowded square|on the top floor|along the coast road|next to the bakery|
in early spring|at the end of summer|through the dark forest|by the frozen lake""".replace("\n", "")
ENDINGS = """because nobody else would|while the others slept|without saying a word|as the bells rang|
although it was late|so that everyone could see|before anyone noticed|and then laughed quietly|
with great care|for reasons no one understood|in exchange for a favour|just as the sun rose""".replace("\n", "")
PARTS = [p.split("|") for p in (SUBJECTS, VERBS, OBJECTS, PLACES, ENDINGS)]


def sentence(rng):
    subject, verb, obj, place, ending = (rng.choice(part) for part in PARTS)
    words = [subject, verb, obj, place] + ([ending] if rng.random() < 0.6 else [])
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def words_prompt(rng, approx_words):
    """Sentences until about `approx_words` words; returns the list of words."""
    words = []
    while len(words) < approx_words:
        words.extend(sentence(rng).split())
    return words


# --- HTTP/1.1 client -----------------------------------------------------------------------------------------------
class HTTPError(Exception):
    pass


def check_loopback(host):
    """The address to connect to, or SystemExit when `host` is not loopback."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        sys.exit(f"loadgen: refusing host {host!r}: only 127.0.0.0/8, localhost or ::1 (loopback) are allowed")
    if address.version == 4 and address in ipaddress.ip_network("127.0.0.0/8"):
        return str(address)
    if address.version == 6 and address == ipaddress.ip_address("::1"):
        return str(address)
    sys.exit(f"loadgen: refusing host {host!r}: only 127.0.0.0/8, localhost or ::1 (loopback) are allowed")


class Connection:
    """One keep-alive HTTP/1.1 connection; reconnects when the server closed it."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def open(self):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)

    def close(self):
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def send(self, method, path, body=None):
        await self.open()
        payload = b"" if body is None else json.dumps(body).encode()
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nUser-Agent: ferry-loadgen\r\n"
                f"Accept: */*\r\nContent-Length: {len(payload)}\r\n")
        if body is not None:
            head += "Content-Type: application/json\r\n"
        self.writer.write(head.encode() + b"\r\n" + payload)
        await self.writer.drain()
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise HTTPError(f"bad status line {lines[0]!r}")
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        self.keep_alive = headers.get("connection", "").lower() != "close" and parts[0] == "HTTP/1.1"
        return int(parts[1]), headers

    async def body_chunks(self, headers):
        """Yields the body's pieces as they arrive (a chunk of a chunked body, or reads of a plain one)."""
        if "chunked" in headers.get("transfer-encoding", "").lower():
            while True:
                size_line = await self.reader.readuntil(b"\r\n")
                size = int(size_line.split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while (await self.reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                        pass
                    break
                data = await self.reader.readexactly(size + 2)
                yield data[:-2]
        elif "content-length" in headers:
            remaining = int(headers["content-length"])
            while remaining > 0:
                data = await self.reader.read(min(remaining, 1 << 16))
                if not data:
                    raise HTTPError("connection closed inside the body")
                remaining -= len(data)
                yield data
        else:
            self.keep_alive = False
            while data := await self.reader.read(1 << 16):
                yield data
        if not self.keep_alive:
            self.close()

    async def request_json(self, method, path, body=None):
        status, headers = await self.send(method, path, body)
        data = b"".join([piece async for piece in self.body_chunks(headers)])
        return status, (json.loads(data) if data.strip() else None)


# --- one streaming completion --------------------------------------------------------------------------------------
class Result:
    __slots__ = ("ok", "error", "start", "ttft", "end", "itls", "output_tokens", "chunks")

    def __init__(self):
        self.ok, self.error = False, None
        self.start = self.end = self.ttft = None
        self.itls, self.output_tokens, self.chunks = [], 0, 0


async def stream_completion(conn, body):
    result = Result()
    result.start = time.perf_counter()
    last = None
    usage_tokens = None
    done = False
    try:
        status, headers = await conn.send("POST", "/v1/completions", body)
        if status != 200:
            data = b"".join([piece async for piece in conn.body_chunks(headers)])
            raise HTTPError(f"HTTP {status}: {data[:200].decode('utf-8', 'replace')}")
        buffer = b""
        async for piece in conn.body_chunks(headers):
            now = time.perf_counter()
            buffer += piece
            buffer = buffer.replace(b"\r\n", b"\n")
            while b"\n\n" in buffer:
                event, buffer = buffer.split(b"\n\n", 1)
                data = "\n".join(line[5:].lstrip() for line in event.decode("utf-8").split("\n")
                                 if line.startswith("data:"))
                if not data:
                    continue  # a comment (keep-alive) or an empty event
                if data == "[DONE]":
                    done = True
                    continue
                chunk = json.loads(data)
                if "error" in chunk:
                    raise HTTPError(f"stream error: {json.dumps(chunk['error'])[:200]}")
                if chunk.get("usage"):
                    usage_tokens = chunk["usage"].get("completion_tokens")
                for choice in chunk.get("choices") or []:
                    if choice.get("text"):
                        result.chunks += 1
                        if last is None:
                            result.ttft = now - result.start
                        else:
                            result.itls.append(now - last)
                        last = now
        result.end = time.perf_counter()
        if not done:
            raise HTTPError("stream ended without data: [DONE]")
        result.output_tokens = usage_tokens if usage_tokens is not None else result.chunks
        result.ok = result.ttft is not None
        if not result.ok:
            result.error = "no content chunk"
    except asyncio.CancelledError:
        conn.close()
        result.error = "cancelled at the wall-clock cap"
        raise
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, HTTPError, ValueError) as error:
        conn.close()
        result.end = time.perf_counter()
        result.error = f"{type(error).__name__}: {error}"
    return result


# --- prompts of a calibrated length --------------------------------------------------------------------------------
async def calibrate_prompts(host, port, count, target, seed, model):
    """`count` distinct prompts of about `target` tokens (by /tokenize when the server has it)."""
    rng = random.Random(seed)
    conn = Connection(host, port)

    async def tokens(text):
        body = {"prompt": text} if model is None else {"model": model, "prompt": text}
        status, reply = await conn.request_json("POST", "/tokenize", body)
        if status != 200 or not isinstance(reply, dict) or "count" not in reply:
            return None
        return reply["count"]

    ratio = 1.3  # tokens per word, used when the server has no /tokenize
    try:
        sample = " ".join(words_prompt(random.Random(seed ^ 0x5EED), 400))
        measured = await tokens(sample)
        has_tokenize = measured is not None
        if has_tokenize:
            ratio = measured / len(sample.split())
    except (OSError, HTTPError, ValueError, asyncio.IncompleteReadError):
        conn.close()
        has_tokenize = False
    prompts, counts = [], []
    for _ in range(count):
        words = words_prompt(rng, int(target / ratio) + 8)
        n = max(1, int(round(target / ratio)))
        measured = None
        for _ in range(6 if has_tokenize else 0):
            measured = await tokens(" ".join(words[:n]))
            if measured is None or abs(measured - target) <= 1:
                break
            step = int(round((target - measured) / ratio)) or (1 if measured < target else -1)
            n = max(1, n + step)
            while n > len(words):
                words.extend(sentence(rng).split())
        prompts.append(" ".join(words[:n]))
        counts.append(measured if measured is not None else round(n * ratio))
    conn.close()
    return prompts, counts, has_tokenize


# --- /metrics sampling ---------------------------------------------------------------------------------------------
def parse_metrics(text):
    values = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name_labels, _, value = line.rpartition(" ")
        name = name_labels.split("{", 1)[0]
        if name in ("vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:iteration_tokens_total_sum",
                    "vllm:iteration_tokens_total_count", "vllm:num_preemptions_total", "vllm:num_preemptions",
                    "vllm:kv_cache_usage_perc", "vllm:prefix_cache_hits_total", "vllm:prefix_cache_hits",
                    "vllm:prefix_cache_queries_total", "vllm:prefix_cache_queries"):
            try:
                values[name] = values.get(name, 0.0) + float(value)
            except ValueError:
                pass
    return values


async def scrape(conn):
    status, headers = await conn.send("GET", "/metrics")
    data = b"".join([piece async for piece in conn.body_chunks(headers)])
    return parse_metrics(data.decode("utf-8", "replace")) if status == 200 else {}


async def sample_metrics(host, port, samples, stop):
    conn = Connection(host, port)
    try:
        while not stop.is_set():
            try:
                samples.append(await scrape(conn))
            except (OSError, HTTPError, asyncio.IncompleteReadError, ValueError):
                conn.close()
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except asyncio.TimeoutError:
                pass
    finally:
        conn.close()


# --- the run -------------------------------------------------------------------------------------------------------
def cpu_ticks(pid=None):
    """Busy CPU ticks of the machine (/proc/stat), or of process `pid` (utime + stime); None where unreadable."""
    try:
        if pid is None:
            with open("/proc/stat") as stat:
                fields = [int(v) for v in stat.readline().split()[1:]]
            return sum(fields[:3]) + sum(fields[5:8])  # user nice system, irq softirq steal
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, ValueError, IndexError):
        return None


def percentile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


async def discover_model(host, port):
    conn = Connection(host, port)
    try:
        status, reply = await conn.request_json("GET", "/v1/models")
        if status == 200 and reply and reply.get("data"):
            return reply["data"][0]["id"]
    except (OSError, HTTPError, ValueError, asyncio.IncompleteReadError):
        pass
    finally:
        conn.close()
    return None


async def run(args, host):
    model = args.model or await discover_model(host, args.port)
    total = args.requests + args.warmup
    prompts, prompt_counts, has_tokenize = await calibrate_prompts(host, args.port, total, args.prompt_tokens,
                                                                   args.seed, model)

    def body(prompt):
        request = {"prompt": prompt, "max_tokens": args.output_tokens, "temperature": 0, "ignore_eos": True,
                   "stream": True, "stream_options": {"include_usage": True}}
        if model is not None:
            request["model"] = model
        return request

    warm = Connection(host, args.port)
    for prompt in prompts[args.requests:]:
        await stream_completion(warm, body(prompt))
    warm.close()

    before = {}
    samples = []
    stop = asyncio.Event()
    sampler = None
    if args.sample_metrics:
        conn = Connection(host, args.port)
        try:
            before = await scrape(conn)
        except (OSError, HTTPError, asyncio.IncompleteReadError, ValueError):
            pass
        conn.close()
        sampler = asyncio.create_task(sample_metrics(host, args.port, samples, stop))

    results = []
    next_index = 0

    async def worker():
        nonlocal next_index
        conn = Connection(host, args.port)
        try:
            while next_index < args.requests:
                index = next_index
                next_index += 1
                results.append(await stream_completion(conn, body(prompts[index])))
        finally:
            conn.close()

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    ticks_before = cpu_ticks(), (cpu_ticks(args.server_pid) if args.server_pid else None)
    started = time.perf_counter()
    workers = [asyncio.create_task(worker()) for _ in range(min(args.concurrency, args.requests))]
    finished, pending = await asyncio.wait(workers, timeout=args.max_seconds)
    capped = bool(pending)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    ticks_after = cpu_ticks(), (cpu_ticks(args.server_pid) if args.server_pid else None)
    for task in finished:
        if task.exception() is not None:
            raise task.exception()

    after = {}
    if sampler is not None:
        stop.set()
        await sampler
        conn = Connection(host, args.port)
        try:
            after = await scrape(conn)
        except (OSError, HTTPError, asyncio.IncompleteReadError, ValueError):
            pass
        conn.close()

    ok = [r for r in results if r.ok]
    failures = args.requests - len(ok)
    errors = {}
    for r in results:
        if not r.ok:
            errors[r.error] = errors.get(r.error, 0) + 1
    if capped:
        errors["not finished at the wall-clock cap"] = args.requests - len(results)
    output_tokens = sum(r.output_tokens for r in ok)
    ttfts = [r.ttft for r in ok]
    itls = [gap for r in ok for gap in r.itls]
    e2es = [r.end - r.start for r in ok]
    tpots = [(r.end - r.start - r.ttft) / (r.output_tokens - 1) for r in ok if r.output_tokens > 1]
    ms = lambda v: None if v is None else round(v * 1000, 2)  # noqa: E731
    report = {
        "concurrency": args.concurrency, "requests": args.requests, "completed": len(ok), "failures": failures,
        "capped": capped, "wall_s": round(wall, 3),
        "prompt_tokens_mean": round(sum(prompt_counts[:args.requests]) / args.requests, 1),
        "prompt_tokens_calibrated": has_tokenize,
        "output_tokens": output_tokens,
        "short_outputs": sum(1 for r in ok if r.output_tokens < args.output_tokens),
        "output_tok_s": round(output_tokens / wall, 2) if wall > 0 else 0.0,
        "req_s": round(len(ok) / wall, 3) if wall > 0 else 0.0,
        "ttft_ms_p50": ms(percentile(ttfts, 50)), "ttft_ms_p99": ms(percentile(ttfts, 99)),
        "ttft_ms_max": ms(max(ttfts) if ttfts else None),
        "itl_ms_p50": ms(percentile(itls, 50)), "itl_ms_p99": ms(percentile(itls, 99)),
        "tpot_ms_mean": ms(sum(tpots) / len(tpots) if tpots else None),
        "e2e_ms_p50": ms(percentile(e2es, 50)), "e2e_ms_p99": ms(percentile(e2es, 99)),
        "client_cpu_s": round(client_cpu, 3),
        "errors": errors,
    }
    hz = os.sysconf("SC_CLK_TCK")
    if ticks_before[0] is not None and ticks_after[0] is not None:
        report["machine_busy_cpu_s"] = round((ticks_after[0] - ticks_before[0]) / hz, 2)
    if None not in (ticks_before[1], ticks_after[1]):
        report["server_cpu_s"] = round((ticks_after[1] - ticks_before[1]) / hz, 2)
        if "machine_busy_cpu_s" in report:
            # CPU time taken by neither the server nor this client: other work on a shared machine (noise).
            report["other_cpu_s"] = round(max(0.0, report["machine_busy_cpu_s"] - report["server_cpu_s"] - client_cpu), 2)
    if args.sample_metrics:
        running = [s.get("vllm:num_requests_running", 0) for s in samples]
        waiting = [s.get("vllm:num_requests_waiting", 0) for s in samples]
        steps = after.get("vllm:iteration_tokens_total_count", 0) - before.get("vllm:iteration_tokens_total_count", 0)
        step_tokens = after.get("vllm:iteration_tokens_total_sum", 0) - before.get("vllm:iteration_tokens_total_sum", 0)
        preempt = "vllm:num_preemptions_total" if "vllm:num_preemptions_total" in after else "vllm:num_preemptions"
        report["server"] = {
            "running_mean": round(sum(running) / len(running), 2) if running else None,
            "running_max": max(running) if running else None,
            "waiting_max": max(waiting) if waiting else None,
            "engine_steps": int(steps), "steps_per_s": round(steps / wall, 2) if wall > 0 else None,
            "tokens_per_step": round(step_tokens / steps, 2) if steps else None,
            "preemptions": int(after.get(preempt, 0) - before.get(preempt, 0)),
        }
    return report


def print_report(report):
    r = report
    print(f"concurrency {r['concurrency']}: {r['completed']}/{r['requests']} requests in {r['wall_s']:.2f} s, "
          f"{r['failures']} failed{' (wall-clock cap hit)' if r['capped'] else ''}")
    print(f"  prompt ≈{r['prompt_tokens_mean']} tokens, output {r['output_tokens']} tokens "
          f"({r['short_outputs']} short); CPU-s: loadgen {r['client_cpu_s']}, server {r.get('server_cpu_s', '?')}, "
          f"other processes {r.get('other_cpu_s', '?')}")
    print(f"  output tokens/s {r['output_tok_s']:.1f}   requests/s {r['req_s']:.3f}")
    print(f"  TTFT ms p50 {r['ttft_ms_p50']} p99 {r['ttft_ms_p99']}   ITL ms p50 {r['itl_ms_p50']} "
          f"p99 {r['itl_ms_p99']}   TPOT ms mean {r['tpot_ms_mean']}   E2E ms p50 {r['e2e_ms_p50']} "
          f"p99 {r['e2e_ms_p99']}")
    if "server" in r:
        s = r["server"]
        print(f"  server: running mean {s['running_mean']} max {s['running_max']}, waiting max {s['waiting_max']}, "
              f"{s['engine_steps']} steps ({s['steps_per_s']}/s), {s['tokens_per_step']} tokens/step, "
              f"{s['preemptions']} preemptions")
    for error, count in r["errors"].items():
        print(f"  error ×{count}: {error}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="loopback only: 127.0.0.0/8, localhost or ::1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--model", help="model name sent in requests (default: the first of GET /v1/models)")
    parser.add_argument("--requests", type=int, default=16, help="requests to complete")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight at once")
    parser.add_argument("--prompt-tokens", type=int, default=85, help="approximate prompt length in tokens")
    parser.add_argument("--output-tokens", type=int, default=128, help="max_tokens (with ignore_eos)")
    parser.add_argument("--max-seconds", type=float, default=300, help="wall-clock cap of the measured run")
    parser.add_argument("--warmup", type=int, default=0, help="untimed sequential requests before the run")
    parser.add_argument("--seed", type=int, default=0, help="prompt seed (vary it across runs to avoid cache hits)")
    parser.add_argument("--sample-metrics", action="store_true", help="scrape /metrics each second during the run")
    parser.add_argument("--server-pid", type=int, help="the server's pid (same machine): report its CPU time and "
                        "other processes' (noise on a shared machine)")
    parser.add_argument("--json", action="store_true", help="print one JSON line instead of text")
    args = parser.parse_args()
    if not (1 <= args.port <= 65535):
        parser.error("--port must be in 1...65535")
    for name in ("requests", "concurrency", "prompt_tokens", "output_tokens"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be ≥ 1")
    if args.warmup < 0 or args.max_seconds <= 0:
        parser.error("--warmup must be ≥ 0 and --max-seconds > 0")
    host = check_loopback(args.host)
    report = asyncio.run(run(args, host))
    if args.json:
        print(json.dumps(report, separators=(",", ":")))
    else:
        print_report(report)
    return 0 if report["failures"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
