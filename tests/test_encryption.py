"""Encryption at rest: with a key configured, no database file holds plaintext, and none opens
without the key."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from dashboards.data_access import read_connection
from socialaudit import db, decisions
from socialaudit.settings import UnsafeKeyStorage, decisions_db_path, serving_db_path
from tests.x_export import tweet, write_x_export
from transforms.ingest import ingest_export
from transforms.publish import publish_serving_copy

SECRET_TEXT = "Mrs Zebedee-Quinlan in bay 9 told me everything"


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALAUDIT_DB_KEY", "correct horse battery staple")


def test_encrypted_files_hold_no_plaintext_and_need_the_key(keyed, tmp_path: Path) -> None:
    path = tmp_path / "org.duckdb"
    con = db.connect(path)
    export = write_x_export(
        tmp_path / "x", "someone", [tweet("1", SECRET_TEXT, datetime(2024, 1, 1))]
    )
    assert ingest_export(con, export).status == "ingested"
    con.close()
    publish_serving_copy(path)
    decisions.record_decision(decisions_db_path(path), "f1", "dismissed", "alice", SECRET_TEXT)

    for file in (path, serving_db_path(path), decisions_db_path(path)):
        raw = file.read_bytes()
        assert SECRET_TEXT.encode() not in raw and b"Zebedee" not in raw, file.name
        assert file.stat().st_mode & 0o077 == 0, f"{file.name} is readable by others"
        with pytest.raises(duckdb.Error, match="without a key|encrypt"):
            duckdb.connect(str(file), read_only=True).execute("SELECT 1 FROM posts")

    with read_connection(path) as served:
        assert served.execute("SELECT text FROM posts").fetchone()[0] == SECRET_TEXT
        assert served.execute("SELECT note FROM decisions.reviews").fetchone()[0] == SECRET_TEXT


def test_wrong_key_is_refused(keyed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "org.duckdb"
    db.connect(path).close()
    monkeypatch.setenv("SOCIALAUDIT_DB_KEY", "wrong")
    with pytest.raises(duckdb.Error, match="Wrong encryption key"):
        db.connect(path)


def test_key_file_beside_the_database_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "db.key"
    key_file.write_text("secret")
    monkeypatch.setenv("SOCIALAUDIT_DB_KEY_FILE", str(key_file))
    with pytest.raises(UnsafeKeyStorage, match="must not be stored beside the database"):
        db.connect(tmp_path / "org.duckdb")


def test_key_file_elsewhere_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "keys").mkdir()
    key_file = tmp_path / "keys" / "db.key"
    key_file.write_text("secret\n")
    monkeypatch.setenv("SOCIALAUDIT_DB_KEY_FILE", str(key_file))
    path = tmp_path / "data" / "org.duckdb"
    db.connect(path).close()
    with pytest.raises(duckdb.Error):
        duckdb.connect(str(path)).execute("SELECT 1 FROM posts")
    assert db.connect(path, read_only=True).execute("SELECT count(*) FROM posts").fetchone() == (0,)
