# SPDX-License-Identifier: Apache-2.0
"""A Hugging Face hub on 127.0.0.1 for the API tests, answering the hub's URL shapes with real model files.

Same behaviour as Tests/FerryHubTests/FakeHub.swift: `GET /api/models/{repo}/revision/{rev}` (model info with
`sha` and `siblings`), `HEAD|GET /{repo}/resolve/{rev}/{path}` (200 with `ETag` = git blob sha1 for regular files,
302 to the CDN with `X-Linked-Etag` = sha256 and `X-Linked-Size` for LFS files, `X-Repo-Commit` on both),
`GET /cdn/{sha256}` on host `localhost` with Range support, and the hub's `X-Error-Code` errors.
"""
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

COMMIT = "0123456789abcdef0123456789abcdef01234567"
LFS_SUFFIXES = (".safetensors", ".gguf")


class FakeHub:
    def __init__(self, token: str = "hf_fake_token_for_tests", cdn_bytes_per_second: int | None = None):
        self.token = token
        self.cdn_bytes_per_second = cdn_bytes_per_second
        self.repos: dict[str, dict] = {}
        self.blobs: dict[str, bytes] = {}
        self.requests: list[tuple[str, str, str | None]] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_HEAD(self):
                hub.answer(self, head=True)

            def do_GET(self):
                hub.answer(self, head=False)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def add(self, repo: str, folder: Path, gated: bool = False):
        files = {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}
        self.repos[repo] = {"files": files, "gated": gated}
        for name, data in files.items():
            if name.endswith(LFS_SUFFIXES):
                self.blobs[hashlib.sha256(data).hexdigest()] = data

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # The hub's answers.

    def answer(self, handler, head: bool):
        path = handler.path.split("?")[0]
        auth = handler.headers.get("Authorization")
        self.requests.append((handler.command, path, auth))
        parts = [unquote(part) for part in path.split("/")[1:]]
        if len(parts) == 6 and parts[:2] == ["api", "models"] and parts[4] == "revision":
            self.model_info(handler, parts[2] + "/" + parts[3], parts[5], auth)
        elif len(parts) == 6 and parts[:2] == ["api", "models"] and parts[4] == "tree":
            self.tree(handler, parts[2] + "/" + parts[3], parts[5], auth)
        elif len(parts) >= 5 and parts[2] == "resolve":
            self.resolve(handler, parts[0] + "/" + parts[1], parts[3], "/".join(parts[4:]), auth, head)
        elif len(parts) == 2 and parts[0] == "cdn" and parts[1] in self.blobs:
            self.cdn(handler, self.blobs[parts[1]], head)
        else:
            self.send(handler, 404, {}, b"Not Found", head)

    @staticmethod
    def send(handler, status: int, headers: dict, body: bytes, head: bool):
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if not head:
            handler.wfile.write(body)

    def error(self, handler, status: int, code: str, message: str, head: bool = False):
        body = json.dumps({"error": message}).encode()
        self.send(handler, status, {"Content-Type": "application/json", "X-Error-Code": code,
                                    "X-Error-Message": message}, body, head)

    def look_up(self, handler, repo: str, revision: str, auth: str | None, check_gate: bool, head: bool = False):
        entry = self.repos.get(repo)
        if entry is None:
            self.error(handler, 404 if auth else 401, "RepoNotFound", "Repository not found", head)
            return None
        if check_gate and entry["gated"] and auth != f"Bearer {self.token}":
            self.error(handler, 403 if auth else 401, "GatedRepo",
                       f"Access to model {repo} is restricted. You must have access to it and be authenticated "
                       "to access it. Please log in.", head)
            return None
        if revision not in ("main", COMMIT):
            self.error(handler, 404, "RevisionNotFound", f"Invalid rev id: {revision}", head)
            return None
        return entry

    def model_info(self, handler, repo: str, revision: str, auth: str | None):
        entry = self.look_up(handler, repo, revision, auth, check_gate=False)
        if entry is not None:
            body = json.dumps({"id": repo, "modelId": repo, "sha": COMMIT, "private": False,
                               "gated": "auto" if entry["gated"] else False,
                               "siblings": [{"rfilename": name} for name in entry["files"]]}).encode()
            self.send(handler, 200, {"Content-Type": "application/json"}, body, False)

    def tree(self, handler, repo: str, revision: str, auth: str | None):
        """`/api/models/{repo}/tree/{rev}` (what huggingface_hub's snapshot_download lists; Ferry uses siblings)."""
        entry = self.look_up(handler, repo, revision, auth, check_gate=False)
        if entry is not None:
            items = []
            for name, data in entry["files"].items():
                item = {"type": "file", "path": name, "size": len(data),
                        "oid": hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()}
                if name.endswith(LFS_SUFFIXES):
                    item["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
                items.append(item)
            self.send(handler, 200, {"Content-Type": "application/json"}, json.dumps(items).encode(), False)

    def resolve(self, handler, repo: str, revision: str, path: str, auth: str | None, head: bool):
        entry = self.look_up(handler, repo, revision, auth, check_gate=True, head=head)
        if entry is None:
            return
        data = entry["files"].get(path)
        if data is None:
            self.error(handler, 404, "EntryNotFound", "Entry not found", head)
        elif path.endswith(LFS_SUFFIXES):
            sha = hashlib.sha256(data).hexdigest()
            self.send(handler, 302, {"Location": f"http://localhost:{self.port}/cdn/{sha}", "X-Repo-Commit": COMMIT,
                                     "X-Linked-Etag": f'"{sha}"', "X-Linked-Size": str(len(data))}, b"", head)
        else:
            blob_id = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
            self.send(handler, 200, {"ETag": f'"{blob_id}"', "X-Repo-Commit": COMMIT}, data, head)

    def cdn(self, handler, data: bytes, head: bool):
        start = 0
        ranged = handler.headers.get("Range", "")
        if ranged.startswith("bytes=") and ranged.endswith("-"):
            start = int(ranged[6:-1])
        headers = {"Accept-Ranges": "bytes"}
        if start:
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        handler.send_response(206 if start else 200)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data) - start))
        handler.end_headers()
        if head:
            return
        step = 64 << 10
        for offset in range(start, len(data), step):
            try:
                handler.wfile.write(data[offset:offset + step])
            except OSError:
                return
            if self.cdn_bytes_per_second:
                time.sleep(step / self.cdn_bytes_per_second)
