"""A passport whose access key the kiosk does not have: the MRZ entry step of every flow that
takes chip documents, as a state machine (tests/ui/test_passport_ui.py drives it on screen)."""

from __future__ import annotations

from drivers.document import DocumentType
from kiosk.flows.messages import (
    AccessKeyRefused,
    AccessKeySet,
    CancelRead,
    DocumentFailed,
    ReadDocument,
    SetAccessKey,
    Speak,
    Tap,
    Wiped,
)
from kiosk.flows.verification import Step
from tests.flows.test_checkin import Clock, flow

SPECIMEN = ("L898902C3", "740812", "120415")  # ICAO 9303-11 Appendix D's data page


def at_mrz_entry(**kw):
    f = flow(Clock(), **kw)
    f.handle(Tap("start"))
    commands = f.handle(DocumentFailed("DRV_EMRTD_NO_ACCESS_KEY"))
    return f, commands


def test_a_chip_without_its_key_asks_for_the_photo_page_details():
    f, commands = at_mrz_entry()
    assert f.step is Step.MRZ_ENTRY and f.view().error is None
    assert not any(isinstance(c, ReadDocument) for c in commands)  # the chip waits on the reader
    commands = f.handle(Tap("mrz", "|".join(SPECIMEN)))
    # The flow hands the typed details to the shell, which builds the key (driver code)...
    assert commands == [SetAccessKey(*SPECIMEN)]
    assert f.step is Step.MRZ_ENTRY  # nothing is read before the key is in the readers
    assert SPECIMEN[0] not in repr(commands) and SPECIMEN[0] not in repr(
        Tap("mrz", "|".join(SPECIMEN))
    )
    # ... and the read starts once the shell says the readers have it.
    assert f.handle(AccessKeySet()) == [ReadDocument()]
    assert f.step is Step.READING


def test_a_typo_in_a_date_names_the_field_and_reads_nothing():
    f, _ = at_mrz_entry()
    f.handle(Tap("mrz", f"{SPECIMEN[0]}|7408|{SPECIMEN[2]}"))
    # The shell could not build a key (tests/unit/test_access_key.py): nothing read, only
    # the reason said aloud, the field named.
    commands = f.handle(AccessKeyRefused("DRV_MRZ_DATE", "birth_date"))
    assert f.step is Step.MRZ_ENTRY and commands == [Speak("say_reason", reason="DRV_MRZ_DATE")]
    assert (f.view().error, f.view().field) == ("DRV_MRZ_DATE", "birth_date")
    f.handle(AccessKeyRefused("DRV_MRZ_CHARSET", "document_number"))
    assert (f.view().error, f.view().field) == ("DRV_MRZ_CHARSET", "document_number")


def test_an_answer_about_a_key_outside_the_entry_changes_nothing():
    f = flow(Clock())
    assert f.handle(AccessKeySet()) == [] and f.step is Step.WELCOME
    assert f.handle(AccessKeyRefused("DRV_MRZ_DATE", "birth_date")) == []


def test_details_the_chip_refuses_are_asked_for_again():
    f, _ = at_mrz_entry()
    f.handle(Tap("mrz", "|".join(SPECIMEN)))
    f.handle(AccessKeySet())
    commands = f.handle(DocumentFailed("DRV_EMRTD_BAC_DENIED"))
    assert f.step is Step.MRZ_ENTRY and f.view().error == "DRV_EMRTD_BAC_DENIED"
    assert not any(isinstance(c, ReadDocument) for c in commands)


def test_cancel_from_the_entry_wipes_and_stops_reading():
    f, _ = at_mrz_entry()
    commands = f.handle(Tap("cancel"))
    assert f.step is Step.WELCOME and CancelRead() in commands and Wiped() in commands


def test_a_flow_that_takes_no_chip_document_refuses_the_passport_instead():
    f, commands = at_mrz_entry(accepted_documents=frozenset({DocumentType.CN_RESIDENT_ID}))
    assert f.step is Step.PRESENT_DOCUMENT and f.view().error == "UI_DOCUMENT_NOT_ACCEPTED"
    assert ReadDocument(after_removal=True) in commands
