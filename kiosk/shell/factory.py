"""Flows and their parts as the config describes them: one place, so the UI, the headless
driver and the tests build exactly the same flow."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from pathlib import Path

from drivers.document import DocumentType
from kiosk.config.schema import KioskConfig
from kiosk.flows.consent import ConsentFlow, ConsentTerms
from kiosk.flows.pension import PensionFlow
from kiosk.flows.service import ServiceGate
from kiosk.flows.verification import VerificationFlow
from kiosk.idv.decision import Assurance, FlowPolicy
from kiosk.idv.gestures import Gesture
from kiosk.idv.liveness import LivenessPolicy
from kiosk.idv.matching import MatchMode, MatchThresholds, thresholds_for
from kiosk.idv.site_calibration import load as load_site_calibration
from kiosk.security.pin import DEMO_PIN, DEMO_PIN_FILE, PinCheck, load_pin_check, write_pin_file


def liveness_policy(config: KioskConfig) -> LivenessPolicy:
    live = config.idv.liveness
    return LivenessPolicy(
        min_challenges=live.min_challenges,
        max_challenges=live.max_challenges,
        challenges=tuple(Gesture(g) for g in live.challenges),
        time_limit_s=live.time_limit_s,
        answer_window_s=live.answer_window_s,
        gap_min_s=live.gap_min_s,
        gap_max_s=live.gap_max_s,
        fixed_order=tuple(Gesture(g) for g in live.fixed_order) or None,
        blink_min_fps=live.blink_min_fps,
    )


def thresholds(config: KioskConfig) -> Callable[[MatchMode], MatchThresholds]:
    """Per-mode thresholds. A configured site calibration is loaded and checked here, once,
    so a looser one that was not forced stops the flow from being built at all
    (``IDV_CALIBRATION_LOOSER``) instead of matching at a threshold nobody vouched for."""
    match = config.idv.match
    model = config.idv.embedding_model
    site = load_site_calibration(match.site_calibration, model) if match.site_calibration else None

    def for_mode(mode: MatchMode) -> MatchThresholds:
        return thresholds_for(
            model, mode, accept_max=match.accept_max_distance,
            refer_max=match.refer_max_distance, site=site,
        )  # fmt: skip

    return for_mode


def _verification(
    config: KioskConfig, name: str, default: str, clock: Callable[[], float],
    rng: random.Random | None,
) -> dict[str, object]:  # fmt: skip
    """What every flow that verifies a document holder is built with."""
    required = config.idv.flows.get(name)
    return {
        "name": name,
        "policy": FlowPolicy(require=Assurance(required.require if required else default)),
        "thresholds": thresholds(config),
        "liveness": liveness_policy(config),
        "clock": clock,
        "inactivity_s": float(config.ui.inactivity_timeout_s),
        "staff_call_hold_s": float(config.assist.staff_call_hold_s),
        "retries": config.assist.retries,
        "inactivity_warning_s": float(config.ui.inactivity_warning_s),
        "result_display_s": float(config.ui.result_display_s),
        "language": config.ui.default_language,
        "rng": rng or random.SystemRandom(),
    }


def hospital_checkin(
    config: KioskConfig, *, clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> VerificationFlow:  # fmt: skip
    return VerificationFlow(
        accepted_documents=frozenset(DocumentType),
        **_verification(config, "hospital_checkin", "EA5-", clock, rng),  # type: ignore[arg-type]
    )


def consent_terms(config: KioskConfig) -> ConsentTerms:
    consent = config.consent
    return ConsentTerms(
        insurer=consent.insurer,
        data_scope=tuple(consent.data_scope),
        purpose=consent.purpose,
        duration_days=consent.duration_days,
    )


def insurance_consent(
    config: KioskConfig, *, clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> ConsentFlow:  # fmt: skip
    return ConsentFlow(
        accepted_documents=frozenset(DocumentType),
        terms=consent_terms(config),
        **_verification(config, "insurance_consent", "EA5+", clock, rng),  # type: ignore[arg-type]
    )


def staff_pin(config: KioskConfig) -> PinCheck:
    """The configured staff PIN; a demo kiosk without one gets ``DEMO_PIN`` (written hashed
    to ``<state_dir>/staff.pin`` at first use). Production refuses a missing file (schema)."""
    path = config.security.service_pin_file
    if path is None:
        path = config.device.state_dir / DEMO_PIN_FILE
        if not path.exists():
            write_pin_file(Path(path), DEMO_PIN)
    return load_pin_check(Path(path))


def staff_gate(config: KioskConfig, *, clock: Callable[[], float] = time.monotonic) -> ServiceGate:
    """The kiosk's one staff-PIN door: the service mode and the pension enrolment share it,
    so wrong PINs count together and one lockout shuts both."""
    pension = config.pension
    return ServiceGate(check_pin=staff_pin(config), clock=clock,
                       max_failures=pension.max_pin_failures,
                       lockout_s=float(pension.pin_lockout_s))  # fmt: skip


def pension_survival(
    config: KioskConfig, *, clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None, today: Callable[[], dt.date] = dt.date.today,
    gate: ServiceGate | None = None,
) -> PensionFlow:  # fmt: skip
    pension = config.pension
    return PensionFlow(
        **_verification(config, "pension_survival", "EA5+", clock, rng),  # type: ignore[arg-type]
        staff_gate=gate or staff_gate(config, clock=clock),
        today=today,
        validity_months=pension.validity_months,
        remind_days=pension.remind_days,
    )


def configured_flow(config: KioskConfig, *, gate: ServiceGate | None = None) -> VerificationFlow:
    """The flow ``device.flow`` names; ``gate``: the kiosk's staff-PIN door, if it has one."""
    if config.device.flow == "pension_survival":
        return pension_survival(config, gate=gate)
    if config.device.flow == "insurance_consent":
        return insurance_consent(config)
    return hospital_checkin(config)
