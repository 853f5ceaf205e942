"""ICAO 9303-11 Appendix D: the BAC and secure messaging worked example, value by value.

D.1-D.3 (key derivation, authentication, session keys) are read from the shared
transcription of the appendix; D.4 (secure messaging) is written here as the standard
prints it, starting from its own restatement of KS_enc, KS_mac and SSC.
"""

from __future__ import annotations

import hashlib
import re

import pytest

from drivers.emrtd import apdu
from drivers.emrtd.bac import (
    BacSession,
    KeyPair,
    adjust_parity,
    complete_bac,
    derive_key,
    document_basic_access_keys,
    key_seed,
    mutual_authenticate_data,
    send_sequence_counter,
    session_key_seed,
    verify_mutual_authenticate_response,
)
from drivers.emrtd.iso9797 import pad, retail_mac, tdes_cbc_decrypt, tdes_cbc_encrypt
from drivers.emrtd.secure_messaging import SecureMessaging
from drivers.errors import ProtocolError
from drivers.mrz import compute_check_digit, mrz_information, parse_mrz
from tests.drivers.shared_data import require_shared_data

h = bytes.fromhex


@pytest.fixture(scope="module")
def appendix_d() -> dict[str, str]:
    """Name -> value of each line "name = value" of the shared transcription."""
    path = require_shared_data("emrtd", "icao9303_p11_appD_BAC_worked_example.txt")
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "=" not in line:
            continue
        name, value = line.rsplit("=", 1)
        values[name.split()[0]] = value.strip()
    return values


def test_check_digits_of_the_example(appendix_d: dict[str, str]) -> None:
    path = require_shared_data("emrtd", "icao9303_p11_appD_BAC_worked_example.txt")
    pairs = re.findall(r"([A-Z0-9<]+) -> (\d)", path.read_text(encoding="utf-8"))
    assert len(pairs) == 4
    for field, digit in pairs:
        assert compute_check_digit(field) == digit, field


def test_d1_mrz_information_and_keys(appendix_d: dict[str, str]) -> None:
    line1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
    mrz = parse_mrz([line1, appendix_d["MRZ"]])
    info = mrz_information(mrz)
    assert info == appendix_d["MRZ_information"]
    assert hashlib.sha1(info.encode()).hexdigest().upper() == appendix_d["SHA1(MRZ_information)"]
    seed = key_seed(info)
    assert seed == h(appendix_d["Kseed"])
    assert derive_key(seed, 1) == h(appendix_d["Kenc"])
    assert derive_key(seed, 2) == h(appendix_d["Kmac"])
    keys = document_basic_access_keys(info)
    assert (keys.k_enc, keys.k_mac) == (h(appendix_d["Kenc"]), h(appendix_d["Kmac"]))


def test_d2_mutual_authenticate_command(appendix_d: dict[str, str]) -> None:
    keys = KeyPair(h(appendix_d["Kenc"]), h(appendix_d["Kmac"]))
    rnd_ic, rnd_ifd, k_ifd = (h(appendix_d[n]) for n in ("RND.IC", "RND.IFD", "K.IFD"))
    s = rnd_ifd + rnd_ic + k_ifd
    assert s == h(appendix_d["S"])
    e_ifd = tdes_cbc_encrypt(keys.k_enc, s)
    assert e_ifd == h(appendix_d["E.IFD"])
    m_ifd = retail_mac(keys.k_mac, e_ifd)
    assert m_ifd == h(appendix_d["M.IFD"])
    cmd_data = mutual_authenticate_data(keys, rnd_ic, rnd_ifd, k_ifd)
    assert cmd_data == e_ifd + m_ifd
    assert bytes(apdu.mutual_authenticate(cmd_data)) == (
        h("0082000028") + h(appendix_d["E.IFD"]) + h(appendix_d["M.IFD"]) + h("28")
    )
    assert bytes(apdu.get_challenge()) == h("0084000008")


def test_d2_chip_response_and_d3_session_keys(appendix_d: dict[str, str]) -> None:
    keys = KeyPair(h(appendix_d["Kenc"]), h(appendix_d["Kmac"]))
    rnd_ic, rnd_ifd, k_ifd = (h(appendix_d[n]) for n in ("RND.IC", "RND.IFD", "K.IFD"))
    e_ic, m_ic = h(appendix_d["E.IC"]), h(appendix_d["M.IC"])
    assert retail_mac(keys.k_mac, e_ic) == m_ic
    r = tdes_cbc_decrypt(keys.k_enc, e_ic)
    assert r == h(appendix_d["R"])
    k_ic = verify_mutual_authenticate_response(keys, e_ic + m_ic, rnd_ic, rnd_ifd)
    assert k_ic == h(appendix_d["K.IC"])
    ks_seed = session_key_seed(k_ifd, k_ic)
    assert ks_seed == h(appendix_d["KSseed"])
    assert derive_key(ks_seed, 1) == h(appendix_d["KSenc"])
    assert derive_key(ks_seed, 2) == h(appendix_d["KSmac"])
    assert send_sequence_counter(rnd_ic, rnd_ifd) == h(appendix_d["SSC"])
    session = complete_bac(keys, e_ic + m_ic, rnd_ic, rnd_ifd, k_ifd)
    assert session.keys.k_enc == h(appendix_d["KSenc"])
    assert session.keys.k_mac == h(appendix_d["KSmac"])
    assert session.ssc == h(appendix_d["SSC"])


def test_parity_adjustment() -> None:
    # Every output byte has odd parity and differs from the input only in bit 1.
    raw = bytes(range(256))
    adjusted = adjust_parity(raw)
    assert all(bin(b).count("1") % 2 == 1 for b in adjusted)
    assert all((a ^ b) in (0, 1) for a, b in zip(raw, adjusted, strict=True))


# --- D.4 secure messaging, as printed in the appendix ----------------------------------

KS_ENC = h("979EC13B1CBFE9DCD01AB0FED307EAE5")
KS_MAC = h("F1CB1F1FB5ADF208806B89DC579DC1F8")
SSC = h("887022120C06C226")


def test_d4_select_ef_com_step_by_step() -> None:
    cmd_header = pad(h("0CA4020C"))
    assert cmd_header == h("0CA4020C80000000")
    data = pad(h("011E"))
    assert data == h("011E800000000000")
    encrypted = tdes_cbc_encrypt(KS_ENC, data)
    assert encrypted == h("6375432908C044F6")
    do87 = h("870901") + encrypted
    assert do87 == h("8709016375432908C044F6")
    m = cmd_header + do87
    ssc = h("887022120C06C227")
    n = pad(ssc + m)
    assert n == h("887022120C06C2270CA4020C800000008709016375432908C044F68000000000")
    cc = retail_mac(KS_MAC, n, padded=True)
    assert cc == h("BF8B92D635FF24F8")
    # Response: K = SSC || DO'99' padded, CC' = MAC.
    k = pad(h("887022120C06C228") + h("99029000"))
    assert k == h("887022120C06C2289902900080000000")
    assert retail_mac(KS_MAC, k, padded=True) == h("FA855A5D4C50A8ED")


def test_d4_read_binary_step_by_step() -> None:
    n = pad(h("887022120C06C229") + h("0CB0000080000000") + h("970104"))
    assert n == h("887022120C06C2290CB00000800000009701048000000000")
    assert retail_mac(KS_MAC, n, padded=True) == h("ED6705417E96BA55")
    k = pad(h("887022120C06C22A") + h("8709019FF0EC34F9922651") + h("99029000"))
    assert k == h("887022120C06C22A8709019FF0EC34F99226519902900080")
    assert retail_mac(KS_MAC, k, padded=True) == h("AD55CC17140B2DED")
    assert tdes_cbc_decrypt(KS_ENC, h("9FF0EC34F9922651")) == h("60145F0180000000")
    n = pad(h("887022120C06C22B") + h("0CB0000480000000") + h("970112"))
    assert retail_mac(KS_MAC, n, padded=True) == h("2EA28A70F3C7B535")
    k = pad(
        h("887022120C06C22C")
        + h("871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A")
        + h("99029000")
    )
    assert retail_mac(KS_MAC, k, padded=True) == h("C8B2787EAEA07D74")


def test_d4_session_protects_and_unprotects_each_apdu() -> None:
    sm = SecureMessaging(KeyPair(KS_ENC, KS_MAC), SSC)

    # 1. SELECT EF.COM
    command = apdu.select_file(apdu.EF_COM)
    assert bytes(command) == h("00A4020C02011E")
    assert bytes(sm.protect(command)) == h("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800")
    assert sm.ssc == h("887022120C06C227")
    response = sm.unprotect(h("990290008E08FA855A5D4C50A8ED9000"))
    assert (response.data, response.sw) == (b"", 0x9000)
    assert sm.ssc == h("887022120C06C228")

    # 2. READ BINARY of the first four bytes
    command = apdu.read_binary(0, 4)
    assert bytes(command) == h("00B0000004")
    assert bytes(sm.protect(command)) == h("0CB000000D9701048E08ED6705417E96BA5500")
    assert sm.ssc == h("887022120C06C229")
    response = sm.unprotect(h("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"))
    assert (response.data, response.sw) == (h("60145F01"), 0x9000)
    assert sm.ssc == h("887022120C06C22A")

    # 3. READ BINARY of the remaining 18 bytes from offset 4
    command = apdu.read_binary(4, 0x12)
    assert bytes(command) == h("00B0000412")
    assert bytes(sm.protect(command)) == h("0CB000040D9701128E082EA28A70F3C7B53500")
    assert sm.ssc == h("887022120C06C22B")
    response = sm.unprotect(
        h("871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000")
    )
    assert (response.data, response.sw) == (h("04303130365F36063034303030305C026175"), 0x9000)
    assert sm.ssc == h("887022120C06C22C")


def test_d4_session_from_bac() -> None:
    sm = SecureMessaging.from_bac(BacSession(KeyPair(KS_ENC, KS_MAC), SSC))
    assert bytes(sm.protect(apdu.select_file(0x011E))).hex().upper().endswith("FF24F800")


# --- the chip's answer must prove it knows the keys and echoes our nonces ------------

RND_IC, RND_IFD = h("4608F91988702212"), h("781723860C06C226")
K_IFD = h("0B795240CB7049B01C19B33E32804F0B")
DOC_KEYS = KeyPair(h("AB94FDECF2674FDFB9B391F85D7F76F2"), h("7962D9ECE03D1ACD4C76089DCE131543"))
CHIP_ANSWER = h("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449")


@pytest.mark.parametrize(
    ("response", "rnd_ic", "rnd_ifd", "reason", "offset"),
    [
        (CHIP_ANSWER[:-1], RND_IC, RND_IFD, "DRV_BAC_LENGTH", None),
        (CHIP_ANSWER[:-1] + b"\x00", RND_IC, RND_IFD, "DRV_BAC_MAC", 32),
        (bytes([CHIP_ANSWER[0] ^ 1]) + CHIP_ANSWER[1:], RND_IC, RND_IFD, "DRV_BAC_MAC", 32),
        (CHIP_ANSWER, bytes(8), RND_IFD, "DRV_BAC_NONCE", 0),
        (CHIP_ANSWER, RND_IC, bytes(8), "DRV_BAC_NONCE", 8),
    ],
)
def test_bad_chip_answers_are_protocol_errors(response, rnd_ic, rnd_ifd, reason, offset) -> None:
    with pytest.raises(ProtocolError) as info:
        complete_bac(DOC_KEYS, response, rnd_ic, rnd_ifd, K_IFD)
    assert (info.value.reason, info.value.offset, info.value.raw) == (reason, offset, response)


def test_wrong_mrz_fails_at_the_mac() -> None:
    wrong = document_basic_access_keys("L898902C<369080619406237")
    with pytest.raises(ProtocolError) as info:
        complete_bac(wrong, CHIP_ANSWER, RND_IC, RND_IFD, K_IFD)
    assert info.value.reason == "DRV_BAC_MAC"


def test_keys_never_reach_a_repr() -> None:
    session = BacSession(DOC_KEYS, SSC)
    assert "AB94" not in repr(DOC_KEYS).upper() and "redacted" in repr(session)
