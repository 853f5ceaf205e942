"""``kiosk.devices.camera``: the configured camera through the same code the kiosk uses."""

from __future__ import annotations

import pytest

from kiosk.config import ConfigError, load_config
from kiosk.devices import camera
from kiosk.idv.analysis import FaceAnalyzer
from tests.drivers.shared_data import require_shared_data


def write_config(tmp_path, camera_section: str):
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[device]\nsite = "t-site"\nmode = "demo"\n[camera]\n{camera_section}\n')
    return load_config(path)


def test_the_demo_camera_is_the_simulated_subject_and_shows_a_face(tmp_path):
    config = write_config(tmp_path, 'kind = "simulated_subject"\nwidth = 640\nheight = 480')
    with camera(config) as opened:
        assert opened.simulated
        frame = opened.camera.latest(timeout=3.0)
        assert (frame.width, frame.height) == (640, 480)
        assert FaceAnalyzer().analyse(frame.image, frame.timestamp).face is not None


def test_a_video_file_plays_as_a_camera_at_the_configured_size(tmp_path):
    clip = require_shared_data("liveness", "repeating_blink_video.mp4")
    config = write_config(tmp_path, f'kind = "file"\nsource = "{clip}"\nwidth = 320\nheight = 240')
    with camera(config) as opened:
        assert not opened.simulated
        first = opened.camera.latest(timeout=5.0)
        second = opened.camera.latest(newer_than=first.sequence, timeout=5.0)
        assert second.sequence > first.sequence and second.timestamp > first.timestamp
        assert (second.width, second.height) == opened.camera.resolution == (320, 240)


def test_a_portrait_camera_configured_to_fit_shows_the_whole_face(tmp_path):
    clip = require_shared_data("liveness", "repeating_blink_video.mp4")  # 480x854 portrait
    config = write_config(tmp_path, f'kind = "file"\nsource = "{clip}"\ncrop = "fit"')
    assert (config.camera.rotation, config.camera.crop) == (0, "fit")
    with camera(config) as opened:
        frame = opened.camera.latest(timeout=5.0)
    assert frame.image.shape == (480, 640, 3)
    analysis = FaceAnalyzer().analyse(frame.image, frame.timestamp)
    assert analysis.face is not None and "IDV_FACE_TOO_NEAR" not in analysis.issues


@pytest.mark.parametrize("setting", ["rotation = 45", 'crop = "stretch"', "rotation = -90"])
def test_unsupported_orientation_is_a_config_error(tmp_path, setting):
    with pytest.raises(ConfigError):
        write_config(tmp_path, f'kind = "simulated_subject"\n{setting}')
