"""A stand-in for Segment's tracking API (the batch endpoint Segment's Python library posts to),
on 127.0.0.1: it records every message it receives, or answers 500 when told to."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class SegmentTrackingStandIn:
    def __init__(self):
        self.messages: list[dict] = []
        self.auth: list[str] = []
        self.failing = False
        self._changed = threading.Condition()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                status = 500 if standin.failing or self.path != "/v1/batch" else 200
                if status == 200:
                    with standin._changed:
                        standin.auth.append(self.headers.get("Authorization", ""))
                        standin.messages.extend(body.get("batch") or [])
                        standin._changed.notify_all()
                data = b'{"success": true}' if status == 200 else b'{"error": "failing on demand"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> SegmentTrackingStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, predicate, timeout: float = 10.0):
        """Wait until predicate(messages) is truthy; its value, or None on time-out."""
        with self._changed:
            self._changed.wait_for(lambda: predicate(list(self.messages)), timeout)
            return predicate(list(self.messages))

    def tracks(self, event: str) -> list[dict]:
        return [m for m in self.messages if m.get("type") == "track" and m.get("event") == event]

    @staticmethod
    def write_key_of(authorization: str) -> str:
        return base64.b64decode(authorization.removeprefix("Basic ")).decode().rstrip(":")
