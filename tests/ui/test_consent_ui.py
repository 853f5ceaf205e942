"""Insurance consent through the real Qt window: the specimen passport on pcscd through vpcd
(EA5+ needs the chip's portrait), the simulated subject on the camera, real dlib, the real
store. The person reads the terms and accepts or declines with a real tap; the answer is on
the result screen and, signed, in the outbox; Done wipes the session. Screens are
photographed in both languages.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.config import load_config
from kiosk.store import outbox
from kiosk.store.database import open_from_config
from kiosk.ui.app import KioskUi
from tests.ui.kiosk_window import running_kiosk
from tests.ui.test_checkin_ui import LANGUAGES, at
from tests.ui.test_welcome import find, screenshot, tap, visible_texts

pytestmark = [pytest.mark.ui, pytest.mark.services]


@pytest.fixture
def consent_config(demo_config_file: Path, pcscd_vpcd) -> Path:
    text = demo_config_file.read_text(encoding="utf-8")
    text = text.replace('mode = "demo"', 'mode = "demo"\nflow = "insurance_consent"', 1)
    text = text.replace(
        '[readers.pcsc]\nkind = "simulated"',
        f'[readers.pcsc]\nkind = "simulated"\nsimulated_vpcd_port = {pcscd_vpcd.vpcd_port}',
    )
    text += (
        '\n[consent]\ninsurer = "Ping An Health"\nrelying_party = "ins-001"\n'
        'data_scope = ["hospital_records", "prescriptions", "lab_results"]\n'
        'purpose = "underwriting"\nduration_days = 180\n'
    )
    demo_config_file.write_text(text, encoding="utf-8")
    return demo_config_file


@pytest.fixture
def kiosk(qtbot, consent_config) -> Iterator[KioskUi]:
    with running_kiosk(qtbot, consent_config) as ui:
        assert "pcsc" not in ui.runner.unavailable, ui.runner.unavailable
        ui.runner.simulators["sam"].remove_card()  # the passport on the PC/SC reader is read
        yield ui


def queued_kinds(config_file: Path) -> dict[str, str]:
    db = open_from_config(load_config(config_file))
    try:
        return {item.result.kind: item.result.decision for item in outbox.pending(db, 10)}
    finally:
        db.close()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_a_verified_person_answers_the_insurer(qtbot, kiosk, consent_config, language, answer):
    kiosk.controller.setLanguage(language)
    tap(qtbot, kiosk, "startButton")
    at(qtbot, kiosk, "consent", timeout=90_000)
    assert kiosk.controller.consentInsurer == "Ping An Health"
    texts = visible_texts(kiosk)
    assert any("Ping An Health" in t for t in texts)
    assert any(kiosk.controller.consentUntil in t for t in texts)
    for scope in ("hospital_records", "prescriptions", "lab_results"):
        assert find(kiosk, f"consentScope_{scope}").property("text").startswith("• ")
    if answer == "accept":
        screenshot(kiosk, f"consent_{language}")
    tap(qtbot, kiosk, f"{answer}Button")

    at(qtbot, kiosk, "result")
    expected = "accepted" if answer == "accept" else "declined"
    assert kiosk.controller.consentOutcome == expected
    assert find(kiosk, "consentSummary").property("visible")
    assert kiosk.controller.reference in visible_texts(kiosk)
    screenshot(kiosk, f"result_consent_{expected}_{language}")
    assert queued_kinds(consent_config) == {"verification": "pass", "consent": expected}

    tap(qtbot, kiosk, "doneButton")
    at(qtbot, kiosk, "welcome")
    assert not kiosk.runner.flow.holds_personal_data()
    assert (kiosk.controller.consentInsurer, kiosk.controller.consentOutcome) == ("", "")


def test_walking_away_from_the_terms_records_no_answer(qtbot, kiosk, consent_config):
    tap(qtbot, kiosk, "startButton")
    at(qtbot, kiosk, "consent", timeout=90_000)
    tap(qtbot, kiosk, "backButton")
    at(qtbot, kiosk, "welcome")
    assert not kiosk.runner.flow.holds_personal_data()
    assert queued_kinds(consent_config) == {"verification": "pass"}  # no answer, no decline
