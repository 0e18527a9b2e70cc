"""A throwaway PostgreSQL cluster for the tests and benchmarks: initdb and pg_ctl in a temporary
folder, listening on a free loopback port, stopped and removed afterwards.

`USECASE_TEST_POSTGRES_URL` (set by .ci/run, or by hand) names a server to use instead. Without
it, `Cluster.start()` finds the server's binaries (on PATH, `pg_config --bindir`, or Debian's
/usr/lib/postgresql/*/bin). PostgreSQL refuses to run as root: as root, the cluster belongs to
the `postgres` system user (Debian's package creates it) and its commands run as that user.

`fresh_database(url)` creates an empty database on that server and returns its URL, so every
test starts from nothing while one server serves the whole run.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

URL_VARIABLE = "USECASE_TEST_POSTGRES_URL"
SERVER_TIMEOUT = 60.0


class NoPostgres(Exception):
    """No server named, and none can be started here (why is the message)."""


def find_bindir() -> Path | None:
    if shutil.which("initdb") and shutil.which("pg_ctl"):
        return Path(os.path.realpath(shutil.which("pg_ctl"))).parent
    if shutil.which("pg_config"):
        try:
            out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, timeout=10)
            candidate = Path(out.stdout.strip())
            if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
                return candidate
        except (OSError, subprocess.SubprocessError):
            pass
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists() and Path(candidate, "pg_ctl").exists():
            return Path(candidate)
    return None


def _free_port() -> int:
    # the tests' own helper deals ports out among xdist workers; use it when it is importable
    try:
        from tests.support.processes import free_port

        return free_port()
    except ImportError:  # pragma: no cover - the benchmarks
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]


class Cluster:
    """A running throwaway cluster; `url` is a superuser's URL to its `postgres` database."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="usecase-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._user = None
        if os.geteuid() == 0:
            try:
                self._user = pwd.getpwnam("postgres")
            except KeyError:
                raise NoPostgres(
                    "running as root and there is no 'postgres' user to run the server as "
                    "(Debian's postgresql package creates it)"
                ) from None
            os.chown(self.folder, self._user.pw_uid, self._user.pw_gid)

    def _run(self, *args: str, timeout: float = SERVER_TIMEOUT) -> subprocess.CompletedProcess:
        kwargs = {}
        if self._user is not None:
            uid, gid = self._user.pw_uid, self._user.pw_gid

            def demote():  # pragma: no cover - runs in the child
                os.setgid(gid)
                os.setuid(uid)

            kwargs["preexec_fn"] = demote
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        env.pop("PGDATA", None)
        return subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.folder,
            env=env,
            **kwargs,
        )

    @classmethod
    def start(cls) -> Cluster:
        bindir = find_bindir()
        if bindir is None:
            raise NoPostgres("no PostgreSQL server binaries (initdb, pg_ctl) on this machine")
        cluster = cls(bindir)
        try:
            cluster._start()
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _start(self) -> None:
        made = self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"
        )
        if made.returncode != 0:
            raise NoPostgres(f"initdb failed: {made.stderr.strip()[-500:]}")
        self.resume()

    def resume(self) -> None:
        """Start the server (again, after `pause`), on the same port with the same data."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{self.folder}' "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        started = self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start"
        )
        if started.returncode != 0:
            log = (self.folder / "log").read_text(errors="replace") if (self.folder / "log").exists() else ""
            raise NoPostgres(f"pg_ctl start failed: {started.stderr.strip()[-300:]} {log[-500:]}")
        wait_until_accepting(self.url)

    def pause(self) -> None:
        """Stop the server, keeping its data: the database is down until `resume`."""
        stopped = self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", timeout=30)
        if stopped.returncode != 0:
            raise NoPostgres(f"pg_ctl stop failed: {stopped.stderr.strip()[-300:]}")

    def stop(self) -> None:
        if self.data.exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)


def wait_until_accepting(url: str, timeout: float = SERVER_TIMEOUT) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def fresh_database(server_url: str, prefix: str = "usecase_test") -> str:
    """A new, empty database on the server at `server_url` (a superuser's URL); its URL."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def drop_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, parts.fragment))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
