"""The service mode's PIN door: right, wrong, locked out, and open again after the lockout."""

from __future__ import annotations

import pytest

from kiosk.flows.service import Door, ServiceGate


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def gate(clock: Clock) -> ServiceGate:
    return ServiceGate(check_pin=lambda pin: pin == "8642", clock=clock, max_failures=3,
                       lockout_s=300)  # fmt: skip


def test_the_right_pin_opens_and_resets_the_count():
    clock = Clock()
    door = gate(clock)
    assert door.try_pin("0000") is Door.WRONG and door.attempts_left() == 2
    assert door.try_pin("8642") is Door.OPEN and door.attempts_left() == 3


def test_three_wrong_pins_lock_even_the_right_one_out_until_the_lockout_ends():
    clock = Clock()
    door = gate(clock)
    assert [door.try_pin("1") for _ in range(3)] == [Door.WRONG, Door.WRONG, Door.LOCKED]
    assert door.locked() and door.try_pin("8642") is Door.LOCKED
    clock.now += 299
    assert door.try_pin("8642") is Door.LOCKED
    clock.now += 2
    assert not door.locked() and door.try_pin("8642") is Door.OPEN


@pytest.mark.parametrize("bad", [{"max_failures": 0}, {"lockout_s": -1}])
def test_nonsense_limits_are_refused(bad):
    with pytest.raises(ValueError):
        ServiceGate(check_pin=lambda pin: True, clock=Clock(), **bad)
