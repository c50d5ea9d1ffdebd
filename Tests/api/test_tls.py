# SPDX-License-Identifier: Apache-2.0
"""`ferry serve` over TLS (--ssl-* flags): the openai client and curl with a CA made by `openssl` here, client
certificates, clients that cannot or do not speak TLS, certificate reload, and drain."""
import json
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import openai
import pytest
import requests

from conftest import FERRY, Server, needs_shared, shared
from h2client import H2Client, sse_texts

pytestmark = needs_shared
STORIES = str(shared("models/stories260K"))
SMOL = str(shared("models/SmolLM2-135M-Instruct-Q4_1-gguf/SmolLM2-135M-Instruct.Q4_1.gguf"))


class Certificates:
    """A CA; server certificates with serials 1001 and 1002 (SAN 127.0.0.1, localhost); a client certificate; a
    self-signed stranger."""

    def __init__(self, directory: Path):
        self.dir = directory
        run = lambda *args: subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=Ferry Test CA")
        (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        for name, serial in [("server", "1001"), ("server2", "1002"), ("client", "2001")]:
            run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj",
                f"/CN={name}")
            run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial",
                f"0x{serial}", "-days", "2", "-extfile", "san.ext", "-out", f"{name}.pem")
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "stranger.key", "-out", "stranger.pem",
            "-days", "2", "-subj", "/CN=stranger")  # a self-signed client the CA never vouched for
        self.ca = str(directory / "ca.pem")

    def path(self, name: str) -> str:
        return str(self.dir / name)

    def server_args(self, cert="server.pem", key="server.key") -> list[str]:
        return ["--ssl-certfile", self.path(cert), "--ssl-keyfile", self.path(key)]


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return Certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_smol(certs):
    server = Server(SMOL, "--served-model-name", "smol", *certs.server_args(), ca=certs.ca)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def plain_smol():
    server = Server(SMOL, "--served-model-name", "smol")
    yield server
    server.stop()


def served_serial(port: int, ca: str) -> str:
    """The serial number (hex) of the certificate a new TLS connection is served."""
    context = ssl.create_default_context(cafile=ca)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            der = tls.getpeercert(binary_form=True)
    out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-serial"], input=der,
                         capture_output=True, check=True).stdout.decode()
    return out.strip().split("=")[1]


def curl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "-sS", "--max-time", "60", *args], capture_output=True, text=True)


def without_ids(document: dict) -> dict:
    return {key: value for key, value in document.items() if key not in ("id", "created")}


def normalized(body: str) -> list:
    """A JSON body, or an SSE body's events, without the per-response id and timestamp."""
    if body.startswith("data: "):
        events = [line[6:] for line in body.splitlines() if line.startswith("data: ")]
        return [event if event == "[DONE]" else without_ids(json.loads(event)) for event in events]
    return [without_ids(json.loads(body))]


REQUESTS = {
    "completion": ("/v1/completions", {"model": "smol", "prompt": "The capital of France is", "max_tokens": 16,
                                       "temperature": 0}),
    "chat": ("/v1/chat/completions", {"model": "smol", "messages": [{"role": "user", "content": "Say hi."}],
                                      "max_tokens": 16, "temperature": 0}),
    "completion SSE": ("/v1/completions", {"model": "smol", "prompt": "Once upon a time", "max_tokens": 16,
                                           "temperature": 0, "stream": True}),
    "chat SSE": ("/v1/chat/completions", {"model": "smol", "messages": [{"role": "user", "content": "Count."}],
                                          "max_tokens": 16, "temperature": 0, "stream": True,
                                          "stream_options": {"include_usage": True}}),
}


@pytest.mark.parametrize("protocol,version", [("--http1.1", "1.1"), ("--http2", "2")])
@pytest.mark.parametrize("name", REQUESTS)
def test_curl_over_tls_gets_the_same_bodies_as_plain_http(certs, tls_smol, plain_smol, name, protocol, version):
    """HTTP/1.1 over TLS, and h2 chosen through ALPN (`curl --http2` offers h2 and http/1.1)."""
    path, body = REQUESTS[name]
    common = ["-H", "Content-Type: application/json", "-d", json.dumps(body)]
    secure = curl(protocol, "--cacert", certs.ca, "-w", "\n%{http_version} %{http_code}", *common,
                  tls_smol.base + path)
    plain = curl(*common, plain_smol.base + path)
    assert secure.returncode == 0, secure.stderr
    text, trailer = secure.stdout.rsplit("\n", 1)
    assert trailer == f"{version} 200"
    assert normalized(text) == normalized(plain.stdout)


def test_the_openai_client_works_over_https_with_the_ca(certs, tls_smol, plain_smol):
    def client(server, **kwargs):
        return openai.OpenAI(base_url=server.base + "/v1", api_key="unused", max_retries=0, **kwargs)

    secure = client(tls_smol, http_client=openai.DefaultHttpxClient(verify=ssl.create_default_context(cafile=certs.ca)))
    plain = client(plain_smol)
    prompt = "The capital of France is"
    completion = secure.completions.create(model="smol", prompt=prompt, max_tokens=16, temperature=0)
    assert completion.choices[0].text == plain.completions.create(model="smol", prompt=prompt, max_tokens=16,
                                                                  temperature=0).choices[0].text
    messages = [{"role": "user", "content": "What is 2+2?"}]
    chat = secure.chat.completions.create(model="smol", messages=messages, max_tokens=16, temperature=0)
    assert chat.choices[0].message.content == plain.chat.completions.create(
        model="smol", messages=messages, max_tokens=16, temperature=0).choices[0].message.content
    stream = secure.chat.completions.create(model="smol", messages=messages, max_tokens=16, temperature=0,
                                            stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == chat.choices[0].message.content
    assert chunks[-1].usage.completion_tokens == chat.usage.completion_tokens
    # A client that does not trust the CA refuses the server.
    with pytest.raises(openai.APIConnectionError):
        client(tls_smol).models.list()


@pytest.mark.parametrize("mode", ["1", "2"])
def test_client_certificates_optional_and_required(certs, mode):
    client_cert = (certs.path("client.pem"), certs.path("client.key"))
    server = Server(STORIES, *certs.server_args(), "--ssl-ca-certs", certs.ca, "--ssl-cert-reqs", mode,
                    ca=certs.ca, client_cert=client_cert)
    try:
        url = server.base + "/v1/models"
        with_cert = curl("--cacert", certs.ca, "--cert", client_cert[0], "--key", client_cert[1], url)
        assert with_cert.returncode == 0 and json.loads(with_cert.stdout)["object"] == "list"
        without = curl("--cacert", certs.ca, url)
        if mode == "2":
            assert without.returncode != 0, without.stdout
            assert "alert" in without.stderr or "certificate" in without.stderr
        else:
            assert without.returncode == 0 and json.loads(without.stdout)["object"] == "list"
        # A certificate from another CA is refused in both modes.
        stranger = curl("--cacert", certs.ca, "--cert", certs.path("stranger.pem"), "--key",
                        certs.path("stranger.key"), url)
        assert stranger.returncode != 0
        assert server.status("/live") == 200
    finally:
        server.stop()


def test_plain_http_to_the_tls_port_gets_400_and_serving_goes_on(certs, tls_smol):
    response = requests.get(f"http://127.0.0.1:{tls_smol.port}/v1/models", timeout=5)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The plain HTTP request was sent to HTTPS port."
    assert response.headers["Connection"] == "close"
    assert tls_smol.status("/live") == 200


@pytest.mark.parametrize("flags, alert", [(["-tls1_1"], "protocol version"),
                                          (["-alpn", "spdy/3"], "no application protocol")])
def test_client_hellos_with_nothing_in_common_are_refused_and_serving_goes_on(certs, tls_smol, flags, alert):
    result = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{tls_smol.port}", *flags],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=10)
    assert result.returncode != 0
    assert alert in result.stdout + result.stderr
    assert tls_smol.status("/live") == 200


def test_a_slowloris_handshake_is_closed_after_the_header_timeout(tls_smol):
    with socket.create_connection(("127.0.0.1", tls_smol.port), timeout=20) as raw:
        start = time.monotonic()
        raw.sendall(b"\x16\x03\x01\x02\x00")  # a ClientHello's record header, then a byte a second
        raw.settimeout(1)
        closed_after = None
        for byte in range(20):
            try:
                if raw.recv(100) == b"":
                    closed_after = time.monotonic() - start
                    break
            except socket.timeout:
                try:
                    raw.sendall(bytes([1 if byte == 0 else 0]))
                except OSError:
                    closed_after = time.monotonic() - start
                    break
            except ConnectionResetError:
                closed_after = time.monotonic() - start
                break
    assert closed_after is not None and 9 <= closed_after <= 13, closed_after
    assert tls_smol.status("/live") == 200


def stream_lines(port: int, ca: str, max_tokens: int):
    """Opens an SSE completion over TLS on a raw socket. - Returns: the socket and a line iterator."""
    context = ssl.create_default_context(cafile=ca)
    tls = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30), server_hostname="127.0.0.1")
    body = json.dumps({"model": "smol", "prompt": "Once upon a time", "max_tokens": max_tokens, "temperature": 0,
                       "ignore_eos": True, "stream": True})
    tls.sendall((f"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n{body}").encode())
    return tls, tls.makefile("rb")


def read_stream(lines) -> tuple[str, bool]:
    text, done = "", False
    for line in lines:
        line = line.strip()
        if line == b"data: [DONE]":
            done = True
            break
        if line.startswith(b"data: "):
            text += json.loads(line[6:])["choices"][0]["text"]
    return text, done


def wait_for_log(server: Server, needle: str, count: int = 1, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.output().count(needle) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{needle!r} not logged: {server.output()}")


def test_sighup_reloads_the_certificate_for_new_connections_while_an_old_stream_goes_on(certs, tmp_path):
    cert, key = tmp_path / "live.pem", tmp_path / "live.key"
    shutil.copy(certs.path("server.pem"), cert)
    shutil.copy(certs.path("server.key"), key)
    server = Server(SMOL, "--served-model-name", "smol", "--ssl-certfile", str(cert), "--ssl-keyfile", str(key),
                    ca=certs.ca)
    try:
        old, lines = stream_lines(server.port, certs.ca, 200)
        assert next(lines).startswith(b"HTTP/1.1 200")
        old_der = old.getpeercert(binary_form=True)
        # A half-replaced pair (new certificate, old key) is refused: the old credentials stay.
        shutil.copy(certs.path("server2.pem"), cert)
        server.signal(signal.SIGHUP)
        wait_for_log(server, "TLS certificate reload failed")
        assert served_serial(server.port, certs.ca) == "1001"
        shutil.copy(certs.path("server2.key"), key)
        server.signal(signal.SIGHUP)
        wait_for_log(server, "TLS certificate reloaded")
        assert served_serial(server.port, certs.ca) == "1002"
        text, done = read_stream(lines)
        assert done and len(text) > 100
        assert old.getpeercert(binary_form=True) == old_der
        old.close()
        assert server.process.poll() is None
    finally:
        server.stop()


def test_enable_ssl_refresh_reloads_when_the_files_change(certs, tmp_path):
    cert, key = tmp_path / "live.pem", tmp_path / "live.key"
    shutil.copy(certs.path("server.pem"), cert)
    shutil.copy(certs.path("server.key"), key)
    server = Server(STORIES, "--ssl-certfile", str(cert), "--ssl-keyfile", str(key), "--enable-ssl-refresh",
                    ca=certs.ca)
    try:
        assert served_serial(server.port, certs.ca) == "1001"
        shutil.copy(certs.path("server2.key"), key)
        shutil.copy(certs.path("server2.pem"), cert)
        wait_for_log(server, "TLS certificate reloaded")
        assert served_serial(server.port, certs.ca) == "1002"
    finally:
        server.stop()


def test_drain_over_tls_finishes_the_stream_in_flight(certs):
    server = Server(SMOL, "--served-model-name", "smol", *certs.server_args(), "--shutdown-mode", "drain",
                    ca=certs.ca)
    try:
        tls, lines = stream_lines(server.port, certs.ca, 150)
        assert next(lines).startswith(b"HTTP/1.1 200")
        server.signal(signal.SIGTERM)
        text, done = read_stream(lines)
        assert done and len(text) > 100
        tls.close()
        assert server.process.wait(timeout=30) == 0
    finally:
        server.stop()


@pytest.mark.parametrize("flags, message", [
    (["--ssl-keyfile", "/nonexistent.key"], "--ssl-keyfile: cannot read the private key file /nonexistent.key"),
    (["--ssl-keyfile", "client.key"], "does not match the certificate"),
    (["--ssl-keyfile", "server.key", "--ssl-ca-certs", "server.key"], "--ssl-ca-certs: cannot load CA"),
    (["--ssl-keyfile", "server.key", "--ssl-cert-reqs", "2"], "--ssl-cert-reqs needs --ssl-ca-certs"),
    (["--ssl-keyfile", "server.key", "--ssl-ciphers", "NO-SUCH"], "--ssl-ciphers: no usable cipher"),
])
def test_bad_tls_settings_are_clear_startup_errors(certs, flags, message):
    flags = [certs.path(flag) if flag.endswith((".key", ".pem")) and not flag.startswith("/") else flag
             for flag in flags]
    result = subprocess.run([str(FERRY), "serve",
                             STORIES, "--port", "1", "--ssl-certfile", certs.path("server.pem"), *flags],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Fatal error" not in result.stderr


@pytest.mark.skipif(shutil.which("h2load") is None, reason="needs h2load (apt nghttp2-client)")
def test_h2load_100_streams_over_tls_through_alpn(tls_smol):
    """h2 chosen through ALPN, 100 concurrent streams on one TLS connection, every response 2xx."""
    result = subprocess.run(["h2load", "-n", "500", "-c", "1", "-m", "100", tls_smol.base + "/live"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Application protocol: h2" in result.stdout, result.stdout
    assert "requests: 500 total, 500 started, 500 done, 500 succeeded, 0 failed" in result.stdout, result.stdout
    assert "status codes: 500 2xx" in result.stdout, result.stdout


# MARK: - HTTP/2 over TLS (ALPN "h2"): resets, flow control and drain through the TLS transport

LONG_SSE = {"prompt": "Once upon a time", "max_tokens": 450, "temperature": 0, "ignore_eos": True, "stream": True}


def metrics_text(server: Server) -> str:
    with urllib.request.urlopen(server.base + "/metrics", timeout=5, context=server.ssl_context) as response:
        return response.read().decode()


def wait_for_aborts_and_free_blocks(server: Server, aborts: int) -> tuple[str, float | None]:
    """Polls /metrics (10 s at most) until `aborts` requests finished as aborted and the KV cache is empty."""
    deadline = time.monotonic() + 10
    metrics, usage = "", None
    while time.monotonic() < deadline:
        metrics = metrics_text(server)
        lines = [line for line in metrics.splitlines() if line.startswith("vllm:kv_cache_usage_perc{")]
        usage = float(lines[0].split()[-1]) if lines else None
        if f'finished_reason="abort"}} {aborts}.0' in metrics and usage == 0.0:
            break
        time.sleep(0.1)
    return metrics, usage


def test_h2_over_tls_a_reset_mid_sse_frees_its_blocks_and_a_small_window_holds_the_stream(certs):
    server = Server(STORIES, *certs.server_args(), ca=certs.ca)
    try:
        client = H2Client(server.port, tls_ca=certs.ca)
        assert client.alpn == "h2"
        stream_id = client.post_json("/v1/completions", LONG_SSE)
        client.read_until(lambda: client.responses[stream_id]["body"].count(b"data: ") >= 6)
        client.reset(stream_id)  # RST_STREAM CANCEL mid-stream, inside TLS records
        metrics, usage = wait_for_aborts_and_free_blocks(server, aborts=1)
        assert 'finished_reason="abort"} 1.0' in metrics
        assert usage == 0.0
        again = client.request("GET", "/live")  # the TLS connection serves on
        client.read_until(lambda: client.done(again))
        assert client.responses[again]["status"] == 200
        client.close()

        # Back-pressure through TLS: a 512-byte window holds the stream until the client grants more.
        slow = H2Client(server.port, initial_window=512, tls_ca=certs.ca)
        payload = {**LONG_SSE, "max_tokens": 60}
        stream_id = slow.post_json("/v1/completions", payload)
        slow.read_until(lambda: len(slow.responses[stream_id]["body"]) >= 512)
        deadline = time.monotonic() + 1.5  # the whole generation takes far less: only the window holds it back
        while time.monotonic() < deadline:
            try:
                assert slow.read_once(timeout=0.1)
            except TimeoutError:
                pass
        response = slow.responses[stream_id]
        assert len(response["body"]) == 512 and not response["ended"]
        slow.grant(stream_id, 1 << 20)
        slow.read_until(lambda: slow.done(stream_id))
        text, done = sse_texts(response["body"])
        assert response["ended"] and done and text
        slow.close()
    finally:
        server.stop()


def test_drain_over_h2_over_tls_sends_goaway_finishes_the_stream_then_close_notify(certs):
    server = Server(STORIES, *certs.server_args(), "--shutdown-mode", "drain", "--shutdown-drain-timeout", "60",
                    ca=certs.ca)
    try:
        client = H2Client(server.port, tls_ca=certs.ca)
        assert client.alpn == "h2"
        stream_id = client.post_json("/v1/completions", {**LONG_SSE, "max_tokens": 300})
        client.read_until(lambda: client.responses[stream_id]["body"].count(b"data: ") >= 3)
        server.signal(signal.SIGTERM)
        client.read_until(lambda: client.goaway is not None and client.done(stream_id))
        assert client.goaway == (0, stream_id)  # NO_ERROR, last stream id = the one in flight
        response = client.responses[stream_id]
        assert response["reset"] is None and response["ended"]
        text, done = sse_texts(response["body"])
        assert done and text
        client.read_until(lambda: client.closed, timeout=10)
        assert client.end == "close"  # TLS close_notify before the TCP end, not a bare FIN or a reset
        assert server.process.wait(timeout=10) == 0
        client.close()
    finally:
        server.stop()
