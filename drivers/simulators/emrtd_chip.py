"""An ICAO 9303 eMRTD chip (LDS1, BAC, 3DES secure messaging) as an APDU handler.

Why: Debian's ``vicc -t ePass`` is broken under Python 3 and has no EF.SOD, so the reader
could never be tested end to end. ``EmrtdChip`` is a callable ``bytes -> bytes`` that sits
behind ``drivers.simulators.vicc.VirtualICC`` (real pcscd through vpcd) or is driven
in-process by the reader-side codecs. It reuses those codecs (``bac``, ``iso9797``,
``tlv``); the chip side of secure messaging is their mirror and lives here (``_ChipSm``).

What it answers, in the standard's words (ICAO 9303-10/-11, ISO/IEC 7816-4):

* SELECT by DF name (the eMRTD application), SELECT MF, SELECT EF by FID.
* GET CHALLENGE (8 bytes) and MUTUAL AUTHENTICATE (INS '82') of Basic Access Control,
  with the keys from the MRZ; ``6300`` when the terminal's cryptogram does not verify.
* After BAC every command must be protected: an unprotected one is refused with ``6987``,
  a wrong MAC or malformed data objects with ``6988``; both end the session (the terminal
  must run BAC again), as 9303-11 9.8 asks. Other statuses are returned protected.
* READ BINARY ('B0' with offset or short EF identifier, 'B1' with DO'54' offsets beyond
  32767), short and extended Le up to ``max_le``; ``6982`` before BAC, ``6A82`` file not
  found, ``6B00`` offset beyond the end, ``6700`` wrong length (Le above ``max_le``, or an
  extended APDU on a chip that only takes short ones), ``6282`` end of file reached early.

* INTERNAL AUTHENTICATE ('88') of Active Authentication (9303-11 6.1), after BAC only: the
  8-byte challenge signed with ``aa_key``, RSA as ISO/IEC 9796-2 scheme 1 (a fresh random
  M1 per signature) or ECDSA in the plain format; ``6D00`` on a chip without a key,
  ``6700`` for a challenge that is not 8 bytes.

``clone()`` plays a cloned passport: the same files (DG15 included, so passive
authentication still passes) on a chip that does not have the private key, which it cannot
read out of the genuine one. It signs with a key of its own, so its answers do not verify
against DG15.

The handler never raises (a bug answers ``6F00``) unless ``strict`` is set, which the fuzz
tests use so an emulator bug cannot hide behind a status word.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from drivers.emrtd import active_auth
from drivers.emrtd.apdu import (
    EMRTD_AID,
    INS_EXTERNAL_AUTHENTICATE,
    INS_GET_CHALLENGE,
    INS_INTERNAL_AUTHENTICATE,
    INS_READ_BINARY,
    INS_READ_BINARY_ODD,
    INS_SELECT,
)
from drivers.emrtd.bac import (
    KeyPair,
    derive_keys,
    document_basic_access_keys,
    send_sequence_counter,
    session_key_seed,
)
from drivers.emrtd.iso9797 import (
    BLOCK_SIZE,
    pad,
    retail_mac,
    tdes_cbc_decrypt,
    tdes_cbc_encrypt,
    unpad,
)
from drivers.emrtd.tlv import encode_tlv, parse_tlvs
from drivers.errors import ProtocolError

# Status words (ISO/IEC 7816-4 5.6) the chip answers.
SW_OK = 0x9000
SW_END_OF_FILE = 0x6282  # end of file reached before reading Ne bytes
SW_AUTHENTICATION_FAILED = 0x6300
SW_WRONG_LENGTH = 0x6700
SW_SM_DATA_MISSING = 0x6987  # expected secure messaging data objects missing
SW_SM_DATA_INCORRECT = 0x6988  # secure messaging data objects incorrect
SW_SECURITY_NOT_SATISFIED = 0x6982
SW_CONDITIONS_NOT_SATISFIED = 0x6985
SW_WRONG_DATA = 0x6A80
SW_FILE_NOT_FOUND = 0x6A82
SW_WRONG_P1P2 = 0x6A86
SW_WRONG_OFFSET = 0x6B00
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00
SW_NO_PRECISE_DIAGNOSIS = 0x6F00

SHORT_MAX_LE = 0xE7
"""The largest plain Le whose protected response still fits a short APDU (256 bytes):
231 bytes pad to 232, plus DO'87' header, DO'99' and DO'8E'."""
EXTENDED_MAX_LE = 65511
"""The largest plain Le whose protected response (plus SW) fits one vpcd message
(65535 bytes): 65511 pads to 65512, plus 19 bytes of data objects and 2 of status."""

MASTER_FILE = 0x3F00
_SM_CLA = 0x0C


class _Status(Exception):
    """Internal: abort the command with this status word."""

    def __init__(self, sw: int) -> None:
        super().__init__(f"{sw:04X}")
        self.sw = sw


@dataclass(frozen=True)
class ParsedCommand:
    """A command APDU as the chip sees it. ``ne`` is the expected response length
    (256/65536 for a zero Le, ``None`` when absent); ``extended`` tells the encoding."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes
    ne: int | None
    extended: bool


def parse_command(raw: bytes) -> ParsedCommand:
    """Decode the four ISO 7816-3 cases, short and extended. Raises ``_Status(6700)`` for
    a body that matches none of them."""
    if len(raw) < 4:
        raise _Status(SW_WRONG_LENGTH)
    cla, ins, p1, p2 = raw[:4]
    body = raw[4:]
    if not body:  # case 1
        return ParsedCommand(cla, ins, p1, p2, b"", None, False)
    if len(body) == 1:  # case 2S
        return ParsedCommand(cla, ins, p1, p2, b"", body[0] or 256, False)
    if body[0] != 0:  # case 3S / 4S
        lc = body[0]
        if len(body) == 1 + lc:
            return ParsedCommand(cla, ins, p1, p2, body[1:], None, False)
        if len(body) == 2 + lc:
            return ParsedCommand(cla, ins, p1, p2, body[1 : 1 + lc], body[-1] or 256, False)
        raise _Status(SW_WRONG_LENGTH)
    if len(body) == 3:  # case 2E
        return ParsedCommand(cla, ins, p1, p2, b"", int.from_bytes(body[1:3]) or 65536, True)
    if len(body) < 3:
        raise _Status(SW_WRONG_LENGTH)
    lc = int.from_bytes(body[1:3])
    if lc == 0:
        raise _Status(SW_WRONG_LENGTH)
    if len(body) == 3 + lc:  # case 3E
        return ParsedCommand(cla, ins, p1, p2, body[3:], None, True)
    if len(body) == 5 + lc:  # case 4E
        ne = int.from_bytes(body[-2:]) or 65536
        return ParsedCommand(cla, ins, p1, p2, body[3 : 3 + lc], ne, True)
    raise _Status(SW_WRONG_LENGTH)


class _ChipSm:
    """The chip's half of 3DES secure messaging (ICAO 9303-11 9.8): the mirror image of
    ``drivers.emrtd.secure_messaging.SecureMessaging``."""

    def __init__(self, keys: KeyPair, ssc: bytes) -> None:
        self._keys = keys
        self._ssc = int.from_bytes(ssc, "big")

    def _next_ssc(self) -> bytes:
        self._ssc = (self._ssc + 1) % (1 << 64)
        return self._ssc.to_bytes(8, "big")

    def unwrap(self, command: ParsedCommand) -> tuple[bytes, int | None]:
        """Verify DO'8E' and return (plain command data, plain Ne). Raises ``_Status``
        6987 (objects missing) or 6988 (incorrect)."""
        ssc = self._next_ssc()
        try:
            objects = parse_tlvs(command.data)
        except ProtocolError:
            raise _Status(SW_SM_DATA_INCORRECT) from None
        if not objects or objects[-1].tag != 0x8E:
            raise _Status(SW_SM_DATA_MISSING)
        mac_do = objects[-1]
        covered = command.data[: mac_do.offset]
        header = bytes([command.cla, command.ins, command.p1, command.p2])
        expected = retail_mac(self._keys.k_mac, ssc + pad(header) + covered)
        if len(mac_do.value) != 8 or not hmac.compare_digest(expected, mac_do.value):
            raise _Status(SW_SM_DATA_INCORRECT)
        data = b""
        ne: int | None = None
        for obj in objects[:-1]:
            if obj.tag in (0x87, 0x85):
                cryptogram = obj.value
                if obj.tag == 0x87:
                    if not cryptogram or cryptogram[0] != 0x01:
                        raise _Status(SW_SM_DATA_INCORRECT)
                    cryptogram = cryptogram[1:]
                if not cryptogram or len(cryptogram) % BLOCK_SIZE:
                    raise _Status(SW_SM_DATA_INCORRECT)
                try:
                    data = unpad(tdes_cbc_decrypt(self._keys.k_enc, cryptogram))
                except ValueError:
                    raise _Status(SW_SM_DATA_INCORRECT) from None
            elif obj.tag == 0x97:
                if len(obj.value) == 1:
                    ne = obj.value[0] or 256
                elif len(obj.value) == 2:
                    ne = int.from_bytes(obj.value) or 65536
                else:
                    raise _Status(SW_SM_DATA_INCORRECT)
            else:
                raise _Status(SW_SM_DATA_INCORRECT)
        return data, ne

    def wrap(self, data: bytes, sw: int, odd_ins: bool) -> bytes:
        """The protected response: DO'87' (or '85' for odd INS), DO'99', DO'8E', SW."""
        objects = b""
        if data:
            cryptogram = tdes_cbc_encrypt(self._keys.k_enc, pad(data))
            if odd_ins:
                objects += encode_tlv(0x85, cryptogram)
            else:
                objects += encode_tlv(0x87, b"\x01" + cryptogram)
        objects += encode_tlv(0x99, sw.to_bytes(2, "big"))
        mac = retail_mac(self._keys.k_mac, self._next_ssc() + objects)
        return objects + encode_tlv(0x8E, mac) + sw.to_bytes(2, "big")


class EmrtdChip:
    """An eMRTD chip holding ``files`` (FID -> bytes) and the BAC keys of ``mrz_information``.

    ``max_le``: the largest Ne READ BINARY serves (``SHORT_MAX_LE`` for a chip limited to
    short APDUs, up to ``EXTENDED_MAX_LE``); ``extended_length``: whether extended APDUs
    are accepted at all (default: when ``max_le`` needs them). ``wildcard_le``: a zero Le
    (Ne 256/65536, "as much as available") is served up to ``max_le`` rather than refused.
    ``oversize_le_sw``: what an Ne above ``max_le`` gets (``6700``, or e.g. ``6CE7`` to say
    the right length). ``rng`` draws RND.IC and K.IC. ``on_read_binary`` is called with the
    running count of READ BINARY commands (tests use it to pull the card mid-read).
    ``aa_key``: the Active Authentication private key (its public half belongs in DG15);
    ``aa_hash``: the hash it signs with (RSA: named in the 9796-2 trailer; ECDSA: the one
    DG14's ActiveAuthenticationInfo names).
    """

    def __init__(
        self,
        files: Mapping[int, bytes],
        mrz_information: str,
        *,
        max_le: int = SHORT_MAX_LE,
        extended_length: bool | None = None,
        wildcard_le: bool = True,
        oversize_le_sw: int = SW_WRONG_LENGTH,
        rng: Callable[[int], bytes] = os.urandom,
        on_read_binary: Callable[[int], None] | None = None,
        strict: bool = False,
        aa_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | None = None,
        aa_hash: str | None = None,
    ) -> None:
        if not 1 <= max_le <= EXTENDED_MAX_LE:
            raise ValueError(f"max_le must be 1..{EXTENDED_MAX_LE}")
        self.files = dict(files)
        self.max_le = max_le
        self.extended_length = max_le > SHORT_MAX_LE if extended_length is None else extended_length
        self.wildcard_le = wildcard_le
        self.oversize_le_sw = oversize_le_sw
        self.on_read_binary = on_read_binary
        self.strict = strict
        self._keys = document_basic_access_keys(mrz_information)
        self._mrz_information = mrz_information
        self._rng = rng
        self.aa_key = aa_key
        self.aa_hash = aa_hash or ("sha1" if isinstance(aa_key, rsa.RSAPrivateKey) else "sha256")
        self.command_count = 0
        self.read_binary_count = 0
        self.internal_authenticate_count = 0
        self.reset()

    def clone(self) -> EmrtdChip:
        """A cloned passport: these files, this MRZ's BAC keys and limits, but not the
        private key. The clone answers INTERNAL AUTHENTICATE with a key of its own (of the
        same kind and size, so its answers look right) that does not match DG15."""
        key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | None = None
        if isinstance(self.aa_key, rsa.RSAPrivateKey):
            key = rsa.generate_private_key(public_exponent=65537, key_size=self.aa_key.key_size)
        elif isinstance(self.aa_key, ec.EllipticCurvePrivateKey):
            key = ec.generate_private_key(self.aa_key.curve)
        return EmrtdChip(
            self.files,
            self._mrz_information,
            max_le=self.max_le,
            extended_length=self.extended_length,
            wildcard_le=self.wildcard_le,
            oversize_le_sw=self.oversize_le_sw,
            rng=self._rng,
            strict=self.strict,
            aa_key=key,
            aa_hash=self.aa_hash,
        )

    def reset(self) -> None:
        """Power-on state: nothing selected, no challenge, no session."""
        self._application_selected = False
        self._selected_fid: int | None = None
        self._rnd_ic: bytes | None = None
        self._sm: _ChipSm | None = None

    @property
    def authenticated(self) -> bool:
        """True while a BAC secure messaging session is open."""
        return self._sm is not None

    # The handler --------------------------------------------------------------------------
    def __call__(self, apdu: bytes) -> bytes:
        self.command_count += 1
        try:
            return self._handle(bytes(apdu))
        except _Status as status:
            return status.sw.to_bytes(2, "big")
        except Exception:
            if self.strict:
                raise
            self._sm = None
            return SW_NO_PRECISE_DIAGNOSIS.to_bytes(2, "big")

    def _handle(self, raw: bytes) -> bytes:
        command = parse_command(raw)
        if command.extended and not self.extended_length:
            self._abort_sm()
            raise _Status(SW_WRONG_LENGTH)
        if command.cla & 0xF0 not in (0x00,) or command.cla & 0x03:
            raise _Status(SW_CLA_NOT_SUPPORTED)
        protected = bool(command.cla & _SM_CLA)
        if self._sm is None:
            if protected:
                raise _Status(SW_SM_DATA_INCORRECT)
            data, sw = self._execute(command.ins, command.p1, command.p2, command.data, command.ne)
            return data + sw.to_bytes(2, "big")
        if not protected:
            self._abort_sm()
            raise _Status(SW_SM_DATA_MISSING)
        sm = self._sm
        try:
            data, ne = sm.unwrap(command)
        except _Status:
            self._abort_sm()
            raise
        data, sw = self._execute(command.ins, command.p1, command.p2, data, ne)
        return sm.wrap(data, sw, odd_ins=bool(command.ins & 1))

    def _abort_sm(self) -> None:
        """An SM error ends the session and its access rights (9303-11 9.8.6)."""
        if self._sm is not None:
            self._sm = None
            self._selected_fid = None

    def _execute(
        self, ins: int, p1: int, p2: int, data: bytes, ne: int | None
    ) -> tuple[bytes, int]:
        try:
            if ins == INS_SELECT:
                return self._select(p1, p2, data)
            if ins == INS_GET_CHALLENGE:
                return self._get_challenge(p1, p2, ne)
            if ins == INS_EXTERNAL_AUTHENTICATE:
                return self._mutual_authenticate(p1, p2, data, ne)
            if ins in (INS_READ_BINARY, INS_READ_BINARY_ODD):
                return self._read_binary(ins, p1, p2, data, ne)
            if ins == INS_INTERNAL_AUTHENTICATE:
                return self._internal_authenticate(p1, p2, data, ne)
            return b"", SW_INS_NOT_SUPPORTED
        except _Status as status:
            return b"", status.sw

    # Commands ---------------------------------------------------------------------------------
    def _select(self, p1: int, p2: int, data: bytes) -> tuple[bytes, int]:
        if p2 not in (0x00, 0x0C):
            return b"", SW_WRONG_P1P2
        if p1 == 0x04:  # by DF name
            if data != EMRTD_AID:
                return b"", SW_FILE_NOT_FOUND
            self._application_selected = True
            self._selected_fid = None
            return b"", SW_OK
        if p1 == 0x00 and data in (b"", MASTER_FILE.to_bytes(2, "big")):
            self._application_selected = False
            self._selected_fid = None
            return b"", SW_OK
        if p1 in (0x00, 0x02):  # EF by FID (under the current DF)
            if len(data) != 2:
                return b"", SW_WRONG_LENGTH
            fid = int.from_bytes(data)
            if not self._application_selected or fid not in self.files:
                return b"", SW_FILE_NOT_FOUND
            if self._sm is None:
                return b"", SW_SECURITY_NOT_SATISFIED
            self._selected_fid = fid
            return b"", SW_OK
        return b"", SW_WRONG_P1P2

    def _get_challenge(self, p1: int, p2: int, ne: int | None) -> tuple[bytes, int]:
        if p1 or p2:
            return b"", SW_WRONG_P1P2
        if ne != 8:
            return b"", SW_WRONG_LENGTH
        self._rnd_ic = self._rng(8)
        return self._rnd_ic, SW_OK

    def _mutual_authenticate(
        self, p1: int, p2: int, data: bytes, ne: int | None
    ) -> tuple[bytes, int]:
        if p1 or p2:
            return b"", SW_WRONG_P1P2
        if len(data) != 40:
            return b"", SW_WRONG_LENGTH
        rnd_ic, self._rnd_ic = self._rnd_ic, None  # one challenge, one attempt
        if rnd_ic is None:
            return b"", SW_CONDITIONS_NOT_SATISFIED
        e_ifd, m_ifd = data[:32], data[32:]
        if not hmac.compare_digest(retail_mac(self._keys.k_mac, e_ifd), m_ifd):
            return b"", SW_AUTHENTICATION_FAILED
        plain = tdes_cbc_decrypt(self._keys.k_enc, e_ifd)
        rnd_ifd, echoed_rnd_ic, k_ifd = plain[:8], plain[8:16], plain[16:32]
        if not hmac.compare_digest(echoed_rnd_ic, rnd_ic):
            return b"", SW_AUTHENTICATION_FAILED
        k_ic = self._rng(16)
        e_ic = tdes_cbc_encrypt(self._keys.k_enc, rnd_ic + rnd_ifd + k_ic)
        session_keys = derive_keys(session_key_seed(k_ifd, k_ic))
        self._sm = _ChipSm(session_keys, send_sequence_counter(rnd_ic, rnd_ifd))
        self._selected_fid = None
        return e_ic + retail_mac(self._keys.k_mac, e_ic), SW_OK

    def _read_binary(
        self, ins: int, p1: int, p2: int, data: bytes, ne: int | None
    ) -> tuple[bytes, int]:
        self.read_binary_count += 1
        if self.on_read_binary is not None:
            self.on_read_binary(self.read_binary_count)
        if self._sm is None:
            return b"", SW_SECURITY_NOT_SATISFIED
        if ins == INS_READ_BINARY_ODD:
            offset = self._odd_offset(p1, p2, data)
        elif p1 & 0x80:  # short EF identifier in P1, offset in P2
            sfi = p1 & 0x1F
            fid = next((f for f in self.files if f >> 8 == 0x01 and f & 0x1F == sfi), None)
            if p1 & 0x60 or fid is None or not self._application_selected:
                return b"", SW_FILE_NOT_FOUND
            self._selected_fid = fid
            offset = p2
        else:
            offset = (p1 << 8) | p2
        if self._selected_fid is None:
            return b"", SW_CONDITIONS_NOT_SATISFIED
        if ne is None:
            return b"", SW_WRONG_LENGTH
        wildcard = ne in (256, 65536)
        if ne > self.max_le and not (wildcard and self.wildcard_le):
            return b"", self.oversize_le_sw
        content = self.files[self._selected_fid]
        if offset >= len(content):
            return b"", SW_WRONG_OFFSET
        limit = min(ne, self.max_le)
        if ins == INS_READ_BINARY_ODD:  # the data travels in DO'53': leave room for its header
            size = min(len(content) - offset, limit - 2)
            while size > 0 and len(encode_tlv(0x53, bytes(size))) > limit:
                size -= 1
            if size <= 0:
                return b"", SW_WRONG_LENGTH
            return encode_tlv(0x53, content[offset : offset + size]), SW_OK
        chunk = content[offset : offset + limit]
        sw = SW_END_OF_FILE if len(chunk) < ne and not wildcard else SW_OK
        return chunk, sw

    def _internal_authenticate(
        self, p1: int, p2: int, data: bytes, ne: int | None
    ) -> tuple[bytes, int]:
        """Active Authentication: sign the terminal's challenge (ICAO 9303-11 6.1)."""
        self.internal_authenticate_count += 1
        if self.aa_key is None:
            return b"", SW_INS_NOT_SUPPORTED
        if self._sm is None:
            return b"", SW_SECURITY_NOT_SATISFIED
        if p1 or p2:
            return b"", SW_WRONG_P1P2
        if len(data) != active_auth.CHALLENGE_SIZE or ne is None:
            return b"", SW_WRONG_LENGTH
        if isinstance(self.aa_key, rsa.RSAPrivateKey):
            m1 = self._rng(active_auth.recoverable_size(self.aa_key.key_size, self.aa_hash))
            signature = active_auth.sign_rsa(self.aa_key, data, m1, self.aa_hash)
        else:
            signature = active_auth.sign_ecdsa(self.aa_key, data, self.aa_hash)
        if len(signature) > ne:
            return b"", SW_WRONG_LENGTH
        return signature, SW_OK

    @staticmethod
    def _odd_offset(p1: int, p2: int, data: bytes) -> int:
        """READ BINARY 'B1': the offset comes in DO'54' (ICAO 9303-10 3.9.6)."""
        if p1 or p2:
            raise _Status(SW_WRONG_P1P2)
        try:
            objects = parse_tlvs(data)
        except ProtocolError:
            raise _Status(SW_WRONG_DATA) from None
        if len(objects) != 1 or objects[0].tag != 0x54 or not 1 <= len(objects[0].value) <= 3:
            raise _Status(SW_WRONG_DATA)
        return int.from_bytes(objects[0].value)
