"""Bans as actions: record a violation (maybe banning), list, lift; each publishes its event."""

from __future__ import annotations

import structlog
from prometheus_client import Counter
from redis.exceptions import RedisError

from versehub.core.errors import APIError
from versehub.core.events import publish
from versehub.core.limits.bans import Ban, BanPolicy, BanStore

log = structlog.get_logger(__name__)

# Refusals are already in versehub_http_requests_total (status 429 and 403); bans are not.
BANS = Counter("versehub_rate_limit_bans_total", "Callers banned for repeated limit violations.")


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
            key=key,
            reason=ban.reason,
            until=ban.until_iso,
            violations=ban.violations,
            window=policy.window,
            duration=policy.duration,
            path=path,
        )
    return ban


def list_bans(*, bans: BanStore) -> list[Ban]:
    """Every active ban, soonest to end first."""
    return bans.list()


def lift_ban(*, bans: BanStore, key: str, by: str) -> Ban:
    """End the ban of `key` early (publishes `security.unban`); RES_NOT_FOUND when not banned."""
    try:
        ban = bans.lift(key)
    except RedisError as exc:
        # A lift Redis did not confirm would come back when Redis does: say so instead.
        raise APIError(
            "SYS_SERVICE_UNAVAILABLE", "The ban store is unreachable; try again shortly"
        ) from exc
    if ban is None:
        raise APIError("RES_NOT_FOUND", f"No active ban for {key!r}")
    log.info("rate_limit_unban", key=key, by=by)
    publish("security.unban", key=key, by=by, until=ban.until_iso)
    return ban
