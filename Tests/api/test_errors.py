# SPDX-License-Identifier: Apache-2.0
"""Bad input over raw sockets: each class gets its status and OpenAI error body, and the server keeps serving."""
import json
import socket

import pytest

from conftest import Server, needs_shared, shared

pytestmark = needs_shared


def exchange(server, raw: bytes, timeout: float = 10) -> tuple[int, dict, bytes]:
    """Sends raw bytes on a new connection; returns status, headers and body of the first response."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as connection:
        connection.sendall(raw)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = connection.recv(65536)
            if not chunk:
                break
            body += chunk
        return status, headers, body


def post(path: str, body: bytes, content_type: str = "application/json", extra: str = "") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            f"{extra}\r\n").encode() + body


def assert_error(status, headers, body, expected_status, param=None, message=None):
    assert status == expected_status, body
    assert headers["content-type"].startswith("application/json")
    error = json.loads(body)["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["code"] == expected_status
    if param is not None:
        assert error["param"] == param
    if message is not None:
        assert error["message"] == message
    return error


def still_serves(server):
    status, _, body = exchange(server, post("/v1/completions", b'{"prompt": "Once", "max_tokens": 2}'))
    assert status == 200 and json.loads(body)["choices"][0]["text"]


CASES = [
    ("invalid json", post("/v1/completions", b'{"prompt": "x",'), 400, None, None),
    ("wrong type", post("/v1/completions", b'{"prompt": "x", "max_tokens": "many"}'), 400, "max_tokens", None),
    ("bad temperature", post("/v1/completions", b'{"prompt": "x", "temperature": -1}'), 400, "temperature", None),
    ("unknown model", post("/v1/completions", b'{"model": "nope", "prompt": "x"}'), 404, "model",
     "The model `nope` does not exist."),
    ("not json content", post("/v1/completions", b'prompt=x', content_type="text/plain"), 400, None, None),
    ("empty prompt", post("/v1/completions", b'{"prompt": ""}'), 400, None, None),
    ("too long", post("/v1/completions", json.dumps({"prompt": "Once upon a time " * 200, "max_tokens": 16}).encode()),
     400, None, None),
    ("chat without template", post("/v1/chat/completions", b'{"messages": [{"role": "user", "content": "hi"}]}'),
     400, None, None),
    ("unknown route", b"GET /v1/nothing HTTP/1.1\r\nHost: x\r\n\r\n", 404, None, None),
    ("wrong method", b"GET /v1/completions HTTP/1.1\r\nHost: x\r\n\r\n", 405, None, None),
    ("body too large", post("/v1/completions", b"x" * (2 << 20)), 413, None, None),
    ("both framings", b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, None, None),
]


@pytest.fixture(scope="module")
def small_body_server():
    server = Server(str(shared("models/stories260K")), "--max-request-body-bytes", str(1 << 20))
    yield server
    server.stop()


@pytest.mark.parametrize("name,raw,expected,param,message", CASES, ids=[case[0] for case in CASES])
def test_bad_input_gets_its_status_and_error_body(small_body_server, name, raw, expected, param, message):
    status, headers, body = exchange(small_body_server, raw)
    error = assert_error(status, headers, body, expected, param, message)
    if name == "too long":
        assert error["message"].startswith("This model's maximum context length is 512 tokens.")
    if name == "wrong method":
        assert "POST" in headers["allow"]
    still_serves(small_body_server)


def test_api_keys_guard_api_routes_but_not_probes():
    server = Server(str(shared("models/stories260K")), "--api-key", "sekret", wait_ready=True)
    try:
        status, headers, body = exchange(server, post("/v1/completions", b'{"prompt": "x", "max_tokens": 1}'))
        assert_error(status, headers, body, 401)
        status, _, _ = exchange(server, post("/v1/completions", b'{"prompt": "x", "max_tokens": 1}',
                                             extra="Authorization: Bearer wrong\r\n"))
        assert status == 401
        status, _, _ = exchange(server, post("/v1/completions", b'{"prompt": "x", "max_tokens": 1}',
                                             extra="Authorization: Bearer sekret\r\n"))
        assert status == 200
        for path in ["/health", "/live", "/metrics"]:
            assert server.status(path) == 200
    finally:
        server.stop()


def test_cors_preflight_and_headers(small_body_server):
    status, headers, _ = exchange(small_body_server, b"OPTIONS /v1/completions HTTP/1.1\r\nHost: x\r\n"
                                  b"Origin: http://app.example\r\nAccess-Control-Request-Method: POST\r\n\r\n")
    assert status == 200
    assert headers["access-control-allow-origin"] == "*"
    assert "POST" in headers["access-control-allow-methods"]
    status, headers, _ = exchange(small_body_server, b"GET /v1/models HTTP/1.1\r\nHost: x\r\n"
                                  b"Origin: http://app.example\r\n\r\n")
    assert status == 200 and headers["access-control-allow-origin"] == "*"
