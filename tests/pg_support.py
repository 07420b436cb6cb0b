"""A real PostgreSQL 15 server for the test session, and a fresh database per test.

initdb refuses root, so the server runs as the `postgres` user (runuser) in a
temporary folder, on a free loopback port, trust auth on 127.0.0.1 only.
Each xdist worker starts its own server.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

PG_BIN = Path("/usr/lib/postgresql/15/bin")
_counter = itertools.count()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(*argv: str) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(prefix + list(argv), check=True, capture_output=True, timeout=120)


class Server:
    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="opsctl-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        os.chmod(self.folder, 0o700)
        _as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                     "-E", "UTF8", "--no-sync")
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.folder / "log"),
                     "-o", f"-h 127.0.0.1 -p {self.port} -k {self.folder} -F -c max_connections=300", "start")
        import psycopg

        self.admin = psycopg.connect(self.url("postgres"), autocommit=True)
        self.admin.execute("CREATE DATABASE opsctl_template")
        from opsctl.ledger import connect

        connect(self.url("opsctl_template")).close()  # the schema, migrated once

    def url(self, db: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def fresh(self) -> str:
        name = f"t_{next(_counter)}"
        self.admin.execute(f"CREATE DATABASE {name} TEMPLATE opsctl_template")
        return self.url(name)

    def empty(self) -> str:
        name = f"e_{next(_counter)}"
        self.admin.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        self.admin.close()
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        # hundreds of per-test databases: removing their files can take a minute on a busy disk,
        # and nothing waits for it
        subprocess.Popen(["rm", "-rf", str(self.folder)], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="session")
def pg_server():
    server = Server()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def ledger_backend(request, monkeypatch):
    """Run the test on both backends: OPSCTL_DB names a fresh PostgreSQL database (subprocesses inherit it)."""
    if request.param == "postgres":
        monkeypatch.setenv("OPSCTL_DB", request.getfixturevalue("pg_server").fresh())
    return request.param
