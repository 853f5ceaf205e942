"""Secure messaging with 3DES session keys, ICAO 9303-11 section 9.8, as a pure object.

``SecureMessaging`` holds KS_enc, KS_mac and the send sequence counter; ``protect`` turns
a plain command APDU into DO'87'/'85' (encrypted data), DO'97' (Le) and DO'8E' (MAC), and
``unprotect`` verifies and opens the chip's DO'87'/'85', DO'99' (status) and DO'8E'. The SSC
is incremented before each MAC, for commands and responses alike, so both ends stay in step.

Nothing is returned from a response whose MAC fails; every malformed response raises
``ProtocolError`` with the raw bytes and the offset of the offending data object.
"""

from __future__ import annotations

import hmac

from drivers.emrtd.apdu import CommandApdu, ResponseApdu, parse_response
from drivers.emrtd.bac import BacSession, KeyPair
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

DRV_SM_MAC = "DRV_SM_MAC"
"""The response's DO'8E' does not verify (wrong keys, SSC out of step, or tampering)."""
DRV_SM_MALFORMED = "DRV_SM_MALFORMED"
"""The response's data objects are not DO'87'/'85', DO'99', DO'8E' in that order."""
DRV_SM_UNPROTECTED = "DRV_SM_UNPROTECTED"
"""A success or warning status without a MAC: the chip left secure messaging (or someone
stripped it); an unauthenticated success is never trusted."""
DRV_SM_PADDING = "DRV_SM_PADDING"
"""Decrypted response data without valid ISO 9797-1 method 2 padding."""

SM_CLA_BITS = 0x0C  # 7816-4: secure messaging, command header authenticated
TAG_ENCRYPTED_PADDED = 0x87  # padding-content indicator byte + cryptogram
TAG_ENCRYPTED = 0x85  # cryptogram, for odd INS (BER-TLV data)
TAG_LE = 0x97
TAG_STATUS = 0x99
TAG_MAC = 0x8E
PADDING_INDICATOR = 0x01
MAC_LENGTH = 8
_SSC_MODULUS = 1 << 64


class SecureMessaging:
    """One secure messaging session. Not thread-safe: one reader, one card, in order."""

    def __init__(self, keys: KeyPair, ssc: bytes) -> None:
        if len(ssc) != 8:
            raise ValueError("the 3DES send sequence counter has 8 bytes")
        self._keys = keys
        self._ssc = int.from_bytes(ssc, "big")

    @classmethod
    def from_bac(cls, session: BacSession) -> SecureMessaging:
        return cls(session.keys, session.ssc)

    def __repr__(self) -> str:
        return "SecureMessaging(<redacted>)"

    @property
    def ssc(self) -> bytes:
        """The current send sequence counter (after the last protect/unprotect)."""
        return self._ssc.to_bytes(8, "big")

    def _next_ssc(self) -> bytes:
        self._ssc = (self._ssc + 1) % _SSC_MODULUS
        return self.ssc

    def _mac(self, ssc: bytes, message: bytes) -> bytes:
        return retail_mac(self._keys.k_mac, ssc + message)

    def protect(self, command: CommandApdu) -> CommandApdu:
        """The protected form of ``command`` (``bytes()`` of it is what goes on the wire)."""
        if command.cla & SM_CLA_BITS:
            raise ValueError("command is already marked as secure messaging")
        cla = command.cla | SM_CLA_BITS
        header = bytes([cla, command.ins, command.p1, command.p2])
        objects = b""
        if command.data:
            cryptogram = tdes_cbc_encrypt(self._keys.k_enc, pad(command.data))
            if command.ins & 1:
                objects += encode_tlv(TAG_ENCRYPTED, cryptogram)
            else:
                objects += encode_tlv(TAG_ENCRYPTED_PADDED, bytes([PADDING_INDICATOR]) + cryptogram)
        if command.le is not None:
            if command.le > 256:
                le_bytes = (command.le % 65536).to_bytes(2, "big")
            else:
                le_bytes = bytes([command.le % 256])
            objects += encode_tlv(TAG_LE, le_bytes)
        mac = self._mac(self._next_ssc(), pad(header) + objects)
        objects += encode_tlv(TAG_MAC, mac)
        extended = command.extended or len(objects) > 255
        return CommandApdu(
            cla, command.ins, command.p1, command.p2, objects, le=65536 if extended else 256
        )

    def unprotect(self, raw: bytes) -> ResponseApdu:
        """Verify and open a protected response APDU; return the plain data and the
        authenticated status from DO'99'.

        A bare error status (SW1 '64'-'6F', no data) is returned as is: chips answer SM
        errors in plain, and an error carries no data to trust. Any other response must be
        protected and verify. Raises ``ProtocolError`` (``DRV_APDU``, ``DRV_SM_MALFORMED``,
        ``DRV_SM_UNPROTECTED``, ``DRV_SM_MAC``, ``DRV_SM_PADDING``) with the raw bytes.

        The SSC advances for every response passed in, valid or not, as the chip's did when
        it answered; after an error the caller re-runs BAC rather than trying to resync.
        """
        raw = bytes(raw)
        ssc = self._next_ssc()
        plain = parse_response(raw)
        if not plain.data:
            if 0x64 <= plain.sw1 <= 0x6F:
                return plain
            raise ProtocolError(
                f"status {plain.sw:04X} without secure messaging",
                raw=raw,
                offset=0,
                reason=DRV_SM_UNPROTECTED,
            )
        try:
            objects = parse_tlvs(plain.data)
        except ProtocolError as exc:
            raise ProtocolError(
                f"data objects unreadable ({exc.args[0]})",
                raw=raw,
                offset=exc.offset,
                reason=DRV_SM_MALFORMED,
            ) from exc

        cryptogram_do = status_do = mac_do = None
        for obj in objects:
            if mac_do is not None:
                raise _malformed("data object after DO'8E'", raw, obj.offset)
            if obj.tag in (TAG_ENCRYPTED_PADDED, TAG_ENCRYPTED):
                if cryptogram_do is not None or status_do is not None:
                    raise _malformed("encrypted data object out of place", raw, obj.offset)
                cryptogram_do = obj
            elif obj.tag == TAG_STATUS:
                if status_do is not None:
                    raise _malformed("second DO'99'", raw, obj.offset)
                status_do = obj
            elif obj.tag == TAG_MAC:
                mac_do = obj
            else:
                raise _malformed(f"unexpected data object tag {obj.tag:X}", raw, obj.offset)
        if mac_do is None:
            raise ProtocolError(
                "response without DO'8E'",
                raw=raw,
                offset=len(plain.data),
                reason=DRV_SM_UNPROTECTED,
            )
        if len(mac_do.value) != MAC_LENGTH:
            raise _malformed("DO'8E' is not 8 bytes", raw, mac_do.offset)
        if status_do is None:
            raise _malformed("response without DO'99'", raw, mac_do.offset)
        if len(status_do.value) != 2:
            raise _malformed("DO'99' is not 2 bytes", raw, status_do.offset)

        covered = plain.data[: mac_do.offset]
        if not hmac.compare_digest(self._mac(ssc, covered), mac_do.value):
            raise ProtocolError(
                "DO'8E' does not verify", raw=raw, offset=mac_do.offset, reason=DRV_SM_MAC
            )

        data = b""
        if cryptogram_do is not None:
            data = self._decrypt(cryptogram_do.tag, cryptogram_do.value, raw, cryptogram_do.offset)
        return ResponseApdu(data=data, sw1=status_do.value[0], sw2=status_do.value[1])

    def _decrypt(self, tag: int, value: bytes, raw: bytes, offset: int) -> bytes:
        cryptogram = value
        if tag == TAG_ENCRYPTED_PADDED:
            if not value or value[0] != PADDING_INDICATOR:
                raise _malformed("DO'87' padding indicator is not 01", raw, offset)
            cryptogram = value[1:]
        if not cryptogram or len(cryptogram) % BLOCK_SIZE:
            raise _malformed("cryptogram is not a multiple of 8 bytes", raw, offset)
        try:
            return unpad(tdes_cbc_decrypt(self._keys.k_enc, cryptogram))
        except ValueError:
            raise ProtocolError(
                "decrypted data has no ISO 9797-1 padding",
                raw=raw,
                offset=offset,
                reason=DRV_SM_PADDING,
            ) from None


def _malformed(message: str, raw: bytes, offset: int) -> ProtocolError:
    return ProtocolError(message, raw=raw, offset=offset, reason=DRV_SM_MALFORMED)
