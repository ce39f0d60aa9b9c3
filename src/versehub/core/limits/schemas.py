"""The wire shape of a ban."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from versehub.core.api.pages import Pagination
from versehub.core.limits.bans import Ban


def _moment(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC).replace(microsecond=0)


class BanOut(BaseModel):
    """An active ban, as admins see it."""

    key: str = Field(description="Who is banned: `key:<id>`, `user:<id>` or `ip:<address>`.")
    reason: str = Field(description="`rate_limit` for auto-bans, else what the banner wrote.")
    violations: int = Field(description="Rate-limit violations that led to the ban.")
    actor: str = Field(
        description="Who banned: `system` (auto-ban), `cli`, or an admin's `user:<id>`."
    )
    created_at: datetime
    until: datetime

    @classmethod
    def from_ban(cls, ban: Ban) -> BanOut:
        """From the stored record."""
        return cls(
            key=ban.key,
            reason=ban.reason,
            violations=ban.violations,
            actor=ban.actor,
            created_at=_moment(ban.created_at),
            until=_moment(ban.until),
        )


class BanList(BaseModel):
    """`data` of `GET /admin/bans`."""

    items: list[BanOut]
    pagination: Pagination


class BanPath(BaseModel):
    """The banned caller in `/admin/bans/{key}`."""

    key: str = Field(
        min_length=1,
        max_length=200,
        pattern=r"^(ip|user|key):\S+$",
        description="As listed: `ip:<address>`, `user:<id>` or `key:<id>`.",
    )
