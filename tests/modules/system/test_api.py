"""The system module end to end: loaded by the module system, answering in the envelope."""

from flask.testing import FlaskClient


def test_info_lists_modules_with_health(client: FlaskClient) -> None:
    response = client.get("/api/v1/system/info")
    assert response.status_code == 200
    body = response.get_json()
    assert body["success"] is True
    assert body["error"] is None
    data = body["data"]
    assert data["name"] == "VerseHub"
    assert data["environment"] == "testing"
    system = next(m for m in data["modules"] if m["name"] == "system")
    assert system["enabled"] is True
    assert system["status"] == "ok"


def test_info_rejects_post(client: FlaskClient) -> None:
    response = client.post("/api/v1/system/info")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "RES_METHOD_NOT_ALLOWED"
    assert "GET" in response.headers["Allow"]
