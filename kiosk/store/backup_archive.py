"""The backup archive: one file, encrypted in chunks with AES-256-GCM under a passphrase.

A technician carries archives away from the kiosk (USB stick, laptop), so an archive is
safe on its own: everything but a short header is encrypted, and the key comes from a
passphrase the technician supplies, never from the device (a replacement device must be
able to read it). The layout, all integers big-endian::

    header   magic "BDMI-BAK" | format u16 | kdf u8 (1 = scrypt) | log2 N u8 | r u8 | p u8
             | salt 16 | archive id 16 | passphrase verifier 32 | SHA-256 of all that 32
    chunks   type u8 | ciphertext length u32 | nonce 12 | ciphertext with its 16-byte tag
    trailer  manifest offset u64 | first manifest chunk u32 | chunk count u32 | "BDMI-END"

Why each part:

* scrypt(passphrase, salt) gives 64 bytes: the AES key and a key for the *verifier*, an
  HMAC of a constant. The verifier tells a wrong passphrase (``STORE_BACKUP_PASSPHRASE_WRONG``)
  from a damaged file; the header's own SHA-256 tells a damaged header from a wrong
  passphrase. Neither helps guessing: each guess still costs one scrypt.
* Every chunk has its own random nonce, and its associated data binds the header digest,
  the chunk's index and its type: a chunk moved, dropped, swapped with another archive's, or
  given another type fails authentication, and the reader names its index and byte offset
  (``STORE_BACKUP_CORRUPT``). The manifest, authenticated too, says how many page chunks
  there are, so a cut-off file or a missing chunk is caught even where the frames still parse.
* Pages go in chunks of about 256 KiB (zlib-compressed, then encrypted), so writing and
  reading hold one chunk in memory, whatever the store's size.
* The manifest comes last (it holds hashes known only at the end) and the trailer says
  where it starts, so the next incremental reads a parent's manifest without decrypting
  its pages.

A page chunk holds records ``pgno u32 | page``, the page in its plain form (pagecodec.py);
the manifest is canonical CBOR (``Manifest``). The reader checks every length against the
file and its limits before allocating, and raises only ``BackupError`` on any input
(tests/store/test_backup.py fuzzes it).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import struct
import unicodedata
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Final, Literal, Self

import cbor2
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from kiosk.store.errors import StoreError

MAGIC: Final = b"BDMI-BAK"
END_MAGIC: Final = b"BDMI-END"
FORMAT_VERSION: Final = 1
KDF_SCRYPT: Final = 1

_HEADER = struct.Struct(">8sHBBBB16s16s32s")
HEADER_LEN: Final = _HEADER.size + 32
_FRAME = struct.Struct(">BI12s")
_TRAILER = struct.Struct(">QII8s")
TAG_BYTES: Final = 16

CHUNK_PAGES_BYTES: Final = 256 * 1024
"""A page chunk's plaintext size before compression, about: 64 pages of 4 KiB."""
MAX_CHUNK_PLAIN: Final = 1024 * 1024
"""Largest chunk plaintext a reader accepts: it allocates no more than this per chunk."""
MAX_CHUNK_CIPHERTEXT: Final = MAX_CHUNK_PLAIN + 64 * 1024 + TAG_BYTES
MAX_MANIFEST: Final = 256 * 1024 * 1024
"""Largest manifest a reader accepts: 32 bytes of hash a page, so a store up to 32 GiB."""
MAX_KDF_MEMORY: Final = 256 * 1024 * 1024
"""scrypt memory (128 r N bytes) a reader accepts: a crafted header cannot exhaust RAM."""

PAGES: Final = 1
MANIFEST: Final = 2
MANIFEST_END: Final = 3
_CHUNK_TYPES: Final = (PAGES, MANIFEST, MANIFEST_END)

_VERIFIER_LABEL: Final = b"bdmi-kiosk backup passphrase check v1"
MIN_PASSPHRASE_CHARS: Final = 12

Kind = Literal["full", "incremental"]


class BackupError(StoreError):
    """A backup, verify or restore that cannot proceed; ``reason`` is a ``STORE_BACKUP_*``
    code. For a damaged archive, ``archive``, ``offset`` and ``chunk`` say where."""

    reason = "STORE_BACKUP_ERROR"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        archive: Path | None = None,
        offset: int | None = None,
        chunk: int | None = None,
    ) -> None:
        super().__init__(message, reason=reason)
        self.archive = archive
        self.offset = offset
        self.chunk = chunk

    def to_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "message": str(self.args[0]),
            "archive": None if self.archive is None else str(self.archive),
            "offset": self.offset,
            "chunk": self.chunk,
        }


@dataclass(frozen=True, slots=True)
class ScryptParams:
    """scrypt cost. The default (N = 2^17, r = 8: 128 MiB, about 0.4 s here) is OWASP's
    minimum for scrypt; a technician's passphrase is guessable offline by whoever holds the
    archive, so each guess must cost."""

    log2_n: int = 17
    r: int = 8
    p: int = 1

    def check(self) -> None:
        memory = 128 * self.r * (1 << self.log2_n) if 0 < self.log2_n < 32 else 0
        if not (0 < memory <= MAX_KDF_MEMORY and 1 <= self.r <= 32 and 1 <= self.p <= 4):
            raise BackupError(
                f"scrypt parameters N=2^{self.log2_n} r={self.r} p={self.p} are out of the "
                f"supported range (at most {MAX_KDF_MEMORY // 2**20} MiB, p <= 4)",
                reason="STORE_BACKUP_UNSUPPORTED",
            )


def _derive(passphrase: str, salt: bytes, params: ScryptParams) -> tuple[bytes, bytes]:
    """(AES key, verifier key). The passphrase is NFC-normalised first, so the same words
    typed with another input method give the same key."""
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    derived = Scrypt(salt=salt, length=64, n=1 << params.log2_n, r=params.r, p=params.p).derive(
        secret
    )
    return derived[:32], derived[32:]


def _verifier(check_key: bytes, archive_id: bytes) -> bytes:
    return hmac.digest(check_key, _VERIFIER_LABEL + archive_id, hashlib.sha256)


def check_passphrase_strength(passphrase: str) -> None:
    """A new archive holds the store key and every record: its passphrase must not be short."""
    if len(passphrase.strip()) < MIN_PASSPHRASE_CHARS:
        raise BackupError(
            f"the backup passphrase must have at least {MIN_PASSPHRASE_CHARS} characters "
            "(the archive holds the store key and all its data)",
            reason="STORE_BACKUP_PASSPHRASE_WEAK",
        )


# -- the manifest --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Manifest:
    """What an archive holds. Hashes are over pages in their plain form (pagecodec.py):
    ``page_sha256`` is the concatenated SHA-256 of pages 1..page_count, ``image_sha256`` the
    SHA-256 of those pages concatenated, i.e. of the whole database as restored."""

    format: int
    kind: Kind
    backup_id: str
    parent_id: str | None
    """The backup this incremental is based on; None for a full backup."""
    base_id: str
    """The full backup at the root of this chain (itself for a full backup)."""
    depth: int
    """0 for a full backup, parent's depth + 1 for an incremental."""
    device_id: str | None
    """The device whose store this is; None when the device had no keyring."""
    site: str | None
    created_at: str
    created_at_ms: int
    software: str
    sqlcipher_version: str
    schema_version: int
    page_size: int
    reserve_size: int
    page_count: int
    pages_included: int
    page_chunks: int
    image_sha256: bytes
    page_sha256: bytes
    store_key: bytes
    """The store key, so a replacement device can open the restored store and re-key it."""
    audit_head: tuple[int, bytes] | None
    results: int

    def page_hash(self, pgno: int) -> bytes:
        return self.page_sha256[(pgno - 1) * 32 : pgno * 32]

    def to_bytes(self) -> bytes:
        data = asdict(self)
        data["audit_head"] = None if self.audit_head is None else list(self.audit_head)
        return cbor2.dumps(data, canonical=True)

    def summary(self) -> dict[str, Any]:
        """The manifest for people and ``--json``: no key, no page hashes."""
        return {
            "backup_id": self.backup_id,
            "kind": self.kind,
            "parent_id": self.parent_id,
            "base_id": self.base_id,
            "depth": self.depth,
            "device_id": self.device_id,
            "site": self.site,
            "created_at": self.created_at,
            "schema_version": self.schema_version,
            "page_size": self.page_size,
            "page_count": self.page_count,
            "pages_included": self.pages_included,
            "image_sha256": self.image_sha256.hex(),
            "results": self.results,
            "audit_head": None
            if self.audit_head is None
            else f"{self.audit_head[0]}:{self.audit_head[1].hex()}",
        }

    @classmethod
    def from_bytes(cls, raw: bytes, archive: Path) -> Manifest:
        try:
            data = cbor2.loads(raw)
        except Exception as error:  # cbor2 raises several types on bad input
            raise _unsupported(archive, f"manifest is not CBOR ({error})") from None
        if not isinstance(data, dict):
            raise _unsupported(archive, "manifest is not a map")
        if data.get("format") != FORMAT_VERSION:
            raise _unsupported(
                archive,
                f"manifest format {data.get('format')!r}; this software reads {FORMAT_VERSION}",
            )
        values: dict[str, Any] = {}
        for field in fields(cls):
            if field.name not in data:
                raise _unsupported(archive, f"manifest has no {field.name}")
            values[field.name] = data[field.name]
        head = values["audit_head"]
        if head is not None:
            if not (
                isinstance(head, list)
                and len(head) == 2
                and _is_int(head[0])
                and isinstance(head[1], bytes)
                and len(head[1]) == 32
            ):
                raise _unsupported(archive, "manifest audit_head is not [seq, hash]")
            values["audit_head"] = (head[0], head[1])
        manifest = cls(**values)
        problem = manifest._problem()
        if problem:
            raise _unsupported(archive, f"manifest {problem}")
        return manifest

    def _problem(self) -> str | None:
        """What is wrong with the fields' types and ranges, or None."""
        text_or_none = (self.parent_id, self.device_id, self.site)
        if not all(x is None or isinstance(x, str) for x in text_or_none):
            return "has a non-text id"
        texts = (self.backup_id, self.base_id, self.created_at, self.software)
        if not all(isinstance(x, str) for x in (*texts, self.sqlcipher_version)):
            return "has a non-text field"
        ints = (
            self.depth,
            self.created_at_ms,
            self.schema_version,
            self.page_size,
            self.reserve_size,
            self.page_count,
            self.pages_included,
            self.page_chunks,
            self.results,
        )
        if not all(_is_int(x) and x >= 0 for x in ints):
            return "has a count that is not a non-negative integer"
        for name in ("backup_id", "base_id", "parent_id"):
            value = getattr(self, name)
            if value is not None and not _is_uuid(value):
                return f"{name} is not a UUID"
        if self.kind == "full":
            if self.parent_id is not None or self.depth != 0 or self.base_id != self.backup_id:
                return "is a full backup with a parent"
        elif self.kind == "incremental":
            if self.parent_id is None or self.depth < 1:
                return "is an incremental without a parent"
        else:
            return f"kind {self.kind!r} is neither full nor incremental"
        if self.page_size < 512 or self.page_size > 65536 or self.page_size & (self.page_size - 1):
            return f"page_size {self.page_size} is not a SQLite page size"
        if not 0 <= self.reserve_size < self.page_size // 2:
            return f"reserve_size {self.reserve_size} is out of range"
        if not 1 <= self.page_count < 2**31 or self.pages_included > self.page_count:
            return "page counts are out of range"
        if not (isinstance(self.image_sha256, bytes) and len(self.image_sha256) == 32):
            return "image_sha256 is not 32 bytes"
        if not (
            isinstance(self.page_sha256, bytes) and len(self.page_sha256) == 32 * self.page_count
        ):
            return "page_sha256 does not hold one hash per page"
        if not (isinstance(self.store_key, bytes) and len(self.store_key) == 32):
            return "store_key is not 32 bytes"
        return None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _unsupported(archive: Path, what: str) -> BackupError:
    return BackupError(
        f"{archive}: {what}: written by other software, or a newer format",
        reason="STORE_BACKUP_UNSUPPORTED",
        archive=archive,
    )


def _corrupt(archive: Path, offset: int, what: str, chunk: int | None = None) -> BackupError:
    where = f"chunk {chunk} at byte {offset}" if chunk is not None else f"byte {offset}"
    return BackupError(
        f"{archive}: {where}: {what}",
        reason="STORE_BACKUP_CORRUPT",
        archive=archive,
        offset=offset,
        chunk=chunk,
    )


def fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (a rename is only as durable as its dir)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- writing -------------------------------------------------------------------------------


class ArchiveWriter:
    """Writes one archive at ``path``: header, page chunks, manifest, trailer. The bytes go
    to a hidden temporary file beside it, renamed into place only by ``finish`` after an
    fsync, so ``path`` never names a partial archive; ``abort`` (or leaving the ``with``
    block on an error) removes the temporary file."""

    def __init__(self, path: Path, passphrase: str, params: ScryptParams) -> None:
        params.check()
        self.path = Path(path)
        if self.path.exists():
            raise BackupError(
                f"{self.path} exists: an archive is never overwritten",
                reason="STORE_BACKUP_TARGET_EXISTS",
                archive=self.path,
            )
        self._tmp = self.path.with_name(f".{self.path.name}.tmp")
        salt, archive_id = os.urandom(16), os.urandom(16)
        aes_key, check_key = _derive(passphrase, salt, params)
        fixed = _HEADER.pack(
            MAGIC,
            FORMAT_VERSION,
            KDF_SCRYPT,
            params.log2_n,
            params.r,
            params.p,
            salt,
            archive_id,
            _verifier(check_key, archive_id),
        )
        self._digest = hashlib.sha256(fixed).digest()
        self._aead = AESGCM(aes_key)
        self._file: BinaryIO | None = None
        try:
            fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            self._file = os.fdopen(fd, "wb")
            self._file.write(fixed + self._digest)
        except OSError as error:
            self.abort()
            raise _write_failed(self.path, error) from None
        self._offset = HEADER_LEN
        self._index = 0
        self._records: list[bytes] = []
        self._buffered = 0
        self._page_chunks = 0
        self._pages = 0
        self._last_pgno = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is not None:
            self.abort()

    @property
    def bytes_written(self) -> int:
        return self._offset

    def _chunk(self, kind: int, plain: bytes) -> None:
        assert self._file is not None
        packed = zlib.compress(plain, 1)
        nonce = os.urandom(12)
        aad = self._digest + struct.pack(">IB", self._index, kind)
        sealed = self._aead.encrypt(nonce, packed, aad)
        try:
            self._file.write(_FRAME.pack(kind, len(sealed), nonce) + sealed)
        except OSError as error:
            self.abort()
            raise _write_failed(self.path, error) from None
        self._offset += _FRAME.size + len(sealed)
        self._index += 1

    def add_page(self, pgno: int, plain: bytes) -> None:
        """Queue one page (ascending ``pgno``); a chunk is sealed every ~256 KiB."""
        if pgno <= self._last_pgno:
            raise ValueError("pages are added in ascending order")
        self._last_pgno = pgno
        self._records.append(pgno.to_bytes(4, "big") + plain)
        self._buffered += 4 + len(plain)
        self._pages += 1
        if self._buffered >= CHUNK_PAGES_BYTES:
            self._flush_pages()

    def _flush_pages(self) -> None:
        if self._records:
            self._chunk(PAGES, b"".join(self._records))
            self._records.clear()
            self._buffered = 0
            self._page_chunks += 1

    def finish(self, manifest: Manifest) -> Manifest:
        """Seal the last pages and the manifest (its ``pages_included`` and ``page_chunks``
        filled in here), fsync, and rename into place. Returns the manifest written."""
        self._flush_pages()
        manifest = replace(manifest, pages_included=self._pages, page_chunks=self._page_chunks)
        manifest_offset, first = self._offset, self._index
        raw = manifest.to_bytes()
        pieces = [raw[i : i + CHUNK_PAGES_BYTES] for i in range(0, len(raw), CHUNK_PAGES_BYTES)]
        for n, piece in enumerate(pieces):
            self._chunk(MANIFEST_END if n == len(pieces) - 1 else MANIFEST, piece)
        assert self._file is not None
        try:
            self._file.write(_TRAILER.pack(manifest_offset, first, self._index, END_MAGIC))
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
            if self.path.exists():  # appeared meanwhile: never replace an archive
                raise FileExistsError(self.path)
            os.rename(self._tmp, self.path)
            fsync_directory(self.path.parent)
        except FileExistsError:
            self.abort()
            raise BackupError(
                f"{self.path} exists: an archive is never overwritten",
                reason="STORE_BACKUP_TARGET_EXISTS",
                archive=self.path,
            ) from None
        except OSError as error:
            self.abort()
            raise _write_failed(self.path, error) from None
        self._offset += _TRAILER.size
        return manifest

    def abort(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
        with contextlib.suppress(FileNotFoundError):
            self._tmp.unlink()


def _write_failed(path: Path, error: OSError) -> BackupError:
    return BackupError(
        f"cannot write {path}: {error.strerror or error}; nothing was left behind",
        reason="STORE_BACKUP_WRITE_FAILED",
        archive=path,
    )


# -- reading -------------------------------------------------------------------------------


class ArchiveReader:
    """Opens an archive with a passphrase: the header is checked and the key derived at
    once (``STORE_BACKUP_NOT_ARCHIVE``, ``_UNSUPPORTED``, ``_CORRUPT``, ``_PASSPHRASE_WRONG``);
    ``manifest`` reads only the manifest; ``pages`` reads and authenticates the whole file."""

    def __init__(self, path: Path, passphrase: str) -> None:
        self.path = Path(path)
        try:
            self._file: BinaryIO = open(self.path, "rb")  # noqa: SIM115 (closed by close())
        except OSError as error:
            raise BackupError(
                f"cannot read {self.path}: {error.strerror or error}",
                reason="STORE_BACKUP_UNREADABLE",
                archive=self.path,
            ) from None
        try:
            self.size = os.fstat(self._file.fileno()).st_size
        except OSError as error:
            self._file.close()
            raise BackupError(
                f"cannot read {self.path}: {error.strerror or error}",
                reason="STORE_BACKUP_UNREADABLE",
                archive=self.path,
            ) from None
        self._manifest: Manifest | None = None
        try:
            self._open(passphrase)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    def _read(self, offset: int, length: int, what: str, chunk: int | None = None) -> bytes:
        if offset + length > self.size:
            raise _corrupt(
                self.path,
                offset,
                f"the file ends at byte {self.size}, inside the {what}: the archive is truncated",
                chunk,
            )
        try:
            self._file.seek(offset)
            data = self._file.read(length)
        except OSError as error:
            raise BackupError(
                f"cannot read {self.path} at byte {offset}: {error.strerror or error}",
                reason="STORE_BACKUP_UNREADABLE",
                archive=self.path,
                offset=offset,
            ) from None
        if len(data) != length:
            raise _corrupt(self.path, offset, f"short read in the {what}", chunk)
        return data

    def _open(self, passphrase: str) -> None:
        if self.size < len(MAGIC):
            raise self._not_archive()
        magic = self._read(0, len(MAGIC), "header")
        if magic != MAGIC:
            raise self._not_archive()
        raw = self._read(0, HEADER_LEN, "header")
        fixed, digest = raw[: _HEADER.size], raw[_HEADER.size :]
        if hashlib.sha256(fixed).digest() != digest:
            raise _corrupt(self.path, 0, "the header does not match its checksum: damaged")
        _, version, kdf, log2_n, r, p, salt, archive_id, verifier = _HEADER.unpack(fixed)
        if version != FORMAT_VERSION or kdf != KDF_SCRYPT:
            raise _unsupported(self.path, f"archive format {version}, key derivation {kdf}")
        params = ScryptParams(log2_n, r, p)
        try:
            params.check()
        except BackupError as error:
            error.archive = self.path
            raise
        aes_key, check_key = _derive(passphrase, salt, params)
        if not hmac.compare_digest(_verifier(check_key, archive_id), verifier):
            raise BackupError(
                f"{self.path}: the passphrase does not open this archive",
                reason="STORE_BACKUP_PASSPHRASE_WRONG",
                archive=self.path,
            )
        self._digest = digest
        self._aead = AESGCM(aes_key)

    def _not_archive(self) -> BackupError:
        return BackupError(
            f"{self.path} is not a kiosk backup archive (no BDMI-BAK header)",
            reason="STORE_BACKUP_NOT_ARCHIVE",
            archive=self.path,
        )

    def _chunk_at(self, offset: int, index: int) -> tuple[int, bytes, int]:
        """(type, plaintext, next offset) of the chunk ``index`` framed at ``offset``."""
        kind, length, nonce = _FRAME.unpack(self._read(offset, _FRAME.size, "chunk frame", index))
        if kind not in _CHUNK_TYPES or not TAG_BYTES <= length <= MAX_CHUNK_CIPHERTEXT:
            raise _corrupt(self.path, offset, "not a chunk frame (type or length)", index)
        sealed = self._read(offset + _FRAME.size, length, "chunk", index)
        aad = self._digest + struct.pack(">IB", index, kind)
        try:
            packed = self._aead.decrypt(nonce, sealed, aad)
        except InvalidTag:
            raise _corrupt(
                self.path,
                offset,
                "fails authentication: the archive was altered or damaged from here",
                index,
            ) from None
        try:
            inflater = zlib.decompressobj()
            plain = inflater.decompress(packed, MAX_CHUNK_PLAIN)
            complete = inflater.eof and not inflater.unconsumed_tail
        except zlib.error:
            complete = False
        if not complete:
            raise _unsupported(self.path, f"chunk {index} does not decompress")
        return kind, plain, offset + _FRAME.size + length

    def _trailer(self) -> tuple[int, int, int]:
        end = self.size - _TRAILER.size
        if end < HEADER_LEN:
            raise _corrupt(
                self.path, self.size, "the file ends before its trailer: the archive is truncated"
            )
        offset, first, count, magic = _TRAILER.unpack(self._read(end, _TRAILER.size, "trailer"))
        if magic != END_MAGIC:
            raise _corrupt(
                self.path,
                end,
                "no end marker: the archive is truncated, or was not finished",
            )
        if not HEADER_LEN <= offset < end or first >= count:
            raise _corrupt(self.path, end, "the trailer points outside the archive")
        return offset, first, count

    def manifest(self) -> Manifest:
        """The manifest, read through the trailer without touching the page chunks."""
        if self._manifest is not None:
            return self._manifest
        offset, first, count = self._trailer()
        end = self.size - _TRAILER.size
        parts: list[bytes] = []
        index, total = first, 0
        while True:
            if index >= count or offset >= end:
                raise _corrupt(
                    self.path, offset, "the manifest runs past its last chunk: truncated", index
                )
            kind, plain, offset = self._chunk_at(offset, index)
            if kind == PAGES:
                raise _corrupt(self.path, offset, "a page chunk inside the manifest", index)
            total += len(plain)
            if total > MAX_MANIFEST:
                raise _unsupported(self.path, f"manifest larger than {MAX_MANIFEST >> 20} MiB")
            parts.append(plain)
            index += 1
            if kind == MANIFEST_END:
                break
        if index != count or offset != end:
            raise _corrupt(self.path, offset, "bytes after the manifest's last chunk", index)
        manifest = Manifest.from_bytes(b"".join(parts), self.path)
        if manifest.page_chunks != first:
            raise _corrupt(
                self.path,
                end,
                f"the manifest says {manifest.page_chunks} page chunks, the trailer {first}",
            )
        self._manifest = manifest
        return manifest

    def pages(self) -> Iterator[tuple[int, bytes]]:
        """Every page record in file order, authenticated chunk by chunk; then checks the
        chunks end exactly where the manifest begins. Pages come in ascending ``pgno``."""
        manifest = self.manifest()
        manifest_offset = self._trailer()[0]
        plain_size = manifest.page_size - manifest.reserve_size
        record = 4 + plain_size
        offset, last, seen = HEADER_LEN, 0, 0
        for index in range(manifest.page_chunks):
            if offset >= manifest_offset:
                raise _corrupt(self.path, offset, "page chunks missing before the manifest", index)
            kind, plain, next_offset = self._chunk_at(offset, index)
            if kind != PAGES or not plain or len(plain) % record:
                raise _corrupt(self.path, offset, "not a whole number of pages", index)
            for start in range(0, len(plain), record):
                pgno = int.from_bytes(plain[start : start + 4], "big")
                if not last < pgno <= manifest.page_count:
                    raise _corrupt(self.path, offset, f"page number {pgno} out of order", index)
                last = pgno
                seen += 1
                yield pgno, plain[start + 4 : start + record]
            offset = next_offset
        if offset != manifest_offset or seen != manifest.pages_included:
            raise _corrupt(
                self.path,
                offset,
                f"{seen} pages in chunks ending at byte {offset}; the manifest says "
                f"{manifest.pages_included} ending at byte {manifest_offset}",
            )


def read_manifest(path: Path, passphrase: str) -> Manifest:
    """The manifest of the archive at ``path`` (header and manifest authenticated)."""
    with ArchiveReader(path, passphrase) as reader:
        return reader.manifest()
