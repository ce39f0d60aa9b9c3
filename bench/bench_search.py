"""Full-text search over 1,000,000 generated entries: SQLite FTS5 and PostgreSQL vs a LIKE scan.

Run: .venv/bin/python -m bench.bench_search [--entries 1000000] [--backends sqlite,postgresql]
         [--repeat 20] [--budget 20] [--workdir /tmp] [--explain]
         [--keep | --build-only] [--reuse DIR ...]

`--keep` leaves each built database in place (its directory is printed; a PostgreSQL datadir is
stopped, not deleted) with its build figures in `build.json`; `--build-only` builds and keeps
without querying; `--reuse DIR` (once per backend) restarts on a kept database and only queries.
Delete kept databases by path when done.

For each backend: a database built by the real migrations, the `versehub demo` hub seeded
through the services, then generated entries up to `--entries` in total, inserted with bulk SQL
(sqlite3 executemany / PostgreSQL COPY from two processes) so the migration's search structures
do the indexing: FTS5's triggers on SQLite; the generated `search_vector` column on PostgreSQL,
whose GIN index is dropped before the load and created again after it with the migration's own
statement (much faster than maintaining it row by row), then VACUUM ANALYZE.

Text is deterministic (`--seed`): words are drawn from a Zipf-Mandelbrot distribution over a
200,000-word vocabulary whose top ranks are English function words (as in real text: ~40% of
tokens), then ~130 words of the hub's domain, then generated pseudo-words; 150-350 words of
content in sentences and paragraphs, 3-8 word titles, a summary, 1-3 tags, a plain-language
version for 10% of entries; 85% published, 95% public, spread over three years.

Each query runs through `versehub.modules.knowledge.service.search.list_` (the REST list and
search path: relevance order, 20 per page, highlights) inside an app context, for an anonymous
reader and an editor; the baseline is `LIKE '%word%'` on title or content with the same
visibility filter, newest first, same page size. The first call of each query is not timed; the
session is removed after each call, as after a request.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from tests.conftest import base_settings
from tests.servers import PostgresServer, postgres_bindir

from bench.machine import describe, load

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 5_000
VOCABULARY_SIZE = 200_000
ZIPF_SHIFT, ZIPF_EXPONENT = 2.7, 1.0
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)

FUNCTION_WORDS = (  # noqa: SIM905 - a sentence of words reads better than a 60-line list
    "the of and to a in is that for it as with was on be by this are or at from an not have "
    "which but can their they has more were one all we when there been if will so also other "
    "into about than its some only these may such who would what then them each most how"
).split()
DOMAIN_WORDS = (  # noqa: SIM905
    "access captions language deaf people sign video interpreter reading text audio school "
    "community students support meeting service information public accessible hearing plain "
    "words clear subtitles speech visual design screen teacher classroom content learning "
    "communication family children culture history technology device phone alert light "
    "vibration emergency message voice transcript live quality standard guide policy rights "
    "law museum theatre event online platform app keyboard contrast colour font layout "
    "summary level simple sentence question answer feedback review editor author draft "
    "publish library archive record report research study health doctor hospital appointment "
    "booking travel station train airport announcement display notice sound noise room "
    "group workshop training course lesson lecture university work job employer team office "
    "remote call chat email form website browser mobile network relay booth headset "
    "microphone camera recording lighting timing speed accuracy error correction"
).split()
TAG_COUNT = 200
MANIFEST = "build.json"  # build figures of a kept database, read back by --reuse


# --- text ------------------------------------------------------------------------------------
def pseudo_words(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    """`count` distinct pronounceable non-words, shorter ones first (frequent words are short)."""
    onsets = "b c d f g h j k l m n p r s t v w z br cl dr fl gr pl st tr sh ch th".split()  # noqa: SIM905
    vowels = "a e i o u ai ea ou io".split()  # noqa: SIM905
    codas = ["", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "rk"]
    words: list[str] = []
    seen = set(taken)
    # Up to this many words of 1, 2, then 3 syllables (1-syllable words run out near 1,900).
    for syllables, upto in ((1, 1_500), (2, 120_000), (3, count)):
        while len(words) < min(upto, count):
            word = "".join(
                rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas)
                for _ in range(syllables)
            )
            if word not in seen:
                seen.add(word)
                words.append(word)
    return words


class Corpus:
    """The vocabulary, its cumulative Zipf weights and the tag names (same for every process)."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"vocabulary-{seed}")
        known = FUNCTION_WORDS + DOMAIN_WORDS
        self.words = known + pseudo_words(rng, VOCABULARY_SIZE - len(known), set(known))
        self.stop = len(FUNCTION_WORDS)
        weights = [1 / (rank + ZIPF_SHIFT) ** ZIPF_EXPONENT for rank in range(len(self.words))]
        self.cum = list(_accumulate(weights))
        self.content_cum = list(_accumulate(weights[self.stop :]))
        self.tags = DOMAIN_WORDS[:60] + self.words[3000 : 3000 + TAG_COUNT - 60]

    def rank(self, word: str) -> int:
        """1-based rank of a word."""
        return self.words.index(word) + 1

    def probability(self, word: str) -> float:
        """Chance that one content token is `word`."""
        i = self.words.index(word)
        return (self.cum[i] - (self.cum[i - 1] if i else 0.0)) / self.cum[-1]


def _accumulate(values: list[float]) -> Iterator[float]:
    total = 0.0
    for value in values:
        total += value
        yield total


def _groups(items: list[str], rng: random.Random, low: int, high: int) -> Iterator[list[str]]:
    """`items` cut into consecutive runs of `low`..`high` (the last may be shorter)."""
    i = 0
    while i < len(items):
        n = rng.randint(low, high)
        yield items[i : i + n]
        i += n


def _sentences(words: list[str], rng: random.Random) -> list[str]:
    return [p[0].capitalize() + " " + " ".join(p[1:]) + "." for p in _groups(words, rng, 8, 20)]


def _paragraphs(sentences: list[str], rng: random.Random) -> list[str]:
    return [" ".join(p) for p in _groups(sentences, rng, 3, 6)]


def generate_chunk(corpus: Corpus, seed: int, chunk: int, first_id: int, count: int) -> list[tuple]:
    """Rows (entry dict values in COLUMNS order, tag ids) for ids first_id..first_id+count-1."""
    rng = random.Random(f"entries-{seed}-{chunk}")
    words, cum = corpus.words, corpus.cum
    content_words, content_cum = words[corpus.stop :], corpus.content_cum
    rows = []
    for entry_id in range(first_id, first_id + count):
        tokens = rng.choices(words, cum_weights=cum, k=rng.randint(150, 350))
        body = _paragraphs(_sentences(tokens, rng), rng)
        content = "\n\n".join(body)
        html = "".join(f"<p>{p}</p>\n" for p in body)
        title_words = rng.choices(content_words, cum_weights=content_cum, k=rng.randint(3, 8))
        title = " ".join(w.capitalize() if j == 0 else w for j, w in enumerate(title_words))
        summary = _sentences(rng.choices(words, cum_weights=cum, k=rng.randint(12, 30)), rng)
        plain = plain_html = plain_level = None
        if rng.random() < 0.10:
            plain_body = _sentences(rng.choices(words, cum_weights=cum, k=rng.randint(40, 80)), rng)
            plain = " ".join(plain_body)
            plain_html, plain_level = f"<p>{plain}</p>\n", rng.randint(1, 2)
        tag_ids = sorted(rng.sample(range(len(corpus.tags)), rng.randint(1, 3)))
        roll = rng.random()
        status = "published" if roll < 0.85 else "draft" if roll < 0.95 else "in_review"
        created = START + SPAN * (entry_id / 1_000_000) + timedelta(seconds=rng.randint(0, 600))
        rows.append(
            (
                {
                    "id": entry_id,
                    "title": title[:200],
                    "slug": f"{'-'.join(title_words)[:180]}-{entry_id}",
                    "summary": " ".join(summary)[:500],
                    "content": content,
                    "content_html": html,
                    "plain_language": plain,
                    "plain_language_html": plain_html,
                    "reading_level": rng.randint(1, 5),
                    "plain_language_reading_level": plain_level,
                    "tags_text": " ".join(sorted(corpus.tags[t] for t in tag_ids)),
                    "is_public": rng.random() < 0.95,
                    "published_at": created + timedelta(days=1) if status == "published" else None,
                    "category_index": rng.randrange(8),
                    "author_index": rng.randrange(4),
                    "created_at": created,
                    "updated_at": created,
                    "version": 1,
                    "status": status,
                },
                tag_ids,
            )
        )
    return rows


# --- building the database ---------------------------------------------------------------------
def app_settings(database_url: str, instance: Path) -> dict[str, Any]:
    """The test suite's settings (`env=testing`, fixed secrets, no limits, no worker): the
    search path does not depend on the environment."""
    return base_settings(instance, database_url)


def seed_hub(database_url: str, instance: Path) -> dict[str, Any]:
    """Migrate to head and seed the demo hub; returns the ids bulk rows refer to."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from versehub import create_app
    from versehub.extensions import db
    from versehub.modules.accounts.models import User
    from versehub.modules.knowledge import demo
    from versehub.modules.knowledge.models import Category, Entry, Tag

    app = create_app(app_settings(database_url, instance))
    with app.app_context():
        upgrade()
        demo.seed(password=lambda: "Bench-Search-" + os.urandom(8).hex())
        users = db.session.scalars(select(User.id).order_by(User.id)).all()
        categories = db.session.scalars(select(Category.id).order_by(Category.id)).all()
        existing = set(db.session.scalars(select(Tag.name)).all())
        max_id = db.session.scalar(select(func.max(Entry.id))) or 0
        count = db.session.scalar(select(func.count()).select_from(Entry)) or 0
        db.session.remove()
        db.engine.dispose()
    return {
        "authors": users,
        "categories": categories,
        "existing_tags": existing,
        "max_id": max_id,
        "demo_entries": count,
    }


def entry_columns() -> list[str]:
    """Columns the bulk rows fill; fails if the schema gained a required column we lack."""
    from versehub.modules.knowledge.models import Entry

    ours = {
        "id", "title", "slug", "summary", "content", "content_html", "plain_language",
        "plain_language_html", "reading_level", "plain_language_reading_level", "tags_text",
        "is_public", "published_at", "category_id", "author_id", "created_at", "updated_at",
        "version", "status",
    }  # fmt: skip
    table_columns = {c.name for c in Entry.__table__.columns}
    missing = {
        c.name
        for c in Entry.__table__.columns
        if c.name not in ours and not c.nullable and c.default is None
    }
    if missing:
        raise SystemExit(f"entries has required columns this bench does not fill: {missing}")
    return [c.name for c in Entry.__table__.columns if c.name in ours and c.name in table_columns]


def _values(row: dict[str, Any], hub: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    row = dict(row)
    row["category_id"] = hub["categories"][row.pop("category_index") % len(hub["categories"])]
    row["author_id"] = hub["authors"][row.pop("author_index") % len(hub["authors"])]
    return {c: row[c] for c in columns}


def tag_rows(corpus: Corpus, hub: dict[str, Any]) -> list[str]:
    """Generated tag names not yet in the hub."""
    return [t for t in corpus.tags if t not in hub["existing_tags"]]


def _chunks(total: int, first_id: int) -> list[tuple[int, int, int]]:
    return [
        (k, first_id + k * CHUNK, min(CHUNK, total - k * CHUNK))
        for k in range((total + CHUNK - 1) // CHUNK)
    ]


# SQLite -------------------------------------------------------------------------------------
_SQLITE_STAMP = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's SQLite DATETIME storage format
_worker_state: dict[str, Any] = {}


def _sqlite_worker(task: tuple[int, int, int]) -> list[tuple]:
    chunk, first_id, count = task
    return generate_chunk(_worker_state["corpus"], _worker_state["seed"], chunk, first_id, count)


def load_sqlite(path: Path, corpus: Corpus, hub: dict[str, Any], total: int, seed: int) -> None:
    """Bulk insert through sqlite3 (the FTS5 triggers index each row); two generator processes."""
    import sqlite3

    columns = entry_columns()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-262144")  # 256 MiB page cache for the load
    now = datetime.now(UTC).strftime(_SQLITE_STAMP)
    conn.executemany(
        "INSERT INTO tags(name, created_at) VALUES (?, ?)",
        [(t, now) for t in tag_rows(corpus, hub)],
    )
    tag_id = dict(conn.execute("SELECT name, id FROM tags").fetchall())
    tag_of = [tag_id[name] for name in corpus.tags]
    insert = f"INSERT INTO entries({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    _worker_state.update(corpus=corpus, seed=seed)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        for rows in pool.imap(_sqlite_worker, _chunks(total, hub["max_id"] + 1)):
            values, links = [], []
            for row, tags in rows:
                v = _values(row, hub, columns)
                for key in ("created_at", "updated_at", "published_at"):
                    if v[key] is not None:
                        v[key] = v[key].strftime(_SQLITE_STAMP)
                v["is_public"] = int(v["is_public"])
                values.append(tuple(v[c] for c in columns))
                links += [(row["id"], tag_of[t]) for t in tags]
            conn.executemany(insert, values)
            conn.executemany("INSERT INTO entry_tags(entry_id, tag_id) VALUES (?, ?)", links)
            conn.commit()
    conn.execute("PRAGMA optimize")
    conn.close()


# PostgreSQL ---------------------------------------------------------------------------------
def _pg_worker(task: tuple[int, int, int]) -> int:
    import psycopg

    chunk, first_id, count = task
    state = _worker_state
    rows = generate_chunk(state["corpus"], state["seed"], chunk, first_id, count)
    columns, hub = state["columns"], state["hub"]
    with psycopg.connect(state["url"]) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY entries ({', '.join(columns)}) FROM STDIN") as copy:
            for row, _ in rows:
                v = _values(row, hub, columns)
                copy.write_row(tuple(v[c] for c in columns))
        with cur.copy("COPY entry_tags (entry_id, tag_id) FROM STDIN") as copy:
            for row, tags in rows:
                for t in tags:
                    copy.write_row((row["id"], state["tag_of"][t]))
    return count


def load_postgres(
    url: str, corpus: Corpus, hub: dict[str, Any], total: int, seed: int, *, index: str
) -> dict[str, Any]:
    """COPY from two processes without a search index, then build `index` (rum or gin) with the
    app's own statement (`search_index.build`). Returns the index figures (with VACUUM)."""
    import psycopg

    from versehub.modules.knowledge.service.search_index import INDEX_NAMES

    now = datetime.now(UTC)
    with psycopg.connect(url, autocommit=True) as conn:
        for name in INDEX_NAMES.values():
            conn.execute(f"DROP INDEX IF EXISTS {name}")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO tags(name, created_at) VALUES (%s, %s)",
                [(t, now) for t in tag_rows(corpus, hub)],
            )
        tag_id = dict(conn.execute("SELECT name, id FROM tags").fetchall())
    _worker_state.update(
        corpus=corpus,
        seed=seed,
        url=url,
        hub=hub,
        columns=entry_columns(),
        tag_of=[tag_id[name] for name in corpus.tags],
    )
    with multiprocessing.get_context("fork").Pool(2) as pool:
        for _ in pool.imap_unordered(_pg_worker, _chunks(total, hub["max_id"] + 1)):
            pass
    started = time.perf_counter()
    figures = build_index(url, index)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT setval(pg_get_serial_sequence('entries', 'id'), max(id)) FROM entries")
        conn.execute("VACUUM ANALYZE")
    return {**figures, "index_seconds": round(time.perf_counter() - started, 1)}


def build_index(url: str, index: str) -> dict[str, Any]:
    """Make `index` (rum or gin) the only search index, as `search_index.build` does in the
    migration, with 1 GB of maintenance memory; returns its build seconds and size."""
    from sqlalchemy import create_engine, text

    from versehub.modules.knowledge.service import search_index

    engine = create_engine(url.replace("postgresql:", "postgresql+psycopg:", 1))
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))
        built = search_index.build(conn, choice=index)  # type: ignore[arg-type]
    seconds = round(time.perf_counter() - started, 1)
    with engine.connect() as conn:
        conn.execute(text("ANALYZE entries"))
        conn.commit()
        size = conn.scalar(
            text("SELECT pg_size_pretty(pg_relation_size(:i))"),
            {"i": search_index.INDEX_NAMES[built]},
        )
    engine.dispose()
    if built != index:
        raise SystemExit(f"asked for a {index} index, {built} was built")
    return {"index": built, "index_build_seconds": seconds, "index_size": size}


def postgres_url(server: PostgresServer) -> str:
    """A fresh database on the server (driver-less URL for psycopg)."""
    import psycopg

    with psycopg.connect(server.url("postgres").replace("+psycopg", ""), autocommit=True) as c:
        c.execute("CREATE DATABASE versehub_search")
    return server.url("versehub_search")


def tune_postgres(server: PostgresServer, shared_buffers: str) -> None:
    """A production-like buffer cache (needs a restart) and planner memory settings."""
    import psycopg

    with psycopg.connect(server.url("postgres").replace("+psycopg", ""), autocommit=True) as c:
        c.execute(f"ALTER SYSTEM SET shared_buffers = '{shared_buffers}'")
        c.execute("ALTER SYSTEM SET effective_cache_size = '12GB'")
        c.execute("ALTER SYSTEM SET work_mem = '16MB'")
    pg_ctl = str(server.bindir / "pg_ctl")
    # With a log file: otherwise the new postmaster keeps our output pipe open and we never return.
    log = str(server.root / "log")
    done = server._run(pg_ctl, "-D", str(server.datadir), "-l", log, "-m", "fast", "-w", "restart")
    if done.returncode != 0:
        raise RuntimeError(f"pg_ctl restart failed: {done.stderr}")


# --- queries ---------------------------------------------------------------------------------
def query_set(corpus: Corpus) -> dict[str, list[str]]:
    """Queries per kind; pseudo-words are picked by rank so their frequency is known."""
    w = corpus.words
    return {
        "common": ["access", "captions", "interpreter"],
        "medium": [w[2000], w[5000], w[9000]],
        "rare": [w[150_000], w[170_000], w[190_000]],
        "two_words": ["deaf students", "video " + w[2000], "emergency alert"],
        "phrase": ['"sign language"', '"live captions"', '"plain words"'],
        "no_hit": ["zqxjvkw", "xylophonequartz", "wqpmzz"],
    }


@contextmanager
def statements() -> Iterator[list[tuple[str, Any]]]:
    """Collect the SQL statements (and parameters) the app sends while the block runs."""
    from sqlalchemy import event

    from versehub.extensions import db

    seen: list[tuple[str, Any]] = []

    def record(*args: Any) -> None:  # conn, cursor, statement, parameters, context, many
        seen.append((args[2], args[3]))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def like_page(q: str, viewer: Any) -> list[Any]:
    """The naive baseline: LIKE '%word%' on title or content for every word, newest first."""
    from sqlalchemy import and_, or_, select

    from versehub.extensions import db
    from versehub.modules.knowledge.models import Entry
    from versehub.modules.knowledge.schemas import EntrySummary
    from versehub.modules.knowledge.service import permissions

    words = [q.strip('"')] if q.startswith('"') else re.findall(r"\w+", q)
    postgres = db.engine.dialect.name == "postgresql"  # SQLite's LIKE ignores ASCII case already

    def contains(column: Any, word: str) -> Any:
        return column.ilike(f"%{word}%") if postgres else column.like(f"%{word}%")

    match = and_(*(or_(contains(Entry.title, w), contains(Entry.content, w)) for w in words))
    stmt = (
        select(Entry)
        .where(permissions.visible_clause(viewer), match)
        .order_by(Entry.created_at.desc(), Entry.id.desc())
        .limit(21)
    )
    return [EntrySummary.model_validate(e) for e in db.session.scalars(stmt).all()[:20]]


def fts_page(q: str, viewer: Any) -> list[Any]:
    """The real path: what GET /api/v1/entries?q=... calls."""
    from versehub.modules.knowledge.schemas import ListQuery
    from versehub.modules.knowledge.service import search

    return search.list_(query=ListQuery(q=q, per_page=20), viewer=viewer).items


def time_query(
    run: Callable[[str, Any], list[Any]], q: str, viewer: Any, repeat: int, budget: float
) -> dict[str, Any]:
    """A warm-up call, then up to `repeat` timed calls (at least 3) within `budget` seconds.

    A warm-up slower than a second (a full scan: the data is in memory after the load either
    way) counts as the first sample, so slow baselines do not take four scans per query.
    """
    from versehub.extensions import db

    started = time.perf_counter()
    items = run(q, viewer)
    first = time.perf_counter() - started
    db.session.remove()
    samples: list[float] = [first * 1000] if first > 1 else []
    spent = first
    while len(samples) < repeat and (len(samples) < 3 or spent < budget):
        started = time.perf_counter()
        run(q, viewer)
        elapsed = time.perf_counter() - started
        db.session.remove()
        samples.append(elapsed * 1000)
        spent += elapsed
    return {"items": len(items), "samples_ms": [round(s, 2) for s in samples]}


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return round(ordered[max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))], 1)


def hit_counts(queries: dict[str, list[str]]) -> dict[str, int]:
    """How many entries each query matches (any status), from the search structure itself."""
    from sqlalchemy import text

    from versehub.extensions import db

    counts = {}
    for q in (q for qs in queries.values() for q in qs):
        if db.engine.dialect.name == "sqlite":
            sql = "SELECT count(*) FROM entries_fts WHERE entries_fts MATCH :m"
        else:
            sql = (
                "SELECT count(*) FROM entries "
                "WHERE search_vector @@ to_tsquery('english'::regconfig, :m)"
            )
        counts[q] = db.session.scalar(text(sql), {"m": backend_query(q)})
        db.session.remove()
    return counts


def backend_query(q: str) -> str:
    """The FTS5 MATCH or to_tsquery text the application sends for `q`."""
    from versehub.modules.knowledge.service import query_syntax
    from versehub.modules.knowledge.service.search_backends import current_search

    parsed = query_syntax.parse(q)
    assert parsed is not None, q
    return current_search().backend_query(parsed)


def page_statements(seen: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The statements that choose and rank a page (the ones with an ORDER BY over entries)."""
    return [s for s in seen if "entries" in s[0] and "ORDER BY" in s[0]]


def explain(q: str, viewer: Any) -> list[list[str]]:
    """The plans of the real page statements for `q` (EXPLAIN ANALYZE on PostgreSQL)."""
    from versehub.extensions import db

    with statements() as seen:
        fts_page(q, viewer)
    db.session.remove()
    plans = []
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        cursor = raw.cursor()
        for statement, params in page_statements(seen):
            if db.engine.dialect.name == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + statement, params)
                plans.append([" ".join(str(c) for c in row[1:]) for row in cursor.fetchall()])
            else:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                plans.append([row[0] for row in cursor.fetchall()])
        cursor.close()
    return plans


def diagnostics(q: str, viewer: Any, candidates: list[int]) -> dict[str, float]:
    """Median ms of the real statement and of simpler statements that isolate its parts.

    What each part costs: finding the matches, counting them, ranking them all to keep 21,
    the snippet or headline, the join to entries for visibility, sorting by date instead.
    """
    from sqlalchemy import text

    from versehub.extensions import db
    from versehub.modules.knowledge.service import search
    from versehub.modules.knowledge.service.search import BM25_WEIGHTS

    with statements() as seen:
        fts_page(q, viewer)
    db.session.remove()
    real = page_statements(seen)
    highlights = next(s for s in seen if "snippet(" in s[0] or "ts_headline(" in s[0])
    visible = "e.status = 'published' AND e.is_public"
    top = "DESC, e.id DESC LIMIT 21"
    if db.engine.dialect.name == "sqlite":
        params: dict[str, Any] = {"m": backend_query(q)}
        bm25 = "bm25(entries_fts, " + ", ".join(str(w) for w in BM25_WEIGHTS) + ")"
        match = "FROM entries_fts WHERE entries_fts MATCH :m"
        joined = (
            "FROM entries_fts JOIN entries e ON e.id = entries_fts.rowid "
            f"WHERE entries_fts MATCH :m AND {visible}"
        )
        snippet = "snippet(entries_fts, -1, '[', ']', '…', 24)"
        parts = {
            "count_matches": f"SELECT count(*) {match}",
            "top21_by_bm25": f"SELECT rowid {match} ORDER BY {bm25} LIMIT 21",
            # FTS5's own rank order (the alternative: weights set with the 'rank' option).
            "top21_by_fts5_rank_unweighted": f"SELECT rowid {match} ORDER BY rank LIMIT 21",
            "top21_by_bm25_with_snippet": f"SELECT rowid, {snippet} {match} "
            f"ORDER BY {bm25} LIMIT 21",
            "top21_by_bm25_visible": f"SELECT entries_fts.rowid {joined} ORDER BY {bm25} LIMIT 21",
            "newest21_visible_no_rank": f"SELECT e.id {joined} ORDER BY e.created_at {top}",
            "snippets_for_21_rows": f"SELECT rowid, {snippet} {match} AND rowid IN "
            f"(SELECT rowid {match} ORDER BY rowid DESC LIMIT 21)",
        }
    else:
        params = {"m": backend_query(q)}
        tsq = "to_tsquery('english'::regconfig, :m)"
        match = f"FROM entries e WHERE e.search_vector @@ {tsq}"
        cd, plain = f"ts_rank_cd(e.search_vector, {tsq})", f"ts_rank(e.search_vector, {tsq})"
        parts = {
            "count_matches": f"SELECT count(*) {match}",
            "top21_by_ts_rank_cd": f"SELECT e.id {match} ORDER BY {cd} {top}",
            "top21_by_ts_rank": f"SELECT e.id {match} ORDER BY {plain} {top}",
            "top21_by_ts_rank_cd_visible": f"SELECT e.id {match} AND {visible} ORDER BY {cd} {top}",
            "newest21_visible_no_rank": f"SELECT e.id {match} AND {visible} "
            f"ORDER BY e.created_at {top}",
            "headlines_for_21_rows": "SELECT ts_headline('english'::regconfig, concat_ws(' ', "
            f"e.title, e.summary, e.content, e.plain_language), {tsq}) FROM entries e WHERE e.id "
            f"IN (SELECT e.id {match} ORDER BY e.id DESC LIMIT 21)",
        }

    def timed(run: Callable[[], Any]) -> float:
        samples = []
        for _ in range(3):
            started = time.perf_counter()
            run()
            samples.append((time.perf_counter() - started) * 1000)
            db.session.remove()
        return round(statistics.median(samples), 1)

    def raw(*sqls: tuple[str, Any]) -> Callable[[], Any]:
        def run() -> None:
            with db.engine.connect() as conn:
                cursor = conn.connection.driver_connection.cursor()
                for sql, sql_params in sqls:
                    cursor.execute(sql, sql_params)
                    cursor.fetchall()
                cursor.close()

        return run

    out = {
        "page_statements_sql_only": timed(raw(*real)),
        "highlight_statement_sql_only": timed(raw(highlights)),
        "list_(): whole call": timed(lambda: fts_page(q, viewer)),
    }
    for size in candidates:  # the bound's cost, through the real path
        default, search.RANK_CANDIDATES = search.RANK_CANDIDATES, size
        try:
            out[f"list_() with RANK_CANDIDATES={size}"] = timed(lambda: fts_page(q, viewer))
        finally:
            search.RANK_CANDIDATES = default
    for name, sql in parts.items():
        out[name] = timed(partial(db.session.execute, text(sql), params))
    return out


def run_queries(database_url: str, instance: Path, corpus: Corpus, args: argparse.Namespace) -> Any:
    """Every query kind through the real path and through LIKE, for both viewers."""
    from sqlalchemy import select

    from versehub import create_app
    from versehub.extensions import db
    from versehub.modules.accounts.models import User
    from versehub.modules.accounts.service import principals, users

    queries = query_set(corpus)
    app = create_app(app_settings(database_url, instance))
    report: dict[str, Any] = {"queries": queries}
    with app.app_context():
        editor_id = db.session.scalar(select(User.id).where(User.username == "demo-editor"))
        editor = principals.for_person(user=users.get_or_404(user_id=editor_id))
        db.session.remove()
        report["hits"] = hit_counts(queries)
        viewers = {"anonymous": None, "editor": editor}
        results: dict[str, Any] = {}
        for viewer_name, viewer in viewers.items():
            methods = [("search", fts_page)]
            # A scan costs the same for both viewers: once is enough (and never with 0 queries).
            if viewer is None and args.like_queries > 0:
                methods.append(("like", like_page))
            for method, run in methods:
                for kind, all_qs in queries.items():
                    # A scan costs about the same whatever the word: one query per kind.
                    qs = all_qs[: args.like_queries] if method == "like" else all_qs
                    per_query = {
                        q: time_query(run, q, viewer, args.repeat, args.budget) for q in qs
                    }
                    samples = [s for r in per_query.values() for s in r["samples_ms"]]
                    results.setdefault(viewer_name, {}).setdefault(method, {})[kind] = {
                        "p50_ms": percentile(samples, 50),
                        "p95_ms": percentile(samples, 95),
                        "n": len(samples),
                        "per_query_p50_ms": {
                            q: percentile(r["samples_ms"], 50) for q, r in per_query.items()
                        },
                        "items": {q: r["items"] for q, r in per_query.items()},
                        "load_after": load(),
                    }
                    print(
                        viewer_name, method, kind, results[viewer_name][method][kind]["p50_ms"],
                        results[viewer_name][method][kind]["p95_ms"], load(),
                        file=sys.stderr, flush=True,
                    )  # fmt: skip
        report["results"] = results
        sizes = [int(n) for n in args.candidates.split(",")]
        report["diagnostics"] = {
            q: diagnostics(q, None, sizes)
            for q in (queries["common"][0], queries["medium"][0], queries["two_words"][0])
        }
        if args.explain:
            report["explain"] = {
                kind: {"query": qs[0], "anonymous": explain(qs[0], None)}
                for kind, qs in queries.items()
            }
        report["load_after_queries"] = load()
        db.session.remove()
        db.engine.dispose()
    return report


# --- the run ---------------------------------------------------------------------------------
def database_size(backend: str, target: Any) -> str:
    """On-disk size of the database after the load."""
    if backend == "sqlite":
        size = sum(p.stat().st_size for p in target.parent.glob(target.name + "*"))
    else:
        size = sum(p.stat().st_size for p in Path(target).rglob("*") if p.is_file())
    return f"{size / 1024**3:.1f} GiB"


def start_kept_postgres(root: Path) -> PostgresServer:
    """Start a server on a datadir kept by `--keep` (its tuned settings are in the datadir)."""
    bindir = postgres_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL server binaries not found")
    server = PostgresServer(bindir)
    shutil.rmtree(server.root, ignore_errors=True)  # the fresh folder it made: ours is `root`
    server.root, server.datadir = root, root / "data"
    options = f"-h 127.0.0.1 -p {server.port} -k {root} -c fsync=off -c full_page_writes=off"
    pg_ctl = str(bindir / "pg_ctl")
    done = server._run(pg_ctl, "-D", str(server.datadir), "-o", options, "-l", str(root / "log"),
                       "-w", "start")  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"pg_ctl start failed: {done.stderr}")
    return server


def stop_kept_postgres(server: PostgresServer) -> None:
    """Stop the server and keep its files."""
    pg_ctl = str(server.bindir / "pg_ctl")
    server._run(pg_ctl, "-D", str(server.datadir), "-m", "fast", "-w", "stop")


def build_backend(
    backend: str, args: argparse.Namespace, corpus: Corpus, workdir: Path
) -> tuple[dict[str, Any], str, PostgresServer | None]:
    """Migrate, seed and load a new database in `workdir`; returns build figures, URL, server."""
    server: PostgresServer | None = None
    report: dict[str, Any] = {"backend": backend}
    if backend == "sqlite":
        path = workdir / "search.db"
        url = f"sqlite:///{path}"
    else:
        bindir = postgres_bindir()
        if bindir is None:
            raise SystemExit("PostgreSQL server binaries not found")
        server = PostgresServer(bindir)
        server.start()
        tune_postgres(server, args.pg_shared_buffers)
        url = postgres_url(server)
        report["postgres_root"] = str(server.root)
    started = time.perf_counter()
    hub = seed_hub(url, workdir / "instance")
    report["seed_seconds"] = round(time.perf_counter() - started, 1)
    to_generate = max(0, args.entries - hub["demo_entries"])
    report["load_before"] = load()
    started = time.perf_counter()
    if backend == "sqlite":
        load_sqlite(path, corpus, hub, to_generate, args.seed)
    else:
        report.update(
            load_postgres(
                url.replace("+psycopg", ""), corpus, hub, to_generate, args.seed,
                index=args.search_index or "rum",
            )
        )  # fmt: skip
    report["entries"] = hub["demo_entries"] + to_generate
    report["load_seconds"] = round(time.perf_counter() - started, 1)
    report["size"] = database_size(
        backend, path if backend == "sqlite" else server.datadir if server else workdir
    )
    report["built_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    print(backend, "built", report, file=sys.stderr, flush=True)
    return report, url, server


def open_kept(workdir: Path) -> tuple[dict[str, Any], str, PostgresServer | None]:
    """A database built earlier with `--keep`: its build figures, URL and (restarted) server."""
    report = json.loads((workdir / MANIFEST).read_text())
    if report["backend"] == "sqlite":
        return report, f"sqlite:///{workdir / 'search.db'}", None
    server = start_kept_postgres(Path(report["postgres_root"]))
    return report, server.url("versehub_search"), server


def compare_indexes(
    url: str, instance: Path, corpus: Corpus, args: argparse.Namespace
) -> dict[str, Any]:
    """Query on GIN while RUM is built in a transaction left open (the planner cannot see it
    before it commits), then drop GIN in that transaction, commit, and query on RUM. The build
    shares the CPU with the GIN queries: their load is in the report."""
    import threading

    import psycopg

    from versehub.modules.knowledge.service.search_index import INDEX_NAMES, create_statement

    plain = url.replace("+psycopg", "")
    report: dict[str, Any] = {"gin": build_index(url, "gin")}
    conn = psycopg.connect(plain)  # a transaction until the swap
    built: dict[str, Any] = {}

    def build_rum() -> None:
        started = time.perf_counter()
        try:
            conn.execute("SET LOCAL maintenance_work_mem = '1GB'")
            conn.execute("CREATE EXTENSION IF NOT EXISTS rum")
            conn.execute(create_statement("rum"))
        except psycopg.Error as exc:
            built["error"] = repr(exc)
        built["index_build_seconds"] = round(time.perf_counter() - started, 1)
        print("rum index built", built, load(), file=sys.stderr, flush=True)

    builder = threading.Thread(target=build_rum, daemon=True)
    builder.start()
    report["gin"].update(run_queries(url, instance, corpus, args), rum_building=True)
    builder.join()
    if "error" in built:
        conn.rollback()
        raise SystemExit(f"RUM build failed: {built['error']}")
    conn.execute(f"DROP INDEX {INDEX_NAMES['gin']}")
    conn.commit()
    conn.close()
    with psycopg.connect(plain, autocommit=True) as c:
        c.execute("ANALYZE entries")
        row = c.execute("SELECT pg_size_pretty(pg_relation_size(%s))", (INDEX_NAMES["rum"],))
        size = row.fetchone()
    report["rum"] = {"index": "rum", **built, "index_size": size[0] if size else None}
    report["rum"].update(run_queries(url, instance, corpus, args))
    return report


def bench_backend(backend: str, args: argparse.Namespace, corpus: Corpus) -> dict[str, Any]:
    """Build (or reuse) the database, run the queries; delete it unless kept or reused."""
    reused = args.reuse.get(backend)
    keep = args.keep or args.build_only or reused is not None
    if reused is not None:
        workdir = Path(reused)
    else:
        workdir = Path(tempfile.mkdtemp(prefix=f"vh-bench-search-{backend}-", dir=args.workdir))
    server: PostgresServer | None = None
    try:
        if reused is not None:
            report, url, server = open_kept(workdir)
            report["reused"] = str(workdir)
            if backend == "postgresql" and args.search_index == "gin,rum":
                report["by_index"] = compare_indexes(url, workdir / "instance", corpus, args)
                return report
            if backend == "postgresql" and args.search_index:
                report.update(build_index(url, args.search_index))
        else:
            report, url, server = build_backend(backend, args, corpus, workdir)
            if keep:
                (workdir / MANIFEST).write_text(json.dumps(report, indent=2))
        if not args.build_only:
            report.update(run_queries(url, workdir / "instance", corpus, args))
    finally:
        if server is not None:
            (stop_kept_postgres if keep else PostgresServer.stop)(server)
        if keep:
            kept = [str(workdir)] + ([str(server.root)] if server else [])
            print(backend, "database kept in", *kept, file=sys.stderr, flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return report


def main() -> None:
    """Build and query each backend in turn; print a JSON report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000, help="total, demo included")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=20, help="timed calls per query (most)")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per query (soft)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", default=tempfile.gettempdir(), help="where databases go")
    parser.add_argument("--pg-shared-buffers", default="2GB")
    parser.add_argument("--like-queries", type=int, default=1, help="LIKE queries per kind")
    parser.add_argument("--explain", action="store_true", help="add the plan of each kind")
    parser.add_argument(
        "--candidates", default="500,1000,2000,5000", help="RANK_CANDIDATES sizes to time"
    )
    parser.add_argument(
        "--search-index", choices=["rum", "gin", "gin,rum"], default=None,
        help="PostgreSQL search index: built after the load (default rum), or made the only "
        "one of a --reuse'd database before querying (default: keep it); gin,rum (with "
        "--reuse): query on GIN while RUM builds, then on RUM",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the built databases")
    parser.add_argument("--build-only", action="store_true", help="build and keep, no queries")
    parser.add_argument(
        "--reuse", action="append", default=[], metavar="DIR",
        help="query a database kept by --keep (repeat per backend); nothing is built",
    )  # fmt: skip
    args = parser.parse_args()
    reuse = [Path(d) for d in args.reuse]
    args.reuse = {json.loads((d / MANIFEST).read_text())["backend"]: d for d in reuse}
    if args.reuse:
        args.backends = ",".join(args.reuse)
    started = time.perf_counter()
    corpus = Corpus(args.seed)
    report: dict[str, Any] = {
        "machine": describe(postgres_bindir()),
        "entries": args.entries,
        "vocabulary": {
            "size": len(corpus.words),
            "zipf": f"1/(rank+{ZIPF_SHIFT})^{ZIPF_EXPONENT}",
            "token_share_of_function_words": round(corpus.cum[corpus.stop - 1] / corpus.cum[-1], 3),
        },
        "backends": {},
    }
    for backend in args.backends.split(","):
        report["backends"][backend] = bench_backend(backend, args, corpus)
    report["total_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
