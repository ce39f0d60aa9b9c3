"""Bans as actions: record a violation (maybe banning), ban, list, lift; each publishes its event.

`security.ban` / `security.unban` carry the standard audit keys: `target` (the banned caller's
key), `actor_id` (the admin's user id, or None) and `actor` ("system", "cli" or the admin's key).
"""

from __future__ import annotations

import time

import structlog
from prometheus_client import Counter

from versehub.core.errors import APIError
from versehub.core.events import publish
from versehub.core.limits.bans import SYSTEM, Ban, BanPolicy, BanStore, StoreError

log = structlog.get_logger(__name__)

# Refusals are already in versehub_http_requests_total (status 429 and 403); bans are not.
BANS = Counter("versehub_rate_limit_bans_total", "Callers banned for repeated limit violations.")


def _unavailable() -> APIError:
    # A change the store did not confirm would not hold in the other processes: say so.
    return APIError("SYS_SERVICE_UNAVAILABLE", "The ban store is unreachable; try again shortly")


def record_violation(*, bans: BanStore, policy: BanPolicy, key: str, path: str) -> Ban | None:
    """Count one violation by `key`; at the threshold ban it and publish `security.ban`."""
    ban = bans.record_violation(key, policy)
    if ban is not None:
        BANS.inc()
        log.warning(
            "rate_limit_ban", key=key, until=ban.until_iso, violations=ban.violations, path=path
        )
        publish(
            "security.ban",
            actor_id=None,
            actor=SYSTEM,
            target=key,
            reason=ban.reason,
            until=ban.until_iso,
            violations=ban.violations,
            window=policy.window,
            duration=policy.duration,
            path=path,
        )
    return ban


def ban(
    *, bans: BanStore, key: str, duration: int, reason: str, actor: str, actor_id: int | None
) -> Ban:
    """Ban `key` for `duration` seconds by hand (publishes `security.ban`); RES_CONFLICT if so."""
    now = time.time()
    new = Ban(key, now, now + duration, 0, reason=reason, actor=actor)
    try:
        created = bans.add(new)
    except StoreError as exc:
        raise _unavailable() from exc
    if not created:
        raise APIError("RES_CONFLICT", f"{key!r} is banned already")
    BANS.inc()
    log.warning("rate_limit_ban", key=key, until=new.until_iso, actor=actor, reason=reason)
    publish(
        "security.ban",
        actor_id=actor_id,
        actor=actor,
        target=key,
        reason=reason,
        until=new.until_iso,
        duration=duration,
    )
    return new


def list_bans(*, bans: BanStore) -> list[Ban]:
    """Every active ban, soonest to end first."""
    return bans.list()


def lift_ban(*, bans: BanStore, key: str, actor: str, actor_id: int | None) -> Ban:
    """End the ban of `key` early (publishes `security.unban`); RES_NOT_FOUND when not banned."""
    try:
        lifted = bans.lift(key)
    except StoreError as exc:
        raise _unavailable() from exc
    if lifted is None:
        raise APIError("RES_NOT_FOUND", f"No active ban for {key!r}")
    log.info("rate_limit_unban", key=key, actor=actor)
    publish(
        "security.unban",
        actor_id=actor_id,
        actor=actor,
        target=key,
        reason=lifted.reason,
        until=lifted.until_iso,
    )
    return lifted
