"""`versehub run`: Werkzeug's threaded server plus the embedded job worker, stopped gracefully.

Werkzeug's reloader parent SIGKILLs the serving child 0.25 s after Ctrl-C, which would strand
running jobs. So the parent here is our own small supervisor: it holds the listening socket,
forwards SIGINT/SIGTERM to the child and restarts it when it exits with status 3 (a reload).
The worker runs only in the serving process and is stopped in a `finally`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from types import FrameType

import structlog
from flask import Flask
from werkzeug.serving import (
    get_sockaddr,
    is_running_from_reloader,
    run_simple,
    select_address_family,
)

from versehub.core.jobs.worker import start_embedded_worker, stop_embedded_worker
from versehub.settings import Settings

log = structlog.get_logger(__name__)

RELOAD_EXIT_CODE = 3  # what Werkzeug's reloader exits with when a file changed


def serve(load_app: Callable[[], Flask], *, host: str, port: int, reload: bool) -> int:
    """Serve until interrupted; returns the exit status."""
    if reload and not is_running_from_reloader():
        return supervise_reloader(host=host, port=port)
    return serve_app(load_app(), host=host, port=port, reload=reload)


def _bind(host: str, port: int) -> socket.socket:
    family = select_address_family(host, port)
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(get_sockaddr(host, port, family))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def supervise_reloader(*, host: str, port: int) -> int:
    """Run the server in a child process, restarting it on reload, forwarding stop signals."""
    sock = _bind(host, port)
    env = {**os.environ, "WERKZEUG_RUN_MAIN": "true", "WERKZEUG_SERVER_FD": str(sock.fileno())}
    args = [sys.executable, *sys.orig_argv[1:]]
    child: subprocess.Popen[bytes] | None = None
    stopping: list[int] = []

    def forward(signum: int, _frame: FrameType | None) -> None:
        # Ctrl-C reaches the child from the terminal too; it ignores the duplicate.
        stopping.append(signum)
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    log.info("server_started", url=f"http://{host}:{port}", reload=True)
    try:
        while True:
            child = subprocess.Popen(args, env=env, pass_fds=(sock.fileno(),))  # noqa: S603
            if stopping:
                child.send_signal(stopping[0])
            code = child.wait()
            if code != RELOAD_EXIT_CODE or stopping:
                return code if code >= 0 else 1
            log.info("server_reloading")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()


class _StopSignals:
    """First SIGINT → KeyboardInterrupt, first SIGTERM → SystemExit; repeats are ignored."""

    def __init__(self) -> None:
        self.received: int | None = None

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.received is not None:
            return
        self.received = signum
        log.info("server_stopping", signal=signal.Signals(signum).name)
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(0)

    def install(self) -> None:
        signal.signal(signal.SIGINT, self.handle)
        signal.signal(signal.SIGTERM, self.handle)

    def ignore(self, signum: int, _frame: FrameType | None) -> None:
        log.info("server_already_stopping", signal=signal.Signals(signum).name)

    def shield(self) -> None:
        """Let the clean-up finish: further stop signals are only logged."""
        signal.signal(signal.SIGINT, self.ignore)
        signal.signal(signal.SIGTERM, self.ignore)


def serve_app(app: Flask, *, host: str, port: int, reload: bool) -> int:
    """Serve `app` in this process with the embedded worker when settings ask for one."""
    settings: Settings = app.extensions["versehub.settings"]
    signals = _StopSignals()
    signals.install()
    embedded = settings.use_embedded_worker
    try:
        if embedded:
            start_embedded_worker(app, beat=True)
        if not is_running_from_reloader():
            log.info("server_started", url=f"http://{host}:{port}", embedded_worker=embedded)
        run_simple(
            host,
            port,
            app,
            use_reloader=reload,
            use_debugger=app.debug,
            threaded=True,
        )
    except KeyboardInterrupt:
        pass
    finally:
        signals.shield()
        stopped = stop_embedded_worker(app)
    return 0 if stopped else 1
