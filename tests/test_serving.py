"""HTTP mode's server against slow clients: `usecase-bot run --mode http` as a real subprocess,
and sockets that send part of a request, or nothing, as an attacker's would (none of it signed).

- Many stalled sockets (more than the request threads of all the workers) do not keep the bot
  from answering /healthz and a signed `/usecase`.
- A request that does not arrive whole within USECASE_HTTP_READ_TIMEOUT (its headers, or its
  body, shorter than its Content-Length) has its connection closed by the server, unanswered;
  so does one that drips a byte at a time.
- A worker asked to stop finishes the request it is reading, and answers it.
- The workers run with glibc malloc's per-thread caches off, unless the operator set
  GLIBC_TUNABLES (bench/memory.py says why).

No timed assertion: every wait is a generous client timeout (the old server model, gunicorn's
gthread workers, answered nothing at all while 200 sockets stalled, and never closed them).
"""

from __future__ import annotations

import platform
import signal
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from bot import signing
from bot.sandbox.workspace import CHANNEL_ID
from bot.serving import REQUEST_THREADS
from bot.settings import SettingsError, load_settings
from tests.support.harness import HttpHarness
from tests.support.processes import (
    EXIT_TIMEOUT,
    WAIT,
    Bot,
    child_pids,
    clean_env,
    free_port,
    http,
    start_stand_in,
    wait_for,
    wait_for_workers,
    wait_until_healthy,
)

SIGNING_SECRET = "5f0c2b9e7d41a3c86e90b1d2f4a7c3e8"  # hex, for these tests only
BOT_TOKEN = "xoxb-1111-2222-serving"
GOAL_CHOOSER = "What is your main business goal?"
WORKERS = 2
STALLED = 200  # more than REQUEST_THREADS * WORKERS
CLIENT_TIMEOUT = 15.0  # seconds a probe, or a stalled socket, waits for the server

PARTIAL_HEAD = (
    b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/x-www-form-urlencoded\r\n"
)
SHORT_BODY = (
    b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 4096\r\n\r\n" + b"command=%2Fusecase&text="
)


@pytest.fixture(scope="module")
def stand_in():
    server = start_stand_in()
    yield server
    server.stop()


def start_bot(stand_in, log_dir: Path, read_timeout: str, **extra: str) -> tuple[Bot, int]:
    port = free_port()
    env = clean_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=stand_in.api_url,
        USECASE_HTTP_READ_TIMEOUT=read_timeout,
        **extra,
    )
    bot = Bot(["run", "--mode", "http", "--port", str(port), "--workers", str(WORKERS)], env, log_dir)
    try:
        wait_until_healthy(bot, port)
        wait_for_workers(bot, WORKERS, settled=0.5)
    except BaseException:
        bot.stop()
        raise
    return bot, port


def harness(stand_in, catalog, port: int) -> HttpHarness:
    return HttpHarness(stand_in, catalog, f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET)


def signed_usecase(h: HttpHarness) -> tuple[bytes, dict[str, str]]:
    body, content_type = h.slack.command_body(CHANNEL_ID, "")
    return body, signing.signed_headers(SIGNING_SECRET, body, content_type)


def stalled_socket(port: int, kind: str) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT)
    if kind == "headers":
        s.sendall(PARTIAL_HEAD)
    elif kind == "body":
        s.sendall(SHORT_BODY)
    return s  # "connect": connected, and nothing sent


def closed_by_server(s: socket.socket) -> bool:
    """Waits (up to the socket's timeout) for the server to close it; True when it did, with no
    answer at all."""
    try:
        return s.recv(4096) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def still_open(s: socket.socket) -> bool:
    """True when the server has neither answered nor closed the socket."""
    s.setblocking(False)
    try:
        s.recv(1, socket.MSG_PEEK)  # an answer, or the end of the stream
        return False
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        s.settimeout(CLIENT_TIMEOUT)


def accept_queue(port: int) -> int:
    """Connections to 127.0.0.1:`port` that no worker has accepted yet (the listening socket's
    receive queue in /proc/net/tcp)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, queues = fields[1], fields[3], fields[4]
        if state == "0A" and int(local.split(":")[1], 16) == port:  # 0A = LISTEN
            return int(queues.split(":")[1], 16)
    return 0


def test_stalled_sockets_do_not_keep_the_bot_from_answering(stand_in, catalog, tmp_path):
    assert STALLED > REQUEST_THREADS * WORKERS
    # a read timeout longer than the test: the sockets stall for all of it
    bot, port = start_bot(stand_in, tmp_path, read_timeout="120")
    kinds = ("headers", "body", "connect")
    sockets = []
    try:
        sockets = [stalled_socket(port, kinds[i % len(kinds)]) for i in range(STALLED)]
        h = harness(stand_in, catalog, port)

        status, body = http("GET", f"http://127.0.0.1:{port}/healthz", timeout=CLIENT_TIMEOUT)
        assert status == 200, body

        mark = h.mark()
        request_body, headers = signed_usecase(h)
        status, body = http(
            "POST", f"http://127.0.0.1:{port}/slack/events", request_body, headers, timeout=CLIENT_TIMEOUT
        )
        assert status == 200, body
        h.wait_for_message(GOAL_CHOOSER, after=mark, timeout=WAIT)

        # answered while every stalled socket was still held open by the server
        assert all(still_open(s) for s in sockets)
        assert bot.proc.poll() is None, bot.describe()
    finally:
        for s in sockets:
            s.close()
        bot.stop()
    assert "Traceback" not in bot.stderr(), bot.stderr()


@pytest.fixture(scope="module")
def quick_bot(stand_in, tmp_path_factory):
    """A bot with a read timeout of 1 s."""
    bot, port = start_bot(stand_in, tmp_path_factory.mktemp("quick-bot"), read_timeout="1")
    bot.port = port
    yield bot
    bot.stop()
    assert "Traceback" not in bot.stderr(), bot.stderr()


@pytest.mark.parametrize("kind", ["headers", "body", "connect"])
def test_a_request_that_does_not_arrive_in_time_is_closed_unanswered(quick_bot, kind):
    with stalled_socket(quick_bot.port, kind) as s:
        assert closed_by_server(s), f"the server still held a {kind} socket after {CLIENT_TIMEOUT} s"
    status, _ = http("GET", f"http://127.0.0.1:{quick_bot.port}/healthz", timeout=CLIENT_TIMEOUT)
    assert status == 200


def test_a_request_dripping_a_byte_at_a_time_is_closed_too(quick_bot):
    """Each byte comes well within the read timeout, the whole request never does: the limit is on
    the request, not on the silence between bytes."""
    stop = threading.Event()
    with socket.create_connection(("127.0.0.1", quick_bot.port), timeout=CLIENT_TIMEOUT) as s:

        def drip():
            for byte in PARTIAL_HEAD * 10:
                if stop.wait(0.2):
                    return
                try:
                    s.send(bytes([byte]))
                except OSError:
                    return

        dripper = threading.Thread(target=drip, daemon=True)
        dripper.start()
        try:
            assert closed_by_server(s), f"the server still held a dripping socket after {CLIENT_TIMEOUT} s"
        finally:
            stop.set()
            dripper.join(timeout=5)


def test_a_stopping_worker_finishes_the_request_it_is_reading(stand_in, catalog, tmp_path):
    bot, port = start_bot(stand_in, tmp_path, read_timeout="120")
    try:
        h = harness(stand_in, catalog, port)
        body, headers = signed_usecase(h)
        head = (
            "POST /slack/events HTTP/1.1\r\nHost: bot\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            + "\r\n"
        ).encode()
        mark = h.mark()
        with (
            socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT) as s,
            socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT) as idle,
        ):
            s.sendall(head + body[:10])
            # both connections reach a worker before the workers are told to stop
            assert wait_for(lambda: accept_queue(port) == 0, timeout=WAIT)
            bot.proc.send_signal(signal.SIGTERM)
            s.sendall(body[10:])
            answer = b""
            while chunk := s.recv(4096):
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
            assert closed_by_server(idle)  # no request on it: closed, unanswered
        h.wait_for_message(GOAL_CHOOSER, after=mark, timeout=WAIT)
        try:
            assert bot.proc.wait(timeout=EXIT_TIMEOUT) == 0, bot.describe()
        except subprocess.TimeoutExpired:
            pytest.fail(f"usecase-bot did not stop within {EXIT_TIMEOUT}s of SIGTERM")
    finally:
        bot.stop()
    assert "Traceback" not in bot.stderr(), bot.stderr()


def glibc_tunables(pid: int) -> str | None:
    """The GLIBC_TUNABLES a process started with (as /proc shows it: glibc's loader cuts the
    value at its first ':' while it reads it)."""
    for entry in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
        if entry.startswith(b"GLIBC_TUNABLES="):
            return entry.split(b"=", 1)[1].decode()
    return None


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc tunables")
def test_workers_run_without_mallocs_per_thread_caches(quick_bot):
    for worker in child_pids(quick_bot.pid):
        assert glibc_tunables(worker) == "glibc.malloc.tcache_count=0"


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc tunables")
def test_the_operators_malloc_tunables_win(stand_in, tmp_path):
    bot, _ = start_bot(stand_in, tmp_path, read_timeout="5", GLIBC_TUNABLES="glibc.malloc.arena_max=4")
    try:
        workers = child_pids(bot.pid)
        assert workers and all(glibc_tunables(w) == "glibc.malloc.arena_max=4" for w in workers)
    finally:
        bot.stop()


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "1e9", "nan", "5s"])
def test_a_bad_read_timeout_fails_fast_naming_the_variable(raw):
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET}
    with pytest.raises(SettingsError) as caught:
        load_settings({**env, "USECASE_HTTP_READ_TIMEOUT": raw})
    line = str(caught.value)
    assert "USECASE_HTTP_READ_TIMEOUT" in line and "\n" not in line and raw in line


def test_the_read_timeout_reads_seconds():
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET}
    assert load_settings(env).http_read_timeout == 5.0
    assert load_settings({**env, "USECASE_HTTP_READ_TIMEOUT": " 1.5 "}).http_read_timeout == 1.5
