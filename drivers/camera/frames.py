"""Pure frame geometry shared by the camera drivers, ``kiosk/idv`` and the benchmarks."""

from __future__ import annotations

import cv2
import numpy as np


def cover_resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale ``image`` to cover ``width`` x ``height`` and crop the centre: a clip in another
    aspect ratio then looks as it would on the kiosk's camera, faces undistorted (the face
    pipeline's distance gates are ratios of the configured frame)."""
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    scale = max(width / w, height / h)
    interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    size = (max(width, round(w * scale)), max(height, round(h * scale)))
    image = cv2.resize(image, size, interpolation=interpolation)
    h, w = image.shape[:2]
    top, left = (h - height) // 2, (w - width) // 2
    return np.ascontiguousarray(image[top : top + height, left : left + width])
