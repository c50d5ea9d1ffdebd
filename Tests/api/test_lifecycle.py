# SPDX-License-Identifier: Apache-2.0
"""Load phase, drain and immediate shutdown of a real `ferry serve`."""
import json
import signal
import threading
import time
import urllib.request

import pytest
import requests

from conftest import Server, needs_shared, shared

pytestmark = needs_shared
STORIES = str(shared("models/stories260K"))
SMOL = str(shared("models/SmolLM2-135M-Instruct-Q4_1-gguf/SmolLM2-135M-Instruct.Q4_1.gguf"))


def test_live_answers_while_loading_and_health_turns_ready_after():
    server = Server(STORIES, env={"FERRY_TEST_LOAD_DELAY_SECONDS": "3"}, wait_ready=False)
    try:
        assert server.status("/live") == 200
        response = requests.get(server.base + "/health", timeout=5)
        assert response.status_code == 503 and response.json() == {"status": "loading"}
        completion = requests.post(server.base + "/v1/completions", json={"prompt": "x"}, timeout=5)
        assert completion.status_code == 503 and "retry-after" in completion.headers
        server.wait_ready(timeout=60)
        assert server.status("/health") == 200
    finally:
        server.stop()


def stream_completion(base: str, results: list, index: int, max_tokens: int = 480):
    """One long streamed completion; records its text, finish reason and whether [DONE] came."""
    text, finish, done = "", None, False
    with requests.post(base + "/v1/completions", stream=True, timeout=120,
                       json={"prompt": "Once upon a time", "max_tokens": max_tokens, "temperature": 0,
                             "ignore_eos": True, "stream": True}) as response:
        for line in response.iter_lines():
            if not line.startswith(b"data: "):
                continue
            if line == b"data: [DONE]":
                done = True
                continue
            choice = json.loads(line[6:])["choices"][0]
            text += choice["text"]
            finish = choice["finish_reason"] or finish
    results[index] = (text, finish, done, time.monotonic())


def test_drain_finishes_streams_in_flight_and_refuses_new_work():
    server = Server(SMOL, "--shutdown-mode", "drain", "--shutdown-drain-timeout", "60")
    try:
        results = [None] * 4
        threads = [threading.Thread(target=stream_completion, args=(server.base, results, i, 300))
                   for i in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        signalled = time.monotonic()
        server.signal(signal.SIGTERM)
        time.sleep(0.2)
        refused = requests.post(server.base + "/v1/completions", json={"prompt": "x"}, timeout=5)
        assert refused.status_code == 503 and refused.json()["error"]["code"] == 503
        assert server.status("/health") == 503
        assert server.status("/live") == 200
        assert server.status("/metrics") == 200
        for thread in threads:
            thread.join(timeout=120)
        assert server.process.wait(timeout=60) == 0
        for text, finish, done, ended in results:
            assert done and finish == "length" and len(text) > 100
            assert ended > signalled, "the stream ended before the signal: nothing was in flight"
    finally:
        server.stop()


def test_drain_timeout_ends_streams_with_abort():
    server = Server(SMOL, "--shutdown-timeout", "1")
    try:
        results = [None]
        thread = threading.Thread(target=stream_completion, args=(server.base, results, 0, 4000))
        thread.start()
        time.sleep(0.2)
        server.signal(signal.SIGTERM)
        thread.join(timeout=60)
        assert server.process.wait(timeout=30) == 0
        text, finish, done, _ = results[0]
        assert done and finish == "abort" and text
    finally:
        server.stop()


def test_immediate_shutdown_exits_within_a_second():
    server = Server(SMOL)
    try:
        results = [None]
        thread = threading.Thread(target=stream_completion, args=(server.base, results, 0, 4000))
        thread.start()
        time.sleep(0.3)
        start = time.monotonic()
        server.signal(signal.SIGTERM)
        assert server.process.wait(timeout=5) == 0
        assert time.monotonic() - start < 1.0
        thread.join(timeout=10)
    finally:
        server.stop()


def test_a_second_signal_during_drain_exits_at_once():
    server = Server(SMOL, "--shutdown-mode", "drain")
    try:
        results = [None]
        thread = threading.Thread(target=stream_completion, args=(server.base, results, 0, 4000))
        thread.start()
        time.sleep(0.2)
        server.signal(signal.SIGTERM)
        time.sleep(0.1)
        server.signal(signal.SIGINT)
        assert server.process.wait(timeout=5) == 0
        thread.join(timeout=10)
    finally:
        server.stop()


def test_a_client_that_disconnects_frees_its_blocks():
    server = Server(STORIES)
    try:
        response = requests.post(server.base + "/v1/completions", stream=True, timeout=30,
                                 json={"prompt": "Once upon a time", "max_tokens": 450, "temperature": 0,
                                       "ignore_eos": True, "stream": True})
        lines = response.iter_lines()
        for _ in range(6):
            next(lines)
        response.close()  # the client goes away mid-stream
        # The abort is counted when the request's stream ends; the engine publishes its block usage after the
        # step that freed them, so poll until both are visible.
        deadline = time.monotonic() + 10
        metrics, usage = "", None
        while time.monotonic() < deadline:
            metrics = requests.get(server.base + "/metrics", timeout=5).text
            lines = [line for line in metrics.splitlines() if line.startswith("vllm:kv_cache_usage_perc{")]
            usage = float(lines[0].split()[-1]) if lines else None
            if 'finished_reason="abort"} 1.0' in metrics and usage == 0.0:
                break
            time.sleep(0.1)
        assert 'finished_reason="abort"} 1.0' in metrics
        assert usage == 0.0
        assert 'vllm:num_requests_running{model_name' in metrics
    finally:
        server.stop()
