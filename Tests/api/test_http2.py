# SPDX-License-Identifier: Apache-2.0
"""HTTP/2 (h2c with prior knowledge) against a real `ferry serve`: the same bodies as HTTP/1.1 through curl, h2load
with 100 concurrent streams on one connection, and a raw client for resets, flow-control violations, refused
streams and drain."""
import json
import re
import shutil
import signal
import subprocess
import time

import pytest
import requests

from conftest import Server, needs_shared, shared
from h2client import H2Client, sse_texts, window_update_frame

pytestmark = [needs_shared,
              pytest.mark.skipif(shutil.which("h2load") is None or shutil.which("curl") is None,
                                 reason="needs curl and h2load (apt nghttp2-client)")]
STORIES = str(shared("models/stories260K"))

COMPLETION = {"model": "stories", "prompt": "Once upon a time", "max_tokens": 24, "temperature": 0}


def curl_h2(base: str, path: str, payload: dict | None = None) -> tuple[str, bytes]:
    """(HTTP version curl used, body) of one request with --http2-prior-knowledge."""
    command = ["curl", "-sS", "--http2-prior-knowledge", "-o", "-", "-w", "\n%{http_version}", base + path]
    if payload is not None:
        command += ["-H", "content-type: application/json", "-d", json.dumps(payload)]
    output = subprocess.run(command, capture_output=True, check=True, timeout=60).stdout
    body, _, version = output.rpartition(b"\n")
    return version.decode(), body


def without_volatile(response: dict) -> dict:
    return {key: value for key, value in response.items() if key not in ("id", "created")}


def test_curl_h2c_gets_the_same_completion_chat_and_sse_bodies(stories, smol):
    version, body = curl_h2(stories.base, "/v1/completions", COMPLETION)
    assert version == "2"
    http1 = requests.post(stories.base + "/v1/completions", json=COMPLETION, timeout=60).json()
    assert without_volatile(json.loads(body)) == without_volatile(http1)

    chat = {"model": "smol", "messages": [{"role": "user", "content": "What is the capital of France?"}],
            "max_tokens": 16, "temperature": 0}
    _, body = curl_h2(smol.base, "/v1/chat/completions", chat)
    http1 = requests.post(smol.base + "/v1/chat/completions", json=chat, timeout=60).json()
    assert json.loads(body)["choices"] == http1["choices"] and json.loads(body)["usage"] == http1["usage"]

    for base, path, payload in [(stories.base, "/v1/completions", COMPLETION), (smol.base, "/v1/chat/completions", chat)]:
        streamed = {**payload, "stream": True}
        _, body = curl_h2(base, path, streamed)
        http1 = requests.post(base + path, json=streamed, timeout=60).content
        assert sse_texts(body) == sse_texts(http1)
        assert sse_texts(body)[1] and sse_texts(body)[0]


def h2load(url: str, *args: str) -> str:
    result = subprocess.run(["h2load", *args, url], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_h2load_100_concurrent_streams_on_one_connection(stories, tmp_path):
    out = h2load(stories.base + "/live", "-n", "1000", "-c", "1", "-m", "100")
    assert re.search(r"requests: 1000 total, 1000 started, 1000 done, 1000 succeeded, 0 failed", out), out
    assert "status codes: 1000 2xx" in out, out

    body = tmp_path / "body.json"
    body.write_text(json.dumps({**COMPLETION, "max_tokens": 8}))
    out = h2load(stories.base + "/v1/completions", "-n", "200", "-c", "1", "-m", "100", "-d", str(body),
                 "-H", "content-type: application/json")
    assert re.search(r"requests: 200 total, 200 started, 200 done, 200 succeeded, 0 failed", out), out
    assert "status codes: 200 2xx" in out, out


def test_100_concurrent_streams_all_get_the_right_answer(stories):
    """h2load counts statuses only; here every one of 100 concurrent streams' bodies is checked."""
    payload = {**COMPLETION, "max_tokens": 8}
    expected = requests.post(stories.base + "/v1/completions", json=payload, timeout=60).json()["choices"]
    client = H2Client(stories.port)
    try:
        ids = [client.post_json("/v1/completions", payload) for _ in range(100)]
        client.read_until(lambda: all(client.done(i) for i in ids))
        for stream_id in ids:
            response = client.responses[stream_id]
            assert response["status"] == 200 and response["reset"] is None
            assert json.loads(response["body"])["choices"] == expected
            assert not {"connection", "transfer-encoding", "keep-alive"} & set(response["headers"])
    finally:
        client.close()


def test_a_streamed_completion_waits_for_the_clients_flow_control_window(stories):
    payload = {**COMPLETION, "max_tokens": 60, "ignore_eos": True, "stream": True}
    http1 = requests.post(stories.base + "/v1/completions", json=payload, timeout=60).content
    client = H2Client(stories.port, initial_window=512)
    try:
        stream_id = client.post_json("/v1/completions", payload)
        client.read_until(lambda: len(client.responses[stream_id]["body"]) >= 512)
        deadline = time.monotonic() + 1.5  # the whole generation takes far less: only the window holds it back
        while time.monotonic() < deadline:
            client.sock.settimeout(0.1)
            try:
                assert client.read_once(timeout=0.1)
            except TimeoutError:
                pass
        response = client.responses[stream_id]
        assert len(response["body"]) == 512 and not response["ended"]
        client.grant(stream_id, 1 << 20)
        client.read_until(lambda: client.done(stream_id))
        assert response["ended"] and sse_texts(response["body"]) == sse_texts(http1)
    finally:
        client.close()


def test_oversized_bodies_and_headers_get_413_and_431_and_the_connection_serves_on(stories):
    client = H2Client(stories.port)
    try:
        too_large = client.request("POST", "/v1/completions", body=None, end_stream=False,
                                   headers=[("content-type", "application/json"),
                                            ("content-length", str(33 << 20))])
        huge_header = client.request("GET", "/live", headers=[("x-filler", "h" * (65 << 10))])
        client.read_until(lambda: client.done(too_large) and client.done(huge_header))
        assert client.responses[too_large]["status"] == 413
        assert json.loads(client.responses[too_large]["body"])["error"]["code"] == 413
        assert client.responses[huge_header]["status"] == 431
        ok = client.request("GET", "/live")
        client.read_until(lambda: client.done(ok))
        assert client.responses[ok]["status"] == 200
    finally:
        client.close()


def metrics_after_abort(server: Server, aborts: int = 1) -> tuple[str, float | None]:
    deadline = time.monotonic() + 10
    metrics, usage = "", None
    while time.monotonic() < deadline:
        metrics = requests.get(server.base + "/metrics", timeout=5).text
        lines = [line for line in metrics.splitlines() if line.startswith("vllm:kv_cache_usage_perc{")]
        usage = float(lines[0].split()[-1]) if lines else None
        if f'finished_reason="abort"}} {aborts}.0' in metrics and usage == 0.0:
            break
        time.sleep(0.1)
    return metrics, usage


def test_a_stream_reset_mid_sse_aborts_the_request_and_frees_its_blocks():
    server = Server(STORIES)
    try:
        client = H2Client(server.port)
        stream_id = client.post_json("/v1/completions", {"prompt": "Once upon a time", "max_tokens": 450,
                                                          "temperature": 0, "ignore_eos": True, "stream": True})
        client.read_until(lambda: client.responses[stream_id]["body"].count(b"data: ") >= 6)
        client.reset(stream_id)  # RST_STREAM CANCEL mid-stream
        metrics, usage = metrics_after_abort(server)
        assert 'finished_reason="abort"} 1.0' in metrics
        assert usage == 0.0
        # The connection itself lives on.
        again = client.request("GET", "/live")
        client.read_until(lambda: client.done(again))
        assert client.responses[again]["status"] == 200
        client.close()

        # A client whose TCP connection drops mid-SSE: every stream of it is aborted too.
        gone = H2Client(server.port)
        ids = [gone.post_json("/v1/completions", {"prompt": "Once upon a time", "max_tokens": 450, "temperature": 0,
                                                   "ignore_eos": True, "stream": True}) for _ in range(2)]
        gone.read_until(lambda: all(gone.responses[i]["body"].count(b"data: ") >= 3 for i in ids))
        gone.close()
        metrics, usage = metrics_after_abort(server, aborts=3)
        assert 'finished_reason="abort"} 3.0' in metrics
        assert usage == 0.0
    finally:
        server.stop()


def test_a_peer_violating_flow_control_gets_goaway_and_the_server_serves_on(stories):
    client = H2Client(stories.port)
    try:
        ok = client.request("GET", "/live")
        client.read_until(lambda: client.done(ok))  # SETTINGS exchanged and acknowledged
        # WINDOW_UPDATE taking the connection's send window past 2^31-1 (RFC 9113 §6.9.1).
        client.send_raw(window_update_frame(0, 0x7FFFFFFF))
        client.read_until(lambda: client.goaway is not None or client.closed, timeout=10)
        assert client.goaway is not None and client.goaway[0] == 3, client.goaway  # FLOW_CONTROL_ERROR
    finally:
        client.close()
    assert requests.get(stories.base + "/live", timeout=5).status_code == 200
    version, body = curl_h2(stories.base, "/live")
    assert version == "2" and json.loads(body) == {"status": "ok"}


def test_streams_beyond_the_concurrency_limit_are_refused():
    server = Server(STORIES, "--http2-max-concurrent-streams", "2")
    try:
        client = H2Client(server.port)
        # The h2 package would itself hold back streams beyond the server's limit once it knows it: open all
        # four in the first flight (one write), before reading the server's SETTINGS.
        slow = {"prompt": "Once upon a time", "max_tokens": 100, "temperature": 0, "ignore_eos": True}
        ids = [client.post_json("/v1/completions", slow, flush=False) for _ in range(4)]
        client.flush()
        client.read_until(lambda: all(client.done(i) for i in ids))
        codes = [(client.responses[i]["status"], client.responses[i]["reset"]) for i in ids]
        assert codes[:2] == [(200, None), (200, None)], codes
        assert codes[2:] == [(None, 7), (None, 7)], codes  # RST_STREAM REFUSED_STREAM
        client.close()
    finally:
        server.stop()


def test_drain_over_http2_sends_goaway_and_finishes_streams_in_flight():
    server = Server(STORIES, "--shutdown-mode", "drain", "--shutdown-drain-timeout", "60")
    try:
        client = H2Client(server.port)
        stream_id = client.post_json("/v1/completions", {"prompt": "Once upon a time", "max_tokens": 300,
                                                          "temperature": 0, "ignore_eos": True, "stream": True})
        client.read_until(lambda: client.responses[stream_id]["body"].count(b"data: ") >= 3)
        server.signal(signal.SIGTERM)
        client.read_until(lambda: client.goaway is not None and client.done(stream_id))
        assert client.goaway == (0, stream_id)  # NO_ERROR, last stream id = the one in flight
        response = client.responses[stream_id]
        assert response["reset"] is None and response["ended"]
        text, done = sse_texts(response["body"])
        assert done and text
        assert server.process.wait(timeout=10) == 0
        client.close()
    finally:
        server.stop()
