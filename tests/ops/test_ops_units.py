"""The self-test's pure parts: parsers (fuzzed), verdicts on measured values, the runner's
no-crash rule, the recovery rate limit, and the pid-file probe on real processes."""

from __future__ import annotations

import datetime as dt
import subprocess

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.errors import ReaderUnavailable
from kiosk.config import ConfigError, load_config
from kiosk.ops import camera_check, clock_check
from kiosk.ops.check import OPS_CHECK_CRASHED, Planned, exit_code, ok, run_checks, warn
from kiosk.ops.recovery import Attempt, next_allowed_ms
from kiosk.ops.services import (
    PID_MAX,
    PidFileError,
    PidFileProbe,
    parse_is_active,
    parse_pid_file,
)

# parsers ---------------------------------------------------------------------------------


@given(st.text())
def test_pid_file_parser_returns_a_pid_or_the_typed_error(text):
    try:
        pid = parse_pid_file(text)
    except PidFileError as exc:
        assert exc.reason == "OPS_PID_FILE_INVALID"
    else:
        assert 1 <= pid <= PID_MAX and str(pid) == text.strip()


@given(st.integers(1, PID_MAX), st.sampled_from(["", "\n", " \n", "\t"]))
def test_pid_file_parser_reads_what_daemons_write(pid, tail):
    assert parse_pid_file(f"{pid}{tail}") == pid


@pytest.mark.parametrize(
    "text", ["", "0", "-5", "12 34", "0x10", "4194305", "\uff11\uff12\uff13", "12abc"]
)
def test_pid_file_parser_refuses(text):
    with pytest.raises(PidFileError):
        parse_pid_file(text)


@given(st.text())
def test_timedatectl_parser_never_raises_and_keeps_identifiers(text):
    found = clock_check.parse_timedatectl(text)
    assert all(key.isidentifier() for key in found)
    assert clock_check.ntp_from_timedatectl(found) in ("synchronized", "unsynchronized", "unknown")


KEYS = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,15}", fullmatch=True)
VALUES = st.from_regex(r"[a-z0-9 ]{0,12}", fullmatch=True).map(str.strip)


@given(st.dictionaries(KEYS, VALUES))
def test_timedatectl_parser_round_trips(properties):
    text = "\n".join(f"{k}={v}" for k, v in properties.items())
    assert clock_check.parse_timedatectl(text) == properties


def test_timedatectl_ntp_state():
    assert clock_check.ntp_from_timedatectl({"NTPSynchronized": "yes"}) == "synchronized"
    assert clock_check.ntp_from_timedatectl({"NTPSynchronized": "no"}) == "unsynchronized"
    assert clock_check.ntp_from_timedatectl({}) == "unknown"
    assert clock_check.ntp_from_adjtimex(5) == "unsynchronized"
    assert clock_check.ntp_from_adjtimex(0) == "synchronized"
    assert clock_check.ntp_from_adjtimex(-1) == "unknown"


@given(st.text())
def test_is_active_parser_yields_a_known_state(text):
    assert parse_is_active(text) in {
        "active", "reloading", "inactive", "failed", "activating", "deactivating",
        "maintenance", "unknown",
    }  # fmt: skip


def test_is_active_parser_reads_systemctl():
    assert parse_is_active("active\n") == "active"
    assert parse_is_active("failed\n") == "failed"
    assert parse_is_active("") == "unknown"


# verdicts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (np.full((48, 64, 3), 120, np.uint8), None),
        (np.full((48, 64, 3), 10, np.uint8), "OPS_CAMERA_TOO_DARK"),
        (np.full((48, 64, 3), 240, np.uint8), "OPS_CAMERA_TOO_BRIGHT"),
        (np.concatenate([np.zeros((24, 64, 3), np.uint8), np.full((24, 64, 3), 255, np.uint8)]),
         "OPS_CAMERA_CLIPPED"),
    ],
)  # fmt: skip
def test_exposure_verdicts(image, expected):
    found = [camera_check.exposure(image)] * 3
    assert camera_check.judge(found, 64, 48, 15.0).reason == expected


def test_exposure_measures_mean_and_clipping():
    image = np.zeros((10, 10), np.uint8)
    image[:, :5] = 200
    measured = camera_check.exposure(image)
    assert measured.mean == pytest.approx(100.0) and measured.clipped == pytest.approx(0.5)


NOW = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
NOW_MS = int(NOW.timestamp() * 1000)


def test_clock_verdicts():
    judge = clock_check.judge
    assert judge(NOW_MS, None, "synchronized", "t").status == "ok"
    assert judge(NOW_MS, NOW_MS + 60_000, "synchronized", "t").status == "ok"  # within slack
    assert judge(NOW_MS, NOW_MS + 3_600_000, "synchronized", "t").reason == (
        "OPS_CLOCK_BEHIND_STORE"
    )
    assert judge(NOW_MS, None, "unsynchronized", "t").reason == "OPS_CLOCK_NOT_SYNCED"
    assert judge(NOW_MS, None, "unknown", "t").status == "ok"
    boot_1970 = 86_400_000
    assert judge(boot_1970, None, "synchronized", "t").reason == "OPS_CLOCK_BEFORE_RELEASE"


# the runner ------------------------------------------------------------------------------


def test_a_crashing_check_becomes_a_fail_and_the_next_still_runs():
    def crash():
        raise RuntimeError("bug")

    def unplugged():
        raise ReaderUnavailable("gone", reason="DRV_SAM_PORT_LOST")

    seen: list[str] = []
    checks = run_checks(
        [Planned("a", crash), Planned("b", unplugged), Planned("c", lambda: ok("c", "fine"))],
        progress=lambda i, n, name: seen.append(f"{i}/{n} {name}"),
    )
    assert [(c.name, c.status, c.reason) for c in checks] == [
        ("a", "fail", OPS_CHECK_CRASHED),
        ("b", "fail", "DRV_SAM_PORT_LOST"),
        ("c", "ok", None),
    ]
    assert seen == ["1/3 a", "2/3 b", "3/3 c"]
    assert exit_code(checks) == 1
    assert exit_code([ok("x", "-"), warn("y", "OPS_DISK_LOW", "-")]) == 0


# recovery rate limit ---------------------------------------------------------------------


@given(
    st.lists(st.sampled_from(["recovered", "failed"]), max_size=12),
    st.integers(10, 3600),
    st.integers(0, 7 * 86_400),
    st.integers(0, 2**40),
)
def test_rate_limit_waits_at_least_min_and_at_most_max(outcomes, min_s, extra, last_ms):
    max_s = min_s + extra
    attempts = [Attempt(last_ms - i * 1000, o) for i, o in enumerate(outcomes)]
    allowed = next_allowed_ms(attempts, min_s, max_s)
    if not attempts:
        assert allowed == 0
    else:
        assert last_ms + min_s * 1000 <= allowed <= last_ms + max_s * 1000


def test_rate_limit_doubles_with_failures_in_a_row():
    def after(*outcomes):
        return next_allowed_ms([Attempt(0, o) for o in outcomes], 300, 3600) // 1000

    assert [after("failed"), after("failed", "failed"), after("failed", "failed", "failed")] == [
        300, 600, 1200,
    ]  # fmt: skip
    assert after(*["failed"] * 10) == 3600
    assert after("recovered", "failed", "failed") == 300


# the pid-file probe on real processes ----------------------------------------------------


def test_pid_file_probe(tmp_path):
    probe = PidFileProbe(tmp_path)
    assert probe.state("bdmi-kiosk").state == "no-pid-file"
    with subprocess.Popen(["sleep", "60"]) as child:
        (tmp_path / "bdmi-kiosk.pid").write_text(f"{child.pid}\n")
        assert probe.state("bdmi-kiosk").active
        child.kill()
        child.wait()
    assert probe.state("bdmi-kiosk").state == "not-running"
    (tmp_path / "bdmi-kiosk.pid").write_text("garbage")
    assert probe.state("bdmi-kiosk").state == "bad-pid-file"


def test_a_zombie_is_not_running(tmp_path):
    child = subprocess.Popen(["true"])
    try:
        (tmp_path / "svc.pid").write_text(str(child.pid))
        import time

        deadline = time.monotonic() + 10
        while PidFileProbe(tmp_path).state("svc").active and time.monotonic() < deadline:
            time.sleep(0.05)  # exited, not reaped yet: a zombie
        assert PidFileProbe(tmp_path).state("svc").state == "not-running"
    finally:
        child.wait()


# config ----------------------------------------------------------------------------------


def test_health_thresholds_must_be_ordered(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text(
        '[device]\nsite = "ward-3"\nmode = "demo"\n[health]\n'
        "disk_warn_free_mb = 100\ndisk_fail_free_mb = 500\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "disk_fail_free_mb must not exceed disk_warn_free_mb" in str(caught.value)


@pytest.mark.parametrize(
    ("analysed_fps", "status", "reason"),
    [(14.0, "ok", None), (5.0, "ok", None), (3.2, "fail", "OPS_FACE_RATE_TOO_LOW")],
)
def test_a_kiosk_too_slow_for_liveness_is_a_device_fault(analysed_fps, status, reason):
    found = [camera_check.exposure(np.full((48, 64, 3), 120, np.uint8))] * 3
    verdict = camera_check.judge(found, 64, 48, 15.0, analysed_fps=analysed_fps, min_fps=5.0)
    assert (verdict.status, verdict.reason) == (status, reason)
    assert verdict.detail["analysed_fps"] == analysed_fps and verdict.detail["min_fps"] == 5.0


def test_the_analysis_rate_is_measured_on_the_live_stream():
    """The simulated subject gives 15 frames a second: the analysis can reach no more, so a
    minimum of 30 is a failure on any machine."""
    from drivers.simulators.face_subject import SimulatedSubject

    with SimulatedSubject(width=320, height=240, fps=15.0) as subject:
        rate = camera_check.analysis_rate(subject, -1, 0.5)
    assert 0 < rate <= 15.0 * 1.2
    found = [camera_check.exposure(np.full((48, 64, 3), 120, np.uint8))]
    verdict = camera_check.judge(found, 320, 240, 15.0, analysed_fps=rate, min_fps=30.0)
    assert verdict.reason == "OPS_FACE_RATE_TOO_LOW"
