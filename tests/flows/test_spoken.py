"""What the screen says in words is said aloud too: a typing error on the MRZ entry and a
receipt that did not print, each with its reason code's spoken line (kiosk/reasons)."""

from __future__ import annotations

from kiosk.flows.messages import PrintFailed, Recorded, Speak, Tap
from kiosk.flows.verification import Step
from kiosk.reasons import REASONS
from kiosk.ui.voice import words
from tests.flows.test_checkin import Clock, FaceFinished, descriptor, flow, liveness, near, to_face


def test_a_receipt_that_did_not_print_is_said():
    f = flow(Clock())
    template = descriptor(1)
    to_face(f, template)
    f.handle(FaceFinished(liveness(), near(template, 0.2), probe_images=3))
    f.handle(Recorded("01a2025e-4b0b-7df1-8140-4c0b65bff775"))
    f.handle(Tap("print"))
    commands = f.handle(PrintFailed("DRV_PRINTER_NO_PAPER"))
    assert commands == [Speak("say_reason", reason="DRV_PRINTER_NO_PAPER")]
    spoken = REASONS["DRV_PRINTER_NO_PAPER"].spoken
    assert words("say_reason", "zh_CN", "DRV_PRINTER_NO_PAPER") == spoken.zh_CN
    assert words("say_reason", "en", "DRV_PRINTER_NO_PAPER") == spoken.en
    assert f.step is Step.RESULT
