"""The reader's card session (``drivers.emrtd.reader.Session``) against the chip emulator,
in process: what a hostile or broken chip's files get.

What must hold: a file that announces more bytes than any LDS file needs is refused with
``DRV_EMRTD_FILE_TOO_LARGE`` after its first READ BINARY (not after megabytes); a random
EF.COM or DG2 gets a ``DRV_LDS_*`` code, never the generic ``DRV_PROTOCOL``; a session that
starts from a remembered Le sends no extended probe to a short-Le chip.
"""

from __future__ import annotations

import functools
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.emrtd import apdu as iso
from drivers.emrtd import lds
from drivers.emrtd.access_control import BasicAccessControl
from drivers.emrtd.reader import (
    DRV_EMRTD_FILE_TOO_LARGE,
    MAX_LDS_FILE_SIZE,
    WILDCARD_SHORT_LE,
    PcscPassportReader,
    Session,
)
from drivers.errors import DriverError
from drivers.simulators.emrtd_chip import EXTENDED_MAX_LE, SHORT_MAX_LE, EmrtdChip
from drivers.simulators.test_passport import SpecimenPassport, generate_test_passport

LDS_CODES = {
    "DRV_LDS_TAG",
    "DRV_LDS_STRUCTURE",
    "DRV_LDS_COM",
    "DRV_LDS_DG1",
    "DRV_LDS_BIOMETRIC",
    "DRV_LDS_FACE_RECORD",
    "DRV_LDS_IMAGE_TYPE",
    "DRV_LDS_IMAGE_DECODE",
    DRV_EMRTD_FILE_TOO_LARGE,
}


@functools.cache
def passport() -> SpecimenPassport:
    return generate_test_passport(11, with_dg15=True)


def open_session(chip: EmrtdChip, *, extended: bool = True, known_le: int | None = None):
    session = Session(chip, BasicAccessControl(passport().mrz_information), extended, known_le)
    session.open()
    return session


def chip_with(replaced: dict[int, bytes], **options) -> EmrtdChip:
    p = passport()
    files = {**p.by_fid, **replaced}
    return EmrtdChip(files, p.mrz_information, strict=True, aa_key=p.aa_private_key, **options)


def test_the_specimen_reads_whole() -> None:
    files = open_session(chip_with({})).read_lds()
    assert files == passport().files


@pytest.mark.parametrize("announced", [300 * 1024, 16 * 1024 * 1024 + 1])
def test_a_file_announcing_megabytes_is_refused_after_one_read(announced: int) -> None:
    """Today's chip served 16 MiB in 29 s and the reader crashed at offset 2^24."""
    header = b"\x75\x84" + announced.to_bytes(4, "big")
    dg2 = header + bytes(70_000)  # the chip really holds more than one Le's worth
    chip = chip_with({iso.EF_DG2: dg2}, max_le=EXTENDED_MAX_LE)
    session = open_session(chip)
    before = chip.read_binary_count
    with pytest.raises(DriverError) as caught:
        session.read_lds()
    assert caught.value.reason == DRV_EMRTD_FILE_TOO_LARGE
    # EF.COM and DG1 took one READ BINARY each, DG2 one: nothing beyond its header's chunk.
    assert chip.read_binary_count - before == 3
    assert str(MAX_LDS_FILE_SIZE["DG2"]) in str(caught.value)


def test_every_cap_is_a_few_hundred_kilobytes_at_most() -> None:
    assert max(MAX_LDS_FILE_SIZE.values()) <= 256 * 1024
    assert MAX_LDS_FILE_SIZE["DG2"] >= 100 * 1024  # the largest real portraits fit


def test_a_file_shorter_than_its_header_is_an_lds_structure_error() -> None:
    dg2 = passport().files["DG2"][:-100]
    with pytest.raises(DriverError) as caught:
        open_session(chip_with({iso.EF_DG2: dg2})).read_lds()
    assert caught.value.reason == "DRV_LDS_STRUCTURE"


def test_an_indefinite_length_is_an_lds_structure_error() -> None:
    with pytest.raises(DriverError) as caught:
        open_session(chip_with({iso.EF_COM: b"\x60\x80\x5f\x01\x04" + bytes(20)})).read_lds()
    assert caught.value.reason == "DRV_LDS_STRUCTURE"


def _outcome(files: dict[int, bytes]) -> str:
    """'ok' or the reason code of reading and parsing the LDS as the reader does."""
    try:
        read = open_session(chip_with(files)).read_lds()
        lds.parse_dg2(read["DG2"])
    except DriverError as exc:
        return exc.reason
    return "ok"


# Random files, and random files that start with the right tag and a plausible length (the
# harder case: the structure is read before the content is judged).
def _lds_like(tag: int) -> st.SearchStrategy[bytes]:
    def framed(body: bytes) -> bytes:
        return bytes([tag, 0x82]) + len(body).to_bytes(2, "big") + body

    return st.one_of(
        st.binary(max_size=300),
        st.binary(max_size=300).map(framed),
        st.binary(min_size=1, max_size=8).map(lambda b: bytes([tag]) + b),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ef_com=_lds_like(0x60))
def test_a_random_ef_com_gets_an_lds_code(ef_com: bytes) -> None:
    assert _outcome({iso.EF_COM: ef_com}) in LDS_CODES | {"ok"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dg2=_lds_like(0x75))
def test_a_random_dg2_gets_an_lds_code(dg2: bytes) -> None:
    assert _outcome({iso.EF_DG2: dg2}) in LDS_CODES


def test_a_session_from_a_remembered_le_sends_no_extended_probe() -> None:
    """The first read of a short-Le chip learns the Le (6700 on the extended try, then BAC
    again); a session that starts from that Le goes straight to it."""
    first_chip = chip_with({}, max_le=SHORT_MAX_LE)
    first = open_session(first_chip)
    first.read_lds()
    assert first.le == WILDCARD_SHORT_LE
    second_chip = chip_with({}, max_le=SHORT_MAX_LE)
    second = open_session(second_chip, known_le=first.le)
    second.read_lds()
    assert first.apdu_count - second.apdu_count == 5  # the 6700, and SELECT + BAC + SELECT
    assert second.le == WILDCARD_SHORT_LE


def test_a_junk_csca_file_is_logged_once_across_reads(tmp_path, caplog) -> None:
    """The reader loaded the trust store at every read and warned each time (and the
    loader warned as well)."""
    trust = tmp_path / "csca"
    passport().write_csca(trust)
    (trust / "junk.pem").write_bytes(b"not a certificate")
    reader = PcscPassportReader(csca_dir=trust)
    with caplog.at_level(logging.WARNING):
        first = reader._trust_store()
        second = reader._trust_store()
    assert first is second and first is not None and len(first.certificates) == 1
    assert [r.getMessage().count("junk.pem") for r in caplog.records] == [1]
    (trust / "other.pem").write_bytes(b"also junk")  # the directory changed: loaded again
    with caplog.at_level(logging.WARNING):
        reader._trust_store()
    assert sum("junk.pem" in r.getMessage() for r in caplog.records) == 2
