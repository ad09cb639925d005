"""Post text never appears in logs, tracebacks, Prefect's records or run summaries."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from socialaudit.settings import SAMPLE_DIR
from transforms.inbox import find_exports
from transforms.ingest import read_export

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_server")]


def sample_texts() -> list[str]:
    """Distinctive sample posts: long enough that finding one in output cannot be chance."""
    texts = []
    for export in find_exports(SAMPLE_DIR / "inbox"):
        texts += [t for t in read_export(export.path).posts["text"].to_list() if len(t) >= 40]
    return texts


def test_full_audit_logs_no_post_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL

    from flows.audit import audit

    caplog.set_level(logging.DEBUG)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for export in find_exports(SAMPLE_DIR / "inbox"):
        (inbox / str(export.person_id)).symlink_to(export.path.parent, target_is_directory=True)
    (inbox / "broken.zip").write_text("not a zip")  # failures are logged too
    run = audit(
        str(tmp_path / "org.duckdb"), str(inbox), str(SAMPLE_DIR / "roster.csv"), move=False
    )
    assert run["counts"]["findings_added"] > 0

    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    report = Path(run["report"]).read_text()
    prefect_db = Path(PREFECT_SERVER_DATABASE_CONNECTION_URL.value().split("///", 1)[1])
    prefect_bytes = prefect_db.read_bytes()
    assert b"audit" in prefect_bytes  # the flow runs are recorded there
    texts = sample_texts()
    assert len(texts) > 200
    for text in texts:
        probe = text[:40]
        assert probe not in logged, "post text in the logs"
        assert probe not in report, "post text in the run summary"
        assert probe.encode() not in prefect_bytes, "post text in Prefect's database"
