"""The data of a successful "read base message" response (command 30 01 / 30 10).

After SW1 SW2 SW3 the SAM sends big-endian lengths, then the blocks they announce::

    30 01: text_len(2) photo_len(2) text photo
    30 10: text_len(2) photo_len(2) fp_len(2) text photo fingerprint

(text 256 bytes of UCS-2LE, photo 1024 bytes of WLT, fingerprint 1024, 512 or 0 bytes.)
Pure functions, like the frame codec; a layout that does not add up is a ProtocolError.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.errors import ProtocolError

REASON_LAYOUT = "DRV_SAM_MESSAGE_LAYOUT"


@dataclass(frozen=True, repr=False)
class BaseMessage:
    """The card's raw blocks. Personal data: ``repr`` shows sizes only."""

    text: bytes
    photo: bytes
    fingerprint: bytes = b""

    def __repr__(self) -> str:
        return (
            f"BaseMessage(text=<{len(self.text)}>, photo=<{len(self.photo)}>, "
            f"fingerprint=<{len(self.fingerprint)}>)"
        )


def layout_name(with_fingerprint: bool) -> str:
    return "text+photo+fingerprint (30 10)" if with_fingerprint else "text+photo (30 01)"


def decode_base_message(data: bytes, *, with_fingerprint: bool) -> BaseMessage:
    """Split response data into blocks; offsets in errors are relative to ``data``, and
    errors name the layout they were checked against."""
    data = bytes(data)
    count = 3 if with_fingerprint else 2
    header = 2 * count
    layout = layout_name(with_fingerprint)
    if len(data) < header:
        raise ProtocolError(
            f"{layout} layout: response too short for the block lengths",
            raw=data,
            offset=len(data),
            reason=REASON_LAYOUT,
        )
    lengths = [int.from_bytes(data[2 * i : 2 * i + 2], "big") for i in range(count)]
    if header + sum(lengths) != len(data):
        raise ProtocolError(
            f"{layout} layout: block lengths {lengths} do not add up to {len(data) - header} bytes",
            raw=data,
            offset=0,
            reason=REASON_LAYOUT,
        )
    blocks = []
    position = header
    for length in lengths:
        blocks.append(data[position : position + length])
        position += length
    return BaseMessage(*blocks)


def decode_base_message_any_layout(data: bytes) -> BaseMessage:
    """For data whose read command is unknown (a captured frame): the layout that adds up.
    When neither does, the error is the one of the layout the data is closest to: the one
    whose announced block lengths miss the data's length by the fewest bytes. A text+photo
    frame with one wrong length is then reported as such, not with the lengths the
    fingerprint layout reads out of its text block."""
    data = bytes(data)
    errors: list[tuple[int, ProtocolError]] = []
    for with_fingerprint in (False, True):
        try:
            return decode_base_message(data, with_fingerprint=with_fingerprint)
        except ProtocolError as exc:
            header = 6 if with_fingerprint else 4
            announced = sum(
                int.from_bytes(data[i : i + 2], "big") for i in range(0, min(header, len(data)), 2)
            )
            errors.append((abs(header + announced - len(data)), exc))
    return _raise_closest(errors)


def _raise_closest(errors: list[tuple[int, ProtocolError]]) -> BaseMessage:
    _distance, closest = min(errors, key=lambda item: item[0])  # ties: text+photo, listed first
    raise closest


def encode_base_message(message: BaseMessage, *, with_fingerprint: bool) -> bytes:
    blocks = [message.text, message.photo]
    if with_fingerprint:
        blocks.append(message.fingerprint)
    elif message.fingerprint:
        raise ProtocolError(
            "fingerprint given for a read without fingerprint", reason=REASON_LAYOUT
        )
    if any(len(block) > 0xFFFF for block in blocks):
        raise ProtocolError("block too long", reason=REASON_LAYOUT)
    return b"".join(len(b).to_bytes(2, "big") for b in blocks) + b"".join(blocks)
