"""Rate limits (Flask-Limiter) per caller, and auto-bans for callers who keep exceeding them.

Every route gets `rate_limit_default` per caller: the API key, else the user, else the client IP.
Modules tighten routes with the decorators, placed under the route decorator:

    @bp.post("/login")
    @auth_limit("login", name_field="login")   # rate_limit_login per IP, rate_limit_login_name
    def login() -> Response: ...                # per name (JSON/form field "login")

    @bp.post("/register")
    @auth_limit("register")                     # rate_limit_register per IP, its own bucket
    def register() -> Response: ...

    @bp.post("/exports")
    @limit("5/minute;20/hour")           # this route's own bucket, replaces the default
    def export() -> Response: ...

Over a limit: 429 RATE_LIMIT_EXCEEDED with Retry-After. `ban_threshold` such answers within
`ban_window` seconds ban the caller for `ban_duration` seconds: 403 RATE_BANNED with
`details.until` (events `security.ban` / `security.unban`). `/health/*` and `/metrics` are never
limited. Counters and violations: memory, or Redis when `redis_url` is set (falls back to
per-process memory). Bans themselves are rows in the database (`rate_limit_bans`), cached in each
process for `ban_cache_ttl` seconds, so every process and `versehub bans` see the same bans.
"""

from versehub.core.limits.bans import Ban, BanPolicy, BanStore
from versehub.core.limits.decorators import auth_limit, exempt, limit
from versehub.core.limits.extension import check_rate_limits, init_limits, never_limited
from versehub.core.limits.keys import client_ip, ip_key, login_key, request_key
from versehub.core.limits.state import RateLimits, current_limits

__all__ = [
    "Ban",
    "BanPolicy",
    "BanStore",
    "RateLimits",
    "auth_limit",
    "check_rate_limits",
    "client_ip",
    "current_limits",
    "exempt",
    "init_limits",
    "ip_key",
    "limit",
    "login_key",
    "never_limited",
    "request_key",
]
