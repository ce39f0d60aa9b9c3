"""Parse request bodies and query strings into Pydantic models, with envelope errors."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Annotated, Any, TypeVar, cast

import orjson
from flask import Response, current_app, request
from flask.json.provider import DefaultJSONProvider
from pydantic import AfterValidator, BaseModel, Field, ValidationError
from werkzeug.sansio.response import Response as SansIOResponse

from versehub.core.errors import APIError, field_error

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def _refuse_null(value: T | None) -> T:
    # Validators do not run on defaults: only an explicit null gets here as None.
    if value is None:
        raise ValueError("may not be null")
    return value


def _not_nullable(schema: dict[str, Any]) -> None:
    # The document must say what the server accepts: drop the null branch and the null default.
    schema.pop("default", None)
    branches = [branch for branch in schema.pop("anyOf", []) if branch != {"type": "null"}]
    if len(branches) == 1:
        schema.update(branches[0])
    elif branches:
        schema["anyOf"] = branches


# A field of a partial update that may be left out (None in the model) but never sent as null;
# the OpenAPI document shows it as not nullable. Use with a default: `title: NotNull[str] = None`.
NotNull = Annotated[T | None, AfterValidator(_refuse_null), Field(json_schema_extra=_not_nullable)]


def validation_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Pydantic errors as `error.errors` entries (dotted field paths, no input echoed)."""
    return [
        field_error(".".join(str(part) for part in err["loc"]), err["msg"], err["type"])
        for err in exc.errors(include_url=False, include_input=False)
    ]


def invalid(exc: ValidationError) -> APIError:
    """A VAL_INVALID error for a Pydantic failure."""
    return APIError("VAL_INVALID", errors=validation_errors(exc))


# No body VerseHub accepts nests deeper than a few levels; 64 leaves room for any GraphQL
# variables while staying far below the recursion limit (about 1,000) that the json decoder,
# pydantic and code walking the decoded value would hit: deeper input is refused before decoding.
MAX_JSON_DEPTH = 64

# A JSON string literal (escapes included): brackets inside strings do not nest anything.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_OPENING = frozenset(b"[{")


class JSONTooDeep(ValueError):
    """A JSON document nests arrays/objects deeper than allowed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON nested more than {limit} levels deep")
        self.limit = limit


def check_json_depth(raw: bytes | str, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise JSONTooDeep when `raw` nests more than `limit` levels, without decoding it."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    # Fast path for nearly every body: too few brackets to nest that deep at all.
    if data.count(b"[") + data.count(b"{") <= limit:
        return
    depth = 0
    for byte in _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS):
        if byte in _OPENING:
            depth += 1
            if depth > limit:
                raise JSONTooDeep(limit)
        else:
            depth -= 1


def loads_json(raw: bytes | str) -> Any:
    """Decode JSON with nesting capped (JSONTooDeep); ValueError for anything unparseable."""
    check_json_depth(raw)
    return json.loads(raw)


# Types orjson would write its own way are handed to Flask's `default` instead, as the standard
# library's encoder hands them: dates as HTTP dates, dataclasses through `asdict`.
_FRAGMENT_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_ORJSON_OPTIONS = _FRAGMENT_OPTIONS | orjson.OPT_APPEND_NEWLINE


class ReadyJSON:
    """JSON text already written (a cached answer's data): `jsonify` embeds it as is."""

    __slots__ = ("json",)

    def __init__(self, json: bytes) -> None:
        self.json = json


def encode_json(obj: Any, default: Callable[[Any], Any]) -> bytes:
    """`obj` as compact UTF-8 JSON, written as `jsonify` writes it (no trailing newline).

    For JSON kept to embed in a later answer (`ReadyJSON`): the same text the envelope would
    have written for `obj` itself.
    """
    try:
        return orjson.dumps(obj, default=default, option=_FRAGMENT_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        text = json.dumps(obj, default=default, ensure_ascii=False, separators=(",", ":"))
        return text.encode()


class CappedJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with the nesting cap, so `request.get_json()` anywhere (extensions,
    key functions) refuses deep bodies with a ValueError (400) instead of a RecursionError; and
    responses (`jsonify`, every envelope) written by orjson.

    orjson writes the same JSON value as the standard library in a tenth of the time: compact,
    keys in insertion order, dates and dataclasses through Flask's `default`. Only the text can
    differ: non-ASCII characters are sent as UTF-8 rather than `\\u` escapes, and some small
    floats in another exponent notation (`1e-7`, not `1e-07`). What orjson refuses (integers beyond
    64 bits, keys that are not strings) and the indented debug output go to the standard library.
    `dumps` stays the standard library's: templates' `tojson` relies on its ASCII escapes.
    """

    sort_keys = False  # envelope keys in contract order

    @staticmethod
    def default(o: Any) -> Any:
        """Flask's `default`; ready JSON (`ReadyJSON`) decoded for the standard library's
        encoder (the debug output, or an answer orjson refused)."""
        if isinstance(o, ReadyJSON):
            return orjson.loads(o.json)
        return DefaultJSONProvider.default(o)

    @staticmethod
    def _orjson_default(o: Any) -> Any:
        # orjson embeds ready JSON as is; everything else as the standard library would.
        if isinstance(o, ReadyJSON):
            return orjson.Fragment(o.json)
        return DefaultJSONProvider.default(o)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        check_json_depth(s)
        return super().loads(s, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> SansIOResponse:
        """`jsonify`: the JSON of the arguments, with a trailing newline, as Flask writes it."""
        obj = self._prepare_response_obj(args, kwargs)
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(obj)
        try:
            body = orjson.dumps(obj, default=self._orjson_default, option=_ORJSON_OPTIONS)
        except TypeError:  # orjson.JSONEncodeError is a TypeError
            return super().response(obj)
        # The app's response class is Flask's (typed as Werkzeug's sans-IO base on the provider).
        response_class = cast("type[Response]", self._app.response_class)
        return response_class(body, mimetype=self.mimetype)


def malformed_json(exc: ValueError) -> APIError:
    """The VAL_MALFORMED error for a body `loads_json` refused."""
    if isinstance(exc, JSONTooDeep):
        return APIError(
            "VAL_MALFORMED",
            f"Request body nests more than {exc.limit} levels deep",
            details={"max_depth": exc.limit},
        )
    return APIError("VAL_MALFORMED", "Request body is not valid JSON")


def json_body() -> Any:
    """The request's JSON body; VAL_MALFORMED for a wrong content type or unparseable JSON."""
    if not request.is_json:
        raise APIError(
            "VAL_MALFORMED",
            "Expected a JSON body (Content-Type: application/json)",
            details={"content_type": request.mimetype or None},
        )
    raw = request.get_data(cache=True)
    try:
        return loads_json(raw)
    except ValueError as exc:  # UnicodeDecodeError and JSONTooDeep are ValueErrors too
        raise malformed_json(exc) from exc


def parse_body(model: type[M]) -> M:
    """Validate the JSON body against `model`."""
    try:
        return model.model_validate(json_body())
    except ValidationError as exc:
        raise invalid(exc) from exc


def parse_query(model: type[M]) -> M:
    """Validate the query string against `model` (repeated keys become lists)."""
    data: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        data[key] = values if len(values) > 1 else values[0]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(exc) from exc


BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def accepts_uploads(view: Any) -> Any:
    """Mark an API view that takes multipart/form-data (file uploads) instead of JSON."""
    view.accepts_uploads = True
    return view


def guard_api_body() -> None:
    """Under /api/, a request body must be JSON that parses (VAL_MALFORMED), checked before the
    view's own validation so a broken body is never reported as a missing field."""
    if not request.path.startswith("/api/") or request.method not in BODY_METHODS:
        return
    if (
        not request.content_length
        and "chunked" not in request.headers.get("Transfer-Encoding", "").lower()
    ):
        return
    blueprint = current_app.blueprints.get(request.blueprint or "")
    cap = getattr(blueprint, "max_content_length", None)
    if cap:
        # A blueprint may accept less than the app: the cap applies before the body is read.
        app_cap = current_app.config.get("MAX_CONTENT_LENGTH")
        request.max_content_length = min(cap, app_cap) if app_cap else cap
    view = current_app.view_functions.get(request.endpoint or "")
    if request.mimetype == "multipart/form-data" and getattr(view, "accepts_uploads", False):
        return
    json_body()
