"""Wire shapes of the accounts module: one schema per request or response shape.

The REST API's path and answer models are in `schemas.api`, two-factor's in `schemas.twofactor`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StrictBool,
)

from versehub.core import sign_languages
from versehub.core.api import PageQuery
from versehub.core.text import Text
from versehub.core.validation import NotNull
from versehub.modules.accounts.models import ROLES, User
from versehub.modules.accounts.service import otp_codes

Role = Literal["admin", "editor", "agent", "member"]
Scope = Literal["entries:read", "entries:write", "media:write", "agents:write", "admin"]
SCOPES: tuple[str, ...] = ("entries:read", "entries:write", "media:write", "agents:write", "admin")


def _sign_language_code(value: str) -> str:
    # Readers know their language by name or abbreviation; it is stored and answered as its
    # ISO 639-3 code, so that one language is one value everywhere (videos, agents, readers).
    language = sign_languages.resolve(value)
    if language is None:
        raise ValueError(
            "Choose a listed sign language: an ISO 639-3 code such as bfi, an abbreviation "
            "such as BSL, or its name such as British Sign Language"
        )
    return language.code


# A sign language by ISO 639-3 code ("bfi"), abbreviation ("BSL") or name, answered as the code.
SignLanguage = Annotated[
    str,
    Field(
        min_length=2,
        max_length=64,
        description="ISO 639-3 code (`ase`, `bfi`); an abbreviation (`ASL`) or an English name "
        "(`British Sign Language`, any case) is accepted and stored as its code.",
    ),
    AfterValidator(_sign_language_code),
]
Level = Annotated[int, Field(ge=1, le=5, strict=True)]
# Row ids are SQL INTEGER: a larger number is no id, and would crash the query (SQLite
# OverflowError, PostgreSQL "integer out of range") instead of answering VAL_INVALID.
MAX_ID = 2**31 - 1
NameText = Annotated[str, Field(min_length=1, max_length=100), Text(visible=True)]


def _one_time_code(value: str) -> str:
    # Spaces, dashes and look-alike letters are accepted as typed or pasted; the service gets
    # the canonical form.
    found = otp_codes.normalise(value)
    if found is None:
        raise ValueError("Enter the 6-digit code from your authenticator app, or a recovery code")
    return found[1]


# A TOTP code ("123 456") or a recovery code ("ABCD-EFGH-JKMN-PQRS"), canonicalised.
OneTimeCode = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_one_time_code)]


class Input(BaseModel):
    """Base of request bodies: unknown fields are errors (passwords are never trimmed)."""

    model_config = ConfigDict(extra="forbid")


class PreferencesPublic(BaseModel):
    """A user's accessibility preferences."""

    model_config = ConfigDict(from_attributes=True)

    preferred_sign_language: str | None = Field(
        description="ISO 639-3 code of the preferred sign language (`ase`, `bfi`), or null."
    )
    visual_density: int
    reading_level: int
    reduced_motion: bool
    high_contrast: bool


class PreferencesUpdate(Input):
    """A partial update of preferences (only the fields sent change)."""

    # Only the sign language may be cleared; null elsewhere is a mistake, not "unset".
    preferred_sign_language: SignLanguage | None = None
    visual_density: NotNull[Level] = None
    reading_level: NotNull[Level] = None
    reduced_motion: NotNull[StrictBool] = None
    high_contrast: NotNull[StrictBool] = None


class UserCreate(Input):
    """`POST /auth/register`; the password policy is checked by the service."""

    email: EmailStr = Field(max_length=254)
    username: str = Field(min_length=3, max_length=64)
    # The upper bound is checked before anything else, so huge passwords are never hashed.
    password: str = Field(min_length=12, max_length=256)
    preferences: PreferencesUpdate | None = None


class UserPublic(BaseModel):
    """A user as the API shows it (never a hash or a secret)."""

    id: int
    email: str
    username: str
    roles: list[str]
    is_active: bool
    email_verified: bool
    created_at: datetime
    last_login_at: datetime | None
    preferences: PreferencesPublic

    @classmethod
    def from_user(cls, user: User) -> UserPublic:
        """Build from the table row."""
        return cls(
            id=user.id,
            email=user.email,
            username=user.username,
            roles=sorted(user.roles),
            is_active=user.is_active,
            email_verified=user.email_verified,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
            preferences=PreferencesPublic.model_validate(user),
        )


class LoginRequest(Input):
    """`POST /auth/login`: `login` is the email or the username."""

    login: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=256)
    otp: OneTimeCode | None = None


class TokenPair(BaseModel):
    """A fresh access and refresh token."""

    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme name
    expires_in: int


class LoginResponse(TokenPair):
    """`POST /auth/login` answer."""

    user: UserPublic


class LogoutRequest(Input):
    """`POST /auth/logout` body (optional)."""

    # flask-openapi3 reads `openapi_extra`: the body may be left out entirely.
    model_config = ConfigDict(extra="forbid", openapi_extra={"required": False})  # type: ignore[typeddict-unknown-key]

    refresh_token: str | None = Field(None, min_length=1, max_length=4096)


class VerifyEmailRequest(Input):
    """`POST /auth/verify-email`: the token from the mailed link."""

    token: str = Field(min_length=1, max_length=1024)


class PasswordResetRequest(Input):
    """`POST /auth/password-reset/request`."""

    email: EmailStr = Field(max_length=254)


class PasswordResetConfirm(Input):
    """`POST /auth/password-reset`: the mailed token and the new password (policy-checked)."""

    token: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=256)


class RolesUpdate(Input):
    """`PATCH /admin/users/{id}/roles`: the complete new set of roles."""

    roles: list[Role] = Field(min_length=1, max_length=len(ROLES))


class ModuleAccessUpdate(Input):
    """`PUT /admin/users/{id}/modules/{name}`."""

    access: Literal["grant", "deny"]


class UserStatusUpdate(Input):
    """`PATCH /admin/users/{id}`: switch an account on or off."""

    is_active: bool = Field(strict=True)


class UsersQuery(PageQuery):
    """`GET /admin/users` filters."""

    q: str | None = Field(None, min_length=1, max_length=100)
    role: Role | None = None


class ApiKeyCreate(Input):
    """`POST /auth/api-keys`; `user_id` (someone else's key) is for admins only."""

    name: NameText
    scopes: list[Scope] = Field(min_length=1, max_length=len(SCOPES))
    expires_at: AwareDatetime | None = None
    user_id: int | None = Field(None, ge=1, le=MAX_ID)


class ApiKeyPublic(BaseModel):
    """An API key without its secret."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    """The one response that shows the key itself."""

    key: str


class ApiKeysQuery(PageQuery):
    """`GET /auth/api-keys`: admins may list another user's keys."""

    model_config = ConfigDict(extra="forbid")

    user_id: int | None = Field(None, ge=1, le=MAX_ID)


def _as_utc(value: datetime) -> datetime:
    # Pydantic reads a bare date as its midnight; without an offset, a time is taken as UTC
    # (the trail is stored and shown in UTC), so `since=2026-12-07` means 00:00 UTC that day.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


# An ISO 8601 date or date-time for filters; a date is midnight UTC, no offset means UTC.
UtcInstant = Annotated[datetime, AfterValidator(_as_utc)]


class AuditQuery(PageQuery):
    """`GET /admin/audit` filters."""

    event: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="One audit event name (`security.*`, listed in the README); an unknown "
        "name is 422 VAL_INVALID listing the known ones.",
    )
    actor_id: int | None = Field(None, ge=1, le=MAX_ID)
    since: UtcInstant | None = Field(
        None,
        description="From this instant on: ISO 8601 date (midnight UTC) or date-time "
        "(no offset: UTC).",
    )
    until: UtcInstant | None = Field(
        None,
        description="Before this instant: ISO 8601 date (midnight UTC) or date-time "
        "(no offset: UTC).",
    )


class AuditEventPublic(BaseModel):
    """One audit trail entry."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    event: str
    actor_id: int | None
    target: str | None
    ip: str | None
    user_agent: str | None
    request_id: str | None
    details: dict[str, object]
    created_at: datetime
