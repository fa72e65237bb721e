"""A real, throw-away PostgreSQL server for tests and benchmarks: ``initdb`` into a temp dir, ``pg_ctl start``
on a loopback port.

Debian's ``postgresql`` package provides the binaries (``make test`` installs it). PostgreSQL refuses to run as root,
so as root the server runs as the ``postgres`` system user the package creates. Tests that need it skip, with the
reason, only when the binaries are missing.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

__all__ = ["PostgresServer", "missing_reason"]


def _bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(candidates[-1]).parent if candidates else None


def _as_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    return [runuser, "-u", "postgres", "--"] if runuser else []


def missing_reason() -> str | None:
    """Why a server cannot be started here (None when it can)."""
    if _bindir() is None:
        return "PostgreSQL server binaries (pg_ctl, initdb) are not installed: apt-get install postgresql"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server as"
        if not shutil.which("runuser"):
            return "running as root and runuser is missing"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """One throw-away server; ``database()`` gives a fresh, empty database URL."""

    def __init__(self, base: Path) -> None:
        """``base``: a folder for the cluster (as root, a fresh folder under the system temp dir is used instead, so
        the ``postgres`` user can reach it)."""
        bindir = _bindir()
        assert bindir is not None, missing_reason()
        self.bindir = bindir
        self._sudo = _as_user()
        self.base = Path(tempfile.mkdtemp(prefix="assistant-pg-")) if self._sudo else base
        self.port = _free_port()
        self.data = self.base / "pgdata"
        self.user = "assistant"

    def _run(self, *args: str) -> None:
        subprocess.run([*self._sudo, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> PostgresServer:
        """initdb and start; returns self."""
        self.base.mkdir(parents=True, exist_ok=True)
        if self._sudo:
            shutil.chown(self.base, user="postgres")
            self.base.chmod(0o700)
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user, "--auth=trust",
                  "-E", "UTF8", "--no-locale", "--no-sync")  # fmt: skip
        options = f"-h 127.0.0.1 -p {self.port} -k {self.base} -F -c fsync=off -c full_page_writes=off"
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                  str(self.base / "server.log"), "-w", "-t", "60", "start")  # fmt: skip
        return self

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL (psycopg 3) for a database of this server."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """Create a new empty database and return its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres",
                             autocommit=True) as conn:  # fmt: skip
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (fast shutdown)."""
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        if self._sudo:
            shutil.rmtree(self.base, ignore_errors=True)
