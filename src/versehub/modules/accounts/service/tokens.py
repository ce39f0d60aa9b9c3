"""JWTs: issuing pairs, strict decoding, and what makes a token unacceptable."""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol, TypeVar

import jwt
from flask import Flask, current_app
from flask_jwt_extended import create_access_token, create_refresh_token
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import delete, update

from versehub.core.errors import APIError
from versehub.extensions import db
from versehub.modules.accounts.models import RefreshToken, User
from versehub.modules.accounts.schemas import TokenPair
from versehub.modules.accounts.service import revocation
from versehub.modules.accounts.service.verified_tokens import VerifiedTokens

TokenType = Literal["access", "refresh"]
ACCESS_TTL = timedelta(minutes=15)
REFRESH_TTL = timedelta(days=7)
ALGORITHM = "HS256"
ISSUER = "versehub"
MAX_TOKEN_LENGTH = 4096
VERIFIED_KEY = "versehub.accounts.verified_tokens"


def configure_jwt(app: Flask, *, secret: str) -> None:
    """flask-jwt-extended settings: HS256 only, headers only, fixed lifetimes and issuer."""
    app.config.update(
        JWT_SECRET_KEY=secret,
        JWT_ALGORITHM=ALGORITHM,
        # The one accepted algorithm: `none`, RS256 and every other `alg` are refused, which
        # also closes the RS/HS confusion (a public key used as an HMAC secret).
        JWT_DECODE_ALGORITHMS=[ALGORITHM],
        JWT_TOKEN_LOCATION=["headers"],
        JWT_COOKIE_CSRF_PROTECT=False,  # header tokens only: no CSRF double-submit claim
        JWT_ACCESS_TOKEN_EXPIRES=ACCESS_TTL,
        JWT_REFRESH_TOKEN_EXPIRES=REFRESH_TTL,
        JWT_ENCODE_ISSUER=ISSUER,
        JWT_DECODE_ISSUER=ISSUER,
        JWT_DECODE_LEEWAY=0,
        JWT_IDENTITY_CLAIM="sub",
    )
    # Per app, like the secret it was verified with (several apps may share a process).
    app.extensions[VERIFIED_KEY] = VerifiedTokens()


class Claims(BaseModel):
    """The claims every VerseHub token must carry (missing or malformed: invalid token)."""

    model_config = ConfigDict(extra="ignore", strict=True)

    sub: str = Field(pattern=r"^[1-9][0-9]{0,18}$")
    jti: str = Field(min_length=16, max_length=64)
    type: TokenType
    fam: str = Field(pattern=r"^[0-9a-f]{32}$")
    gen: int = Field(ge=0)
    iat: int
    exp: int

    @property
    def user_id(self) -> int:
        """The user the token was issued to."""
        return int(self.sub)

    @property
    def expires_at(self) -> datetime:
        """Expiry as an aware datetime."""
        return datetime.fromtimestamp(self.exp, UTC)


def jti_hash(jti: str) -> str:
    """How refresh tokens are stored: the SHA-256 of their jti, never the token."""
    return hashlib.sha256(jti.encode()).hexdigest()


def error_code(exc: Exception) -> str:
    """The API.md code for a JWT library failure."""
    return (
        "AUTH_TOKEN_EXPIRED"
        if isinstance(exc, jwt.ExpiredSignatureError)
        else ("AUTH_TOKEN_INVALID")
    )


def decode(token: str, *, expected: TokenType) -> Claims:
    """Verify signature, algorithm, issuer, expiry, claims and type; raise the matching code.

    Access tokens are verified once per process and remembered until they expire; refresh
    tokens (spent once each) are verified every time.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise APIError("AUTH_TOKEN_INVALID")
    verified: VerifiedTokens | None = current_app.extensions.get(VERIFIED_KEY)
    if expected == "access" and verified is not None:
        claims = verified.get(token, now=time.time())
        if claims is not None:
            return claims
    claims = _verify(token, expected=expected)
    if expected == "access" and verified is not None:
        verified.put(token, claims)
    return claims


def _verify(token: str, *, expected: TokenType) -> Claims:
    config = current_app.config
    try:
        # One verified decode by PyJWT with the settings `configure_jwt` gives flask-jwt-extended
        # (which issues the tokens). Its `decode_token` parses a token three times (it runs on
        # every API request) and fills in a missing `type` and `jti`, which must count as missing.
        sent: dict[str, Any] = jwt.decode(
            token,
            config["JWT_SECRET_KEY"],
            algorithms=config["JWT_DECODE_ALGORITHMS"],
            issuer=config["JWT_DECODE_ISSUER"],
            leeway=config["JWT_DECODE_LEEWAY"],
            options={"require": ["exp", "iat", "iss", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise APIError(error_code(exc)) from None
    try:
        claims = Claims.model_validate(sent)
    except ValidationError:
        raise APIError("AUTH_TOKEN_INVALID", "Token lacks required claims") from None
    if claims.type != expected:
        article = "an" if expected[0] in "aeiou" else "a"
        raise APIError("AUTH_TOKEN_INVALID", f"Expected {article} {expected} token")
    return claims


def issue_pair(*, user: User, now: datetime, family_id: str | None = None) -> TokenPair:
    """A new access/refresh pair in `family_id` (a new login family when None); not committed."""
    family = family_id or uuid.uuid4().hex
    claims = {"fam": family, "gen": user.token_generation}
    access = create_access_token(
        identity=str(user.id),
        additional_claims={**claims, "jti": uuid.uuid4().hex},
        expires_delta=ACCESS_TTL,
    )
    refresh_jti = uuid.uuid4().hex
    refresh = create_refresh_token(
        identity=str(user.id),
        additional_claims={**claims, "jti": refresh_jti},
        expires_delta=REFRESH_TTL,
    )
    db.session.add(
        RefreshToken(
            jti_hash=jti_hash(refresh_jti),
            user_id=user.id,
            family_id=family,
            created_at=now,
            expires_at=now + REFRESH_TTL,
        )
    )
    return TokenPair(
        access_token=access,
        refresh_token=refresh,
        expires_in=int(ACCESS_TTL.total_seconds()),
    )


class Subject(Protocol):
    """What decides whether a token's user may still use it (a User, or a principals.Person)."""

    @property
    def is_active(self) -> bool: ...

    @property
    def token_generation(self) -> int: ...


SubjectT = TypeVar("SubjectT", bound=Subject)


def revocation_ids(claims: Claims) -> list[str]:
    """The ids a token is revoked under: its jti and its login family."""
    return [claims.jti, revocation.family_key(claims.fam)]


def ensure_usable(
    *, claims: Claims, user: SubjectT | None, revoked: bool | None = None
) -> SubjectT:
    """The token's user, unless a correctly signed token must still be refused.

    `revoked`: already looked up with the user (principals.person); None asks the list here.
    """
    if user is None:
        raise APIError("AUTH_TOKEN_INVALID", "Token subject does not exist")
    if not user.is_active:
        raise APIError("AUTH_TOKEN_REVOKED", "Account is disabled")
    if claims.gen != user.token_generation:
        raise APIError("AUTH_TOKEN_REVOKED")
    if revoked is None:
        revoked = revocation.is_revoked(token_ids=revocation_ids(claims))
    if revoked:
        raise APIError("AUTH_TOKEN_REVOKED")
    return user


def revoke_family(*, family_id: str, user_id: int, now: datetime) -> None:
    """Revoke every token of one login: its refresh rows and (by family id) its access tokens."""
    # Rows first, then the family key: every path that revokes a family takes its locks in this
    # order, so concurrent revocations (reuse racing reuse, or logout) queue on the rows
    # instead of deadlocking on the revocation insert.
    db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    revocation.revoke(
        token_id=revocation.family_key(family_id),
        kind="family",
        user_id=user_id,
        expires_at=now + REFRESH_TTL,
        now=now,
    )


def purge_expired(*, now: datetime) -> int:
    """Delete refresh-token rows past their expiry; returns how many."""
    result = db.session.execute(
        delete(RefreshToken).where(RefreshToken.expires_at <= now - revocation.MARGIN)
    )
    return int(getattr(result, "rowcount", 0))
