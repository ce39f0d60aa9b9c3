"""Dead letters the database could not take: one JSON file each in `instance/deadletters/`.

A job that fails while the database is down must not vanish with it. Its dead letter is written
to its own file (temporary name, fsync, atomic rename, fsync of the folder), so a crash leaves
either a whole file or none and processes never write to the same file. `import_spooled` moves
files into the table when the database is back: a file is claimed by an atomic rename (one
importer per file), inserted unless the same letter is already there (a crash between commit and
unlink must not duplicate it), committed, then deleted. Claims older than `STALE_CLAIM` seconds
(an importer died) are taken over.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import select

from versehub.core.jobs.models import DeadLetter
from versehub.extensions import db

log = structlog.get_logger(__name__)

SPOOL_FOLDER = "deadletters"
SUFFIX = ".json"
CLAIMED = ".claimed"
STALE_CLAIM = 300.0


def spool_folder(instance_path: Path) -> Path:
    """Where spooled dead letters of this instance wait."""
    return instance_path / SPOOL_FOLDER


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def spool_dead_letter(folder: Path, values: dict[str, Any]) -> Path:
    """Write one dead letter (the table's columns) durably to its own file; returns the path."""
    folder.mkdir(parents=True, exist_ok=True)
    failed_at: datetime = values["failed_at"]
    record = {**values, "failed_at": failed_at.isoformat()}
    name = f"{failed_at:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex}"
    temporary = folder / f".{name}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, json.dumps(record, ensure_ascii=False).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    path = folder / f"{name}{SUFFIX}"
    os.replace(temporary, path)
    _fsync_folder(folder)
    return path


def pending(folder: Path) -> list[Path]:
    """Spooled files not yet imported (claimed ones included)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.endswith((SUFFIX, CLAIMED)))


def _claim(path: Path) -> Path | None:
    if path.name.endswith(CLAIMED):
        try:
            if time.time() - path.stat().st_mtime < STALE_CLAIM:
                return None  # another importer is on it
        except FileNotFoundError:
            return None
        base = path.name[: path.name.index(SUFFIX) + len(SUFFIX)]
    else:
        base = path.name
    claimed = path.with_name(f"{base}.{os.getpid()}-{uuid.uuid4().hex[:8]}{CLAIMED}")
    try:
        os.rename(path, claimed)  # atomic: of several importers exactly one succeeds
    except FileNotFoundError:
        return None
    os.utime(claimed)  # the claim's age, not the letter's
    return claimed


def _letter(record: dict[str, Any]) -> DeadLetter:
    return DeadLetter(
        task_id=str(record["task_id"]),
        task_name=str(record["task_name"]),
        args=list(record.get("args") or []),
        kwargs=dict(record.get("kwargs") or {}),
        retries=int(record.get("retries") or 0),
        error_type=str(record["error_type"]),
        error_message=str(record.get("error_message") or ""),
        traceback=str(record.get("traceback") or ""),
        failed_at=datetime.fromisoformat(str(record["failed_at"])),
    )


def _import_one(path: Path) -> bool:
    claimed = _claim(path)
    if claimed is None:
        return False
    try:
        letter = _letter(json.loads(claimed.read_text(encoding="utf-8")))
        already = db.session.scalar(
            select(DeadLetter.id).where(
                DeadLetter.task_id == letter.task_id, DeadLetter.failed_at == letter.failed_at
            )
        )
        if already is None:
            db.session.add(letter)
        db.session.commit()
    except Exception:
        # Back under its plain name first (a rollback on a dead connection may raise too):
        # the next import tries again.
        os.replace(claimed, path.with_name(claimed.name.split(SUFFIX)[0] + SUFFIX))
        db.session.rollback()
        raise
    claimed.unlink()
    return already is None


def import_spooled(folder: Path) -> int:
    """Move spooled dead letters into the table (commits each); returns how many were added.

    Raises the database's error when it is still unreachable; files stay for the next try.
    """
    added = 0
    for path in pending(folder):
        if _import_one(path):
            added += 1
    if added:
        log.info("dead_letters_imported", count=added)
    return added


def try_import_spooled(folder: Path) -> int:
    """`import_spooled` that logs instead of raising (worker start, the periodic import)."""
    if not pending(folder):
        return 0
    try:
        return import_spooled(folder)
    except Exception as exc:  # noqa: BLE001 - the database may still be down; retried later
        log.warning("dead_letter_import_failed", error_type=type(exc).__name__)
        return 0
