"""The shipped thresholds keep their safety margin on the shared East Asian sets (issue 15,
item 7): at each mode's accept threshold, on every set and fusion shape it covers, at most
0.01% of impostor comparisons are accepted and the 95% upper bound of the false-accept rate
(identity bootstrap, or the pairs' Clopper-Pearson bound where none is accepted) is at most
0.1%. Real photos, the real dlib model; descriptors come from the calibration tool's cache.

Also checked: the choosing rule itself, on the same data, lands at or under the shipped
threshold (a later code change that loosened the rule, or a shipped number typed too high,
fails here), and fusion wins back false rejects the margin costs."""

from __future__ import annotations

import numpy as np
import pytest

from bench.safe_thresholds import SETS, VARIANTS, comparisons, load_people
from kiosk.idv import calibration as cal
from kiosk.idv.matching import MatchMode, shipped_calibration, thresholds_for
from tests.drivers.shared_data import require_shared_data

MODEL = "dlib_resnet_v1"
REPLICATES = 300


@pytest.fixture(scope="module")
def people() -> dict[str, dict[str, list[np.ndarray]]]:
    require_shared_data("faces", "east_asian")
    return {name: load_people(name) for name in SETS}


def test_the_shipped_file_promises_the_issue_bar():
    shipped = shipped_calibration(MODEL)
    assert shipped["target_far"] == 0.0001 and shipped["far_bound"] == 0.001


@pytest.mark.parametrize("mode", list(MatchMode))
def test_each_mode_holds_the_target_and_the_bound(people, mode):
    threshold = thresholds_for(MODEL, mode).accept_max
    seen = 0
    for name, persons in people.items():
        for template, probe in VARIANTS[mode.value]:
            found = comparisons(persons, template, probe)
            if found is None:
                continue
            seen += 1
            far, upper, frr = cal.rates_at(found, threshold, replicates=REPLICATES)
            print(f"{name} {mode.value} {template}x{probe} at {threshold}: FAR {far.errors}/"
                  f"{far.of}, upper {upper:.4%}; FRR {frr.rate:.1%}")  # fmt: skip
            assert far.rate <= cal.TARGET_FAR, (name, template, probe)
            assert upper <= cal.FAR_BOUND, (name, template, probe)
    assert seen >= len(VARIANTS[mode.value])


@pytest.mark.parametrize("mode", list(MatchMode))
def test_the_rule_reproduces_the_shipped_threshold(people, mode):
    chosen = min(
        cal.safe_operating_point(found, replicates=REPLICATES).threshold
        for persons in people.values()
        for template, probe in VARIANTS[mode.value]
        if (found := comparisons(persons, template, probe)) is not None
    )
    shipped = thresholds_for(MODEL, mode).accept_max
    # The bootstrap's lower 5% moves a little with the number of replicates.
    assert shipped - 0.005 <= chosen <= shipped + 0.005, (chosen, shipped)


def test_the_previous_thresholds_broke_the_bound_on_fused_templates(people):
    """Why the thresholds moved: at the previous both_fused 0.35 a 3-image template let
    through well over 0.01% of impostors (the issue's finding, on the shared data)."""
    found = comparisons(people["lfw_east_asian"], 3, 2)
    assert found is not None
    far, upper, _ = cal.rates_at(found, 0.35, replicates=REPLICATES)
    assert far.rate > cal.TARGET_FAR and upper > cal.FAR_BOUND


def test_fusion_wins_back_false_rejects(people):
    lfw = people["lfw_east_asian"]
    single = comparisons(lfw, 1, 1)
    probe = comparisons(lfw, 1, 3)
    enrolled = comparisons(lfw, 4, 3)
    assert single is not None and probe is not None and enrolled is not None
    frr = {
        mode: cal.rates_at(found, thresholds_for(MODEL, mode).accept_max, replicates=100)[2].rate
        for mode, found in (
            (MatchMode.SINGLE, single),
            (MatchMode.PROBE_FUSED, probe),
            (MatchMode.BOTH_FUSED, enrolled),
        )
    }
    print(frr)
    assert frr[MatchMode.SINGLE] > frr[MatchMode.PROBE_FUSED] > frr[MatchMode.BOTH_FUSED]
    assert frr[MatchMode.BOTH_FUSED] < 0.05
