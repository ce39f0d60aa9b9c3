"""Where one request's time goes, part by part: the hooks, the caller, the view's pieces, the rest.

Used by `bench.api_costs --parts`. Every before/after/teardown hook of the app, every caller
resolver, and a few named functions inside the view are wrapped with a timer that keeps
*exclusive* time (a part nested in another is taken out of its parent), classified into parts
(log line, rate limiter, security headers, ...). The request is driven straight through
`app.wsgi_app`, as gunicorn calls it, so "Flask and Werkzeug" is what remains of the whole call.

The timers read the thread's CPU clock, so waits (PostgreSQL, other processes on a busy machine)
do not count, and the clock's own cost is measured and taken out (`Timers.calibrate`).
"""

from __future__ import annotations

import collections
import functools
import importlib
import io
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask

# Hooks by the module (and, where one module has several, the name) they come from.
HOOK_PARTS: tuple[tuple[str, str, str], ...] = (
    ("versehub.core.requests", "", "request id and log line"),
    ("versehub.core.limits", "", "rate limiter"),
    ("flask_limiter", "", "rate limiter"),
    ("versehub.core.security", "", "security headers"),
    ("versehub.core.cors", "", "security headers"),
    ("flask_cors", "", "security headers"),
    ("versehub.core.metrics", "", "Prometheus metrics"),
    ("versehub.core.csrf", "", "CSRF check"),
    ("flask_wtf", "", "CSRF check"),
    ("versehub.core.versioning", "", "API version"),
    ("versehub.core.module_access", "", "module access"),
    ("versehub.core.validation", "guard_api_body", "body guard"),
    ("versehub.core.auth", "", "caller (resolver chain)"),
    ("flask_login", "", "Flask-Login remember cookie"),
    ("flask_sqlalchemy", "", "session teardown"),
    ("versehub.core.outages", "", "session teardown"),
)

# Functions inside the request, patched where they are looked up (module attribute).
NESTED: tuple[tuple[str, str, str], ...] = (
    ("versehub.modules.accounts.service.tokens", "decode", "JWT verification"),
    ("versehub.modules.accounts.service.principals", "person", "principal SQL"),
    ("versehub.core.api", "parse_query", "query validation"),
    ("versehub.modules.knowledge.api.listing", "cached_payload", "response cache lookup"),
    ("versehub.modules.knowledge.service.search", "list_", "page query (cache miss)"),
    ("versehub.modules.knowledge.api.listing", "list_envelope", "JSON envelope"),
)


class Timers:
    """Exclusive thread CPU time per part, summed over the requests of one run.

    Reading the thread CPU clock costs about 1.5 µs here, as much as some parts: `calibrate`
    measures what one timed call adds, to itself and to its caller, and `corrected` takes it out.
    """

    def __init__(self) -> None:
        self.totals: collections.Counter[str] = collections.Counter()
        self.calls: collections.Counter[str] = collections.Counter()
        self.child_calls: collections.Counter[str] = collections.Counter()
        self._stack: list[list[Any]] = []  # [part, ns spent in timed calls inside it]
        self.own_cost = self.parent_cost = 0.0

    def wrap(self, part: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """`fn`, timed into `part` (minus the time of timed calls made inside it)."""
        stack, clock = self._stack, time.thread_time_ns
        totals, calls, child_calls = self.totals, self.calls, self.child_calls

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = clock()
            stack.append([part, 0])
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = clock() - start
                totals[part] += elapsed - stack.pop()[1]
                calls[part] += 1
                if stack:
                    stack[-1][1] += elapsed
                    child_calls[stack[-1][0]] += 1

        return timed

    def clear(self) -> None:
        """Forget what was timed so far."""
        self.totals.clear()
        self.calls.clear()
        self.child_calls.clear()

    def calibrate(self, rounds: int = 20_000) -> None:
        """Measure the cost of a timed call: inside it (own) and in its timed caller (parent)."""
        inner = self.wrap("_inner", lambda: None)
        outer = self.wrap("_outer", lambda: [inner() for _ in range(rounds)])
        noop = lambda: None  # noqa: E731 - the same callable the timed loop calls
        plain = time.thread_time_ns()
        for _ in range(rounds):
            noop()
        loop = time.thread_time_ns() - plain
        outer()
        self.own_cost = self.totals["_inner"] / rounds
        self.parent_cost = max(0.0, (self.totals["_outer"] - loop) / rounds)
        self.clear()

    def corrected(self, runs: int) -> dict[str, float]:
        """µs per request of each timed name, less the timing's own cost, largest first."""
        out = {
            name: (
                ns - self.calls[name] * self.own_cost - self.child_calls[name] * self.parent_cost
            )
            / runs
            / 1000
            for name, ns in self.totals.items()
        }
        return {name: round(us, 1) for name, us in sorted(out.items(), key=lambda kv: -kv[1])}


def by_part(detail: dict[str, float]) -> dict[str, float]:
    """`part | function` figures summed per part, largest first."""
    parts: collections.Counter[str] = collections.Counter()
    for name, us in detail.items():
        parts[name.split(" | ", 1)[0]] += us
    return {part: round(us, 1) for part, us in parts.most_common()}


def hook_part(fn: Any) -> str:
    """The part a hook belongs to, from its module (and name)."""
    target = fn.func if isinstance(fn, functools.partial) else fn
    module = getattr(target, "__module__", "") or ""
    name = getattr(target, "__qualname__", "")
    for prefix, qualname, part in HOOK_PARTS:
        if module.startswith(prefix) and (not qualname or qualname == name):
            return part
    return f"other hook: {module}.{name}"


@contextmanager
def instrumented(app: Flask, timers: Timers) -> Iterator[list[str]]:
    """Wrap the app's hooks, resolvers, views and NESTED functions; undo on exit.

    Yields the hooks found, as `part: module.name`, in the order they run.
    """
    undo: list[Callable[[], None]] = []
    seen: list[str] = []

    def replace_all(funcs: list[Any], kind: str, forced: str = "") -> None:
        original = list(funcs)
        for i, fn in enumerate(original):
            part = forced or hook_part(fn)
            target = fn.func if isinstance(fn, functools.partial) else fn
            name = getattr(target, "__qualname__", str(target)).rsplit(".", 1)[-1]
            seen.append(f"{kind} {part}: {name}")
            funcs[i] = timers.wrap(f"{part} | {kind} {name}", fn)
        undo.append(lambda: funcs.__setitem__(slice(None), original))

    for key in list(app.before_request_funcs):
        replace_all(app.before_request_funcs[key], "before")
    for key in list(app.after_request_funcs):
        replace_all(app.after_request_funcs[key], "after")
    for key in list(app.teardown_request_funcs):
        replace_all(app.teardown_request_funcs[key], "teardown")
    replace_all(app.teardown_appcontext_funcs, "teardown-app")
    resolvers: list[Any] = app.extensions.get("versehub.auth_resolvers", [])
    replace_all(resolvers, "resolver", "caller (resolver chain)")
    views = dict(app.view_functions)
    for endpoint, view in views.items():
        app.view_functions[endpoint] = timers.wrap("view (the rest of it) | view", view)
    undo.append(lambda: app.view_functions.update(views))
    for module_name, attr, part in NESTED:
        module = importlib.import_module(module_name)
        original = getattr(module, attr, None)
        if original is None:
            continue
        setattr(module, attr, timers.wrap(f"{part} | {attr}", original))
        undo.append(functools.partial(setattr, module, attr, original))
    try:
        yield seen
    finally:
        for step in reversed(undo):
            step()


def call(app: Flask, environ: dict[str, Any]) -> bytes:
    """One request through the WSGI interface, as a server makes it; the body."""
    status: list[str] = []

    def start_response(line: str, _headers: Any, _exc: Any = None) -> Any:
        status.append(line)
        return lambda _data: None

    env = dict(environ)
    env["wsgi.input"] = io.BytesIO(b"")
    answer = app.wsgi_app(env, start_response)
    try:
        body = b"".join(answer)
    finally:
        close = getattr(answer, "close", None)
        if close is not None:
            close()
    if not status or not status[0].startswith("200"):
        raise RuntimeError(f"unexpected answer {status} {body[:300]!r}")
    return body


def whole(app: Flask, environ: dict[str, Any], runs: int) -> dict[str, float]:
    """Median µs of the whole request, uninstrumented (after 50 warm-ups): this thread's CPU,
    the process's (threads a request starts count too) and wall time."""
    for _ in range(50):
        call(app, environ)
    cpus, processes, walls = [], [], []
    for _ in range(runs):
        wall, cpu, process = time.perf_counter_ns(), time.thread_time_ns(), time.process_time_ns()
        call(app, environ)
        cpus.append((time.thread_time_ns() - cpu) / 1000)
        processes.append((time.process_time_ns() - process) / 1000)
        walls.append((time.perf_counter_ns() - wall) / 1000)
    return {
        "cpu_us": round(statistics.median(cpus), 1),
        "process_cpu_us": round(statistics.median(processes), 1),
        "wall_us": round(statistics.median(walls), 1),
    }


def parts(app: Flask, environ: dict[str, Any], runs: int) -> dict[str, Any]:
    """Mean exclusive µs per request of each part, and the whole call's, instrumented."""
    timers = Timers()
    timers.calibrate()
    with instrumented(app, timers) as hooks:
        total = timers.wrap("Flask and Werkzeug (the rest) | wsgi_app", lambda: call(app, environ))
        for _ in range(50):
            total()
        timers.clear()
        for _ in range(runs):
            total()
    detail = timers.corrected(runs)
    return {
        "timer_cost_us": [round(timers.own_cost / 1000, 2), round(timers.parent_cost / 1000, 2)],
        "parts_total_cpu_us": round(sum(detail.values()), 1),
        "parts_cpu_us": by_part(detail),
        "functions_cpu_us": detail,
        "hooks": hooks,
    }
