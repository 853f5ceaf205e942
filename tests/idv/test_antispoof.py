"""The passive anti-spoofing plug-in: refuses what it cannot load, and, when a site has a
model configured (``BDMI_ANTISPOOF_MODEL`` plus its settings), scores real and attack stills.

No model ships (none with a licence fit for this use is on PyPI or in Debian), so the
second test runs only where one is configured; the loading checks always run, through
OpenCV's real dnn importer."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import pytest

from kiosk.idv.antispoof import OnnxAntiSpoof, crop_around
from kiosk.idv.embedding import largest_face, load_rgb
from kiosk.idv.errors import IdvError
from tests.drivers.shared_data import require_shared_data


def test_a_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(IdvError) as caught:
        OnnxAntiSpoof(tmp_path / "absent.onnx")
    assert caught.value.reason == "IDV_ANTISPOOF_MODEL_INVALID"
    assert "absent.onnx" in str(caught.value)


def test_a_file_that_is_not_onnx_is_refused(tmp_path):
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"\x08\x07garbage that is not a protobuf graph" * 10)
    with pytest.raises(IdvError) as caught:
        OnnxAntiSpoof(fake)
    assert caught.value.reason == "IDV_ANTISPOOF_MODEL_INVALID"


def test_the_crop_widens_the_face_box_within_the_frame():
    import numpy as np

    frame = np.zeros((480, 640, 3), np.uint8)
    crop = crop_around(frame, (300, 200, 400, 300), 2.7)
    assert crop.shape[:2] == (270, 270)
    edge = crop_around(frame, (0, 0, 100, 100), 2.7)
    assert edge.shape[:2] == (185, 185)  # clipped at the frame's corner


@pytest.mark.skipif(
    not os.environ.get("BDMI_ANTISPOOF_MODEL"),
    reason="no passive anti-spoofing model configured (set BDMI_ANTISPOOF_MODEL)",
)
def test_a_configured_model_scores_live_above_attacks():
    model = OnnxAntiSpoof(
        Path(os.environ["BDMI_ANTISPOOF_MODEL"]),
        input_size=tuple(int(v) for v in os.environ.get("BDMI_ANTISPOOF_SIZE", "80x80").split("x")),
        crop_scale=float(os.environ.get("BDMI_ANTISPOOF_CROP", "2.7")),
        live_class=int(os.environ.get("BDMI_ANTISPOOF_LIVE_CLASS", "1")),
    )
    scores = {}
    for name in ("image_T1.jpg", "image_F1.jpg", "image_F2.jpg"):
        rgb = load_rgb(require_shared_data("liveness", "silent_face", name))
        box, _ = largest_face(rgb)
        scores[name] = model.live_score(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), box)
    assert all(0.0 <= s <= 1.0 for s in scores.values())
    assert scores["image_T1.jpg"] > max(scores["image_F1.jpg"], scores["image_F2.jpg"]), scores
