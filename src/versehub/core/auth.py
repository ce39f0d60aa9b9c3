"""Who is calling: a Principal resolved once per request, and the guards that check it.

Core does not know how people log in: modules (accounts) register resolvers, tried in order
(session cookie, then bearer token, then API key). The first that recognises the request wins.
`init_auth` registers the one step that runs them (`resolve_caller`), before rate limits: it
keeps the principal, or the refusal of bad credentials, in `g`; everything after it (limits,
module access, guards, routes, GraphQL) reads that result and never resolves again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Final, Literal, ParamSpec, TypeVar

from flask import Flask, current_app, g, request

from versehub.core.errors import APIError
from versehub.core.modules import get_registry
from versehub.settings import Settings

PrincipalKind = Literal["user", "api_key"]
P = ParamSpec("P")
R = TypeVar("R")

RESOLVERS_KEY: Final = "versehub.auth_resolvers"
# The attribute of `g` holding this request's Caller.
CALLER_ATTR: Final = "versehub_caller"


@dataclass(frozen=True, slots=True)
class AccessToken:
    """The access token a person called with: what logging out revokes."""

    jti: str
    # The login it belongs to (refreshes keep the family; logging out revokes all of it).
    family_id: str
    expires_at: datetime


@dataclass(frozen=True)
class Principal:
    """The caller of this request."""

    kind: PrincipalKind
    user_id: int
    roles: frozenset[str] = frozenset()
    # API keys carry scopes; a person's session or token is not scope-limited (None).
    scopes: frozenset[str] | None = None
    api_key_id: int | None = None
    # Modules this user was explicitly granted or denied (per-user module authorisation).
    modules_granted: frozenset[str] = frozenset()
    modules_denied: frozenset[str] = frozenset()
    email_verified: bool = True
    # Set when a person called with an access token (None: web session or API key).
    token: AccessToken | None = None
    # Signed in to the web pages with the session cookie.
    web_session: bool = False

    @property
    def rate_limit_key(self) -> str:
        """Key for rate limits: the API key, else the user."""
        if self.api_key_id is not None:
            return f"key:{self.api_key_id}"
        return f"user:{self.user_id}"

    def has_role(self, *roles: str) -> bool:
        """Admins have every role."""
        return "admin" in self.roles or bool(self.roles.intersection(roles))

    def has_scope(self, scope: str) -> bool:
        """People are not scope-limited; keys need the scope (or `admin`)."""
        return self.scopes is None or scope in self.scopes or "admin" in self.scopes


Resolver = Callable[[], Principal | None]


@dataclass(frozen=True, slots=True)
class Caller:
    """What resolving this request's credentials found: a principal (or anonymous), or a refusal."""

    principal: Principal | None = None
    # Bad credentials (APIError), or a lookup that failed (the database is down): raised where
    # the caller is asked for, in that place's own shape (an envelope, a GraphQL error); a route
    # that never asks (a health probe) answers as it would without credentials.
    error: Exception | None = None


ANONYMOUS: Final = Caller()


def register_resolver(app: Flask, resolver: Resolver, *, position: int | None = None) -> None:
    """Add a way to recognise callers (at `position`, else last); bad credentials raise APIError."""
    resolvers: list[Resolver] = app.extensions.setdefault(RESOLVERS_KEY, [])
    resolvers.insert(len(resolvers) if position is None else position, resolver)


def _run_resolvers() -> Caller:
    for resolver in current_app.extensions.get(RESOLVERS_KEY, ()):
        try:
            found = resolver()
        except Exception as exc:  # noqa: BLE001 - kept and raised where the caller is asked for
            return Caller(error=exc)
        if found is not None:
            return Caller(principal=found)
    return ANONYMOUS


def resolve_caller() -> None:
    """before_request: run the resolvers once and keep the principal or the refusal in `g`.

    Preflights carry no credentials and static files need no caller: they skip it (a later
    `current_principal()` there resolves on demand).
    """
    if request.method == "OPTIONS" or (request.endpoint or "").rsplit(".", 1)[-1] == "static":
        return
    setattr(g, CALLER_ATTR, _run_resolvers())


def resolved_caller() -> Caller | None:
    """This request's caller as `resolve_caller` stored it (None: not resolved); never resolves."""
    caller: Caller | None = g.get(CALLER_ATTR)
    return caller


def current_principal() -> Principal | None:
    """The caller of this request; raises what resolving raised (bad credentials: APIError).

    Outside a dispatched request (a `test_request_context`, a skipped preflight) the first call
    resolves, once.
    """
    caller: Caller | None = g.get(CALLER_ATTR)
    if caller is None:
        caller = _run_resolvers()
        setattr(g, CALLER_ATTR, caller)
    if caller.error is not None:
        raise caller.error
    return caller.principal


def require_principal() -> Principal:
    """The caller, or AUTH_REQUIRED."""
    principal = current_principal()
    if principal is None:
        raise APIError("AUTH_REQUIRED")
    return principal


def init_auth(app: Flask) -> None:
    """Register `resolve_caller`; call it before `init_limits`, whose keys read its result."""
    if resolve_caller not in app.before_request_funcs.get(None, []):
        app.before_request(resolve_caller)


def _guard(check: Callable[[Principal], None]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            check(require_principal())
            return view(*args, **kwargs)

        return wrapper

    return decorator


def login_required(view: Callable[P, R]) -> Callable[P, R]:
    """Any authenticated caller."""
    return _guard(lambda principal: None)(view)


def require_role(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """One of `roles` (admins pass every role check)."""

    def check(principal: Principal) -> None:
        if not principal.has_role(*roles):
            raise APIError(
                "AUTH_INSUFFICIENT_PERMISSIONS", details={"required_roles": sorted(roles)}
            )

    return _guard(check)


def require_scope(scope: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """For API keys: the key must carry `scope`."""

    def check(principal: Principal) -> None:
        if not principal.has_scope(scope):
            raise APIError("AUTH_INSUFFICIENT_PERMISSIONS", details={"required_scope": scope})

    return _guard(check)


def may_use_module(principal: Principal, name: str) -> bool:
    """Admins use every module; others unless denied, and restricted modules only when granted.

    A module that is not deniable (`Module.deniable=False`) ignores denials.
    """
    if "admin" in principal.roles:
        return True
    module = get_registry().get(name)
    if module is None:
        return False
    if name in principal.modules_denied and module.deniable:
        return False
    return not module.restricted or name in principal.modules_granted


def module_refusal(principal: Principal | None, name: str) -> APIError | None:
    """Why the caller may not use module `name` (None: they may).

    Anonymous callers hold no grants: they may use every module that is not restricted.
    """
    if principal is None:
        module = get_registry().get(name)
        if module is not None and not module.restricted:
            return None
        return APIError(
            "AUTH_REQUIRED",
            f"The {name} module needs a signed-in user",
            details={"required_module": name},
        )
    if may_use_module(principal, name):
        return None
    return APIError(
        "AUTH_INSUFFICIENT_PERMISSIONS",
        f"You may not use the {name} module",
        details={"required_module": name},
    )


def require_module(name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """The caller may use module `name` (per-user grants and denials)."""

    def check(principal: Principal) -> None:
        refusal = module_refusal(principal, name)
        if refusal is not None:
            raise refusal

    return _guard(check)


def verified_email_required() -> bool:
    """Whether writing needs a verified email here (`require_verified_email_for_writes`)."""
    settings: Settings = current_app.extensions["versehub.settings"]
    return settings.verified_email_required


def check_verified_email(principal: Principal) -> None:
    """AUTH_EMAIL_UNVERIFIED when writing needs a verified email and the caller has none.

    An API key acts with its owner's verification: keys are created only by verified people,
    and a key whose owner is not verified (made while the rule was off) cannot write either.
    """
    if not principal.email_verified and verified_email_required():
        raise APIError(
            "AUTH_EMAIL_UNVERIFIED",
            "This action needs a verified email address: open the link mailed to you first",
        )


def require_verified_email(view: Callable[P, R]) -> Callable[P, R]:
    """Actions that need a verified email (an unverified account can log in and read)."""
    return _guard(check_verified_email)(view)
