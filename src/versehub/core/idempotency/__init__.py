"""`Idempotency-Key` on POST creates: a retried or double-submitted request gets the first answer.

A route opts in with `@idempotent`, placed under its guards (the caller is known, and an
anonymous caller still gets AUTH_REQUIRED) and above `@validated` (so a request that fails
validation is never stored). Without the header nothing changes. With it:
- first use: the key is claimed in the database (visible to every process at once), the view
  runs, and a 2xx answer is stored (status, body, Location/ETag/...) for `idempotency_ttl`;
- the same key and the same request again: that answer, with `Idempotent-Replayed: true`;
- the same key with another body: 422 VAL_INVALID naming the header;
- the same key while the first request still runs: 409 RES_CONFLICT with `Retry-After`;
- a first request that failed (an error, any non-2xx answer) leaves no record: retry freely.
Keys belong to a caller (`user:<id>`, `key:<api key id>`, `ip:<address>` when anonymous) and a
method and path: another caller's identical key is another key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any, ParamSpec

import structlog
from cryptography.fernet import Fernet, InvalidToken
from flask import Flask, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from versehub.core.auth import current_principal
from versehub.core.db import utcnow
from versehub.core.errors import APIError, StartupError, field_error
from versehub.core.fernet_keys import derive_key
from versehub.core.idempotency import store
from versehub.core.idempotency.models import KEY_MAX, ROUTE_MAX, IdempotencyRecord
from versehub.core.validation import loads_json
from versehub.settings import Settings

__all__ = ["HEADER", "REPLAYED_HEADER", "IdempotencyRecord", "idempotent", "init_idempotency"]

log = structlog.get_logger(__name__)
P = ParamSpec("P")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Printable ASCII (what an RFC 8941 string may hold), without spaces at either end, which
# HTTP would strip anyway: a UUID, a ULID or any opaque token the client chose.
KEY_PATTERN = r"^[!-~]([ -~]*[!-~])?$"
_KEY = re.compile(KEY_PATTERN)
# Headers of the first answer that a replay repeats; the rest (request id, rate-limit state,
# security headers) describe the new request and are set for it as usual.
REPLAYED_HEADERS = (
    "Content-Type",
    "Location",
    "ETag",
    "Last-Modified",
    "Cache-Control",
    "Content-Location",
)
IN_FLIGHT_RETRY_AFTER = 1  # seconds: creates finish quickly
EXTENSION = "versehub.idempotency"
FINGERPRINT_LABEL = b"versehub idempotency-fingerprint v1"
RESPONSE_LABEL = b"versehub idempotency-responses v1"
_FORMS = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


@dataclass(frozen=True)
class IdempotencyConfig:
    """How long records count, when an unfinished one is abandoned, and the app's keys."""

    ttl: timedelta
    abandon_after: timedelta
    fingerprint_key: bytes
    fernet: Fernet


def init_idempotency(app: Flask, settings: Settings) -> None:
    """Keys derived from secret_key, the hourly purge job, and the header in the OpenAPI document.

    Runs after the modules are loaded: their routes are what the document declares it on.
    """
    from versehub.core.idempotency import tasks
    from versehub.core.idempotency.openapi import document_idempotency

    secret = app.config.get("SECRET_KEY")
    if not secret:
        raise StartupError("idempotency: VERSEHUB_SECRET_KEY is not set")
    app.extensions[EXTENSION] = IdempotencyConfig(
        ttl=timedelta(seconds=settings.idempotency_ttl),
        abandon_after=timedelta(seconds=settings.idempotency_abandon_after),
        fingerprint_key=derive_key(secret, label=FINGERPRINT_LABEL).encode(),
        fernet=Fernet(derive_key(secret, label=RESPONSE_LABEL)),
    )
    tasks.schedule(app)
    document_idempotency(app)


def idempotent(view: Callable[P, Response]) -> Callable[P, Response]:
    """Honour an `Idempotency-Key` header on this route (see the module docstring)."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        raw = request.headers.get(HEADER)
        if raw is None:
            return view(*args, **kwargs)
        key = _checked(raw)
        config: IdempotencyConfig = current_app.extensions[EXTENSION]
        outcome = store.reserve(
            caller=_caller(),
            route=_route(),
            key=key,
            fingerprint=_fingerprint(config.fingerprint_key),
            now=utcnow(),
            ttl=config.ttl,
            abandon_after=config.abandon_after,
        )
        if isinstance(outcome, store.Stored):
            return _replay(outcome, config)
        if outcome == "mismatch":
            raise APIError(
                "VAL_INVALID",
                f"This {HEADER} was already used with a different request",
                errors=[
                    field_error(
                        HEADER,
                        "Already used with another request body: send a new key",
                        "idempotency_key_reused",
                    )
                ],
            )
        if outcome == "in_flight":
            raise APIError(
                "RES_CONFLICT",
                f"A request with this {HEADER} is still being processed",
                details={"header": HEADER},
                retry_after=IN_FLIGHT_RETRY_AFTER,
            )
        return _run(view, outcome.record_id, config, *args, **kwargs)

    wrapper.idempotent = True  # type: ignore[attr-defined]
    return wrapper


def _run(
    view: Callable[P, Response],
    record_id: int,
    config: IdempotencyConfig,
    *args: P.args,
    **kwargs: P.kwargs,
) -> Response:
    try:
        response = current_app.make_response(view(*args, **kwargs))
    except Exception:
        _release(record_id)
        raise
    if not 200 <= response.status_code < 300 or response.is_streamed:
        _release(record_id)
        return response
    headers = {
        name: response.headers[name] for name in REPLAYED_HEADERS if name in response.headers
    }
    try:
        kept = store.complete(
            record_id=record_id,
            status=response.status_code,
            headers=headers,
            body=config.fernet.encrypt(response.get_data()),
        )
    except SQLAlchemyError as exc:
        # The work is done and committed: answer it. A retry may then run it again, as it
        # would without the header; the reservation is taken as abandoned in time.
        log.warning("idempotency_record_not_stored", error=type(exc).__name__)
        return response
    if not kept:
        log.warning("idempotency_record_lost", record_id=record_id)
    return response


def _release(record_id: int) -> None:
    try:
        store.release(record_id=record_id)
    except SQLAlchemyError as exc:
        # The request's own error is the one to answer; the claim expires as abandoned.
        log.warning("idempotency_release_failed", error=type(exc).__name__)


def _checked(raw: str) -> str:
    if len(raw) <= KEY_MAX and _KEY.fullmatch(raw):
        return raw
    raise APIError(
        "VAL_INVALID",
        f"{HEADER} must be 1 to {KEY_MAX} printable ASCII characters",
        errors=[
            field_error(
                HEADER,
                f"Must be 1 to {KEY_MAX} printable ASCII characters",
                "idempotency_key_invalid",
            )
        ],
        details={"max_length": KEY_MAX},
    )


def _caller() -> str:
    try:
        principal = current_principal()
    except APIError:
        principal = None  # a route open to anyone ignores bad credentials; so do its keys
    if principal is not None:
        return principal.rate_limit_key
    return f"ip:{request.remote_addr or 'unknown'}"


def _route() -> str:
    route = f"{request.method} {request.path}"
    if len(route) <= ROUTE_MAX:
        return route
    # Such paths fail the route's own validation; a digest keeps them apart and fits the column.
    return f"{request.method} sha256:{hashlib.sha256(request.path.encode()).hexdigest()}"


def _fingerprint(secret: bytes) -> str:
    """HMAC of the canonical request: key order and whitespace of a JSON body do not count."""
    canonical = json.dumps(
        {"query": sorted(request.args.items(multi=True)), "body": _body()},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hmac.new(secret, canonical.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def _body() -> Any:
    if request.mimetype in _FORMS:
        files = []
        for name, upload in request.files.items(multi=True):
            digest = hashlib.sha256(upload.stream.read()).hexdigest()
            upload.stream.seek(0)
            files.append([name, upload.filename or "", digest])
        return {"form": sorted(request.form.items(multi=True)), "files": sorted(files)}
    raw = request.get_data(cache=True)
    if not raw:
        return None
    if request.is_json:
        try:
            return {"json": loads_json(raw)}
        except ValueError:
            pass  # refused before the view runs (guard_api_body); compare the bytes meanwhile
    return {"type": request.mimetype, "sha256": hashlib.sha256(raw).hexdigest()}


def _replay(stored: store.Stored, config: IdempotencyConfig) -> Response:
    try:
        body = config.fernet.decrypt(stored.body)
    except InvalidToken:
        # secret_key changed since: the answer is unreadable, and running again could
        # create twice. The client must decide, with a new key.
        raise APIError(
            "RES_CONFLICT",
            f"The answer stored for this {HEADER} cannot be read: send a new key",
            details={"header": HEADER},
        ) from None
    response = current_app.response_class(body, status=stored.status)
    response.headers.update(stored.headers)
    response.headers[REPLAYED_HEADER] = "true"
    return response
