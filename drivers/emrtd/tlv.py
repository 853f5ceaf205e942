"""A small, strict BER-TLV reader for the data objects of ICAO 9303 secure messaging and
the LDS (DO'87', DO'99', DO'8E', EF.COM's '60', ...).

Neither ``asn1crypto`` nor ``pyasn1`` is a dependency, and both target whole ASN.1 modules;
the chip speaks ISO 7816-4 BER-TLV with context tags, where a few dozen lines suffice and
every error can say at which byte the chip went wrong (``ProtocolError`` with the raw bytes
and offset, reason ``DRV_TLV``). Lengths up to four bytes ('84') are accepted; the
indefinite length ('80') is not, since no ICAO object uses it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from drivers.errors import ProtocolError

DRV_TLV = "DRV_TLV"
MAX_TAG_BYTES = 4


@dataclass(frozen=True)
class Tlv:
    """One data object. ``offset`` is where its tag starts in the parsed buffer and
    ``encoded`` its exact bytes (what a MAC covers)."""

    tag: int
    value: bytes
    offset: int
    encoded: bytes

    @property
    def constructed(self) -> bool:
        """Bit 6 of the first tag byte: the value is itself a sequence of TLVs."""
        first = self.tag
        while first > 0xFF:
            first >>= 8
        return bool(first & 0x20)

    def children(self) -> list[Tlv]:
        """The TLVs inside a constructed object (offsets relative to its value)."""
        return parse_tlvs(self.value)


def read_tlv(data: bytes, offset: int = 0) -> tuple[Tlv, int]:
    """Read one TLV starting at ``offset``; return it and the offset just after it."""
    start = offset
    end_of_data = len(data)
    if offset >= end_of_data:
        raise ProtocolError("TLV expected, data ended", raw=data, offset=offset, reason=DRV_TLV)
    tag = data[offset]
    offset += 1
    if tag & 0x1F == 0x1F:  # multi-byte tag: continuation bytes have bit 8 set
        while True:
            if offset >= end_of_data:
                raise ProtocolError("tag truncated", raw=data, offset=offset, reason=DRV_TLV)
            if offset - start >= MAX_TAG_BYTES:
                raise ProtocolError("tag too long", raw=data, offset=start, reason=DRV_TLV)
            byte = data[offset]
            tag = (tag << 8) | byte
            offset += 1
            if not byte & 0x80:
                break
    if tag in (0x00, 0xFF):
        raise ProtocolError(
            "padding byte where a tag was expected", raw=data, offset=start, reason=DRV_TLV
        )
    if offset >= end_of_data:
        raise ProtocolError("length missing", raw=data, offset=offset, reason=DRV_TLV)
    first = data[offset]
    length_offset = offset
    offset += 1
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise ProtocolError(
            "indefinite length not allowed", raw=data, offset=length_offset, reason=DRV_TLV
        )
    else:
        count = first & 0x7F
        if count > 4:
            raise ProtocolError(
                "length field too long", raw=data, offset=length_offset, reason=DRV_TLV
            )
        if offset + count > end_of_data:
            raise ProtocolError("length truncated", raw=data, offset=offset, reason=DRV_TLV)
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    if offset + length > end_of_data:
        raise ProtocolError(
            f"value of {length} bytes overruns the data ({end_of_data - offset} left)",
            raw=data,
            offset=length_offset,
            reason=DRV_TLV,
        )
    value = bytes(data[offset : offset + length])
    offset += length
    return Tlv(tag=tag, value=value, offset=start, encoded=bytes(data[start:offset])), offset


def iter_tlvs(data: bytes) -> Iterator[Tlv]:
    """Every TLV of ``data`` in order; the data must be consumed exactly."""
    offset = 0
    while offset < len(data):
        tlv, offset = read_tlv(data, offset)
        yield tlv


def parse_tlvs(data: bytes) -> list[Tlv]:
    """``list(iter_tlvs(data))``."""
    return list(iter_tlvs(data))


def encode_length(length: int) -> bytes:
    """BER definite length in the shortest form."""
    if length < 0:
        raise ValueError("negative length")
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    if len(body) > 4:
        raise ValueError("length too large")
    return bytes([0x80 | len(body)]) + body


def encode_tlv(tag: int, value: bytes) -> bytes:
    """Tag (1-4 bytes, as an int) + length + value."""
    if tag <= 0:
        raise ValueError("tag must be positive")
    tag_bytes = tag.to_bytes((tag.bit_length() + 7) // 8, "big")
    return tag_bytes + encode_length(len(value)) + value
