"""A real HTTP server on 127.0.0.1, started by a test, standing in for a provider's API
(Meta's Graph API, HubSpot's CRM API) or a webhook receiver. It records every request
and answers from a script: per path, a list of (status, body) played in order, the last
one repeating; `delay` makes it slow."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


class StandIn:
    def __init__(self):
        self.seen: list[Seen] = []
        self.script: dict[str, list[tuple[int, bytes]]] = {}
        self.delay = 0.0
        self._lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                seen = Seen(self.command, parts.path, parse_qs(parts.query),
                            {name.lower(): value for name, value in self.headers.items()}, body)  # fmt: skip
                status, answer = stand_in._next(seen)
                if stand_in.delay:
                    time.sleep(stand_in.delay)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def reply(self, path: str, *answers: tuple[int, object]) -> None:
        encoded = [(status, body if isinstance(body, bytes) else json.dumps(body).encode()) for status, body in answers]
        with self._lock:
            self.script[path] = encoded

    def _next(self, seen: Seen) -> tuple[int, bytes]:
        with self._lock:
            self.seen.append(seen)
            answers = self.script.get(seen.path)
            if not answers:
                return 404, b'{"error": "not scripted"}'
            return answers.pop(0) if len(answers) > 1 else answers[0]

    def requests_to(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def dead_url() -> str:
    """An address where nothing listens (the provider is down: connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
