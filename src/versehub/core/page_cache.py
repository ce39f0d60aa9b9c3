"""Cached HTML of pages for anonymous readers, per presentation, invalidated by the change bus.

A view decorated with `@cached_page` (under its route decorator) is rendered once per key and
then answered from the cache while nothing it shows has changed:

    @bp.get("/entries/<slug>")
    @cached_page
    def entry_page(slug: str) -> Response: ...

and the module says which changes empty the cache, once, in its `init(app)`:

    invalidate_pages_on(app, CHANGE_TOPIC)   # a change-bus topic its writes publish

The key is the path, the query (every parameter, sorted), the reader's `Presentation` (density,
contrast, motion, reading level, sign language: every field), the HTMX headers that pick a
fragment (`HX-Request`, `HX-Target`, `HX-Boosted`, `HX-History-Restore-Request`) and the
generation. Only anonymous GET/HEAD requests use it; signed-in readers, callers with credentials
(or bad ones) and a session holding flash messages are answered by the view itself (`bypass`).
Only a 200 that sets no cookie and whose rendering left the session unchanged is stored.

Per-request secrets never enter the cache: while a page is rendered to be stored, this request's
CSP nonce and CSRF token (`csp_nonce()`, `csrf_token()` and Flask-WTF's form fields) are random
placeholders made for that render and stored with it; every answer, hit or miss, gets its own
nonce (the one in its CSP header) and its own reader's CSRF token put in their place.

The generation works as in the knowledge API cache: without Redis each process keeps its own
and bumps it for every message on a watched topic from any process (and on a bus resync), and
caching is bypassed while the bus is not listening; with Redis one counter in Redis, bumped by
the writer. A failing backend never fails a page: it is rendered uncached. Answers carry
`X-Page-Cache: hit | miss | bypass`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Literal, ParamSpec

import orjson
import structlog
from flask import Flask, Response, current_app, g, has_app_context, make_response, request, session
from flask_wtf.csrf import generate_csrf

from versehub.core.auth import current_principal
from versehub.core.changes import ChangeBus, Message, bus_for
from versehub.core.presentation import current_presentation
from versehub.core.security import csp_nonce
from versehub.extensions import cache

log = structlog.get_logger(__name__)

P = ParamSpec("P")
STATE = "versehub.page_cache"
GENERATION_KEY = "pages:gen"
KEY_PREFIX = "pages:"
HEADER = "X-Page-Cache"
HTMX_HEADERS = ("HX-Request", "HX-Target", "HX-Boosted", "HX-History-Restore-Request")
LOG_EVERY = 30.0
CLOCK_FLOOR = 10**12  # a restarted shared counter starts from the clock (µs), far above this
FORMAT = 1  # stored tuples: (FORMAT, headers, body, nonce slot, csrf slot)

Status = Literal["hit", "miss", "bypass"]
Stored = tuple[int, tuple[tuple[str, str], ...], bytes, bytes, bytes]


@dataclass
class PageCacheState:
    """Per app: how long pages live, the generation and the bumps still owed to Redis."""

    timeout: int
    bus: ChangeBus
    shared: bool  # Redis: one generation for every process, bumped by the writer
    generation: int = 0  # process-local mode
    pending_bumps: int = 0  # shared mode
    last_logged: float = float("-inf")
    lock: threading.Lock = field(default_factory=threading.Lock)


class BackendError(Exception):
    """The cache backend failed (already logged)."""


def init_page_cache(app: Flask, timeout: int) -> None:
    """The page cache of `app`: pages live `timeout` seconds (0: off)."""
    bus = bus_for(app)
    state = PageCacheState(
        timeout=timeout, bus=bus, shared=app.config.get("CACHE_TYPE") == "RedisCache"
    )
    app.extensions[STATE] = state
    if not state.shared:
        bus.on_resync(lambda: _bump_local(state))


def invalidate_pages_on(app: Flask, topic: str) -> None:
    """Every message on change-bus `topic`, from any process, empties the page cache."""
    state: PageCacheState = app.extensions[STATE]
    state.bus.subscribe(topic, lambda message: _on_change(state, message))


def invalidate_pages() -> None:
    """Empty the page cache of every process sharing it (an event subscriber may call this)."""
    state: PageCacheState | None = current_app.extensions.get(STATE)
    if state is None:
        return
    if state.shared:
        with state.lock:
            state.pending_bumps += 1
        _deliver(state)
    else:
        _bump_local(state)


def cached_page(view: Callable[P, Any]) -> Callable[P, Response]:
    """Answer an anonymous reader's GET from the page cache; render and store on a miss."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        state: PageCacheState | None = current_app.extensions.get(STATE)
        if state is None or not _cacheable(state):
            return _marked(make_response(view(*args, **kwargs)), "bypass")
        try:
            key = _key(_generation(state))
            found = _call(state, cache.get, key)
        except BackendError:
            return _marked(make_response(view(*args, **kwargs)), "bypass")
        if isinstance(found, tuple) and len(found) == 5 and found[0] == FORMAT:
            return _serve(found, "hit")
        nonce_slot, csrf_slot = _slot(), _slot()
        # What the session held before the view: a page that changes it is this reader's own.
        # (Hooks before it may have changed it, such as Flask-Login's session protection;
        # that changes the session cookie, which is per request anyway, not the page.)
        session_before = (dict(session), session.modified)
        with _placeholders(nonce_slot, csrf_slot):
            response = make_response(view(*args, **kwargs))
        session_changed = (dict(session), session.modified) != session_before
        stored = None if session_changed else _storable(response, nonce_slot, csrf_slot)
        if stored is None:
            return _marked(_filled(response, nonce_slot, csrf_slot), "bypass")
        with suppress(BackendError):  # logged; the page itself is fine
            _call(state, cache.set, key, stored, timeout=state.timeout)
        return _serve(stored, "miss")

    return wrapper


# --- the request -------------------------------------------------------------------------
def _cacheable(state: PageCacheState) -> bool:
    if request.method not in ("GET", "HEAD") or state.timeout <= 0:
        return False
    if not (state.shared or state.bus.ready()):
        return False  # a process-local cache is exact only while the bus is listening
    try:
        if current_principal() is not None:
            return False
    except Exception:  # noqa: BLE001 - bad credentials: the view answers them, uncached
        return False
    # A message waiting to be shown belongs to this reader's page only.
    return "_flashes" not in session


def _key(generation: int) -> str:
    material = (
        request.path,
        sorted(request.args.items(multi=True)),
        dataclasses.astuple(current_presentation()),
        [request.headers.get(name, "") for name in HTMX_HEADERS],
        generation,
    )
    return KEY_PREFIX + hashlib.sha256(orjson.dumps(material, default=str)).hexdigest()


def _slot() -> bytes:
    # Random per render: page content cannot guess it to have a nonce or token put into it.
    return b"vhslot" + secrets.token_hex(12).encode()


@contextmanager
def _placeholders(nonce_slot: bytes, csrf_slot: bytes) -> Iterator[None]:
    """While rendering: `csp_nonce()` and every CSRF token are the placeholders."""
    # Both are made once per request and kept in `g`; setting them first makes every caller
    # (templates, Flask-WTF form fields) take the placeholder without touching the session.
    token_field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    saved = {name: g.get(name) for name in ("csp_nonce", token_field)}
    g.csp_nonce = nonce_slot.decode()
    setattr(g, token_field, csrf_slot.decode())
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                g.pop(name, None)
            else:
                setattr(g, name, value)


def _storable(response: Response, nonce_slot: bytes, csrf_slot: bytes) -> Stored | None:
    if (
        response.status_code != 200
        or response.is_streamed
        or response.direct_passthrough
        or "Set-Cookie" in response.headers
    ):
        return None
    headers = tuple(
        (name, value) for name, value in response.headers.items() if name != "Content-Length"
    )
    return (FORMAT, headers, response.get_data(), nonce_slot, csrf_slot)


def _filled(response: Response, nonce_slot: bytes, csrf_slot: bytes) -> Response:
    """A response rendered with placeholders, but not stored: its own values put in."""
    if not (response.is_streamed or response.direct_passthrough):
        response.set_data(_fill(response.get_data(), nonce_slot, csrf_slot))
    return response


def _fill(body: bytes, nonce_slot: bytes, csrf_slot: bytes) -> bytes:
    if nonce_slot in body:
        body = body.replace(nonce_slot, csp_nonce().encode())
    if csrf_slot in body:
        # This reader's token (made, and kept in their session, on first use).
        body = body.replace(csrf_slot, generate_csrf().encode())
    return body


def _serve(stored: Stored, status: Status) -> Response:
    _, headers, body, nonce_slot, csrf_slot = stored
    response = current_app.response_class(_fill(body, nonce_slot, csrf_slot), headers=headers)
    return _marked(response, status)


def _marked(response: Response, status: Status) -> Response:
    response.headers[HEADER] = status
    return response


# --- the generation ----------------------------------------------------------------------
def _bump_local(state: PageCacheState) -> None:
    with state.lock:
        state.generation += 1


def _on_change(state: PageCacheState, message: Message) -> None:
    if not state.shared:
        _bump_local(state)  # any process's write, heard on the bus
    elif message.local:
        # This process wrote it: move the shared counter for everyone.
        with state.lock:
            state.pending_bumps += 1
        if has_app_context():
            _deliver(state)


def _generation(state: PageCacheState) -> int:
    if not state.shared:
        return state.generation
    _deliver(state)
    if state.pending_bumps:
        raise BackendError("invalidation pending")  # never read pages it should have hidden
    gen = _call(state, cache.get, GENERATION_KEY)
    if isinstance(gen, int) and not isinstance(gen, bool):
        return gen
    _call(state, cache.add, GENERATION_KEY, _clock(), timeout=0)
    gen = _call(state, cache.get, GENERATION_KEY)
    if not isinstance(gen, int):
        raise BackendError("generation missing after add")
    return gen


def _deliver(state: PageCacheState) -> None:
    with state.lock:
        owed, state.pending_bumps = state.pending_bumps, 0
    if not owed:
        return
    try:
        value = _call(state, cache.cache.inc, GENERATION_KEY, owed)
        if not isinstance(value, int) or value < CLOCK_FLOOR:
            _call(state, cache.set, GENERATION_KEY, _clock(), timeout=0)
    except BackendError:
        with state.lock:
            state.pending_bumps += owed


def _clock() -> int:
    return time.time_ns() // 1000


def _call(state: PageCacheState, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return method(*args, **kwargs)
    except Exception as exc:  # Redis down must never fail a page
        now = time.monotonic()
        if now - state.last_logged >= LOG_EVERY:
            state.last_logged = now
            log.warning("page_cache_unavailable", error=type(exc).__name__)
        raise BackendError(str(exc)) from exc
