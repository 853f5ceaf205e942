"""The private PostgreSQL fixture is a real server the gateway's peewee code can use."""

from __future__ import annotations

import pytest
from playhouse.db_url import connect

pytestmark = pytest.mark.services


def test_a_fresh_database_answers(postgres):
    db = connect(postgres.url)
    assert db.execute_sql("select current_database()").fetchone()[0] == "bdmi"
    db.execute_sql("create table t (x int)")
    db.close()


def test_each_test_gets_an_empty_database(postgres):
    db = connect(postgres.url)
    tables = db.get_tables()
    db.close()
    assert tables == []
