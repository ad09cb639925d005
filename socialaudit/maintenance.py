"""Keeping the store safe over the years: backups, restores, compaction and erasure.

Each operation holds the run lock, so it never races a nightly run, and leaves the dashboard's
serving copy republished from the result.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from socialaudit import db, decisions
from socialaudit.locking import run_lock
from socialaudit.settings import decisions_db_path
from transforms.publish import publish_serving_copy

MANIFEST = "manifest.json"


def backup(db_path: Path, destination: Path) -> Path:
    """Copy the checkpointed database and its decisions file into a new dated folder with a
    manifest of SHA-256 sums. Encrypted files stay encrypted in the backup."""
    with run_lock(db_path):
        con = db.connect(db_path)
        version = con.execute("SELECT max(version) FROM schema_version").fetchone()[0]
        con.execute("CHECKPOINT")
        con.close()
        folder = destination / datetime.now(UTC).strftime("socialaudit-backup-%Y%m%dT%H%M%SZ")
        folder.mkdir(parents=True)
        os.chmod(folder, 0o700)
        files = {}
        for source in (db_path, decisions_db_path(db_path)):
            if source.exists():
                target = folder / source.name
                shutil.copyfile(source, target)
                os.chmod(target, 0o600)
                files[source.name] = _sha256(target)
        manifest = {
            "created_at": datetime.now(UTC).isoformat(),
            "schema_version": version,
            "database": db_path.name,
            "files": files,
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return folder


def restore(backup_folder: Path, db_path: Path) -> None:
    """Put a backup back in place of the database, after checking every file's SHA-256."""
    manifest = json.loads((backup_folder / MANIFEST).read_text())
    for name, digest in manifest["files"].items():
        if _sha256(backup_folder / name) != digest:
            raise ValueError(
                f"{backup_folder.name}/{name} does not match its manifest; not restored"
            )
    targets = {
        manifest["database"]: db_path,
        decisions_db_path(Path(manifest["database"])).name: decisions_db_path(db_path),
    }
    with run_lock(db_path):
        for name, target in targets.items():
            if name not in manifest["files"]:
                continue
            staging = target.with_name(target.name + ".restoring")
            shutil.copyfile(backup_folder / name, staging)
            os.chmod(staging, 0o600)
            target.with_name(target.name + ".wal").unlink(missing_ok=True)
            os.replace(staging, target)
        publish_serving_copy(db_path)


@dataclass(frozen=True)
class Erasure:
    posts: int
    findings: int
    archives: int
    reviews: int


def erase_person(db_path: Path, person_id: str, actor: str, inbox: Path | None = None) -> Erasure:
    """Right to erasure: every trace of a person, then files rewritten so that no deleted
    bytes linger; the audit log records the erasure and the counts, never the content. With the
    inbox, the person's handled exports (processed/ and quarantine/ beside it) go too."""
    with run_lock(db_path):
        if inbox is not None:
            for shelf in ("processed", "quarantine"):
                for folder in (inbox.parent / shelf).glob(f"*/{person_id}"):
                    shutil.rmtree(folder)
        con = db.connect(db_path)
        finding_ids = [
            r[0]
            for r in con.execute(
                "SELECT finding_id FROM findings WHERE person_id = ?", [person_id]
            ).fetchall()
        ]
        counts = [
            int(con.execute(sql, [person_id]).fetchone()[0])
            for sql in (
                "SELECT count(*) FROM posts WHERE person_id = ?",
                "SELECT count(*) FROM findings WHERE person_id = ?",
                "SELECT count(*) FROM archives WHERE person_id = ?",
            )
        ]
        con.execute("BEGIN TRANSACTION")
        con.execute(
            "DELETE FROM scored_posts WHERE (platform, post_id) IN "
            "(SELECT platform, post_id FROM posts WHERE person_id = ?)",
            [person_id],
        )
        for table in ("findings", "posts", "archives", "accounts", "team_memberships", "people"):
            con.execute(f"DELETE FROM {table} WHERE person_id = ?", [person_id])
        con.execute("COMMIT")
        con.close()
        reviews = decisions.erase_reviews(
            decisions_db_path(db_path),
            finding_ids,
            actor,
            person_id,
            {"posts": counts[0], "findings": counts[1], "archives": counts[2]},
        )
        compact(db_path)
        compact(decisions_db_path(db_path))
        publish_serving_copy(db_path)
    return Erasure(counts[0], counts[1], counts[2], reviews)


def compact(path: Path) -> None:
    """Rewrite a database file into a fresh one, so deleted rows leave no bytes behind."""
    if not path.exists():
        return
    fresh = path.with_name(path.name + ".compacting")
    fresh.unlink(missing_ok=True)
    con = db.open_file(path)
    db.attach(con, fresh, "compacted", read_only=False)
    source = con.execute("SELECT current_database()").fetchone()[0]
    con.execute(f'COPY FROM DATABASE "{source}" TO compacted')
    con.execute("DETACH compacted")
    con.close()
    os.chmod(fresh, 0o600)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)
    os.replace(fresh, path)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def purge_unflagged_text(db_path: Path, older_than_days: int) -> int:
    """Retention: blank the text of posts stored more than `older_than_days` ago that no open
    case needs (no active finding, or only dismissed or resolved ones), with the excerpts of
    their findings, then rewrite the file so the words are gone. Returns posts purged."""
    with run_lock(db_path):
        purged = purge_unflagged_text_locked(db_path, older_than_days)
        publish_serving_copy(db_path)
    return purged


def purge_unflagged_text_locked(db_path: Path, older_than_days: int) -> int:
    """`purge_unflagged_text` for a caller that already holds the run lock (the audit)."""
    con = db.connect(db_path)
    try:
        closed = _closed_findings(db_path)
        con.execute("CREATE TEMP TABLE closed_findings (finding_id VARCHAR)")
        if closed:
            con.executemany("INSERT INTO closed_findings VALUES (?)", [[f] for f in closed])
        con.execute("BEGIN TRANSACTION")
        con.execute(
            """CREATE TEMP TABLE expired AS
               SELECT platform, post_id FROM posts p
               WHERE text_purged_at IS NULL
                 AND first_seen_at < now()::TIMESTAMP - to_days(?)
                 AND NOT EXISTS (
                     SELECT 1 FROM findings f
                     WHERE f.platform = p.platform AND f.post_id = p.post_id AND f.active
                       AND f.finding_id NOT IN (SELECT finding_id FROM closed_findings))""",
            [older_than_days],
        )
        purged = int(con.execute("SELECT count(*) FROM expired").fetchone()[0])
        con.execute("""UPDATE posts SET text = '', text_purged_at = now()::TIMESTAMP
                       WHERE (platform, post_id) IN (SELECT platform, post_id FROM expired)""")
        con.execute("""UPDATE findings SET excerpt = ''
                       WHERE (platform, post_id) IN (SELECT platform, post_id FROM expired)""")
        con.execute("COMMIT")
    finally:
        con.close()
    if purged:
        compact(db_path)
    return purged


def _closed_findings(db_path: Path) -> list[str]:
    path = decisions_db_path(db_path)
    if not path.exists():
        return []
    con = db.open_file(path, read_only=True)
    try:
        rows = con.execute(
            "SELECT finding_id FROM reviews GROUP BY finding_id "
            "HAVING arg_max(decision, decided_at) IN ('dismissed', 'resolved')"
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]
