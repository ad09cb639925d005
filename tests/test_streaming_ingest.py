"""Streaming ingest: X data files read item by item, exports stored batch by batch in one
transaction, all or nothing."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from bench.generate import write_x_archive
from socialaudit import db
from tests.x_export import tweet, write_x_export
from transforms import store
from transforms.archive import ArchiveError, ExportFiles
from transforms.ingest import ingest_export, read_export
from transforms.normalise import posts_frames
from transforms.platforms import twitter
from transforms.records import Coverage, PostRecord

FIXTURES = Path(__file__).parent / "fixtures" / "twitter"


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    connection = db.connect(tmp_path / "stream.duckdb")
    yield connection
    connection.close()


def parsed(path: Path) -> tuple[list[PostRecord], Coverage]:
    coverage = Coverage()
    parser = twitter.Parser()
    with ExportFiles(path) as files:
        records = list(parser.parse(files, parser.detect(files), coverage))
    return records, coverage


def read_items(tmp_path: Path, text: str) -> list[object]:
    (tmp_path / "data.js").write_text(text, encoding="utf-8")
    with ExportFiles(tmp_path) as files:
        return list(twitter._read_items(files, "data.js"))


def tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


# -- the X parser reads its data files item by item ----------------------------------------------


@pytest.mark.parametrize("case", ["x-2022", "x-2022-wrapped", "x-classic"])
def test_tiny_reads_give_the_same_records(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = parsed(FIXTURES / case)
    monkeypatch.setattr(twitter, "_READ_BYTES", 7)  # every item, string and number is cut
    records, coverage = parsed(FIXTURES / case)
    assert records == expected[0]
    assert coverage == expected[1]


def test_a_generated_archive_reads_the_same_in_small_and_large_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = write_x_archive(tmp_path / "x.zip", 300, seed=2)
    expected, _ = parsed(archive)
    monkeypatch.setattr(twitter, "_READ_BYTES", 100)
    records, coverage = parsed(archive)
    assert records == expected
    assert len(records) > 250 and coverage.skipped["repost"] > 0


def test_numbers_cut_by_a_read_are_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(twitter, "_READ_BYTES", 1)
    assert read_items(tmp_path, "window.YTD.x.part0 = [1, 22 , 333,\n4444];\n") == [
        1,
        22,
        333,
        4444,
    ]
    assert read_items(tmp_path, "window.YTD.x.part0 = [ ]") == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('window.YTD.x.part0 = [{"a": 1}] trailing', "after the closing"),
        ('window.YTD.x.part0 = [{"a": 1} {"b": 2}]', "expected ',' or ']'"),
        ('window.YTD.x.part0 = [{"a": 1},]', "not a readable"),
        ('window.YTD.x.part0 = [{"a": "' + "x" * 300 + '"}]', "longer than 100"),
    ],
)
def test_malformed_arrays_are_refused(
    text: str, reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(twitter, "_READ_BYTES", 16)
    monkeypatch.setattr(twitter, "_MAX_ITEM_CHARS", 100)
    with pytest.raises(ArchiveError, match="data.js is not a readable X data file") as raised:
        read_items(tmp_path, text)
    assert reason in str(raised.value)


# -- ingest stores an export batch by batch, in one transaction ------------------------------------


def ten_tweets(last: datetime = datetime(2024, 1, 10)) -> list[dict[str, object]]:
    days = [datetime(2024, 1, day) for day in range(1, 10)] + [last]
    return [tweet(str(100 + n), f"post number {n}", day) for n, day in enumerate(days)]


def test_small_batches_store_what_one_batch_stores(con, tmp_path: Path) -> None:
    export = write_x_export(tmp_path / "x", "alex", ten_tweets())
    other = db.connect(tmp_path / "one-batch.duckdb")
    whole = ingest_export(other, export)
    in_batches = ingest_export(con, export, batch_size=3)
    query = "SELECT * EXCLUDE (first_seen_at) FROM posts ORDER BY post_id"
    assert con.execute(query).fetchall() == other.execute(query).fetchall()
    assert in_batches.changes == whole.changes
    assert in_batches.coverage == whole.coverage
    assert in_batches.coverage["records_stored"] == 10
    validation = json.loads(con.execute("SELECT validation FROM archives").fetchone()[0])
    assert validation["success"] and validation["batches"] == 4
    assert "archive_posts_staged" not in tables(con)
    other.close()


def test_a_late_batch_failing_expectations_stores_nothing(con, tmp_path: Path) -> None:
    export = write_x_export(tmp_path / "x", "alex", ten_tweets(last=datetime(2099, 1, 1)))
    result = ingest_export(con, export, batch_size=3)  # batches 1-3 pass, the 4th fails
    assert result.status == "quarantined"
    assert "expect_column_values_to_be_between(created_at_epoch)" in (result.reason or "")
    assert con.execute("SELECT count(*) FROM posts").fetchone()[0] == 0
    assert con.execute("SELECT status FROM archives").fetchall() == [("quarantined",)]
    assert "archive_posts_staged" not in tables(con)


def test_a_file_broken_after_good_items_stores_nothing(con, tmp_path: Path) -> None:
    export = write_x_export(tmp_path / "x", "alex", ten_tweets())
    tweets_file = export / "data" / "tweets.js"
    tweets_file.write_text(tweets_file.read_text()[:-200])  # cut inside the last tweet
    result = ingest_export(con, export, batch_size=3)
    assert result.status == "quarantined"
    assert "data/tweets.js is not a readable X data file" in (result.reason or "")
    assert con.execute("SELECT count(*) FROM posts").fetchone()[0] == 0
    assert "archive_posts_staged" not in tables(con)
    # The same export, repaired, is then ingested whole.
    shutil.rmtree(export)
    assert ingest_export(con, write_x_export(tmp_path / "x", "alex", ten_tweets())).status == (
        "ingested"
    )
    assert con.execute("SELECT count(*) FROM posts").fetchone()[0] == 10


def test_a_post_repeated_in_a_later_batch_keeps_its_last_version(con) -> None:
    def record(post_id: str, text: str) -> PostRecord:
        return PostRecord("generic", post_id, datetime(2024, 1, 1), "post", text)

    coverage = Coverage()
    records = [record("a", "first"), record("b", "b"), record("a", "second"), record("c", "c")]
    meta = store.ArchiveMeta("sha", "export.jsonl", "generic", "jsonl", None, None)
    with store.ArchiveWriter(con, meta) as writer:
        for batch in posts_frames(records, None, coverage, batch_size=2):
            writer.add(batch)
        assert (writer.rows_added, writer.distinct_posts()) == (4, 3)
        changes = writer.finish({}, {})
    assert (changes.added, changes.edited, changes.unchanged) == (3, 0, 0)
    assert con.execute("SELECT post_id, text FROM posts ORDER BY 1").fetchall() == [
        ("a", "second"),
        ("b", "b"),
        ("c", "c"),
    ]


def test_leaving_the_writer_without_finishing_rolls_every_batch_back(con) -> None:
    meta = store.ArchiveMeta("sha", "export.jsonl", "generic", "jsonl", None, None)
    frame = next(posts_frames([PostRecord("generic", "a", datetime(2024, 1, 1), "post", "x")],
                              None, Coverage()))  # fmt: skip
    with pytest.raises(RuntimeError), store.ArchiveWriter(con, meta) as writer:
        writer.add(frame)
        raise RuntimeError("crash")
    assert con.execute("SELECT count(*) FROM posts").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM archives").fetchone()[0] == 0
    assert "archive_posts_staged" not in tables(con)


def test_read_export_still_gives_the_whole_frame(tmp_path: Path) -> None:
    export = write_x_export(tmp_path / "x", "alex", ten_tweets())
    frame = read_export(export).posts
    assert isinstance(frame, pl.DataFrame) and frame.height == 10
    assert frame["post_id"].to_list() == [str(100 + n) for n in range(10)]


# -- staged batches are files beside the store, gone once the archive is merged or refused ---------


def staging_folders(tmp_path: Path) -> list[Path]:
    return sorted(tmp_path.glob(".stream.duckdb.staging-*"))


def test_staged_files_are_deleted_after_a_merge_a_refusal_and_a_killed_run(
    con, tmp_path: Path
) -> None:
    left_by_a_killed_run = tmp_path / ".stream.duckdb.staging-killed"
    left_by_a_killed_run.mkdir()
    (left_by_a_killed_run / "batch-000000000001.parquet").write_bytes(b"partial")
    failing = write_x_export(tmp_path / "bad", "alex", ten_tweets(last=datetime(2099, 1, 1)))
    assert ingest_export(con, failing, batch_size=3).status == "quarantined"
    assert staging_folders(tmp_path) == []
    good = write_x_export(tmp_path / "good", "alex", ten_tweets())
    assert ingest_export(con, good, batch_size=3).status == "ingested"
    assert staging_folders(tmp_path) == []


def test_an_encrypted_store_stages_no_clear_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCIALAUDIT_DB_KEY", "correct horse battery staple")
    secret = "Mrs Zebedee-Quinlan in bay 9"
    staged: list[bytes] = []
    finish = store.ArchiveWriter.finish

    def finish_after_reading_the_staged_files(self, *args):  # noqa: ANN001, ANN202
        staged.extend(file.read_bytes() for file in staging_folders(tmp_path)[0].iterdir())
        return finish(self, *args)

    monkeypatch.setattr(store.ArchiveWriter, "finish", finish_after_reading_the_staged_files)
    connection = db.connect(tmp_path / "stream.duckdb")
    tweets = [tweet(str(n), f"{secret} ({n})", datetime(2024, 1, 1 + n)) for n in range(4)]
    result = ingest_export(connection, write_x_export(tmp_path / "x", "alex", tweets), batch_size=2)
    assert result.status == "ingested"
    assert len(staged) == 3  # the empty first file and two batches
    assert all(b"Zebedee" not in raw for raw in staged)
    assert connection.execute("SELECT count(*) FROM posts").fetchone()[0] == 4
    connection.close()


# -- posts has no primary key: the merge alone keeps (platform, post_id) unique -------------------


@pytest.mark.parametrize("rows_per_part", [store.ROWS_PER_PART, 3])
def test_overlapping_archives_never_store_a_post_twice(
    con, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows_per_part: int
) -> None:
    monkeypatch.setattr(store, "ROWS_PER_PART", rows_per_part)  # 3: grouped in several parts

    def export(name: str, handle: str, posts: dict[str, str]) -> Path:
        tweets = [tweet(i, text, datetime(2024, 1, int(i))) for i, text in posts.items()]
        return write_x_export(tmp_path / name, handle, tweets)

    older = export("older", "alex", {str(n): f"post {n}" for n in range(1, 7)})
    newer = export("newer", "alex", {str(n): f"post {n}" for n in range(4, 10)} | {"5": "edited"})
    other = export("other", "sam", {"2": "post 2", "9": "post 9", "11": "post 11"})
    # The same tweet twice, in different batches (which one the X parser keeps is its own test).
    repeated = [
        tweet("12", "post 12", datetime(2024, 1, 12)),
        tweet("3", "post 3", datetime(2024, 1, 3)),
    ]
    repeated += [
        tweet("13", "x", datetime(2024, 1, 13)),
        tweet("12", "post 12", datetime(2024, 1, 12)),
    ]
    twice = write_x_export(tmp_path / "twice", "alex", repeated)
    for path in (older, newer, other, older, twice, newer):
        assert ingest_export(con, path, batch_size=2).status in ("ingested", "duplicate")
    assert (
        con.execute(
            "SELECT platform, post_id FROM posts GROUP BY ALL HAVING count(*) > 1"
        ).fetchall()
        == []
    )
    assert con.execute("SELECT post_id, text FROM posts ORDER BY post_id::INTEGER").fetchall() == [
        *[(str(n), f"post {n}") for n in range(1, 5)],
        ("5", "edited"),
        *[(str(n), f"post {n}") for n in (6, 7, 8, 9, 11, 12)],
        ("13", "x"),
    ]


def test_the_keyless_posts_table_keeps_every_stored_post_and_column(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "v2.duckdb"))
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)")
    for version, sql in db._migrations()[:2]:  # the store as it was before migration 003
        con.execute(sql)
        con.execute("INSERT INTO schema_version VALUES (?, now())", [version])
    con.execute("""INSERT INTO posts VALUES
        ('x', '1', 'p1', '2024-01-01', 'post', 'hello', 'h1', 'public', NULL, NULL, 1, 0, 'a',
         '2025-01-01', true, NULL),
        ('x', '2', NULL, '2024-01-02', 'reply', '', 'h2', NULL, 'u', '1', NULL, NULL, 'a',
         '2025-01-01', false, '2025-06-01')""")
    before_rows = con.execute("SELECT * FROM posts ORDER BY post_id").fetchall()
    before_columns = con.execute("DESCRIBE posts").fetchall()
    assert db.migrate(con) >= 3
    assert con.execute("SELECT * FROM posts ORDER BY post_id").fetchall() == before_rows
    assert con.execute("DESCRIBE posts").fetchall() == [
        (name, kind, null, None, default, extra)
        for name, kind, null, _key, default, extra in before_columns
    ]
    assert (
        con.execute(
            "SELECT constraint_type FROM duckdb_constraints() WHERE table_name = 'posts' "
            "AND constraint_type <> 'NOT NULL'"
        ).fetchall()
        == []
    )
    with pytest.raises(duckdb.ConstraintException):
        con.execute("UPDATE posts SET post_id = NULL WHERE post_id = '1'")
    con.close()
