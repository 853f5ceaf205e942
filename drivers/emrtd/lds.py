"""Logical Data Structure of an eMRTD (ICAO 9303 part 10): EF.COM, DG1 and DG2.

Pure parsers and encoders, no I/O, so that every byte a chip sends can be fuzzed without a
reader. The files are BER-TLV and read with the project's strict reader
(:mod:`drivers.emrtd.tlv`); the facial record inside DG2 is the binary ISO/IEC 19794-5:2005
record ('FAC\\0', version '010\\0'). Malformed input raises only
:class:`~drivers.errors.ProtocolError` (raw bytes and the absolute offset of the offending
byte) or :class:`~drivers.errors.DocumentInvalid` (the field whose content breaks a rule),
each with a ``DRV_LDS_*`` reason code.

The encoders (:func:`build_com`, :func:`build_dg1`, :func:`build_dg2`) exist so a test
passport can be generated for the chip emulator; they produce what the parsers accept.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from drivers.emrtd.tlv import Tlv, encode_tlv, read_tlv
from drivers.errors import DocumentInvalid, ProtocolError
from drivers.mrz import MachineReadableZone, parse_mrz

DRV_LDS_TAG = "DRV_LDS_TAG"
"""The file does not start with the tag its kind requires (EF.COM '60', DG1 '61', DG2 '75')."""
DRV_LDS_STRUCTURE = "DRV_LDS_STRUCTURE"
"""BER-TLV structure broken inside an LDS file (truncated, overrunning, bytes after the end)."""
DRV_LDS_COM = "DRV_LDS_COM"
"""EF.COM content invalid: LDS/Unicode version not digits, unknown data-group tag."""
DRV_LDS_DG1 = "DRV_LDS_DG1"
"""DG1 does not hold an MRZ of 88 (TD3), 72 (TD2) or 90 (TD1) characters."""
DRV_LDS_BIOMETRIC = "DRV_LDS_BIOMETRIC"
"""DG2 biometric template group broken (7F61 / 7F60 / A1 / 5F2E), or instance count wrong."""
DRV_LDS_FACE_RECORD = "DRV_LDS_FACE_RECORD"
"""ISO/IEC 19794-5 facial record header or block lengths inconsistent or unsupported."""
DRV_LDS_IMAGE_TYPE = "DRV_LDS_IMAGE_TYPE"
"""The face image is neither JPEG nor JPEG 2000 (judged from its magic bytes)."""
DRV_LDS_IMAGE_DECODE = "DRV_LDS_IMAGE_DECODE"
"""The face image could not be decoded (corrupt, truncated or implausibly large)."""

TAG_COM = 0x60
TAG_DG1 = 0x61
TAG_DG2 = 0x75
TAG_LDS_VERSION = 0x5F01
TAG_UNICODE_VERSION = 0x5F36
TAG_TAG_LIST = 0x5C
TAG_MRZ = 0x5F1F
TAG_BIT_GROUP = 0x7F61  # biometric information group template
TAG_BIT = 0x7F60  # biometric information template
TAG_INSTANCE_COUNT = 0x02
TAG_BHT = 0xA1  # biometric header template (CBEFF)
TAG_BDB = 0x5F2E  # biometric data block
TAG_BDB_ENCIPHERED = 0x7F2E

# ICAO 9303-10 table: the tag that starts each data group file, by DG number.
DG_TAGS: dict[int, int] = {
    1: 0x61, 2: 0x75, 3: 0x63, 4: 0x76, 5: 0x65, 6: 0x66, 7: 0x67, 8: 0x68,
    9: 0x69, 10: 0x6A, 11: 0x6B, 12: 0x6C, 13: 0x6D, 14: 0x6E, 15: 0x6F, 16: 0x70,
}  # fmt: skip
DG_BY_TAG: dict[int, int] = {tag: number for number, tag in DG_TAGS.items()}

FACE_FORMAT_IDENTIFIER = b"FAC\x00"
FACE_VERSION_2005 = b"010\x00"
FACE_RECORD_HEADER_SIZE = 14
FACIAL_INFORMATION_SIZE = 20
FEATURE_POINT_SIZE = 8
IMAGE_INFORMATION_SIZE = 12
MRZ_LINE_LENGTHS = {88: 44, 72: 36, 90: 30}  # total characters -> characters per line
MAX_FACE_PIXELS = 16_000_000  # a passport portrait is well under one megapixel

_JPEG_MAGIC = b"\xff\xd8\xff"
_JP2_MAGIC = bytes.fromhex("0000000C6A5020200D0A870A")
_J2K_MAGIC = bytes.fromhex("FF4FFF51")


class ImageFormat(StrEnum):
    """Face image encodings ICAO allows; values match ``IdentityDocument.portrait_format``."""

    JPEG = "jpeg"
    JPEG2000 = "jp2"


@dataclass(frozen=True)
class EfCom:
    """EF.COM: which LDS and Unicode versions the chip claims and which DGs it holds."""

    lds_version: str  # "0107" as stored; see ``lds_version_text``
    unicode_version: str  # "040000" as stored
    tags: tuple[int, ...]  # the tag list '5C' in chip order
    data_groups: tuple[int, ...]  # the same, as DG numbers

    @property
    def lds_version_text(self) -> str:
        """ "1.7" for "0107"."""
        return f"{int(self.lds_version[:2])}.{int(self.lds_version[2:])}"

    @property
    def unicode_version_text(self) -> str:
        """ "4.0.0" for "040000"."""
        parts = (self.unicode_version[i : i + 2] for i in range(0, 6, 2))
        return ".".join(str(int(part)) for part in parts)


@dataclass(frozen=True, repr=False)
class DataGroup1:
    """DG1: the MRZ as printed on the data page, check digits verified."""

    mrz: MachineReadableZone

    def __repr__(self) -> str:  # personal data
        return "DataGroup1(<redacted>)"


@dataclass(frozen=True, repr=False)
class FaceImage:
    """One facial image of an ISO/IEC 19794-5 record (its facial information block, the
    number of feature points, its image information block and the encoded image)."""

    image: bytes
    image_format: ImageFormat  # from the magic bytes, not from the declared type
    width: int  # declared in the image information block
    height: int
    image_data_type: int  # declared: 0 JPEG, 1 JPEG 2000
    face_image_type: int  # 0 basic, 1 full frontal, 2 token frontal
    gender: int
    eye_colour: int
    hair_colour: int
    expression: int
    colour_space: int
    source_type: int
    device_type: int
    quality: int
    feature_point_count: int

    def __repr__(self) -> str:  # a face is personal data; sizes only
        return (
            f"FaceImage({self.image_format.value}, {self.width}x{self.height}, "
            f"<{len(self.image)} bytes>)"
        )


@dataclass(frozen=True, repr=False)
class BiometricTemplate:
    """One '7F60' template: the CBEFF header elements (tag -> value) and its faces."""

    header: dict[int, bytes]
    faces: tuple[FaceImage, ...]

    def __repr__(self) -> str:
        return f"BiometricTemplate(faces={len(self.faces)})"


@dataclass(frozen=True, repr=False)
class DataGroup2:
    """DG2: the encoded face(s). ``faces`` flattens every template's images in order."""

    templates: tuple[BiometricTemplate, ...]

    @property
    def faces(self) -> tuple[FaceImage, ...]:
        return tuple(face for template in self.templates for face in template.faces)

    def __repr__(self) -> str:
        return f"DataGroup2(faces={len(self.faces)})"


# --- reading ------------------------------------------------------------------------------


def _bare(exc: ProtocolError) -> str:
    """The TLV reader's message without its " at byte N" (the re-raise adds it again)."""
    return str(exc.args[0]).removesuffix(f" at byte {exc.offset}")


def _read(data: bytes, offset: int, end: int, reason: str) -> tuple[Tlv, int]:
    """One TLV at the absolute ``offset`` that must end by ``end`` (its parent's end). The
    TLV reader's error is re-raised with the LDS reason and the whole file as raw bytes."""
    try:
        return read_tlv(data[:end], offset)
    except ProtocolError as exc:
        raise ProtocolError(
            f"{_bare(exc)} (BER-TLV)", raw=data, offset=exc.offset, reason=reason
        ) from None


def _children(data: bytes, start: int, end: int, reason: str) -> list[tuple[Tlv, int]]:
    """The TLVs filling ``data[start:end]`` exactly, with the absolute offset of each value."""
    found = []
    offset = start
    while offset < end:
        tlv, after = _read(data, offset, end, reason)
        found.append((tlv, after - len(tlv.value)))
        offset = after
    return found


def _outer(data: bytes, tag: int, what: str) -> tuple[Tlv, int]:
    """The file's single outer TLV (tag checked, nothing after it); value offset too."""
    data = bytes(data)
    if not data:
        raise ProtocolError(f"{what} is empty", raw=data, offset=0, reason=DRV_LDS_STRUCTURE)
    tlv, after = _read(data, 0, len(data), DRV_LDS_STRUCTURE)
    if tlv.tag != tag:
        raise ProtocolError(
            f"{what} must start with tag {tag:02X}, found {tlv.tag:X}",
            raw=data,
            offset=0,
            reason=DRV_LDS_TAG,
        )
    if after != len(data):
        raise ProtocolError(
            f"{len(data) - after} bytes after the {what} object",
            raw=data,
            offset=after,
            reason=DRV_LDS_STRUCTURE,
        )
    return tlv, after - len(tlv.value)


def _ascii_digits(value: bytes, size: int, field: str) -> str:
    if len(value) != size or not all(0x30 <= b <= 0x39 for b in value):
        raise DocumentInvalid(f"expected {size} ASCII digits", field=field, reason=DRV_LDS_COM)
    return value.decode("ascii")


def parse_com(data: bytes) -> EfCom:
    """Parse EF.COM ('60': '5F01' LDS version, '5F36' Unicode version, '5C' tag list)."""
    data = bytes(data)
    outer, start = _outer(data, TAG_COM, "EF.COM")
    elements: dict[int, tuple[Tlv, int]] = {}
    for tlv, value_offset in _children(data, start, start + len(outer.value), DRV_LDS_STRUCTURE):
        if tlv.tag in elements:
            raise ProtocolError(
                f"tag {tlv.tag:X} repeated in EF.COM",
                raw=data,
                offset=value_offset,
                reason=DRV_LDS_COM,
            )
        elements[tlv.tag] = (tlv, value_offset)
    for tag, name in (
        (TAG_LDS_VERSION, "lds_version"),
        (TAG_UNICODE_VERSION, "unicode_version"),
        (TAG_TAG_LIST, "tag_list"),
    ):
        if tag not in elements:
            raise DocumentInvalid(f"EF.COM lacks tag {tag:X}", field=name, reason=DRV_LDS_COM)
    lds_version = _ascii_digits(elements[TAG_LDS_VERSION][0].value, 4, "lds_version")
    unicode_version = _ascii_digits(elements[TAG_UNICODE_VERSION][0].value, 6, "unicode_version")
    tag_list = elements[TAG_TAG_LIST][0].value
    tags = tuple(tag_list)
    unknown = [tag for tag in tags if tag not in DG_BY_TAG]
    if unknown:
        raise DocumentInvalid(
            f"unknown data-group tag {unknown[0]:02X}", field="tag_list", reason=DRV_LDS_COM
        )
    if len(set(tags)) != len(tags):
        raise DocumentInvalid("a data-group tag is repeated", field="tag_list", reason=DRV_LDS_COM)
    return EfCom(
        lds_version=lds_version,
        unicode_version=unicode_version,
        tags=tags,
        data_groups=tuple(DG_BY_TAG[tag] for tag in tags),
    )


def parse_dg1(data: bytes, *, today: dt.date | None = None) -> DataGroup1:
    """Parse DG1 ('61' / '5F1F' MRZ) and check the MRZ with :func:`drivers.mrz.parse_mrz`
    (``today`` anchors its two-digit years). A bad MRZ raises its ``DRV_MRZ_*`` error."""
    data = bytes(data)
    outer, start = _outer(data, TAG_DG1, "DG1")
    children = _children(data, start, start + len(outer.value), DRV_LDS_STRUCTURE)
    if len(children) != 1 or children[0][0].tag != TAG_MRZ:
        raise ProtocolError(
            "DG1 must hold exactly one '5F1F' MRZ object",
            raw=data,
            offset=start,
            reason=DRV_LDS_DG1,
        )
    value = children[0][0].value
    per_line = MRZ_LINE_LENGTHS.get(len(value))
    if per_line is None:
        raise DocumentInvalid(
            f"MRZ of {len(value)} characters (expected 88, 72 or 90)",
            field="mrz",
            reason=DRV_LDS_DG1,
        )
    if not value.isascii():
        raise DocumentInvalid("MRZ holds non-ASCII bytes", field="mrz", reason=DRV_LDS_DG1)
    text = value.decode("ascii")
    lines = tuple(text[i : i + per_line] for i in range(0, len(text), per_line))
    return DataGroup1(mrz=parse_mrz(lines, today=today))


def detect_image_format(image: bytes) -> ImageFormat:
    """JPEG or JPEG 2000 (JP2 file or bare codestream) from the magic bytes."""
    if image.startswith(_JPEG_MAGIC):
        return ImageFormat.JPEG
    if image.startswith(_JP2_MAGIC) or image.startswith(_J2K_MAGIC):
        return ImageFormat.JPEG2000
    raise DocumentInvalid(
        "face image is neither JPEG nor JPEG 2000", field="face_image", reason=DRV_LDS_IMAGE_TYPE
    )


def _u(data: bytes, offset: int, size: int) -> int:
    return int.from_bytes(data[offset : offset + size], "big")


def _face_error(message: str, data: bytes, offset: int) -> ProtocolError:
    return ProtocolError(message, raw=data, offset=offset, reason=DRV_LDS_FACE_RECORD)


def parse_facial_record(data: bytes, start: int = 0, end: int | None = None) -> list[FaceImage]:
    """Parse an ISO/IEC 19794-5:2005 facial record in ``data[start:end]`` (offsets in errors
    are absolute in ``data``, so a DG2 error points into the DG2 file)."""
    data = bytes(data)
    end = len(data) if end is None else end
    if end - start < FACE_RECORD_HEADER_SIZE:
        raise _face_error("facial record shorter than its 14-byte header", data, start)
    if data[start : start + 4] != FACE_FORMAT_IDENTIFIER:
        raise _face_error("facial record does not start with 'FAC\\0'", data, start)
    if data[start + 4 : start + 8] != FACE_VERSION_2005:
        raise _face_error("facial record version is not '010' (19794-5:2005)", data, start + 4)
    record_length = _u(data, start + 8, 4)
    if record_length != end - start:
        raise _face_error(
            f"record length says {record_length} bytes, the block holds {end - start}",
            data,
            start + 8,
        )
    count = _u(data, start + 12, 2)
    if count == 0:
        raise _face_error("facial record holds no image", data, start + 12)
    faces = []
    position = start + FACE_RECORD_HEADER_SIZE
    for _ in range(count):
        faces.append(_facial_record_data(data, position, end))
        position += _u(data, position, 4)
    if position != end:
        raise _face_error(f"{end - position} bytes after the last facial image", data, position)
    return faces


def _facial_record_data(data: bytes, start: int, end: int) -> FaceImage:
    if end - start < FACIAL_INFORMATION_SIZE:
        raise _face_error("facial information block truncated", data, start)
    block_length = _u(data, start, 4)
    points = _u(data, start + 4, 2)
    image_info = start + FACIAL_INFORMATION_SIZE + points * FEATURE_POINT_SIZE
    image_start = image_info + IMAGE_INFORMATION_SIZE
    if block_length < image_start - start or start + block_length > end:
        raise _face_error(f"implausible facial block length {block_length}", data, start)
    image = data[image_start : start + block_length]
    if not image:
        raise _face_error("facial image data is empty", data, image_start)
    return FaceImage(
        image=image,
        image_format=detect_image_format(image),
        width=_u(data, image_info + 2, 2),
        height=_u(data, image_info + 4, 2),
        image_data_type=data[image_info + 1],
        face_image_type=data[image_info],
        gender=data[start + 6],
        eye_colour=data[start + 7],
        hair_colour=data[start + 8],
        expression=_u(data, start + 12, 2),
        colour_space=data[image_info + 6],
        source_type=data[image_info + 7],
        device_type=_u(data, image_info + 8, 2),
        quality=_u(data, image_info + 10, 2),
        feature_point_count=points,
    )


def parse_dg2(data: bytes) -> DataGroup2:
    """Parse DG2: '75' / '7F61' (instance count '02', then one '7F60' per instance) /
    '7F60' ('A1' CBEFF header, '5F2E' or '7F2E' biometric data block = facial record)."""
    data = bytes(data)
    outer, start = _outer(data, TAG_DG2, "DG2")
    groups = _children(data, start, start + len(outer.value), DRV_LDS_STRUCTURE)
    if len(groups) != 1 or groups[0][0].tag != TAG_BIT_GROUP:
        raise ProtocolError(
            "DG2 must hold one '7F61' group template",
            raw=data,
            offset=start,
            reason=DRV_LDS_BIOMETRIC,
        )
    group, group_start = groups[0]
    members = _children(data, group_start, group_start + len(group.value), DRV_LDS_STRUCTURE)
    if not members or members[0][0].tag != TAG_INSTANCE_COUNT or len(members[0][0].value) != 1:
        raise ProtocolError(
            "'7F61' must start with a one-byte instance count '02'",
            raw=data,
            offset=group_start,
            reason=DRV_LDS_BIOMETRIC,
        )
    count = members[0][0].value[0]
    templates = []
    for tlv, value_offset in members[1:]:
        if tlv.tag != TAG_BIT:
            raise ProtocolError(
                f"unexpected tag {tlv.tag:X} in '7F61'",
                raw=data,
                offset=tlv.offset,
                reason=DRV_LDS_BIOMETRIC,
            )
        templates.append(_biometric_template(data, tlv, value_offset))
    if count != len(templates) or count == 0:
        raise ProtocolError(
            f"instance count {count} but {len(templates)} '7F60' templates",
            raw=data,
            offset=members[0][0].offset,
            reason=DRV_LDS_BIOMETRIC,
        )
    return DataGroup2(templates=tuple(templates))


def _biometric_template(data: bytes, template: Tlv, start: int) -> BiometricTemplate:
    parts = _children(data, start, start + len(template.value), DRV_LDS_STRUCTURE)
    if len(parts) != 2 or parts[0][0].tag != TAG_BHT:
        raise ProtocolError(
            "'7F60' must hold an 'A1' header and one data block",
            raw=data,
            offset=start,
            reason=DRV_LDS_BIOMETRIC,
        )
    (header, header_start), (block, block_start) = parts
    if block.tag not in (TAG_BDB, TAG_BDB_ENCIPHERED):
        raise ProtocolError(
            f"biometric data block has tag {block.tag:X}, expected 5F2E or 7F2E",
            raw=data,
            offset=block.offset,
            reason=DRV_LDS_BIOMETRIC,
        )
    elements = _children(data, header_start, header_start + len(header.value), DRV_LDS_STRUCTURE)
    faces = parse_facial_record(data, block_start, block_start + len(block.value))
    return BiometricTemplate(header={tlv.tag: tlv.value for tlv, _ in elements}, faces=tuple(faces))


def decode_face_image(image: bytes | FaceImage) -> np.ndarray:
    """Decode a face image (JPEG or JPEG 2000) to an RGB ``uint8`` array of shape
    (height, width, 3). Pillow's decoders raise many exception types on corrupt input;
    every one becomes ``DocumentInvalid`` (``DRV_LDS_IMAGE_DECODE``) so a bad chip image
    is a reason code on screen, never a crash."""
    from PIL import Image  # import here: only the portrait path needs Pillow

    raw = image.image if isinstance(image, FaceImage) else bytes(image)
    detect_image_format(raw)
    try:
        with Image.open(io.BytesIO(raw)) as opened:
            if opened.width * opened.height > MAX_FACE_PIXELS:
                raise DocumentInvalid(
                    f"face image of {opened.width}x{opened.height} pixels is implausible",
                    field="face_image",
                    reason=DRV_LDS_IMAGE_DECODE,
                )
            opened.load()
            rgb = opened.convert("RGB")
    except DocumentInvalid:
        raise
    except Exception as exc:  # Pillow: OSError, SyntaxError, ValueError, struct.error, ...
        raise DocumentInvalid(
            f"face image cannot be decoded ({type(exc).__name__})",
            field="face_image",
            reason=DRV_LDS_IMAGE_DECODE,
        ) from None
    return np.asarray(rgb, dtype=np.uint8)


# --- encoding (test passports) ------------------------------------------------------------


def build_com(
    data_groups: Sequence[int], *, lds_version: str = "0107", unicode_version: str = "040000"
) -> bytes:
    """EF.COM listing ``data_groups`` (DG numbers, e.g. ``[1, 2]``)."""
    tags = bytes(DG_TAGS[number] for number in data_groups)
    return encode_tlv(
        TAG_COM,
        encode_tlv(TAG_LDS_VERSION, lds_version.encode("ascii"))
        + encode_tlv(TAG_UNICODE_VERSION, unicode_version.encode("ascii"))
        + encode_tlv(TAG_TAG_LIST, tags),
    )


def build_dg1(mrz_lines: Sequence[str] | str) -> bytes:
    """DG1 for an MRZ given as its lines (2 x 44 TD3, 2 x 36 TD2, 3 x 30 TD1) or as one
    string with line breaks. Only the shape is checked (lengths, MRZ characters): a test
    passport may carry a deliberately wrong check digit."""
    lines = mrz_lines.split() if isinstance(mrz_lines, str) else list(mrz_lines)
    text = "".join(lines)
    per_line = MRZ_LINE_LENGTHS.get(len(text))
    if per_line is None or any(len(line) != per_line for line in lines):
        raise DocumentInvalid(
            "MRZ must be 2x44, 2x36 or 3x30 characters", field="mrz", reason=DRV_LDS_DG1
        )
    if any(not ("A" <= c <= "Z" or "0" <= c <= "9" or c == "<") for c in text):
        raise DocumentInvalid(
            "MRZ characters are A-Z, 0-9 and '<'", field="mrz", reason=DRV_LDS_DG1
        )
    return encode_tlv(TAG_DG1, encode_tlv(TAG_MRZ, text.encode("ascii")))


def build_dg2(jpeg_bytes: bytes, width: int, height: int) -> bytes:
    """DG2 holding one full-frontal face: ``jpeg_bytes`` is the encoded image (JPEG, or JPEG
    2000, told apart by magic bytes), ``width`` and ``height`` its size in pixels, written
    to the 19794-5 image information block (the parser reports them as declared)."""
    image = bytes(jpeg_bytes)
    image_format = detect_image_format(image)
    if not (0 < width <= 0xFFFF and 0 < height <= 0xFFFF):
        raise DocumentInvalid("width and height must be 1..65535", field="face_image")
    facial_information = (
        (FACIAL_INFORMATION_SIZE + IMAGE_INFORMATION_SIZE + len(image)).to_bytes(4, "big")
        + bytes(2)  # no feature points
        + bytes(3)  # gender, eye colour, hair colour unspecified
        + bytes(3)  # property mask
        + bytes(2)  # expression unspecified
        + bytes(6)  # pose angle and its uncertainty
    )
    image_information = (
        bytes([1, 0 if image_format is ImageFormat.JPEG else 1])  # full frontal; data type
        + width.to_bytes(2, "big")
        + height.to_bytes(2, "big")
        + bytes([1, 2])  # 24-bit RGB; static photo from a digital still camera
        + bytes(4)  # device type, quality unspecified
    )
    body = facial_information + image_information + image
    record = (
        FACE_FORMAT_IDENTIFIER
        + FACE_VERSION_2005
        + (FACE_RECORD_HEADER_SIZE + len(body)).to_bytes(4, "big")
        + (1).to_bytes(2, "big")
        + body
    )
    header = (
        encode_tlv(0x81, b"\x02")  # biometric type: facial features
        + encode_tlv(0x82, b"\x00")  # subtype: none
        + encode_tlv(0x87, b"\x01\x01")  # format owner: ISO/IEC JTC 1/SC 37
        + encode_tlv(0x88, b"\x00\x08")  # format type: face image
    )
    template = encode_tlv(TAG_BIT, encode_tlv(TAG_BHT, header) + encode_tlv(TAG_BDB, record))
    group = encode_tlv(TAG_BIT_GROUP, encode_tlv(TAG_INSTANCE_COUNT, b"\x01") + template)
    return encode_tlv(TAG_DG2, group)
