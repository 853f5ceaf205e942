"""ISO/IEC 7816-4 APDUs that an eMRTD reader sends (ICAO 9303-10/-11), as pure builders,
and the response parser.

Builders return ``CommandApdu`` values rather than bytes so secure messaging can wrap
them (it needs CLA/INS/P1/P2, the data and Le separately); ``bytes(apdu)`` is the plain
encoding. Short encoding is used whenever it fits, extended length otherwise (Lc > 255 or
Le > 256), as 7816-4 5.1 describes.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.emrtd.tlv import encode_tlv
from drivers.errors import ProtocolError

DRV_APDU = "DRV_APDU"

EMRTD_AID = bytes.fromhex("A0000002471001")
"""LDS1 eMRTD application (ICAO 9303-10, 3.1)."""

# Elementary files of the eMRTD application (ICAO 9303-10, 3.6/3.11).
EF_CARD_ACCESS = 0x011C
EF_COM = 0x011E
EF_SOD = 0x011D
EF_DG1 = 0x0101
EF_DG2 = 0x0102
EF_DG14 = 0x010E
EF_DG15 = 0x010F

INS_SELECT = 0xA4
INS_READ_BINARY = 0xB0
INS_READ_BINARY_ODD = 0xB1
INS_GET_CHALLENGE = 0x84
INS_EXTERNAL_AUTHENTICATE = 0x82  # MUTUAL AUTHENTICATE in ICAO 9303-11 is the same INS
INS_INTERNAL_AUTHENTICATE = 0x88  # Active Authentication, ICAO 9303-11 6.1

SW_NO_ERROR = 0x9000

MAX_SHORT_LC = 255
MAX_SHORT_LE = 256
MAX_EXTENDED_LC = 65535
MAX_EXTENDED_LE = 65536


@dataclass(frozen=True)
class CommandApdu:
    """A command APDU. ``le`` is ``None`` when no response data is expected; 256 (short)
    and 65536 (extended) are encoded as zero bytes, per 7816-4."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            if not 0 <= getattr(self, name) <= 0xFF:
                raise ValueError(f"{name} is not a byte")
        if len(self.data) > MAX_EXTENDED_LC:
            raise ValueError("command data longer than 65535 bytes")
        if self.le is not None and not 1 <= self.le <= MAX_EXTENDED_LE:
            raise ValueError("Le must be 1..65536")

    @property
    def extended(self) -> bool:
        """Whether the encoding needs extended length fields."""
        return len(self.data) > MAX_SHORT_LC or (self.le is not None and self.le > MAX_SHORT_LE)

    def to_bytes(self) -> bytes:
        header = bytes([self.cla, self.ins, self.p1, self.p2])
        body = b""
        if self.extended:
            if self.data:
                body += b"\x00" + len(self.data).to_bytes(2, "big") + self.data
            if self.le is not None:
                le = (self.le % MAX_EXTENDED_LE).to_bytes(2, "big")
                body += le if self.data else b"\x00" + le
        else:
            if self.data:
                body += bytes([len(self.data)]) + self.data
            if self.le is not None:
                body += bytes([self.le % MAX_SHORT_LE])
        return header + body

    def __bytes__(self) -> bytes:
        return self.to_bytes()


@dataclass(frozen=True)
class ResponseApdu:
    """Response data and the status word SW1-SW2."""

    data: bytes
    sw1: int
    sw2: int

    @property
    def sw(self) -> int:
        return (self.sw1 << 8) | self.sw2

    @property
    def ok(self) -> bool:
        return self.sw == SW_NO_ERROR

    def to_bytes(self) -> bytes:
        return self.data + bytes([self.sw1, self.sw2])


def parse_response(raw: bytes) -> ResponseApdu:
    """Split a response APDU into data and SW1-SW2. Raises ``ProtocolError`` (``DRV_APDU``)
    when fewer than two bytes arrived or SW1 is not a valid 7816-4 status class."""
    raw = bytes(raw)
    if len(raw) < 2:
        raise ProtocolError("response shorter than SW1-SW2", raw=raw, offset=0, reason=DRV_APDU)
    sw1 = raw[-2]
    if sw1 & 0xF0 not in (0x60, 0x90) or sw1 == 0x60:
        raise ProtocolError(
            "SW1 is not a 7816-4 status byte", raw=raw, offset=len(raw) - 2, reason=DRV_APDU
        )
    return ResponseApdu(data=raw[:-2], sw1=sw1, sw2=raw[-1])


def select_file(fid: int) -> CommandApdu:
    """SELECT an elementary file by file identifier under the current DF (P1 '02'),
    no response data (P2 '0C'), as ICAO 9303-10 requires for the LDS files."""
    if not 0 <= fid <= 0xFFFF:
        raise ValueError("file identifier is two bytes")
    return CommandApdu(0x00, INS_SELECT, 0x02, 0x0C, fid.to_bytes(2, "big"))


def select_application(aid: bytes = EMRTD_AID) -> CommandApdu:
    """SELECT by DF name (P1 '04'), the eMRTD application by default."""
    if not 1 <= len(aid) <= 16:
        raise ValueError("an AID has 1..16 bytes")
    return CommandApdu(0x00, INS_SELECT, 0x04, 0x0C, bytes(aid))


def select_master_file() -> CommandApdu:
    """SELECT the MF (P1 '00', no data), before reading EF.CardAccess."""
    return CommandApdu(0x00, INS_SELECT, 0x00, 0x0C, b"\x3f\x00")


def read_binary(offset: int, le: int) -> CommandApdu:
    """READ BINARY of ``le`` bytes at ``offset`` of the selected EF.

    Offsets up to 32767 go in P1-P2 (INS 'B0'); beyond that, where P1 bit 8 would mean a
    short EF identifier, the odd instruction 'B1' carries the offset in DO'54'
    (ICAO 9303-10, 3.9.6). ``le`` above 256 gives an extended-length APDU.
    """
    if offset < 0 or offset > 0xFFFFFF:
        raise ValueError("offset out of range")
    if offset <= 0x7FFF:
        return CommandApdu(0x00, INS_READ_BINARY, offset >> 8, offset & 0xFF, le=le)
    do54 = encode_tlv(0x54, offset.to_bytes((offset.bit_length() + 7) // 8, "big"))
    return CommandApdu(0x00, INS_READ_BINARY_ODD, 0x00, 0x00, do54, le=le)


def read_binary_short_ef(sfi: int, offset: int, le: int) -> CommandApdu:
    """READ BINARY with a short EF identifier in P1 (bit 8 set): selects and reads in one
    command, at offsets 0..255."""
    if not 1 <= sfi <= 30 or not 0 <= offset <= 0xFF:
        raise ValueError("SFI is 1..30 and the offset one byte")
    return CommandApdu(0x00, INS_READ_BINARY, 0x80 | sfi, offset, le=le)


def get_challenge(le: int = 8) -> CommandApdu:
    """GET CHALLENGE: RND.IC, 8 bytes for BAC."""
    return CommandApdu(0x00, INS_GET_CHALLENGE, 0x00, 0x00, le=le)


def external_authenticate(data: bytes, le: int | None = None) -> CommandApdu:
    """EXTERNAL AUTHENTICATE with the given cryptogram (and Le when a response follows)."""
    return CommandApdu(0x00, INS_EXTERNAL_AUTHENTICATE, 0x00, 0x00, bytes(data), le=le)


def mutual_authenticate(cmd_data: bytes) -> CommandApdu:
    """MUTUAL AUTHENTICATE of BAC: E.IFD || M.IFD (40 bytes), expecting E.IC || M.IC (40)."""
    if len(cmd_data) != 40:
        raise ValueError("BAC MUTUAL AUTHENTICATE data is 40 bytes")
    return external_authenticate(cmd_data, le=40)


def internal_authenticate(challenge: bytes, le: int = MAX_SHORT_LE) -> CommandApdu:
    """INTERNAL AUTHENTICATE of Active Authentication (ICAO 9303-11 6.1): the terminal's
    8-byte challenge RND.IFD; the chip answers its signature (as long as its key: ``le``
    256 covers RSA-2048 and every EC curve, 65536 larger RSA keys)."""
    if len(challenge) != 8:
        raise ValueError("the Active Authentication challenge is 8 bytes")
    return CommandApdu(0x00, INS_INTERNAL_AUTHENTICATE, 0x00, 0x00, bytes(challenge), le=le)
