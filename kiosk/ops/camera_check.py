"""Camera: does it deliver fresh frames, and is the picture exposed well enough to verify?

A camera can be "working" and still useless: pointed at a window (everything clipped white),
its lens covered or the room dark (mean near black). Liveness then fails for everyone with
``IDV_TOO_DARK`` and the site blames the software. So the check takes a few consecutive frames
and measures the whole picture: mean grey level and the share of clipped pixels. The limits
are wider than the face-quality gates (kiosk/idv/quality.py judges the face, not the frame):
this catches a broken set-up, not a shadow.

It then runs the liveness step's per-frame analysis on the live stream for a moment and
counts the frames it gets through per second. Liveness judges gestures in wall time and
asks for held gestures when blinks come too fast for the rate reached, but below
``idv.liveness.min_fps`` even a held turn may fall between frames: such a kiosk is a device
fault (``OPS_FACE_RATE_TOO_LOW``), to be fixed by a technician, never a patient's failure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from drivers.camera.base import Frame
from kiosk.ops.check import Check, fail, ok, warn
from kiosk.ops.context import CheckContext

NAME = "camera"
FRAMES = 5
FRAME_TIMEOUT_S = 3.0
DARK_MEAN = 40.0
"""Mean grey level (0-255) under which the picture is too dark to find a face in."""
BRIGHT_MEAN = 220.0
CLIPPED_SHARE = 0.25
"""Share of pixels at 0-4 or 251-255 above which the exposure is broken (a window behind,
a lamp into the lens, a covered lens)."""
_LOW, _HIGH = 4, 251

OPS_CAMERA_TOO_DARK = "OPS_CAMERA_TOO_DARK"
OPS_CAMERA_TOO_BRIGHT = "OPS_CAMERA_TOO_BRIGHT"
OPS_CAMERA_CLIPPED = "OPS_CAMERA_CLIPPED"
OPS_FACE_RATE_TOO_LOW = "OPS_FACE_RATE_TOO_LOW"
RATE_SECONDS = 1.5
"""How long the analysis rate is measured on the live stream."""


@dataclass(frozen=True, slots=True)
class Exposure:
    mean: float
    """Mean grey level, 0-255."""
    clipped: float
    """Share of pixels at either end of the range, 0-1."""


def exposure(image: np.ndarray) -> Exposure:
    """Exposure of one BGR (or grey) ``uint8`` frame."""
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    total = grey.size
    if total == 0:
        return Exposure(0.0, 1.0)
    clipped = np.count_nonzero(grey <= _LOW) + np.count_nonzero(grey >= _HIGH)
    return Exposure(float(grey.mean()), clipped / total)


def judge(
    found: list[Exposure],
    width: int,
    height: int,
    fps: float,
    *,
    analysed_fps: float | None = None,
    min_fps: float = 0.0,
) -> Check:
    """The verdict on the frames' exposure (medians: one odd frame does not decide), and on
    the rate the liveness analysis reached, when it was measured."""
    mean = float(np.median([e.mean for e in found]))
    clipped = float(np.median([e.clipped for e in found]))
    detail = {
        "frames": len(found),
        "mean_brightness": round(mean, 1),
        "clipped_share": round(clipped, 3),
        "width": width,
        "height": height,
        "fps": round(fps, 2),
    }
    summary = f"{len(found)} frames {width}x{height}, mean {mean:.0f}/255, {clipped:.0%} clipped"
    if analysed_fps is not None:
        detail["analysed_fps"] = round(analysed_fps, 2)
        detail["min_fps"] = min_fps
        summary += f", {analysed_fps:.1f} frames analysed/s"
        if analysed_fps < min_fps:
            return fail(
                NAME,
                OPS_FACE_RATE_TOO_LOW,
                f"{summary}: below the {min_fps:g} liveness needs",
                **detail,
            )
    if mean < DARK_MEAN:
        return warn(NAME, OPS_CAMERA_TOO_DARK, f"{summary}: too dark", **detail)
    if mean > BRIGHT_MEAN:
        return warn(NAME, OPS_CAMERA_TOO_BRIGHT, f"{summary}: too bright", **detail)
    if clipped > CLIPPED_SHARE:
        return warn(NAME, OPS_CAMERA_CLIPPED, f"{summary}: exposure clipped", **detail)
    return ok(NAME, summary, **detail)


class _Stream(Protocol):
    def latest(self, *, newer_than: int = -1, timeout: float = 1.0) -> Frame: ...


def analysis_rate(device: _Stream, sequence: int, seconds: float) -> float:
    """Frames per second the liveness analysis gets through on ``device``'s newest frames
    (it takes the newest frame whenever it is ready for one, as the face session does)."""
    from kiosk.idv.analysis import FaceAnalyzer

    analyzer = FaceAnalyzer()
    done, started = 0, time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds or done < 2:
        frame = device.latest(newer_than=sequence, timeout=FRAME_TIMEOUT_S)
        sequence = frame.sequence
        analyzer.analyse(frame.image, frame.timestamp)
        done += 1
    return done / max(elapsed, 1e-6)


def check_camera(ctx: CheckContext, frames: int = FRAMES) -> Check:
    """Open the configured camera afresh, take ``frames`` new frames, judge their exposure.
    ``DRV_CAMERA_UNAVAILABLE`` (from the driver) when it gives none in time."""
    from drivers.errors import CameraUnavailable
    from kiosk.devices import camera

    started = time.monotonic()
    with camera(ctx.config) as opened:
        device = opened.camera
        found: list[Exposure] = []
        sequence = -1
        try:
            for _ in range(frames):
                frame = device.latest(newer_than=sequence, timeout=FRAME_TIMEOUT_S)
                sequence = frame.sequence
                found.append(exposure(frame.image))
            rate = analysis_rate(device, sequence, RATE_SECONDS)
        except CameraUnavailable as exc:
            return fail(NAME, exc.reason, str(exc.args[0]), frames=len(found))
        width, height = device.resolution
        verdict = judge(
            found, width, height, device.fps,
            analysed_fps=rate, min_fps=ctx.config.idv.liveness.min_fps,
        )  # fmt: skip
    verdict.detail["simulated"] = opened.simulated
    verdict.detail["open_and_read_s"] = round(time.monotonic() - started, 2)
    return verdict
