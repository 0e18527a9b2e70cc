"""`usecase-bot` as a real subprocess, as an operator starts it, and the ports, processes and HTTP
requests the mode tests look at (read from /proc, no psutil needed)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import pytest

from bot.sandbox.server import SlackStandIn
from tests.support.reference import ROOT

USECASE_BOT = str(Path(sys.executable).parent / "usecase-bot")
START_TIMEOUT = 60.0  # a cold start on a busy 2-core machine
WAIT = 15.0  # for something the bot does after it acked
EXIT_TIMEOUT = 20.0  # an operator error must end the process, never hang


def free_port() -> int:
    """A port nothing listens on at 127.0.0.1 now.

    Under pytest-xdist the ports are dealt out among the workers (by a hash of the number: the
    kernel hands out ports of one parity to bind(0)), so no two workers pick the same port, even
    in the moment between this check and the bind by whatever the port is for (the test servers
    take theirs here too).
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")  # gw0, gw1, …
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    mine = int(worker[2:]) % count if worker[2:].isdigit() else 0
    for _ in range(1000):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if zlib.crc32(port.to_bytes(2, "big")) % count == mine:
            return port
    raise AssertionError(f"no free port for xdist worker {worker} of {count}")


def start_stand_in() -> SlackStandIn:
    """A running SlackStandIn (the fake Web API) on a port of this worker's (see free_port)."""
    return SlackStandIn(port=free_port()).start()


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that would change how the bot starts."""
    drop = {
        "PORT",
        "USECASE_CATALOG",
        "WEB_CONCURRENCY",
        "LOG_LEVEL",
        "DATABASE_URL",
        "USECASE_DATA_DIR",
        "USECASE_TOKEN_KEY",
        "USECASE_FEEDBACK_DAYS",
    }
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SLACK_") and k not in drop and not k.lower().endswith("_proxy")
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


class Bot:
    """`usecase-bot ARGS` as a subprocess, its output in files (a full pipe would block it)."""

    def __init__(self, args: list[str], env: dict[str, str], log_dir: Path):
        log_dir.mkdir(parents=True, exist_ok=True)
        self.stdout_path = log_dir / "stdout.txt"
        self.stderr_path = log_dir / "stderr.txt"
        self._out = open(self.stdout_path, "w")
        self._err = open(self.stderr_path, "w")
        # the bot's own files (its SQLite database, unless DATABASE_URL names one; any temporary
        # file) land here, not in the repository or /tmp
        env = {"USECASE_DATA_DIR": str(log_dir / "var"), **env, "TMPDIR": str(log_dir)}
        self.proc = subprocess.Popen(
            [USECASE_BOT, *args],
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=self._err,
        )
        self.pid = self.proc.pid

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def describe(self) -> str:
        return f"exit={self.proc.poll()} stderr:\n{self.stderr()[-4000:]}"

    def stop(self) -> None:
        try:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=EXIT_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=10)
        finally:
            # workers left behind by a master that was killed
            for child in child_pids(self.pid):
                try:
                    os.kill(child, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self._out.close()
            self._err.close()


def child_pids(parent: int) -> list[int]:
    """Processes whose parent is `parent` (read from /proc, no psutil needed)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        if int(fields[1]) == parent and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def process_age(pid: int) -> float:
    """Seconds since `pid` started (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except OSError:
        return 0.0
    started_ticks = int(stat[stat.rindex(")") + 2 :].split()[19])  # field 22, starttime
    return uptime - started_ticks / os.sysconf("SC_CLK_TCK")


def wait_for_workers(bot: Bot, count: int = 2, settled: float = 3.0) -> list[int]:
    """The master's workers, once `count` of them have been up for `settled` seconds (booted)."""

    def booted() -> list[int]:
        ready = [p for p in child_pids(bot.pid) if process_age(p) >= settled]
        return ready if len(ready) >= count else []

    workers = wait_for(booted, timeout=START_TIMEOUT + settled, interval=0.2)
    assert len(workers) >= count, f"workers: {child_pids(bot.pid)}; {bot.describe()}"
    return workers


def listening_addresses(port: int) -> set[str]:
    """Every local address with a TCP socket listening on `port` (from /proc/net/tcp{,6})."""
    addresses = set()
    for name, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            address_hex, port_hex = local.split(":")
            if state != "0A" or int(port_hex, 16) != port:  # 0A = LISTEN
                continue
            raw = bytes.fromhex(address_hex)
            # the kernel prints each 32-bit word in host order
            words = struct.unpack(f"<{len(raw) // 4}I", raw)
            addresses.add(socket.inet_ntop(family, struct.pack(f">{len(words)}I", *words)))
    return addresses


def other_local_addresses() -> list[str]:
    """This machine's non-loopback IPv4 addresses, when they can be found."""
    if not shutil.which("hostname"):
        return []
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [a for a in out.split() if "." in a and not a.startswith("127.")]


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def http(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def wait_until_healthy(bot: Bot, port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if bot.proc.poll() is not None:
            pytest.fail(f"usecase-bot exited while starting: {bot.describe()}")
        try:
            status, body = http("GET", f"http://127.0.0.1:{port}/healthz", timeout=2)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    pytest.fail(f"usecase-bot did not answer GET /healthz within {START_TIMEOUT}s: {bot.describe()}")


def wait_for(predicate, timeout: float = WAIT, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
