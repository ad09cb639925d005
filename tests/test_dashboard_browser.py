"""The dashboard in a real browser: the system's Chromium, driven by Selenium, against
`streamlit run dashboards/app.py` started here on the audited sample organisation.

A compliance officer signs in, sees the trend chart, opens a finding from the queue, dismisses it
with a reason, reloads and finds it dismissed, and the decision is in the decisions file's audit
log. A team lead sees only their team's findings and is refused a person from another team.
Screenshots go to artifacts/. Without Chromium the test skips, except under CI=true, where
it fails: .ci/run installs Chromium from the system packages.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dashboards.auth import cookie_secret
from socialaudit import db
from socialaudit.settings import PROJECT_ROOT, SAMPLE_DIR, decisions_db_path, serving_db_path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = PROJECT_ROOT / "artifacts"
PASSWORDS = {"officer": "demo-officer", "lead": "demo-lead"}  # docs/dashboard.md
WAIT_SECONDS = 20


def _require_browser() -> None:
    """Skip without Chromium, its driver or Selenium; under CI=true, fail instead."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package (pip install -e '.[dev]')")
    if not missing:
        return
    message = (
        f"the real-browser dashboard test needs {', '.join(missing)}: install them with "
        "`apt-get install chromium chromium-driver`"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _audit_sample(main: Path) -> None:
    """What `socialaudit demo` does, through the plain functions the flows call, without
    Prefect: roster, every export in the sample inbox, scoring, the serving copy."""
    from transforms import store
    from transforms.inbox import find_exports
    from transforms.ingest import ingest_export
    from transforms.publish import publish_serving_copy
    from transforms.roster import read_roster
    from transforms.score import pending_posts, score_posts
    from transforms.scoring.engine import Scorer

    scorer = Scorer.load()
    con = db.connect(main)
    try:
        store.apply_roster(con, read_roster(SAMPLE_DIR / "roster.csv"), date.today())
        for export in find_exports(SAMPLE_DIR / "inbox"):
            ingest_export(con, export.path, export.person_id)
        while not (posts := pending_posts(con, scorer.version, 5000)).is_empty():
            store.store_scored_chunk(con, posts, score_posts(scorer, posts), scorer.version)
    finally:
        con.close()
    publish_serving_copy(main)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit stopped (exit {server.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"streamlit was not healthy within 60 s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The dashboard's address and its main database, on the audited sample organisation."""
    _require_browser()
    folder = tmp_path_factory.mktemp("browser-org")
    main = folder / "socialaudit.duckdb"
    _audit_sample(main)
    users = shutil.copyfile(SAMPLE_DIR / "users.yaml", folder / "users.yaml")
    port = _free_port()
    env = dict(
        os.environ,
        SOCIALAUDIT_DB=str(main),
        SOCIALAUDIT_USERS=str(users),
        STREAMLIT_SERVER_COOKIE_SECRET=cookie_secret(main),
    )
    log = folder / "streamlit.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(PROJECT_ROOT / "dashboards" / "app.py"),
                "--server.address=127.0.0.1",
                f"--server.port={port}",
                "--server.headless=true",
                "--browser.gatherUsageStats=false",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, server, log)
        yield url, main
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


class Browser:
    """Chromium on the dashboard, with the moves a reviewer makes, found by widget keys
    (Streamlit gives each keyed widget's container the class `st-key-<key>`)."""

    def __init__(self, url: str, name: str) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.support.ui import WebDriverWait

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        self.profile = tempfile.mkdtemp(prefix="socialaudit-chromium-")
        for flag in (
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1400,1000",
            f"--user-data-dir={self.profile}",
        ):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.wait = WebDriverWait(self.driver, WAIT_SECONDS)
        self.url, self.name, self.shots = url, name, 0

    def close(self) -> None:
        self.screenshot("last")
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)

    def screenshot(self, step: str, showing: str | None = None) -> None:
        """Save the window to artifacts/, scrolled to the element `showing` when given."""
        if showing:
            self.driver.execute_script(
                "arguments[0].scrollIntoView({block: 'center'})", self.find(showing)
            )
        ARTIFACTS.mkdir(exist_ok=True)
        self.shots += 1
        self.driver.save_screenshot(
            str(ARTIFACTS / f"dashboard-{self.name}-{self.shots}-{step}.png")
        )

    def find(self, css: str):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as shown

        return self.wait.until(shown.visibility_of_element_located((By.CSS_SELECTOR, css)))

    def find_all(self, css: str) -> list:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait_for_text(self, text: str) -> None:
        self.wait.until(
            lambda driver: text in self.find('[data-testid="stMain"]').text,
            f"{text!r} never appeared",
        )

    def open(self, path: str = "") -> None:
        self.driver.get(f"{self.url}/{path}")

    def sign_in(self, username: str) -> None:
        self.find(".st-key-username input").send_keys(username)
        self.find(".st-key-password input").send_keys(PASSWORDS[username])
        self.find(".st-key-sign_in_submit button").click()
        self.find('[data-testid="stSidebarNav"]')

    def go_to(self, url_path: str, title: str) -> None:
        self.find(f'[data-testid="stSidebarNav"] a[href$="/{url_path}"]').click()
        self.wait.until(lambda driver: self.find("h1").text == title, f"no page {title!r}")

    def options(self, key: str) -> list[str]:
        """Open a select box's list and return its options, left open for `pick`."""
        self.find(f'.st-key-{key} button[aria-haspopup="listbox"]').click()
        return [option.text for option in self._listed()]

    def pick(self, key: str, text: str) -> None:
        if not self.find_all('[role="listbox"]'):
            self.options(key)
        [option] = [option for option in self._listed() if option.text == text]
        option.click()

    def _listed(self) -> list:
        return self.wait.until(lambda driver: self.find_all('[role="listbox"] [role="option"]'))

    def close_list(self) -> None:
        from selenium.webdriver.common.keys import Keys

        self.find("body").send_keys(Keys.ESCAPE)


@pytest.fixture
def officer(dashboard: tuple[str, Path]) -> Iterator[Browser]:
    browser = Browser(dashboard[0], "officer")
    yield browser
    browser.close()


@pytest.fixture
def lead(dashboard: tuple[str, Path]) -> Iterator[Browser]:
    browser = Browser(dashboard[0], "team-lead")
    yield browser
    browser.close()


def _decisions(main: Path) -> tuple[list[tuple], list[tuple]]:
    """The reviews and the audit log; none before the dashboard first writes the file."""
    if not decisions_db_path(main).exists():
        return [], []
    with duckdb.connect(str(decisions_db_path(main)), read_only=True) as con:
        reviews = con.execute("SELECT finding_id, decision, reviewer, note FROM reviews").fetchall()
        log = con.execute(
            "SELECT actor, action, subject, before, after FROM audit_log ORDER BY logged_at"
        ).fetchall()
    return reviews, log


def test_an_officer_dismisses_a_finding_and_it_stays_dismissed(
    dashboard: tuple[str, Path], officer: Browser
) -> None:
    _, main = dashboard
    officer.open()
    officer.sign_in("officer")
    officer.find('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg')
    officer.wait_for_text("Findings per 1,000 posts")
    officer.screenshot("overview")

    officer.go_to("findings_queue", "Findings queue")
    first = officer.options("finding")[1]  # the severest open finding; [0] is the prompt
    assert first.endswith(" · open")
    officer.pick("finding", first)
    officer.find(".st-key-action")
    officer.screenshot("finding", showing='[data-testid="stHtml"]')
    [dismiss] = [
        label for label in officer.find_all(".st-key-action label") if label.text == "Dismiss"
    ]
    dismiss.click()
    officer.find(".st-key-note textarea").send_keys("a quiz answer, no patient")
    officer.find(".st-key-record button").click()
    officer.wait_for_text("Recorded 1 decision(s).")
    officer.screenshot("dismissed")

    officer.driver.refresh()  # a new session: sign in again, and back on the same page
    officer.sign_in("officer")
    officer.wait.until(lambda driver: officer.find("h1").text == "Findings queue")
    dismissed = first.removesuffix(" · open") + " · dismissed"
    assert dismissed not in officer.options("finding")  # the default filter is open findings
    officer.close_list()
    officer.pick("status", "dismissed")
    officer.close_list()
    officer.wait.until(lambda driver: dismissed in officer.options("finding"))
    officer.pick("finding", dismissed)
    officer.wait_for_text("status: dismissed")
    officer.screenshot("after-reload", showing='[data-testid="stHtml"]')

    reviews, log = _decisions(main)
    [(finding_id, decision, reviewer, note)] = reviews
    assert (decision, reviewer, note) == ("dismissed", "officer", "a quiz answer, no patient")
    assert ("officer", "review", finding_id, "open", "dismissed") in log
    with duckdb.connect(str(serving_db_path(main)), read_only=True) as con:
        post_date, rule, person = con.execute(
            "SELECT CAST(f.post_created_at AS DATE), f.rule_id, p.display_name FROM findings f"
            " JOIN people p USING (person_id) WHERE finding_id = ?",
            [finding_id],
        ).fetchone()
    assert first == f"{post_date} · {rule} · {person} · open"  # the one the officer clicked


def test_a_team_lead_sees_only_their_team(dashboard: tuple[str, Path], lead: Browser) -> None:
    _, main = dashboard
    with duckdb.connect(str(serving_db_path(main)), read_only=True) as con:
        people = dict(
            con.execute(
                "SELECT p.display_name, m.team_id FROM people p JOIN team_memberships m"
                " USING (person_id)"
            ).fetchall()
        )
    lead.open()
    lead.sign_in("lead")
    lead.go_to("findings_queue", "Findings queue")
    assert lead.options("team") == ["ward-7"]
    lead.close_list()
    findings = lead.options("finding")[1:]
    assert findings, "the lead's team has open findings in the sample"
    assert {people[label.split(" · ")[2]] for label in findings} == {"acute/ward-7"}
    lead.close_list()
    lead.screenshot("queue")

    lead.open("person?person=p01")  # Daniel Okoro, of acute/emergency, by a typed address
    lead.sign_in("lead")
    lead.wait_for_text("That person has no findings in the teams you may see.")
    assert "Daniel Okoro" not in lead.find('[data-testid="stMain"]').text
    lead.screenshot("other-team-refused")
    _, log = _decisions(main)
    assert not [entry for entry in log if entry[:3] == ("lead", "view_person", "p01")]
