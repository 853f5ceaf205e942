"""The 256-byte text block of a China 2nd-generation resident ID card: a pure parser.

The block is UCS-2 little-endian (GB 13000), each field fixed-width and padded with spaces:

=========  =======  ===========================================================
field      bytes    content
=========  =======  ===========================================================
name       0..29    up to 15 characters
sex        30..31   GB/T 2261.1 code: 0 unknown, 1 male, 2 female, 9 unspecified
nation     32..35   GB/T 3304 ethnic-group code 01..56, 97 other, 98 foreign origin
birth      36..51   YYYYMMDD
address    52..121  up to 35 characters
id number  122..157 18 characters, GB 11643 (ISO/IEC 7064 MOD 11-2 check character)
issuer     158..187 up to 15 characters
valid from 188..203 YYYYMMDD
valid to   204..219 YYYYMMDD, or 长期 (no expiry)
reserved   220..255
=========  =======  ===========================================================

Every check failure raises :class:`drivers.errors.DocumentInvalid` naming the field. Error
messages never quote field contents: they may end up in a log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from drivers.errors import DocumentInvalid

TEXT_BLOCK_SIZE = 256
NO_EXPIRY = "长期"

# (field, start, length in bytes)
LAYOUT: tuple[tuple[str, int, int], ...] = (
    ("name", 0, 30),
    ("sex", 30, 2),
    ("nation", 32, 4),
    ("birth_date", 36, 16),
    ("address", 52, 70),
    ("id_number", 122, 36),
    ("issuer", 158, 30),
    ("valid_from", 188, 16),
    ("valid_until", 204, 16),
    ("reserved", 220, 36),
)

_PAD = " \x00"


class Sex(StrEnum):
    """GB/T 2261.1 sex codes as stored on the card."""

    UNKNOWN = "0"
    MALE = "1"
    FEMALE = "2"
    UNSPECIFIED = "9"

    @property
    def icao(self) -> str:
        """The ``IdentityDocument.sex`` letter: M, F, X, or "" when unknown."""
        return {"0": "", "1": "M", "2": "F", "9": "X"}[self.value]


# GB/T 3304 codes of China's 56 ethnic groups, as printed on the card (民族), plus the two
# codes for other and for Chinese citizens of foreign origin.
NATIONS: dict[str, str] = {
    "01": "汉", "02": "蒙古", "03": "回", "04": "藏", "05": "维吾尔", "06": "苗", "07": "彝",
    "08": "壮", "09": "布依", "10": "朝鲜", "11": "满", "12": "侗", "13": "瑶", "14": "白",
    "15": "土家", "16": "哈尼", "17": "哈萨克", "18": "傣", "19": "黎", "20": "傈僳",
    "21": "佤", "22": "畲", "23": "高山", "24": "拉祜", "25": "水", "26": "东乡", "27": "纳西",
    "28": "景颇", "29": "柯尔克孜", "30": "土", "31": "达斡尔", "32": "仫佬", "33": "羌",
    "34": "布朗", "35": "撒拉", "36": "毛南", "37": "仡佬", "38": "锡伯", "39": "阿昌",
    "40": "普米", "41": "塔吉克", "42": "怒", "43": "乌孜别克", "44": "俄罗斯", "45": "鄂温克",
    "46": "德昂", "47": "保安", "48": "裕固", "49": "京", "50": "塔塔尔", "51": "独龙",
    "52": "鄂伦春", "53": "赫哲", "54": "门巴", "55": "珞巴", "56": "基诺",
    "97": "其他", "98": "外国血统中国籍人士",
}  # fmt: skip

# ISO/IEC 7064 MOD 11-2 weights 2^(17-i) mod 11 for the 17 body digits (GB 11643).
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK = "10X98765432"  # indexed by (weighted sum mod 11)


def id_check_character(body: str) -> str:
    """The GB 11643 check character (0-9 or X) of the first 17 digits of an ID number."""
    if len(body) != 17 or not body.isascii() or not body.isdigit():
        raise DocumentInvalid("expected 17 digits before the check character", field="id_number")
    return _CHECK[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def is_valid_id_number(number: str) -> bool:
    try:
        return len(number) == 18 and id_check_character(number[:17]) == number[17]
    except DocumentInvalid:
        return False


@dataclass(frozen=True, repr=False)
class ResidentIdText:
    """The decoded text block. Personal data: ``repr`` is redacted."""

    name: str
    sex: Sex
    nation_code: str
    birth_date: dt.date
    address: str
    id_number: str
    issuer: str
    valid_from: dt.date
    valid_until: dt.date | None  # None: 长期, no expiry

    @property
    def nation(self) -> str:
        return NATIONS[self.nation_code]

    def __repr__(self) -> str:
        return "ResidentIdText(<redacted>)"

    __str__ = __repr__


def parse_text_block(block: bytes) -> ResidentIdText:
    """Decode and check a 256-byte text block."""
    if len(block) != TEXT_BLOCK_SIZE:
        raise DocumentInvalid(
            f"text block is {len(block)} bytes, expected {TEXT_BLOCK_SIZE}", field="text_block"
        )
    raw = {name: _decode(block[start : start + size], name) for name, start, size in LAYOUT}

    name = _required(raw["name"], "name")
    address = _required(raw["address"], "address")
    issuer = _required(raw["issuer"], "issuer")
    try:
        sex = Sex(raw["sex"])
    except ValueError:
        raise DocumentInvalid("unknown sex code", field="sex") from None
    if raw["nation"] not in NATIONS:
        raise DocumentInvalid("unknown ethnic-group code", field="nation")
    birth_date = _date(raw["birth_date"], "birth_date")
    id_number = _id_number(raw["id_number"], birth_date, sex)
    valid_from = _date(raw["valid_from"], "valid_from")
    valid_until = (
        None if raw["valid_until"] == NO_EXPIRY else _date(raw["valid_until"], "valid_until")
    )
    if valid_until is not None and valid_until < valid_from:
        raise DocumentInvalid("validity ends before it starts", field="valid_until")
    return ResidentIdText(
        name=name,
        sex=sex,
        nation_code=raw["nation"],
        birth_date=birth_date,
        address=address,
        id_number=id_number,
        issuer=issuer,
        valid_from=valid_from,
        valid_until=valid_until,
    )


def encode_text_block(text: ResidentIdText) -> bytes:
    """The inverse of :func:`parse_text_block` (used by the simulated reader)."""
    values = {
        "name": text.name,
        "sex": text.sex.value,
        "nation": text.nation_code,
        "birth_date": text.birth_date.strftime("%Y%m%d"),
        "address": text.address,
        "id_number": text.id_number,
        "issuer": text.issuer,
        "valid_from": text.valid_from.strftime("%Y%m%d"),
        "valid_until": NO_EXPIRY
        if text.valid_until is None
        else text.valid_until.strftime("%Y%m%d"),
        "reserved": "",
    }
    block = bytearray()
    for name, _start, size in LAYOUT:
        value = values[name]
        if any(ord(c) > 0xFFFF for c in value):
            raise DocumentInvalid("character outside UCS-2", field=name)
        encoded = value.encode("utf-16-le")
        if len(encoded) > size:
            raise DocumentInvalid(f"longer than {size // 2} characters", field=name)
        block += encoded + " ".encode("utf-16-le") * ((size - len(encoded)) // 2)
    return bytes(block)


def _decode(raw: bytes, field: str) -> str:
    try:
        value = raw.decode("utf-16-le")
    except UnicodeDecodeError:
        raise DocumentInvalid("not valid UCS-2", field=field) from None
    value = value.rstrip(_PAD)
    if field != "reserved" and not value.isprintable():
        raise DocumentInvalid("contains control characters", field=field)
    return value


def _required(value: str, field: str) -> str:
    if not value.strip():
        raise DocumentInvalid("empty", field=field)
    return value


def _date(value: str, field: str) -> dt.date:
    if len(value) != 8 or not value.isascii() or not value.isdigit():
        raise DocumentInvalid("expected YYYYMMDD", field=field)
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise DocumentInvalid("not a calendar date", field=field) from None


def _id_number(value: str, birth_date: dt.date, sex: Sex) -> str:
    """Check the GB 11643 structure: 6-digit region, birth date, 3-digit order, check character.

    The embedded birth date and the order code's parity (odd male, even female) are part of
    the number's definition, so a mismatch with the printed fields means a corrupt read.
    """
    if len(value) != 18:
        raise DocumentInvalid("expected 18 characters", field="id_number")
    expected = id_check_character(value[:17])
    if value[17] != expected:
        raise DocumentInvalid("check character does not match", field="id_number")
    if value[6:14] != birth_date.strftime("%Y%m%d"):
        raise DocumentInvalid("embedded birth date differs from the birth field", field="id_number")
    parity = int(value[16]) % 2
    if (sex is Sex.MALE and parity != 1) or (sex is Sex.FEMALE and parity != 0):
        raise DocumentInvalid("order code parity differs from the sex field", field="id_number")
    return value
