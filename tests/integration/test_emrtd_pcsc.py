"""End to end: the emulated passport through the real PC/SC stack.

pcscd (private, with vsmartcard's vpcd driver) <- VirtualICC <- EmrtdChip, read by
``PcscPassportReader`` over pyscard: BAC, secure messaging, DG1, DG2 decoded to pixels,
passive authentication against the test CSCA, the APDU count; a card pulled mid-read
gives ``CardRemoved`` and no document; a wrong MRZ gives a typed BAC error.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.document import ActiveAuthentication, ChipAuthentication, DocumentType
from drivers.emrtd.access_control import DRV_EMRTD_BAC_DENIED, AccessDenied
from drivers.emrtd.active_auth import DRV_EMRTD_AA_KEY_NOT_SIGNED, DRV_EMRTD_CLONE_SUSPECTED
from drivers.emrtd.lds import decode_face_image
from drivers.emrtd.reader import PcscPassportReader
from drivers.errors import CardRemoved, DocumentInvalid
from drivers.mrz import mrz_information_from_fields
from drivers.simulators.emrtd_chip import EXTENDED_MAX_LE, SHORT_MAX_LE, EmrtdChip
from drivers.simulators.test_passport import SpecimenPassport, generate_test_passport
from drivers.simulators.vicc import VirtualICC
from tests.harness.pcscd import PcscdVpcd

pytestmark = pytest.mark.services


@functools.cache
def passport() -> SpecimenPassport:
    return generate_test_passport(3, with_dg15=True)


@pytest.fixture
def trust_dir(tmp_path: Path) -> Path:
    passport().write_csca(tmp_path / "csca")
    return tmp_path / "csca"


class Card:
    """A chip behind vpcd for one test; always removed afterwards."""

    def __init__(self, daemon: PcscdVpcd, chip: EmrtdChip) -> None:
        self.chip = chip
        self.icc = VirtualICC(chip, daemon.vpcd_port)

    def insert(self, reader: PcscPassportReader) -> None:
        self.icc.insert()
        assert reader.wait_for_card(10.0), "the reader never saw the card"


@pytest.fixture
def reader(pcscd_vpcd: PcscdVpcd, trust_dir: Path) -> Iterator[PcscPassportReader]:
    with PcscPassportReader(pcscd_vpcd.reader_name, csca_dir=trust_dir) as pcsc:
        assert pcsc.wait_for_removal(10.0)
        yield pcsc


@pytest.fixture
def cards(pcscd_vpcd: PcscdVpcd) -> Iterator[list[Card]]:
    made: list[Card] = []
    yield made
    for card in made:
        card.icc.stop()
        assert not card.icc.errors, card.icc.errors


def new_card(daemon: PcscdVpcd, cards: list[Card], **options) -> Card:
    p = passport()
    card = Card(daemon, p.chip(**options))
    cards.append(card)
    return card


@pytest.mark.parametrize("max_le", [SHORT_MAX_LE, EXTENDED_MAX_LE], ids=["short", "extended"])
def test_full_read_through_pcscd(
    pcscd_vpcd: PcscdVpcd, reader: PcscPassportReader, cards: list[Card], max_le: int
) -> None:
    p = passport()
    card = new_card(pcscd_vpcd, cards, max_le=max_le)
    assert not reader.card_present()
    card.insert(reader)
    assert reader.card_present()

    reader.set_access_key(p.mrz_information)
    result = reader.read_chip()

    assert result.files == p.files  # EF.COM, DG1, DG2, DG15 (listed in EF.COM), EF.SOD
    document = result.document
    assert document is not None
    assert document.doc_type is DocumentType.ICAO_TD3
    assert document.document_number == p.document_number
    assert document.name == "TEST, SPECIMEN" and document.issuer == "UTO"
    assert document.portrait_format == "jpeg"
    face = decode_face_image(document.portrait)
    assert face.shape == (p.portrait_size[1], p.portrait_size[0], 3)
    assert document.chip_authentication is ChipAuthentication.PASSED
    assert result.chip_authentication is ChipAuthentication.PASSED
    assert result.active_authentication is ActiveAuthentication.PASSED
    assert document.active_authentication is ActiveAuthentication.PASSED
    assert document.extra["active_authentication_algorithm"] == "ecdsa_plain_sha256 (secp256r1)"
    # BAC (3) + per file one SELECT and ceil(size / chip's max Le) READ BINARY + INTERNAL
    # AUTHENTICATE (the chip has DG15), plus the probes a chip's limits cost (an extended
    # probe on a short chip: 6700 + BAC again).
    minimum = 4 + sum(1 + -(-len(data) // max_le) for data in p.files.values())
    assert result.apdu_count >= minimum
    if max_le == EXTENDED_MAX_LE:
        assert result.apdu_count == minimum
    print(f"\nAPDUs {result.apdu_count} (minimum {minimum}) Le {result.le} max_le {max_le}")
    assert card.chip.command_count == result.apdu_count


def test_read_through_a_chip_that_names_the_length(
    pcscd_vpcd: PcscdVpcd, reader: PcscPassportReader, cards: list[Card]
) -> None:
    p = passport()
    card = new_card(
        pcscd_vpcd, cards, max_le=0xDF, extended_length=False, wildcard_le=False,
        oversize_le_sw=0x6CDF,
    )  # fmt: skip
    card.insert(reader)
    reader.set_access_key(p.mrz_information)
    result = reader.read_chip()
    assert result.files == p.files and result.le == 0xDF


def test_card_removed_mid_read_gives_card_removed_and_no_document(
    pcscd_vpcd: PcscdVpcd, reader: PcscPassportReader, cards: list[Card]
) -> None:
    p = passport()
    card: Card

    def pull_after_five(count: int) -> None:
        if count == 5:  # in DG2: take the card out of the field from another thread
            threading.Thread(target=card.icc.remove, daemon=True).start()
            time.sleep(0.3)  # let the connection close before this answer goes out

    card = new_card(pcscd_vpcd, cards, max_le=SHORT_MAX_LE, on_read_binary=pull_after_five)
    card.insert(reader)
    reader.set_access_key(p.mrz_information)
    reader.last_read = None
    with pytest.raises(CardRemoved):
        reader.read_chip()
    assert reader.last_read is None
    assert reader.wait_for_removal(10.0)


def test_wrong_mrz_gives_a_typed_bac_error(
    pcscd_vpcd: PcscdVpcd, reader: PcscPassportReader, cards: list[Card]
) -> None:
    card = new_card(pcscd_vpcd, cards)
    card.insert(reader)
    reader.set_access_key(mrz_information_from_fields("TST999999", "800101", "350101"))
    with pytest.raises(AccessDenied) as caught:
        reader.read()
    assert caught.value.reason == DRV_EMRTD_BAC_DENIED


def test_dg1_not_matching_the_bac_mrz_is_refused(
    pcscd_vpcd: PcscdVpcd, reader: PcscPassportReader, cards: list[Card]
) -> None:
    """A chip opened with one MRZ but carrying another's DG1 (a cloned data group)."""
    p = passport()
    other = generate_test_passport(4)
    files = dict(p.by_fid)
    files[0x0101] = other.files["DG1"]
    chip = EmrtdChip(files, p.mrz_information, aa_key=p.aa_private_key)
    card = Card(pcscd_vpcd, chip)
    cards.append(card)
    card.insert(reader)
    reader.set_access_key(p.mrz_information)
    with pytest.raises(DocumentInvalid) as caught:
        reader.read()
    assert caught.value.reason == "DRV_EMRTD_MRZ_MISMATCH"


def test_the_working_le_is_remembered_per_chip(
    pcscd_vpcd: PcscdVpcd, reader: PcscPassportReader, cards: list[Card]
) -> None:
    """A short-Le chip: the first read's extended try draws 6700, which ends secure
    messaging and costs a second BAC. The second read of the same chip starts at the Le
    that worked: 5 APDUs fewer (the 6700, SELECT, GET CHALLENGE, MUTUAL AUTHENTICATE,
    SELECT), one BAC."""
    p = passport()
    card = new_card(pcscd_vpcd, cards, max_le=SHORT_MAX_LE)
    card.insert(reader)
    reader.set_access_key(p.mrz_information)
    first = reader.read_chip()
    second = reader.read_chip()
    assert first.files == second.files == p.files
    minimum = 4 + sum(1 + -(-len(data) // SHORT_MAX_LE) for data in p.files.values())
    print(f"\nshort-Le chip: first read {first.apdu_count} APDUs, second {second.apdu_count}")
    print(f"minimum with SELECT per file {minimum}")
    assert first.apdu_count == minimum + 5
    # The second read's one extra APDU: its first SELECT meets the first read's secure
    # messaging session still open in the powered chip, which ends it (9303-11 9.8), so
    # the SELECT is sent again. No 6700, no second BAC.
    assert second.apdu_count == minimum + 1
    assert second.le == first.le == 256


# --- Active Authentication: the genuine chip and its clone ------------------------------------
@functools.cache
def rsa_passport() -> SpecimenPassport:
    return generate_test_passport(5, with_dg15=True, aa_algorithm="rsa")


def read_with(
    daemon: PcscdVpcd, reader: PcscPassportReader, cards: list[Card], chip: EmrtdChip, mrz: str
):
    card = Card(daemon, chip)
    cards.append(card)
    card.insert(reader)
    reader.set_access_key(mrz)
    return reader.read_chip()


@pytest.mark.parametrize("max_le", [SHORT_MAX_LE, EXTENDED_MAX_LE], ids=["short", "extended"])
def test_a_genuine_rsa_chip_passes_active_authentication(
    pcscd_vpcd: PcscdVpcd, reader: PcscPassportReader, cards: list[Card], max_le: int
) -> None:
    p = rsa_passport()
    p.write_csca(reader.csca_dir)
    chip = p.chip(max_le=max_le)
    result = read_with(pcscd_vpcd, reader, cards, chip, p.mrz_information)
    assert result.active_authentication is ActiveAuthentication.PASSED
    assert result.chip_authentication is ChipAuthentication.PASSED
    assert result.document.extra["active_authentication_algorithm"] == "rsa1024_iso9796_2_sha1"
    assert chip.internal_authenticate_count == 1


@pytest.mark.parametrize("kind", ["ec", "rsa"])
def test_a_clone_is_refused(
    pcscd_vpcd: PcscdVpcd, reader: PcscPassportReader, cards: list[Card], kind: str
) -> None:
    """The clone has every data group byte for byte (passive authentication passes) but
    signs the challenge with its own key."""
    p = passport() if kind == "ec" else rsa_passport()
    p.write_csca(reader.csca_dir)
    clone = p.chip().clone()
    assert clone.files == p.by_fid
    with pytest.raises(DocumentInvalid) as caught:
        read_with(pcscd_vpcd, reader, cards, clone, p.mrz_information)
    assert caught.value.reason == DRV_EMRTD_CLONE_SUSPECTED
    assert clone.internal_authenticate_count == 1


def test_a_copy_without_any_key_is_refused(
    pcscd_vpcd: PcscdVpcd, reader: PcscPassportReader, cards: list[Card]
) -> None:
    """A plain copy of the files onto a chip that does not implement the command (6D00)."""
    p = passport()
    copy = EmrtdChip(p.by_fid, p.mrz_information)
    with pytest.raises(DocumentInvalid) as caught:
        read_with(pcscd_vpcd, reader, cards, copy, p.mrz_information)
    assert caught.value.reason == DRV_EMRTD_CLONE_SUSPECTED
    assert "6D00" in str(caught.value)


def test_a_clone_with_its_own_dg15_is_refused(
    pcscd_vpcd: PcscdVpcd, reader: PcscPassportReader, cards: list[Card]
) -> None:
    """The cloner replaces DG15 by its own key, so its signatures verify: the SOD does not
    cover that DG15, and the key proves nothing."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from drivers.emrtd.tlv import encode_tlv

    p = passport()
    own = ec.generate_private_key(ec.SECP256R1())
    spki = own.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    files = {**p.by_fid, 0x010F: encode_tlv(0x6F, spki)}
    chip = EmrtdChip(files, p.mrz_information, aa_key=own)
    with pytest.raises(DocumentInvalid) as caught:
        read_with(pcscd_vpcd, reader, cards, chip, p.mrz_information)
    assert caught.value.reason == DRV_EMRTD_AA_KEY_NOT_SIGNED


def test_a_chip_without_dg15_is_not_asked(
    pcscd_vpcd: PcscdVpcd, reader: PcscPassportReader, cards: list[Card]
) -> None:
    p = generate_test_passport(6)
    p.write_csca(reader.csca_dir)
    chip = p.chip()
    result = read_with(pcscd_vpcd, reader, cards, chip, p.mrz_information)
    assert result.active_authentication is ActiveAuthentication.NOT_SUPPORTED
    assert result.chip_authentication is ChipAuthentication.PASSED
    assert chip.internal_authenticate_count == 0
