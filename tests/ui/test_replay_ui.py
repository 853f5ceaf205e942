"""A replayed video in front of the kiosk, through the real Qt window: the camera is a
video-file camera playing a real clip (../shared/data/liveness/repeating_blink_video.mp4, a
person who only blinks), the ID card is on the SAM reader's pty. The clip cannot turn its
head when asked, so the liveness challenges fail and nobody is checked in.

The challenges are fixed here (``fixed_order``, demo only) to ones the clip never does, so
the outcome does not depend on a random draw the clip could happen to match.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.drivers.shared_data import require_shared_data
from tests.ui.kiosk_window import running_kiosk
from tests.ui.test_checkin_ui import LANGUAGES, at
from tests.ui.test_welcome import find, screenshot, tap

pytestmark = pytest.mark.ui


@pytest.fixture
def replay_config(demo_config_file: Path) -> Path:
    clip = require_shared_data("liveness", "repeating_blink_video.mp4")
    text = demo_config_file.read_text(encoding="utf-8").replace(
        '[camera]\nkind = "simulated_subject"', f'[camera]\nkind = "file"\nsource = "{clip}"'
    )
    text += (
        '\n[idv.liveness]\nfixed_order = ["turn_left", "turn_right"]\n'
        "min_challenges = 2\nmax_challenges = 2\ntime_limit_s = 5.0\n"
    )
    demo_config_file.write_text(text, encoding="utf-8")
    return demo_config_file


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_replayed_clip_fails_the_challenges(qtbot, replay_config, language):
    with running_kiosk(qtbot, replay_config) as ui:
        assert "camera" not in ui.runner.simulators  # the real file camera, not the subject
        ui.controller.setLanguage(language)
        tap(qtbot, ui, "startButton")
        at(qtbot, ui, "face", timeout=30_000)
        qtbot.waitUntil(lambda: ui.controller.previewVersion > 5, timeout=30_000)
        at(qtbot, ui, "result", timeout=90_000)
        view = ui.runner.flow.view()
        assert ui.controller.decision == "fail", view
        assert any(r.startswith("IDV_LIVENESS_") for r in view.reasons), view
        assert "IDV_LIVENESS_PASSED" not in view.reasons
        assert "IDV_LIVENESS_" in find(ui, "resultReasonCodes").property("text")
        screenshot(ui, f"result_replayed_clip_{language}")
        tap(qtbot, ui, "doneButton")
        at(qtbot, ui, "welcome")
        assert not ui.runner.flow.holds_personal_data()
