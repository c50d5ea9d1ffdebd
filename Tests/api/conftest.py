# SPDX-License-Identifier: Apache-2.0
"""Fixtures for the API tests: a live `ferry serve` on a free loopback port, and the shared test data."""
import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("FERRY_SHARED_DIR", ROOT.parent / "shared"))
FERRY = Path(os.environ.get("FERRY_BINARY", ROOT / ".build" / "debug" / "ferry"))

needs_shared = pytest.mark.skipif(not (SHARED / "models").is_dir(), reason="needs ../shared/models and fixtures")


def shared(relative: str) -> Path:
    return SHARED / relative


def fixture(relative: str):
    return json.loads(shared(relative).read_text())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A `ferry serve` child process on 127.0.0.1:port; with `ca` (a CA file) it is probed over https, presenting
    `client_cert` (a (certificate, key) pair) when given. Extra `args` go to `ferry serve` as they are."""

    def __init__(self, model: str, *args: str, env: dict | None = None, wait_ready: bool = True,
                 ca: str | None = None, client_cert: tuple[str, str] | None = None):
        self.port = free_port()
        self.base = f"{'https' if ca else 'http'}://127.0.0.1:{self.port}"
        self.ssl_context = None
        if ca:
            self.ssl_context = ssl.create_default_context(cafile=ca)
            if client_cert:
                self.ssl_context.load_cert_chain(*client_cert)
        self.log = open(ROOT / ".build" / f"serve-{self.port}.log", "w+")
        command = [str(FERRY), "serve", model, "--host", "127.0.0.1", "--port", str(self.port), *args]
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT,
                                        env={**os.environ, **(env or {})})
        self.wait_live()
        if wait_ready:
            self.wait_ready()

    def status(self, path: str) -> int:
        try:
            with urllib.request.urlopen(self.base + path, timeout=5, context=self.ssl_context) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def wait_live(self, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"ferry serve exited: {self.output()}"
            try:
                if self.status("/live") == 200:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        raise TimeoutError(f"/live never answered: {self.output()}")

    def wait_ready(self, timeout: float = 120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"ferry serve exited: {self.output()}"
            if self.status("/health") == 200:
                return
            time.sleep(0.05)
        raise TimeoutError(f"/health never turned 200: {self.output()}")

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-4000:]

    def signal(self, number=signal.SIGTERM):
        self.process.send_signal(number)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.log.close()


@pytest.fixture(scope="session")
def stories():
    server = Server(str(shared("models/stories260K")), "--served-model-name", "stories")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smol():
    server = Server(str(shared("models/SmolLM2-135M-Instruct-Q4_1-gguf/SmolLM2-135M-Instruct.Q4_1.gguf")),
                    "--served-model-name", "smol")
    yield server
    server.stop()
