"""What the document screen and its neighbours tell a person (issue 16 item 10).

The kiosk is built from a config as ``bdmi-kiosk`` builds it, without its devices; the screens
are reached with the flows' own views. The drawings follow the configured readers and where
the config says they sit; the MRZ dates come with an example; the insurer is named in the
session's language.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QRectF

from kiosk.config import load_config
from kiosk.flows.consent import ConsentStep, ConsentTerms, ConsentView
from kiosk.flows.verification import Step, View
from kiosk.idv.decision import Decision
from kiosk.ui.app import KioskUi
from tests.ui.test_screen_layout import show
from tests.ui.test_welcome import find, screenshot, shown, tap, visible_texts

pytestmark = pytest.mark.ui


def _kiosk(qtbot, config_file: Path) -> KioskUi:
    ui = KioskUi(load_config(config_file))
    qtbot.waitExposed(ui.window)
    qtbot.waitUntil(lambda: ui.window.size() == ui.window.screen().size())
    return ui


@pytest.fixture
def ui(qtbot, demo_config_file) -> Iterator[KioskUi]:
    kiosk = _kiosk(qtbot, demo_config_file)
    try:
        yield kiosk
    finally:
        kiosk.close()


def _rect(item) -> QRectF:
    return item.mapRectToScene(QRectF(0, 0, item.width(), item.height()))


def _show(qtbot, ui: KioskUi, view: View) -> None:
    show(qtbot, ui, view)


def _pad_side(ui: KioskUi, kind: str) -> float:
    """Where the reader is drawn across its kiosk drawing: 0 left edge, 1 right edge."""
    hint = find(ui, f"readerHint_{kind}")
    picture, pad = _rect(_child(hint, "readerPicture")), _rect(_child(hint, "readerPad"))
    return (pad.center().x() - picture.left()) / picture.width()


def _child(item, name: str):
    for child in item.childItems():
        if child.objectName() == name:
            return child
        found = _child(child, name)
        if found is not None:
            return found
    return None


def test_each_configured_reader_is_drawn_where_the_config_puts_it(qtbot, demo_config_file):
    text = demo_config_file.read_text(encoding="utf-8")
    text = text.replace(
        '[readers.sam]\nkind = "simulated"',
        '[readers.sam]\nkind = "simulated"\nplacement = "below_right"',
    )
    text = text.replace('[readers.pcsc]\nkind = "simulated"',
                        '[readers.pcsc]\nkind = "simulated"\nplacement = "left"')  # fmt: skip
    demo_config_file.write_text(text, encoding="utf-8")
    ui = _kiosk(qtbot, demo_config_file)
    try:
        _show(qtbot, ui, View(step=Step.PRESENT_DOCUMENT, language="en"))
        assert shown(ui, "readerHint_sam") and shown(ui, "readerHint_pcsc")
        assert _pad_side(ui, "sam") > 0.6  # on the right of the shelf
        assert _pad_side(ui, "pcsc") < 0.3  # on the kiosk's left side
    finally:
        ui.close()


def test_a_kiosk_without_a_passport_reader_draws_none(qtbot, demo_config_file):
    text = demo_config_file.read_text(encoding="utf-8")
    demo_config_file.write_text(text.replace('[readers.pcsc]\nkind = "simulated"\n', ""))
    ui = _kiosk(qtbot, demo_config_file)
    try:
        _show(qtbot, ui, View(step=Step.PRESENT_DOCUMENT, language="en"))
        assert shown(ui, "readerHint_sam") and not shown(ui, "readerHint_pcsc")
    finally:
        ui.close()


def test_the_drawings_stay_visible_in_high_contrast(qtbot, ui):
    tap(qtbot, ui, "highContrastToggle")
    _show(qtbot, ui, View(step=Step.PRESENT_DOCUMENT, language="zh_CN"))
    image = ui.window.grabWindow()
    pad = _rect(_child(find(ui, "readerHint_sam"), "readerPad"))
    # the pad's own colour, sampled inside its edge, is not the black page
    colour = image.pixelColor(int(pad.center().x()), int(pad.bottom() - 4))
    assert colour.name() != "#000000"
    screenshot(ui, "present_document_contrast_zh_CN")


def test_a_date_field_shows_an_example_while_it_is_typed(qtbot, ui):
    _show(qtbot, ui, View(step=Step.MRZ_ENTRY, language="en"))
    assert not shown(ui, "mrzBirthFieldExample")
    tap(qtbot, ui, "mrzBirthField")
    qtbot.waitUntil(lambda: shown(ui, "mrzBirthFieldExample"))
    assert "490315" in find(ui, "mrzBirthFieldExample").property("text")
    tap(qtbot, ui, "mrzExpiryField")
    qtbot.waitUntil(lambda: shown(ui, "mrzExpiryFieldExample"))
    assert not shown(ui, "mrzBirthFieldExample")


def test_the_insurer_is_named_in_the_sessions_language(qtbot, demo_config_file):
    text = demo_config_file.read_text(encoding="utf-8").replace(
        'mode = "demo"', 'mode = "demo"\nflow = "insurance_consent"', 1
    )
    text += '\n[consent]\ninsurer = "Ping An Health"\ninsurer_names = { zh_CN = "平安健康" }\n'
    demo_config_file.write_text(text, encoding="utf-8")
    ui = _kiosk(qtbot, demo_config_file)
    try:
        terms = ConsentTerms("Ping An Health", ("prescriptions",), "underwriting", 365)
        view = ConsentView(step=ConsentStep.CONSENT, language="zh_CN",  # type: ignore[arg-type]
                           decision=Decision.PASS, terms=terms)  # fmt: skip
        _show(qtbot, ui, view)
        assert any("平安健康" in t for t in visible_texts(ui))
        ui.controller.setLanguage("en")
        qtbot.waitUntil(lambda: any("Ping An Health" in t for t in visible_texts(ui)))
        assert not any("平安健康" in t for t in visible_texts(ui))
    finally:
        ui.close()


def test_the_field_an_mrz_error_names_is_marked(qtbot, ui):
    _show(qtbot, ui, View(step=Step.MRZ_ENTRY, language="en", error="DRV_MRZ_DATE",
                          field="birth_date"))  # fmt: skip
    birth = find(ui, "mrzBirthFieldLabel").property("color")
    other = find(ui, "mrzNumberFieldLabel").property("color")
    assert birth != other  # the date of birth's label in the error colour, the others not
    assert find(ui, "mrzExpiryFieldLabel").property("color") == other
