"""A stand-in for Segment's Public API on 127.0.0.1, for tests: it records every call and answers
as the real API does (the shapes bot/segment_api.py cites), or fails on demand."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: object


@dataclass
class Failure:
    status: int
    method: str | None = None  # None: any method
    path_suffix: str | None = None  # None: any path
    headers: dict[str, str] = field(default_factory=dict)
    body: object = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method in (None, method)) and (
            self.path_suffix is None or path.endswith(self.path_suffix)
        )


class SegmentAPIStandIn:
    """Use as a context manager; `url` is its base URL, `calls` what it received, in order."""

    def __init__(self):
        self.calls: list[Call] = []
        self.failures: deque[Failure] = deque()
        self.plans: dict[str, dict] = {}
        self._lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                status, headers, answer = standin._answer(
                    Call(self.command, self.path, dict(self.headers.items()), body)
                )
                data = json.dumps(answer).encode() if answer is not None else b""
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> SegmentAPIStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def fail(
        self,
        status: int,
        *,
        times: int = 1,
        method: str | None = None,
        path_suffix: str | None = None,
        headers: dict[str, str] | None = None,
        body: object = None,
    ) -> None:
        """The next `times` matching requests get `status` (with these headers and JSON body)."""
        for _ in range(times):
            self.failures.append(Failure(status, method, path_suffix, dict(headers or {}), body))

    def _answer(self, call: Call) -> tuple[int, dict[str, str], object]:
        with self._lock:
            self.calls.append(call)
            failure = next((f for f in self.failures if f.matches(call.method, call.path)), None)
            if failure is not None:
                self.failures.remove(failure)
                body = (
                    failure.body
                    if failure.body is not None
                    else {
                        "errors": [{"type": "standin", "message": f"failing on demand with {failure.status}"}]
                    }
                )
                return failure.status, failure.headers, body
            if call.method == "POST" and call.path == "/tracking-plans":
                plan_id = f"tp_standin{len(self.plans) + 1}"
                self.plans[plan_id] = {
                    "id": plan_id,
                    "name": (call.body or {}).get("name"),
                    "type": "LIVE",
                    "rules": [],
                }
                plan = {k: v for k, v in self.plans[plan_id].items() if k != "rules"}
                return 200, {}, {"data": {"trackingPlan": plan}}
            parts = call.path.split("/")
            if (
                call.method == "PUT"
                and len(parts) == 4
                and parts[1] == "tracking-plans"
                and parts[3] == "rules"
            ):
                if parts[2] not in self.plans:
                    return 404, {}, {"errors": [{"type": "not-found", "message": "Resource not found"}]}
                self.plans[parts[2]]["rules"] = (call.body or {}).get("rules", [])
                return 200, {}, {"data": {"status": "SUCCESS"}}
            return 404, {}, {"errors": [{"type": "not-found", "message": "Resource not found"}]}
