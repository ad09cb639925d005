"""The benchmarks: every figure beside its floor, measured in the same run, printed as JSON.

    make bench                                   # sizes 10k,100k,1M,1GB
    .venv/bin/python -m bench.run --sizes 10k,100k --presidio-python PATH

* ingest: X archives of each size into a new store (posts/s, peak memory), beside DuckDB's
  read_json of the same tweets into a table; a size in GB is one tweets.js of about that many
  bytes (X splits its archives into parts of 200,000 tweets; this is the unsplit worst case);
  and one Facebook export (mojibake repaired);
* scoring: the full rulebook over generated posts, one process (posts/s per core), beside
  spaCy's bare tokenizer over the same texts;
* confidentiality: the rulebook's confidentiality rules beside Microsoft Presidio's analyzer
  with pattern recognisers only, on the same posts;
* `socialaudit check` cold: wall time of the command in a new process;
* the audit of a 50-person organisation (the CLI, Prefect included), then the nightly run with
  nothing new, and with new exports from five people holding 1% new posts.

Each measurement runs in its own process (bench/measure.py). Generated exports are cached in
--cache (default ~/.cache/socialaudit-bench), keyed by the generator's source, so a rerun only
measures. Progress goes to stderr, the JSON to stdout.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import generate

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SOCIALAUDIT = str(Path(PYTHON).parent / "socialaudit")
GENERATED_TWEET_BYTES = (
    1_040  # tweets.js bytes per generated post (its retweets and edits included)
)
CHECK_TEXT = "Lovely shift today, 84yo gent in bed 4 from Thornby kept us all laughing"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="10k,100k,1M,1GB", help="X archive sizes (posts, or GB of one tweets.js)"
    )
    parser.add_argument("--texts", type=int, default=20_000, help="posts to score")
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--posts-per-person", type=int, default=2_000)
    parser.add_argument("--presidio-python", help="a Python with presidio-analyzer installed")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "socialaudit-bench")
    parser.add_argument("--skip", default="", help="comma-separated sections to leave out")
    args = parser.parse_args()
    cache = args.cache / _generator_version()
    cache.mkdir(parents=True, exist_ok=True)
    skip = set(filter(None, args.skip.split(",")))
    report: dict[str, Any] = {"date": datetime.now(UTC).isoformat(timespec="seconds")}
    report["machine"] = _machine()
    report["command"] = " ".join(["python -m bench.run", *sys.argv[1:]])
    with tempfile.TemporaryDirectory(prefix="socialaudit-bench-") as scratch:
        work = Path(scratch)
        # The rulebook as it is now, for every measurement: an edit to rules/ during the run
        # would change its version and make a nightly run re-score everything.
        shutil.copytree(ROOT / "rules", work / "rules")
        os.environ["SOCIALAUDIT_RULES"] = str(work / "rules")
        if "ingest" not in skip:
            sizes = [_size(size) for size in args.sizes.split(",")]
            report["ingest_x"] = [_ingest_x(cache, work, *size) for size in sizes]
            report["ingest_facebook"] = _ingest_facebook(cache, work, 10_000)
        texts = _texts(cache, args.texts)
        if "scoring" not in skip:
            report["scoring"] = _scoring(texts)
        if "presidio" not in skip:
            report["confidentiality"] = _confidentiality(cache, args.presidio_python)
        if "check" not in skip:
            report["check_cold"] = _check_cold()
        if "audit" not in skip:
            report["audit"] = _audit(cache, work, args.people, args.posts_per_person)
    print(json.dumps(report, indent=2))


# -- ingest -----------------------------------------------------------------------------------


def _ingest_x(cache: Path, work: Path, posts: int, one_file: bool) -> dict[str, Any]:
    name = f"x-{posts}-one-file" if one_file else f"x-{posts}"
    per_part = posts if one_file else generate.TWEETS_PER_PART
    archive = _cached(
        cache / f"{name}.zip", lambda p: generate.write_x_archive(p, posts, 1, per_part=per_part)
    )
    with zipfile.ZipFile(archive) as zipped:
        tweets_bytes = zipped.getinfo("data/tweets.js").file_size
    _progress(f"ingest {posts} posts ({tweets_bytes / 1e6:.0f} MB in tweets.js)")
    ingest = _child("ingest", archive=str(archive), db_path=str(work / f"{name}.duckdb"))
    floor = _child(
        "read_json",
        json_files=_stripped_tweets(archive, cache / f"{name}-json"),
        db_path=str(work / f"{name}-floor.duckdb"),
    )
    return _beside(ingest, floor, "duckdb_read_json") | {"tweets_js_bytes": tweets_bytes}


def _ingest_facebook(cache: Path, work: Path, posts: int) -> dict[str, Any]:
    export = _cached(
        cache / f"facebook-{posts}.zip", lambda p: generate.write_facebook_export(p, posts, 2)
    )
    _progress(f"ingest a Facebook export of {posts} posts")
    return _rates(_child("ingest", archive=str(export), db_path=str(work / "facebook.duckdb")))


def _stripped_tweets(archive: Path, folder: Path) -> list[str]:
    """The archive's tweets files as plain JSON arrays (the `window.YTD... =` prefix removed),
    which is what DuckDB's read_json needs; written once, outside the measured time."""
    if not folder.exists():
        partial = folder.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        with zipfile.ZipFile(archive) as zipped:
            for name in zipped.namelist():
                if re.fullmatch(r"data/tweets(-part\d+)?\.js", name):
                    with (
                        zipped.open(name) as source,
                        (partial / f"{Path(name).stem}.json").open("wb") as target,
                    ):
                        head = source.read(64)
                        target.write(head[head.index(b"=") + 1 :])
                        shutil.copyfileobj(source, target, 1 << 20)
        partial.rename(folder)
    return sorted(str(path) for path in folder.glob("*.json"))


# -- scoring ----------------------------------------------------------------------------------


def _texts(cache: Path, count: int) -> Path:
    def write(path: Path) -> None:
        texts = generate.post_texts(random.Random(3))
        path.write_text(json.dumps([next(texts) for _ in range(count)]), encoding="utf-8")

    return _cached(cache / f"texts-{count}.json", write)


def _scoring(texts: Path) -> dict[str, Any]:
    _progress("scoring with the full rulebook, and the bare tokenizer")
    scored = _child("scoring", texts_file=str(texts))
    return _beside(scored, _child("tokenizer", texts_file=str(texts)), "spacy_tokenizer")


def _confidentiality(cache: Path, presidio_python: str | None) -> dict[str, Any]:
    texts = _texts(cache, 5_000)
    _progress("confidentiality rules, and Presidio's pattern recognisers")
    ours = _child("scoring", texts_file=str(texts), only_category="confidentiality")
    if not presidio_python:
        return _rates(ours) | {"presidio": "not measured: pass --presidio-python (make bench)"}
    presidio = _child("presidio", python=presidio_python, texts_file=str(texts))
    return _beside(ours, presidio, "presidio_pattern_only")


# -- the command line -------------------------------------------------------------------------


def _check_cold(repeats: int = 5) -> dict[str, Any]:
    _progress("socialaudit check, cold")
    walls = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([SOCIALAUDIT, "check", CHECK_TEXT], capture_output=True, check=False)
        walls.append(time.perf_counter() - start)
    return {
        "runs": repeats,
        "median_seconds": round(statistics.median(walls), 2),
        "min_seconds": round(min(walls), 2),
        "max_seconds": round(max(walls), 2),
    }


def _audit(cache: Path, work: Path, people: int, posts_each: int) -> dict[str, Any]:
    """The CLI audit of an organisation, then two nights: nothing new, then 1% new posts."""
    source = _cached(
        cache / f"org-{people}x{posts_each}",
        lambda folder: generate.write_organisation(folder, people, posts_each, 7),
    )
    org = work / "org"
    shutil.copytree(source, org)
    db_path = work / "org.duckdb"
    _progress(f"audit of {people} people x {posts_each} posts")
    first = _audit_run(org, db_path)
    _progress("nightly audit, nothing new")
    unchanged = _audit_run(org, db_path)
    newcomers = max(1, people // 10)
    new_posts = people * posts_each // 100
    for number in range(newcomers):  # a newer export: the whole history plus the new posts
        seed, handle, first_id = generate.person_archive(number, 7)
        generate.write_x_archive(
            org / "inbox" / f"p{number:03d}" / "x-newer.zip",
            posts_each + new_posts // newcomers,
            seed,
            handle,
            first_id,
            history=posts_each,
        )
    _progress(f"nightly audit, {new_posts} new posts in {newcomers} newer exports")
    one_percent = _audit_run(org, db_path)
    return {
        "people": people,
        "posts": first["counts"]["posts_added"],
        "first": first,
        "nightly_nothing_new": unchanged,
        "nightly_one_percent_new": one_percent
        | {"share_of_first_audit": round(one_percent["seconds"] / first["seconds"], 3)},
    }


def _audit_run(org: Path, db_path: Path) -> dict[str, Any]:
    command = [SOCIALAUDIT, "audit", "--inbox", str(org / "inbox"), "--roster"]
    command += [str(org / "roster.csv"), "--keep", "--db", str(db_path)]
    command += ["--reports", str(org / "reports")]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=_env())
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"audit failed ({done.returncode}): {done.stderr[-2000:]}")
    counts = json.loads(done.stdout[done.stdout.index("{") : done.stdout.rindex("}") + 1])
    summary = Path(done.stdout.rsplit("summary: ", 1)[1].strip()).read_text(encoding="utf-8")
    run_seconds = float(re.search(r"duration: ([\d.]+) s", summary)[1])
    keys = ("archives_ingested", "archives_unchanged", "posts_added", "posts_edited")
    keys += ("posts_scored", "findings_added")
    return {
        "seconds": round(seconds, 2),  # the command: start-up, Prefect's server, the run
        "run_seconds": run_seconds,  # the run itself, as its summary records it
        "counts": {key: counts[key] for key in keys},
    }


# -- helpers ----------------------------------------------------------------------------------


def _child(name: str, python: str = PYTHON, **arguments: Any) -> dict[str, Any]:
    done = subprocess.run(
        [python, "-m", "bench.measure", name, json.dumps(arguments)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(),
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _rates(result: dict[str, Any]) -> dict[str, Any]:
    posts = result["posts"]
    return result | {
        "posts_per_s": round(posts / result["seconds"]),
        "posts_per_cpu_s": round(posts / max(result["cpu_seconds"], 1e-9)),
    }


def _beside(ours: dict[str, Any], floor: dict[str, Any], name: str) -> dict[str, Any]:
    """Our figure, its floor, and how many times slower we are (wall and CPU time)."""
    ours, floor = _rates(ours), _rates(floor)
    return ours | {
        name: floor,
        "ratio": round(ours["seconds"] / floor["seconds"] * floor["posts"] / ours["posts"], 1),
        "ratio_cpu": round(
            ours["cpu_seconds"] / floor["cpu_seconds"] * floor["posts"] / ours["posts"], 1
        ),
    }


def _cached(path: Path, make: Any) -> Path:
    """Build `path` once (through a temporary name, so an interrupted build is redone)."""
    if not path.exists():
        partial = path.with_name(path.name + ".partial")
        if partial.is_dir():
            shutil.rmtree(partial)
        partial.unlink(missing_ok=True)
        _progress(f"generating {path.name}")
        make(partial)
        partial.rename(path)
    return path


def _generator_version() -> str:
    return hashlib.sha256(Path(generate.__file__).read_bytes()).hexdigest()[:12]


def _env() -> dict[str, str]:
    """Children run from the project root, with a private Prefect home and no telemetry."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), GX_ANALYTICS_ENABLED="false")
    env.setdefault("PREFECT_HOME", str(Path(tempfile.gettempdir()) / "socialaudit-bench-prefect"))
    return env


def _size(text: str) -> tuple[int, bool]:
    """Posts, and whether in one tweets.js: "100k" is 100,000 posts in parts as X writes
    them; "1GB" is one tweets.js of about a gigabyte."""
    text = text.strip().lower()
    if text.endswith("gb"):
        return int(float(text[:-2]) * 1e9 / GENERATED_TWEET_BYTES), True
    units = {"k": 1_000, "m": 1_000_000}
    return (int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)), False


def _machine() -> dict[str, Any]:
    memory = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    model = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    return {
        "cpus": os.cpu_count(),
        "cpu": model[1] if model else platform.processor(),
        "memory_gb": round(int(memory) / 1024**2, 1),
        "python": platform.python_version(),
        "system": platform.platform(),
        "load_average_at_start": [round(load, 2) for load in os.getloadavg()],
    }


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
