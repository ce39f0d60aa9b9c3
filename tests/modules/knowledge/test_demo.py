"""`versehub demo`: a realistic hub seeded through the services, idempotently."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import func, select

from tests.modules.knowledge.support import write
from versehub.core.auth import Principal
from versehub.extensions import db
from versehub.modules.accounts.models import User
from versehub.modules.accounts.service import passwords, users
from versehub.modules.accounts.service.meta import CLI
from versehub.modules.knowledge import demo
from versehub.modules.knowledge.models import Category, Entry
from versehub.modules.knowledge.schemas import ListQuery
from versehub.modules.knowledge.service import categories, search

PASSWORD_LINE = re.compile(r"created (\S+) <\S+> roles=\S+ password: (\S+)")


def run_demo(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["demo", *args])
    assert result.exit_code == 0, result.output
    return result.output


def counts(app: Flask) -> list[int]:
    """Entries, categories and users."""
    with app.app_context():
        return [
            db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Entry, Category, User)
        ]


def test_demo_seeds_a_realistic_hub(app: Flask) -> None:
    output = run_demo(app, "--if-empty")

    printed = dict(PASSWORD_LINE.findall(output))
    specs = demo.load_content().users
    assert set(printed) == {u.username for u in specs}
    with app.app_context():
        for spec in specs:
            user = users.get_by_login(login=spec.username)
            assert user is not None
            assert set(spec.roles) <= user.roles
            assert passwords.verify_password(user.password_hash, printed[spec.username])
        rows = list(db.session.scalars(select(Entry)))
        assert len(rows) >= 60
        assert len({e.title for e in rows}) == len(rows)
        assert len({e.category_id for e in rows}) == 8
        assert len(categories.list_()) == 8
        assert sum(e.plain_language is not None for e in rows) >= 10
        published = [e for e in rows if e.status == "published"]
        assert len(published) > len(rows) * 0.75
        assert len({e.reading_level for e in published}) >= 3
        assert {e.status for e in rows} == {"draft", "in_review", "published"}
        assert any(not e.is_public for e in published)
        assert all(e.tags for e in rows)


def test_passwords_are_random_each_time() -> None:
    generated = {demo.new_password() for _ in range(20)}
    assert len(generated) == 20
    assert all(len(p) >= 12 for p in generated)


def test_demo_twice_adds_nothing(app: Flask) -> None:
    run_demo(app, "--if-empty")
    before = counts(app)

    again = run_demo(app, "--if-empty")
    assert "nothing seeded" in again
    assert "password" not in again
    # Without --if-empty it still adds nothing: everything is found by name and slug.
    forced = run_demo(app)
    assert "0 entries and 0 categories created" in forced
    assert "password:" not in forced
    assert counts(app) == before


def test_if_empty_leaves_a_hub_with_entries_alone(app: Flask) -> None:
    with app.app_context():
        user = users.create(
            email="solo@example.com",
            username="solo",
            password="a long enough password 42",
            meta=CLI,
        )
        write(Principal(kind="user", user_id=user.id, roles=frozenset({"member"})))
    before = counts(app)

    assert "nothing seeded" in run_demo(app, "--if-empty")
    assert counts(app) == before


def test_every_category_colour_passes_contrast(app: Flask) -> None:
    for spec in demo.load_content().categories:
        text = categories.text_colour_for(spec.colour)
        assert categories.contrast(spec.colour, text) >= categories.AA_NORMAL_TEXT
    run_demo(app)
    with app.app_context():
        for category in categories.list_():
            assert categories.contrast(category.colour, category.text_colour) >= 4.5


def test_published_entries_are_visible_to_anonymous_viewers(app: Flask) -> None:
    run_demo(app)
    with app.app_context():
        rows = list(db.session.scalars(select(Entry)))
        open_slugs = {e.slug for e in rows if e.status == "published" and e.is_public}
        page = search.list_(query=ListQuery(per_page=100), viewer=None)
        assert not page.has_more
        assert {item.slug for item in page.items} == open_slugs
        found = search.search(query=ListQuery(q="interpreter", per_page=100), viewer=None)
        assert found.items
        assert {item.slug for item in found.items} <= open_slugs
