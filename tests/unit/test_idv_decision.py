"""Decision policy and three-zone matching: the assurance level and the reasons."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.document import ChipAuthentication, DocumentType
from kiosk.idv.decision import Assurance, Decision, DocumentEvidence, FlowPolicy, decide
from kiosk.idv.embedding import distance, fuse
from kiosk.idv.errors import IdvError
from kiosk.idv.liveness import LivenessReport
from kiosk.idv.matching import (
    MatchMode,
    MatchThresholds,
    MatchZone,
    match,
    mode_for,
    shipped_calibration,
    thresholds_for,
)

TH = MatchThresholds("dlib_resnet_v1", accept_max=0.40, refer_max=0.50)
LIVE = LivenessReport(True, None, (), 0.0, 5.0, {})
NOT_LIVE = LivenessReport(False, "IDV_LIVENESS_TIMEOUT", (), 0.0, 7.0, {})
PASSPORT_OK = DocumentEvidence(DocumentType.ICAO_TD3, ChipAuthentication.PASSED)
PASSPORT_FORGED = DocumentEvidence(DocumentType.ICAO_TD3, ChipAuthentication.FAILED)
PASSPORT_UNKNOWN_CSCA = DocumentEvidence(DocumentType.ICAO_TD3, ChipAuthentication.UNKNOWN_CSCA)
ID_CARD_SAM = DocumentEvidence(
    DocumentType.CN_RESIDENT_ID, ChipAuthentication.NOT_APPLICABLE, sam_authenticated=True
)


def result(value: float):
    probe = np.zeros(128)
    template = np.zeros(128)
    template[0] = value
    return match(probe, template, TH)


EA5_PLUS = FlowPolicy(Assurance.EA5_PLUS)
EA5_MINUS = FlowPolicy(Assurance.EA5_MINUS)


PASS, FAIL, REFER = Decision.PASS, Decision.FAIL, Decision.REFERRED
PLUS, MINUS, NONE = Assurance.EA5_PLUS, Assurance.EA5_MINUS, Assurance.NONE
OK, FORGED, UNKNOWN = PASSPORT_OK, PASSPORT_FORGED, PASSPORT_UNKNOWN_CSCA


@pytest.mark.parametrize(
    ("policy", "document", "liveness", "distance_", "decision", "assurance", "reason"),
    [
        (EA5_PLUS, OK, LIVE, 0.30, PASS, PLUS, "IDV_MATCH_ACCEPTED"),
        (EA5_PLUS, ID_CARD_SAM, LIVE, 0.40, PASS, PLUS, "IDV_MATCH_ACCEPTED"),
        (EA5_PLUS, OK, LIVE, 0.45, REFER, MINUS, "IDV_MATCH_GREY_ZONE"),
        (EA5_PLUS, OK, LIVE, 0.70, FAIL, NONE, "IDV_MATCH_REJECTED"),
        (EA5_PLUS, OK, NOT_LIVE, 0.30, FAIL, NONE, "IDV_LIVENESS_TIMEOUT"),
        (EA5_PLUS, FORGED, LIVE, 0.30, REFER, MINUS, "IDV_DOCUMENT_NOT_AUTHENTIC"),
        (EA5_PLUS, UNKNOWN, LIVE, 0.30, REFER, MINUS, "IDV_ASSURANCE_INSUFFICIENT"),
        (EA5_PLUS, OK, LIVE, None, REFER, MINUS, "IDV_NO_REFERENCE_FACE"),
        (EA5_MINUS, OK, LIVE, None, PASS, MINUS, "IDV_LIVENESS_PASSED"),
        (EA5_MINUS, UNKNOWN, LIVE, None, PASS, MINUS, "IDV_DOCUMENT_NOT_CHIP_VERIFIED"),
        (EA5_MINUS, OK, LIVE, 0.45, REFER, MINUS, "IDV_MATCH_GREY_ZONE"),
        (EA5_MINUS, OK, LIVE, 0.30, PASS, PLUS, "IDV_MATCH_ACCEPTED"),
    ],
)
def test_decision_table(policy, document, liveness, distance_, decision, assurance, reason):
    verdict = decide(policy, document, liveness, None if distance_ is None else result(distance_))
    assert verdict.decision is decision
    assert verdict.assurance is assurance
    assert reason in verdict.reasons
    assert verdict.as_dict()["decision"] == decision.value


def test_a_failing_passive_check_fails_even_a_perfect_match():
    verdict = decide(
        EA5_PLUS, PASSPORT_OK, LIVE, result(0.1),
        passive_spoof_score=0.2, passive_spoof_threshold=0.8,
    )  # fmt: skip
    assert verdict.decision is Decision.FAIL and verdict.reasons == ("IDV_PASSIVE_SPOOF",)


def test_expired_document_is_referred():
    expired = DocumentEvidence(DocumentType.ICAO_TD3, ChipAuthentication.PASSED, expired=True)
    verdict = decide(EA5_PLUS, expired, LIVE, result(0.2))
    assert verdict.decision is Decision.REFERRED and "IDV_DOCUMENT_EXPIRED" in verdict.reasons


@given(st.floats(0.0, 1.5, allow_nan=False))
def test_three_zones_cover_every_distance_in_order(value: float):
    zone = TH.zone(value)
    if value <= 0.40:
        assert zone is MatchZone.ACCEPT
    elif value <= 0.50:
        assert zone is MatchZone.REFER
    else:
        assert zone is MatchZone.REJECT


def test_thresholds_must_be_ordered():
    with pytest.raises(IdvError) as caught:
        MatchThresholds("m", accept_max=0.5, refer_max=0.4)
    assert caught.value.reason == "IDV_CALIBRATION_INVALID"


def test_shipped_calibration_is_used_and_site_overrides_win():
    points = shipped_calibration("dlib_resnet_v1")["operating_points"]
    for mode in MatchMode:
        th = thresholds_for("dlib_resnet_v1", mode)
        shipped = points[mode.value]
        assert (th.accept_max, th.refer_max) == (shipped["accept_max"], shipped["refer_max"])
        assert th.accept_max < th.refer_max < 0.6  # 0.6 accepts ~40% of East Asian impostors
    # Fusing pulls embeddings together: the more fused, the stricter the accept threshold.
    single, probe, both = (thresholds_for("dlib_resnet_v1", m).accept_max for m in MatchMode)
    assert single > probe > both
    site = thresholds_for("dlib_resnet_v1", MatchMode.PROBE_FUSED, accept_max=0.3)
    assert site.accept_max == 0.3 and site.refer_max == points["probe_fused"]["refer_max"]
    with pytest.raises(IdvError) as caught:
        thresholds_for("no_such_model")
    assert caught.value.reason == "IDV_CALIBRATION_MISSING"


def test_the_mode_follows_the_number_of_images_fused():
    assert mode_for(1, 1) is MatchMode.SINGLE
    assert mode_for(3, 1) is MatchMode.PROBE_FUSED
    assert mode_for(1, 2) is MatchMode.PROBE_FUSED
    assert mode_for(3, 4) is MatchMode.BOTH_FUSED


def test_fusion_keeps_the_distance_scale():
    rng = np.random.default_rng(1)
    base = rng.normal(size=128)
    base *= 1.5 / np.linalg.norm(base)
    samples = [base + rng.normal(scale=0.05, size=128) for _ in range(3)]
    fused = fuse(samples)
    assert np.linalg.norm(fused) == pytest.approx(np.mean([np.linalg.norm(s) for s in samples]))
    assert distance(fused, base) < min(distance(s, base) for s in samples)
