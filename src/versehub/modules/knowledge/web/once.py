"""A one-time key per write form, so a double-submitted form creates one entry.

The page puts a fresh random key in a hidden field; sending the form claims it through
core.idempotency's store (the same records as the API's `Idempotency-Key`, visible to every
process). The first sending creates the entry and stores where it went; the same form sent
again (a double click, a resend after a slow answer) is sent to that entry instead of
creating another. A failed sending releases the key, so the corrected form can be sent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from typing import Literal

from flask import current_app, request

from versehub.core.auth import Principal
from versehub.core.db import utcnow
from versehub.core.idempotency import EXTENSION, KEY_PATTERN, store

_KEY = re.compile(KEY_PATTERN)
IGNORED = frozenset({"csrf_token", "form_key", "action"})


def new_key() -> str:
    """A fresh key for a form."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Claim:
    """What a sending of the form may do: run (holding `record_id`), go where the first one
    went, or neither (still running, or the key was used with other values)."""

    outcome: Literal["run", "done", "in_flight", "mismatch", "unguarded"]
    record_id: int | None = None
    location: str | None = None


def _fingerprint(secret: bytes) -> str:
    fields = sorted((k, v) for k, v in request.form.items(multi=True) if k not in IGNORED)
    canonical = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(secret, canonical.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def claim(*, key: str | None, viewer: Principal) -> Claim:
    """Claim this form's key for the viewer (no usable key: nothing is guarded)."""
    if not key or len(key) > 64 or not _KEY.fullmatch(key):
        return Claim("unguarded")
    config = current_app.extensions[EXTENSION]
    outcome = store.reserve(
        caller=viewer.rate_limit_key,
        route=f"FORM {request.path}",
        key=key,
        fingerprint=_fingerprint(config.fingerprint_key),
        now=utcnow(),
        ttl=config.ttl,
        abandon_after=config.abandon_after,
    )
    if isinstance(outcome, store.Stored):
        return Claim("done", location=outcome.headers.get("Location"))
    if isinstance(outcome, store.Claimed):
        return Claim("run", record_id=outcome.record_id)
    return Claim(outcome)


def complete(held: Claim, *, location: str) -> None:
    """Remember where the first sending went."""
    if held.record_id is None:
        return
    config = current_app.extensions[EXTENSION]
    store.complete(
        record_id=held.record_id,
        status=303,
        headers={"Location": location},
        body=config.fernet.encrypt(b""),
    )


def release(held: Claim) -> None:
    """Give the key back after a failed sending (the corrected form may use it)."""
    if held.record_id is not None:
        store.release(record_id=held.record_id)
