"""Asking for a receipt on the result screen, as the state machine sees it, and the receipt
built from the view: a pass prints once (again only after a failure), a failure or an
unsaved result never prints, and nothing personal reaches the receipt."""

from __future__ import annotations

import dataclasses
import datetime as dt

from drivers.printer.parse import parse_job
from kiosk.flows.consent import ConsentTerms, ConsentView
from kiosk.flows.messages import (
    FaceFinished,
    PrintFailed,
    PrintReceipt,
    ReceiptPrinted,
    Recorded,
    RecordFailed,
    Tap,
)
from kiosk.flows.pension import LifeCertificate, PensionView
from kiosk.flows.verification import Step, View
from kiosk.idv.decision import Decision
from kiosk.receipts import certificate_code, receipt_from_view, receipt_lines
from kiosk.shell.printing import receipt_job
from tests.flows.test_checkin import Clock, descriptor, flow, liveness, near, to_face

RESULT_ID = "01a2025e-4b0b-7df1-8140-4c0b65bff775"
NOW = dt.datetime(2026, 3, 4, 9, 41, 27)


def at_result(passed: bool = True):
    f = flow(Clock())
    to_face(f, descriptor(1))
    probe = near(descriptor(1), 0.1 if passed else 1.2)
    f.handle(FaceFinished(liveness(), probe, 3))
    f.handle(Recorded(RESULT_ID))
    return f


def test_a_pass_prints_once_and_again_only_after_a_failure():
    f = at_result()
    [command] = [c for c in f.handle(Tap("print")) if isinstance(c, PrintReceipt)]
    assert command.view.reference == f.view().reference and f.view().receipt == "printing"
    assert f.handle(Tap("print")) == []  # still printing
    f.handle(PrintFailed("DRV_PRINTER_NO_PAPER"))
    assert (f.view().receipt, f.view().receipt_error) == ("failed", "DRV_PRINTER_NO_PAPER")
    assert any(isinstance(c, PrintReceipt) for c in f.handle(Tap("print")))
    assert f.view().receipt_error is None
    f.handle(ReceiptPrinted())
    assert f.view().receipt == "printed"
    assert f.handle(Tap("print")) == []  # one receipt per result
    f.handle(Tap("done"))
    assert f.step is Step.WELCOME and f.view().receipt is None


def test_a_failure_or_an_unsaved_result_prints_nothing():
    f = at_result(passed=False)
    assert f.view().decision is not Decision.PASS
    assert f.handle(Tap("print")) == [] and f.view().receipt is None
    f = flow(Clock())
    to_face(f, descriptor(1))
    f.handle(FaceFinished(liveness(), near(descriptor(1), 0.1), 3))
    f.handle(RecordFailed("STORE_QUOTA_REACHED"))
    assert f.handle(Tap("print")) == []


def test_late_printer_news_after_the_wipe_is_ignored():
    f = at_result()
    f.handle(Tap("print"))
    f.handle(Tap("done"))
    assert f.handle(ReceiptPrinted()) == [] and f.view().receipt is None


def test_a_check_in_receipt_says_the_reference_time_and_site_only():
    f = at_result()
    view = f.view()
    receipt = receipt_from_view(view, site="demo-hospital", now=NOW)
    assert receipt is not None and receipt.kind == "checkin"
    assert receipt.issued_at == dt.datetime(2026, 3, 4, 9, 41)
    printed = parse_job(receipt_job(receipt, 58)).text()
    assert view.reference in printed and "2026-03-04 09:41" in printed
    assert "demo-hospital" in printed and "登记成功" in printed  # zh_CN: the demo's default
    # the view held nothing personal, so the receipt cannot: field by field
    assert {f.name for f in dataclasses.fields(receipt)} == {
        "kind", "language", "site", "reference", "issued_at", "valid_until", "next_due",
        "qr_payload", "insurer", "consent", "consent_until",
    }  # fmt: skip


def test_no_receipt_for_a_failure_a_save_error_or_a_consent_not_offered():
    base = View(step=Step.RESULT, language="en", decision=Decision.PASS, reference="ABCD-1234")
    assert receipt_from_view(base, site="s", now=NOW) is not None
    for view in (
        dataclasses.replace(base, decision=Decision.FAIL),
        dataclasses.replace(base, error="STORE_DISK_LOW"),
        dataclasses.replace(base, reference=None),
        ConsentView(step=Step.RESULT, language="en", decision=Decision.FAIL,
                    reference="ABCD-1234", consent="not_offered"),
    ):  # fmt: skip
        assert receipt_from_view(view, site="s", now=NOW) is None


def test_a_life_certificate_receipt_carries_the_screen_s_qr_code():
    certificate = LifeCertificate(dt.date(2027, 3, 4), dt.date(2027, 2, 2), "ABCD-1234")
    view = PensionView(step=Step.RESULT, language="en", decision=Decision.PASS,
                       reference="ABCD-1234", certificate=certificate)  # fmt: skip
    receipt = receipt_from_view(view, site="demo-pension", now=NOW)
    assert receipt is not None and receipt.kind == "life_certificate"
    transcript = parse_job(receipt_job(receipt, 80))
    assert transcript.qr_codes == [certificate_code("ABCD-1234", dt.date(2027, 3, 4))]
    assert "Valid until 2027-03-04" in transcript.text()
    assert "Next proof due from 2027-02-02" in transcript.text()


def test_a_consent_receipt_has_the_answer_and_its_last_day():
    terms = ConsentTerms("Demo Mutual Insurance", ("hospital_records",), "underwriting", 365)
    view = ConsentView(step=Step.RESULT, language="zh_CN", decision=Decision.PASS,
                       reference="ABCD-1234", terms=terms, consent="accepted")  # fmt: skip
    receipt = receipt_from_view(view, site="demo-hospital", now=NOW)
    assert receipt is not None and receipt.consent_until == dt.date(2027, 3, 4)
    texts = [line.text for line in receipt_lines(receipt)]
    assert "您的授权已记录" in texts
    assert any("Demo Mutual Insurance" in t and "2027-03-04" in t for t in texts)
    declined = receipt_from_view(dataclasses.replace(view, consent="declined"), site="s", now=NOW)
    assert declined is not None and declined.consent_until is None
    assert "您的拒绝已记录" in [line.text for line in receipt_lines(declined)]
