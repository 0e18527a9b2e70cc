"""A local stand-in for Slack's Socket Mode endpoint (a WebSocket server) and its envelopes."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time
import uuid

from tests.support.processes import START_TIMEOUT, WAIT, free_port


class FakeSocketModeServer:
    """Slack's Socket Mode endpoint: says hello, pushes envelopes, collects the app's acks."""

    def __init__(self):
        self.acks: queue.Queue = queue.Queue()
        self.received: list[dict] = []
        self.connected = threading.Event()
        self.connections = 0
        self._connection = None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Future | None = None
        self._thread = threading.Thread(target=self._run, name="fake-socket-mode", daemon=True)
        self.port: int | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link/?ticket=test-ticket&app_id=A0KRD7HC3"

    def start(self) -> FakeSocketModeServer:
        self._thread.start()
        assert self._ready.wait(10), "the fake Socket Mode server did not start"
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        from websockets.asyncio.server import serve

        self._stop = self._loop.create_future()
        async with serve(self._handler, "127.0.0.1", free_port(), ping_interval=None) as server:
            self.port = next(iter(server.sockets)).getsockname()[1]
            self._ready.set()
            await self._stop

    async def _handler(self, connection) -> None:
        self.connections += 1
        self._connection = connection
        await connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "fake-socket-mode", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": "A0KRD7HC3"},
                }
            )
        )
        self.connected.set()
        try:
            async for frame in connection:
                data = json.loads(frame)
                self.received.append(data)
                self.acks.put(data)
        except Exception:  # noqa: BLE001 - the app went away; that is its business
            pass

    def send(self, envelope: dict) -> None:
        assert self.connected.wait(START_TIMEOUT), "the app never connected"
        future = asyncio.run_coroutine_threadsafe(self._connection.send(json.dumps(envelope)), self._loop)
        future.result(timeout=10)

    def ack_for(self, envelope_id: str, timeout: float = WAIT) -> dict:
        deadline = time.monotonic() + timeout
        for ack in self.received:
            if ack.get("envelope_id") == envelope_id:
                return ack
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no ack for envelope {envelope_id}; got {self.received}")
            try:
                ack = self.acks.get(timeout=left)
            except queue.Empty:
                continue
            if ack.get("envelope_id") == envelope_id:
                return ack

    def acks_for(self, envelope_id: str) -> list[dict]:
        return [a for a in self.received if a.get("envelope_id") == envelope_id]

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(lambda: self._stop.done() or self._stop.set_result(None))
        self._thread.join(timeout=10)


def envelope(kind: str, payload: dict, **extra) -> dict:
    return {
        "envelope_id": str(uuid.uuid4()),
        "type": kind,
        "payload": payload,
        "accepts_response_payload": kind != "events_api",
        **extra,
    }
