"""The insurance consent end to end on simulated devices, headless: the specimen passport on
pcscd through vpcd (EA5+ needs the chip's portrait: an ID card's WLT photo cannot be decoded,
so an ID card alone is referred), the simulated subject on the camera, real dlib, the real
encrypted store.

A verified person accepts or declines; either answer is a signed consent record in the
outbox next to the verification it rests on, and only an acceptance grants a consent row.
"""

from __future__ import annotations

import random

import pytest

from edge_sync.protocol.result import verify_signed
from kiosk.config import load_config
from kiosk.flows.consent import ConsentStep
from kiosk.flows.verification import Step
from kiosk.idv.decision import Decision
from kiosk.security.identity import ensure_demo_identity
from kiosk.shell.factory import consent_terms, insurance_consent
from kiosk.shell.runner import FlowRunner
from kiosk.store.database import open_from_config
from kiosk.store.models import Consent
from tests.flows.test_checkin_devices import embedder, run_until, stored  # noqa: F401

pytestmark = pytest.mark.services


def consent_config(tmp_path, vpcd_port: int):
    path = tmp_path / "consent.toml"
    path.write_text(
        f'[device]\nsite = "demo-insurer-desk"\nmode = "demo"\nflow = "insurance_consent"\n'
        f'state_dir = "{tmp_path / "state"}"\n'
        f'[readers.pcsc]\nkind = "simulated"\nsimulated_vpcd_port = {vpcd_port}\n'
        '[camera]\nkind = "simulated_subject"\n'
        "[sync]\nenabled = false\n[idv.liveness]\ntime_limit_s = 6.0\n"
        '[consent]\ninsurer = "Ping An Health"\nrelying_party = "ins-001"\n'
        'relying_party_account = "0x' + "ab" * 20 + '"\n'
        'data_scope = ["hospital_records", "prescriptions"]\nduration_days = 30\n',
        encoding="utf-8",
    )
    return load_config(path)


def answer(tmp_path, embedder, vpcd_port: int, action: str):  # noqa: F811
    config = consent_config(tmp_path, vpcd_port)
    flow = insurance_consent(config, rng=random.Random(5))
    with FlowRunner(config, flow, embedder) as runner:
        runner.tap("start")
        run_until(runner, lambda: runner.flow.step is ConsentStep.CONSENT)
        assert runner.flow.view().terms == consent_terms(config)
        runner.tap(action)
        run_until(runner, lambda: runner.flow.step is Step.RESULT)
        view = runner.flow.view()
        assert view.decision is Decision.PASS and view.reference, view
        runner.tap("done")
        assert runner.flow.step is Step.WELCOME and not runner.flow.holds_personal_data()
    items = {item.result.kind: item.result for item in stored(config)}
    key = ensure_demo_identity(config)
    records = {kind: verify_signed(s, {key.key_id: key.public_key}) for kind, s in items.items()}
    return config, records


def test_an_acceptance_is_signed_queued_and_granted(tmp_path, embedder, pcscd_vpcd):  # noqa: F811
    config, records = answer(tmp_path, embedder, pcscd_vpcd.vpcd_port, "accept")
    verification, consent = records["verification"], records["consent"]
    assert consent.decision == "accepted" and consent.relying_party == "ins-001"
    assert consent.verification_result_id == verification.result_id
    assert consent.subject_ref == verification.subject_ref  # the same pseudonym, no number
    assert consent.scope_hash == consent_terms(config).digest().hex()
    assert consent.expires_ms - consent.granted_ms == 30 * 86_400_000
    db = open_from_config(config)
    try:
        with db.bound():
            [row] = list(Consent.select())
        assert (row.consent_id, row.state, row.relying_party) == (
            consent.result_id, "active", "ins-001")  # fmt: skip
    finally:
        db.close()


def test_a_decline_is_queued_and_grants_nothing(tmp_path, embedder, pcscd_vpcd):  # noqa: F811
    config, records = answer(tmp_path, embedder, pcscd_vpcd.vpcd_port, "decline")
    assert records["consent"].decision == "declined"
    db = open_from_config(config)
    try:
        with db.bound():
            assert Consent.select().count() == 0
    finally:
        db.close()
