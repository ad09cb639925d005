"""One measurement per process, so each peak memory figure is that measurement's own.

    python -m bench.measure NAME '{"json": "arguments"}'

prints one JSON object: `seconds` (wall clock of the measured part), `cpu_seconds` (user + system
time of the process over the same part, which a busy shared machine disturbs less), `peak_rss_mb`
(the process's resident high-water mark, imports included) and what the measurement counted.
Imports and set-up happen before the clock starts. The Presidio measurement runs in Presidio's own
virtual environment (its pins conflict with this project's), so it imports only spaCy from here.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def measured(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run `work` under the clocks; add the process's peak memory."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    rss_before = before.ru_maxrss / 1024
    start = time.perf_counter()
    counted = work()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return counted | {
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "peak_rss_mb": round(after.ru_maxrss / 1024),
        "rss_before_mb": round(rss_before),
    }


def ingest(archive: str, db_path: str) -> dict[str, Any]:
    """The product's ingest of one export into a new store, expectations included."""
    from socialaudit import db
    from transforms.ingest import ingest_export
    from transforms.normalise import posts_frame
    from transforms.records import Coverage
    from transforms.validate import validate_posts

    validate_posts(posts_frame([], None, Coverage()))  # GX loaded before the clock starts
    con = db.connect(db_path)

    def work() -> dict[str, Any]:
        result = ingest_export(con, Path(archive))
        assert result.status == "ingested", result.reason
        return {"posts": result.coverage["records_stored"]}

    return measured(work)


def read_json(json_files: list[str], db_path: str) -> dict[str, Any]:
    """The floor: DuckDB parsing the same tweets (JS prefix already stripped) into a table."""
    import duckdb

    con = duckdb.connect(db_path)
    con.execute("SET threads = 2")

    def work() -> dict[str, Any]:
        con.execute(
            """CREATE TABLE tweets AS
               SELECT t.tweet.id_str AS post_id, t.tweet.full_text AS text,
                      strptime(t.tweet.created_at, '%a %b %d %H:%M:%S %z %Y') AS created_at,
                      t.tweet.in_reply_to_status_id_str AS in_reply_to,
                      t.tweet.favorite_count::BIGINT AS like_count,
                      t.tweet.retweet_count::BIGINT AS repost_count
               FROM read_json(?, format = 'array') t""",
            [json_files],
        )
        con.execute("CHECKPOINT")
        return {"posts": con.execute("SELECT count(*) FROM tweets").fetchone()[0]}

    return measured(work)


def scoring(texts_file: str, only_category: str | None = None) -> dict[str, Any]:
    """The full rulebook (or one category of it) over the texts, in one process."""
    import dataclasses

    from transforms.scoring.engine import Scorer
    from transforms.scoring.rulebook import load_rulebook

    texts = _texts(texts_file)
    rulebook = load_rulebook()
    if only_category:
        rules = tuple(r for r in rulebook.rules if r.category == only_category)
        rulebook = dataclasses.replace(rulebook, rules=rules)
    scorer = Scorer(rulebook)
    list(scorer.score_many(texts[:100]))  # compiled and warm

    def work() -> dict[str, Any]:
        results = list(scorer.score_many(texts))
        return {
            "posts": len(texts),
            "rules": len(rulebook.rules),
            "findings": sum(map(len, results)),
            "posts_flagged": sum(1 for found in results if found),
        }

    return measured(work)


def tokenizer(texts_file: str) -> dict[str, Any]:
    """The floor: spaCy's blank English tokenizer alone over the same texts."""
    import spacy

    texts = _texts(texts_file)
    nlp = spacy.blank("en")
    list(nlp.pipe(texts[:100]))

    def work() -> dict[str, Any]:
        tokens = sum(len(doc) for doc in nlp.pipe(texts, batch_size=512))
        return {"posts": len(texts), "tokens": tokens}

    return measured(work)


def presidio(texts_file: str) -> dict[str, Any]:
    """Microsoft Presidio's analyzer with its pattern recognisers only and no model: its spaCy
    NLP engine is a blank English pipeline (the stock "blank:en" configuration tries to download
    a model compatibility table, which fails offline), and the NER recogniser is removed."""
    import logging

    import spacy
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    logging.disable(logging.CRITICAL)  # tldextract logs its failed suffix-list download

    class BlankEnglish(SpacyNlpEngine):
        def load(self) -> None:
            self.nlp = {"en": spacy.blank("en")}

    engine = BlankEnglish(models=[{"lang_code": "en", "model_name": "blank"}])
    engine.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=engine)
    registry.remove_recognizer("SpacyRecognizer")
    analyzer = AnalyzerEngine(nlp_engine=engine, registry=registry, supported_languages=["en"])
    texts = _texts(texts_file)
    for text in texts[:100]:  # warm, and past tldextract's one failed download
        analyzer.analyze(text=text, language="en")

    def work() -> dict[str, Any]:
        results = [analyzer.analyze(text=text, language="en") for text in texts]
        return {
            "posts": len(texts),
            "recognizers": len(registry.recognizers),
            "entities": sum(map(len, results)),
            "posts_flagged": sum(1 for found in results if found),
        }

    return measured(work)


def _texts(path: str) -> list[str]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


MEASUREMENTS: dict[str, Callable[..., dict[str, Any]]] = {
    "ingest": ingest,
    "read_json": read_json,
    "scoring": scoring,
    "tokenizer": tokenizer,
    "presidio": presidio,
}

if __name__ == "__main__":
    name, arguments = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(MEASUREMENTS[name](**arguments)))
