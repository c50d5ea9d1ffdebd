# SPDX-License-Identifier: Apache-2.0
"""A small raw HTTP/2 client on the `h2` package (h2c with prior knowledge, or h2 over TLS chosen through ALPN), for
cases curl cannot make: resets, flow-control violations, more streams than allowed, and watching GOAWAY."""
import json
import socket
import ssl
import struct
import time

import h2.config
import h2.connection
import h2.events
import h2.settings


class H2Client:
    def __init__(self, port: int, host: str = "127.0.0.1", initial_window: int | None = None,
                 tls_ca: str | None = None):
        """With `tls_ca` (a CA file) the client speaks TLS offering only "h2" through ALPN; `alpn` is what the
        server chose. A TCP end without TLS close_notify then reads as an error (`end` says how the server ended)."""
        self.sock = socket.create_connection((host, port), timeout=30)
        self.scheme = "https" if tls_ca else "http"
        self.alpn = None
        if tls_ca:
            context = ssl.create_default_context(cafile=tls_ca)
            context.set_alpn_protocols(["h2"])
            self.sock = context.wrap_socket(self.sock, server_hostname=host, suppress_ragged_eofs=False)
            self.alpn = self.sock.selected_alpn_protocol()
        self.end = None  # "close" (FIN, or TLS close_notify), "reset", or "unclean TLS end"
        self.authority = f"{host}:{port}"
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.responses: dict[int, dict] = {}
        self.events: list = []
        self.goaway = None  # (error_code, last_stream_id)
        self.buffer = b""
        self.closed = False
        # With a window given, received DATA is not acknowledged: the server may send no more than the window.
        self.auto_ack = initial_window is None
        if initial_window is not None:
            self.conn.local_settings = h2.settings.Settings(
                client=True, initial_values={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: initial_window})
        self.conn.initiate_connection()
        self.flush()

    def flush(self):
        if self.goaway is not None:
            return
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def request(self, method: str, path: str, body: bytes | None = None, headers: list | None = None,
                end_stream: bool = True, flush: bool = True) -> int:
        stream_id = self.conn.get_next_available_stream_id()
        fields = [(":method", method), (":path", path), (":scheme", self.scheme), (":authority", self.authority)]
        if body is not None:
            fields += [("content-type", "application/json"), ("content-length", str(len(body)))]
        fields += headers or []
        self.conn.send_headers(stream_id, fields, end_stream=body is None and end_stream)
        if body is not None:
            self.conn.send_data(stream_id, body, end_stream=end_stream)
        self.responses[stream_id] = {"status": None, "headers": {}, "body": b"", "ended": False, "reset": None}
        if flush:
            self.flush()
        return stream_id

    def post_json(self, path: str, payload: dict, flush: bool = True) -> int:
        return self.request("POST", path, json.dumps(payload).encode(), flush=flush)

    def reset(self, stream_id: int, code: int = 8):  # 8 = CANCEL
        self.conn.reset_stream(stream_id, error_code=code)
        self.flush()

    def read_once(self, timeout: float = 30) -> bool:
        """Reads one chunk and handles its frames; False when the server closed the connection."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
            end = "close"
        except ConnectionResetError:
            data, end = b"", "reset"
        except ssl.SSLEOFError:
            data, end = b"", "unclean TLS end"
        if not data:
            self.closed = True
            self.end = end
            return False
        self.buffer += data
        while len(self.buffer) >= 9:
            length = int.from_bytes(self.buffer[:3], "big")
            if len(self.buffer) < 9 + length:
                break
            frame, self.buffer = self.buffer[:9 + length], self.buffer[9 + length:]
            if self.goaway is not None and frame[3] == 0:
                self._data_after_goaway(frame)  # the h2 package refuses frames after GOAWAY; drains send them
            else:
                self._handle(self.conn.receive_data(frame))
        self.flush()
        return True

    def _data_after_goaway(self, frame: bytes):
        stream_id = int.from_bytes(frame[5:9], "big") & 0x7FFFFFFF
        response = self.responses[stream_id]
        response["body"] += frame[9:]
        if frame[4] & 1:
            response["ended"] = True
        if len(frame) > 9:
            self.sock.sendall(window_update_frame(0, len(frame) - 9) + window_update_frame(stream_id, len(frame) - 9))

    def _handle(self, events):
        for event in events:
            self.events.append(event)
            response = self.responses.get(getattr(event, "stream_id", None) or 0)
            if isinstance(event, h2.events.ResponseReceived):
                headers = dict(event.headers)
                response["status"] = int(headers[":status"])
                response["headers"] = headers
            elif isinstance(event, h2.events.DataReceived):
                response["body"] += event.data
                if self.auto_ack:
                    self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                response["ended"] = True
            elif isinstance(event, h2.events.StreamReset):
                if response is not None:
                    response["reset"] = event.error_code
            elif isinstance(event, h2.events.ConnectionTerminated):
                self.goaway = (event.error_code, event.last_stream_id)

    def read_until(self, predicate, timeout: float = 60):
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, "timed out waiting on the server"
            if not self.read_once(timeout=max(0.1, deadline - time.monotonic())):
                break
        return predicate()

    def done(self, stream_id: int) -> bool:
        response = self.responses[stream_id]
        return response["ended"] or response["reset"] is not None

    def grant(self, stream_id: int, increment: int):
        """Opens the stream's window by `increment` bytes (WINDOW_UPDATE)."""
        self.conn.increment_flow_control_window(increment, stream_id)
        self.flush()

    def send_raw(self, data: bytes):
        self.sock.sendall(data)

    def close(self):
        self.sock.close()


def window_update_frame(stream_id: int, increment: int) -> bytes:
    """A raw WINDOW_UPDATE frame, sent past the `h2` package's own flow-control bookkeeping."""
    return struct.pack(">I", 4)[1:] + bytes([8, 0]) + struct.pack(">II", stream_id, increment)


def sse_texts(body: bytes) -> tuple[str, bool]:
    """The completion text of an SSE body (choices[0]), and whether it ended with [DONE]."""
    text, done = "", False
    for line in body.decode().splitlines():
        if line == "data: [DONE]":
            done = True
        elif line.startswith("data: "):
            choice = json.loads(line[6:])["choices"][0]
            text += choice.get("text") or (choice.get("delta") or {}).get("content") or ""
    return text, done
