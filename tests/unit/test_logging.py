"""Structured logs, and no personal data in them."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

import pytest

from drivers.document import DocumentType, IdentityDocument
from kiosk.log import configure_logging, redact

# Clearly fake data in the shapes real data has: a GB 11643 number with a valid check
# character and the ICAO 9303 specimen MRZ.
FAKE_ID = "11010519491231002X"
FAKE_MRZ = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
FAKE_MRZ_2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"


@pytest.fixture
def captured():
    stream = io.StringIO()
    handler = configure_logging("DEBUG", "json", stream)
    yield stream
    logging.getLogger().removeHandler(handler)


def records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_fields(captured):
    logging.getLogger("kiosk.test").info(
        "card read", extra={"doc_type": "cn_resident_id", "ms": 412}
    )
    (rec,) = records(captured)
    assert rec["msg"] == "card read"
    assert rec["level"] == "INFO"
    assert rec["logger"] == "kiosk.test"
    assert rec["doc_type"] == "cn_resident_id"
    assert rec["ms"] == 412


def test_key_value_format():
    stream = io.StringIO()
    handler = configure_logging("INFO", "kv", stream)
    try:
        logging.getLogger("kiosk.test").info("screen", extra={"to": "welcome", "note": "a b"})
    finally:
        logging.getLogger().removeHandler(handler)
    line = stream.getvalue().strip()
    assert ' INFO kiosk.test screen to=welcome note="a b"' in line


def test_id_numbers_and_mrz_are_masked_in_messages_fields_and_tracebacks(captured):
    log = logging.getLogger("kiosk.test")
    log.warning("bad number %s", FAKE_ID)
    log.info("mrz", extra={"line1": FAKE_MRZ, "line2": FAKE_MRZ_2})
    try:
        raise ValueError(f"check digit wrong in {FAKE_MRZ_2}")
    except ValueError:
        log.exception("parse failed")
    text = captured.getvalue()
    assert FAKE_ID not in text
    assert "ERIKSSON" not in text
    assert "L898902C3" not in text
    assert text.count("[redacted]") >= 4


def test_redact_keeps_ordinary_text():
    text = "reader /dev/ttyUSB0 answered 9000 after 115200 baud; result 01J9ZK3N2Q"
    assert redact(text) == text


def test_identity_document_never_renders_its_content(captured):
    doc = IdentityDocument(
        doc_type=DocumentType.CN_RESIDENT_ID,
        document_number=FAKE_ID,
        name="测试样本",
        sex="F",
        birth_date=dt.date(1949, 12, 31),
        nationality="01",
        issuer="模拟公安局",
        valid_from=dt.date(2020, 1, 1),
        valid_until=None,
    )
    logging.getLogger("kiosk.test").info("document %s", doc, extra={"doc": doc})
    text = captured.getvalue()
    assert "测试样本" not in text and FAKE_ID not in text and "模拟公安局" not in text
    assert "<redacted>" in repr(doc) and "<redacted>" in str(doc) and "<redacted>" in f"{doc}"


def test_the_gateway_masks_the_same_shapes_with_the_same_line():
    """The gateway's logging (its own set-up: it never imports device code) shares the
    kiosk's filter and line shape (edge_sync/protocol/log_lines.py)."""
    from edge_sync.gateway.log import configure_logging as gateway_logging

    stream = io.StringIO()
    handler = gateway_logging("DEBUG", stream)
    try:
        logging.getLogger("edge_sync.gateway.test").warning(
            f"odd payload {FAKE_ID}", extra={"mrz": FAKE_MRZ_2, "reason": "GW_TEST"}
        )
        logging.getLogger("peewee").debug(("INSERT INTO x VALUES (?, ?)", [FAKE_ID, "y"]))
    finally:
        logging.getLogger().removeHandler(handler)
    first, second = records(stream)
    assert FAKE_ID not in stream.getvalue() and FAKE_MRZ_2 not in stream.getvalue()
    assert first["reason"] == "GW_TEST" and {"ts", "level", "logger", "msg"} <= first.keys()
    assert second["msg"] == "INSERT INTO x VALUES (?, ?) [2 parameters not logged]"
