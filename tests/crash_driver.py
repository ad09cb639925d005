"""Run the audit's steps without Prefect, printing a marker between steps, so that a test can
kill this process with SIGKILL at any moment. Usage: python -m tests.crash_driver DB INBOX ROSTER"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from socialaudit import db
from transforms import store
from transforms.inbox import find_exports
from transforms.ingest import ingest_export
from transforms.roster import read_roster
from transforms.score import pending_posts, score_posts
from transforms.scoring.engine import Scorer

CHUNK = 25  # small chunks: more commits, so kills land between and inside them


def main(db_path: str, inbox: str, roster: str) -> None:
    con = db.connect(db_path)
    store.apply_roster(con, read_roster(Path(roster)), date(2025, 1, 1))
    for export in find_exports(Path(inbox)):
        ingest_export(con, export.path, export.person_id)
        print("ingested", export.path.name, flush=True)
    scorer = Scorer.load()
    while not (posts := pending_posts(con, scorer.version, CHUNK)).is_empty():
        store.store_scored_chunk(con, posts, score_posts(scorer, posts), scorer.version)
        print("scored", posts.height, flush=True)
    con.close()
    print("done", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
