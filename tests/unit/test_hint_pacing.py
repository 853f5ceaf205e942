"""The pacing of spoken face-position hints (kiosk/ui/hint_pacing.py), on a fake clock: a hint
is said once it has held, not over a challenge just said, and not over and over."""

from __future__ import annotations

import itertools

from kiosk.reasons import REASONS
from kiosk.ui.hint_pacing import GAP_S, REPEAT_S, STEADY_S, HintPacing
from kiosk.ui.voice import words


def feed(pacing: HintPacing, hint: str | None, start: float, end: float, step: float = 0.05):
    """The hint on every 50 ms pump from ``start`` to ``end``; what was said, with when."""
    said = []
    for tick in range(round((end - start) / step)):
        now = round(start + tick * step, 6)
        out = pacing.observe(hint, now)
        if out is not None:
            said.append((out, round(now, 2)))
    return said


def test_a_hint_that_holds_is_said_once_it_has_held():
    pacing = HintPacing()
    said = feed(pacing, "IDV_FACE_TOO_FAR", 0.0, 2.0)
    assert said == [("IDV_FACE_TOO_FAR", STEADY_S)]


def test_a_hint_that_flickers_is_not_said():
    pacing = HintPacing()
    said, now = [], 0.0
    for _ in range(40):  # alternating every 0.5 s for 20 s: never steady long enough
        for hint in ("IDV_FACE_TOO_FAR", "IDV_FACE_OFF_CENTRE"):
            said += feed(pacing, hint, now, now + 0.5)
            now += 0.5
    assert said == []


def test_a_challenge_just_said_keeps_its_place():
    pacing = HintPacing()
    pacing.spoke(0.0)  # "please blink", said now
    said = feed(pacing, "IDV_FACE_TOO_FAR", 0.0, GAP_S + 0.5)
    assert [when for _, when in said] == [GAP_S]


def test_the_same_hint_comes_back_only_after_the_longer_pause():
    pacing = HintPacing()
    said = feed(pacing, "IDV_FACE_TOO_FAR", 0.0, 20.0)
    times = [when for _, when in said]
    assert times[0] == STEADY_S
    assert all(b - a >= REPEAT_S - 1e-6 for a, b in itertools.pairwise(times))
    assert len(times) == 3  # 1.2, 9.2, 17.2


def test_a_new_hint_is_said_after_the_gap_not_the_repeat_pause():
    pacing = HintPacing()
    first = feed(pacing, "IDV_FACE_TOO_FAR", 0.0, 2.0)
    second = feed(pacing, "IDV_FACE_OFF_CENTRE", 2.0, 8.0)
    assert first[0][1] == STEADY_S
    assert second[0] == ("IDV_FACE_OFF_CENTRE", round(STEADY_S + GAP_S, 2))


def test_no_hint_means_silence():
    assert feed(HintPacing(), None, 0.0, 30.0) == []


def test_every_face_hint_the_quality_gate_sends_has_spoken_words():
    """What the pacing hands the voice is a reason code: the registry says it aloud."""
    from kiosk.idv.quality import QualityIssue

    for hint in (issue.value for issue in QualityIssue):
        assert hint in REASONS, hint
        for language in ("zh_CN", "en"):
            assert words(hint, language), (hint, language)
