"""Seeding the demo hub through the services, idempotently.

Users, categories and entries that already exist (by username, name and slug) are left alone,
so running it again adds nothing. Demo passwords are generated at random each time a user is
created and returned once in the report; they are never stored anywhere else.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from versehub.core.auth import Principal
from versehub.extensions import db
from versehub.modules.accounts.service import principals, users
from versehub.modules.accounts.service.meta import CLI
from versehub.modules.knowledge.demo.content import (
    REVIEWER,
    DemoCategory,
    DemoEntry,
    DemoUser,
    load_content,
)
from versehub.modules.knowledge.models import Entry
from versehub.modules.knowledge.schemas import CategoryCreate, EntryCreate
from versehub.modules.knowledge.service import categories, entries, slugs


@dataclass
class DemoReport:
    """What a seeding run did; `passwords` holds only the users it created (shown once)."""

    users_created: list[DemoUser] = field(default_factory=list)
    users_existing: list[DemoUser] = field(default_factory=list)
    passwords: dict[str, str] = field(default_factory=dict)
    categories_created: int = 0
    entries_created: int = 0
    entries_existing: int = 0
    skipped: bool = False

    def lines(self) -> list[str]:
        """What `versehub demo` prints about this run."""
        if self.skipped:
            return ["demo: the hub already has entries; nothing seeded"]
        out = [
            f"demo: {self.entries_created} entries and {self.categories_created} categories "
            f"created ({self.entries_existing} entries already there)"
        ]
        out += [
            f"  created {spec.username} <{spec.email}> roles={','.join(spec.roles)} "
            f"password: {self.passwords[spec.username]}"
            for spec in self.users_created
        ]
        out += [
            f"  {spec.username} already exists (password unchanged)" for spec in self.users_existing
        ]
        if self.users_created:
            out.append("Note these passwords now: they are not stored or shown again.")
        return out


def new_password() -> str:
    """A random password for a demo account (about 130 bits)."""
    return secrets.token_urlsafe(22)


def entry_count() -> int:
    """How many entries the hub has, in any state."""
    return db.session.scalar(select(func.count()).select_from(Entry)) or 0


def _ensure_users(
    specs: tuple[DemoUser, ...], report: DemoReport, password: Callable[[], str]
) -> dict[str, Principal]:
    people: dict[str, Principal] = {}
    for spec in specs:
        user = users.get_by_login(login=spec.username)
        if user is None:
            secret = password()
            user = users.create(
                email=spec.email,
                username=spec.username,
                password=secret,
                roles=spec.roles,
                meta=CLI,
            )
            report.users_created.append(spec)
            report.passwords[spec.username] = secret
        else:
            report.users_existing.append(spec)
        people[spec.key] = principals.for_person(user=user)
    return people


def _ensure_categories(
    specs: tuple[DemoCategory, ...], report: DemoReport, editor: Principal
) -> dict[str, str]:
    existing = {c.name.lower(): c.slug for c in categories.list_()}
    slug_of: dict[str, str] = {}
    for spec in specs:
        slug = existing.get(spec.name.lower())
        if slug is None:
            data = CategoryCreate(name=spec.name, colour=spec.colour, description=spec.description)
            slug = categories.create(data=data, viewer=editor).slug
            report.categories_created += 1
        slug_of[spec.name] = slug
    return slug_of


def _write(spec: DemoEntry, *, people: dict[str, Principal], category: str) -> None:
    meta = spec.meta
    author = people[meta.author]
    data = EntryCreate(
        title=meta.title,
        content=spec.content,
        summary=meta.summary,
        plain_language=spec.plain_language,
        category=category,
        tags=list(meta.tags),
        is_public=meta.is_public,
        slug=spec.slug,
    )
    entry = entries.create(data=data, viewer=author)
    if meta.status == "draft":
        return
    entries.change_status(entry_id=entry.id, to="in_review", viewer=author)
    if meta.status == "published":
        entries.change_status(entry_id=entry.id, to="published", viewer=people[REVIEWER])


def seed(*, if_empty: bool = False, password: Callable[[], str] = new_password) -> DemoReport:
    """Create the demo users, categories and entries that are missing; commits as it goes."""
    report = DemoReport()
    if if_empty and entry_count() > 0:
        report.skipped = True
        return report
    content = load_content()
    people = _ensure_users(content.users, report, password)
    slug_of = _ensure_categories(content.categories, report, people[REVIEWER])
    for spec in content.entries:
        if slugs.is_taken(Entry.slug, spec.slug):
            report.entries_existing += 1
            continue
        _write(spec, people=people, category=slug_of[spec.meta.category])
        report.entries_created += 1
    return report
