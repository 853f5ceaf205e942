"""Stores for the tests: real SQLCipher files in tmp_path, opened as the kiosk opens them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.store.database import StoreDatabase, open_store
from kiosk.store.key import create_key_file


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "secrets" / "store.key"
    create_key_file(path)
    return path


@pytest.fixture
def key(key_file: Path) -> bytes:
    return bytes.fromhex(key_file.read_text().strip())


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "kiosk.db"


@pytest.fixture
def store(db_path: Path, key: bytes) -> Iterator[StoreDatabase]:
    db = open_store(db_path, key, create=True)
    yield db
    db.close()
