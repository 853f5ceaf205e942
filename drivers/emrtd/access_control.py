"""Access control for eMRTD chips: the protocols that turn the MRZ into a secure channel.

Basic Access Control (ICAO 9303-11 4.3) is the one implemented; PACE (9303-11 4.4) will be a
second ``AccessProtocol`` returning its own ``SecureChannel``, and the reader does not change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from drivers.emrtd import apdu as iso
from drivers.emrtd.bac import (
    complete_bac,
    document_basic_access_keys,
    mutual_authenticate_data,
    new_terminal_secrets,
)
from drivers.emrtd.secure_messaging import SecureMessaging
from drivers.errors import CardReadFailed, ProtocolError

DRV_EMRTD_BAC_DENIED = "DRV_EMRTD_BAC_DENIED"
"""The chip refused MUTUAL AUTHENTICATE (6300): the MRZ entered does not match the chip."""
DRV_EMRTD_STATUS = "DRV_EMRTD_STATUS"
"""The chip answered an unexpected status word (logged with the command)."""

Transmit = Callable[[iso.CommandApdu], bytes]
"""Sends one command APDU, returns the raw response (data + SW1-SW2)."""


class SecureChannel(Protocol):
    """What an access protocol leaves: protects commands, opens responses."""

    def protect(self, command: iso.CommandApdu) -> iso.CommandApdu: ...

    def unprotect(self, raw: bytes) -> iso.ResponseApdu: ...


class AccessProtocol(Protocol):
    """One way to open the chip (BAC now; PACE next to it later). ``establish`` runs the
    protocol over ``transmit`` after the eMRTD application is selected and returns the
    secure channel; it raises ``AccessDenied`` when the chip refuses the key."""

    name: str

    def establish(self, transmit: Transmit) -> SecureChannel: ...


class AccessDenied(CardReadFailed):
    """The chip refused the access key (wrong MRZ information)."""

    reason = DRV_EMRTD_BAC_DENIED


class BasicAccessControl:
    """BAC, ICAO 9303-11 4.3: GET CHALLENGE, MUTUAL AUTHENTICATE, 3DES session keys."""

    name = "BAC"

    def __init__(self, mrz_information: str) -> None:
        self._keys = document_basic_access_keys(mrz_information)

    def __repr__(self) -> str:
        return "BasicAccessControl(<redacted>)"

    def establish(self, transmit: Transmit) -> SecureChannel:
        challenge = iso.parse_response(transmit(iso.get_challenge()))
        expect_ok(challenge, "GET CHALLENGE")
        rnd_ic = challenge.data
        rnd_ifd, k_ifd = new_terminal_secrets()
        command = iso.mutual_authenticate(
            mutual_authenticate_data(self._keys, rnd_ic, rnd_ifd, k_ifd)
        )
        answer = iso.parse_response(transmit(command))
        if answer.sw == 0x6300 or answer.sw1 == 0x63:
            raise AccessDenied("the chip refused BAC: check the MRZ (number, birth, expiry)")
        expect_ok(answer, "MUTUAL AUTHENTICATE")
        session = complete_bac(self._keys, answer.data, rnd_ic, rnd_ifd, k_ifd)
        return SecureMessaging.from_bac(session)


def expect_ok(response: iso.ResponseApdu, what: str) -> None:
    if not response.ok:
        raise ProtocolError(
            f"{what} answered {response.sw:04X}",
            raw=response.to_bytes(),
            reason=DRV_EMRTD_STATUS,
        )
