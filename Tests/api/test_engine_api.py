# SPDX-License-Identifier: Apache-2.0
"""The engine seen through the API: prefix caching, admission control, concurrency."""
import concurrent.futures
import re

import requests

from conftest import Server, needs_shared, shared

pytestmark = needs_shared
STORIES = str(shared("models/stories260K"))


def metric(base: str, name: str) -> float:
    text = requests.get(base + "/metrics", timeout=5).text
    match = re.search(rf"^{re.escape(name)}{{[^}}]*}} ([0-9.e+-]+)$", text, re.MULTILINE)
    assert match, f"{name} not in /metrics"
    return float(match.group(1))


def test_a_repeated_long_prefix_is_served_from_the_prefix_cache(stories):
    prompt = "Once upon a time there was a little girl named Lily. She loved to play outside in the park. " * 3
    body = {"model": "stories", "prompt": prompt, "max_tokens": 24, "temperature": 0, "ignore_eos": True}
    hits_before = metric(stories.base, "vllm:prefix_cache_hits_total")
    first = requests.post(stories.base + "/v1/completions", json=body, timeout=60).json()
    second = requests.post(stories.base + "/v1/completions", json=body, timeout=60).json()
    hits = metric(stories.base, "vllm:prefix_cache_hits_total") - hits_before
    prompt_tokens = first["usage"]["prompt_tokens"]
    assert prompt_tokens > 64
    assert hits >= (prompt_tokens - 1) // 16 * 16 - 16, f"{hits} tokens hit of {prompt_tokens}"
    assert second["choices"][0]["text"] == first["choices"][0]["text"]


def test_concurrent_requests_each_get_their_own_greedy_text(stories):
    prompts = ["Once upon a time", "The little dog", "Lily and Tom went to the", "One day, a big"]
    alone = [requests.post(stories.base + "/v1/completions", timeout=60,
                           json={"prompt": p, "max_tokens": 32, "temperature": 0, "ignore_eos": True}).json()
             for p in prompts]
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(requests.post, stories.base + "/v1/completions", timeout=60,
                               json={"prompt": prompts[i % 4], "max_tokens": 32, "temperature": 0,
                                     "ignore_eos": True}) for i in range(16)]
        together = [future.result().json() for future in futures]
    for i, result in enumerate(together):
        assert result["choices"][0]["text"] == alone[i % 4]["choices"][0]["text"]


def test_a_full_queue_answers_503_with_retry_after():
    server = Server(STORIES, "--max-num-seqs", "1", "--max-num-queued-requests", "1")
    try:
        body = {"prompt": "Once upon a time", "max_tokens": 400, "temperature": 0, "ignore_eos": True}
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(lambda _: requests.post(server.base + "/v1/completions", json=body,
                                                              timeout=120), range(8)))
        statuses = sorted(r.status_code for r in responses)
        assert 200 in statuses and 503 in statuses, statuses
        refused = next(r for r in responses if r.status_code == 503)
        assert refused.headers["retry-after"] and refused.json()["error"]["code"] == 503
    finally:
        server.stop()
