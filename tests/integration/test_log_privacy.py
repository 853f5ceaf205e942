"""A sample session at DEBUG level leaves no personal data in the logs.

The session: the kiosk starts and a person taps through the screens; a resident ID card is
read through the production SAM driver from the simulated reader on a real pty, including
the error paths that tend to leak (a corrupted frame, a card pulled mid-read, a document
error logged with its traceback); an MRZ with a wrong check digit is parsed and the error
logged. Then every log line is searched for every personal field.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from drivers.errors import DriverError
from drivers.mrz import parse_mrz
from drivers.sam.reader import SamIdCardReader
from drivers.simulators.sam_reader import SAMPLE_IDENTITIES, SimulatedSamReader
from kiosk.config import load_config
from kiosk.log import configure_logging
from kiosk.ui.app import KioskUi

# ICAO 9303 specimen with the birth-date check digit altered (9 -> 8): fails parsing.
SPECIMEN_BAD = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408128F1204159ZE184226B<<<<<10",
)


@pytest.fixture
def debug_log() -> io.StringIO:
    stream = io.StringIO()
    handler = configure_logging("DEBUG", "json", stream)
    yield stream
    logging.getLogger().removeHandler(handler)


def tap(ui: KioskUi, name: str) -> None:
    item = ui.window.findChild(QObject, name)
    centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2)).toPoint()
    QTest.mouseClick(
        ui.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(centre)
    )


def personal_values() -> list[str]:
    values = []
    for identity in SAMPLE_IDENTITIES:
        text = identity.text
        values += [
            text.name,
            text.id_number,
            text.address,
            text.issuer,
            text.birth_date.strftime("%Y%m%d"),
            text.birth_date.isoformat(),
        ]
    values += [*SPECIMEN_BAD, "ERIKSSON", "L898902C3"]
    return [v for v in values if v]


@pytest.mark.services
def test_sample_session_logs_no_personal_data(qtbot, debug_log, demo_config_file, tmp_path: Path):
    log = logging.getLogger("kiosk.flows.sample")
    ui = KioskUi(load_config(demo_config_file))
    qtbot.waitExposed(ui.window)
    # The Start button waits for the devices (readers, camera, models, store) to open.
    ui.start_devices()
    qtbot.waitUntil(lambda: ui.controller.ready, timeout=60_000)
    ui.runner.simulators["sam"].remove_card()  # the session's card goes in below
    tap(ui, "languageEn")
    tap(ui, "startButton")
    qtbot.waitUntil(lambda: ui.controller.screen == "present_document")

    with SimulatedSamReader(link=tmp_path / "bdmi-sam") as sim:
        reader = SamIdCardReader(sim.port, timeout=5.0, read_timeout=10.0)
        try:
            sim.insert_card(SAMPLE_IDENTITIES[0])
            sim.inject_garbage()
            sim.corrupt_next_checksums(1)
            document = reader.read()
            log.info("document read", extra={"doc_type": document.doc_type.value, "doc": document})
            sim.insert_card(SAMPLE_IDENTITIES[1])
            sim.remove_card_after_select()
            with pytest.raises(DriverError) as removed:
                reader.read()
            log.warning("read failed", extra={"reason": removed.value.reason}, exc_info=True)
        finally:
            reader.close()
    try:
        parse_mrz(SPECIMEN_BAD)
    except DriverError:
        log.exception("MRZ rejected")

    tap(ui, "backButton")
    qtbot.waitUntil(lambda: ui.controller.screen == "welcome")
    ui.close()

    text = debug_log.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    # the session really happened and was logged
    assert any(r["msg"] == "document read" for r in lines)
    assert any(r.get("reason") == "DRV_SAM_CARD_REMOVED" for r in lines)
    assert any(r["msg"] == "MRZ rejected" and "exc" in r for r in lines)
    assert any(r["logger"].startswith("drivers.sam") for r in lines)
    assert any(r["msg"] == "screen" for r in lines)
    leaked = [value for value in personal_values() if value in text]
    assert not leaked, f"personal data in the log: {len(leaked)} value(s)"
