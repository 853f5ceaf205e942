"""A flood of refused messages costs bounded rows and is not relayed back message for
message; the report still says how many came. Against the real gateway database (SQLite and
PostgreSQL, tests/sync/conftest.py)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from edge_sync.gateway.db import Rejection
from edge_sync.gateway.intake import Intake
from edge_sync.gateway.rejection_limit import RejectionLimit
from edge_sync.protocol.wire import ResultMessage
from tests.sync.conftest import NOW_MS, SITE, make_result, register

TOPIC = f"bdmi/v1/{SITE}/0x" + "44" * 20 + "/results"


def test_garbage_in_a_loop_costs_a_few_rows_and_a_few_answers(gateway_db):
    clock = [NOW_MS]
    intake = Intake(gateway_db, clock_ms=lambda: clock[0])
    answers = [intake.receive(TOPIC, b"\xff garbage") for _ in range(1000)]
    assert sum(a is not None for a in answers) == 5  # the burst, then held back
    assert Rejection.select().count() == 5
    clock[0] += 60_000  # a minute later one more is recorded, with the count held back
    assert intake.receive(TOPIC, b"\xff garbage") is not None
    last = Rejection.select().order_by(Rejection.id.desc()).first()
    assert "and 995 like it" in json.loads(last.detail)
    assert Rejection.select().count() == 6


def test_a_refused_result_is_always_answered_though_not_always_recorded(gateway_db, device_key):
    """An unregistered device's backlog gets its rejected acks (so it waits its retry time
    instead of resending every few seconds); only the rows are limited."""
    intake = Intake(gateway_db, clock_ms=lambda: NOW_MS + 1000)
    topic = f"bdmi/v1/{SITE}/{device_key.device_id}/results"
    backlog = [make_result(device_key, decided_ms=NOW_MS - i) for i in range(40)]
    answers = [intake.receive(topic, ResultMessage(r).encode()) for r in backlog]
    assert all(a is not None and a.reason == "GW_DEVICE_UNKNOWN" for a in answers)
    assert Rejection.select().count() == 5
    register(device_key)
    accepted = intake.receive(topic, ResultMessage(make_result(device_key)).encode())
    assert accepted is not None and accepted.status == "accepted"


@settings(max_examples=100, deadline=None)
@given(events=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 120_000)), max_size=200))
def test_the_limit_never_admits_more_than_burst_plus_elapsed_and_loses_no_count(events):
    limit = RejectionLimit(burst=3, interval_ms=10_000)
    now = 0
    admitted: dict[int, int] = {}
    counted: dict[int, int] = {}
    for sender, step in events:
        now += step
        held = limit.admit(f"t{sender}", "WIRE_NOT_CBOR", now)
        if held is not None:
            admitted[sender] = admitted.get(sender, 0) + 1
            counted[sender] = counted.get(sender, 0) + 1 + held
    for sender in admitted:
        assert admitted[sender] <= 3 + now // 10_000
    sent = {s: sum(1 for x, _ in events if x == s) for s in counted}
    for sender, total in sent.items():  # what was recorded plus what is still held back
        bucket = limit._buckets[(f"t{sender}", "WIRE_NOT_CBOR")]
        assert counted[sender] + bucket.held_back == total
