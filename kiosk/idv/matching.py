"""1:1 matching with three outcomes: accept, refer to staff, reject.

A distance at or under ``accept_max`` is a match (chosen for 0.01% false accepts on East
Asian faces, the people this kiosk serves, with the 95% upper bound under 0.1%:
``calibration.py``); above ``refer_max`` it is not; in between, a person decides. Staff
referral is an outcome of its own, recorded with the result, never a silent pass: a false
accept at a pension office pays an impostor.

Thresholds belong to the embedding model that produced the distances, so they are read
from that model's calibration file (``calibrations/<model>.json``, from the results of
``bench/safe_thresholds.py``); a site that recalibrates (``kioskctl face calibrate``)
names its site calibration in the config (``site_calibration.py``). They also depend on
how many images were fused on each side: a fused embedding lies closer to everyone's mean
face, so at the single-image threshold a fused comparison lets in 3 to 20 times more
impostors (docs/biometrics.md). Each ``MatchMode`` therefore has its own operating point.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from kiosk.idv.embedding import distance
from kiosk.idv.errors import IdvError

if TYPE_CHECKING:
    from kiosk.idv.site_calibration import SiteCalibration


class MatchMode(StrEnum):
    SINGLE = "single"
    """One image against one image (a live frame against a document portrait)."""
    PROBE_FUSED = "probe_fused"
    """Several live frames fused, against one image (the document portrait)."""
    BOTH_FUSED = "both_fused"
    """Several live frames fused, against an enrolled template fused from several images."""


def mode_for(probe_images: int, template_images: int) -> MatchMode:
    if template_images > 1 and probe_images > 1:
        return MatchMode.BOTH_FUSED
    if probe_images > 1 or template_images > 1:
        return MatchMode.PROBE_FUSED
    return MatchMode.SINGLE


class MatchZone(StrEnum):
    ACCEPT = "accept"
    REFER = "refer"
    REJECT = "reject"


ZONE_REASONS = {
    MatchZone.ACCEPT: "IDV_MATCH_ACCEPTED",
    MatchZone.REFER: "IDV_MATCH_GREY_ZONE",
    MatchZone.REJECT: "IDV_MATCH_REJECTED",
}


@dataclass(frozen=True, slots=True)
class MatchThresholds:
    model: str
    accept_max: float
    refer_max: float
    mode: MatchMode = MatchMode.SINGLE

    def __post_init__(self) -> None:
        if not 0 < self.accept_max <= self.refer_max:
            raise IdvError(
                f"match thresholds must satisfy 0 < accept_max <= refer_max "
                f"(got {self.accept_max}, {self.refer_max})",
                reason="IDV_CALIBRATION_INVALID",
            )

    def zone(self, value: float) -> MatchZone:
        if value <= self.accept_max:
            return MatchZone.ACCEPT
        if value <= self.refer_max:
            return MatchZone.REFER
        return MatchZone.REJECT


@dataclass(frozen=True, slots=True)
class MatchResult:
    distance: float
    zone: MatchZone
    thresholds: MatchThresholds

    @property
    def reason(self) -> str:
        return ZONE_REASONS[self.zone]

    def as_dict(self) -> dict[str, object]:
        return {
            "distance": round(self.distance, 4),
            "zone": self.zone.value,
            "reason": self.reason,
            "model": self.thresholds.model,
            "mode": self.thresholds.mode.value,
            "accept_max": self.thresholds.accept_max,
            "refer_max": self.thresholds.refer_max,
        }


def match(probe: np.ndarray, template: np.ndarray, thresholds: MatchThresholds) -> MatchResult:
    value = distance(probe, template)
    return MatchResult(value, thresholds.zone(value), thresholds)


def shipped_calibration(model: str) -> dict[str, object]:
    """The calibration file shipped for ``model`` (thresholds and how they were measured)."""
    try:
        text = (resources.files("kiosk.idv") / "calibrations" / f"{model}.json").read_text()
    except FileNotFoundError as exc:
        raise IdvError(
            f"no calibration shipped for the embedding model {model!r}",
            reason="IDV_CALIBRATION_MISSING",
        ) from exc
    return json.loads(text)


def thresholds_for(
    model: str,
    mode: MatchMode = MatchMode.SINGLE,
    *,
    accept_max: float | None = None,
    refer_max: float | None = None,
    site: SiteCalibration | None = None,
) -> MatchThresholds:
    """The operating point for ``mode``: the site calibration's where it measured this mode
    (``kioskctl face calibrate``, checked when loaded), else the model's shipped one.
    ``accept_max``/``refer_max`` (the older ``[idv.match]`` overrides), when set, replace
    them for every mode."""
    points = shipped_calibration(model).get("operating_points", {})
    if not isinstance(points, dict) or mode.value not in points:
        raise IdvError(
            f"the calibration of {model!r} has no operating point for {mode.value!r}",
            reason="IDV_CALIBRATION_MISSING",
        )
    shipped = points[mode.value]
    point = site.points.get(mode) if site is not None and site.model == model else None
    base_accept = point.accept_max if point else float(shipped["accept_max"])
    base_refer = point.refer_max if point else float(shipped["refer_max"])
    return MatchThresholds(
        model=model,
        accept_max=float(accept_max if accept_max is not None else base_accept),
        refer_max=float(refer_max if refer_max is not None else base_refer),
        mode=mode,
    )
