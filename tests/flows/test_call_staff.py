"""Calling staff from any screen: one audited call, the wipe held off while they come.

A pensioner who cannot go on must not watch the session wipe itself while a member of staff
walks over; and a second tap must not alert the site twice. Real flows, a clock the test moves.
"""

from __future__ import annotations

from kiosk.flows.messages import CallStaff, DocumentFailed, Speak, Tap, Tick, Wiped
from kiosk.flows.verification import Step
from tests.flows.test_checkin import Clock, descriptor, flow, to_face


def test_a_call_is_audited_once_spoken_and_shown():
    f = flow(Clock())
    f.handle(Tap("start"))
    f.handle(DocumentFailed("DRV_SAM_CARD_REMOVED"))
    commands = f.handle(Tap("call_staff"))
    assert commands == [
        CallStaff(screen="present_document", reason="DRV_SAM_CARD_REMOVED"),
        Speak("staff_called"),
    ]
    assert f.view().staff_called
    assert f.handle(Tap("call_staff")) == []  # a second tap: no second alert
    assert f.view().staff_called


def test_the_call_holds_the_wipe_off_for_the_configured_time_then_lapses():
    clock = Clock()
    f = flow(clock, inactivity_s=60, staff_call_hold_s=300)
    to_face(f, descriptor(1))
    f.handle(Tap("call_staff"))
    clock.now += 299
    assert f.handle(Tick()) == [] and f.step is Step.FACE
    assert f.view().countdown is None  # no "still there?" over a person who is waiting
    clock.now += 2
    assert f.handle(Tick()) == [] and not f.view().staff_called  # nobody came
    clock.now += 51
    assert f.view().countdown == 9  # the usual warning, then the usual wipe
    clock.now += 10
    assert Wiped() in f.handle(Tick())


def test_the_wipe_ends_the_call_so_the_next_person_starts_clean():
    f = flow(Clock())
    f.handle(Tap("start"))
    f.handle(Tap("call_staff"))
    assert Wiped() in f.handle(Tap("cancel"))
    assert not f.view().staff_called
    f.handle(Tap("start"))
    assert CallStaff(screen="present_document") in f.handle(Tap("call_staff"))


def test_on_the_welcome_screen_a_call_is_still_a_call_and_lapses_too():
    clock = Clock()
    f = flow(clock, staff_call_hold_s=120)
    commands = f.handle(Tap("call_staff"))
    assert CallStaff(screen="welcome") in commands and f.view().staff_called
    clock.now += 121
    f.handle(Tick())
    assert not f.view().staff_called and f.step is Step.WELCOME
