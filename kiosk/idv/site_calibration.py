"""A site's own calibration: thresholds measured on its staff's photos, and when to refuse it.

``kioskctl face calibrate DIR`` measures each match mode the site's photos allow with the
same rule as the shipped thresholds (``calibration.safe_operating_point``) and writes the
result here. The kiosk then uses the site's operating point for those modes and the
shipped one for the rest.

The guard: a site calibration is **looser** than the shipped one when, for some mode, it
accepts at a larger distance than the shipped threshold *and* its own 95% upper bound of
false accepts is above the shipped bound (0.1%). A smaller threshold can only accept fewer
impostors than the shipped one, whatever the population; a larger one must prove it on
enough people, and a site folder of a dozen staff never can (3 / impostor pairs is already
over 0.1% below 3,000 pairs). A looser calibration is refused, by the command and by the
kiosk loading it, unless a technician forced it; forcing is written to the audit log.

The check runs when the config is validated (so ``bdmi-kiosk`` refuses to start and
``kioskctl config check`` names the reason) and again when the flow is built. The kiosk
does not trust the file's own verdict: it recomputes looseness from the numbers
in the file against the shipped calibration it runs with.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.idv.errors import IdvError
from kiosk.idv.matching import MatchMode, shipped_calibration

KIND = "bdmi-site-calibration"
VERSION = 1
MAX_FILE_BYTES = 256 * 1024
MODE_SHAPES: dict[MatchMode, tuple[int, int]] = {
    MatchMode.PROBE_FUSED: (1, 3),
    MatchMode.BOTH_FUSED: (2, 2),
}
"""(template images, probe images) measured for each fused mode (``bench/face_fusion.py``
showed these are the tightest of the shapes the kiosk uses)."""


@dataclass(frozen=True, slots=True)
class SitePoint:
    accept_max: float
    refer_max: float
    far_upper95: float


@dataclass(frozen=True, slots=True)
class SiteCalibration:
    model: str
    points: Mapping[MatchMode, SitePoint]
    forced: bool

    def looser_modes(self) -> list[MatchMode]:
        return looser_modes(self.model, self.points)


def shipped_bound(model: str) -> float:
    """The false-accept bound the shipped thresholds promise (their 95% upper bound)."""
    value = shipped_calibration(model).get("far_bound")
    if not isinstance(value, int | float) or not 0 < value < 1:
        raise IdvError(f"the calibration of {model!r} states no far_bound",
                       reason="IDV_CALIBRATION_INVALID")  # fmt: skip
    return float(value)


def looser_modes(model: str, points: Mapping[MatchMode, SitePoint]) -> list[MatchMode]:
    shipped = shipped_calibration(model)["operating_points"]
    bound = shipped_bound(model)
    return [
        mode
        for mode, point in points.items()
        if point.accept_max > float(shipped[mode.value]["accept_max"])  # type: ignore[index]
        and point.far_upper95 > bound
    ]


def calibrate(
    people: Mapping[str, Sequence[np.ndarray]],
    *,
    model: str,
    replicates: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """The site calibration document for one set of labelled embeddings (person -> images).
    Person names never enter it: only counts and rates."""
    from kiosk.idv import calibration as cal  # numpy statistics and dlib: only to calibrate

    shipped = shipped_calibration(model)["operating_points"]
    points: dict[str, Any] = {}
    comparisons = {MatchMode.SINGLE: cal.single_comparisons(people)}
    skipped: dict[str, str] = {}
    for mode, (template, probe) in MODE_SHAPES.items():
        try:
            comparisons[mode] = cal.fused_comparisons(
                people, template_images=template, probe_images=probe, seed=seed
            )
        except ValueError:
            skipped[mode.value] = f"needs two people with {template + probe} images each"
    for mode, found in comparisons.items():
        if found.genuine.size == 0:
            skipped[mode.value] = "no person has two images with a face"
            continue
        point = cal.safe_operating_point(found, replicates=replicates, seed=seed)
        refer = float(shipped[mode.value]["refer_max"])  # type: ignore[index]
        points[mode.value] = {
            "accept_max": point.threshold,
            "refer_max": max(refer, point.threshold),
            "far_upper95": round(point.far_upper95, 6),
            **point.as_dict(),
        }
    if not points:
        raise IdvError(
            "no person has two images with a face: nothing to calibrate genuine pairs on",
            reason="IDV_CALIBRATION_NO_GENUINE",
        )
    parsed = {MatchMode(m): _point(p) for m, p in points.items()}
    return {
        "kind": KIND,
        "version": VERSION,
        "model": model,
        "people": len(people),
        "images": sum(len(v) for v in people.values()),
        "target_far": cal.TARGET_FAR,
        "far_bound": shipped_bound(model),
        "operating_points": points,
        "modes_not_measured": skipped,
        "looser_than_shipped": [m.value for m in looser_modes(model, parsed)],
        "forced": False,
    }


def _point(data: Any) -> SitePoint:
    if not isinstance(data, dict):
        raise ValueError("an operating point must be a table")
    values = [data.get(k) for k in ("accept_max", "refer_max", "far_upper95")]
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) != 3 or not all(-2 < v < 2 and math.isfinite(v) for v in numbers):
        raise ValueError("accept_max, refer_max and far_upper95 must be numbers")
    accept, refer, upper = (float(v) for v in numbers)
    if not (0 < accept <= refer < 2 and 0 <= upper <= 1):
        raise ValueError("need 0 < accept_max <= refer_max < 2 and 0 <= far_upper95 <= 1")
    return SitePoint(accept, refer, upper)


def parse(text: str, model: str) -> SiteCalibration:
    """The calibration a site file holds, checked; ``IDV_CALIBRATION_INVALID`` otherwise."""
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("kind") != KIND:
            raise ValueError(f"not a site calibration (kind must be {KIND!r})")
        if data.get("version") != VERSION:
            raise ValueError(f"unsupported version {data.get('version')!r}")
        if data.get("model") != model:
            raise ValueError(f"made for the model {data.get('model')!r}, the kiosk runs {model!r}")
        raw = data.get("operating_points")
        if not isinstance(raw, dict) or not raw:
            raise ValueError("no operating points")
        points = {MatchMode(mode): _point(point) for mode, point in raw.items()}
        forced = data.get("forced", False)
        if not isinstance(forced, bool):
            raise ValueError("forced must be true or false")
    except (ValueError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
        raise IdvError(f"site calibration: {exc}", reason="IDV_CALIBRATION_INVALID") from None
    return SiteCalibration(model, points, forced)


def load(path: Path, model: str) -> SiteCalibration:
    """The site calibration the kiosk may use. A looser one that was not forced is refused
    (``IDV_CALIBRATION_LOOSER``): the kiosk must not start accepting more impostors because
    someone copied a file."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise IdvError(f"{path}: larger than a site calibration can be",
                           reason="IDV_CALIBRATION_INVALID")  # fmt: skip
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise IdvError(f"{path}: cannot read: {exc}", reason="IDV_CALIBRATION_INVALID") from None
    site = parse(text, model)
    looser = site.looser_modes()
    if looser and not site.forced:
        names = ", ".join(m.value for m in looser)
        raise IdvError(
            f"{path}: looser than the shipped false-accept bound for {names}; "
            "recalibrate on more people, or force it with `kioskctl face calibrate --force`",
            reason="IDV_CALIBRATION_LOOSER",
        )
    return site
