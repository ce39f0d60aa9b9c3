"""The admin overview: how many users, entries (through core.stats), bans and failed jobs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from versehub.core.jobs.deadletters import count_dead_letters
from versehub.core.limits.bans import BanStore, StoreError
from versehub.core.stats import Counts, collect_counts
from versehub.extensions import db
from versehub.modules.accounts.models import User, UserRole


@dataclass(frozen=True)
class Overview:
    """The numbers on the admin overview page."""

    users: int
    active_users: int
    admins: int
    counts: list[Counts]
    # None: the ban store could not be read just now.
    open_bans: int | None
    failed_jobs: int


def _count(*where: object) -> int:
    query = select(func.count()).select_from(User)
    for clause in where:
        query = query.where(clause)  # type: ignore[arg-type]
    return int(db.session.scalar(query) or 0)


def get_overview(*, bans: BanStore) -> Overview:
    """Counts of users, each module's registered counts, open bans and failed jobs."""
    try:
        open_bans: int | None = len(bans.list())
    except StoreError:
        open_bans = None
    return Overview(
        users=_count(),
        active_users=_count(User.is_active.is_(True)),
        admins=_count(User.role_rows.any(UserRole.role == "admin")),
        counts=collect_counts(),
        open_bans=open_bans,
        failed_jobs=count_dead_letters(),
    )
