# SPDX-License-Identifier: Apache-2.0
"""`ferry serve ORG/NAME`: a model from a (fake, local) Hugging Face hub, downloaded during the load phase."""
import os
import resource
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests

from conftest import FERRY, Server, fixture, free_port, needs_shared, shared
from fake_hub import COMMIT, FakeHub

pytestmark = needs_shared
REPO = "karpathy/stories260K"


def hub_env(hub: FakeHub, cache: str, **extra) -> dict:
    env = {"HF_ENDPOINT": hub.endpoint, "HF_HUB_CACHE": cache, "HF_TOKEN": "", "HUGGING_FACE_HUB_TOKEN": "",
           "HF_HUB_OFFLINE": "0", "no_proxy": "*"}
    env.update(extra)
    return env


def run_to_exit(model: str, env: dict, preexec=None, timeout: float = 60) -> tuple[int, str]:
    """Runs `ferry serve MODEL` that is expected to fail before serving; returns its status and output."""
    process = subprocess.run([str(FERRY), "serve", model, "--host", "127.0.0.1", "--port", str(free_port())],
                             env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout,
                             preexec_fn=preexec)
    return process.returncode, process.stdout + process.stderr


def test_serve_a_hub_model_downloads_while_live_then_answers_the_reference_completion():
    case = fixture("fixtures/model/stories260K.json")["cases"][0]
    with tempfile.TemporaryDirectory() as cache, FakeHub(cdn_bytes_per_second=1_000_000) as hub:
        hub.add(REPO, shared("models/stories260K"))
        server = Server(REPO, "--max-model-len", "512", env=hub_env(hub, cache), wait_ready=False)
        try:
            # The 1 MB weights take about a second at this CDN's pace: the download is in the load phase.
            assert server.status("/live") == 200
            assert server.status("/health") == 503
            server.wait_ready(timeout=60)
            body = requests.post(server.base + "/v1/completions", timeout=60, json={
                "model": REPO, "prompt": case["prompt"], "max_tokens": 24, "temperature": 0}).json()
            assert case["greedy_text_full"].startswith(case["prompt"] + body["choices"][0]["text"])
            models = requests.get(server.base + "/v1/models", timeout=5).json()["data"]
            assert [(model["id"], model["root"]) for model in models] == [(REPO, REPO)]
            log = server.output()
            assert "downloaded model.safetensors" in log and "(100%)" in log
        finally:
            server.stop()
        blobs = Path(cache, "models--karpathy--stories260K", "blobs")
        assert not [name for name in os.listdir(blobs) if name.endswith(".incomplete")]


def test_offline_mode_serves_from_the_cache_and_refuses_clearly_when_not_cached():
    with tempfile.TemporaryDirectory() as cache:
        with FakeHub() as hub:
            hub.add(REPO, shared("models/stories260K"))
            status, output = run_to_exit(REPO, hub_env(hub, cache, HF_HUB_OFFLINE="1"))
            assert status != 0 and "HF_HUB_OFFLINE" in output and "not complete in the cache" in output
            assert hub.requests == []
            server = Server(REPO, env=hub_env(hub, cache))
            server.stop()
        server = Server(REPO, env={"HF_HUB_CACHE": cache, "HF_HUB_OFFLINE": "1", "HF_ENDPOINT": "http://127.0.0.1:9"})
        try:
            body = requests.post(server.base + "/v1/completions", timeout=60,
                                 json={"prompt": "Once upon a time", "max_tokens": 4, "temperature": 0}).json()
            assert body["choices"][0]["text"]
        finally:
            server.stop()


def test_a_gated_repo_without_a_token_fails_with_the_fix_and_serves_with_one():
    with tempfile.TemporaryDirectory() as cache, FakeHub() as hub:
        hub.add("meta-llama/stories260K", shared("models/stories260K"), gated=True)
        status, output = run_to_exit("meta-llama/stories260K", hub_env(hub, cache))
        assert status != 0
        assert "gated" in output and "HF_TOKEN" in output and "accept its licence" in output
        download_dir = Path(cache, "flag")
        server = Server("meta-llama/stories260K", "--hf-token", hub.token, "--revision", COMMIT,
                        "--download-dir", str(download_dir), env=hub_env(hub, cache))
        server.stop()
        assert all(auth is None for method, path, auth in hub.requests if path.startswith("/cdn/"))
        assert any(auth == f"Bearer {hub.token}" for method, path, auth in hub.requests)
        snapshot = download_dir / "models--meta-llama--stories260K" / "snapshots" / COMMIT
        assert (snapshot / "model.safetensors").is_file()


def test_a_full_disk_is_a_clear_error_and_leaves_no_final_file():
    def small_file_limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))

    with tempfile.TemporaryDirectory() as cache, FakeHub() as hub:
        hub.add(REPO, shared("models/stories260K"))
        status, output = run_to_exit(REPO, hub_env(hub, cache), preexec=small_file_limit)
        assert status != 0 and "no space left" in output, output
        blobs = Path(cache, "models--karpathy--stories260K", "blobs")
        names = os.listdir(blobs)
        weights_sha = next(name[:-len(".incomplete")] for name in names if name.endswith(".incomplete"))
        assert weights_sha not in names
        snapshot = Path(cache, "models--karpathy--stories260K", "snapshots")
        assert not list(snapshot.rglob("model.safetensors"))


def test_the_cache_is_shared_both_ways_with_huggingface_hub():
    huggingface_hub = pytest.importorskip("huggingface_hub")
    with tempfile.TemporaryDirectory() as python_cache, tempfile.TemporaryDirectory() as ferry_cache, \
            FakeHub() as hub:
        hub.add(REPO, shared("models/stories260K"))
        # huggingface_hub, a client of the fake hub, fills one cache; Ferry serves it with no network.
        os.environ["HF_ENDPOINT"] = hub.endpoint
        try:
            python_snapshot = huggingface_hub.snapshot_download(REPO, cache_dir=python_cache,
                                                                allow_patterns=["*.json", "*.safetensors"])
        finally:
            del os.environ["HF_ENDPOINT"]
        server = Server(REPO, env={"HF_HUB_CACHE": python_cache, "HF_HUB_OFFLINE": "1",
                                   "HF_ENDPOINT": "http://127.0.0.1:9"})
        try:
            body = requests.post(server.base + "/v1/completions", timeout=60,
                                 json={"prompt": "Once upon a time", "max_tokens": 4, "temperature": 0}).json()
            assert body["choices"][0]["text"]
        finally:
            server.stop()
        # Ferry fills the other; huggingface_hub finds the same files, blobs and ref in it, offline.
        Server(REPO, env=hub_env(hub, ferry_cache)).stop()
        snapshot = huggingface_hub.snapshot_download(REPO, cache_dir=ferry_cache, local_files_only=True)
        assert Path(snapshot).name == Path(python_snapshot).name
        assert sorted(os.listdir(snapshot)) == sorted(os.listdir(python_snapshot))
        for name in os.listdir(snapshot):
            assert os.readlink(Path(snapshot, name)) == os.readlink(Path(python_snapshot, name))
        (repo,) = huggingface_hub.scan_cache_dir(ferry_cache).repos
        assert repo.repo_id == REPO and [sorted(r.refs) for r in repo.revisions] == [["main"]]
