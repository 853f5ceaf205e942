"""The lockout screen's "time left" comes from the gate: whole seconds, rounded up, never
negative, zero once PINs are taken again."""

from __future__ import annotations

from kiosk.flows.service import Door, ServiceGate
from tests.flows.test_checkin import Clock


def test_the_time_left_counts_down_to_zero():
    clock = Clock()
    gate = ServiceGate(check_pin=lambda pin: pin == "2468", clock=clock, max_failures=2,
                       lockout_s=300.0)  # fmt: skip
    assert gate.seconds_locked() == 0
    assert gate.try_pin("0000") is Door.WRONG
    assert gate.try_pin("0000") is Door.LOCKED
    assert gate.seconds_locked() == 300
    clock.now += 0.4
    assert gate.seconds_locked() == 300  # 299.6 s is shown as 300, never as 299 too early
    clock.now += 299.0
    assert gate.seconds_locked() == 1 and gate.locked()
    clock.now += 0.6
    assert gate.seconds_locked() == 0 and not gate.locked()
    assert gate.try_pin("2468") is Door.OPEN
