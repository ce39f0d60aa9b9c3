"""The `vhsqla` transport on its own: rows claimed once, deleted on ack, restored, recovered."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection

from versehub.core.jobs import leases
from versehub.core.jobs.broker_store import TABLE, probe, sqlite_path
from versehub.core.jobs.transport import Transport, register_transport

QUEUE = "unit"


@pytest.fixture
def broker_url(tmp_path: Path) -> str:
    register_transport()
    return f"vhsqla+sqlite:///{tmp_path / 'broker.sqlite'}"


@pytest.fixture
def connection(broker_url: str) -> Iterator[Connection]:
    with Connection(broker_url, transport_options={"polling_interval": 0.01}) as conn:
        yield conn


def rows(broker_url: str) -> list[tuple[Any, ...]]:
    """(id, visible, owner) of every row, straight from the file."""
    with sqlite3.connect(sqlite_path(broker_url)) as db:
        return db.execute(f"SELECT id, visible, owner FROM {TABLE} ORDER BY id").fetchall()


def test_url_resolves_to_this_transport_with_its_own_options(connection: Connection) -> None:
    transport = connection.transport
    assert isinstance(transport, Transport)
    assert transport.polling_interval == 0.01  # an option of ours, not passed to create_engine
    with transport.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_unknown_synchronous_mode_is_refused(broker_url: str) -> None:
    with (
        Connection(broker_url, transport_options={"synchronous": "sometimes"}) as conn,
        pytest.raises(ValueError, match="synchronous"),
    ):
        conn.SimpleQueue(QUEUE).put({"n": 1})


def test_a_busy_file_means_no_message_yet_not_a_broken_connection(broker_url: str) -> None:
    options = {"polling_interval": 0.01, "busy_timeout": 0.1}
    with Connection(broker_url, transport_options=options) as conn:
        queue = conn.SimpleQueue(QUEUE)
        queue.put({"n": 1})
        holder = sqlite3.connect(sqlite_path(broker_url), isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")  # another process writing for a long time
            with pytest.raises(queue.Empty):
                queue.get(timeout=0.5)
        finally:
            holder.close()
        message = queue.get(timeout=5)
        assert message.payload == {"n": 1}
        message.ack()
        queue.close()


@pytest.mark.parametrize(
    "url", ["vhsqla+sqlite://", "vhsqla+sqlite:///:memory:", "vhsqla+postgresql://h/db"]
)
def test_only_sqlite_files_are_accepted(url: str) -> None:
    with pytest.raises(ValueError, match="SQLite file"):
        sqlite_path(url)


def test_ack_deletes_the_row(connection: Connection, broker_url: str) -> None:
    queue = connection.SimpleQueue(QUEUE)
    queue.put({"n": 1})
    message = queue.get(timeout=5)
    assert message.payload == {"n": 1}
    assert rows(broker_url) == [(1, 0, leases.lease_for(connection.transport.leases_dir).token)]
    message.ack()
    assert rows(broker_url) == []
    queue.close()


def test_unacked_messages_return_in_place_on_close(connection: Connection, broker_url: str) -> None:
    queue = connection.SimpleQueue(QUEUE)
    for n in range(3):
        queue.put({"n": n})
    first = queue.get(timeout=5)
    second = queue.get(timeout=5)
    assert [first.payload, second.payload] == [{"n": 0}, {"n": 1}]
    first.ack()
    queue.close()
    connection.release()
    # The same rows become visible again: no copies, original order kept.
    assert rows(broker_url) == [(2, 1, None), (3, 1, None)]


def test_reject_with_and_without_requeue(connection: Connection, broker_url: str) -> None:
    queue = connection.SimpleQueue(QUEUE)
    queue.put({"n": "dropped"})
    queue.put({"n": "again"})
    queue.get(timeout=5).reject()
    queue.get(timeout=5).requeue()
    assert rows(broker_url) == [(2, 1, None)]
    assert queue.get(timeout=5).payload == {"n": "again"}
    queue.close()


def test_each_message_is_delivered_once_to_competing_consumers(broker_url: str) -> None:
    total = 200
    with Connection(broker_url) as producer:
        queue = producer.SimpleQueue(QUEUE)
        for n in range(total):
            queue.put({"n": n})
        queue.close()

    seen: list[int] = []
    lock = threading.Lock()

    def consume() -> None:
        with Connection(broker_url, transport_options={"polling_interval": 0.01}) as conn:
            queue = conn.SimpleQueue(QUEUE)
            try:
                while True:
                    message = queue.get(timeout=0.5)
                    with lock:
                        seen.append(message.payload["n"])
                    message.ack()
            except queue.Empty:
                pass
            finally:
                queue.close()

    threads = [threading.Thread(target=consume) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert sorted(seen) == list(range(total))
    assert rows(broker_url) == []


def lease_of_a_dead_process(directory: Path) -> str:
    """The token of a lease taken by a process that then exited without cleaning up."""
    code = (
        "import os, sys; from pathlib import Path; from versehub.core.jobs.leases import Lease; "
        "print(Lease(Path(sys.argv[1])).token, flush=True); os._exit(0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(directory)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    token = done.stdout.strip()
    assert (directory / f"{token}.lock").exists()
    return token


def claim(broker_url: str, row_id: int, owner: str) -> None:
    with sqlite3.connect(sqlite_path(broker_url)) as db:
        db.execute(f"UPDATE {TABLE} SET visible = 0, owner = ? WHERE id = ?", (owner, row_id))


def test_rows_of_a_dead_process_are_queued_again(connection: Connection, broker_url: str) -> None:
    queue = connection.SimpleQueue(QUEUE)
    queue.put({"n": 1})
    transport: Transport = connection.transport
    dead = lease_of_a_dead_process(transport.leases_dir)
    claim(broker_url, 1, dead)
    # A consumer's first poll recovers what the dead process held, then fetches it.
    message = queue.get(timeout=5)
    assert message.payload == {"n": 1}
    message.ack()
    assert rows(broker_url) == []
    assert not (transport.leases_dir / f"{dead}.lock").exists()
    queue.close()


def test_recovery_leaves_live_owners_alone(connection: Connection, broker_url: str) -> None:
    queue = connection.SimpleQueue(QUEUE)
    queue.put({"n": 1})
    queue.put({"n": 2})
    transport: Transport = connection.transport
    live = leases.Lease(transport.leases_dir)  # another consumer that still runs
    try:
        claim(broker_url, 1, live.token)
        claim(broker_url, 2, lease_of_a_dead_process(transport.leases_dir))
        assert transport.recover_abandoned() == 1
        assert rows(broker_url) == [(1, 0, live.token), (2, 1, None)]
        assert live.path.exists()
        message = queue.get(timeout=5)
        assert message.payload == {"n": 2}
        message.ack()
    finally:
        live.release()
        queue.close()


def test_lease_files_of_dead_processes_are_swept(connection: Connection) -> None:
    transport: Transport = connection.transport
    directory = transport.leases_dir
    dead = lease_of_a_dead_process(directory)
    assert transport.recover_abandoned() == 0
    assert not (directory / f"{dead}.lock").exists()
    assert leases.lease_for(directory).path.exists()  # this process's own lease stays


def test_probe_counts_queued_and_fetched(connection: Connection, broker_url: str) -> None:
    assert probe(broker_url, timeout=1) == {"queued": 0, "fetched": 0}
    queue = connection.SimpleQueue(QUEUE)
    queue.put({"n": 1})
    queue.put({"n": 2})
    message = queue.get(timeout=5)
    assert probe(broker_url, timeout=1) == {"queued": 1, "fetched": 1}
    message.ack()
    queue.close()
