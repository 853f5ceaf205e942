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


ROTATIONS = (0, 90, 180, 270)
_ROTATE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def rotate(image: np.ndarray, degrees: int) -> np.ndarray:
    """``image`` turned clockwise by ``degrees`` (0, 90, 180 or 270): a camera mounted on
    its side or upside down gives an upright face again. The face detector is frontal and
    upright only: an unrotated side-mounted camera finds no face at all."""
    if degrees not in ROTATIONS:
        raise ValueError(f"camera rotation must be one of {ROTATIONS}, not {degrees}")
    return image if degrees == 0 else cv2.rotate(image, _ROTATE[degrees])


def fit_resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale ``image`` to fit inside ``width`` x ``height`` and pad the rest with the
    picture's mean colour: nothing is cut off. A portrait camera (480x640) covered onto a
    landscape frame loses its top and bottom and the face fills the frame ("too near" on
    489 of 621 frames of a real clip); fitted, the whole face stays in view."""
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    scale = min(width / w, height / h)
    interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    size = (min(width, max(1, round(w * scale))), min(height, max(1, round(h * scale))))
    scaled = cv2.resize(image, size, interpolation=interpolation)
    fill = scaled.reshape(-1, scaled.shape[2] if scaled.ndim == 3 else 1).mean(axis=0)
    out = np.empty((height, width, *image.shape[2:]), dtype=image.dtype)
    out[...] = np.round(fill).astype(image.dtype).reshape(out.shape[2:] or ())
    top, left = (height - size[1]) // 2, (width - size[0]) // 2
    out[top : top + size[1], left : left + size[0]] = scaled
    return out


def shape_frame(
    image: np.ndarray, width: int, height: int, *, rotation: int = 0, crop: str = "cover"
) -> np.ndarray:
    """The configured frame from a camera's picture: rotated upright, then covered (centre
    crop, the default) or fitted (letterboxed) to ``width`` x ``height``."""
    image = rotate(image, rotation)
    if crop == "cover":
        return cover_resize(image, width, height)
    if crop == "fit":
        return fit_resize(image, width, height)
    raise ValueError(f"camera crop policy must be 'cover' or 'fit', not {crop!r}")
