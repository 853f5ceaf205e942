"""The BAC key from the photo page's typed details is built by the shell (the MRZ codec is
driver code, which the flows do not import): the key ICAO 9303-11 Appendix D prints for its
specimen, into every chip reader, and the flow told; a typo named by field, nothing set."""

from __future__ import annotations

from kiosk.config import load_config
from kiosk.flows.messages import AccessKeyRefused, AccessKeySet, SetAccessKey
from kiosk.shell.factory import configured_flow
from kiosk.shell.jobs import ReaderSlot
from kiosk.shell.runner import FlowRunner

SPECIMEN = ("L898902C3", "740812", "120415")
SPECIMEN_KEY = "L898902C3674081221204159"
"""From ICAO 9303's specimen data page, whose MRZ line 2 reads
``L898902C36UTO7408122F1204159ZE184226B<<<<<10``: number, its check digit, birth date, its
check digit, expiry date, its check digit."""
BAC_EXAMPLE = ("L898902C<", "690806", "940623")
BAC_EXAMPLE_KEY = "L898902C<369080619406236"  # ICAO 9303-11 Appendix D.2's MRZ_information


class KeyRecorder:
    """Stands in for a chip reader's key slot only (the real reader takes the key in
    tests/ui/test_passport_ui.py, through pcscd): records what it was given."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def set_access_key(self, mrz_information: str) -> None:
        self.keys.append(mrz_information)


def runner(demo_config_file) -> tuple[FlowRunner, KeyRecorder]:
    config = load_config(demo_config_file)
    shell = FlowRunner(config, configured_flow(config), embedder=None)  # type: ignore[arg-type]
    reader = KeyRecorder()
    shell._readers.append(ReaderSlot(reader, sam=False))  # type: ignore[arg-type]
    return shell, reader


def test_the_typed_details_make_the_specimen_key(demo_config_file):
    shell, reader = runner(demo_config_file)
    shell._set_access_key(SetAccessKey(*SPECIMEN))
    shell._set_access_key(SetAccessKey(*BAC_EXAMPLE))
    assert reader.keys == [SPECIMEN_KEY, BAC_EXAMPLE_KEY]
    assert [shell.events.get_nowait() for _ in range(2)] == [AccessKeySet(), AccessKeySet()]
    assert SPECIMEN[0] not in repr(SetAccessKey(*SPECIMEN))


def test_a_typo_is_named_by_field_and_no_key_is_set(demo_config_file):
    shell, reader = runner(demo_config_file)
    shell._set_access_key(SetAccessKey(SPECIMEN[0], "7408", SPECIMEN[2]))
    shell._set_access_key(SetAccessKey("L89890*", SPECIMEN[1], SPECIMEN[2]))
    shell._set_access_key(SetAccessKey(" ", SPECIMEN[1], SPECIMEN[2]))
    assert reader.keys == []
    answers = [shell.events.get_nowait() for _ in range(3)]
    assert answers == [
        AccessKeyRefused("DRV_MRZ_DATE", "birth_date"),
        AccessKeyRefused("DRV_MRZ_CHARSET", "document_number"),
        AccessKeyRefused("DRV_MRZ_FIELD", "document_number"),
    ]
