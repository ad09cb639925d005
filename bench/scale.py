"""How the single DuckDB store grows: file size and query times at N posts (docs/scaling.md).

    .venv/bin/python -m bench.scale --posts 1000000,10000000

For each size, builds a store with the project's own schema straight in SQL (posts of 2,000
people over nine years, texts drawn from generated posts, findings on about 5% of posts, every
post scored), then times what the nightly run and the dashboard do against it: the query for
posts still to score, the merge of a 1% increment (new posts checked against the primary key),
findings per team and month, one person's history, the copy that publishes the serving file;
and the same kind of query over the posts written as Parquet partitioned by month. Sizes run
one after another in one process, so peak_rss_mb is the high-water mark so far. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl

from bench.generate import post_texts
from socialaudit import db

PEOPLE = 2_000
TEAMS = 40
TEXTS = 50_000


def build(path: Path, posts: int) -> Any:
    con = db.connect(path)
    texts = post_texts(random.Random(9))
    pool = pl.DataFrame({"n": range(TEXTS), "text": [next(texts) for _ in range(TEXTS)]})
    con.from_arrow(pool.to_arrow()).create("pool")
    con.execute(
        f"""INSERT INTO teams SELECT 'team-' || t, 'Team ' || t, NULL FROM range({TEAMS}) r(t);
            INSERT INTO people SELECT 'p' || p, 'Person ' || p, 'nurse', 'nmc'
                FROM range({PEOPLE}) r(p);
            INSERT INTO team_memberships SELECT 'p' || p, 'team-' || (p % {TEAMS}),
                DATE '2015-01-01', NULL FROM range({PEOPLE}) r(p);"""
    )
    con.execute(
        f"""INSERT INTO posts
            SELECT 'twitter', (1100000000000000000 + i)::VARCHAR, 'p' || (i % {PEOPLE}),
                   TIMESTAMP '2016-01-01' + to_seconds((i * 283824000 // {posts})::BIGINT),
                   'post', pool.text, sha256(pool.text || i), 'public', NULL, NULL, 0, 0,
                   'bench', now(), true
            FROM range({posts}) r(i) JOIN pool ON pool.n = i % {TEXTS}"""
    )
    con.execute(
        """INSERT INTO scored_posts SELECT platform, post_id, 'v1', text_sha256, now() FROM posts;
           INSERT INTO findings
           SELECT substr(sha256(post_id), 1, 24), platform, post_id, person_id,
                  'RULE-' || (hash(post_id) % 40), 'v1', 'confidentiality', 'high', 0.8, 0, 10,
                  '[[0,10]]', left(text, 60), 'message', 'guidance', 'HCPC 5.1', created_at,
                  true, now(), NULL
           FROM posts WHERE hash(post_id) % 20 = 0"""
    )
    con.execute("CHECKPOINT")
    return con


def timed(con: Any, sql: str, params: list[Any] | None = None, repeats: int = 5) -> float:
    """Median wall time in ms of a query, its result fetched."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        con.execute(sql, params or []).fetchall()
        samples.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(samples), 1)


def measure(folder: Path, posts: int) -> dict[str, Any]:
    path = folder / f"store-{posts}.duckdb"
    start = time.perf_counter()
    con = build(path, posts)
    built = time.perf_counter() - start
    result: dict[str, Any] = {
        "posts": posts,
        "build_seconds": round(built, 1),
        "file_mb": round(path.stat().st_size / 2**20),
        "findings": con.execute("SELECT count(*) FROM findings").fetchone()[0],
    }
    queries = {
        "pending_nothing_new_ms": """SELECT count(*) FROM posts p WHERE NOT EXISTS (
                SELECT 1 FROM scored_posts s WHERE s.platform = p.platform
                AND s.post_id = p.post_id AND s.rulebook_version = 'v1'
                AND s.text_sha256 = p.text_sha256)""",
        "findings_per_team_month_ms": """SELECT m.team_id, date_trunc('month', f.post_created_at),
                count(*) FROM findings f JOIN team_memberships m USING (person_id)
                WHERE f.active GROUP BY ALL""",
        "one_person_history_ms": """SELECT post_id, created_at, text FROM posts
                WHERE person_id = 'p17' ORDER BY created_at DESC LIMIT 200""",
        "posts_per_team_ms": """SELECT m.team_id, count(*) FROM posts p
                JOIN team_memberships m USING (person_id) GROUP BY ALL""",
    }
    for name, sql in queries.items():
        result[name] = timed(con, sql)
    # A nightly increment: 1% new posts merged against the primary key, in one transaction.
    increment = posts // 100
    con.execute(
        f"""CREATE TEMP TABLE incoming AS SELECT * REPLACE (
                (post_id::HUGEINT + {posts})::VARCHAR AS post_id) FROM posts LIMIT {increment}"""
    )
    start = time.perf_counter()
    con.execute("BEGIN")
    con.execute(
        "INSERT INTO posts SELECT i.* FROM incoming i ANTI JOIN posts p USING (platform, post_id)"
    )
    con.execute("COMMIT")
    result["merge_one_percent_s"] = round(time.perf_counter() - start, 2)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    con.execute("CHECKPOINT")
    start = time.perf_counter()  # what publishing the dashboard's serving copy costs each run
    shutil.copyfile(path, folder / "serving.duckdb")
    result["publish_copy_s"] = round(time.perf_counter() - start, 1)
    (folder / "serving.duckdb").unlink()
    # The same history as Parquet, one file per month: what replaces the single file.
    parquet = folder / f"posts-{posts}"
    start = time.perf_counter()
    con.execute(
        f"""COPY (SELECT *, strftime(created_at, '%Y-%m') AS month FROM posts)
            TO '{parquet}' (FORMAT parquet, PARTITION_BY (month))"""
    )
    result["parquet_write_s"] = round(time.perf_counter() - start, 1)
    result["parquet_mb"] = round(sum(f.stat().st_size for f in parquet.rglob("*")) / 2**20)
    result["parquet_posts_per_month_ms"] = timed(
        con,
        f"""SELECT month, count(*) FROM read_parquet('{parquet}/*/*.parquet',
            hive_partitioning = true) GROUP BY month""",
    )
    result["parquet_one_month_ms"] = timed(
        con,
        f"""SELECT person_id, count(*) FROM read_parquet('{parquet}/*/*.parquet',
            hive_partitioning = true) WHERE month = '2024-03' GROUP BY person_id""",
    )
    con.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", default="1000000,10000000")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="socialaudit-scale-") as folder:
        sizes = [int(size) for size in args.posts.split(",")]
        print(json.dumps([measure(Path(folder), size) for size in sizes], indent=2))


if __name__ == "__main__":
    main()
