"""A verdict as the signed record that leaves the device (``edge_sync.protocol.result``).

Only what the relying party needs and nothing personal: the document's type and chip
status (not its number), the match distance and zone (not the faces), each challenge with
its timing relative to the session start (not the video).
"""

from __future__ import annotations

from edge_sync.protocol.result import (
    APP_VERSION,
    ChallengeRecord,
    DocumentRecord,
    LivenessRecord,
    MatchRecord,
    Scores,
    VerificationResult,
    micro,
    uuid7,
)
from kiosk.idv.decision import DocumentEvidence, Verdict
from kiosk.security.device_key import DeviceKey


def _ms(value: float | None, origin: float | None) -> int | None:
    if value is None or origin is None:
        return None
    return round((value - origin) * 1000)


def verification_result(
    verdict: Verdict,
    *,
    key: DeviceKey,
    site: str,
    flow: str,
    document: DocumentEvidence | None,
    subject_ref: str | None,
    started_ms: int,
    decided_ms: int,
    probe_images: int = 1,
    template_images: int = 1,
    passive_live_score: float | None = None,
) -> VerificationResult:
    match = None
    if verdict.match is not None:
        m = verdict.match
        match = MatchRecord(
            model=m.thresholds.model,
            mode=m.thresholds.mode.value,
            distance_u=micro(m.distance),
            accept_max_u=micro(m.thresholds.accept_max),
            refer_max_u=micro(m.thresholds.refer_max),
            zone=m.zone.value,
            probe_images=probe_images,
            template_images=template_images,
        )
    liveness = None
    if verdict.liveness is not None:
        report = verdict.liveness
        liveness = LivenessRecord(
            passed=report.passed,
            reason=report.reason,
            challenges=tuple(
                ChallengeRecord(
                    challenge=c.challenge.value,
                    issued_ms=_ms(c.issued_at, report.started_at),
                    completed_ms=_ms(c.completed_at, report.started_at),
                )
                for c in report.challenges
            ),
        )
    return VerificationResult(
        result_id=uuid7(decided_ms),
        device_id=key.device_id,
        key_id=key.key_id,
        site=site,
        flow=flow,
        assurance=verdict.assurance.value,
        decision=verdict.decision.value,
        reasons=verdict.reasons,
        scores=Scores(
            match=match,
            liveness=liveness,
            passive_live_u=None if passive_live_score is None else micro(passive_live_score),
        ),
        document=None
        if document is None
        else DocumentRecord(
            type=document.doc_type.value,
            chip_authentication=document.chip_authentication.value,
            sam_authenticated=document.sam_authenticated,
        ),
        subject_ref=subject_ref,
        started_ms=started_ms,
        decided_ms=decided_ms,
        app_version=APP_VERSION,
    )
