"""False-accept and false-reject rates of a distance matcher, and how sure we are of them.

Pure numpy over arrays of distances (no I/O), so that the calibration benchmark, the fusion
benchmark and the unit tests share one definition of every rate. The convention is the
matcher's (``kiosk/idv/matching.py``): a pair is *accepted* when its distance is at or
under the threshold, so

- FAR(t) = share of impostor distances ``<= t`` (non-decreasing in t),
- FRR(t) = share of genuine distances ``> t`` (non-increasing in t).

Optional ``weights`` turn each rate into a weighted share. They exist for the identity
bootstrap: resampling *people* (not pairs, which share people and so are not independent)
amounts to weighting each pair by how often its people were drawn.

The binomial intervals (``rate_interval``) treat pairs as independent trials, which they
are not: they are a lower bound on the uncertainty. The identity bootstrap is the honest
interval and is the one to quote next to a calibrated threshold.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

try:  # scipy arrives with scikit-image; it is not a direct dependency of the kiosk.
    from scipy.stats import beta as _beta
except ImportError:  # pragma: no cover - exercised only where scipy is absent
    _beta = None


def _distances(values: np.ndarray | Sequence[float]) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64).ravel()
    if not np.all(np.isfinite(array)):
        raise ValueError("distances must be finite")
    return array


def _sorted_with_cumulative_weight(
    values: np.ndarray | Sequence[float], weights: np.ndarray | Sequence[float] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Distances in ascending order and the running total of their weights."""
    d = _distances(values)
    w = np.ones_like(d) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if w.shape != d.shape:
        raise ValueError(f"{d.size} distances but {w.size} weights")
    if np.any(w < 0):
        raise ValueError("weights must not be negative")
    order = np.argsort(d, kind="stable")
    return d[order], np.cumsum(w[order])


def _share_at_or_under(
    values: np.ndarray | Sequence[float],
    thresholds: float | np.ndarray | Sequence[float],
    weights: np.ndarray | Sequence[float] | None,
) -> np.ndarray:
    d, cumulative = _sorted_with_cumulative_weight(values, weights)
    if d.size == 0 or cumulative[-1] <= 0:
        raise ValueError("no distances (or no weight) to take a rate over")
    index = np.searchsorted(d, np.asarray(thresholds, dtype=np.float64), side="right")
    at_or_under = np.where(index > 0, cumulative[np.maximum(index - 1, 0)], 0.0)
    return at_or_under / cumulative[-1]


def far_at(
    impostor: np.ndarray | Sequence[float],
    thresholds: float | np.ndarray | Sequence[float],
    weights: np.ndarray | Sequence[float] | None = None,
) -> np.ndarray:
    """False-accept rate at each threshold: the share of impostor distances ``<= t``."""
    return _share_at_or_under(impostor, thresholds, weights)


def frr_at(
    genuine: np.ndarray | Sequence[float],
    thresholds: float | np.ndarray | Sequence[float],
    weights: np.ndarray | Sequence[float] | None = None,
) -> np.ndarray:
    """False-reject rate at each threshold: the share of genuine distances ``> t``."""
    return 1.0 - _share_at_or_under(genuine, thresholds, weights)


@dataclass(frozen=True, slots=True)
class ErrorCurves:
    """FAR and FRR over a grid of thresholds (for plots and tables)."""

    thresholds: np.ndarray
    far: np.ndarray
    frr: np.ndarray


def error_curves(
    genuine: np.ndarray | Sequence[float],
    impostor: np.ndarray | Sequence[float],
    thresholds: np.ndarray | Sequence[float] | None = None,
) -> ErrorCurves:
    """Both curves on one grid; by default 0 to the largest distance in 1001 steps."""
    if thresholds is None:
        top = float(max(np.max(_distances(genuine)), np.max(_distances(impostor))))
        thresholds = np.linspace(0.0, top, 1001)
    grid = np.asarray(thresholds, dtype=np.float64)
    return ErrorCurves(grid, far_at(impostor, grid), frr_at(genuine, grid))


def threshold_at_far(
    impostor: np.ndarray | Sequence[float],
    target: float,
    weights: np.ndarray | Sequence[float] | None = None,
) -> float:
    """The largest threshold whose FAR is at most ``target``.

    FAR only rises at impostor distances, so the answer sits just under the first impostor
    distance at which FAR would exceed ``target``: the largest float below it
    (``np.nextafter``). Ties count whole: if several impostor pairs share that distance,
    accepting one accepts them all, so none of them is accepted. Any threshold from the
    last accepted impostor distance up to this one has the same empirical FAR; a
    calibration that wants a round number rounds *down*. ``inf`` when even accepting
    every impostor stays within ``target`` (``target >= 1``).
    """
    if not target >= 0.0:  # also refuses NaN
        raise ValueError(f"target FAR must be >= 0 (got {target})")
    d, cumulative = _sorted_with_cumulative_weight(impostor, weights)
    if d.size == 0 or cumulative[-1] <= 0:
        raise ValueError("no impostor distances (or no weight) to calibrate on")
    values, first_index = np.unique(d, return_index=True)
    last_index = np.append(first_index[1:], d.size) - 1
    far_from_value = cumulative[last_index] / cumulative[-1]
    over = np.nonzero(far_from_value > target)[0]
    if over.size == 0:
        return math.inf
    return float(np.nextafter(values[over[0]], -np.inf))


@dataclass(frozen=True, slots=True)
class OperatingPoint:
    """A threshold chosen for a target FAR and what it costs genuine users there."""

    target_far: float
    threshold: float
    far: float
    frr: float


def operating_point_at_far(
    genuine: np.ndarray | Sequence[float],
    impostor: np.ndarray | Sequence[float],
    target: float,
    *,
    genuine_weights: np.ndarray | Sequence[float] | None = None,
    impostor_weights: np.ndarray | Sequence[float] | None = None,
) -> OperatingPoint:
    """``threshold_at_far`` and the FAR and FRR measured at that threshold."""
    threshold = threshold_at_far(impostor, target, impostor_weights)
    return OperatingPoint(
        target_far=target,
        threshold=threshold,
        far=float(far_at(impostor, threshold, impostor_weights)),
        frr=float(frr_at(genuine, threshold, genuine_weights)),
    )


@dataclass(frozen=True, slots=True)
class EqualError:
    """Where FAR and FRR are closest: a one-number summary, not an operating point."""

    rate: float
    threshold: float
    far: float
    frr: float


def equal_error_rate(
    genuine: np.ndarray | Sequence[float], impostor: np.ndarray | Sequence[float]
) -> EqualError:
    """The equal error rate: among all thresholds that give distinct (FAR, FRR), the one
    where ``|FAR - FRR|`` is smallest (ties: smaller ``FAR + FRR``, then the smaller
    threshold); the rate is the mean of FAR and FRR there. The rates are step functions,
    so they may never be exactly equal; the mean is the usual convention."""
    g, i = _distances(genuine), _distances(impostor)
    values = np.unique(np.concatenate([g, i]))
    candidates = np.append(np.nextafter(values[0], -np.inf), values)
    far, frr = far_at(i, candidates), frr_at(g, candidates)
    order = np.lexsort((candidates, far + frr, np.abs(far - frr)))
    best = int(order[0])
    return EqualError(
        rate=float((far[best] + frr[best]) / 2),
        threshold=float(candidates[best]),
        far=float(far[best]),
        frr=float(frr[best]),
    )


@dataclass(frozen=True, slots=True)
class Accuracy:
    """Share of all comparisons decided right, and the mean of the two per-class rates.
    Plain accuracy is dominated by whichever class has more pairs (here: impostors)."""

    accuracy: float
    balanced: float


def accuracy_at(
    genuine: np.ndarray | Sequence[float], impostor: np.ndarray | Sequence[float], threshold: float
) -> Accuracy:
    g, i = _distances(genuine), _distances(impostor)
    right = int(np.count_nonzero(g <= threshold)) + int(np.count_nonzero(i > threshold))
    far = float(far_at(i, threshold))
    frr = float(frr_at(g, threshold))
    return Accuracy(accuracy=right / (g.size + i.size), balanced=1.0 - (far + frr) / 2)


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float
    method: str


def wilson_interval(errors: int, trials: int, confidence: float = 0.95) -> Interval:
    """Wilson score interval for a binomial rate; sane at zero errors, unlike p +- z*se."""
    _check_counts(errors, trials, confidence)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = errors / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    # At 0 or all errors one end is exactly 0 or 1; say so rather than leave rounding dust.
    low = 0.0 if errors == 0 else max(0.0, centre - half)
    high = 1.0 if errors == trials else min(1.0, centre + half)
    return Interval(low, high, "wilson")


def clopper_pearson_interval(errors: int, trials: int, confidence: float = 0.95) -> Interval:
    """Exact (conservative) binomial interval; needs scipy."""
    _check_counts(errors, trials, confidence)
    if _beta is None:
        raise RuntimeError("the Clopper-Pearson interval needs scipy")
    alpha = 1 - confidence
    low = 0.0 if errors == 0 else float(_beta.ppf(alpha / 2, errors, trials - errors + 1))
    high = 1.0 if errors == trials else float(_beta.ppf(1 - alpha / 2, errors + 1, trials - errors))
    return Interval(low, high, "clopper-pearson")


def rate_interval(errors: int, trials: int, confidence: float = 0.95) -> Interval:
    """Clopper-Pearson where scipy is installed, else Wilson (the method is recorded)."""
    if _beta is None:
        return wilson_interval(errors, trials, confidence)
    return clopper_pearson_interval(errors, trials, confidence)


def _check_counts(errors: int, trials: int, confidence: float) -> None:
    if trials <= 0 or not 0 <= errors <= trials:
        raise ValueError(f"need 0 <= errors <= trials and trials > 0 (got {errors}/{trials})")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1) (got {confidence})")


def _codes(labels: np.ndarray, vocabulary: np.ndarray) -> np.ndarray:
    return np.searchsorted(vocabulary, labels)


def identity_bootstrap_weights(
    genuine_ids: np.ndarray | Sequence[Hashable],
    impostor_ids: np.ndarray | Sequence[tuple[Hashable, Hashable]],
    *,
    replicates: int,
    seed: int = 0,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Pair weights for each bootstrap replicate that resamples *identities*.

    Draw as many people as there are, with replacement; a person drawn c times counts c
    times. A genuine pair of person p then weighs c_p, an impostor pair of p and q weighs
    c_p * c_q: exactly the pairs the resampled population would form, without rebuilding
    them. (Pairs between two copies of one person are left out: they are not impostors, and
    their genuine pairs would pair an image with itself.)
    """
    gen = np.asarray(genuine_ids)
    imp = np.asarray(impostor_ids)
    if imp.ndim != 2 or imp.shape[1] != 2:
        raise ValueError("impostor_ids must be one (person, person) pair per impostor distance")
    vocabulary = np.unique(np.concatenate([gen.ravel(), imp.ravel()]))
    g_codes = _codes(gen, vocabulary)
    a_codes, b_codes = _codes(imp[:, 0], vocabulary), _codes(imp[:, 1], vocabulary)
    rng = np.random.default_rng(seed)
    people = vocabulary.size
    for _ in range(replicates):
        counts = rng.multinomial(people, np.full(people, 1.0 / people)).astype(np.float64)
        yield counts[g_codes], counts[a_codes] * counts[b_codes]


def percentile_interval(values: np.ndarray | Sequence[float], confidence: float = 0.95) -> Interval:
    """The central ``confidence`` share of bootstrap replicates (NaNs left out)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    if v.size == 0:
        raise ValueError("no bootstrap replicate gave a value")
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(v, [tail, 100 - tail])
    return Interval(float(low), float(high), "identity-bootstrap-percentile")


def identity_bootstrap(
    statistic: Callable[[np.ndarray, np.ndarray], Sequence[float]],
    genuine_ids: np.ndarray | Sequence[Hashable],
    impostor_ids: np.ndarray | Sequence[tuple[Hashable, Hashable]],
    *,
    replicates: int = 1000,
    seed: int = 0,
) -> np.ndarray:
    """``statistic(genuine_weights, impostor_weights)`` over identity-resampled replicates,
    one row per replicate. A replicate that drew no genuine or no impostor weight (one
    person drawn every time) gives a row of NaN rather than a made-up number."""
    rows: list[list[float]] = []
    for g_w, i_w in identity_bootstrap_weights(
        genuine_ids, impostor_ids, replicates=replicates, seed=seed
    ):
        if g_w.sum() <= 0 or i_w.sum() <= 0:
            rows.append([])
            continue
        rows.append([float(x) for x in statistic(g_w, i_w)])
    width = max((len(row) for row in rows), default=0)
    return np.array([row or [math.nan] * width for row in rows], dtype=np.float64)


@dataclass(frozen=True, slots=True)
class ThresholdBootstrap:
    """How far the threshold for a target FAR, and the FRR it costs, move when a different
    set of people had been photographed."""

    target_far: float
    threshold: Interval
    frr: Interval
    replicates: int


def bootstrap_threshold_at_far(
    genuine: np.ndarray | Sequence[float],
    genuine_ids: np.ndarray | Sequence[Hashable],
    impostor: np.ndarray | Sequence[float],
    impostor_ids: np.ndarray | Sequence[tuple[Hashable, Hashable]],
    target: float,
    *,
    replicates: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> ThresholdBootstrap:
    """Identity-bootstrap interval of ``threshold_at_far`` and of the FRR at each
    replicate's own threshold."""
    g, i = _distances(genuine), _distances(impostor)
    if len(genuine_ids) != g.size or len(impostor_ids) != i.size:
        raise ValueError("one identity (pair) per distance is needed")

    def statistic(g_w: np.ndarray, i_w: np.ndarray) -> tuple[float, float]:
        threshold = threshold_at_far(i, target, i_w)
        return threshold, float(frr_at(g, threshold, g_w))

    rows = identity_bootstrap(
        statistic, genuine_ids, impostor_ids, replicates=replicates, seed=seed
    )
    return ThresholdBootstrap(
        target_far=target,
        threshold=percentile_interval(rows[:, 0], confidence),
        frr=percentile_interval(rows[:, 1], confidence),
        replicates=replicates,
    )
