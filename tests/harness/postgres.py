"""A private PostgreSQL server on a free loopback port, for the gateway's fleet mode.

Why a private one: the gateway's PostgreSQL mode must be tested against a real server, and
the tests may not depend on one the machine happens to run. ``initdb`` into a fresh
directory, ``postgres`` on ``127.0.0.1:<port>`` with trust authentication for local
connections only, one database ``bdmi``.

PostgreSQL refuses to run as root. As root the harness therefore runs both programs as the
``postgres`` system user (Debian's package creates it) with ``runuser``, in a directory
outside pytest's 0700 temp root that it creates, hands to that user and removes at the end.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from tests.harness.ports import LOOPBACK, free_port, wait_for_port, wait_until
from tests.harness.process import ManagedProcess, ServiceStartError, log_tail

_START_TIMEOUT = 30.0
DATABASE = "bdmi"


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if not found:
        raise ServiceStartError(
            "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin: install the "
            "Debian package 'postgresql' (apt-get install postgresql)"
        )
    return Path(found[-1]).parent


class PostgresServer:
    def __init__(self, log_dir: Path) -> None:
        self.bin = _bin_dir()
        self.port = free_port()
        self.host = LOOPBACK
        self.as_root = os.geteuid() == 0
        self.datadir_parent = Path(tempfile.mkdtemp(prefix="bdmi-pg-"))
        self.datadir = self.datadir_parent / "data"
        self.log_path = log_dir / "postgres.log"
        log_dir.mkdir(parents=True, exist_ok=True)
        self._prefix: list[str] = []
        if self.as_root:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise ServiceStartError(
                    "running as root needs the 'postgres' system user (package 'postgresql')"
                ) from exc
            os.chown(self.datadir_parent, user.pw_uid, user.pw_gid)
            self._prefix = ["runuser", "-u", "postgres", "--"]
        self._initdb()
        self._process = ManagedProcess(
            "postgres",
            [
                *self._prefix,
                str(self.bin / "postgres"),
                "-D", str(self.datadir),
                "-h", LOOPBACK,
                "-p", str(self.port),
                "-k", str(self.datadir_parent),
                "-c", "fsync=off",
            ],
            self.log_path,
            stop_signals=(signal.SIGINT, signal.SIGTERM),
        )  # fmt: skip
        self._created = False

    def _initdb(self) -> None:
        done = subprocess.run(
            [*self._prefix, str(self.bin / "initdb"), "-D", str(self.datadir), "-A", "trust",
             "-U", "postgres", "--no-sync", "-E", "UTF8"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if done.returncode != 0:
            raise ServiceStartError(f"initdb failed: {done.stderr[-2000:]}")

    def _accepting(self) -> bool:
        done = subprocess.run(
            [str(self.bin / "pg_isready"), "-h", self.host, "-p", str(self.port), "-U", "postgres"],
            capture_output=True, timeout=30,
        )  # fmt: skip
        return done.returncode == 0

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{DATABASE}"

    def start(self) -> None:
        if self._process.alive():
            return
        self._process.start()
        try:
            wait_for_port(self.port, self.host, _START_TIMEOUT, alive=self._process.alive)
            # The port opens before recovery ends; until then every connection is refused
            # with "the database system is starting up" (seen under load): wait for pg_isready.
            wait_until(
                self._accepting, _START_TIMEOUT, "postgres accepting", alive=self._process.alive
            )
        except (TimeoutError, RuntimeError) as exc:
            failure = self._process.failure(str(exc))
            self._process.stop()
            raise failure from exc
        if not self._created:
            done = subprocess.run(
                [str(self.bin / "createdb"), "-h", self.host, "-p", str(self.port),
                 "-U", "postgres", DATABASE],
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            if done.returncode != 0:
                raise ServiceStartError(
                    f"createdb failed: {done.stderr}\n{log_tail(self.log_path)}"
                )
            self._created = True

    def stop(self) -> None:
        self._process.stop()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.datadir_parent, ignore_errors=True)

    def reset(self) -> None:
        """Drop and recreate the database (a clean gateway schema per test)."""
        for command in (["dropdb", "--if-exists", "--force"], ["createdb"]):
            subprocess.run(
                [str(self.bin / command[0]), *command[1:], "-h", self.host, "-p", str(self.port),
                 "-U", "postgres", DATABASE],
                check=True, capture_output=True, timeout=60,
            )  # fmt: skip
