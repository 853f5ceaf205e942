"""A card on a PC/SC reader, asked the one question that needs no key: SELECT the eMRTD
application; and the reset the health daemon uses on a wedged card session.

Reading a passport's chip needs its MRZ (BAC), which a technician's test card may not come
with; ``SELECT A0000002471001`` is answered by every ICAO chip before any access control, so
it proves reader, field and chip talk. ``reset_card`` is ``SCardReconnect`` with
``SCARD_RESET_CARD``: a warm reset of the card, the documented way out of a card session that
stopped answering without pulling the card.
"""

from __future__ import annotations

from typing import Any

from drivers.emrtd import apdu as iso
from drivers.errors import CardReadFailed, NoCard, ReaderUnavailable

_PROTOCOLS = "T0|T1"
_NO_SMARTCARD = {0x8010000C, 0x80100069}  # SCARD_E_NO_SMARTCARD, SCARD_W_REMOVED_CARD


def _scard() -> Any:
    from smartcard import scard

    return scard


def _connect(reader_name: str) -> tuple[Any, Any, Any, int]:
    scard = _scard()
    rv, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if rv != scard.SCARD_S_SUCCESS:
        raise ReaderUnavailable(f"SCardEstablishContext failed: {rv & 0xFFFFFFFF:08X}")
    protocols = scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
    rv, card, protocol = scard.SCardConnect(
        context, reader_name, scard.SCARD_SHARE_SHARED, protocols
    )
    if rv != scard.SCARD_S_SUCCESS:
        scard.SCardReleaseContext(context)
        code = rv & 0xFFFFFFFF
        if code in _NO_SMARTCARD:
            raise NoCard(f"no card on {reader_name!r}")
        raise ReaderUnavailable(f"SCardConnect to {reader_name!r} failed: {code:08X}")
    return scard, context, card, protocol


def _release(scard: Any, context: Any, card: Any) -> None:
    scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
    scard.SCardReleaseContext(context)


def select_emrtd(reader_name: str) -> int:
    """SELECT the eMRTD application on the card in ``reader_name``; its status word."""
    scard, context, card, protocol = _connect(reader_name)
    try:
        command = iso.select_application().to_bytes()
        rv, response = scard.SCardTransmit(card, protocol, list(command))
        if rv != scard.SCARD_S_SUCCESS:
            raise CardReadFailed(f"SCardTransmit failed: {rv & 0xFFFFFFFF:08X}")
        if len(response) < 2:
            raise CardReadFailed(f"answer of {len(response)} bytes has no status word")
        return (response[-2] << 8) | response[-1]
    finally:
        _release(scard, context, card)


def reset_card(reader_name: str) -> None:
    """Warm-reset the card in ``reader_name`` (``SCardReconnect`` with ``SCARD_RESET_CARD``)."""
    scard, context, card, _protocol = _connect(reader_name)
    try:
        protocols = scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
        rv, _active = scard.SCardReconnect(
            card, scard.SCARD_SHARE_SHARED, protocols, scard.SCARD_RESET_CARD
        )
        if rv != scard.SCARD_S_SUCCESS:
            raise ReaderUnavailable(f"SCardReconnect (reset) failed: {rv & 0xFFFFFFFF:08X}")
    finally:
        _release(scard, context, card)
