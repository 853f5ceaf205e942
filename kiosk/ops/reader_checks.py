"""Document readers: does each configured reader answer, and does a test card on it read?

Each reader is opened through ``kiosk.devices`` exactly as the kiosk opens it, so the check
exercises the production driver path: the SAM reader is opened on its serial port and asked
for its SAM status (11 FF), the PC/SC reader must be listed by pcscd. One reader yields two
results, ``reader.<kind>`` and ``card.<kind>``: a reader that answers with no card on it is
fine (``card`` is skipped with ``OPS_NO_TEST_CARD``); a card that is there and does not read
is a failure the technician should see. What a card holds is personal data: the read
document is dropped at once and only its type reaches the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from drivers.errors import DriverError
from kiosk.ops.check import Check, fail, ok, skipped, warn
from kiosk.ops.context import CheckContext

if TYPE_CHECKING:
    from kiosk.devices import OpenedReader, ReaderKind

OPS_NO_TEST_CARD = "OPS_NO_TEST_CARD"
OPS_READER_NOT_CONFIGURED = "OPS_READER_NOT_CONFIGURED"
OPS_READER_FAILED = "OPS_READER_FAILED"
_SW_OK = 0x9000


def reader_names(kind: ReaderKind) -> tuple[str, str]:
    return f"reader.{kind}", f"card.{kind}"


def configured(ctx: CheckContext, kind: ReaderKind) -> bool:
    return getattr(ctx.config.readers, kind) is not None


def check_reader(ctx: CheckContext, kind: ReaderKind) -> Sequence[Check]:
    """``reader.<kind>`` and ``card.<kind>`` for one configured reader."""
    from kiosk.devices import document_reader

    reader_name, card_name = reader_names(kind)
    if not configured(ctx, kind):
        why = f"no [readers.{kind}] in the config"
        return [
            skipped(reader_name, OPS_READER_NOT_CONFIGURED, why),
            skipped(card_name, OPS_READER_NOT_CONFIGURED, why),
        ]
    try:
        with document_reader(ctx.config, kind) as opened:
            answered = ok(reader_name, _answered(opened), simulated=opened.simulated)
            return [answered, _card(opened, card_name)]
    except DriverError as exc:
        return [
            fail(reader_name, exc.reason, str(exc.args[0])),
            skipped(card_name, OPS_READER_FAILED, "the reader did not answer"),
        ]


def _answered(opened: OpenedReader) -> str:
    name = getattr(opened.reader, "reader_name", "") or getattr(opened.reader, "name", "")
    kind = "simulated " if opened.simulated else ""
    return f"{kind}reader {name} answers"


def _card(opened: OpenedReader, name: str) -> Check:
    reader = opened.reader
    try:
        if not reader.card_present():
            return skipped(name, OPS_NO_TEST_CARD, "no test card on the reader")
        from drivers.emrtd.reader import PcscPassportReader

        if isinstance(reader, PcscPassportReader):
            return _passport(opened, reader, name)
        document = reader.read()
        kind = document.doc_type.value
        del document  # personal data: only its type goes into the report
        return ok(name, f"test card read ({kind})", doc_type=kind)
    except DriverError as exc:
        return fail(name, exc.reason, str(exc.args[0]))


def _passport(opened: OpenedReader, reader: object, name: str) -> Check:
    """A chip is read in full when its MRZ is known (the demo's specimen); otherwise the
    eMRTD application is selected, which needs no key."""
    from drivers.emrtd.reader import DRV_EMRTD_NOT_EMRTD, PcscPassportReader
    from kiosk.ops.pcsc_probe import select_emrtd

    assert isinstance(reader, PcscPassportReader)
    if opened.access_mrz is not None:
        reader.set_access_key(opened.access_mrz)
        chip = reader.read_chip()
        status = chip.chip_authentication.value
        return ok(
            name,
            f"test passport read: {chip.apdu_count} APDUs, passive authentication {status}",
            apdus=chip.apdu_count,
            chip_authentication=status,
        )
    sw = select_emrtd(reader.reader_name)
    if sw != _SW_OK:
        return warn(
            name,
            DRV_EMRTD_NOT_EMRTD,
            f"the card answers but has no eMRTD application (status word {sw:04X})",
            status_word=f"{sw:04X}",
        )
    return ok(name, "the card answers: eMRTD application selected (chip not read: no MRZ)")
