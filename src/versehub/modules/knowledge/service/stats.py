"""Counts of the knowledge vault for the admin overview (registered through core.stats)."""

from __future__ import annotations

from sqlalchemy import func, select

from versehub.core.states import ENTRY_WORKFLOW
from versehub.extensions import db
from versehub.modules.knowledge.models import Entry

RECYCLE_BIN = "in the recycle bin"


def count_by_status() -> dict[str, int]:
    """Entries per workflow status (every status, zeros included), and those in the recycle bin."""
    rows = db.session.execute(
        select(Entry.status, func.count()).where(Entry.deleted_at.is_(None)).group_by(Entry.status)
    ).all()
    found = {str(status): int(total) for status, total in rows}
    counts = {status: found.pop(status, 0) for status in ENTRY_WORKFLOW.states}
    counts.update(found)  # a status the workflow no longer has still counts
    binned = db.session.scalar(
        select(func.count()).select_from(Entry).where(Entry.deleted_at.is_not(None))
    )
    counts[RECYCLE_BIN] = int(binned or 0)
    return counts
