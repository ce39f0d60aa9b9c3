"""PostgreSQL's search index: RUM when the extension is available, GIN as the fallback.

Both are exercised on real databases: the test server has the rum extension (the migration
builds RUM), `versehub search reindex --index gin` and a database owned by a role that may not
create the extension give GIN. Under CI the extension must be there (no skip).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from tests.conftest import base_settings
from tests.modules.knowledge.conftest import People
from tests.modules.knowledge.support import publish, write
from tests.servers import PostgresServer
from versehub import create_app
from versehub.extensions import db
from versehub.modules.knowledge.models import FTS_TABLE, SEARCH_INDEX, SEARCH_RUM_INDEX
from versehub.modules.knowledge.schemas import ListQuery
from versehub.modules.knowledge.service import search
from versehub.modules.knowledge.service.search_index import SearchIndexError

_fresh = itertools.count()


def _require_rum(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as conn:
        available = conn.scalar(
            text("SELECT count(*) FROM pg_available_extensions WHERE name='rum'")
        )
    if not available:
        if os.environ.get("CI") == "true":
            pytest.fail("the rum extension is not installed (.ci/run installs postgresql-NN-rum)")
        pytest.skip("the rum extension is not installed on this machine")


def _health(app: Flask) -> tuple[int, dict[str, Any]]:
    response = app.test_client().get("/health/ready")
    return response.status_code, response.get_json()["modules"]["knowledge"]


def _cli(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["search", *args])


def _indexes(app: Flask) -> set[str]:
    with app.app_context(), db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT indexname FROM pg_indexes WHERE tablename = 'entries'")
        ).scalars()
        return {name for name in rows if name in (SEARCH_INDEX, SEARCH_RUM_INDEX)}


def _phrase_plan(app: Flask) -> str:
    """The plan of a phrase's candidates with sequential scans off (tiny tables get them)."""
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        rows = conn.execute(
            text(
                "EXPLAIN SELECT id FROM entries WHERE search_vector @@ "
                "to_tsquery('english', 'sign <-> languag') ORDER BY id + 0 DESC LIMIT 10"
            )
        ).scalars()
        return "\n".join(rows)


@pytest.mark.integration
@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
def test_the_migration_builds_rum_and_health_names_it(app: Flask) -> None:
    _require_rum(app)
    assert _indexes(app) == {SEARCH_RUM_INDEX}
    status, knowledge = _health(app)
    assert status == 200
    assert knowledge["status"] == "ok"
    assert knowledge["index"] == "rum"
    assert knowledge["rum_extension"] == "installed"
    assert knowledge["search_index"] == "auto"
    assert "note" not in knowledge
    assert SEARCH_RUM_INDEX in _phrase_plan(app)


@pytest.mark.integration
@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
def test_reindex_switches_between_rum_and_gin(app: Flask) -> None:
    _require_rum(app)
    result = _cli(app, "reindex", "--index", "gin")
    assert result.exit_code == 0, result.output
    assert result.output == "search index: gin\n"
    assert _indexes(app) == {SEARCH_INDEX}
    assert SEARCH_INDEX in _phrase_plan(app)
    status, knowledge = _health(app)
    assert (status, knowledge["status"], knowledge["index"]) == (200, "ok", "gin")
    assert "extension is available but the GIN index is in use" in knowledge["note"]
    shown = _cli(app, "status")
    assert shown.exit_code == 0
    assert "index: gin\n" in shown.output
    assert "rum_extension: installed\n" in shown.output

    result = _cli(app, "reindex")  # the setting: auto, so RUM again
    assert result.exit_code == 0, result.output
    assert result.output == "search index: rum\n"
    assert _indexes(app) == {SEARCH_RUM_INDEX}
    assert SEARCH_RUM_INDEX in _phrase_plan(app)
    assert "index: rum\n" in _cli(app, "status").output


@pytest.mark.integration
@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
@pytest.mark.parametrize(("setting", "index"), [("gin", "RUM"), ("rum", "GIN")])
def test_an_index_other_than_the_setting_degrades(make_app: Any, setting: str, index: str) -> None:
    app = make_app()
    _require_rum(app)
    if setting == "rum":
        assert _cli(app, "reindex", "--index", "gin").exit_code == 0
    configured = make_app(search_index=setting)
    status, knowledge = _health(configured)
    assert status == 200  # searches still answer
    assert knowledge["status"] == "degraded"
    assert knowledge["error"] == (
        f"search_index is {setting} but the {index} index is in use: run `versehub search reindex`"
    )
    assert _cli(configured, "reindex").output == f"search index: {setting}\n"
    assert _health(configured)[1]["status"] == "ok"


@pytest.mark.integration
@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
def test_no_search_index_degrades(app: Flask) -> None:
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text(f"DROP INDEX IF EXISTS {SEARCH_INDEX}"))
        conn.execute(text(f"DROP INDEX IF EXISTS {SEARCH_RUM_INDEX}"))
    status, knowledge = _health(app)
    assert status == 200
    assert knowledge["status"] == "degraded"
    assert knowledge["index"] is None
    assert "every search scans all entries; run `versehub search reindex`" in knowledge["error"]


def _searches(people: People) -> list[tuple[ListQuery, Any]]:
    """Words, phrases, or, exclusions, filters, sorts and pages, for each viewer."""
    queries = [
        ListQuery(q=q, per_page=per_page, **extra)
        for q in ("sign", "sign language", '"sign language"', "captions or subtitles",
                  "captions -draft", 'language -"sign language"', '"language sign"', "zzz")
        for per_page, extra in ((3, {}), (50, {}), (2, {"sort": "newest"}), (2, {"page": 2}),
                                (50, {"tag": "bsl"}), (50, {"sort": "title"}))
    ]  # fmt: skip
    return [(query, viewer) for query in queries for viewer in (None, people.editor)]


def _answers(people: People) -> list[list[tuple[int, float | None, str | None]]]:
    """Each search's pages, walked to the end by cursor: ids, scores, highlights."""
    answers = []
    for query, viewer in _searches(people):
        seen, cursor = [], None
        while True:
            page = search.list_(query=query.model_copy(update={"cursor": cursor}), viewer=viewer)
            seen += [(item.id, item.score, item.highlight) for item in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        answers.append(seen)
    return answers


@pytest.mark.integration
@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
def test_rum_and_gin_answer_every_search_the_same(app: Flask, ctx: Flask, people: People) -> None:
    _require_rum(app)
    texts = [
        ("Sign language basics", "Sign language uses hands and faces.", ["bsl"]),
        ("Language of the sign", "The sign comes first, then the language.", ["bsl"]),
        ("Live captions", "Real time captions for sign language events.", []),
        ("Subtitles", "Translated subtitles under films; captions differ.", ["film"]),
        ("Captions draft", "Draft notes on sign language captions.", ["bsl"]),
    ]
    for round_ in range(3):
        for title, content, tags in texts:
            entry = write(people.author, title=f"{title} {round_}", content=content, tags=tags)
            if round_ != 1:
                publish(entry, people.editor)
    db.session.commit()
    on_rum = _answers(people)
    assert any(on_rum), "the cases must find something"
    db.session.remove()
    assert _cli(app, "reindex", "--index", "gin").output == "search index: gin\n"
    assert _answers(people) == on_rum


@pytest.fixture
def fresh_database(pg_server: PostgresServer) -> Iterator[tuple[str, str]]:
    """An empty database owned by a role that is no superuser (may not create `rum`)."""
    name, role = f"vh_fresh_{next(_fresh)}", "vh_plain"
    admin = pg_server.url("postgres").replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f'CREATE DATABASE "{name}" OWNER {role} TEMPLATE template0')
    try:
        yield name, role
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _migrate(url: str, instance: Path, **settings: Any) -> Flask:
    app = create_app({**base_settings(instance, url), **settings})
    with app.app_context():
        try:
            upgrade()
        finally:
            db.engine.dispose()
    return app


@pytest.mark.integration
@pytest.mark.parametrize(
    ("superuser", "setting", "built"),
    [(True, "gin", {SEARCH_INDEX}), (False, "auto", {SEARCH_INDEX}),
     (False, "gin", {SEARCH_INDEX}), (True, "rum", {SEARCH_RUM_INDEX})],
)  # fmt: skip
def test_the_migration_follows_the_setting_and_falls_back_to_gin(
    pg_server: PostgresServer,
    fresh_database: tuple[str, str],
    tmp_path: Path,
    superuser: bool,
    setting: str,
    built: set[str],
) -> None:
    name, role = fresh_database
    url = pg_server.url(name)
    if not superuser:  # the owner of the database, as a hosted PostgreSQL would have it
        url = url.replace("postgres@", f"{role}@")
    app = _migrate(url, tmp_path / "instance", search_index=setting)
    _require_rum(app)
    assert _indexes(app) == built
    knowledge = _health(app)[1]
    assert knowledge["status"] == "ok"
    assert knowledge["index"] == ("rum" if SEARCH_RUM_INDEX in built else "gin")
    with app.app_context():
        downgrade(revision="06e1c51f6ff9-1")  # below the search-index revision: back to GIN
        db.engine.dispose()
    assert _indexes(app) == {SEARCH_INDEX}
    with app.app_context():
        db.engine.dispose()  # before the database is dropped


@pytest.mark.integration
def test_rum_required_but_refused_fails_the_migration(
    pg_server: PostgresServer, fresh_database: tuple[str, str], tmp_path: Path
) -> None:
    name, role = fresh_database
    url = pg_server.url(name).replace("postgres@", f"{role}@")
    with pytest.raises(SearchIndexError, match="the rum extension cannot be created"):
        _migrate(url, tmp_path / "instance", search_index="rum")


@pytest.mark.integration
@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
def test_reindex_to_rum_refused_keeps_gin(make_app: Any, database_url: str) -> None:
    app, role = make_app(), f"vh_reader_{next(_fresh)}"
    assert _cli(app, "reindex", "--index", "gin").exit_code == 0
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("DROP EXTENSION IF EXISTS rum"))
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(text(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}"))
        conn.execute(text(f"ALTER TABLE entries OWNER TO {role}"))
    plain = make_app(database_url=database_url.replace("postgres@", f"{role}@"))
    _require_rum(plain)
    result = _cli(plain, "reindex", "--index", "rum")
    assert result.exit_code == 1
    assert "the rum extension cannot be created" in result.output
    assert _indexes(plain) == {SEARCH_INDEX}
    fallback = _cli(plain, "reindex").output  # auto falls back, and says why
    assert "search.rum_unavailable" in fallback
    assert fallback.endswith("search index: gin\n")


def test_status_names_the_backend(app: Flask, db_backend: str) -> None:
    result = _cli(app, "status")
    assert result.exit_code == 0
    assert "status: ok\n" in result.output
    assert f"search: {'fts5' if db_backend == 'sqlite' else 'tsvector'}\n" in result.output


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
def test_reindex_rebuilds_fts5(app: Flask, people: People) -> None:
    with app.app_context():
        write(people.author, title="Captions everywhere")
        db.session.commit()
        with db.engine.begin() as conn:
            conn.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')"))
    assert _health(app)[1]["status"] == "degraded"
    result = _cli(app, "reindex")
    assert result.output == "search index: fts5\n"
    assert _health(app)[1]["status"] == "ok"
    with app.app_context():
        found = search.list_(query=ListQuery(q="captions"), viewer=people.editor).items
        assert [item.title for item in found] == ["Captions everywhere"]
