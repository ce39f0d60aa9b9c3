"""The entry.* events this module publishes (always after the commit) and sign-video providers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from flask import Flask, current_app

from versehub.core.events import publish
from versehub.modules.knowledge.models import Entry

log = structlog.get_logger(__name__)

ENTRY_CREATED = "entry.created"
ENTRY_UPDATED = "entry.updated"
ENTRY_PUBLISHED = "entry.published"
ENTRY_DELETED = "entry.deleted"
# Workflow moves publish their own events (core.states.ENTRY_WORKFLOW): entry.published,
# entry.withdrawn, entry.sent_back, entry.archived; other moves publish entry.updated. Every move
# event carries `transition` ({move, from, to}) and `reason` (the sent-back reason, or None).
ENTRY_RESTORED = "entry.restored"  # out of the recycle bin
ENTRY_PURGED = "entry.purged"  # removed from the recycle bin for good
SIGN_VIDEO_PROVIDERS = "versehub.knowledge.sign_video_providers"

# Given an entry, a provider returns [{language, url, captions_url, ...}] (the media module).
SignVideoProvider = Callable[[Entry], list[dict[str, Any]]]


def payload(entry: Entry, *, actor_id: int | None) -> dict[str, Any]:
    """What subscribers learn about an entry (ids, not ORM objects)."""
    return {
        "entry_id": entry.id,
        "slug": entry.slug,
        "title": entry.title,
        "status": entry.status,
        "version": entry.version,
        "is_public": entry.is_public,
        "author_id": entry.author_id,
        "actor_id": actor_id,
    }


def emit(name: str, data: dict[str, Any]) -> None:
    """Publish an entry event (call only once the transaction has committed)."""
    publish(name, **data)


def init_providers(app: Flask) -> None:
    """Give the app an empty sign-video provider registry."""
    app.extensions.setdefault(SIGN_VIDEO_PROVIDERS, [])


def register_sign_video_provider(app: Flask, provider: SignVideoProvider) -> None:
    """Add a source of sign-language videos for entries (the media module calls this)."""
    app.extensions.setdefault(SIGN_VIDEO_PROVIDERS, []).append(provider)


def sign_videos_for(entry: Entry) -> list[dict[str, Any]]:
    """Every provider's videos for `entry`; a failing provider is logged and skipped."""
    videos: list[dict[str, Any]] = []
    for provider in current_app.extensions.get(SIGN_VIDEO_PROVIDERS, []):
        try:
            videos.extend(provider(entry))
        except Exception:  # a broken provider must not stop people reading the entry
            log.exception("sign_video_provider_failed", entry_id=entry.id)
    return videos
