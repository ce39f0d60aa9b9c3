"""Response caching of the knowledge API: entry lists, search and entry details.

What is cached is the *data payload* of a 200 answer (a plain JSON-able dict; for a detail also
its ETag) as ready JSON bytes, never a Response: the envelope, with this request's `warnings` (a
deprecated API version, for one), is built again for every request around the stored bytes
(`ReadyJSON`), so a hit neither unpickles nor encodes the page again. Errors are never
stored, and neither is an answer whose computation added warnings (a degraded answer should not
outlive its request).

The key is the sha256 of, canonically encoded:
- the endpoint and its validated parameters: the Pydantic model of the query (or the path), not
  the raw query string, so `?a=1&b=2`, `?b=2&a=1` and an omitted default share one entry; cursor
  and page are parameters, so every page has its own entry;
- the viewer's permission class (`permission_class`): `anon`; `user:<id>:<roles>` for signed-in
  people who are not editors (they also see their own entries, and `allowed_transitions` depends
  on authorship and roles); `staff:<roles>` for editors and admins, who see everything and whose
  moves depend only on their roles. An API key is classed by the roles it acts with (an admin's
  key without the `admin` scope acts without the admin role), so it shares entries with its
  owner exactly when the answers are the same. Guards (scopes) run before the cache is asked;
- the answers of the variant providers (`register_variant`): reader preferences that change the
  JSON of every endpoint; the registry starts empty. The one preference that changes knowledge
  JSON today, the reading level, changes only the entry detail (`preferred_version`), so the
  detail route puts the effective level (its `reading_level` parameter, else the signed-in
  reader's preference) into its params instead: lists stay shared, and a changed preference
  reaches a different entry at once;
- the generation: a counter kept in the cache backend itself (`knowledge:gen`). Every `entry.*`
  event and every committed write to an entry, category, tag or revision bumps it (`inc`: an
  atomic INCR on Redis, so every process and instance sees it at once; a locked increment per
  process on the memory cache), which makes every earlier entry unreachable; they expire after
  `api_cache_timeout`. One counter for everything is deliberate: any change can move an entry
  into or out of any list, and a write is rare next to reads. A missing counter (never set,
  evicted, Redis flushed) starts again from the clock, never from a value that older entries may
  have been stored under.

Without Redis the cache lives in each process, and the change bus (`core.changes`) carries the
bump: every write to an entry, category, tag or revision publishes `knowledge.entries` with its
transaction, so another gunicorn worker, the CLI or a job worker makes every process answer with
the change on its next request. While the bus is not listening, such a process-local cache is
bypassed (answers computed, never stale); a resync bumps its generation. With Redis the counter
is shared and the writer's bump is enough. A failing backend (Redis down) never fails a request:
the error is logged (at most every `LOG_EVERY` seconds) and the answer computed uncached; an
invalidation that could not be delivered is retried by this process before its next cache read.

Answers carry `X-Cache: hit | miss | bypass` (bypass: caching off, the backend failing, or a
variant provider failing), for tests, benchmarks and operators.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
import structlog
from flask import Flask, current_app, has_app_context

from versehub.core.auth import Principal
from versehub.core.changes import ChangeBus, Message, bus_for, watch
from versehub.core.envelope import current_warnings
from versehub.core.page_cache import invalidate_pages, invalidate_pages_on
from versehub.core.validation import ReadyJSON, encode_json
from versehub.extensions import cache
from versehub.modules.knowledge.models import Category, Entry, EntryRevision, Tag
from versehub.modules.knowledge.service import permissions

log = structlog.get_logger(__name__)

GENERATION_KEY = "knowledge:gen"
CHANGE_TOPIC = "knowledge.entries"
ENTRY_KEY_PREFIX = "knowledge:api:"
STATE = "versehub.knowledge.cache"
VARIANTS = "versehub.knowledge.cache_variants"
LOG_EVERY = 30.0
# Generations restarted from the clock (microseconds) are far above anything counted up from 1.
CLOCK_FLOOR = 10**12

Status = Literal["hit", "miss", "bypass"]
Payload = dict[str, Any]
# Given the viewer, a provider answers with a short string naming the variant it selects.
VariantProvider = Callable[[Principal | None], str]


@dataclass
class CacheState:
    """Per app: how long answers live and the invalidations still owed to the backend."""

    timeout: int
    bus: ChangeBus
    # True with Redis: one generation for every process, bumped by the writer.
    shared: bool = False
    pending_bumps: int = 0
    last_logged: float = float("-inf")
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class Cached:
    """A payload as ready JSON, and whether it came from the cache."""

    json: bytes
    status: Status

    @property
    def payload(self) -> Payload:
        """The payload decoded (for answers that need a field of it, such as the ETag)."""
        decoded: Payload = orjson.loads(self.json)
        return decoded

    @property
    def ready(self) -> ReadyJSON:
        """The payload to embed as is in an envelope (`envelope(cached.ready)`)."""
        return ReadyJSON(self.json)

    @property
    def headers(self) -> dict[str, str]:
        """The `X-Cache` header of the answer."""
        return {"X-Cache": self.status}


class BackendError(Exception):
    """The cache backend failed (already logged)."""


def init_cache(app: Flask) -> None:
    """Read the timeout, start an empty variant registry, hear changes from every process.

    (`on_entry_event` is subscribed apart.)
    """
    settings = app.extensions["versehub.settings"]
    bus = bus_for(app)
    state = CacheState(
        timeout=settings.api_cache_timeout,
        bus=bus,
        shared=app.config.get("CACHE_TYPE") == "RedisCache",
    )
    app.extensions[STATE] = state
    app.extensions.setdefault(VARIANTS, {})
    bus.subscribe(CHANGE_TOPIC, lambda message: _on_change(state, message))
    if not state.shared:
        # A shared (Redis) generation is bumped by each writer itself: a process that was not
        # listening missed nothing there, and bumping it would empty every process's cache.
        bus.on_resync(lambda: _owe_bump(state))
    for model in (Entry, Category, Tag, EntryRevision):
        watch(app, model, CHANGE_TOPIC, _everything)
    # The reading pages show the same rows: their cached HTML goes with every such change.
    invalidate_pages_on(app, CHANGE_TOPIC)


def _everything(row: object) -> dict[str, Any]:
    return {}  # one generation for all answers: any change invalidates every one


def _owe_bump(state: CacheState) -> None:
    with state.lock:
        state.pending_bumps += 1


def _on_change(state: CacheState, message: Message) -> None:
    """A knowledge write committed somewhere: bump the generation (before the next read)."""
    if message.local:
        # This process wrote it: bump now, so a shared counter moves for everyone at once.
        _owe_bump(state)
        if has_app_context():
            _deliver_bumps(state)
    elif not state.shared:
        # Heard from another process (possibly on the listener thread): owed, delivered by the
        # next request before it reads the cache.
        _owe_bump(state)


def register_variant(app: Flask, name: str, provider: VariantProvider) -> None:
    """Add a viewer preference that changes the API's JSON; its answer becomes part of the key."""
    app.extensions.setdefault(VARIANTS, {})[name] = provider


def permission_class(viewer: Principal | None) -> str:
    """What decides the entries and moves a viewer sees: anon, user:<id>:<roles>, staff:<roles>."""
    if viewer is None:
        return "anon"
    roles = ",".join(sorted(viewer.roles))
    if permissions.is_editor(viewer):
        return f"staff:{roles}"
    return f"user:{viewer.user_id}:{roles}"


def invalidate() -> None:
    """Make every cached answer unreachable (in every process sharing the backend)."""
    state = _state()
    with state.lock:
        state.pending_bumps += 1
    _deliver_bumps(state)


def cached_payload(
    *,
    endpoint: str,
    params: Mapping[str, Any],
    viewer: Principal | None,
    compute: Callable[[], Payload],
) -> Cached:
    """The payload for this endpoint, parameters and viewer: from the cache, else `compute()`.

    `compute` raising (a 404, a bad cursor) propagates and nothing is stored.
    """
    state = _state()
    if state.timeout <= 0 or not (state.shared or state.bus.ready()):
        # A process-local cache is exact only while the change bus is listening.
        return Cached(_encode(compute()), "bypass")
    try:
        key = _key(endpoint, params, viewer, _generation(state))
        found = _call(state, cache.get, key)
    except BackendError:
        return Cached(_encode(compute()), "bypass")
    except Exception:  # a variant provider's bug must not stop people reading
        log.exception("knowledge_cache_variant_failed", endpoint=endpoint)
        return Cached(_encode(compute()), "bypass")
    # Stored as JSON bytes: a hit is embedded as is, never decoded (anything else found, such
    # as a dict an older version stored, is computed again and replaced).
    if isinstance(found, bytes):
        return Cached(found, "hit")
    warnings_before = len(current_warnings())
    body = _encode(compute())
    if len(current_warnings()) == warnings_before:
        with suppress(BackendError):  # logged; the answer itself is fine
            _call(state, cache.set, key, body, timeout=state.timeout)
    return Cached(body, "miss")


def _encode(payload: Payload) -> bytes:
    return encode_json(payload, current_app.json.default)  # type: ignore[attr-defined]


def _state() -> CacheState:
    state: CacheState = current_app.extensions[STATE]
    return state


def on_entry_event(name: str, payload: dict[str, Any]) -> None:
    """The `entry.*` subscriber: any entry change invalidates every cached answer and page."""
    invalidate()
    invalidate_pages()


def _key(endpoint: str, params: Mapping[str, Any], viewer: Principal | None, gen: int) -> str:
    providers: dict[str, VariantProvider] = current_app.extensions.get(VARIANTS, {})
    material = {
        "endpoint": endpoint,
        "params": dict(params),
        "viewer": permission_class(viewer),
        "variants": {name: str(provider(viewer)) for name, provider in providers.items()},
        "generation": gen,
    }
    text = orjson.dumps(material, default=str, option=orjson.OPT_SORT_KEYS)
    return ENTRY_KEY_PREFIX + hashlib.sha256(text).hexdigest()


def _generation(state: CacheState) -> int:
    """The current generation; invalidations this process still owes are delivered first."""
    _deliver_bumps(state)
    if state.pending_bumps:
        raise BackendError("invalidation pending")  # never read entries it should have hidden
    gen = _call(state, cache.get, GENERATION_KEY)
    if isinstance(gen, int) and not isinstance(gen, bool):
        return gen
    _call(state, cache.add, GENERATION_KEY, _clock(), timeout=0)
    gen = _call(state, cache.get, GENERATION_KEY)
    if not isinstance(gen, int):
        raise BackendError("generation missing after add")
    return gen


def _deliver_bumps(state: CacheState) -> None:
    """Send owed increments to the backend; on failure they stay owed."""
    with state.lock:
        owed, state.pending_bumps = state.pending_bumps, 0
    if not owed:
        return
    try:
        value = _call(state, cache.cache.inc, GENERATION_KEY, owed)
        if not isinstance(value, int) or value < CLOCK_FLOOR:
            # The counter was missing and INCR started it at `owed`: restart it from the clock.
            _call(state, cache.set, GENERATION_KEY, _clock(), timeout=0)
    except BackendError:
        with state.lock:
            state.pending_bumps += owed


def _clock() -> int:
    return time.time_ns() // 1000


def _call(state: CacheState, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """A backend call; any failure is logged (rate-limited) and raised as BackendError."""
    try:
        return method(*args, **kwargs)
    except Exception as exc:  # Redis down or timing out must never fail the request
        now = time.monotonic()
        if now - state.last_logged >= LOG_EVERY:
            state.last_logged = now
            log.warning("knowledge_cache_unavailable", error=type(exc).__name__)
        raise BackendError(str(exc)) from exc
