"""The hospital check-in end to end on simulated devices, headless: the ID card on a SAM
reader over a pty, the specimen passport on pcscd through vpcd, the simulated subject on the
camera, real dlib, the real encrypted store. The same runner drives the Qt UI.

The subject follows the prompts the way a person does (after a reaction time), or, where a
test says so, does nothing (a liveness failure) or wears another face (a mismatch).
"""

from __future__ import annotations

import random
import time

import numpy as np
import pytest

from drivers.sam.frame import Command
from kiosk.config import load_config
from kiosk.flows.verification import Step
from kiosk.idv.decision import Decision
from kiosk.idv.embedding import DlibResNetEmbedder, load_rgb
from kiosk.shell.factory import hospital_checkin
from kiosk.shell.jobs import SubjectScript
from kiosk.shell.runner import FlowRunner
from kiosk.store import outbox
from kiosk.store.database import open_from_config
from tests.drivers.shared_data import require_shared_data

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def embedder() -> DlibResNetEmbedder:
    return DlibResNetEmbedder()


def config_file(tmp_path, *, passport: int | None = None):
    """Demo mode with one simulated reader: the SAM, or the passport on pcscd's vpcd."""
    reader = (
        f'[readers.pcsc]\nkind = "simulated"\nsimulated_vpcd_port = {passport}\n'
        if passport is not None
        else '[readers.sam]\nkind = "simulated"\n'
    )
    path = tmp_path / "checkin.toml"
    path.write_text(
        f'[device]\nsite = "demo-hospital"\nmode = "demo"\nstate_dir = "{tmp_path / "state"}"\n'
        f'{reader}[camera]\nkind = "simulated_subject"\n[sync]\nenabled = false\n'
        "[idv.liveness]\ntime_limit_s = 6.0\n",
        encoding="utf-8",
    )
    return load_config(path)


def run_until(runner: FlowRunner, done, limit_s: float = 90.0) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        runner.pump()
        runner.tick()
        if done():
            return
        time.sleep(0.02)
    raise AssertionError(f"flow stuck at {runner.flow.step} ({runner.flow.view()})")


def make_runner(config, embedder, **kw) -> FlowRunner:
    flow = hospital_checkin(config, rng=random.Random(3))
    return FlowRunner(config, flow, embedder, **kw)


def stored(config) -> list:
    db = open_from_config(config)
    try:
        return outbox.pending(db, 10)
    finally:
        db.close()


def test_a_patient_with_an_id_card_checks_in(tmp_path, embedder):
    config = config_file(tmp_path)
    seen_steps: list[Step] = []
    with make_runner(config, embedder, on_change=lambda v: seen_steps.append(v.step)) as runner:
        runner.tap("start")
        run_until(runner, lambda: runner.flow.step is Step.RESULT)
        view = runner.flow.view()
        assert view.decision is Decision.PASS, view
        assert view.reference and len(view.reference) == 9
        assert {Step.READING, Step.FACE, Step.SAVING} <= set(seen_steps)
        runner.tap("done")
        assert runner.flow.step is Step.WELCOME and not runner.flow.holds_personal_data()
    [item] = stored(config)
    assert item.result.decision == "pass" and item.result.flow == "hospital_checkin"
    assert "测试样本一".encode() not in item.result.payload  # only the pseudonym leaves the kiosk


def test_a_card_pulled_mid_read_is_asked_for_again(tmp_path, embedder):
    config = config_file(tmp_path)
    with make_runner(config, embedder) as runner:
        sam = runner.simulators["sam"]
        sam.remove_card_after_select()
        runner.tap("start")
        run_until(runner, lambda: runner.flow.view().error is not None, 30)
        view = runner.flow.view()
        assert view.step is Step.PRESENT_DOCUMENT and view.error.startswith("DRV_"), view
        # The kiosk sees the reader empty (it waits for that before reading again) ...
        seen = len(sam.received)
        # (two polls: the first was surely answered "no card" once the second is asked)
        run_until(runner, lambda: sam.received[seen:].count(Command.FIND_CARD) >= 2, 30)
        sam.insert_card()  # ... and the person places the card again
        run_until(runner, lambda: runner.flow.step is Step.FACE, 30)
        runner.tap("cancel")
        assert runner.flow.step is Step.WELCOME and not runner.flow.holds_personal_data()
    assert stored(config) == []  # nothing is recorded for an abandoned session


def test_a_subject_who_does_not_answer_the_prompts_fails(tmp_path, embedder):
    config = config_file(tmp_path)
    with make_runner(config, embedder, subject=SubjectScript(respond=lambda g: None)) as runner:
        runner.tap("start")
        run_until(runner, lambda: runner.flow.step is Step.RESULT)
        view = runner.flow.view()
        assert view.decision is Decision.FAIL and view.reasons[0].startswith("IDV_"), view
    [item] = stored(config)
    assert item.result.decision == "fail"


def test_a_passport_holder_matches_and_someone_else_does_not(tmp_path, embedder, pcscd_vpcd):
    config = config_file(tmp_path, passport=pcscd_vpcd.vpcd_port)
    with make_runner(config, embedder) as runner:
        runner.tap("start")
        run_until(runner, lambda: runner.flow.step is Step.RESULT)
        view = runner.flow.view()
        assert view.decision is Decision.PASS, view
        assert "IDV_MATCH_ACCEPTED" in view.reasons
        runner.tap("done")
        stranger = load_rgb(require_shared_data("faces", "deepface_pairs", "img1.jpg"))
        runner.simulators["camera"].set_portrait(np.ascontiguousarray(stranger))
        runner.tap("start")
        run_until(runner, lambda: runner.flow.step is Step.RESULT)
        view = runner.flow.view()
        assert view.decision is not Decision.PASS, view
