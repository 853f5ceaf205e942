"""The out-of-service rule (kiosk/ops/staleness.py): each fact that is too old stops new
verifications with its own code, each limit holds to the day, and a demo is never frozen
unless its config asks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from pathlib import Path

import pytest

from kiosk.config import load_config
from kiosk.config.schema import KioskConfig
from kiosk.ops import staleness
from kiosk.ops.staleness import Facts, freeze_reasons, gather

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
FRESH = Facts(now=NOW, sync_enabled=True, oldest_unsent_age_s=3600, store_used_percent=10.0,
              cert_not_after=NOW + dt.timedelta(days=200), csca_age_days=30.0,
              calibration_age_days=100.0, clock="synchronized")  # fmt: skip


def config(demo_config_file: Path, **freeze: object) -> KioskConfig:
    base = load_config(demo_config_file)
    rules = base.freeze.model_copy(update={"enabled": True, **freeze})
    return base.model_copy(update={"freeze": rules})


def test_a_fresh_kiosk_is_in_service(demo_config_file):
    assert freeze_reasons(FRESH, config(demo_config_file)) == []


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"oldest_unsent_age_s": 14 * 86_400 + 1}, "OPS_FROZEN_SYNC_STALE"),
        ({"store_used_percent": 98.0}, "OPS_FROZEN_STORE_FULL"),
        ({"cert_not_after": NOW + dt.timedelta(days=2, hours=23)}, "OPS_FROZEN_CERT_EXPIRING"),
        ({"csca_age_days": 365.5}, "OPS_FROZEN_CSCA_STALE"),
        ({"calibration_age_days": 731.0}, "OPS_FROZEN_CALIBRATION_STALE"),
        ({"clock": "unsynchronized"}, "OPS_FROZEN_CLOCK_UNSYNCED"),
    ],
)
def test_each_stale_fact_freezes_with_its_own_code(demo_config_file, change, code):
    assert freeze_reasons(dataclasses.replace(FRESH, **change), config(demo_config_file)) == [code]


@pytest.mark.parametrize(
    "change",
    [
        {"oldest_unsent_age_s": 14 * 86_400},  # the limit itself is still in service
        {"store_used_percent": 97.9},
        {"cert_not_after": NOW + dt.timedelta(days=3, seconds=1)},
        {"csca_age_days": 365.0},
        {"clock": "unknown"},  # a system that cannot tell is not frozen for it
        {"oldest_unsent_age_s": None},  # nothing waits
    ],
)
def test_at_the_limits_it_stays_in_service(demo_config_file, change):
    assert freeze_reasons(dataclasses.replace(FRESH, **change), config(demo_config_file)) == []


def test_without_sync_its_queue_and_certificate_do_not_count(demo_config_file):
    stale = dataclasses.replace(FRESH, sync_enabled=False, oldest_unsent_age_s=10**8,
                                cert_not_after=NOW)  # fmt: skip
    assert freeze_reasons(stale, config(demo_config_file)) == []


def test_a_demo_is_not_frozen_unless_asked_and_production_is(demo_config_file):
    frozen = dataclasses.replace(FRESH, clock="unsynchronized")
    demo = load_config(demo_config_file)
    assert freeze_reasons(frozen, demo) == []
    assert demo.freeze.in_force("production") and not demo.freeze.in_force("demo")
    assert freeze_reasons(frozen, config(demo_config_file)) == ["OPS_FROZEN_CLOCK_UNSYNCED"]
    relaxed = config(demo_config_file, require_clock_sync=False)
    assert freeze_reasons(frozen, relaxed) == []


def test_the_trust_list_age_is_read_from_the_directory(demo_config_file, tmp_path):
    """The age of the CSCA directory is its newest change: a list refreshed yesterday is
    fresh even though its oldest certificate is years old."""
    csca = tmp_path / "csca"
    csca.mkdir()
    old = time.time() - 400 * 86_400
    for name in ("a.pem", "b.pem"):
        (csca / name).write_text("x")
        os.utime(csca / name, (old, old))
    os.utime(csca, (old, old))
    base = config(demo_config_file, require_clock_sync=False)
    pcsc = base.readers.pcsc.model_copy(update={"csca_dir": csca})
    cfg = base.model_copy(update={"readers": base.readers.model_copy(update={"pcsc": pcsc})})
    facts = gather(cfg, None, 1.0)
    assert facts.csca_age_days is not None and facts.csca_age_days > 399
    assert freeze_reasons(facts, cfg) == ["OPS_FROZEN_CSCA_STALE"]
    (csca / "new.pem").write_text("x")  # a technician installs a fresh list
    assert freeze_reasons(gather(cfg, None, 1.0), cfg) == []


def test_a_watch_keeps_its_last_verdict_when_a_fact_cannot_be_read(demo_config_file):
    calls = []

    def facts() -> Facts:
        calls.append(1)
        if len(calls) > 1:
            raise OSError("the disk went away")
        return dataclasses.replace(FRESH, clock="unsynchronized")

    watch = staleness.FreezeWatch(config(demo_config_file), facts)
    assert watch.evaluate() == ("OPS_FROZEN_CLOCK_UNSYNCED",)
    assert watch.evaluate() == ("OPS_FROZEN_CLOCK_UNSYNCED",)
