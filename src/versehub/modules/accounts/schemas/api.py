"""Response and path shapes of the accounts REST API (the `data` of each success envelope)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from versehub.core.api import Pagination
from versehub.modules.accounts.schemas import (
    MAX_ID,
    ApiKeyCreated,
    ApiKeyPublic,
    AuditEventPublic,
    UserPublic,
)


class UserPath(BaseModel):
    """`/admin/users/{user_id}` (Werkzeug's `int` converter matches digits only)."""

    user_id: int = Field(ge=0, le=MAX_ID)


class UserModulePath(BaseModel):
    """`/admin/users/{user_id}/modules/{name}`."""

    user_id: int = Field(ge=0, le=MAX_ID)
    name: str = Field(description="A module name, e.g. `knowledge`.")


class ApiKeyPath(BaseModel):
    """`/auth/api-keys/{key_id}`."""

    key_id: int = Field(ge=0, le=MAX_ID)


class UserData(BaseModel):
    """`data` of answers about one user."""

    user: UserPublic


class LoggedOut(BaseModel):
    """`data` of the logout answers."""

    logged_out: bool = Field(examples=[True])


class ApiKeyCreatedData(BaseModel):
    """`data` of `POST /auth/api-keys`: the only answer that shows the key."""

    api_key: ApiKeyCreated


class ApiKeyData(BaseModel):
    """`data` of an answer about one key (without its secret)."""

    api_key: ApiKeyPublic


class ApiKeyList(BaseModel):
    """`data` of `GET /auth/api-keys`."""

    items: list[ApiKeyPublic]
    pagination: Pagination


class UserList(BaseModel):
    """`data` of `GET /admin/users`."""

    items: list[UserPublic]
    pagination: Pagination


class AuditList(BaseModel):
    """`data` of `GET /admin/audit`."""

    items: list[AuditEventPublic]
    pagination: Pagination


class VerificationSent(BaseModel):
    """`data` of `POST /auth/verify-email/request`."""

    email_verified: bool
    sent: bool


class ResetRequested(BaseModel):
    """`data` of `POST /auth/password-reset/request` (the same whatever the address)."""

    requested: bool = Field(examples=[True])


class PasswordResetDone(BaseModel):
    """`data` of `POST /auth/password-reset`."""

    password_reset: bool = Field(examples=[True])
