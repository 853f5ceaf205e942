"""eMRTD (ICAO 9303 chip) codecs: BER-TLV, APDUs, Basic Access Control and secure
messaging. Pure: the PC/SC transport lives elsewhere and only moves bytes."""

from drivers.emrtd.apdu import CommandApdu, ResponseApdu, parse_response
from drivers.emrtd.bac import BacSession, KeyPair, complete_bac, document_basic_access_keys
from drivers.emrtd.secure_messaging import SecureMessaging
from drivers.emrtd.tlv import Tlv, parse_tlvs, read_tlv

__all__ = [
    "BacSession",
    "CommandApdu",
    "KeyPair",
    "ResponseApdu",
    "SecureMessaging",
    "Tlv",
    "complete_bac",
    "document_basic_access_keys",
    "parse_response",
    "parse_tlvs",
    "read_tlv",
]
