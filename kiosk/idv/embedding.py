"""Face embeddings behind one small interface.

The matcher compares vectors; which network made them is the embedder's business. dlib's
ResNet (128-d, trained by Davis King on ~3 million faces, public-domain weights) is the
default. A better model whose licence allows this use can be added as another
``FaceEmbedder`` with its own ``name``, and thresholds are calibrated per ``name``
(``kiosk/idv/calibrations/``, read by ``matching.py``): a distance means nothing outside
the model that made it.

Descriptors are aligned on dlib's 5-point landmarks (its own data, no iBUG terms), the way
dlib's ``compute_face_descriptor`` expects. They are kept as dlib returns them (norm about
1.4-1.6), so that distances stay on the scale every published dlib threshold uses (0.6, 0.4);
``fuse`` averages directions and keeps that scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import dlib
import numpy as np

from kiosk.idv.errors import IdvError
from kiosk.idv.face_tracker import Box
from kiosk.idv.models import frontal_face_detector, resnet_descriptor_model, shape_predictor


class FaceEmbedder(Protocol):
    name: str
    """Identifies the model (and so the calibration that applies to its distances)."""

    def embed(self, rgb: np.ndarray, box: Box, *, jitters: int = 0) -> np.ndarray:
        """Embedding of the face inside ``box`` of an RGB image."""
        ...


@dataclass
class DlibResNetEmbedder:
    """dlib's ``dlib_face_recognition_resnet_model_v1`` (~65 ms per face on the kiosk CPU)."""

    model_path: Path | None = None
    name: str = "dlib_resnet_v1"

    def __post_init__(self) -> None:
        self._model = resnet_descriptor_model(self.model_path)
        self._aligner = shape_predictor(None, points=5)

    def embed(self, rgb: np.ndarray, box: Box, *, jitters: int = 0) -> np.ndarray:
        shape = self._aligner(rgb, dlib.rectangle(*box))
        # jitters > 0 averages randomly jittered crops: ~(jitters+1)x the cost, used for
        # enrolment, where a supervised capture can afford it.
        descriptor = self._model.compute_face_descriptor(rgb, shape, max(jitters, 0))
        return np.asarray(descriptor, dtype=np.float64)


def normalise(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two embeddings of the same model."""
    return float(np.linalg.norm(a - b))


def fuse(embeddings: list[np.ndarray], weights: list[float] | None = None) -> np.ndarray:
    """One template from several embeddings of one person: the (weighted) mean of their
    directions, scaled back to their mean length so that calibrated distances still apply."""
    if not embeddings:
        raise ValueError("nothing to fuse")
    stacked = np.stack(embeddings).astype(np.float64)
    lengths = np.linalg.norm(stacked, axis=1)
    w = np.ones(len(embeddings)) if weights is None else np.asarray(weights, dtype=np.float64)
    direction = normalise(((stacked / lengths[:, None]) * w[:, None]).sum(axis=0))
    return direction * float(np.average(lengths, weights=w))


@dataclass(frozen=True, slots=True)
class PhotoFace:
    """The face found in a still photograph (a document portrait, an enrolment photo)."""

    embedding: np.ndarray
    box: Box
    faces_found: int


def largest_face(rgb: np.ndarray, *, upsample: int = 1) -> tuple[Box, int]:
    """The largest face of a still and how many were found. Stills are small and rare, so
    the detector runs at full size with one upsampling (faces down to ~40 px)."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    rects = frontal_face_detector()(gray, upsample)
    if len(rects) == 0:
        raise IdvError("no face found in the image", reason="IDV_NO_FACE")
    height, width = gray.shape[:2]
    best = max(rects, key=lambda r: r.width() * r.height())
    box = (
        max(0, best.left()),
        max(0, best.top()),
        min(width, best.right()),
        min(height, best.bottom()),
    )
    return box, len(rects)


def embed_photo(embedder: FaceEmbedder, rgb: np.ndarray, *, jitters: int = 0) -> PhotoFace:
    box, count = largest_face(rgb)
    return PhotoFace(embedder.embed(rgb, box, jitters=jitters), box, count)


def load_rgb(path: Path) -> np.ndarray:
    """An image file as RGB ``uint8``; a clear error for a file that is not an image."""
    data = np.fromfile(str(path), dtype=np.uint8) if Path(path).is_file() else None
    if data is None:
        raise IdvError(f"{path}: no such file", reason="IDV_IMAGE_UNREADABLE")
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise IdvError(f"{path}: not an image OpenCV can decode", reason="IDV_IMAGE_UNREADABLE")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
