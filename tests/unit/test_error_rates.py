"""Error rates on arrays small enough to check by hand, plus the properties every threshold
calibration relies on (accept means distance <= threshold; ties count whole)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.idv import error_rates
from kiosk.idv.error_rates import (
    accuracy_at,
    bootstrap_threshold_at_far,
    clopper_pearson_interval,
    equal_error_rate,
    error_curves,
    far_at,
    frr_at,
    identity_bootstrap_weights,
    operating_point_at_far,
    percentile_interval,
    rate_interval,
    threshold_at_far,
    wilson_interval,
)

GENUINE = [0.2, 0.4, 0.6]
IMPOSTOR = [0.3, 0.5, 0.5, 0.7]  # a tie at 0.5
Z95 = 1.959963984540054


def below(value: float) -> float:
    return float(np.nextafter(value, -np.inf))


def test_far_counts_distances_at_or_under_the_threshold():
    assert far_at(IMPOSTOR, 0.29) == 0.0
    assert far_at(IMPOSTOR, 0.3) == 0.25  # equal to the threshold is accepted
    assert far_at(IMPOSTOR, 0.49) == 0.25
    assert far_at(IMPOSTOR, 0.5) == 0.75  # both tied pairs at once
    assert far_at(IMPOSTOR, 0.7) == 1.0
    assert list(far_at(IMPOSTOR, [0.0, 0.3, 0.5, 1.0])) == [0.0, 0.25, 0.75, 1.0]


def test_frr_counts_distances_over_the_threshold():
    assert frr_at(GENUINE, 0.1) == 1.0
    assert frr_at(GENUINE, 0.2) == pytest.approx(2 / 3)
    assert frr_at(GENUINE, 0.39) == pytest.approx(2 / 3)
    assert frr_at(GENUINE, 0.4) == pytest.approx(1 / 3)
    assert frr_at(GENUINE, 0.6) == 0.0


def test_weights_make_rates_weighted_shares():
    assert far_at([0.3, 0.5, 0.7], 0.5, weights=[2, 1, 1]) == 0.75
    assert far_at([0.3, 0.5, 0.7], 0.3, weights=[0, 1, 1]) == 0.0
    assert frr_at([0.2, 0.4], 0.3, weights=[3, 1]) == 0.25
    with pytest.raises(ValueError):
        far_at([0.3, 0.5], 0.4, weights=[1])


def test_error_curves_share_one_grid():
    curves = error_curves(GENUINE, IMPOSTOR, [0.25, 0.45, 0.65])
    assert list(curves.far) == [0.0, 0.25, 0.75]
    assert list(curves.frr) == pytest.approx([2 / 3, 1 / 3, 0.0])
    default = error_curves(GENUINE, IMPOSTOR)
    assert default.thresholds[0] == 0.0 and default.thresholds[-1] == 0.7
    assert default.far[-1] == 1.0 and default.frr[-1] == 0.0


def test_threshold_at_far_does_not_split_a_tie():
    # FAR may be 0.5, but accepting one 0.5 accepts both (FAR 0.75): stop under 0.5.
    assert threshold_at_far(IMPOSTOR, 0.5) == below(0.5)
    assert far_at(IMPOSTOR, threshold_at_far(IMPOSTOR, 0.5)) == 0.25
    assert threshold_at_far(IMPOSTOR, 0.25) == below(0.5)  # FAR exactly the target is allowed
    assert threshold_at_far(IMPOSTOR, 0.2) == below(0.3)  # no impostor may pass
    assert threshold_at_far(IMPOSTOR, 0.0) == below(0.3)
    assert threshold_at_far(IMPOSTOR, 0.75) == below(0.7)
    assert threshold_at_far(IMPOSTOR, 1.0) == math.inf


def test_threshold_at_one_in_a_thousand():
    impostor = np.arange(1, 1001) / 1000  # 0.001 .. 1.000
    threshold = threshold_at_far(impostor, 0.001)
    assert threshold == below(0.002)
    assert far_at(impostor, threshold) == 0.001


def test_threshold_at_far_with_weights():
    assert threshold_at_far([0.3, 0.5, 0.7], 0.4, weights=[0, 1, 1]) == below(0.5)
    assert threshold_at_far([0.3, 0.5, 0.7], 0.5, weights=[2, 1, 1]) == below(0.5)
    assert threshold_at_far([0.3, 0.5, 0.7], 0.5, weights=[0, 0, 1]) == below(0.7)


def test_threshold_at_far_refuses_nonsense():
    with pytest.raises(ValueError):
        threshold_at_far([], 0.01)
    with pytest.raises(ValueError):
        threshold_at_far([0.3], -0.1)
    with pytest.raises(ValueError):
        threshold_at_far([0.3, math.nan], 0.1)


def test_operating_point_reports_frr_at_the_threshold():
    point = operating_point_at_far(GENUINE, IMPOSTOR, 0.5)
    assert point.threshold == below(0.5)
    assert point.far == 0.25
    assert point.frr == pytest.approx(1 / 3)  # 0.6 is rejected; 0.2 and 0.4 pass


def test_equal_error_rate_where_the_curves_cross():
    eer = equal_error_rate([0.1, 0.2, 0.3, 0.5], [0.4, 0.6, 0.7, 0.8])
    assert (eer.rate, eer.threshold, eer.far, eer.frr) == (0.25, 0.4, 0.25, 0.25)


def test_equal_error_rate_when_the_steps_never_meet():
    # t=0.3: FAR 1/3, FRR 1/2 (closest); t=0.5: FAR 1/3, FRR 0; t=0.1: FAR 0, FRR 1/2.
    eer = equal_error_rate([0.1, 0.5], [0.3, 0.6, 0.7])
    assert eer.threshold == 0.3
    assert eer.far == pytest.approx(1 / 3) and eer.frr == 0.5
    assert eer.rate == pytest.approx(5 / 12)


def test_equal_error_rate_of_separated_classes_is_zero():
    eer = equal_error_rate([0.1, 0.2], [0.5, 0.6])
    assert (eer.rate, eer.threshold) == (0.0, 0.2)


def test_accuracy_counts_both_kinds_of_right_answer():
    result = accuracy_at(GENUINE, IMPOSTOR, 0.45)
    assert result.accuracy == pytest.approx(5 / 7)  # 0.2, 0.4 accepted; 0.5, 0.5, 0.7 rejected
    assert result.balanced == pytest.approx(1 - (0.25 + 1 / 3) / 2)


def test_wilson_interval_closed_forms():
    zero = wilson_interval(0, 10)
    assert zero.low == 0.0
    assert zero.high == pytest.approx(Z95**2 / (10 + Z95**2))
    full = wilson_interval(10, 10)
    assert full.low == pytest.approx(10 / (10 + Z95**2)) and full.high == 1.0
    half = wilson_interval(5, 10)
    assert half.low + half.high == pytest.approx(1.0)
    assert half.method == "wilson"


def test_clopper_pearson_closed_forms():
    pytest.importorskip("scipy")
    zero = clopper_pearson_interval(0, 10)
    assert zero.low == 0.0 and zero.high == pytest.approx(1 - 0.025**0.1)
    full = clopper_pearson_interval(10, 10)
    assert full.low == pytest.approx(0.025**0.1) and full.high == 1.0
    # Exact intervals are wider than Wilson's.
    assert zero.high > wilson_interval(0, 10).high


def test_rate_interval_falls_back_to_wilson_without_scipy(monkeypatch):
    monkeypatch.setattr(error_rates, "_beta", None)
    assert rate_interval(3, 100).method == "wilson"
    with pytest.raises(RuntimeError):
        clopper_pearson_interval(3, 100)


def test_rate_interval_refuses_impossible_counts():
    with pytest.raises(ValueError):
        rate_interval(5, 4)
    with pytest.raises(ValueError):
        wilson_interval(0, 0)


def test_identity_bootstrap_weights_follow_the_people_drawn():
    genuine_ids = ["a", "b", "c"]
    impostor_ids = [("a", "b"), ("a", "c"), ("b", "c")]
    for g_w, i_w in identity_bootstrap_weights(genuine_ids, impostor_ids, replicates=50, seed=1):
        assert g_w.sum() == 3  # three people drawn, with replacement
        assert list(i_w) == [g_w[0] * g_w[1], g_w[0] * g_w[2], g_w[1] * g_w[2]]


def test_bootstrap_threshold_interval_brackets_the_estimate():
    rng = np.random.default_rng(7)
    people = [f"p{k}" for k in range(30)]
    genuine = rng.normal(0.35, 0.06, size=30)
    pairs = [(a, b) for n, a in enumerate(people) for b in people[n + 1 :]]
    impostor = rng.normal(0.7, 0.08, size=len(pairs))
    result = bootstrap_threshold_at_far(
        genuine, people, impostor, pairs, 0.01, replicates=300, seed=3
    )
    point = operating_point_at_far(genuine, impostor, 0.01)
    assert result.threshold.low <= point.threshold <= result.threshold.high
    assert result.threshold.low < result.threshold.high
    assert 0.0 <= result.frr.low <= result.frr.high <= 1.0
    assert result.threshold.method == "identity-bootstrap-percentile"


def test_bootstrap_of_a_constant_population_is_a_point():
    people = ["a", "b", "c", "d"]
    pairs = [(a, b) for n, a in enumerate(people) for b in people[n + 1 :]]
    result = bootstrap_threshold_at_far(
        [0.1] * 4, people, [0.9] * len(pairs), pairs, 0.001, replicates=50
    )
    assert result.threshold.low == result.threshold.high == below(0.9)
    assert result.frr.low == result.frr.high == 0.0


def test_percentile_interval_ignores_failed_replicates():
    interval = percentile_interval([math.nan, 1.0, 2.0, 3.0], confidence=0.5)
    assert (interval.low, interval.high) == (1.5, 2.5)


# Distances on a coarse grid so that ties are common, and arbitrary floats.
distance_values = st.one_of(
    st.integers(0, 20).map(lambda k: k / 10),
    st.floats(0.0, 2.0, allow_nan=False, allow_infinity=False),
)
distance_lists = st.lists(distance_values, min_size=1, max_size=60)
thresholds = st.lists(st.floats(-0.5, 2.5, allow_nan=False), min_size=2, max_size=20)


@settings(max_examples=200, deadline=None)
@given(distance_lists, thresholds)
def test_far_never_falls_and_frr_never_rises_as_the_threshold_rises(values, grid):
    grid = sorted(grid)
    assert np.all(np.diff(far_at(values, grid)) >= 0)
    assert np.all(np.diff(frr_at(values, grid)) <= 0)


@settings(max_examples=300, deadline=None)
@given(distance_lists, st.floats(0.0, 0.999, allow_nan=False))
def test_threshold_at_far_is_the_largest_that_keeps_the_target(impostor, target):
    threshold = threshold_at_far(impostor, target)
    assert far_at(impostor, threshold) <= target
    above = [d for d in impostor if d > threshold]
    assert above, "a target under 1 must leave some impostor rejected"
    next_distance = min(above)
    assert far_at(impostor, next_distance) > target
    # Nothing lies between the threshold and that next impostor distance.
    assert np.nextafter(threshold, np.inf) == next_distance


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(distance_values, st.integers(0, 3)), min_size=1, max_size=40),
    st.floats(0.0, 0.999, allow_nan=False),
)
def test_weighted_threshold_keeps_the_weighted_target(pairs, target):
    values = [d for d, _ in pairs]
    weights = [w for _, w in pairs]
    if sum(weights) == 0:
        return
    threshold = threshold_at_far(values, target, weights)
    assert far_at(values, threshold, weights) <= target
    heavier = [d for d, w in pairs if d > threshold and w > 0]
    assert far_at(values, min(heavier), weights) > target


@settings(max_examples=150, deadline=None)
@given(distance_lists, distance_lists)
def test_equal_error_threshold_is_where_the_curves_are_closest(genuine, impostor):
    eer = equal_error_rate(genuine, impostor)
    grid = np.array(sorted(set(genuine) | set(impostor)))
    gaps = np.abs(far_at(impostor, grid) - frr_at(genuine, grid))
    assert abs(eer.far - eer.frr) <= gaps.min() + 1e-12
    assert min(eer.far, eer.frr) <= eer.rate <= max(eer.far, eer.frr)
