"""A throwaway PostgreSQL server for tests: `initdb` in a scratch directory, started, stopped.

`running_postgres()` starts one from the PostgreSQL binaries on this machine (on PATH, or
Debian's /usr/lib/postgresql/<version>/bin) with an empty database, listening on 127.0.0.1 at a
free port and on a unix socket in the scratch directory, and yields its URL. On the way out it
stops the server (even when the body failed) and deletes the directory. Nothing outside the
scratch directory is touched: no service, no system cluster, no configuration file.

PostgreSQL refuses to run as root. As root (containers, CI), the server runs as the unprivileged
`postgres` user when it exists, else `nobody`, in a scratch directory owned by that user
(pytest's `tmp_path` is not used: as root it is private to root).

`postgres_or_skip()` is the same, but skips the calling test, with the reason, when the
binaries are missing or the server cannot start. Use it from a fixture of a slow test:

    @pytest.fixture(scope="module")
    def pg() -> Iterator[Postgres]:
        with postgres_or_skip() as server:
            yield server
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DB_NAME = "dagster"
DB_USER = "dagster"
_UNPRIVILEGED_USERS = ("postgres", "nobody")
_START_TIMEOUT_S = 30


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries here, or the server would not start (the message says which)."""


@dataclass(frozen=True)
class Postgres:
    """A running throwaway server: its URL (user `dagster`, trusted, no password) and files."""

    url: str
    port: int
    scratch: Path
    log: Path
    start_seconds: float  # initdb + start + CREATE DATABASE, wall clock

    def connect(self) -> Any:
        """A psycopg2 connection to the database (autocommit), for assertions."""
        import psycopg2

        con = psycopg2.connect(self.url)
        con.autocommit = True
        return con


def find_bin_dir() -> Path | None:
    """The directory holding `initdb` and `pg_ctl`: on PATH first, else Debian's newest."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return debian[-1].parent if debian else None


def _run_as() -> pwd.struct_passwd | None:
    """The user the server runs as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in _UNPRIVILEGED_USERS:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise PostgresUnavailable(
        f"running as root, and none of the users {', '.join(_UNPRIVILEGED_USERS)} exists to "
        "run PostgreSQL as (it refuses to run as root)"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_postgres() -> Iterator[Postgres]:
    """Start a throwaway server with an empty database `dagster`; stop and delete it after."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable(
            "PostgreSQL binaries (initdb, pg_ctl) are not on PATH nor in "
            "/usr/lib/postgresql/*/bin: install PostgreSQL (Debian: apt-get install postgresql)"
        )
    user = _run_as()
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="podcast-pg-"))
    data, log = scratch / "data", scratch / "server.log"
    as_user: dict[str, Any] = {}
    if user is not None:
        os.chown(scratch, user.pw_uid, user.pw_gid)
        as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}

    def pg(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(bin_dir / args[0]), *args[1:]],
            cwd=scratch,  # the server's user may not be able to enter ours
            capture_output=True,
            text=True,
            timeout=_START_TIMEOUT_S + 30,
            check=False,
            **as_user,
        )

    running = False
    try:
        # A superuser `dagster` trusted on local connections; no fsync (a throwaway cluster).
        init = pg(
            "initdb", "-D", str(data), "-U", DB_USER, "--auth=trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        if init.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {_tail(init.stderr)}")
        for _attempt in range(3):  # the free port may be taken between choosing and binding it
            port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -c port={port} "
                f"-c unix_socket_directories={scratch} -c fsync=off"
            )
            start = pg(
                "pg_ctl", "start", "-D", str(data), "-l", str(log), "-w",
                "-t", str(_START_TIMEOUT_S), "-o", options,
            )  # fmt: skip
            running = start.returncode == 0
            if running:
                break
        if not running:
            log_text = log.read_text(errors="replace") if log.exists() else ""
            raise PostgresUnavailable(
                f"pg_ctl start failed: {_tail(start.stderr + start.stdout)}; log: {_tail(log_text)}"
            )
        url = f"postgresql://{DB_USER}@127.0.0.1:{port}/{DB_NAME}"
        create_database(url.rsplit("/", 1)[0] + "/postgres", DB_NAME)
        yield Postgres(url, port, scratch, log, time.monotonic() - started)
    finally:
        if running:
            stopped = pg("pg_ctl", "stop", "-D", str(data), "-m", "fast", "-w")
            if stopped.returncode != 0:
                pg("pg_ctl", "stop", "-D", str(data), "-m", "immediate", "-w")
        shutil.rmtree(scratch, ignore_errors=True)


def create_database(url: str, name: str) -> str:
    """Create database `name` on the server `url` connects to; return the new one's URL."""
    import psycopg2

    con = psycopg2.connect(url)
    try:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(f"CREATE DATABASE {name}")
    finally:
        con.close()
    return f"{url.rsplit('/', 1)[0]}/{name}"


def _tail(text: str, lines: int = 5) -> str:
    return " | ".join(text.strip().splitlines()[-lines:]) or "(no output)"


@contextlib.contextmanager
def postgres_or_skip() -> Iterator[Postgres]:
    """`running_postgres()`, skipping the test with the reason when there is no server."""
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(running_postgres())
        except PostgresUnavailable as exc:
            pytest.skip(f"no PostgreSQL to test against: {exc}")
        yield server
