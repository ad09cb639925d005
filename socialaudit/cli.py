"""The `socialaudit` command line: a thin layer over flows/ and transforms/.

Heavy packages (Prefect, Great Expectations, spaCy) are imported inside the commands that need
them, so `socialaudit check` answers quickly.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from socialaudit.settings import SAMPLE_DIR, default_db_path

app = typer.Typer(
    help="Audit the social-media history of health and care professionals against their "
    "regulator's standards of conduct.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,  # help text is shown as written: [brackets] included
)
rules_app = typer.Typer(help="Test, lint and evaluate the rulebook.", no_args_is_help=True)
roster_app = typer.Typer(help="Manage the organisation's roster.", no_args_is_help=True)
users_app = typer.Typer(help="Manage the dashboard's local users.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(roster_app, name="roster")
review_app = typer.Typer(
    help="Review findings: list them, show one, record decisions.", no_args_is_help=True
)
app.add_typer(users_app, name="users")
app.add_typer(review_app, name="review")

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="DuckDB file [env SOCIALAUDIT_DB; default data/socialaudit.duckdb]"),
]
RunnerOption = Annotated[
    str | None,
    typer.Option(
        "--runner",
        help="Where scoring runs: threads, processes or dask [env SOCIALAUDIT_RUNNER; threads].",
    ),
]
AddressOption = Annotated[
    str | None,
    typer.Option(
        "--address",
        help="Dask scheduler, e.g. tcp://host:8786 [env SOCIALAUDIT_DASK_ADDRESS; a local one].",
    ),
]


def _db(path: Path | None) -> str:
    return str(path or default_db_path())


def _echo_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


@app.command()
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Export .zip, .tar.gz, .tgz, .tar files or unpacked folders."),
    ],
    person: Annotated[
        str | None, typer.Option(help="Roster person the exports belong to (checked).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Ingest exports as downloaded from the platforms (zipped, tarred or unpacked).

    An export split into several archives (Meta: ...-part1.zip, ...-part2.zip, or ..._1.zip,
    ..._2.zip) is read as ONE export when its parts are given together, or as a folder holding
    only them; a part missing from the numbering is reported.

    Without --person, each export is matched to a roster person by the account handle inside it,
    or stored as unassigned. Platforms are recognised by file names and structure wherever they
    sit in the export; only the person's own words are kept (reposts and boosts are counted and
    skipped, direct messages are not audited):

    \b
    X/Twitter   data/tweets.js, tweets-partN.js (older tweet.js, tweet-partN.js, the 2012-2018
                tweets.csv + data/js/tweets/), note-tweet.js, community-tweet.js,
                twitter-circle-tweet.js, deleted-tweets.js; account.js
    Facebook    JSON "Download your information": your_posts*.json or
                your_posts__check_ins__photos_and_videos_N.json, comments.json, group posts and
                comments, posts_on_other_pages_and_profiles.json (posts/,
                your_activity_across_facebook/, your_facebook_activity/);
                profile_information.json. Others' posts on your timeline
                (other_people's_posts_to_your_timeline.json) are counted, never audited
    Instagram   posts_N.json, reels.json, post_comments_N.json, reels_comments.json
                (your_instagram_activity/content or media/); personal_information.json, in
                any language; before 2020 media.json, comments.json, profile.json at the root
    Threads     threads_and_replies.json inside the Instagram export
    TikTok      user_data_tiktok.json (older user_data.json): videos and comments
    LinkedIn    Shares.csv, Comments.csv; Profile.csv
    Mastodon    outbox.json (ActivityStreams), actor.json, in the .zip or (before 4.1) the
                archive-*.tar.gz; visibility from to/cc
    Bluesky     repo.car (the repository export)
    Reddit      posts.csv, comments.csv
    Generic     socialaudit-posts.csv or socialaudit-posts.jsonl (docs/generic-input.md)

    Each export gets a coverage report: files recognised and ignored, records read, stored and
    skipped with the reason, and keys never seen before; per platform when one export holds
    two (Instagram with Threads), and the parts read and missing when it came in parts.
    """
    from flows.ingest import ingest as ingest_flow

    results = ingest_flow(_db(db), [str(p) for p in paths], person)
    for result in results:
        _print_ingest_result(result)
    if any(r["status"] == "quarantined" for r in results):
        raise typer.Exit(1)


def _print_ingest_result(result: dict[str, Any]) -> None:
    status = result["status"]
    typer.echo(
        f"{result['file_name']}: {status}" + (f" ({result['reason']})" if result["reason"] else "")
    )
    if status != "ingested":
        return
    coverage = result["coverage"]
    changes = result["changes"]
    typer.echo(
        f"  {result['platform']} [{result['layout']}] "
        f"person={result['person_id'] or 'unassigned'}: "
        f"read {coverage['records_read']}, stored {coverage['records_stored']} "
        f"(new {changes['added']}, edited {changes['edited']}, gone {changes['gone']})"
    )
    for reason, count in coverage["skipped"].items():
        typer.echo(f"  skipped {count}: {reason}")
    for platform, section in (coverage.get("platforms") or {}).items():
        skips = ", ".join(f"{reason} {count}" for reason, count in section["skipped"].items())
        typer.echo(
            f"  of which {platform}: read {section['records_read']}, "
            f"stored {section['records_stored']}" + (f" (skipped: {skips})" if skips else "")
        )
    typer.echo(
        f"  files recognised {len(coverage['files_recognised'])}, "
        f"ignored {len(coverage['files_ignored'])}"
    )
    if coverage["unknown_keys"]:
        typer.echo(f"  keys never seen before: {', '.join(coverage['unknown_keys'])}")
    parts = coverage.get("parts") or {}
    if parts:
        typer.echo(f"  read as one export from {len(parts['read'])} parts")
    if parts.get("missing"):
        missing = ", ".join(str(number) for number in parts["missing"])
        typer.echo(f"  MISSING part(s) {missing}: their posts are not audited; ingest all parts")


@app.command()
def score(db: DbOption = None, runner: RunnerOption = None, address: AddressOption = None) -> None:
    """Score every post not yet scored under the current rulebook version."""
    from flows.score import score as score_flow
    from socialaudit.locking import run_lock

    with run_lock(Path(_db(db))):
        _echo_json(score_flow(_db(db), runner=runner, address=address))


@app.command()
def audit(
    inbox: Annotated[Path, typer.Option(help="Inbox folder: inbox/<person_id>/<export>.")] = Path(
        "inbox"
    ),
    roster: Annotated[Path | None, typer.Option(help="Roster CSV to import first.")] = None,
    keep: Annotated[
        bool, typer.Option("--keep", help="Leave handled exports in the inbox.")
    ] = False,
    reports: Annotated[
        Path | None, typer.Option(help="Folder for run summaries [default: beside the db].")
    ] = None,
    webhook: Annotated[
        str | None, typer.Option(help="POST the summary here [env SOCIALAUDIT_WEBHOOK_URL].")
    ] = None,
    db: DbOption = None,
    runner: RunnerOption = None,
    address: AddressOption = None,
) -> None:
    """Run the nightly audit once: ingest new exports, validate, score, summarise.

    Handled exports move to processed/ or quarantine/ beside the inbox. Exit status: 0 when all
    went well, 1 when an export was quarantined, 2 when the run itself failed.
    """
    from flows.audit import audit as audit_flow

    # The audit's scoring step reads its task runner from the environment (flows/score.py).
    for variable, value in (("SOCIALAUDIT_RUNNER", runner), ("SOCIALAUDIT_DASK_ADDRESS", address)):
        if value:
            os.environ[variable] = value

    try:
        run = audit_flow(
            _db(db),
            str(inbox),
            str(roster) if roster else None,
            not keep,
            str(reports) if reports else None,
            webhook,
        )
    except Exception as error:  # the run is recorded as failed; say why without post text
        typer.echo(f"audit failed: {type(error).__name__}: {error}", err=True)
        raise typer.Exit(2) from None
    for archive in run["archives"]:
        _print_ingest_result(archive)
    _echo_json(run["counts"])
    typer.echo(f"summary: {run['report']}")
    if run["counts"]["archives_quarantined"]:
        raise typer.Exit(1)


@app.command()
def serve(
    inbox: Annotated[Path, typer.Option(help="Inbox folder: inbox/<person_id>/<export>.")] = Path(
        "inbox"
    ),
    roster: Annotated[Path | None, typer.Option(help="Roster CSV to import each night.")] = None,
    cron: Annotated[str, typer.Option(help="When to run (cron, local time).")] = "0 2 * * *",
    timezone: Annotated[
        str | None, typer.Option(help="IANA time zone for the cron [default: this machine's].")
    ] = None,
    db: DbOption = None,
) -> None:
    """Serve the nightly audit on a schedule with Prefect (starts a local Prefect server when
    PREFECT_API_URL is not set, and stops it on exit)."""
    from flows.serve import serve_audit

    parameters = {
        "db_path": str(Path(_db(db)).resolve()),
        "inbox": str(inbox.resolve()),
        "roster": str(roster.resolve()) if roster else None,
    }
    typer.echo(f"serving the audit on '{cron}'; stop with Ctrl-C")
    serve_audit(parameters, cron, timezone, lambda line: typer.echo(line))


@app.command()
def demo(db: DbOption = None) -> None:
    """Audit the bundled sample organisation and print what it found."""
    import shutil

    from dashboards.auth import users_path
    from flows.audit import audit as audit_flow

    result = audit_flow(
        _db(db), str(SAMPLE_DIR / "inbox"), str(SAMPLE_DIR / "roster.csv"), move=False
    )
    users = users_path(Path(_db(db)))
    if not users.exists():  # the demo's public sign-ins, never for real people
        shutil.copyfile(SAMPLE_DIR / "users.yaml", users)
    totals = result["totals"]
    typer.echo("socialaudit demo: the sample organisation\n")
    typer.echo(f"  people      {totals['people']} in {totals['teams']} teams")
    typer.echo(f"  archives    {totals['archives']} ingested, {totals['quarantined']} quarantined")
    typer.echo(f"  posts       {totals['posts']}")
    typer.echo(f"  findings    {totals['findings']}")
    for title, key in (
        ("by category", "by_category"),
        ("by severity", "by_severity"),
        ("by team", "by_team"),
    ):
        typer.echo(f"\n  {title}:")
        for name, count in totals[key].items():
            typer.echo(f"    {name:<28}{count:>5}")
    typer.echo(f"\nThis run: {json.dumps(result['counts'])}")
    typer.echo(
        "\nOpen the dashboard:  .venv/bin/socialaudit dashboard"
        "   (sample users: data/sample/users.yaml)"
    )


@app.command()
def check(
    text: Annotated[str | None, typer.Argument(help="The draft post.")] = None,
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help='Read {"id", "text"} lines from stdin.')
    ] = False,
    profile: Annotated[str, typer.Option(help="Standards profile: hcpc, nmc or gmc.")] = "hcpc",
) -> None:
    """Check text against the rulebook, with no database. Exits 1 on a high or critical finding."""
    from transforms.scoring.engine import Scorer

    scorer = Scorer.load(profile=profile)
    if jsonl:
        _check_jsonl(scorer)
        return
    if text is None:
        text = sys.stdin.read()
    findings = scorer.score(text)
    if not findings:
        typer.echo("No findings: nothing in this text breaks the rulebook.")
        return
    for finding in findings:
        typer.echo(
            f"[{finding.severity.upper()}] {finding.title} ({finding.rule_id}, {finding.category})"
        )
        typer.echo(f"  matched: {', '.join(repr(text[s:e]) for s, e in finding.spans)}")
        typer.echo(f"  why: {finding.message}")
        typer.echo(f"  what to do: {finding.guidance}")
        typer.echo(f"  standard: {finding.standard}\n")
    if any(f.severity in ("high", "critical") for f in findings):
        raise typer.Exit(1)


def _check_jsonl(scorer: Any) -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        item = json.loads(line)
        findings = scorer.score(item.get("text") or "")
        sys.stdout.write(
            json.dumps({"id": item.get("id"), "findings": [f.as_json() for f in findings]}) + "\n"
        )


@app.command()
def dashboard(
    port: Annotated[int, typer.Option(help="Port to serve on (localhost only).")] = 8501,
    db: DbOption = None,
) -> None:
    """Open the compliance dashboard (Streamlit) on the published serving copy."""
    import os
    import subprocess

    from dashboards.auth import cookie_secret
    from socialaudit.settings import PROJECT_ROOT

    # server.cookieSecret through the environment: a command line is readable by every local user.
    env = dict(
        os.environ,
        SOCIALAUDIT_DB=_db(db),
        STREAMLIT_SERVER_COOKIE_SECRET=cookie_secret(Path(_db(db))),
    )
    app_path = Path(__file__).resolve().parent.parent / "dashboards" / "app.py"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_path),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
    ]
    raise typer.Exit(subprocess.call(command, env=env, cwd=PROJECT_ROOT))


@roster_app.command("import")
def roster_import(
    file: Annotated[Path, typer.Argument(help="Roster CSV.")],
    db: DbOption = None,
) -> None:
    """Import a roster: people, teams, regulators and handles. All or nothing."""
    from datetime import date

    from socialaudit import db as database
    from transforms.roster import RosterError, read_roster
    from transforms.store import apply_roster

    try:
        roster = read_roster(file)
    except RosterError as error:
        for problem in error.problems:
            typer.echo(f"{file.name}: {problem}", err=True)
        raise typer.Exit(1) from None
    con = database.connect(_db(db))
    apply_roster(con, roster, date.today())
    con.close()
    typer.echo(
        f"{file.name}: {roster.people.height} people in {roster.teams.height} teams imported"
    )


def _officer_view(db: Path | None) -> Any:
    """A compliance officer's read-only view of the published copy and every decision."""
    from dashboards.access import Viewer, scope_for
    from dashboards.data_access import read_connection

    @contextmanager
    def view() -> Iterator[tuple[Any, Any]]:
        with read_connection(Path(_db(db))) as con:
            yield con, scope_for(Viewer("cli", "compliance_officer"), con)

    return view()


@review_app.command("list")
def review_list(
    status: Annotated[
        list[str] | None, typer.Option(help="open, confirmed, ... (repeatable)")
    ] = None,
    team: Annotated[list[str] | None, typer.Option(help="Team id (repeatable).")] = None,
    category: Annotated[list[str] | None, typer.Option(help="Category (repeatable).")] = None,
    severity: Annotated[list[str] | None, typer.Option(help="Severity (repeatable).")] = None,
    person: Annotated[str | None, typer.Option(help="One person's findings.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    db: DbOption = None,
) -> None:
    """List findings, most severe and newest first, with their current status."""
    from dashboards.queries import Filters, findings_queue

    filters = Filters(
        teams=tuple(team or ()),
        categories=tuple(category or ()),
        severities=tuple(severity or ()),
        statuses=tuple(status or ()),
    )
    with _officer_view(db) as (con, scope):
        rows = findings_queue(con, scope, filters, person, limit)
    for row in rows.iter_rows(named=True):
        typer.echo(
            f"{row['finding_id']}  {row['date']}  {row['severity']:<8} {row['status']:<9} "
            f"{row['rule']:<10} {row['team']:<20} {row['person']}"
        )
        typer.echo(f"    {row['excerpt']}")
    typer.echo(f"{rows.height} findings")


@review_app.command("show")
def review_show(finding_id: str, db: DbOption = None) -> None:
    """One finding: the post, the matched words, the rule, the standard and its history."""
    from dashboards.queries import finding_detail, review_history

    with _officer_view(db) as (con, scope):
        detail = finding_detail(con, scope, finding_id)
        history = review_history(con, finding_id) if detail else None
    if detail is None or history is None:
        typer.echo(f"no finding {finding_id}", err=True)
        raise typer.Exit(1)
    spans = json.loads(detail["spans"])
    typer.echo(
        f"{detail['rule_id']} [{detail['severity']}] {detail['category']}: {detail['status']}"
    )
    typer.echo(f"{detail['date']} {detail['platform']} {detail['url'] or ''}")
    typer.echo(f"person: {detail['person']} ({detail['team']})")
    typer.echo(f"matched: {', '.join(repr(detail['text'][s:e]) for s, e in spans)}")
    typer.echo(f"why: {detail['message']}\nwhat to do: {detail['guidance']}")
    typer.echo(f"standard: {detail['standard']}")
    for decided_at, reviewer, decision, note in history.iter_rows():
        typer.echo(f"  {decided_at:%Y-%m-%d %H:%M} {reviewer}: {decision} {note or ''}")


@review_app.command("decide")
def review_decide(
    finding_ids: Annotated[list[str], typer.Argument(help="One or more finding ids.")],
    decision: Annotated[
        str, typer.Option(help="confirmed, dismissed, escalated, resolved or open.")
    ],
    note: Annotated[str | None, typer.Option(help="Why (required to dismiss).")] = None,
    reviewer: Annotated[str, typer.Option(help="Who decides [default: $USER].")] = os.environ.get(
        "USER", "cli"
    ),
    db: DbOption = None,
) -> None:
    """Record a decision on findings; it is appended to the audit log and survives re-scoring."""
    from dashboards.data_access import record_decision
    from dashboards.queries import in_scope

    with _officer_view(db) as (con, scope):
        known = set(in_scope(con, scope, finding_ids))
    unknown = [f for f in finding_ids if f not in known]
    if unknown:
        typer.echo(f"no such findings: {', '.join(unknown)}", err=True)
        raise typer.Exit(1)
    try:
        for finding_id in finding_ids:
            record_decision(finding_id, decision, reviewer, note, Path(_db(db)))
    except ValueError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{len(finding_ids)} findings {decision}")


@app.command()
def backup(
    destination: Annotated[Path, typer.Argument(help="Folder that receives the backup.")],
    db: DbOption = None,
) -> None:
    """Back up the database and its decisions (checkpointed copies with SHA-256 manifest)."""
    from socialaudit.maintenance import backup as make_backup

    typer.echo(f"backup written to {make_backup(Path(_db(db)), destination)}")


@app.command()
def restore(
    folder: Annotated[Path, typer.Argument(help="A folder written by `socialaudit backup`.")],
    db: DbOption = None,
) -> None:
    """Restore a backup in place of the database, after checking its manifest."""
    from socialaudit.maintenance import restore as restore_backup

    try:
        restore_backup(folder, Path(_db(db)))
    except ValueError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"restored {folder.name}")


@app.command()
def purge(
    person: Annotated[str, typer.Option(help="Erase everything about this person.")],
    inbox: Annotated[
        Path | None, typer.Option(help="Also delete their handled exports beside this inbox.")
    ] = None,
    actor: Annotated[str, typer.Option(help="Who asks [default: $USER].")] = os.environ.get(
        "USER", "cli"
    ),
    db: DbOption = None,
) -> None:
    """Right to erasure: delete a person's data completely (recorded in the audit log without
    the erased content)."""
    from socialaudit.maintenance import erase_person

    erased = erase_person(Path(_db(db)), person, actor, inbox)
    typer.echo(
        f"{person}: erased {erased.posts} posts, {erased.findings} findings, "
        f"{erased.archives} archives, {erased.reviews} reviews"
    )


@app.command()
def retention(
    days: Annotated[int, typer.Option(help="Purge text of unflagged posts older than this.")],
    db: DbOption = None,
) -> None:
    """Retention: purge the text of posts stored more than DAYS ago that no open case needs."""
    from socialaudit.maintenance import purge_unflagged_text

    typer.echo(f"purged the text of {purge_unflagged_text(Path(_db(db)), days)} posts")


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Sign-in name, or e-mail for OIDC sign-in.")],
    role: Annotated[
        str, typer.Option(help="compliance_officer, team_lead or auditor.")
    ] = "auditor",
    team: Annotated[
        list[str] | None, typer.Option(help="A team a team lead may see (repeatable).")
    ] = None,
    oidc_only: Annotated[
        bool, typer.Option("--oidc-only", help="No password: sign in through the provider.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Add or replace a dashboard user in the local users file (password hashed with scrypt)."""
    from dashboards.auth import add_user, users_path

    password = None
    if not oidc_only:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        add_user(users_path(Path(_db(db))), username, role, list(team or []), password)
    except ValueError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{username}: {role} added to {users_path(Path(_db(db)))}")


@rules_app.command("test")
def rules_test() -> None:
    """Run every rule's examples: each 'flag' must be flagged by it, each 'pass' must not."""
    from transforms.scoring.examples import run_examples

    outcome = run_examples()
    for failure in outcome.failures:
        typer.echo(f"FAIL {failure}")
    typer.echo(f"{outcome.passed} passed, {len(outcome.failures)} failed")
    if outcome.failures:
        raise typer.Exit(1)


@rules_app.command("lint")
def rules_lint() -> None:
    """Refuse rules that target identity, belief or political view, or lack examples."""
    from transforms.scoring.lint import lint_rulebook

    problems = lint_rulebook()
    for problem in problems:
        typer.echo(f"LINT {problem}")
    typer.echo(f"{len(problems)} problems")
    if problems:
        raise typer.Exit(1)


@rules_app.command("diff")
def rules_diff(
    candidate: Annotated[Path, typer.Argument(help="Folder of the candidate rulebook.")],
    db: DbOption = None,
) -> None:
    """Preview a rulebook change on the stored history: findings that would appear and
    disappear, per rule and per team. Nothing is written."""
    from transforms.scoring.diff import preview_rulebook
    from transforms.scoring.engine import Scorer

    con = _read_only(db)
    changes = preview_rulebook(con, Scorer.load(candidate))
    con.close()
    if changes.is_empty():
        typer.echo("No change: the candidate rulebook finds exactly what the current one does.")
        return
    for change, rule_id, team, count in changes.iter_rows():
        typer.echo(f"{change:<10}{rule_id:<16}{team:<32}{count:>6}")


def _read_only(db: Path | None) -> Any:
    """The main database read-only, or its serving copy while a run holds the main one."""
    import duckdb

    from socialaudit import db as database
    from socialaudit.settings import serving_db_path

    path = Path(_db(db))
    try:
        return database.connect(path, read_only=True)
    except duckdb.IOException:
        return database.connect(serving_db_path(path), read_only=True)


@rules_app.command("train")
def rules_train() -> None:
    """Retrain the conduct classifier on eval/posts.jsonl and save it in the rulebook
    (models/conduct/): run after the labelled posts change. The rulebook version changes."""
    from socialaudit.settings import rules_dir
    from transforms.scoring.conduct_model import Masker
    from transforms.scoring.rulebook import load_rulebook
    from transforms.scoring.training import train

    folder = rules_dir()
    book = load_rulebook(folder)
    out, training = train(folder, list(book.categories), Masker.from_signals(book.signals))
    typer.echo(f"trained on {training['posts']} posts ({training['training_sha256'][:12]}): {out}")
    typer.echo(f"rulebook version {load_rulebook(folder).version}")


@rules_app.command("eval")
def rules_eval(
    labelled: Annotated[
        Path | None, typer.Argument(help="JSONL of {id, text, categories}.")
    ] = None,
    show_errors: Annotated[bool, typer.Option(help="List false positives and negatives.")] = True,
) -> None:
    """Precision, recall and F1 per category and per rule on a labelled set."""
    from socialaudit.settings import rules_dir
    from transforms.scoring.engine import Scorer
    from transforms.scoring.evaluation import evaluate, load_labelled

    path = labelled or rules_dir() / "eval" / "posts.jsonl"
    items = load_labelled(path)
    result = evaluate(Scorer.load(), items)
    typer.echo(f"{path.name}: {result.posts} posts\n")
    typer.echo(f"{'category':<24}{'prec':>7}{'recall':>8}{'F1':>7}{'tp':>5}{'fp':>5}{'fn':>5}")
    for name, s in [*result.by_category.items(), ("MICRO", result.micro)]:
        typer.echo(
            f"{name:<24}{s.precision:>7.3f}{s.recall:>8.3f}{s.f1:>7.3f}{s.tp:>5}{s.fp:>5}{s.fn:>5}"
        )
    typer.echo(f"\n{'rule':<24}{'prec':>7}{'tp':>5}{'fp':>5}")
    for rule_id, s in result.by_rule.items():
        typer.echo(f"{rule_id:<24}{s.precision:>7.3f}{s.tp:>5}{s.fp:>5}")
    if show_errors:
        by_id = {str(item["id"]): str(item["text"]) for item in items}
        typer.echo("\nfalse positives:")
        for post_id, category, rule_id in result.false_positives:
            typer.echo(f"  {post_id} {rule_id} ({category}): {by_id[post_id][:140]!r}")
        typer.echo("\nfalse negatives:")
        for post_id, category in result.false_negatives:
            typer.echo(f"  {post_id} {category}: {by_id[post_id][:140]!r}")


def _one_of(value: str | None, choices: tuple[str, ...], option: str) -> None:
    if value is not None and value not in choices:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(choices)}", param_hint=option)


@app.command("self-audit")
def self_audit(
    exports: Annotated[
        list[Path], typer.Argument(help="Your exports: .zip files or unpacked folders.")
    ],
    out: Annotated[
        Path | None,
        typer.Option(help="The report file (default: socialaudit-report.<format> here)."),
    ] = None,
    report_format: Annotated[str, typer.Option("--format", help="html, json or csv.")] = "html",
    since: Annotated[
        str | None, typer.Option(help="Only posts from this date: YYYY-MM-DD.")
    ] = None,
    platform: Annotated[
        list[str] | None, typer.Option(help="Only this platform, e.g. twitter (repeatable).")
    ] = None,
    min_severity: Annotated[
        str | None, typer.Option(help="Only findings this severe: low, medium, high, critical.")
    ] = None,
    profile: Annotated[str, typer.Option(help="Your regulator: hcpc, nmc or gmc.")] = "hcpc",
    include_marked: Annotated[
        bool, typer.Option("--include-marked", help="Also show findings you have marked.")
    ] = False,
    decisions: Annotated[
        Path | None,
        typer.Option(help="Your marks (default: ~/.socialaudit/self-audit-decisions.json)."),
    ] = None,
) -> None:
    """Audit your own exports on this computer and write one report. Nothing is stored or sent.

    Exit status: 0 when every export was read, 1 when one could not be (the report covers the
    others), 2 on a usage error.
    """
    from datetime import date

    from socialaudit import self_audit as audit_module
    from socialaudit.reports.self_audit_report import (
        FORMATS,
        default_path,
        summary_line,
        write_report,
    )
    from transforms.records import PLATFORMS

    _one_of(report_format, FORMATS, "--format")
    _one_of(min_severity, ("low", "medium", "high", "critical"), "--min-severity")
    _one_of(profile, ("hcpc", "nmc", "gmc"), "--profile")
    for name in platform or ():
        _one_of(name, PLATFORMS, "--platform")
    try:
        start = date.fromisoformat(since) if since else None
    except ValueError:
        raise typer.BadParameter(
            f"{since!r} is not a date YYYY-MM-DD", param_hint="--since"
        ) from None
    try:
        marks = audit_module.load_marks(decisions or audit_module.default_decisions_path())
    except audit_module.DecisionsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    filters = audit_module.Filters(start, tuple(platform or ()), min_severity)
    result = audit_module.run_self_audit(exports, filters, profile, marks, include_marked)
    for refused in result.refused:
        typer.echo(f"{refused.file_name}: could not be read ({refused.reason})", err=True)
    if not result.exports:
        typer.echo("No export could be read: no report written.", err=True)
        raise typer.Exit(1)
    path = out or default_path(report_format)
    write_report(result, path, report_format)
    typer.echo(f"Report written to {path.resolve()}")
    typer.echo(summary_line(result))
    if result.refused:
        raise typer.Exit(1)


@app.command("self-audit-mark")
def self_audit_mark(
    keys: Annotated[list[str], typer.Argument(help="Finding keys, as shown in the report.")],
    mark: Annotated[str, typer.Option("--as", help="reviewed, deleted or keep.")],
    decisions: Annotated[
        Path | None,
        typer.Option(help="Your marks (default: ~/.socialaudit/self-audit-decisions.json)."),
    ] = None,
) -> None:
    """Mark self-audit findings as reviewed, deleted or kept: the next self-audit hides them."""
    from socialaudit import self_audit as audit_module

    path = decisions or audit_module.default_decisions_path()
    try:
        count = audit_module.mark_findings(path, keys, mark)
    except audit_module.DecisionsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{count} findings marked {mark} in {path}")


@app.command()
def report(
    person: Annotated[str, typer.Option(help="The person's id in the roster.")],
    out: Annotated[Path, typer.Option(help="Folder for the HTML and CSV files.")] = Path("."),
    db: DbOption = None,
) -> None:
    """Write one person's evidence pack (HTML and CSV): each finding with its decision history,
    rulebook version and source archive (file name and SHA-256). The access is audit-logged."""
    from datetime import UTC, datetime

    from dashboards.data_access import NoDatabaseYet, log_access, read_connection
    from socialaudit.reports.evidence_pack import load_evidence, write_evidence_pack

    actor = os.environ.get("USER", "cli")
    main_db = Path(_db(db))
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        with read_connection(main_db) as con:
            pack = load_evidence(con, person, actor, now)
    except NoDatabaseYet as missing:
        typer.echo(str(missing), err=True)
        raise typer.Exit(1) from None
    if pack is None:
        typer.echo(f"no person {person} in the published database", err=True)
        raise typer.Exit(1)
    log_access(actor, "evidence_pack", person, main_db)
    html_path, csv_path = write_evidence_pack(pack, out)
    typer.echo(f"{len(pack.findings)} findings for {person}: {html_path} and {csv_path}")


def main() -> None:
    """The console script: a broken rulebook or a missing configured model is a one-line error
    (exit 2) naming the file, not a traceback."""
    from transforms.scoring.rulebook import RulebookError

    try:
        app()
    except RulebookError as error:
        typer.echo(f"rulebook error: {error}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
