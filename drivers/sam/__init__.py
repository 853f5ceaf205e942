"""China 2nd-generation resident ID card on a serial SAM reader (GA 467-style protocol).

``frame``, ``message``, ``status`` and ``text`` are pure codecs; ``transport`` is the
pyserial line; ``reader`` puts them together as a ``DocumentReader``; ``wlt`` is the
plug-in point for a licensed portrait decoder.
"""

from drivers.errors import CardReadFailed
from drivers.sam.reader import SamIdCardReader
from drivers.sam.transport import candidate_ports, resolve_port
from drivers.sam.wlt import WltDecoder, find_wlt_decoder, register_wlt_decoder

__all__ = [
    "CardReadFailed",
    "SamIdCardReader",
    "WltDecoder",
    "candidate_ports",
    "find_wlt_decoder",
    "register_wlt_decoder",
    "resolve_port",
]
