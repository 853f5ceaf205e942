"""Open the encrypted store: SQLCipher through peewee, in WAL mode, migrated to this code.

Two processes share the file: the kiosk UI records results, the sync agent (bdmi-sync)
marks them sent. So:

* ``journal_mode=WAL``: readers never block the writer and the writer never blocks readers.
* ``synchronous=FULL``: in WAL mode NORMAL is also corruption-safe, but it does not fsync
  the WAL at each commit, so the last results committed before a power cut can vanish. A
  result the screen has confirmed to a patient must survive a power cut, so every commit
  fsyncs (tests/store/test_crash_safety.py kills writers; bench/store.py measures the cost).
* ``busy_timeout``: a writer waits for the other process's write lock instead of failing.
  Set as a pragma because peewee's ``SqlCipherDatabase`` ignores its ``timeout`` argument
  (it does not pass it to ``sqlcipher3.connect``, whose own default of 5 s then applies).
* Transactions begin IMMEDIATE: a deferred transaction that reads and then writes can fail
  at once with SQLITE_BUSY (no waiting) when the other process committed in between.
* ``foreign_keys=ON`` (SQLite's default is off): an outbox row always has its result.
* ``secure_delete=ON``: purged personal data is overwritten, not merely unlinked, so it does
  not linger in free pages where a leaked key would still reveal it.

Connections are opened and closed one at a time in a process (``_CONNECTIONS``): SQLite
3.51.1, which sqlcipher3-binary 0.6.0 bundles, has a lock-order inversion in its unix VFS
(``unixIsSharingShmNode`` takes the inode mutex before the VFS mutex, ``unixOpen`` the other
way round), so one thread closing a WAL connection while another opens one on the same file
hangs both for good. peewee keeps one connection per thread, and a thread that ends drops its
connection wherever it is, so each connection is also kept here and closed under the lock when
its thread is gone (tests/store/test_store.py opens and closes from many threads at once).

The key: peewee's ``SqlCipherDatabase`` runs ``PRAGMA key='<passphrase>'`` with single quotes
doubled. We pass SQLCipher's raw-key form ``x'<64 hex>'`` as the passphrase; after SQL
unquoting SQLCipher receives exactly ``x'<hex>'`` and uses the 32 bytes as the key, with no
PBKDF2 at each open (about 2 ms instead of 120 ms per connection here; key.py). The key never
goes through peewee's query logger (peewee executes it on the raw connection) and no message
here contains it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peewee import DatabaseError, OperationalError
from playhouse.sqlcipher_ext import SqlCipherDatabase
from sqlcipher3 import dbapi2 as sqlcipher

from kiosk.store.capacity import DEFAULT_CAPACITY, CapacityPolicy
from kiosk.store.errors import StoreError
from kiosk.store.key import create_key_file, load_key, raw_key_literal
from kiosk.store.models import MODELS

if TYPE_CHECKING:
    from kiosk.config.schema import KioskConfig

log = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT_MS = 10_000
JOURNAL_SIZE_LIMIT = 16 * 1024 * 1024
"""After a checkpoint the WAL file is truncated back to this size."""
PLAIN_SQLITE_HEADER = b"SQLite format 3\x00"
DEMO_KEY_NAME = "store.key"


class _ConnectionRegistry:
    """Serialises opening and closing of store connections in this process, and closes the
    connections of threads that ended without closing theirs (see the module docstring)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._held: dict[int, tuple[threading.Thread, Any]] = {}

    def opened(self, conn: Any) -> None:
        self._held[id(conn)] = (threading.current_thread(), conn)

    def forget(self, conn: Any) -> None:
        self._held.pop(id(conn), None)

    def reap(self) -> None:
        """Close the connections whose thread has ended; the caller holds ``lock``."""
        for key, (thread, conn) in list(self._held.items()):
            if not thread.is_alive():
                del self._held[key]
                with contextlib.suppress(sqlcipher.Error):
                    conn.close()


_CONNECTIONS = _ConnectionRegistry()


class StoreDatabase(SqlCipherDatabase):
    """A peewee database for one store file, carrying the capacity policy it was opened with.

    The store's models are unbound; the functions of this package bind them to the database
    they are given for the duration of each call (``bound``), so one process may hold several
    stores (tests, backups) as long as one thread at a time uses them.
    """

    def __init__(
        self, path: Path, key: bytes, *, capacity: CapacityPolicy, busy_timeout_ms: int
    ) -> None:
        super().__init__(
            str(path),
            passphrase=raw_key_literal(key),
            pragmas=[
                ("busy_timeout", int(busy_timeout_ms)),  # first: the next ones may wait
                ("journal_mode", "wal"),
                ("synchronous", "full"),
                ("foreign_keys", "on"),
                ("secure_delete", "on"),
                ("journal_size_limit", JOURNAL_SIZE_LIMIT),
            ],
            lock_type="IMMEDIATE",
            # peewee still gives each thread its own connection; this only lets the
            # registry close a connection whose thread has ended.
            check_same_thread=False,
        )
        self.path = Path(path)
        self.capacity = capacity
        self._page_size: int | None = None
        self._capacity_measured: object | None = None
        """The last capacity measurement on the write path (capacity.admit)."""

    def __repr__(self) -> str:
        return f"<StoreDatabase {self.path}>"

    def _connect(self) -> Any:
        with _CONNECTIONS.lock:
            _CONNECTIONS.reap()
            conn = super()._connect()
            _CONNECTIONS.opened(conn)
        return conn

    def _close(self, conn: Any) -> None:
        with _CONNECTIONS.lock:
            _CONNECTIONS.forget(conn)
            super()._close(conn)
            _CONNECTIONS.reap()

    def page_size_bytes(self) -> int:
        """The page size, read once: it never changes for a file."""
        if self._page_size is None:
            # int(): SQLCipher answers PRAGMA page_size itself, as text ('4096').
            self._page_size = int(self.execute_sql("PRAGMA page_size").fetchone()[0])
        return self._page_size

    def bound(self) -> AbstractContextManager[Any]:
        """Context manager binding the store's models to this database."""
        return self.bind_ctx(MODELS, bind_refs=False, bind_backrefs=False)


_quiet_lock = threading.Lock()
_quieted = False


def _quiet_sqlcipher() -> None:
    """Stop SQLCipher's own log lines on stderr (process-wide): a wrong key otherwise prints
    three unstructured "hmac check failed" lines into the journal next to our one structured,
    reason-coded line. ``PRAGMA cipher_integrity_check`` names bad pages when needed."""
    global _quieted
    with _quiet_lock:
        if not _quieted:
            conn = sqlcipher.connect(":memory:")
            try:
                conn.execute("PRAGMA cipher_log_level = NONE")
            finally:
                conn.close()
            _quieted = True


def _create_empty(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Owner-only; SQLite gives the -wal and -shm files the database file's mode. Another
    # process may have created it first: fine, SQLite initialises it once.
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _open_error(path: Path, error: DatabaseError) -> StoreError:
    text = str(error)
    if "not a database" in text:
        try:
            with open(path, "rb") as f:
                head = f.read(len(PLAIN_SQLITE_HEADER))
        except OSError:
            head = b""
        if head == PLAIN_SQLITE_HEADER:
            return StoreError(
                f"{path} is a plain, unencrypted SQLite database, not a kiosk store",
                reason="STORE_NOT_ENCRYPTED",
            )
        return StoreError(
            f"the key does not open {path} (SQLCipher: file is not a database): the key file "
            "is not the one this store was created with, or the file is not a kiosk store",
            reason="STORE_KEY_WRONG",
        )
    return StoreError(f"cannot open {path}: {text}", reason="STORE_OPEN_FAILED")


def open_store(
    path: Path,
    key: bytes,
    *,
    create: bool = False,
    capacity: CapacityPolicy = DEFAULT_CAPACITY,
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    migrate: bool = True,
) -> StoreDatabase:
    """Open (and with ``create``, first create) the store at ``path`` and migrate it.

    Only the kiosk creates a store (``create=True``, at its first start); the sync agent and
    ``kioskctl`` open an existing one, so a mistyped path is ``STORE_NOT_FOUND`` rather than a
    new empty store that "verifies". Raises ``StoreError``: ``STORE_NOT_FOUND``,
    ``STORE_KEY_WRONG``, ``STORE_NOT_ENCRYPTED``, ``STORE_OPEN_FAILED``,
    ``STORE_SCHEMA_NEWER``. With ``migrate=False`` the store is only read: not migrated, but
    still refused when newer than this code.
    """
    from kiosk.store.migrations import check_not_newer, schema_version
    from kiosk.store.migrations import migrate as run_migrations

    path = Path(path)
    if not path.exists():
        if not create:
            raise StoreError(
                f"no store at {path}: the kiosk creates it at its first start",
                reason="STORE_NOT_FOUND",
            )
        _create_empty(path)
        log.info("store created", extra={"path": str(path)})
    _quiet_sqlcipher()
    db = StoreDatabase(path, key, capacity=capacity, busy_timeout_ms=busy_timeout_ms)
    try:
        db.connect()
    except DatabaseError as error:  # OperationalError is a DatabaseError too
        raise _open_error(path, error) from None
    try:
        if migrate:
            version = run_migrations(db)
        else:  # a reader (kioskctl) never writes, but never misreads a newer store either
            version = schema_version(db)
            check_not_newer(db, version)
    except (StoreError, OperationalError):
        db.close()
        raise
    log.info("store opened", extra={"path": str(path), "schema_version": version})
    return db


def store_key_path(config: KioskConfig) -> Path:
    """The configured key file; in demo mode without one, ``<state_dir>/store.key``."""
    if config.store.key_file is not None:
        return config.store.key_file
    if config.device.mode == "demo":
        return config.device.state_dir / DEMO_KEY_NAME
    # The schema already refuses this; kept for a config built in code.
    raise StoreError("store.key_file is required in production", reason="STORE_KEY_MISSING")


def open_from_config(config: KioskConfig, *, create: bool = False) -> StoreDatabase:
    """Open the store a config names, with its key and quota. With ``create`` in demo mode a
    missing demo key is generated; a production key is provisioned, never generated here."""
    key_path = store_key_path(config)
    if create and config.store.key_file is None and not key_path.exists():
        create_key_file(key_path)
    return open_store(
        config.database_path,
        load_key(key_path),
        create=create,
        capacity=CapacityPolicy.from_config(config.store),
    )
