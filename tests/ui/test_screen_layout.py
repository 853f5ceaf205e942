"""Every screen in all 8 display modes (2 languages x normal/larger text x normal/high
contrast), rendered by the real QML in a real window, then measured.

The kiosk is built as ``bdmi-kiosk`` builds it, without opening its devices: the screens are
reached by handing the controller the flows' own view objects (what a runner hands it after
an event), so each state, error texts included, renders without a face check per mode.
The modes are set by tapping the buttons a person taps.

What is checked on each rendered frame:
- every visible text lies inside the window and is not cut (no elision, no overflow of its
  own box);
- nothing but the banner's own items overlaps the banner;
- no two controls or texts overlap each other (a text inside a button belongs to it).
Large-text screenshots go to docs/screens/ (docs/screens.md shows them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QRectF
from PySide6.QtQuick import QQuickItem

from kiosk.config import load_config
from kiosk.flows.consent import ConsentStep, ConsentTerms, ConsentView
from kiosk.flows.pension import LifeCertificate, PensionStep, PensionView
from kiosk.flows.verification import Step, View
from kiosk.idv.decision import Decision
from kiosk.idv.gestures import Gesture
from kiosk.security.pin import DEMO_PIN
from kiosk.ui.app import KioskUi
from tests.ui.kiosk_window import running_kiosk
from tests.ui.test_service_mode import enter, hold_corner
from tests.ui.test_welcome import find, rendered, screenshot, tap

pytestmark = pytest.mark.ui

TOLERANCE = 1.0  # px: anti-aliased edges and rounding of anchors
TERMS_DAYS = 365


@dataclass(frozen=True)
class Mode:
    language: str
    large: bool
    contrast: bool

    @property
    def name(self) -> str:
        size = "large" if self.large else "normal"
        colours = "contrast" if self.contrast else "plain"
        return f"{self.language}_{size}_{colours}"


MODES = [
    Mode(language, large, contrast)
    for language in ("zh_CN", "en")
    for large in (False, True)
    for contrast in (False, True)
]


def _terms() -> ConsentTerms:
    return ConsentTerms(
        insurer="Demo Mutual Insurance",
        data_scope=("hospital_records", "prescriptions", "lab_results"),
        purpose="underwriting",
        duration_days=TERMS_DAYS,
    )


def _certificate() -> LifeCertificate:
    return LifeCertificate(
        valid_until=dt.date(2027, 12, 6), next_due=dt.date(2027, 11, 6), reference="7K3M-Q9TX"
    )


# The states of each flow, as its views: the longest texts each screen can show.
HOSPITAL: dict[str, View] = {
    "welcome": View(step=Step.WELCOME, language="en"),
    "present_document": View(step=Step.PRESENT_DOCUMENT, language="en"),
    "present_document_error": View(
        step=Step.PRESENT_DOCUMENT, language="en", error="DRV_SAM_CARD_TYPE"
    ),
    "mrz_entry_error": View(
        step=Step.MRZ_ENTRY, language="en", error="DRV_MRZ_DATE", field="birth_date"
    ),
    "reading": View(step=Step.READING, language="en", progress=0.5, read_stage="reading"),
    "face": View(
        step=Step.FACE,
        language="en",
        challenge=Gesture.TURN_RIGHT,
        hint="IDV_MULTIPLE_FACES",
        remaining_s=7.0,
    ),
    "saving": View(step=Step.SAVING, language="en", decision=Decision.PASS),
    "result_pass": View(
        step=Step.RESULT, language="en", decision=Decision.PASS, reference="7K3M-Q9TX"
    ),
    "result_receipt_failed": View(
        step=Step.RESULT,
        language="en",
        decision=Decision.PASS,
        reference="7K3M-Q9TX",
        receipt="failed",
        receipt_error="DRV_PRINTER_NO_PAPER",
    ),
    # As the flow shows a failure: the deciding reason worded, the reference, and "Try
    # again" while tries are left; the last try sends the person to staff (called at once).
    "result_fail": View(
        step=Step.RESULT,
        language="en",
        decision=Decision.FAIL,
        reasons=("IDV_LIVENESS_TIMEOUT",),
        reason="IDV_LIVENESS_TIMEOUT",
        reference="7K3M-Q9TX",
        retryable=True,
    ),
    "result_fail_staff": View(
        step=Step.RESULT,
        language="en",
        decision=Decision.FAIL,
        reasons=("IDV_LIVENESS_TIMEOUT", "IDV_MATCH_REJECTED"),
        reason="IDV_MATCH_REJECTED",
        reference="7K3M-Q9TX",
        staff_called=True,
    ),
    "result_not_saved": View(
        step=Step.RESULT, language="en", decision=Decision.PASS, error="STORE_DISK_LOW"
    ),
}
PENSION: dict[str, View] = {
    "pension_welcome": PensionView(step=Step.WELCOME, language="en"),
    "pension_present_document": PensionView(step=Step.PRESENT_DOCUMENT, language="en"),
    "lookup": PensionView(step=PensionStep.LOOKUP, language="en"),  # type: ignore[arg-type]
    "staff_pin": PensionView(
        step=PensionStep.STAFF_PIN,  # type: ignore[arg-type]
        language="en",
        error="UI_PIN_WRONG",
        pin_attempts_left=2,
    ),
    "enrol": PensionView(
        step=PensionStep.ENROL,  # type: ignore[arg-type]
        language="en",
        challenge=Gesture.OPEN_MOUTH,
        hint="IDV_NO_FACE",
        remaining_s=9.0,
    ),
    "life_certificate": PensionView(
        step=Step.RESULT,
        language="en",
        decision=Decision.PASS,
        reference="7K3M-Q9TX",
        certificate=_certificate(),
    ),
    "pension_see_staff": PensionView(
        step=Step.RESULT, language="en", decision=Decision.REFERRED, see_staff=True
    ),
}
CONSENT: dict[str, View] = {
    "consent": ConsentView(
        step=ConsentStep.CONSENT,  # type: ignore[arg-type]
        language="en",
        decision=Decision.PASS,
        terms=_terms(),
    ),
    "result_consent_accepted": ConsentView(
        step=Step.RESULT,
        language="en",
        decision=Decision.PASS,
        reference="7K3M-Q9TX",
        terms=_terms(),
        consent="accepted",  # type: ignore[arg-type]
    ),
}
FLOWS = {"hospital_checkin": HOSPITAL, "pension_survival": PENSION, "insurance_consent": CONSENT}


@pytest.fixture
def flow_config(demo_config_file: Path, request) -> Path:
    flow = request.param
    text = demo_config_file.read_text(encoding="utf-8")
    if flow != "hospital_checkin":
        text = text.replace('mode = "demo"', f'mode = "demo"\nflow = "{flow}"', 1)
    demo_config_file.write_text(text, encoding="utf-8")
    return demo_config_file


@pytest.fixture
def ui(qtbot, flow_config: Path) -> Iterator[KioskUi]:
    kiosk = KioskUi(load_config(flow_config))
    try:
        qtbot.waitExposed(kiosk.window)
        qtbot.waitUntil(lambda: kiosk.window.size() == kiosk.window.screen().size())
        yield kiosk
    finally:
        kiosk.close()


# -- the measuring -------------------------------------------------------------------------
def _type(item: QQuickItem) -> str:
    return item.metaObject().className()


def _is_text(item: QQuickItem) -> bool:
    return _type(item) == "QQuickText"


def _is_control(item: QQuickItem) -> bool:
    name = _type(item)
    return name.startswith("KioskButton_QMLTYPE") or name == "QQuickImage"


def _is_banner(item: QQuickItem) -> bool:
    return _type(item).startswith("Banner_QMLTYPE")


def _scene_rect(item: QQuickItem) -> QRectF:
    return item.mapRectToScene(QRectF(0, 0, item.width(), item.height()))


def _overlap(a: QRectF, b: QRectF) -> bool:
    inter = a.intersected(b)
    return inter.width() > TOLERANCE and inter.height() > TOLERANCE


@dataclass
class Found:
    item: QQuickItem
    rect: QRectF
    label: str
    banner: QQuickItem | None
    """The banner the item belongs to, if it is one of the banner's own items."""


def _label(item: QQuickItem) -> str:
    name = item.objectName() or _type(item).split("_QMLTYPE")[0]
    text = item.property("text")
    return f"{name}({text!r})" if isinstance(text, str) and text else name


def _walk(root: QQuickItem) -> tuple[list[Found], list[Found], list[QRectF]]:
    """Visible texts and controls (a control's own items are part of it), and the banners."""
    texts: list[Found] = []
    controls: list[Found] = []
    banners: list[QRectF] = []

    def walk(item: QQuickItem, banner: QQuickItem | None) -> None:
        if not isinstance(item, QQuickItem) or not item.isVisible() or item.opacity() == 0:
            return
        if _is_banner(item):
            banner = item
            banners.append(_scene_rect(item))
        if _is_control(item):
            if item.width() > 0 and item.height() > 0:
                controls.append(Found(item, _scene_rect(item), _label(item), banner))
            return
        if _is_text(item) and str(item.property("text")).strip():
            texts.append(Found(item, _scene_rect(item), _label(item), banner))
        for child in item.childItems():
            walk(child, banner)

    walk(root, None)
    return texts, controls, banners


def layout_faults(ui: KioskUi, root: QQuickItem | None = None) -> list[str]:
    """What is wrong with the layout of ``root`` (default: the whole window)."""
    window = QRectF(0, 0, ui.window.width(), ui.window.height())
    texts, controls, banners = _walk(root or ui.window.contentItem())
    faults: list[str] = []
    for found in texts:
        item, rect = found.item, found.rect
        if not window.adjusted(-TOLERANCE, -TOLERANCE, TOLERANCE, TOLERANCE).contains(rect):
            faults.append(f"{found.label} leaves the window: {rect}")
        if item.property("truncated"):
            faults.append(f"{found.label} is cut off (elided)")
        too_wide = item.property("contentWidth") > item.width() + TOLERANCE
        too_tall = item.property("contentHeight") > item.height() + TOLERANCE
        if too_wide or too_tall:
            faults.append(
                f"{found.label} overflows its box: content "
                f"{item.property('contentWidth'):.0f}x{item.property('contentHeight'):.0f}"
                f" in {item.width():.0f}x{item.height():.0f}"
            )
    for found in (*texts, *controls):
        if found.banner is None:
            faults.extend(
                f"{found.label} overlaps the banner"
                for banner in banners
                if _overlap(found.rect, banner)
            )
    parts = [*texts, *controls]
    for i, a in enumerate(parts):
        if not window.contains(a.rect.center()):
            faults.append(f"{a.label} is outside the window")
        for b in parts[i + 1 :]:
            if _overlap(a.rect, b.rect):
                faults.append(f"{a.label} overlaps {b.label}")
    return faults


def show(qtbot, ui: KioskUi, view: View) -> None:
    """Hand the controller a flow's view and wait until its screen is the one rendered: the
    screen the Loader replaced is deleted first (a deferred delete, which the nested event
    loops of the waits below would not run), so the walk never meets it half gone."""
    ui.controller.apply_view(view)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    rendered(qtbot, ui)
    rendered(qtbot, ui)  # a Loader's new screen is polished in the frame after it loads


def set_mode(qtbot, ui: KioskUi, mode: Mode) -> None:
    """As a person would: the language through the controller's slot, the text size and the
    contrast by tapping their buttons."""
    ui.controller.setLanguage(mode.language)
    qtbot.waitUntil(lambda: ui.controller.language == mode.language)
    if mode.large:
        tap(qtbot, ui, "largeTextToggle")
    if mode.contrast:
        tap(qtbot, ui, "highContrastToggle")
        qtbot.waitUntil(lambda: ui.window.property("color").name() == "#000000")


@pytest.mark.parametrize("flow_config", list(FLOWS), indirect=True)
@pytest.mark.parametrize("mode", MODES, ids=[m.name for m in MODES])
def test_every_screen_holds_its_layout(qtbot, ui, flow_config, mode):
    set_mode(qtbot, ui, mode)
    faults: dict[str, list[str]] = {}
    for state, view in FLOWS[ui.controller.flow].items():
        show(qtbot, ui, view)
        found = layout_faults(ui)
        if found:
            faults[state] = found
        if mode.large and not mode.contrast:
            screenshot(ui, f"large_{state}_{mode.language}")
    report = "\n".join(f"{state}: {f}" for state, found in faults.items() for f in found)
    assert not faults, f"{len(report.splitlines())} layout faults in {mode.name}:\n{report}"


# -- the service mode, over the welcome screen -----------------------------------------------
@pytest.fixture
def running(qtbot, demo_config_file: Path) -> Iterator[KioskUi]:
    with running_kiosk(qtbot, demo_config_file) as kiosk:
        kiosk.runner.simulators["sam"].remove_card()
        yield kiosk


def test_the_service_mode_holds_its_layout(qtbot, running):
    """The PIN pad and the health view in every mode: the technician reads them in the
    language and size the kiosk is in."""
    ui, faults = running, {}
    for mode in MODES:
        ui.controller.setLanguage(mode.language)
        ui.controller.setLargeText(mode.large)
        ui.controller.setHighContrast(mode.contrast)
        hold_corner(qtbot, ui, 3400)
        qtbot.waitUntil(lambda: ui.controller.service == "pin", timeout=5_000)
        rendered(qtbot, ui)
        faults[f"{mode.name} pin"] = layout_faults(ui, find(ui, "serviceScreen"))
        enter(qtbot, ui, DEMO_PIN)
        qtbot.waitUntil(lambda: ui.controller.service == "open", timeout=5_000)
        rendered(qtbot, ui)
        rendered(qtbot, ui)
        faults[f"{mode.name} open"] = layout_faults(ui, find(ui, "serviceScreen"))
        if mode.large and not mode.contrast:
            screenshot(ui, f"large_service_{mode.language}")
        tap(qtbot, ui, "serviceExit")
        qtbot.waitUntil(lambda: ui.controller.service == "", timeout=5_000)
    report = "\n".join(f"{state}: {f}" for state, found in faults.items() for f in found)
    assert not report, report
