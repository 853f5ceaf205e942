"""Encrypted full and incremental backups of the store, their verification, and restore.

**Snapshot.** The store is live (the kiosk and the sync agent write it, in WAL mode), so a
copy of its files could catch a transaction half-way. SQLite's online backup API copies it
page by page through the pager instead; SQLCipher's version works between two connections
keyed with the same key (it decrypts each page from the source and encrypts it for the
copy; checked with sqlcipher3 0.6 / SQLCipher 4.12, so ``sqlcipher_export`` is not needed).
The backup holds one read transaction on the store for the whole copy: in WAL mode that
is a fixed snapshot, so writers in other processes carry on and the copy never restarts
(without it, every write by another connection restarts ``backup_step`` from page 1, and a
busy kiosk could keep a backup from ever finishing). The price: the WAL cannot be
checkpointed past the snapshot until the copy ends, so it grows by what is written meanwhile.

**Archive.** The copy, encrypted with the store key, is a temporary file beside the
archive. It is read page by page, each page decrypted (pagecodec.py) and hashed; a full
backup archives every page, an incremental only those whose hash differs from the parent's
manifest (page 1 always differs: the backup API bumps its change counter). The pages and a
manifest go into an archive encrypted under a passphrase (backup_archive.py). Memory holds
one chunk of pages and the hash list (32 bytes a page: 8 MiB for a 1 GiB store).

**Restore.** Given a full archive and its incrementals in order (links checked by id), the
pages are written, encrypted with the archived store key, into a temporary file beside the
target; then every page is read back and checked against the last manifest's page hashes
and whole-image hash, and SQLite's ``integrity_check``, SQLCipher's
``cipher_integrity_check`` and the audit chain (up to the head recorded at backup time) must
pass. Only then is the file re-keyed to this device's store key (``PRAGMA rekey`` with the
raw key), audited, and renamed over the target: the old store is kept as
``<name>.before-restore-<UTC time>``, with its WAL, never deleted. At no time does the
target path name a half-written store.

Every backup and restore appends an audit entry; a restore of another device's backup is
refused (``STORE_BACKUP_OTHER_DEVICE``) unless forced by a named technician, which is
audited too. Errors are ``BackupError`` with a ``STORE_BACKUP_*`` reason
(docs/operations.md, "Backup and restore").
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import itertools
import logging
import os
import struct
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from sqlcipher3 import dbapi2 as sqlcipher

from kiosk import __version__
from kiosk.store import audit
from kiosk.store.backup_archive import (
    FORMAT_VERSION,
    ArchiveReader,
    ArchiveWriter,
    BackupError,
    Manifest,
    ScryptParams,
    check_passphrase_strength,
    fsync_directory,
    read_manifest,
)
from kiosk.store.database import StoreDatabase, open_store
from kiosk.store.errors import StoreError
from kiosk.store.key import raw_key_literal
from kiosk.store.migrations import LATEST, schema_version
from kiosk.store.pagecodec import RESERVE_BYTES, PageAuthError, PageCodec, check_settings

__all__ = [
    "ArchiveReader",
    "BackupError",
    "BackupReport",
    "Manifest",
    "RestoreReport",
    "ScryptParams",
    "VerifyReport",
    "check_chain",
    "create_backup",
    "read_manifest",
    "restore_backup",
    "verify_backups",
]

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""``progress(done, total)`` in page steps (see each function for what a step is)."""

DEFAULT_STEP_PAGES: Final = 256
"""Pages the backup API copies per step (1 MiB at 4 KiB pages): the progress granularity."""
ARCHIVE_SUFFIX: Final = ".bdmi-backup"
_PROGRESS_EVERY: Final = 256
_SHM_DMS_BYTE: Final = 128
"""SQLite's unix VFS "dead man switch" byte in ``<db>-shm``: every open connection to a
WAL database holds a shared lock on it for as long as it is open (os_unix.c, UNIX_SHM_DMS)."""


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _utc(at_ms: int, compact: bool = False) -> str:
    moment = datetime.fromtimestamp(at_ms / 1000, UTC)
    if compact:
        return moment.strftime("%Y%m%dT%H%M%SZ")
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _key_pragma(name: str, key: bytes) -> str:
    """``PRAGMA key``/``rekey`` with the raw key; executed on a raw connection only, so the
    key never reaches peewee's query log."""
    return f"PRAGMA {name} = {_sql_text(raw_key_literal(key))}"


def _remove_database_files(path: Path) -> None:
    for name in (str(path), f"{path}-wal", f"{path}-shm", f"{path}-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def in_use(path: Path) -> bool:
    """True when another process has the store at ``path`` open (the kiosk, the sync
    agent): it holds SQLite's shared lock on the ``-shm`` file. Only for a process with no
    connection of its own to that store (kioskctl): POSIX locks are per process, so ours
    would not show, and closing the probe's descriptor would drop them."""
    shm = Path(f"{path}-shm")
    try:
        fd = os.open(shm, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        probe = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, _SHM_DMS_BYTE, 1, 0)
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, probe)
        return struct.unpack("hhqqi4x", answer)[0] != fcntl.F_UNLCK
    finally:
        os.close(fd)


# -- reports -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BackupReport:
    path: Path
    manifest: Manifest
    archive_bytes: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": True,
            "archive": str(self.path),
            "archive_bytes": self.archive_bytes,
            "seconds": round(self.seconds, 3),
            **self.manifest.summary(),
        }


@dataclass(frozen=True, slots=True)
class VerifyReport:
    archives: tuple[Path, ...]
    manifests: tuple[Manifest, ...]
    results: int
    audit: audit.ChainReport
    seconds: float

    @property
    def final(self) -> Manifest:
        return self.manifests[-1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": True,
            "archives": [
                {"archive": str(p), **m.summary()}
                for p, m in zip(self.archives, self.manifests, strict=True)
            ],
            "page_count": self.final.page_count,
            "image_sha256": self.final.image_sha256.hex(),
            "results": self.results,
            "audit": self.audit.to_dict(),
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True, slots=True)
class RestoreReport:
    target: Path
    previous: Path | None
    """Where the store that was at ``target`` was kept; None when there was none."""
    verified: VerifyReport
    source_device: str | None
    target_device: str | None
    forced: bool
    rekeyed: bool
    audit_head: audit.Head | None
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": True,
            "target": str(self.target),
            "previous": None if self.previous is None else str(self.previous),
            "backup_id": self.verified.final.backup_id,
            "chain": [m.backup_id for m in self.verified.manifests],
            "source_device": self.source_device,
            "target_device": self.target_device,
            "forced": self.forced,
            "rekeyed": self.rekeyed,
            "results": self.verified.results,
            "page_count": self.verified.final.page_count,
            "audit_head": None if self.audit_head is None else str(self.audit_head),
            "seconds": round(self.seconds, 3),
        }


# -- backup --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _SnapshotFacts:
    """Read in the snapshot's own read transaction, so they describe exactly the copy."""

    page_size: int
    schema_version: int
    results: int
    audit_head: tuple[int, bytes] | None
    sqlcipher_version: str


def _snapshot(
    db: StoreDatabase,
    path: Path,
    key: bytes,
    step_pages: int,
    progress: Progress | None,
) -> _SnapshotFacts:
    """Copy the live store into ``path`` (encrypted with the same key) with the backup API,
    inside one read transaction. Progress counts pages copied of ``2 * page_count``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    target = sqlcipher.connect(str(path), isolation_level=None)
    try:
        target.execute(_key_pragma("key", key))

        def copied(status: int, remaining: int, total: int) -> None:
            if progress is not None:
                progress(total - remaining, 2 * total)

        with db.atomic("DEFERRED"):
            # The first read fixes the WAL snapshot that the whole copy then reads.
            version = schema_version(db)
            if version == 0:
                raise StoreError(f"{db.path} holds no kiosk store", reason="STORE_NOT_FOUND")
            connection = db.connection()
            check_settings(connection, db.page_size_bytes())
            results = db.execute_sql("SELECT count(*) FROM result").fetchone()[0]
            head = audit.head(db)
            cipher = connection.execute("PRAGMA cipher_version").fetchone()[0]
            if progress is not None:
                pages = connection.execute("PRAGMA page_count").fetchone()[0]
                progress(0, 2 * pages)
            connection.backup(target, pages=max(1, step_pages), progress=copied)
        # Fold the copy's own WAL (it inherits WAL mode from page 1) into its file.
        target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        target.close()
    return _SnapshotFacts(
        page_size=db.page_size_bytes(),
        schema_version=version,
        results=results,
        audit_head=None if head is None else (head.seq, head.entry_hash),
        sqlcipher_version=str(cipher),
    )


def _snapshot_pages(path: Path, key: bytes, page_size: int) -> Iterator[tuple[int, bytes]]:
    """The snapshot's pages in their plain form, in order, each HMAC-checked."""
    size = path.stat().st_size
    if size == 0 or size % page_size:
        raise BackupError(
            f"the snapshot {path} is {size} bytes, not whole {page_size}-byte pages",
            reason="STORE_BACKUP_INTEGRITY",
        )
    with open(path, "rb") as snapshot:
        first = snapshot.read(page_size)
        codec = PageCodec.for_file(key, first[:16], page_size)
        page, pgno = first, 1
        while page:
            try:
                plain = codec.decrypt(pgno, page)
            except PageAuthError:
                raise BackupError(
                    f"page {pgno} of the snapshot fails its SQLCipher HMAC (disk error?); "
                    "no archive was written",
                    reason="STORE_BACKUP_INTEGRITY",
                ) from None
            if pgno == 1 and plain[20] != RESERVE_BYTES:
                raise BackupError(
                    f"the store reserves {plain[20]} bytes a page, SQLCipher 4 uses "
                    f"{RESERVE_BYTES}",
                    reason="STORE_BACKUP_UNSUPPORTED",
                )
            yield pgno, plain
            page, pgno = snapshot.read(page_size), pgno + 1


def archive_name(site: str | None, kind: str, at_ms: int, backup_id: str) -> str:
    """``<site>-<UTC time>-<full|incremental>-<id prefix>.bdmi-backup``: sorts by time."""
    return f"{site or 'kiosk'}-{_utc(at_ms, compact=True)}-{kind}-{backup_id[:8]}{ARCHIVE_SUFFIX}"


def create_backup(
    store_path: Path,
    store_key: bytes,
    out_dir: Path,
    *,
    passphrase: str,
    device_id: str | None,
    site: str | None,
    parent: Path | None = None,
    progress: Progress | None = None,
    step_pages: int = DEFAULT_STEP_PAGES,
    kdf: ScryptParams = ScryptParams(),  # noqa: B008 (frozen, so a shared default is safe)
    actor_kind: str = "system",
    actor_id: str = "kioskctl",
    now_ms: int | None = None,
) -> BackupReport:
    """Back the store at ``store_path`` up into a new archive in ``out_dir``: full, or with
    ``parent`` (an archive of this device, read with the same passphrase) incremental.

    The store is only read, except for one audit entry (``store_backup_created``) appended
    once the archive is in place. Progress counts page steps: each page is copied once and
    archived once, so ``total`` is twice the page count.
    """
    started = time.monotonic()
    check_passphrase_strength(passphrase)
    base = read_manifest(parent, passphrase) if parent is not None else None
    if base is not None and base.device_id != device_id:
        raise BackupError(
            f"{parent} is a backup of device {base.device_id}, this is device {device_id}: "
            "an incremental continues this device's own chain",
            reason="STORE_BACKUP_OTHER_DEVICE",
            archive=parent,
        )
    at_ms = now_ms if now_ms is not None else _now_ms()
    backup_id = str(uuid.uuid4())
    kind = "full" if base is None else "incremental"
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        raise BackupError(
            f"cannot create {out_dir}: {error.strerror or error}",
            reason="STORE_BACKUP_WRITE_FAILED",
        ) from None
    path = out_dir / archive_name(site, kind, at_ms, backup_id)
    db = open_store(store_path, store_key, migrate=False)
    try:
        snapshot = out_dir / f".{backup_id}.snapshot"
        try:
            facts = _snapshot(db, snapshot, store_key, step_pages, progress)
            if base is not None and base.page_size != facts.page_size:
                raise BackupError(
                    f"{parent} has {base.page_size}-byte pages, the store {facts.page_size}",
                    reason="STORE_BACKUP_CHAIN_BROKEN",
                    archive=parent,
                )
            page_count = snapshot.stat().st_size // facts.page_size
            hashes = bytearray()
            image = hashlib.sha256()
            with ArchiveWriter(path, passphrase, kdf) as writer:
                for pgno, plain in _snapshot_pages(snapshot, store_key, facts.page_size):
                    digest = hashlib.sha256(plain).digest()
                    hashes += digest
                    image.update(plain)
                    if base is None or pgno > base.page_count or base.page_hash(pgno) != digest:
                        writer.add_page(pgno, plain)
                    if progress is not None and (pgno % _PROGRESS_EVERY == 0 or pgno == page_count):
                        progress(page_count + pgno, 2 * page_count)
                manifest = writer.finish(
                    Manifest(
                        format=FORMAT_VERSION,
                        kind=kind,
                        backup_id=backup_id,
                        parent_id=None if base is None else base.backup_id,
                        base_id=backup_id if base is None else base.base_id,
                        depth=0 if base is None else base.depth + 1,
                        device_id=device_id,
                        site=site,
                        created_at=_utc(at_ms),
                        created_at_ms=at_ms,
                        software=__version__,
                        sqlcipher_version=facts.sqlcipher_version,
                        schema_version=facts.schema_version,
                        page_size=facts.page_size,
                        reserve_size=RESERVE_BYTES,
                        page_count=page_count,
                        pages_included=0,
                        page_chunks=0,
                        image_sha256=image.digest(),
                        page_sha256=bytes(hashes),
                        store_key=store_key,
                        audit_head=facts.audit_head,
                        results=facts.results,
                    )
                )
                size = writer.bytes_written
        except OSError as error:
            raise BackupError(
                f"cannot write the temporary copy of the store in {out_dir}: "
                f"{error.strerror or error} (it needs the store's size free)",
                reason="STORE_BACKUP_WRITE_FAILED",
            ) from None
        finally:
            _remove_database_files(snapshot)
        audit.append(
            db,
            at_ms=_now_ms(),
            actor_kind=actor_kind,
            actor_id=actor_id,
            action="store_backup_created",
            record_kind="store_backup",
            record_id=backup_id,
            detail={
                "kind": kind,
                "parent_id": manifest.parent_id,
                "pages": manifest.pages_included,
                "page_count": page_count,
            },
        )
    finally:
        db.close()
    log.info(
        "store backup created",
        extra={"backup_id": backup_id, "kind": kind, "archive": str(path), "bytes": size},
    )
    return BackupReport(path, manifest, size, time.monotonic() - started)


# -- the chain -----------------------------------------------------------------------------


def _label(path: Path, manifest: Manifest) -> str:
    return f"{path.name} ({manifest.kind} {manifest.backup_id[:8]}, {manifest.created_at})"


def check_chain(chain: Sequence[tuple[Path, Manifest]]) -> None:
    """The archives, as given, form one chain: a full backup, then each incremental based
    on the one before. ``STORE_BACKUP_CHAIN_ORDER`` when they do in another order (which it
    names), ``STORE_BACKUP_CHAIN_BROKEN`` when a link is missing or does not match."""
    if not chain:
        raise BackupError("no archive given", reason="STORE_BACKUP_CHAIN_BROKEN")
    by_id: dict[str, tuple[Path, Manifest]] = {}
    for path, manifest in chain:
        if manifest.backup_id in by_id:
            raise BackupError(
                f"{path} and {by_id[manifest.backup_id][0]} are the same backup "
                f"{manifest.backup_id}: give each archive once",
                reason="STORE_BACKUP_CHAIN_BROKEN",
                archive=path,
            )
        by_id[manifest.backup_id] = (path, manifest)
    ordered = _possible_order(chain)
    given = [m.backup_id for _, m in chain]
    if ordered is not None and [m.backup_id for _, m in ordered] != given:
        names = ", ".join(p.name for p, _ in ordered)
        raise BackupError(
            f"the archives are out of order; give them as: {names}",
            reason="STORE_BACKUP_CHAIN_ORDER",
        )
    first_path, first = chain[0]
    if first.kind != "full":
        raise BackupError(
            f"{_label(first_path, first)} is an incremental: a chain starts with its full "
            f"backup {first.base_id}, which is not among the archives given",
            reason="STORE_BACKUP_CHAIN_BROKEN",
            archive=first_path,
        )
    if first.pages_included != first.page_count:
        raise BackupError(
            f"{first_path}: a full backup without all its pages",
            reason="STORE_BACKUP_CORRUPT",
            archive=first_path,
        )
    for (prev_path, prev), (path, manifest) in itertools.pairwise(chain):
        if manifest.kind != "incremental" or manifest.parent_id != prev.backup_id:
            based = (
                "is a full backup"
                if manifest.kind == "full"
                else f"is based on backup {manifest.parent_id}"
            )
            raise BackupError(
                f"{_label(path, manifest)} {based}, not on {_label(prev_path, prev)}: a link "
                "of the chain is missing (each incremental follows the backup it was made from)",
                reason="STORE_BACKUP_CHAIN_BROKEN",
                archive=path,
            )
        consistent = (
            manifest.base_id == prev.base_id
            and manifest.depth == prev.depth + 1
            and manifest.device_id == prev.device_id
            and manifest.page_size == prev.page_size
            and manifest.reserve_size == prev.reserve_size
        )
        if not consistent:
            raise BackupError(
                f"{_label(path, manifest)} names {_label(prev_path, prev)} as its parent but "
                "disagrees with it on device, chain or page size",
                reason="STORE_BACKUP_CHAIN_BROKEN",
                archive=path,
            )


def _possible_order(
    chain: Sequence[tuple[Path, Manifest]],
) -> list[tuple[Path, Manifest]] | None:
    """The one order in which all the archives form a chain, if there is one."""
    fulls = [item for item in chain if item[1].kind == "full"]
    if len(fulls) != 1:
        return None
    children: dict[str | None, tuple[Path, Manifest]] = {}
    for item in chain:
        if item[1].kind == "incremental":
            if item[1].parent_id in children:
                return None  # two branches from one parent
            children[item[1].parent_id] = item
    ordered = [fulls[0]]
    while ordered[-1][1].backup_id in children:
        ordered.append(children[ordered[-1][1].backup_id])
    return ordered if len(ordered) == len(chain) else None


# -- rebuilding and checking an image ------------------------------------------------------


class _Ticker:
    """Calls ``progress`` every few hundred pages, and always at the end."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0
        if progress is not None:
            progress(0, total)

    def tick(self) -> None:
        self.done += 1
        if self.progress is not None and (
            self.done % _PROGRESS_EVERY == 0 or self.done == self.total
        ):
            self.progress(self.done, self.total)


def _build_image(readers: Sequence[ArchiveReader], path: Path, ticker: _Ticker) -> PageCodec:
    """Write the chain's pages into a new SQLCipher file at ``path``, encrypted with the
    archived store key: the full backup, then each incremental's pages over it."""
    first = readers[0].manifest()
    codec = PageCodec.new_file(first.store_key, first.page_size)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        for reader in readers:
            manifest = reader.manifest()
            for pgno, plain in reader.pages():
                if hashlib.sha256(plain).digest() != manifest.page_hash(pgno):
                    raise BackupError(
                        f"{reader.path}: page {pgno} does not match the archive's own hash of "
                        "it (written by faulty software)",
                        reason="STORE_BACKUP_INTEGRITY",
                        archive=reader.path,
                    )
                os.pwrite(fd, codec.encrypt(pgno, plain), (pgno - 1) * first.page_size)
                ticker.tick()
            os.ftruncate(fd, manifest.page_count * first.page_size)
        os.fsync(fd)
    finally:
        os.close(fd)
    return codec


def _check_image(path: Path, codec: PageCodec, manifest: Manifest, ticker: _Ticker) -> None:
    """Read the rebuilt file back: every page decrypts and matches the last manifest's
    hash of it, and all of them together its whole-image hash."""
    image = hashlib.sha256()
    with open(path, "rb") as rebuilt:
        for pgno in range(1, manifest.page_count + 1):
            try:
                plain = codec.decrypt(pgno, rebuilt.read(codec.page_size))
            except PageAuthError:
                plain = b""
            if hashlib.sha256(plain).digest() != manifest.page_hash(pgno):
                raise BackupError(
                    f"page {pgno} of the restored image is not the page backup "
                    f"{manifest.backup_id} recorded: no archive in the chain holds it as it "
                    "was (a wrong or missing incremental)",
                    reason="STORE_BACKUP_INTEGRITY",
                )
            image.update(plain)
            ticker.tick()
    if image.digest() != manifest.image_sha256:
        raise BackupError(
            f"the restored image's SHA-256 is not the one backup {manifest.backup_id} recorded",
            reason="STORE_BACKUP_INTEGRITY",
        )


def _check_database(db: StoreDatabase, manifest: Manifest) -> tuple[int, audit.ChainReport]:
    """SQLite and SQLCipher integrity, and the audit chain up to the head at backup time."""
    rows = [str(r[0]) for r in db.execute_sql("PRAGMA integrity_check").fetchall()]
    if rows != ["ok"]:
        raise BackupError(
            f"PRAGMA integrity_check on the restored image: {'; '.join(rows[:5])}",
            reason="STORE_BACKUP_INTEGRITY",
        )
    rows = [str(r) for r in db.connection().execute("PRAGMA cipher_integrity_check").fetchall()]
    if rows:
        raise BackupError(
            f"PRAGMA cipher_integrity_check on the restored image: {'; '.join(rows[:5])}",
            reason="STORE_BACKUP_INTEGRITY",
        )
    expected = None if manifest.audit_head is None else audit.Head(*manifest.audit_head)
    report = audit.verify_chain(db, expected_head=expected)
    if not report.ok:
        raise BackupError(
            f"the restored audit log does not verify: {report.reason} at entry "
            f"{report.first_bad_seq}: {report.message}",
            reason="STORE_BACKUP_AUDIT_BROKEN",
        )
    results = db.execute_sql("SELECT count(*) FROM result").fetchone()[0]
    return results, report


def _open_readers(archives: Sequence[Path], passphrase: str) -> list[ArchiveReader]:
    readers: list[ArchiveReader] = []
    try:
        for path in archives:
            reader = ArchiveReader(Path(path), passphrase)
            readers.append(reader)
            reader.manifest()
    except BaseException:
        for reader in readers:
            reader.close()
        raise
    return readers


def _rebuild_and_check(
    readers: Sequence[ArchiveReader],
    image: Path,
    progress: Progress | None,
    started: float,
) -> VerifyReport:
    """Steps shared by verify and restore: rebuild at ``image`` and check everything.
    Progress counts pages written plus pages read back."""
    manifests = [r.manifest() for r in readers]
    final = manifests[-1]
    if final.schema_version > LATEST:
        raise StoreError(
            f"backup {final.backup_id} is at schema version {final.schema_version}, this "
            f"software knows up to {LATEST}: restore it with the newer software",
            reason="STORE_SCHEMA_NEWER",
        )
    ticker = _Ticker(progress, sum(m.pages_included for m in manifests) + final.page_count)
    codec = _build_image(readers, image, ticker)
    _check_image(image, codec, final, ticker)
    try:
        db = open_store(image, final.store_key, migrate=False)
    except StoreError as error:
        raise BackupError(
            f"the restored image does not open: {error}", reason="STORE_BACKUP_INTEGRITY"
        ) from None
    try:
        results, chain = _check_database(db, final)
    finally:
        db.close()
    return VerifyReport(
        tuple(r.path for r in readers),
        tuple(manifests),
        results,
        chain,
        time.monotonic() - started,
    )


def verify_backups(
    archives: Sequence[Path],
    passphrase: str,
    *,
    work_dir: Path,
    progress: Progress | None = None,
) -> VerifyReport:
    """Everything a restore checks, without restoring: decrypt and authenticate every
    chunk, check the chain, rebuild the image in a temporary file in ``work_dir``
    (encrypted, deleted afterwards) and run the integrity and audit checks on it."""
    started = time.monotonic()
    readers = _open_readers(archives, passphrase)
    image = Path(work_dir) / f".verify-{uuid.uuid4()}.db"
    try:
        check_chain([(r.path, r.manifest()) for r in readers])
        return _rebuild_and_check(readers, image, progress, started)
    except OSError as error:
        raise BackupError(
            f"cannot rebuild the store in {work_dir} to check it: {error.strerror or error} "
            "(it needs the store's size free; choose another directory)",
            reason="STORE_BACKUP_WRITE_FAILED",
        ) from None
    finally:
        for reader in readers:
            reader.close()
        _remove_database_files(image)


# -- restore -------------------------------------------------------------------------------


def _device_refusal(manifest: Manifest, target_device: str | None) -> str | None:
    """Why the backup cannot be shown to be this device's, or None when it is."""
    if target_device is not None and manifest.device_id == target_device:
        return None
    made = f"backup {manifest.backup_id}"
    if target_device is None:
        return (
            f"this device has no keyring, so no device id, and {made} (device "
            f"{manifest.device_id or 'unknown'}) cannot be shown to be its own "
            "(kioskctl provision creates the keyring)"
        )
    if manifest.device_id is None:
        return (
            f"{made} was made on a device without a keyring (no device id), so it cannot be "
            f"shown to be this device's ({target_device})"
        )
    return f"{made} is from device {manifest.device_id}, this is device {target_device}"


def _move_into_place(image: Path, target: Path, at_ms: int) -> Path | None:
    """Replace ``target`` with ``image`` in one rename; keep the old store (and its WAL).

    The old file gets a second name first (a hard link), so ``target`` names the old store
    until ``os.replace`` names the new one: never nothing, never a partial file. Its WAL
    moves with it (it may hold committed transactions if the kiosk crashed); its ``-shm``
    is only an index SQLite rebuilds, and is removed so that it cannot face the new file."""
    previous = None
    step = "keep the previous store"
    try:
        if target.exists():
            stamp = _utc(at_ms, compact=True)
            previous = target.with_name(f"{target.name}.before-restore-{stamp}")
            if previous.exists():
                raise BackupError(
                    f"{previous} exists: two restores in the same second? Try again",
                    reason="STORE_BACKUP_TARGET_EXISTS",
                )
            try:
                os.link(target, previous)
            except OSError:
                os.rename(target, previous)  # a filesystem without hard links
            step = f"move {target}-wal beside {previous}"
            wal = Path(f"{target}-wal")
            if wal.exists():
                os.rename(wal, Path(f"{previous}-wal"))
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{target}-shm")
        step = f"rename the restored store to {target}"
        os.replace(image, target)
        fsync_directory(target.parent)
    except OSError as error:
        kept = f"; the previous store is at {previous}" if previous else ""
        raise BackupError(
            f"could not {step}: {error.strerror or error}{kept}",
            reason="STORE_BACKUP_WRITE_FAILED",
        ) from None
    return previous


def restore_backup(
    archives: Sequence[Path],
    passphrase: str,
    *,
    target: Path,
    target_key: bytes,
    target_device: str | None,
    force: bool = False,
    technician: str | None = None,
    progress: Progress | None = None,
    now_ms: int | None = None,
) -> RestoreReport:
    """Restore a full archive plus its incrementals (in chain order) to ``target``, re-keyed
    to ``target_key``. The store at ``target``, if any, must not be open in another process
    (``STORE_BACKUP_TARGET_IN_USE``: stop bdmi-kiosk and bdmi-sync). A backup not shown to be
    this device's is refused (``STORE_BACKUP_OTHER_DEVICE``) unless ``force`` with a
    ``technician`` id, recorded in the restored store's audit log. Progress counts pages
    written plus pages read back."""
    started = time.monotonic()
    target = Path(target)
    if force and not (technician and technician.strip()):
        raise BackupError(
            "a forced restore names the technician who forces it",
            reason="STORE_BACKUP_TECHNICIAN_REQUIRED",
        )
    readers = _open_readers(archives, passphrase)
    image = target.with_name(f".{target.name}.restore-{uuid.uuid4()}")
    try:
        manifests = [r.manifest() for r in readers]
        check_chain(list(zip((r.path for r in readers), manifests, strict=True)))
        final = manifests[-1]
        refusal = _device_refusal(final, target_device)
        if refusal is not None and not force:
            raise BackupError(
                f"{refusal}: restore refused. To restore it anyway (a replacement device, "
                "a store moved on purpose), force it naming the technician: "
                "--force --technician ID; the audit log records it",
                reason="STORE_BACKUP_OTHER_DEVICE",
            )
        _refuse_in_use(target)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        verified = _rebuild_and_check(readers, image, progress, started)
        rekeyed = final.store_key != target_key
        if rekeyed:
            db = open_store(image, final.store_key, migrate=False)
            try:
                db.connection().execute(_key_pragma("rekey", target_key))
            finally:
                db.close()
        at_ms = now_ms if now_ms is not None else _now_ms()
        db = open_store(image, target_key, migrate=False)  # proves the target key opens it
        try:
            actor = ("technician", technician) if technician else ("system", "kioskctl")
            with db.atomic():
                if refusal is not None:
                    audit.append(
                        db,
                        at_ms=at_ms,
                        actor_kind="technician",
                        actor_id=str(technician),
                        action="store_restore_forced",
                        record_kind="device",
                        record_id=final.device_id,
                        detail={
                            "backup_id": final.backup_id,
                            "this_device_has_id": target_device is not None,
                        },
                    )
                head = audit.append(
                    db,
                    at_ms=at_ms,
                    actor_kind=actor[0],
                    actor_id=actor[1],
                    action="store_restored",
                    record_kind="store_backup",
                    record_id=final.backup_id,
                    detail={
                        "archives": len(manifests),
                        "base_id": final.base_id,
                        "forced": refusal is not None,
                        "rekeyed": rekeyed,
                        "page_count": final.page_count,
                    },
                )
            db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()
        fd = os.open(image, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        _refuse_in_use(target)  # the kiosk may have been started meanwhile
        previous = _move_into_place(image, target, at_ms)
    except OSError as error:  # _move_into_place reports its own
        raise BackupError(
            f"cannot write the restored store beside {target}: {error.strerror or error}; "
            "the store there was not changed",
            reason="STORE_BACKUP_WRITE_FAILED",
        ) from None
    finally:
        for reader in readers:
            reader.close()
        _remove_database_files(image)
    log.info(
        "store restored",
        extra={
            "backup_id": final.backup_id,
            "archives": len(manifests),
            "forced": refusal is not None,
            "target": str(target),
        },
    )
    return RestoreReport(
        target=target,
        previous=previous,
        verified=verified,
        source_device=final.device_id,
        target_device=target_device,
        forced=refusal is not None,
        rekeyed=rekeyed,
        audit_head=head,
        seconds=time.monotonic() - started,
    )


def _refuse_in_use(target: Path) -> None:
    if in_use(target):
        raise BackupError(
            f"{target} is open in another process: stop bdmi-kiosk and bdmi-sync "
            "(systemctl stop bdmi-kiosk bdmi-sync) before restoring",
            reason="STORE_BACKUP_TARGET_IN_USE",
        )
