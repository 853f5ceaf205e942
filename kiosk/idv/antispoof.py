"""Pluggable passive anti-spoofing: one frame in, a liveness score out.

Challenge-response stops prints and most replays; a passive model looks for what a screen
or paper leaves in the picture (moiré, reflections, missing depth cues). None ships with the
kiosk, because no such model with a licence fit for this use is on PyPI or in Debian, so
the check is off by default. A site that has one configures an ONNX file (run through
OpenCV's dnn module, no extra runtime) and the preprocessing it was trained with:

    [idv.antispoof]
    model = "/etc/bdmi-kiosk/models/antispoof.onnx"
    input_size = [80, 80]
    crop_scale = 2.7          # face box enlarged by this before resizing (MiniFASNet style)
    live_class = 1
    min_live_score = 0.8

The score is the softmax probability of ``live_class``; below ``min_live_score`` the
decision fails with ``IDV_PASSIVE_SPOOF``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from kiosk.idv.errors import IdvError
from kiosk.idv.face_tracker import Box


class PassiveAntiSpoof(Protocol):
    def live_score(self, bgr: np.ndarray, box: Box) -> float:
        """Probability (0-1) that the face in ``box`` is a live person, not a reproduction."""
        ...


@dataclass
class OnnxAntiSpoof:
    model_path: Path
    input_size: tuple[int, int] = (80, 80)
    crop_scale: float = 2.7
    live_class: int = 1
    scale: float = 1.0
    """Multiplier applied to pixel values (1/255 for models trained on 0-1 inputs)."""
    swap_rb: bool = False

    def __post_init__(self) -> None:
        if not Path(self.model_path).is_file():
            raise IdvError(
                f"anti-spoofing model not found: {self.model_path}",
                reason="IDV_ANTISPOOF_MODEL_INVALID",
            )
        try:
            self._net = cv2.dnn.readNetFromONNX(str(self.model_path))
        except cv2.error as exc:
            raise IdvError(
                f"{self.model_path} is not an ONNX model OpenCV can load: "
                f"{str(exc).strip().splitlines()[-1]}",
                reason="IDV_ANTISPOOF_MODEL_INVALID",
            ) from exc

    def live_score(self, bgr: np.ndarray, box: Box) -> float:
        crop = crop_around(bgr, box, self.crop_scale)
        blob = cv2.dnn.blobFromImage(
            crop, self.scale, self.input_size, swapRB=self.swap_rb, crop=False
        )
        self._net.setInput(blob)
        logits = np.asarray(self._net.forward(), dtype=np.float64).reshape(-1)
        if not 0 <= self.live_class < logits.size:
            raise IdvError(
                f"model has {logits.size} outputs; live_class {self.live_class} is out of range",
                reason="IDV_ANTISPOOF_MODEL_INVALID",
            )
        exp = np.exp(logits - logits.max())
        return float(exp[self.live_class] / exp.sum())


def crop_around(bgr: np.ndarray, box: Box, scale: float) -> np.ndarray:
    """The face box enlarged ``scale`` times about its centre, clipped to the frame: passive
    models judge the surroundings of a face (a screen's bezel, a photo's edge) too."""
    height, width = bgr.shape[:2]
    left, top, right, bottom = box
    cx, cy = (left + right) / 2.0, (top + bottom) / 2.0
    half_w, half_h = (right - left) * scale / 2.0, (bottom - top) * scale / 2.0
    x0, y0 = max(0, int(cx - half_w)), max(0, int(cy - half_h))
    x1, y1 = min(width, int(cx + half_w)), min(height, int(cy + half_h))
    return bgr[y0:y1, x0:x1]
