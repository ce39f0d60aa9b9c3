"""The `Idempotency-Key` header, the replay header and the in-flight 409 in the OpenAPI document."""

from __future__ import annotations

from flask import Flask
from flask_openapi3.models.header import Header
from flask_openapi3.models.operation import Operation
from flask_openapi3.models.parameter import Parameter
from flask_openapi3.models.parameter_in_type import ParameterInType
from flask_openapi3.models.schema import Schema
from flask_openapi3.openapi import OpenAPI
from flask_openapi3.utils import parse_rule

from versehub.core.idempotency import HEADER, KEY_PATTERN, REPLAYED_HEADER
from versehub.core.idempotency.models import KEY_MAX

KEY_DESCRIPTION = (
    f"Optional, 1-{KEY_MAX} printable ASCII characters chosen by the client (a UUID, say). "
    "The same key and the same body again within the retention time (24 h unless "
    "configured otherwise) answer the first result instead of creating twice, with "
    "`Idempotent-Replayed: true`; the same key with another body answers 422 VAL_INVALID; "
    "while the first request is still running, 409 RES_CONFLICT with `Retry-After`. "
    "A request that failed is not kept, so it may be retried with the same key. "
    "Keys are per caller."
)


def document_idempotency(app: Flask) -> None:
    """Declare the header on every operation whose view is `@idempotent`."""
    if not isinstance(app, OpenAPI):
        return
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        if not getattr(view, "idempotent", False):
            continue
        item = app.paths.get(parse_rule(rule.rule))
        for method in sorted(rule.methods or ()):
            operation = getattr(item, method.lower(), None)
            if isinstance(operation, Operation):
                _declare(operation)
    app.spec_json = {}  # built lazily: make sure no copy from before is served


def _declare(operation: Operation) -> None:
    parameters = [p for p in operation.parameters or [] if getattr(p, "name", None) != HEADER]
    parameters.append(
        Parameter(
            name=HEADER,
            param_in=ParameterInType.HEADER,
            required=False,
            description=KEY_DESCRIPTION,
            param_schema=Schema(type="string", minLength=1, maxLength=KEY_MAX, pattern=KEY_PATTERN),
        )
    )
    operation.parameters = parameters
    responses = operation.responses or {}
    for status, response in responses.items():
        if status.startswith("2"):
            headers = dict(response.headers or {})
            headers[REPLAYED_HEADER] = Header(
                description="`true` when this is the stored answer to an earlier request "
                "with the same Idempotency-Key (absent otherwise).",
                param_schema=Schema(type="string", enum=["true"]),
            )
            response.headers = headers
    if "409" not in responses and "422" in responses:
        # The answer while the first request with the key is still running.
        conflict = responses["422"].model_copy(deep=True)
        conflict.description = "Conflict"
        responses["409"] = conflict
    operation.responses = responses
