"""Throwaway PostgreSQL and Redis servers on free loopback ports, for the scale-out tests.

They use the machine's own binaries (Debian's postgresql and redis-server packages;
.ci/run installs them when missing), keep their data in a temporary directory, and can
be stopped and started again to simulate an outage.
"""
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import redis
import sqlalchemy as sa

import lanes


def postgres_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def missing_binaries() -> list[str]:
    missing = []
    if postgres_bindir() is None:
        missing.append("PostgreSQL (initdb/postgres: apt-get install postgresql)")
    if shutil.which("redis-server") is None:
        missing.append("redis-server (apt-get install redis-server)")
    return missing


def _wait(check, what: str, log: Path, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start:\n{log.read_text()[-2000:] if log.exists() else ''}")


class Postgres:
    """A PostgreSQL cluster of its own. PostgreSQL refuses to run as root: as root, the
    server runs as the `postgres` user (created by Debian's package)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.bindir = postgres_bindir()
        self.dir = Path(tempfile.mkdtemp(prefix="clinic-faq-pg-"))
        self.data, self.log = self.dir / "data", self.dir / "postgres.log"
        self.process: subprocess.Popen | None = None
        self._user = None
        if os.geteuid() == 0:
            self._user = "postgres"
            pw = pwd.getpwnam(self._user)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self._run([str(self.bindir / "initdb"), "-D", str(self.data), "-U", "clinic", "-A", "trust",
                   "--no-sync", "-E", "UTF8"], check=True)
        self.url = f"postgresql://clinic@127.0.0.1:{port}/postgres"

    def _as_user(self) -> dict:
        # The server process itself runs as that user, so signals reach it directly.
        return {"user": self._user, "group": self._user, "extra_groups": []} if self._user else {}

    def _run(self, args: list[str], check: bool) -> None:
        subprocess.run(args, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, cwd=self.dir,
                       **self._as_user())

    def start(self) -> None:
        lanes.require("services", "a PostgreSQL server")
        self.process = subprocess.Popen(
            [str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.dir}",
             "-c", "fsync=off", "-c", "max_connections=100"],
            stdout=self.log.open("a"), stderr=subprocess.STDOUT, cwd=self.dir, **self._as_user(),
        )
        engine = sa.create_engine(self.url)
        try:
            _wait(lambda: engine.connect().close() is None, "PostgreSQL", self.log)
        finally:
            engine.dispose()

    def stop(self) -> None:
        """A fast shutdown, as an operator restarting the database would do."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=30)
        self.process = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    def __init__(self, port: int) -> None:
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="clinic-faq-redis-"))
        self.log = self.dir / "redis.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        lanes.require("services", "a Redis server")
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=self.log.open("a"), stderr=subprocess.STDOUT,
        )
        client = redis.Redis(host="127.0.0.1", port=self.port)
        _wait(client.ping, "Redis", self.log)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
