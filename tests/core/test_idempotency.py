"""`Idempotency-Key` on POST creates: replay, mismatch, in flight, failures, expiry, purge.

The routes here are a test blueprint whose creates write real rows (dead letters) so "created
once" is counted in the database; the module routes are covered in their own test folders.
Two apps on one database stand for two gunicorn workers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from flask import Blueprint, Flask, Response, current_app
from flask.testing import FlaskClient
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select, update
from werkzeug.test import TestResponse

from tests.conftest import AppFactory
from versehub.core.db import utcnow
from versehub.core.envelope import envelope
from versehub.core.idempotency import HEADER, REPLAYED_HEADER, IdempotencyRecord, idempotent
from versehub.core.idempotency.tasks import PURGE_TASK
from versehub.core.jobs.models import DeadLetter
from versehub.core.validation import parse_body
from versehub.extensions import db

THINGS = "/api/v1/idemtest/things"
CRASH_ONCE = "/api/v1/idemtest/crash-once"
SLOW = "/api/v1/idemtest/slow"
GATE = "test.idempotency_gate"


class ThingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=40)
    size: int = Field(1, ge=1, le=10)


class Gate:
    """Holds the slow route until the test opens it, and says when a request got inside."""

    def __init__(self) -> None:
        self.inside = threading.Event()
        self.open = threading.Event()


def _create(name: str) -> Response:
    row = DeadLetter(
        task_id="idem", task_name=name, error_type="E", error_message="m", traceback=""
    )
    db.session.add(row)
    db.session.commit()
    return envelope(
        {"thing": {"id": row.id, "name": name}},
        status=201,
        headers={"Location": f"{THINGS}/{row.id}", "ETag": f'"t{row.id}"'},
    )


def blueprint() -> Blueprint:
    """Creates that count, fail once, or wait for the test."""
    bp = Blueprint("idemtest", __name__, url_prefix="/api/v1/idemtest")

    @bp.post("/things")
    @idempotent
    def create_thing() -> Response:
        return _create(parse_body(ThingIn).name)

    @bp.post("/crash-once")
    @idempotent
    def crash_once() -> Response:
        body = parse_body(ThingIn)
        if not current_app.extensions.setdefault("test.crashed", False):
            current_app.extensions["test.crashed"] = True
            raise RuntimeError("first attempt breaks")
        return _create(body.name)

    @bp.post("/slow")
    @idempotent
    def slow() -> Response:
        body = parse_body(ThingIn)
        gate: Gate = current_app.extensions[GATE]
        gate.inside.set()
        assert gate.open.wait(30), "the test never opened the gate"
        return _create(body.name)

    return bp


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def make_idem_app(make_app: AppFactory, gate: Gate) -> AppFactory:
    """Apps with the test routes (each one like a gunicorn worker on the same database)."""

    def factory(**overrides: Any) -> Flask:
        app = make_app(**overrides)
        app.register_blueprint(blueprint())
        app.extensions[GATE] = gate
        return app

    return factory


@pytest.fixture
def idem_app(make_idem_app: AppFactory) -> Flask:
    return make_idem_app()


@pytest.fixture
def idem(idem_app: Flask) -> FlaskClient:
    return idem_app.test_client()


def post(
    client: FlaskClient, path: str, body: Any, key: str | None = None, **kwargs: Any
) -> TestResponse:
    headers = {HEADER: key} if key is not None else {}
    return client.post(path, json=body, headers=headers, **kwargs)


def things(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(DeadLetter)) or 0)


def records(app: Flask) -> list[IdempotencyRecord]:
    with app.app_context():
        rows = list(db.session.scalars(select(IdempotencyRecord).order_by(IdempotencyRecord.id)))
        db.session.expunge_all()
        return rows


def backdate(app: Flask, seconds: int) -> None:
    with app.app_context():
        db.session.execute(
            update(IdempotencyRecord).values(created_at=utcnow() - timedelta(seconds=seconds))
        )
        db.session.commit()


# --- replay ------------------------------------------------------------------------------------
def test_same_key_and_body_answer_the_first_response(idem_app: Flask, idem: FlaskClient) -> None:
    first = post(idem, THINGS, {"name": "one"}, "key-1")
    again = post(idem, THINGS, {"name": "one"}, "key-1")
    assert first.status_code == again.status_code == 201
    assert REPLAYED_HEADER not in first.headers
    assert again.headers[REPLAYED_HEADER] == "true"
    assert again.get_data() == first.get_data()
    for name in ("Location", "ETag", "Content-Type"):
        assert again.headers[name] == first.headers[name]
    assert again.headers["X-Request-ID"] != first.headers["X-Request-ID"]  # a new request
    assert things(idem_app) == 1


def test_without_a_key_every_request_creates(idem_app: Flask, idem: FlaskClient) -> None:
    assert post(idem, THINGS, {"name": "one"}).status_code == 201
    assert post(idem, THINGS, {"name": "one"}).status_code == 201
    assert things(idem_app) == 2
    assert records(idem_app) == []


def test_the_same_json_written_differently_is_the_same_body(
    idem_app: Flask, idem: FlaskClient
) -> None:
    first = post(idem, THINGS, {"name": "one", "size": 2}, "k")
    raw = '{ "size" : 2,\n  "name": "one" }'
    again = idem.post(THINGS, data=raw, content_type="application/json", headers={HEADER: "k"})
    assert again.status_code == 201
    assert again.headers[REPLAYED_HEADER] == "true"
    assert again.get_json() == first.get_json()
    assert things(idem_app) == 1


@pytest.mark.parametrize(
    "other",
    [{"name": "two"}, {"name": "one", "size": 2}, {"name": "one", "size": 1}],
    ids=["other-value", "extra-field", "default-spelled-out"],
)
def test_another_body_with_the_same_key_is_refused(
    idem_app: Flask, idem: FlaskClient, other: dict[str, Any]
) -> None:
    assert post(idem, THINGS, {"name": "one"}, "k").status_code == 201
    refused = post(idem, THINGS, other, "k")
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["error"]["code"] == "VAL_INVALID"
    assert [e["field"] for e in body["error"]["errors"]] == [HEADER]
    assert HEADER in body["message"]
    assert things(idem_app) == 1


def test_the_query_string_is_part_of_the_request(idem_app: Flask, idem: FlaskClient) -> None:
    assert post(idem, THINGS, {"name": "one"}, "k").status_code == 201
    assert post(idem, THINGS + "?x=1", {"name": "one"}, "k").status_code == 422
    assert things(idem_app) == 1


def test_a_key_belongs_to_one_path(idem_app: Flask, idem: FlaskClient) -> None:
    idem_app.extensions["test.crashed"] = True
    assert post(idem, THINGS, {"name": "one"}, "k").status_code == 201
    other = post(idem, CRASH_ONCE, {"name": "one"}, "k")
    assert other.status_code == 201
    assert REPLAYED_HEADER not in other.headers
    assert things(idem_app) == 2


# --- the key itself ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "key",
    ["", "x" * 256, "caf\u00e9", "tab\tinside", "del\x7fchar", "nul\x01char"],
    ids=["empty", "too-long", "not-ascii", "tab", "del", "control"],
)
def test_malformed_keys_are_refused_before_anything_runs(
    idem_app: Flask, idem: FlaskClient, key: str
) -> None:
    refused = post(idem, THINGS, {"name": "one"}, key)
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["error"]["code"] == "VAL_INVALID"
    assert body["error"]["errors"][0]["field"] == HEADER
    assert things(idem_app) == 0
    assert records(idem_app) == []


@pytest.mark.parametrize(
    "key",
    ["a", "x" * 255, "0b3f6c1e-8a57-4e0e-9d5b-3f1a2c4d5e6f", '"sf-string"', "inner space ok"],
    ids=["one-char", "255-chars", "uuid", "quoted", "inner-space"],
)
def test_well_formed_keys_work(idem_app: Flask, idem: FlaskClient, key: str) -> None:
    assert post(idem, THINGS, {"name": "one"}, key).status_code == 201
    assert post(idem, THINGS, {"name": "one"}, key).headers[REPLAYED_HEADER] == "true"
    assert things(idem_app) == 1


# --- failures are not stored -------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad",
    [{"name": ""}, {"name": "one", "size": 99}, {"nme": "typo"}],
    ids=["empty-name", "size-out-of-range", "unknown-field"],
)
def test_a_request_that_failed_validation_is_not_stored(
    idem_app: Flask, idem: FlaskClient, bad: dict[str, Any]
) -> None:
    assert post(idem, THINGS, bad, "k").status_code == 422
    assert records(idem_app) == []
    fixed = post(idem, THINGS, {"name": "one"}, "k")
    assert fixed.status_code == 201
    assert REPLAYED_HEADER not in fixed.headers
    assert things(idem_app) == 1


def test_a_request_that_crashed_is_not_stored(idem_app: Flask, idem: FlaskClient) -> None:
    crashed = post(idem, CRASH_ONCE, {"name": "one"}, "k")
    assert crashed.status_code == 500
    assert crashed.get_json()["error"]["code"] == "SYS_INTERNAL_ERROR"
    assert records(idem_app) == []
    retried = post(idem, CRASH_ONCE, {"name": "one"}, "k")
    assert retried.status_code == 201
    assert REPLAYED_HEADER not in retried.headers
    assert post(idem, CRASH_ONCE, {"name": "one"}, "k").headers[REPLAYED_HEADER] == "true"
    assert things(idem_app) == 1


def test_a_malformed_body_is_refused_and_not_stored(idem_app: Flask, idem: FlaskClient) -> None:
    broken = idem.post(
        THINGS, data="{not json", content_type="application/json", headers={HEADER: "k"}
    )
    assert broken.status_code == 400
    assert records(idem_app) == []


# --- callers -----------------------------------------------------------------------------------
def test_anonymous_callers_from_other_addresses_do_not_share_keys(
    idem_app: Flask, idem: FlaskClient
) -> None:
    here = post(idem, THINGS, {"name": "one"}, "k", environ_base={"REMOTE_ADDR": "192.0.2.1"})
    there = post(idem, THINGS, {"name": "one"}, "k", environ_base={"REMOTE_ADDR": "192.0.2.2"})
    assert here.status_code == there.status_code == 201
    assert REPLAYED_HEADER not in there.headers
    assert here.get_json() != there.get_json()
    assert things(idem_app) == 2
    assert sorted(r.caller for r in records(idem_app)) == ["ip:192.0.2.1", "ip:192.0.2.2"]


# --- storage -----------------------------------------------------------------------------------
def test_the_record_keeps_no_body_in_clear(idem_app: Flask, idem: FlaskClient) -> None:
    marker = "visible-marker-42"
    assert post(idem, THINGS, {"name": marker}, "k").status_code == 201
    (record,) = records(idem_app)
    assert record.status == 201
    assert record.body is not None
    assert marker.encode() not in record.body
    assert marker not in record.fingerprint
    assert len(record.fingerprint) == 64
    assert json.loads(record.headers or "{}")["Location"].startswith(THINGS)
    assert record.route == f"POST {THINGS}"


def test_records_hold_across_apps_on_one_database(make_idem_app: AppFactory) -> None:
    worker_a, worker_b = make_idem_app(), make_idem_app()
    first = post(worker_a.test_client(), THINGS, {"name": "one"}, "k")
    again = post(worker_b.test_client(), THINGS, {"name": "one"}, "k")
    assert again.headers[REPLAYED_HEADER] == "true"
    assert again.get_data() == first.get_data()
    assert things(worker_a) == 1


def test_an_expired_key_acts_as_new(make_idem_app: AppFactory) -> None:
    app = make_idem_app(idempotency_ttl=60)
    client = app.test_client()
    assert post(client, THINGS, {"name": "one"}, "k").status_code == 201
    backdate(app, 61)
    fresh = post(client, THINGS, {"name": "two"}, "k")  # another body: no 422 once expired
    assert fresh.status_code == 201
    assert REPLAYED_HEADER not in fresh.headers
    assert things(app) == 2
    assert len(records(app)) == 1


def test_a_request_abandoned_in_flight_can_be_retried(make_idem_app: AppFactory) -> None:
    app = make_idem_app(idempotency_abandon_after=30)
    with app.app_context():
        db.session.add(
            IdempotencyRecord(
                caller="ip:127.0.0.1",
                route=f"POST {THINGS}",
                key="k",
                fingerprint="0" * 64,
                created_at=utcnow() - timedelta(seconds=31),
            )
        )
        db.session.commit()
    retried = post(app.test_client(), THINGS, {"name": "one"}, "k")
    assert retried.status_code == 201
    assert REPLAYED_HEADER not in retried.headers
    assert things(app) == 1
    (record,) = records(app)
    assert record.status == 201


def test_the_purge_job_deletes_expired_records(make_idem_app: AppFactory) -> None:
    app = make_idem_app(idempotency_ttl=60)
    client = app.test_client()
    post(client, THINGS, {"name": "old"}, "old")
    backdate(app, 61)
    post(client, THINGS, {"name": "new"}, "new")
    celery_app = app.extensions["celery"]
    assert celery_app.conf.beat_schedule[PURGE_TASK]["task"] == PURGE_TASK
    result = celery_app.tasks[PURGE_TASK].apply(throw=True).get()
    assert result == {"purged": 1}
    assert [r.key for r in records(app)] == ["new"]


# --- concurrency -------------------------------------------------------------------------------
@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=4) as executor:
        yield executor


def test_the_same_key_in_flight_is_a_conflict(
    make_idem_app: AppFactory, gate: Gate, pool: ThreadPoolExecutor
) -> None:
    worker_a, worker_b = make_idem_app(), make_idem_app()
    first = pool.submit(post, worker_a.test_client(), SLOW, {"name": "one"}, "k")
    assert gate.inside.wait(30)
    other = worker_b.test_client()
    try:
        busy = post(other, SLOW, {"name": "one"}, "k")
        reused = post(other, SLOW, {"name": "two"}, "k")
    finally:
        gate.open.set()
    assert busy.status_code == 409
    assert busy.get_json()["error"]["code"] == "RES_CONFLICT"
    assert busy.headers["Retry-After"] == "1"
    assert reused.status_code == 422
    done = first.result(timeout=30)
    assert done.status_code == 201
    replayed = post(other, SLOW, {"name": "one"}, "k")
    assert replayed.headers[REPLAYED_HEADER] == "true"
    assert replayed.get_data() == done.get_data()
    assert things(worker_a) == 1


def test_racing_requests_with_one_key_create_once(
    make_idem_app: AppFactory, pool: ThreadPoolExecutor
) -> None:
    workers = [make_idem_app(), make_idem_app()]
    for round_ in range(5):
        start = threading.Barrier(4)

        def send(
            n: int, key: str = f"race-{round_}", start: threading.Barrier = start
        ) -> TestResponse:
            client = workers[n % 2].test_client()
            start.wait(30)
            return post(client, THINGS, {"name": key}, key)

        answers = list(pool.map(send, range(4)))
        created = [a for a in answers if a.status_code == 201 and REPLAYED_HEADER not in a.headers]
        assert len(created) == 1, [(a.status_code, a.get_json()) for a in answers]
        for answer in answers:
            assert answer.status_code in (201, 409), answer.get_json()
            if answer.status_code == 201:
                assert answer.get_data() == created[0].get_data()
    assert things(workers[0]) == 5
