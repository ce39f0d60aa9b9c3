"""Celery workers running as threads of this process: the embedded worker and `versehub worker`."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from functools import partial
from itertools import count
from types import FrameType
from typing import Any

import structlog
from celery import Celery
from celery.beat import EmbeddedService
from celery.result import _set_task_join_will_block
from celery.worker import WorkController, state
from flask import Flask

from versehub.core.jobs import heartbeat
from versehub.core.jobs.broker_store import broker_kind
from versehub.core.jobs.celery_app import WORKER_EXTENSION
from versehub.core.jobs.effects import purge_effects
from versehub.core.jobs.spool import spool_folder, try_import_spooled
from versehub.extensions import db
from versehub.settings import Settings

log = structlog.get_logger(__name__)

_numbers = count(1)
EFFECTS_PURGED = "versehub.jobs.effects_purged_at"
EFFECTS_PURGE_EVERY = 3600.0
# Redeliveries come within the visibility timeout (minutes); a week is a wide margin.
EFFECTS_KEPT_DAYS = 7
_active_lock = threading.Lock()
_active: InProcessWorker | None = None


class _WorkController(WorkController):  # type: ignore[misc]
    """Celery's worker that tells us when its consumer is ready."""

    def __init__(self, *args: Any, ready: threading.Event, **kwargs: Any) -> None:
        self._ready = ready
        super().__init__(*args, **kwargs)

    def on_consumer_ready(self, consumer: Any) -> None:
        self._ready.set()


class InProcessWorker:
    """A Celery worker (thread pool) and optionally beat, in daemon threads of this process.

    Celery keeps its stop flag process-wide, so one such worker runs per process at a time.
    """

    def __init__(
        self,
        celery_app: Celery,
        *,
        concurrency: int,
        beat: bool,
        housekeeping: Callable[[str], None] | None = None,
        housekeeping_interval: float = 15.0,
    ) -> None:
        self.celery_app = celery_app
        self.concurrency = concurrency
        self.with_beat = beat
        self.name = ""
        self._thread: threading.Thread | None = None
        self._beat: Any = None
        self._housekeeping = housekeeping
        self._housekeeping_interval = housekeeping_interval
        self._housekeeper: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def alive(self) -> bool:
        """Whether the worker thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 30.0) -> None:
        """Start the worker (and beat) and wait until it consumes; raises if it cannot."""
        global _active
        with _active_lock:
            if _active is not None and _active.alive:
                raise RuntimeError("a job worker already runs in this process")
            _active = self
        # Success lines would carry return values; VerseHub logs its own lines per job.
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        state.should_stop = None
        state.should_terminate = None
        ready = threading.Event()
        self.name = f"versehub-{os.getpid()}-{next(_numbers)}@{socket.gethostname()}"
        self._stopping.clear()
        controller = _WorkController(
            app=self.celery_app,
            hostname=self.name,
            pool="threads",
            concurrency=self.concurrency,
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
            ready_callback=None,
            ready=ready,
        )
        self._thread = threading.Thread(
            target=controller.start, name="versehub-job-worker", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not ready.wait(0.05):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop(timeout=5.0)
                raise RuntimeError("the job worker did not start (is the broker reachable?)")
        # As Celery's own test worker does: joining results is not blocked in this process.
        _set_task_join_will_block(False)
        if self.with_beat:
            self._beat = EmbeddedService(self.celery_app, thread=True)
            self._beat.start()
        if self._housekeeping is not None:
            self._housekeeper = threading.Thread(
                target=self._keep_house, name="versehub-job-housekeeping", daemon=True
            )
            self._housekeeper.start()
        log.info(
            "job_worker_started",
            broker=broker_kind(str(self.celery_app.conf.broker_url)),
            concurrency=self.concurrency,
            beat=self.with_beat,
        )

    def _keep_house(self) -> None:
        # At once (spooled dead letters from before a restart), then at every interval while
        # the consumer runs: a worker that hangs or dies stops beating.
        while self.alive and not self._stopping.is_set():
            try:
                if self._housekeeping is not None:
                    self._housekeeping(self.name)
            except Exception:  # a failed round is retried at the next interval
                log.warning("job_housekeeping_failed", exc_info=True)
            self._stopping.wait(self._housekeeping_interval)

    def stop(self, timeout: float = 60.0) -> bool:
        """Warm shutdown: running jobs finish, fetched ones go back to the queue. True when done."""
        global _active
        self._stopping.set()
        if self._housekeeper is not None:
            self._housekeeper.join(timeout)
            self._housekeeper = None
        thread = self._thread
        if thread is not None and thread.is_alive():
            # Celery's `worker.stop()` from another thread ran the current job twice; the flag
            # its consumer loop polls stops it cleanly.
            state.should_stop = 0
        if self._beat is not None:
            self._beat.service.stop(wait=False)
            self._beat.join(timeout)
            self._beat = None
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                # Still busy: the jobs it holds return to the queue when this process exits.
                log.error("job_worker_stop_timeout", timeout=timeout)
                return False
            self._thread = None
            state.should_stop = None
            log.info("job_worker_stopped")
        with _active_lock:
            if _active is self:
                _active = None
        return True


def start_embedded_worker(
    app: Flask, *, beat: bool = True, concurrency: int | None = None
) -> InProcessWorker:
    """Start the app's job worker (and beat) in background threads of this process."""
    settings: Settings = app.extensions["versehub.settings"]
    worker = InProcessWorker(
        app.extensions["celery"],
        concurrency=concurrency or settings.worker_concurrency,
        beat=beat,
        housekeeping=partial(keep_house, app),
        housekeeping_interval=settings.job_worker_stale_after / 4,
    )
    worker.start()
    app.extensions[WORKER_EXTENSION] = worker
    return worker


def keep_house(app: Flask, worker_name: str) -> None:
    """A worker's periodic round: beat (readiness sees a consumer), import spooled dead letters."""
    settings: Settings = app.extensions["versehub.settings"]
    heartbeat.beat(settings.effective_broker_url, worker_name)
    with app.app_context():
        try_import_spooled(spool_folder(settings.instance_path))
        now = time.monotonic()
        if now - app.extensions.get(EFFECTS_PURGED, -EFFECTS_PURGE_EVERY) >= EFFECTS_PURGE_EVERY:
            app.extensions[EFFECTS_PURGED] = now
            try:
                purge_effects(older_than_days=EFFECTS_KEPT_DAYS)
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - the database may be down; next hour then
                db.session.rollback()
                log.warning("job_effects_purge_failed", error_type=type(exc).__name__)


def stop_embedded_worker(app: Flask, timeout: float = 60.0) -> bool:
    """Stop the app's embedded worker, if any; True when it stopped within `timeout`."""
    worker: InProcessWorker | None = app.extensions.pop(WORKER_EXTENSION, None)
    if worker is None:
        return True
    stopped = worker.stop(timeout)
    if stopped and worker.name:
        settings: Settings = app.extensions["versehub.settings"]
        try:
            heartbeat.forget(settings.effective_broker_url, worker.name)
        except Exception:  # its beat then simply grows old
            log.warning("job_heartbeat_forget_failed", exc_info=True)
    return stopped


def run_worker(app: Flask, *, concurrency: int | None = None, beat: bool = False) -> int:
    """Run a worker until SIGINT or SIGTERM (`versehub worker`); returns the exit status."""
    stopping = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        if not stopping.is_set():
            log.info("job_worker_stopping", signal=signal.Signals(signum).name)
        stopping.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker = start_embedded_worker(app, beat=beat, concurrency=concurrency)
        while not stopping.wait(0.5):
            if not worker.alive:
                log.error("job_worker_died")
                stop_embedded_worker(app, timeout=5.0)
                return 1
        return 0 if stop_embedded_worker(app) else 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
