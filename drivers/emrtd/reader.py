"""PC/SC eMRTD reader: an ICAO 9303 ePassport/eID read over pyscard.

Why this shape: the codecs (APDUs, BAC, secure messaging, LDS) are pure and fuzzed
elsewhere; this module is the thin part that owns the card session. It

* finds the reader (name substring, or the first one) and watches card presence with
  ``SCardGetStatusChange`` (``card_present``, ``wait_for_card``);
* runs an ``AccessProtocol`` (Basic Access Control today; PACE will be a second
  implementation returning its own ``SecureChannel``) with the MRZ information the kiosk
  got from an MRZ swipe or the on-screen keyboard (``set_access_key``);
* reads EF.COM, DG1, DG2, EF.SOD and DG14/DG15 when EF.COM lists them, under secure
  messaging, with the largest Le the chip accepts and so as few APDUs as possible: it
  asks for "everything available" (a zero extended Le, Ne = 65536) and falls back to a
  zero short Le, then 0xE7 and 0xDF, or to the length the chip names in '6Cxx'; the Le
  that worked is kept for the rest of the session, and remembered per chip (its ATR and
  its access key, salted and hashed) so the next read of the same chip starts there: a
  short-Le chip's first extended try draws '6700', which ends secure messaging and costs
  a second BAC (5 APDUs), once per chip rather than once per read;
* checks each file's first bytes before downloading the rest: the tag its kind must start
  with (``DRV_LDS_TAG``), a definite length (``DRV_LDS_STRUCTURE``) and a size cap per
  file (``MAX_LDS_FILE_SIZE``, ``DRV_EMRTD_FILE_TOO_LARGE``), so a hostile or broken chip
  announcing 16 MiB is refused after one READ BINARY, not after 29 s of download;
* returns all files or nothing: a card pulled mid-read raises ``CardRemoved``, and no
  partial document exists anywhere;
* checks that the chip's DG1 MRZ is the one whose keys opened it, and runs passive
  authentication against a CSCA directory.

An APDU count is kept per read (``ChipRead.apdu_count``) for the benchmark and the logs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers.document import ActiveAuthentication, ChipAuthentication, IdentityDocument
from drivers.emrtd import active_auth, lds, passive_auth
from drivers.emrtd import apdu as iso
from drivers.emrtd.access_control import (
    DRV_EMRTD_STATUS,
    AccessProtocol,
    BasicAccessControl,
    SecureChannel,
    expect_ok,
)
from drivers.emrtd.tlv import read_tlv
from drivers.errors import (
    CardReadFailed,
    CardRemoved,
    DocumentInvalid,
    DriverError,
    NoCard,
    ProtocolError,
    ReaderUnavailable,
)
from drivers.lifecycle import OpenCloseContext

log = logging.getLogger(__name__)

# Reason codes of this module (the technician guide lists them).
DRV_EMRTD_NO_ACCESS_KEY = "DRV_EMRTD_NO_ACCESS_KEY"
"""read() without MRZ information: the kiosk must ask for the MRZ (swipe or keyboard)."""
DRV_EMRTD_NOT_EMRTD = "DRV_EMRTD_NOT_EMRTD"
"""The card has no eMRTD application (SELECT A0000002471001 refused): not an ePassport."""
DRV_EMRTD_FILE_MISSING = "DRV_EMRTD_FILE_MISSING"
"""A mandatory LDS file (EF.COM, DG1, DG2, EF.SOD) is absent from the chip."""
DRV_EMRTD_LENGTH = "DRV_EMRTD_LENGTH"
"""The chip refused every READ BINARY length the reader tried."""
DRV_EMRTD_MRZ_MISMATCH = "DRV_EMRTD_MRZ_MISMATCH"
"""The chip's DG1 MRZ is not the MRZ used for BAC: the document or the entry is wrong."""
DRV_EMRTD_FILE_TOO_LARGE = "DRV_EMRTD_FILE_TOO_LARGE"
"""An LDS file announces more bytes than any such file needs (``MAX_LDS_FILE_SIZE``)."""

# PC/SC return codes (pcsclite.h) that mean "the card went away" or "the reader did".
_SCARD_E_NO_SMARTCARD = 0x8010000C
_SCARD_W_REMOVED_CARD = 0x80100069
_SCARD_W_RESET_CARD = 0x80100068
_SCARD_W_UNPOWERED_CARD = 0x80100067
_SCARD_E_NOT_TRANSACTED = 0x80100016
_SCARD_E_READER_UNAVAILABLE = 0x80100017
_SCARD_E_NO_SERVICE = 0x8010001D
_SCARD_E_SERVICE_STOPPED = 0x8010001E
_SCARD_E_UNKNOWN_READER = 0x80100009
_CARD_GONE = {_SCARD_E_NO_SMARTCARD, _SCARD_W_REMOVED_CARD, _SCARD_W_RESET_CARD}
_CARD_GONE |= {_SCARD_W_UNPOWERED_CARD}
_READER_GONE = {_SCARD_E_READER_UNAVAILABLE, _SCARD_E_NO_SERVICE, _SCARD_E_SERVICE_STOPPED}
_READER_GONE |= {_SCARD_E_UNKNOWN_READER}

# LDS files: name -> (FID, EF.COM tag, mandatory). Order is the read order: DG1 first so a
# wrong document fails early, EF.SOD last (it covers the others).
LDS_FILES: dict[str, tuple[int, int | None, bool]] = {
    "EF.COM": (iso.EF_COM, None, True),
    "DG1": (iso.EF_DG1, 0x61, True),
    "DG2": (iso.EF_DG2, 0x75, True),
    "DG14": (iso.EF_DG14, 0x6E, False),
    "DG15": (iso.EF_DG15, 0x6F, False),
    "EF.SOD": (iso.EF_SOD, None, True),
}

# The size cap per LDS file, checked against the length the file's TLV header announces
# before the rest is downloaded. Why these numbers: EF.COM and DG1 are under 100 bytes on
# every document (a tag list and an MRZ); DG15 is an RSA-4096 or EC public key (under 1 KB);
# DG14 holds a few SecurityInfos, even with explicit DH/EC domain parameters a few KB; EF.SOD
# is a CMS SignedData with the DS certificate (2-8 KB; 64 KiB leaves room for an issuer
# that embeds a whole chain); DG2 holds the facial image(s), 15-30 KB per ICAO 9303-9's
# compression guidance, the largest seen under 100 KB: 256 KiB is 2.5 times that. A chip
# that announces more is refused with DRV_EMRTD_FILE_TOO_LARGE after its first READ BINARY.
MAX_LDS_FILE_SIZE: dict[str, int] = {
    "EF.COM": 1024,
    "DG1": 1024,
    "DG2": 256 * 1024,
    "DG14": 16 * 1024,
    "DG15": 8 * 1024,
    "EF.SOD": 64 * 1024,
}
LDS_FILE_TAGS: dict[str, int] = {"EF.COM": 0x60, "DG1": 0x61, "DG2": 0x75, "DG14": 0x6E}
LDS_FILE_TAGS |= {"DG15": 0x6F, "EF.SOD": 0x77}
"""The tag each file must start with (ICAO 9303-10 4.6/4.7; EF.SOD '77')."""
LE_MEMORY_SIZE = 32  # chips whose working Le is remembered (least recently read dropped)

WILDCARD_EXTENDED_LE = 65536  # encoded 0000: "all available", extended
WILDCARD_SHORT_LE = 256  # encoded 00: "all available", short
LE_FALLBACKS = (0xE7, 0xDF)  # the usual short-chip limits under 3DES SM
_REMOVAL_GRACE = 1.5  # seconds to let pcscd notice a removal after an ambiguous failure


# Results -------------------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class ChipRead:
    """Everything one read produced: the raw LDS files by name ("EF.COM", "DG1", ...),
    the document built from them (``None`` when built without LDS parsing) and the
    counts the benchmark reports."""

    files: dict[str, bytes]
    document: IdentityDocument | None
    apdu_count: int
    read_binary_count: int
    le: int  # the READ BINARY Le that worked (65536/256: "all available")
    access_protocol: str
    chip_authentication: ChipAuthentication = ChipAuthentication.NOT_APPLICABLE
    active_authentication: ActiveAuthentication = ActiveAuthentication.NOT_APPLICABLE
    extra: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        sizes = {name: len(data) for name, data in self.files.items()}
        return f"ChipRead(files={sizes}, apdus={self.apdu_count}, <redacted>)"


# The session ---------------------------------------------------------------------------------
class Session:
    """One card session: counts APDUs, keeps the secure channel and the working Le."""

    def __init__(
        self,
        transmit_raw: Callable[[bytes], bytes],
        access: AccessProtocol,
        extended: bool,
        known_le: int | None = None,
    ) -> None:
        self._transmit_raw = transmit_raw
        self._access = access
        self._ladder: list[int] = [WILDCARD_SHORT_LE, *LE_FALLBACKS]
        if extended:
            self._ladder.insert(0, WILDCARD_EXTENDED_LE)
        if known_le is not None:  # this chip was read before: start where that read ended
            self._ladder = [known_le, *(le for le in self._ladder if le < known_le)]
        self._channel: SecureChannel | None = None
        self._selected: int | None = None
        self.apdu_count = 0
        self.read_binary_count = 0

    @property
    def le(self) -> int:
        return self._ladder[0]

    @property
    def has_le(self) -> bool:
        """Whether some Le is still untried (the ladder is empty once all were refused)."""
        return bool(self._ladder)

    def transmit(self, command: iso.CommandApdu) -> bytes:
        self.apdu_count += 1
        if command.ins in (iso.INS_READ_BINARY, iso.INS_READ_BINARY_ODD):
            self.read_binary_count += 1
        return self._transmit_raw(bytes(command))

    def open(self) -> None:
        """SELECT the eMRTD application, then run the access protocol."""
        selected = iso.parse_response(self.transmit(iso.select_application()))
        if selected.sw in (0x6987, 0x6988):
            # The card stayed powered with a session from an earlier read: the plain SELECT
            # ended that session (9303-11 9.8), so the same SELECT now works.
            selected = iso.parse_response(self.transmit(iso.select_application()))
        if selected.sw in (0x6A82, 0x6A86, 0x6D00, 0x6E00):
            raise CardReadFailed(
                f"no eMRTD application (SELECT answered {selected.sw:04X})",
                reason=DRV_EMRTD_NOT_EMRTD,
            )
        expect_ok(selected, "SELECT eMRTD application")
        self._channel = self._access.establish(self.transmit)
        self._selected = None

    def _secure(self, command: iso.CommandApdu) -> tuple[iso.ResponseApdu, bool]:
        """Send under SM; return the response and whether it was authenticated (a bare
        2-byte error status means the chip may have dropped the session)."""
        assert self._channel is not None
        raw = self.transmit(self._channel.protect(command))
        response = self._channel.unprotect(raw)
        return response, len(raw) > 2

    def _recover(self) -> None:
        """After a plain error status the SSCs may differ: re-open, as 9303-11 asks."""
        log.info("secure messaging interrupted; running %s again", self._access.name)
        fid = self._selected
        self.open()
        if fid is not None:
            self.select(fid)

    def select(self, fid: int) -> bool:
        """SELECT EF under SM; ``False`` when the file does not exist (6A82)."""
        response, _ = self._secure(iso.select_file(fid))
        if response.sw == 0x6A82:
            return False
        expect_ok(response, f"SELECT EF {fid:04X}")
        self._selected = fid
        return True

    def read_file(
        self, fid: int, *, name: str = "", tag: int | None = None, limit: int = 1 << 16
    ) -> bytes | None:
        """The whole EF, or ``None`` when absent. The first chunk gives the TLV header:
        its tag must be ``tag`` (``DRV_LDS_TAG``) and its length at most ``limit``
        (``DRV_EMRTD_FILE_TOO_LARGE``) before anything more is read; then chunks of the
        working Le follow until the file is complete."""
        if not self.select(fid):
            return None
        what = name or f"EF {fid:04X}"
        content = bytearray()
        total: int | None = None
        while total is None or len(content) < total:
            chunk = self._read_chunk(len(content), total)
            if not chunk:
                raise ProtocolError(
                    f"READ BINARY of {what} returned no data at offset {len(content)}",
                    raw=bytes(content[:16]),
                    reason=DRV_EMRTD_STATUS,
                )
            content += chunk
            if total is None:
                if tag is not None and content[0] != tag:
                    raise ProtocolError(
                        f"{what} starts with tag {content[0]:02X}, not {tag:02X}",
                        raw=bytes(content[:16]),
                        offset=0,
                        reason=lds.DRV_LDS_TAG,
                    )
                total = _tlv_total_length(bytes(content))
                if total is not None and total > limit:
                    raise ProtocolError(
                        f"{what} announces {total} bytes, more than the {limit} any such "
                        "file needs",
                        raw=bytes(content[:16]),
                        offset=0,
                        reason=DRV_EMRTD_FILE_TOO_LARGE,
                    )
            elif len(content) > limit:  # a header still incomplete after `limit` bytes
                raise ProtocolError(
                    f"{what} exceeds {limit} bytes", raw=bytes(content[:16]),
                    reason=DRV_EMRTD_FILE_TOO_LARGE,
                )  # fmt: skip
        return bytes(content[:total])

    def internal_authenticate(self, challenge: bytes) -> iso.ResponseApdu:
        """Active Authentication's command under secure messaging; the answer as it came
        (a refusal is judged by ``active_auth.check``, not raised here). Le: "all
        available", extended when the chip took extended reads."""
        le = WILDCARD_EXTENDED_LE if self.has_le and self.le > 256 else WILDCARD_SHORT_LE
        response, _authenticated = self._secure(iso.internal_authenticate(challenge, le))
        return response

    def read_lds(self) -> dict[str, bytes]:
        """EF.COM, then the data groups it lists that the kiosk needs, then EF.SOD: every
        file checked by ``read_file`` as it arrives; EF.COM parsed (``DRV_LDS_COM``)."""
        files: dict[str, bytes] = {}
        listed: set[int] = set()
        for file_name, (fid, tag, mandatory) in LDS_FILES.items():
            if tag is not None and not mandatory and tag not in listed:
                continue
            content = self.read_file(
                fid,
                name=file_name,
                tag=LDS_FILE_TAGS[file_name],
                limit=MAX_LDS_FILE_SIZE[file_name],
            )
            if content is None:
                if mandatory:
                    raise CardReadFailed(f"{file_name} missing", reason=DRV_EMRTD_FILE_MISSING)
                continue
            files[file_name] = content
            if file_name == "EF.COM":
                listed = set(lds.parse_com(content).tags)
        return files

    def _read_chunk(self, offset: int, total: int | None) -> bytes:
        while True:
            le = self.le
            odd = offset > 0x7FFF  # 'B1': DO'53' wraps the data, so never trim Le there
            wildcard = le in (WILDCARD_EXTENDED_LE, WILDCARD_SHORT_LE)
            if not wildcard and not odd and total is not None:
                le = min(le, total - offset)
            response, authenticated = self._secure(iso.read_binary(offset, le))
            if response.sw in (0x9000, 0x6282):
                if odd:
                    tlv, _ = read_tlv(response.data)
                    return tlv.value
                return response.data
            if response.sw1 == 0x6C or response.sw == 0x6700:
                self._lower_le(response.sw, offset)
                if not authenticated:
                    self._recover()
                continue
            if response.sw == 0x6B00:  # offset beyond the end: the file is cut short
                raise ProtocolError(
                    f"the file ends at byte {offset}, before the end its TLV header announces"
                    if total is not None
                    else "the file is empty",
                    raw=response.to_bytes(),
                    offset=offset,
                    reason=lds.DRV_LDS_STRUCTURE,
                )
            raise ProtocolError(
                f"READ BINARY at {offset} answered {response.sw:04X}",
                raw=response.to_bytes(),
                reason=DRV_EMRTD_STATUS,
            )

    def _lower_le(self, sw: int, offset: int) -> None:
        tried = self._ladder.pop(0)
        if sw >> 8 == 0x6C:
            exact = (sw & 0xFF) or 256
            if exact < tried:
                self._ladder.insert(0, exact)
        if not self._ladder:
            raise ProtocolError(
                f"the chip refused every READ BINARY length (last {tried}) at {offset}",
                raw=sw.to_bytes(2, "big"),
                reason=DRV_EMRTD_LENGTH,
            )
        log.info("READ BINARY Le %d refused (%04X); trying %d", tried, sw, self.le)


def _tlv_total_length(prefix: bytes) -> int | None:
    """Length of the whole top-level TLV whose first bytes are ``prefix``; ``None`` when
    the header is not complete yet."""
    try:
        _tlv, end = read_tlv(prefix)
        return end
    except ProtocolError:
        pass
    # Header complete but value truncated: compute from the header alone.
    index = 1
    if prefix[0] & 0x1F == 0x1F:
        while index < len(prefix) and prefix[index] & 0x80:
            index += 1
        index += 1
    if index >= len(prefix):
        return None
    first = prefix[index]
    if first < 0x80:
        return index + 1 + first
    count = first & 0x7F
    if count == 0 or count > 4:
        raise ProtocolError(
            "LDS file has no definite length",
            raw=prefix[:8],
            offset=index,
            reason=lds.DRV_LDS_STRUCTURE,
        )
    if index + 1 + count > len(prefix):
        return None
    return index + 1 + count + int.from_bytes(prefix[index + 1 : index + 1 + count])


# The reader ----------------------------------------------------------------------------------
class PcscPassportReader(OpenCloseContext):
    """``drivers.document.DocumentReader`` for ICAO eMRTDs on a PC/SC contactless reader.

    ``reader``: a substring of the PC/SC reader name (``None``: the first reader).
    ``csca_dir``: trusted CSCA certificates for passive authentication (``None``: no trust
    store, so ``UNKNOWN_CSCA`` at best). ``extended_length``: try extended Le first
    (default). ``access_protocol``: instead of ``set_access_key`` (PACE, later).
    ``clock``: the time certificates are checked at (aware datetime; default now, UTC).
    """

    name = "pcsc-emrtd"

    def __init__(
        self,
        reader: str | None = None,
        *,
        csca_dir: Path | None = None,
        extended_length: bool = True,
        access_protocol: AccessProtocol | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.reader_filter = reader
        self.csca_dir = csca_dir
        self.extended_length = extended_length
        self._access = access_protocol
        self._mrz_information: str | None = None
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._reader: Any = None
        self._context: Any = None
        self._lock = threading.Lock()
        self.last_read: ChipRead | None = None
        self._le_memory: OrderedDict[bytes, int] = OrderedDict()
        self._trust_cache: tuple[tuple[tuple[str, int, int], ...], passive_auth.TrustStore] | None
        self._trust_cache = None
        self._le_salt = os.urandom(16)  # the memory's keys mean nothing outside this process

    # DocumentReader ---------------------------------------------------------------------------
    def open(self) -> None:
        """Find the reader and open a PC/SC context for presence polling."""
        from smartcard import scard
        from smartcard.Exceptions import ListReadersException
        from smartcard.System import readers

        try:
            available = readers()
        except ListReadersException as exc:
            raise ReaderUnavailable(f"PC/SC reader list unavailable: {exc}") from exc
        matching = [
            r for r in available if self.reader_filter is None or self.reader_filter in str(r)
        ]
        if not matching:
            names = [str(r) for r in available]
            raise ReaderUnavailable(f"no PC/SC reader matching {self.reader_filter!r} in {names}")
        self._reader = matching[0]
        rv, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if rv != scard.SCARD_S_SUCCESS:
            raise ReaderUnavailable(f"SCardEstablishContext failed: {rv & 0xFFFFFFFF:08X}")
        self._context = context

    def close(self) -> None:
        """Release the PC/SC context (before pcscd stops, or libpcsclite complains)."""
        from smartcard import scard

        if self._context is not None:
            scard.SCardReleaseContext(self._context)
            self._context = None

    @property
    def reader_name(self) -> str:
        return str(self._reader) if self._reader is not None else ""

    def card_present(self) -> bool:
        """Whether a card is in the field now (SCardGetStatusChange, no wait)."""
        return self._wait_state(present=True, timeout=0.0)

    def wait_for_card(self, timeout: float) -> bool:
        """Block until a card is present or ``timeout`` seconds pass."""
        return self._wait_state(present=True, timeout=timeout)

    def wait_for_removal(self, timeout: float) -> bool:
        """Block until the card left the field or ``timeout`` seconds pass."""
        return self._wait_state(present=False, timeout=timeout)

    def _wait_state(self, *, present: bool, timeout: float) -> bool:
        from smartcard import scard

        if self._context is None:
            raise ReaderUnavailable("reader not open")
        deadline = time.monotonic() + timeout
        state = scard.SCARD_STATE_UNAWARE
        while True:
            remaining_ms = max(0, int((deadline - time.monotonic()) * 1000))
            rv, states = scard.SCardGetStatusChange(
                self._context,
                remaining_ms if state != scard.SCARD_STATE_UNAWARE else 0,
                [(self.reader_name, state)],
            )
            if rv == scard.SCARD_E_TIMEOUT:
                return False
            if rv != scard.SCARD_S_SUCCESS:
                raise ReaderUnavailable(f"SCardGetStatusChange failed: {rv & 0xFFFFFFFF:08X}")
            _name, event_state, _atr = states[0]
            if event_state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE):
                raise ReaderUnavailable(f"reader {self.reader_name!r} is gone")
            is_present = bool(event_state & scard.SCARD_STATE_PRESENT) and not (
                event_state & scard.SCARD_STATE_MUTE
            )
            if is_present == present:
                return True
            if time.monotonic() >= deadline:
                return False
            state = event_state & ~scard.SCARD_STATE_CHANGED

    def set_access_key(self, mrz_information: str) -> None:
        """Use BAC with this ``MRZ_information`` (``drivers.mrz.mrz_information``) for the
        next reads. The kiosk gets it from an MRZ swipe or the on-screen keyboard."""
        self._access = BasicAccessControl(mrz_information)
        self._mrz_information = mrz_information

    def clear_access_key(self) -> None:
        """Forget the key (it is personal data: the holder's number and dates) when the
        session that typed it ends."""
        self._access = None
        self._mrz_information = None

    def read(self) -> IdentityDocument:
        """Read the document on the reader; everything or a typed error."""
        result = self.read_chip()
        assert result.document is not None
        return result.document

    def read_chip(self, *, build_document: bool = True) -> ChipRead:
        """Read every LDS file the kiosk needs and, with ``build_document``, parse them,
        check the MRZ against the access key and run passive authentication."""
        if self._access is None:
            raise DriverError(
                "no MRZ information: ask for the MRZ before reading the chip",
                reason=DRV_EMRTD_NO_ACCESS_KEY,
            )
        if self._reader is None:
            raise ReaderUnavailable("reader not open")
        with self._lock:
            files, session, exchange = self._read_files(self._access)
        document = None
        status = ChipAuthentication.NOT_APPLICABLE
        if build_document:
            document, status = self._build_document(files, exchange)
        result = ChipRead(
            files=files,
            document=document,
            apdu_count=session.apdu_count,
            read_binary_count=session.read_binary_count,
            le=session.le,
            access_protocol=self._access.name,
            chip_authentication=status,
            active_authentication=(
                document.active_authentication
                if document is not None
                else ActiveAuthentication.NOT_APPLICABLE
            ),
        )
        self.last_read = result
        log.info("eMRTD read: %d APDUs, Le %d, files %s", result.apdu_count, result.le, list(files))
        return result

    # Card I/O ---------------------------------------------------------------------------------
    def _read_files(
        self, access: AccessProtocol
    ) -> tuple[dict[str, bytes], Session, tuple[bytes, iso.ResponseApdu] | None]:
        """The LDS files and, when the chip has DG15, its answer to Active Authentication's
        challenge (sent in the same session, after the files: a chip that fails it has
        still given everything the log and the technician need)."""
        from smartcard.Exceptions import CardConnectionException, NoCardException

        connection = self._reader.createConnection()
        try:
            connection.connect()
        except NoCardException as exc:
            raise NoCard("no document on the reader") from exc
        except CardConnectionException as exc:
            raise self._map_transport_error(exc) from exc
        chip = self._chip_key(connection, access)
        session = Session(
            self._transmitter(connection), access, self.extended_length, self._le_memory.get(chip)
        )
        try:
            session.open()
            files = session.read_lds()
            exchange = None
            if "DG15" in files:
                challenge = os.urandom(active_auth.CHALLENGE_SIZE)  # RND.IFD, fresh per read
                exchange = (challenge, session.internal_authenticate(challenge))
            return files, session, exchange
        finally:
            self._remember_le(chip, session.le if session.has_le else None)
            try:
                connection.disconnect()
            except Exception:  # the card may be gone already; nothing to release then
                log.debug("disconnect after read failed", exc_info=True)
            release = getattr(connection, "release", None)
            if release is not None:
                release()

    def _transmitter(self, connection: Any) -> Callable[[bytes], bytes]:
        from smartcard.Exceptions import CardConnectionException

        def transmit(raw: bytes) -> bytes:
            try:
                data, sw1, sw2 = connection.transmit(list(raw))
            except CardConnectionException as exc:
                raise self._map_transport_error(exc) from exc
            return bytes(data) + bytes([sw1, sw2])

        return transmit

    def _map_transport_error(self, exc: Exception) -> DriverError:
        """pyscard errors -> CardRemoved / ReaderUnavailable. When the code is ambiguous
        (an empty answer, 'not transacted': the field was lost mid-APDU, but the reader has
        not reported it yet), presence decides."""
        code = getattr(exc, "hresult", -1) & 0xFFFFFFFF
        if code in _CARD_GONE:
            return CardRemoved(f"card left the reader ({code:08X})")
        if code in _READER_GONE:
            return ReaderUnavailable(f"reader unavailable ({code:08X})")
        try:  # pcscd learns of a removal on its next poll of the reader: give it a moment
            removed = self.wait_for_removal(_REMOVAL_GRACE)
        except ReaderUnavailable as gone:
            return gone
        if removed:
            return CardRemoved(f"card left the reader ({code:08X}: {exc})")
        return CardReadFailed(f"PC/SC transmit failed ({code:08X}: {exc})")

    # The CSCA trust store -----------------------------------------------------------------------
    def _trust_store(self) -> passive_auth.TrustStore | None:
        """The CSCA directory, loaded again only when its files change; a file that is not a
        certificate is logged once when the directory is loaded, not at every read."""
        if self.csca_dir is None:
            return None
        try:
            listing = tuple(
                (entry.name, entry.stat().st_mtime_ns, entry.stat().st_size)
                for entry in sorted(Path(self.csca_dir).iterdir())
            )
        except OSError:  # missing directory: load_trust_store raises DRV_PA_TRUST_STORE
            listing = ()
        if self._trust_cache is None or self._trust_cache[0] != listing:
            store = passive_auth.load_trust_store(self.csca_dir)
            for problem in store.problems:
                log.warning("CSCA trust store %s: skipped %s", self.csca_dir, problem)
            self._trust_cache = (listing, store)
        return self._trust_cache[1]

    # The working Le, per chip ------------------------------------------------------------------
    def _chip_key(self, connection: Any, access: AccessProtocol) -> bytes:
        """Which chip this is, before any APDU: its ATR (the chip platform, which sets its
        Le limits) and the access key that opens it (the document), salted and hashed so
        the memory holds no MRZ information."""
        try:
            atr = bytes(connection.getATR())
        except Exception:  # an ATR is not essential: the memory then keys on the document
            atr = b""
        document = (self._mrz_information or access.name).encode()
        return hashlib.sha256(self._le_salt + atr + b"\x00" + document).digest()

    def _remember_le(self, chip: bytes, le: int | None) -> None:
        if le is None:  # every length was refused: nothing worth remembering
            return
        self._le_memory[chip] = le
        self._le_memory.move_to_end(chip)
        while len(self._le_memory) > LE_MEMORY_SIZE:
            self._le_memory.popitem(last=False)

    # Building the document --------------------------------------------------------------------
    def _build_document(
        self, files: dict[str, bytes], exchange: tuple[bytes, iso.ResponseApdu] | None = None
    ) -> tuple[IdentityDocument, ChipAuthentication]:
        """DG1 -> the identity fields, DG2 -> the portrait, EF.SOD -> passive authentication,
        DG15 and the chip's answer -> Active Authentication.

        The DG1 MRZ must give the MRZ information BAC used: the chip opened with those keys,
        so a mismatch means a chip whose DG1 does not belong to it (or an entry that happens
        to collide), and the read is refused with ``DRV_EMRTD_MRZ_MISMATCH``.

        A chip with DG15 must pass Active Authentication, its DG15 covered by the validly
        signed SOD; otherwise the read is refused (``DRV_EMRTD_CLONE_SUSPECTED``,
        ``DRV_EMRTD_AA_KEY_NOT_SIGNED``, ``DRV_AA_PUBLIC_KEY``): a copy of a genuine
        passport's data passes passive authentication, and this is what tells it apart."""
        from drivers.mrz import mrz_information

        mrz = lds.parse_dg1(files["DG1"], today=self._clock().date()).mrz
        if self._mrz_information is not None and mrz_information(mrz) != self._mrz_information:
            raise DocumentInvalid(
                "the chip's MRZ differs from the MRZ used to open it",
                field="mrz",
                reason=DRV_EMRTD_MRZ_MISMATCH,
            )
        faces = lds.parse_dg2(files["DG2"]).faces
        data_groups = {int(name[2:]): data for name, data in files.items() if name.startswith("DG")}
        extra = {"access_protocol": self._access.name if self._access else ""}
        outcome: passive_auth.PassiveAuthResult | None = None
        try:
            outcome = passive_auth.passive_authentication(
                files["EF.SOD"], data_groups, trust_store=self._trust_store(), at=self._clock()
            )
            status = outcome.status
            if outcome.reasons:
                extra["passive_authentication_reasons"] = ",".join(outcome.reasons)
        except DriverError as exc:  # a malformed SOD is a failed check, not a failed read
            status = ChipAuthentication.FAILED
            extra["passive_authentication_reasons"] = exc.reason
        active = ActiveAuthentication.NOT_SUPPORTED
        if "DG15" in files:
            active, extra["active_authentication_algorithm"] = self._active_authentication(
                files, exchange, outcome
            )
        base = mrz.to_identity_document()
        document = dataclasses.replace(
            base,
            portrait=faces[0].image if faces else b"",
            portrait_format=faces[0].image_format.value if faces else "",
            chip_authentication=status,
            active_authentication=active,
            extra={**base.extra, **extra},
        )
        return document, status

    @staticmethod
    def _active_authentication(
        files: dict[str, bytes],
        exchange: tuple[bytes, iso.ResponseApdu] | None,
        outcome: passive_auth.PassiveAuthResult | None,
    ) -> tuple[ActiveAuthentication, str]:
        """PASSED and the algorithm, or the refusal raised as ``DocumentInvalid``."""
        if exchange is None:  # DG15 came without a challenge: only a caller's bug does that
            raise DocumentInvalid(
                "no Active Authentication answer for a chip with DG15",
                field="active_authentication",
                reason=active_auth.DRV_EMRTD_CLONE_SUSPECTED,
            )
        challenge, response = exchange
        dg15 = outcome.data_group(15) if outcome is not None else None
        signed = (
            outcome is not None
            and outcome.signature is passive_auth.SignatureStatus.VALID
            and dg15 is not None
            and dg15.status is passive_auth.DataGroupStatus.MATCH
        )
        result = active_auth.check(
            files["DG15"],
            challenge,
            response.sw,
            response.data,
            dg15_signed=signed,
            dg14=files.get("DG14"),
        )
        if result.status is not ActiveAuthentication.PASSED:
            log.warning("Active Authentication failed: %s (%s)", result.reason, result.message)
            raise DocumentInvalid(
                result.message, field="active_authentication", reason=result.reason
            )
        log.info("Active Authentication passed (%s)", result.algorithm)
        return result.status, result.algorithm
