"""Plug-in point for decoding the card's WLT portrait.

The 1024-byte photo on the card is in the proprietary "WLT" format; decoding it needs a
licensed vendor library, which this project cannot ship. The driver therefore keeps the
photo as an opaque blob (``portrait_format="wlt"``) and a site that holds a licence installs
a decoder, either by calling :func:`register_wlt_decoder` or by publishing an entry point in
the ``bdmi_kiosk.wlt_decoders`` group whose object satisfies :class:`WltDecoder`.
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points
from typing import Protocol, runtime_checkable

ENTRY_POINT_GROUP = "bdmi_kiosk.wlt_decoders"
WLT_SIZE = 1024

_log = logging.getLogger(__name__)
_registered: list[WltDecoder] = []


@runtime_checkable
class WltDecoder(Protocol):
    """Turns a WLT blob into an ordinary image."""

    name: str

    def decode(self, wlt: bytes) -> tuple[bytes, str]:
        """Return ``(image bytes, format)``, format as in ``IdentityDocument.portrait_format``
        (e.g. ``"jpeg"``, ``"png"``). Raise ``drivers.errors.DocumentInvalid`` on bad input."""
        ...


def register_wlt_decoder(decoder: WltDecoder) -> None:
    """Make ``decoder`` the first one :func:`find_wlt_decoder` returns."""
    _registered.insert(0, decoder)


def unregister_wlt_decoder(decoder: WltDecoder) -> None:
    if decoder in _registered:
        _registered.remove(decoder)


def find_wlt_decoder() -> WltDecoder | None:
    """The registered decoder, else the first installed entry point, else ``None``
    (the normal case: no decoder is shipped)."""
    if _registered:
        return _registered[0]
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            candidate = entry.load()
        except Exception:  # a broken third-party plug-in must not take the reader down
            _log.warning("WLT decoder entry point %s failed to load", entry.name, exc_info=True)
            continue
        if isinstance(candidate, type):
            candidate = candidate()
        if isinstance(candidate, WltDecoder):
            return candidate
        _log.warning("WLT decoder entry point %s is not a WltDecoder", entry.name)
    return None
