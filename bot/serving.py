"""The HTTP server of HTTP mode: gunicorn's arbiter with waitress inside each worker.

gunicorn's master binds the port, forks `--workers N` processes and starts a new one when one
dies. Each worker serves the WSGI app with waitress on the listening socket it inherited:

- One thread per worker (waitress's event loop) accepts the connections and reads every request
  whole, headers and body, before the app sees it. A client that sends slowly, or not at all,
  costs a socket in that loop, never a request thread.
- The request threads (REQUEST_THREADS) only run the app on a request that has fully arrived, so
  a request that waits on Slack's Web API for a second or two holds one of many threads and
  nothing else.
- Time limits, checked every TICK seconds: a request (its headers and its body) must arrive
  within the read timeout (USECASE_HTTP_READ_TIMEOUT, counted from the connection's accept or
  from the request's first byte); a kept-alive connection with nothing to send is closed after
  KEEPALIVE seconds; an answer the client does not read within the read timeout is dropped with
  its connection. Slow or silent clients are closed without an answer.
- At most CONNECTION_LIMIT open connections per worker. Beyond that the worker stops accepting
  until the read timeout frees some; the others go on accepting from the shared socket.
- Headers over MAX_HEADER_BYTES are refused with 431, bodies over bot.web.MAX_BODY with 413,
  before any of it reaches the app.
- SIGTERM (gunicorn's graceful stop, a restart, a scale-down): the worker stops accepting, closes
  its idle connections, lets the requests it has finish and answers them, and exits; within
  gunicorn's graceful_timeout.
- Memory: glibc's malloc keeps at most MALLOC_ARENAS arenas and no per-thread caches
  (MALLOC_TUNABLES; GLIBC_TUNABLES or MALLOC_ARENA_MAX, when set, win): with 64 request threads
  they held memory that a worker never gave back.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import socket
import time

from gunicorn.workers.base import Worker
from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer, UnixWSGIServer
from waitress.task import ThreadedTaskDispatcher

from bot.web import MAX_BODY

DEFAULT_READ_TIMEOUT = 5.0  # seconds for a whole request to arrive (USECASE_HTTP_READ_TIMEOUT)
KEEPALIVE = 5  # seconds an idle kept-alive connection stays open
REQUEST_THREADS = 64  # per worker: each runs the app on one request that has fully arrived
CONNECTION_LIMIT = 1000  # open connections per worker
MAX_HEADER_BYTES = 64 * 1024  # Slack's request headers are well under 4 KB
GRACEFUL_TIMEOUT = 10  # seconds a stopping worker has to finish its requests
TICK = 0.25  # how often the time limits are checked, in seconds
MALLOC_ARENAS = 2  # glibc's malloc arenas per worker (its default: 8 per core)


def gunicorn_settings(read_timeout: float = DEFAULT_READ_TIMEOUT) -> dict:
    """The gunicorn settings of HTTP mode (add "bind" and "workers")."""
    return {
        "worker_class": worker_class(read_timeout),
        "threads": REQUEST_THREADS,
        "worker_connections": CONNECTION_LIMIT,
        "keepalive": KEEPALIVE,
        "timeout": 30,  # a worker whose event loop stops ticking this long is replaced
        "graceful_timeout": GRACEFUL_TIMEOUT,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
    }


def worker_class(read_timeout: float) -> type:
    """WaitressWorker with this read timeout (gunicorn has no setting for one)."""
    return type("WaitressWorker", (WaitressWorker,), {"read_timeout": float(read_timeout)})


class Channel(HTTPChannel):
    """waitress's connection, which remembers since when it has been reading a request."""

    def __init__(self, server, sock, addr, adj, map=None):
        super().__init__(server, sock, addr, adj, map=map)
        # a new connection is reading its first request from the moment it is accepted
        self.reading_since: float | None = time.monotonic()

    def received(self, data):
        if self.reading_since is None:  # the first bytes of the next request on this connection
            self.reading_since = time.monotonic()
        result = super().received(data)
        if self.request is None:  # what arrived ends on a complete request
            self.reading_since = None
        return result

    def overdue(self, now: float, monotonic: float, read_timeout: float, keepalive: float) -> bool:
        if self.requests or self.will_close:  # the app is at work on it, or it is closing anyway
            return False
        if self.total_outbufs_len:  # an answer the client is not reading
            return now - self.last_activity > read_timeout
        if self.reading_since is not None:  # headers or body still on their way
            return monotonic - self.reading_since > read_timeout
        return now - self.last_activity > keepalive  # idle between requests

    def idle(self) -> bool:
        """No byte of a request unanswered: what a stopping worker closes at once."""
        return not (self.requests or self.total_outbufs_len or self.request is not None)


class _Limits:
    """The time limits, for waitress's TCP and Unix socket servers alike."""

    channel_class = Channel
    read_timeout = DEFAULT_READ_TIMEOUT
    keepalive = KEEPALIVE

    def maintenance(self, now):
        # replaces waitress's idle-only check (channel_timeout), which a client dripping one
        # byte at a time never trips
        monotonic = time.monotonic()
        for channel in list(self.active_channels.values()):
            if channel.overdue(now, monotonic, self.read_timeout, self.keepalive):
                channel.will_close = True  # the event loop closes it on its next turn
        self.next_channel_cleanup = now + TICK


class TcpServer(_Limits, TcpWSGIServer):
    pass


class UnixServer(_Limits, UnixWSGIServer):
    pass


class _Wakeup(wasyncore.file_dispatcher):
    """The worker's signal pipe in the event loop: a signal wakes it at once."""

    def writable(self):
        return False

    def handle_read(self):
        try:
            while os.read(self._fileno, 64):
                pass
        except OSError:
            pass


M_ARENA_MAX = -8  # glibc's malloc.h
# glibc's per-thread caches of freed blocks (tcache) hold up to 7 blocks of each size per thread,
# for good: across 64 request threads and the app's pool, about 13 MB a worker that never goes
# back (bench/memory.py). Python's own allocator serves the small objects anyway.
MALLOC_TUNABLES = "glibc.malloc.tcache_count=0:glibc.malloc.arena_max=%d" % MALLOC_ARENAS


def reexec_with_malloc_tunables() -> None:
    """Run this process again, same pid and arguments, with MALLOC_TUNABLES in GLIBC_TUNABLES:
    glibc reads them only when a program starts, and the workers are forked from this one.
    Does nothing when GLIBC_TUNABLES is set (the operator's choice, or done already) or the C
    library is not glibc."""
    import platform
    import sys

    if "GLIBC_TUNABLES" in os.environ or platform.libc_ver()[0] != "glibc":
        return
    try:
        os.execve(sys.executable, sys.orig_argv, {**os.environ, "GLIBC_TUNABLES": MALLOC_TUNABLES})
    except OSError:
        pass  # go on without them


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> None:
    """glibc's malloc: at most `arenas` arenas in this process, unless MALLOC_ARENA_MAX says
    otherwise (the operator's choice wins). Elsewhere (musl, macOS) nothing to do."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt(M_ARENA_MAX, arenas)


class WaitressWorker(Worker):
    """A gunicorn worker that serves the app with waitress (see the module's docstring)."""

    read_timeout = DEFAULT_READ_TIMEOUT

    def init_process(self):
        # Before the app and its threads exist. Most allocations happen under the GIL, so more
        # arenas (glibc's default: 8 per core) buy little speed, and each keeps free pieces of
        # its own: memory the worker holds and does not use (bench/memory.py: about 6 MB less
        # per worker with 2).
        limit_malloc_arenas()
        super().init_process()

    def run(self):
        adjustments = Adjustments(
            threads=self.cfg.threads,
            connection_limit=self.cfg.worker_connections,
            backlog=self.cfg.backlog,
            max_request_header_size=MAX_HEADER_BYTES,
            max_request_body_size=MAX_BODY,
            channel_timeout=int(max(self.read_timeout, self.cfg.keepalive)) + 1,  # unused: see _Limits
            cleanup_interval=1,
            asyncore_use_poll=True,  # select() stops at 1024 descriptors
            log_socket_errors=False,  # a client that went away is not the server's error
            clear_untrusted_proxy_headers=False,  # headers reach the app as they came
            ident=None,  # no Server header
        )
        self.socket_map: dict = {}
        self.dispatcher = ThreadedTaskDispatcher()
        self.dispatcher.set_thread_count(self.cfg.threads)
        self.servers = [self._server(listener.sock, adjustments) for listener in self.sockets]
        _Wakeup(self.PIPE[0], map=self.socket_map)
        while self.alive:
            wasyncore.poll2(TICK, self.socket_map)
            self.notify()
            if self.ppid != os.getppid():
                self.log.info("Parent changed, shutting down: %s", self)
                break
        self.drain()

    def _server(self, sock, adjustments):
        server_class = UnixServer if sock.family == getattr(socket, "AF_UNIX", None) else TcpServer
        server = server_class(
            self.wsgi,
            map=self.socket_map,
            _sock=sock,
            dispatcher=self.dispatcher,
            adj=adjustments,
            bind_socket=False,
            sockinfo=(sock.family, sock.type, sock.proto, sock.getsockname()),
        )
        server.read_timeout = self.read_timeout
        server.keepalive = float(self.cfg.keepalive)
        return server

    def drain(self):
        """Stop accepting; finish and answer the requests under way; then close everything."""
        deadline = time.monotonic() + max(1.0, self.cfg.graceful_timeout - 1.0)
        for server in self.servers:
            server.accepting = False  # the other workers go on accepting from the shared socket
        wasyncore.poll2(0, self.socket_map)  # read what has arrived before judging who is idle
        while time.monotonic() < deadline:
            busy = False
            for server in self.servers:
                for channel in list(server.active_channels.values()):
                    if channel.idle():
                        channel.will_close = True
                    elif not channel.will_close:
                        busy = True
            if not busy:
                break
            wasyncore.poll2(TICK, self.socket_map)
            self.notify()
        wasyncore.poll2(0, self.socket_map)  # the last answers and closes
        self.dispatcher.shutdown(cancel_pending=True, timeout=1)
        wasyncore.close_all(self.socket_map)

    def handle_exit(self, sig, frame):
        self.alive = False  # run() drains; the signal pipe woke the event loop
