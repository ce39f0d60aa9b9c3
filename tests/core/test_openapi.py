"""The generated OpenAPI document, the docs page, and flask-openapi3 validation in our envelope."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient
from flask_openapi3.models.tag import Tag
from openapi_spec_validator import validate
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tests.conftest import AppFactory
from versehub.core.api import api_blueprint, validated
from versehub.core.envelope import envelope
from versehub.core.errors import APIError
from versehub.core.openapi import Envelope, register_blueprint
from versehub.modules.accounts.schemas import PreferencesUpdate
from versehub.modules.knowledge.models import TAG_MAX
from versehub.modules.knowledge.schemas import EntryUpdate
from versehub.modules.knowledge.service.tags import normalise


class PetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=30)
    legs: int = Field(ge=0, le=8)


class PetQuery(BaseModel):
    per_page: int = Field(20, ge=1, le=100)


class PetPath(BaseModel):
    pet_id: int = Field(ge=1)


@pytest.fixture
def db_backend() -> str:
    return "sqlite"  # the document and validation never touch the database


@pytest.fixture
def pet_app(make_app: AppFactory) -> Flask:
    app = make_app()
    bp = api_blueprint(
        "pets", __name__, url_prefix="/api/v1/pets", tag=Tag(name="pets"), authenticated=True
    )

    @bp.post("/", responses={201: Envelope[PetIn]})
    @validated
    def create_pet(body: PetIn) -> Response:
        """Create a pet."""
        return envelope(body.model_dump(), status=201)

    @bp.get("/<int:pet_id>", responses={200: Envelope[PetIn]})
    @validated
    def get_pet(path: PetPath, query: PetQuery) -> Response:
        """One pet."""
        return envelope({"id": path.pet_id, "per_page": query.per_page})

    register_blueprint(app, bp)
    return app


def test_document_is_valid_openapi_31(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0"
    validate(spec)
    assert set(spec["components"]["securitySchemes"]) == {"bearerAuth", "apiKey"}
    assert "/api/v1/system/info" in spec["paths"]


def test_module_routes_document_envelopes_and_security(pet_app: Flask) -> None:
    spec = pet_app.test_client().get("/api/v1/openapi.json").get_json()
    validate(spec)
    create = spec["paths"]["/api/v1/pets/"]["post"]
    assert create["security"] == [{"bearerAuth": []}, {"apiKey": []}]
    for status in ("401", "403", "404", "422", "429", "500"):
        ref = create["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/ErrorEnvelope")
    ok = create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    assert ok.endswith("/Envelope_PetIn_")
    body_schema = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body_schema.endswith("/PetIn")
    assert spec["components"]["schemas"]["PetIn"]["properties"]["legs"]["maximum"] == 8


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"name", "legs"}),
        ({"name": "", "legs": 9}, {"name", "legs"}),
        ({"name": "Rex", "legs": 4, "owner": "me"}, {"owner"}),
        ([1], {""}),
    ],
)
def test_body_validation_is_our_envelope(pet_app: Flask, payload: object, fields: set[str]) -> None:
    response = pet_app.test_client().post("/api/v1/pets/", json=payload)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"]["code"] == "VAL_INVALID"
    assert {e["field"] for e in body["error"]["errors"]} == fields


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("{broken", "application/json"),
        ('{"name": "Rex"}', "text/plain"),
        ("a=b", "application/x-www-form-urlencoded"),
    ],
)
def test_broken_bodies_are_malformed_not_invalid(
    pet_app: Flask, data: str, content_type: str
) -> None:
    response = pet_app.test_client().post("/api/v1/pets/", data=data, content_type=content_type)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "VAL_MALFORMED"


def test_query_and_path_validation(pet_app: Flask) -> None:
    client = pet_app.test_client()
    assert client.get("/api/v1/pets/3?per_page=5").get_json()["data"] == {"id": 3, "per_page": 5}
    bad = client.get("/api/v1/pets/3?per_page=1000").get_json()
    assert bad["error"]["code"] == "VAL_INVALID"
    assert bad["error"]["errors"][0]["field"] == "per_page"
    assert client.get("/api/v1/pets/0").get_json()["error"]["errors"][0]["field"] == "pet_id"


def test_docs_page_uses_nonced_scripts_and_bundled_assets(client: FlaskClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    # Every script (the layout's, Swagger UI, our starter) carries this response's nonce.
    assert html.count("<script") == html.count(f'nonce="{nonce}"')
    assert html.count(f'nonce="{nonce}"') >= 3
    assert "<script>" not in html
    assert "style=" not in html
    assert 'data-spec-url="/api/v1/openapi.json"' in html
    # The shared layout: one h1, skip link, status region, the reader's display on <html>.
    assert html.count("<h1") == 1
    assert 'href="#main"' in html
    assert 'id="status"' in html
    assert 'data-density="3" data-contrast="normal"' in html
    for url in (
        "/api/docs/assets/js/swagger-ui-bundle.js",
        "/api/docs/assets/css/swagger-ui.css",
        "/static/js/api_docs.js",
        "/static/css/api_docs.css",
    ):
        asset = client.get(url)
        assert asset.status_code == 200
        asset.close()  # file responses stream from disk


# Routes under /api/ that are not REST operations, each with the reason it is not in the document.
UNDOCUMENTED = {
    ("GET", "/api/v1/openapi.json"): "the document itself",
    ("GET", "/api/docs"): "the HTML docs page that renders the document",
    ("GET", "/api/docs/assets/{filename}"): "Swagger UI's static files for that page",
}


def documented_path(rule: str) -> str:
    """A Flask rule (`/entries/<int:entry_id>`) as an OpenAPI path (`/entries/{entry_id}`)."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_every_api_route_of_the_app_is_in_the_document(client: FlaskClient) -> None:
    app = client.application
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    routes = {
        (method, documented_path(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }
    assert set(UNDOCUMENTED) <= routes, "an exception no longer exists: remove it"
    missing = sorted(
        f"{method} {path}"
        for method, path in routes - set(UNDOCUMENTED)
        if method.lower() not in paths.get(path, {})
    )
    assert not missing, f"routes missing from the OpenAPI document: {missing}"


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (PreferencesUpdate, "visual_density"),
        (PreferencesUpdate, "reading_level"),
        (PreferencesUpdate, "reduced_motion"),
        (PreferencesUpdate, "high_contrast"),
        (EntryUpdate, "title"),
        (EntryUpdate, "content"),
        (EntryUpdate, "is_public"),
    ],
)
def test_fields_that_refuse_null_are_not_documented_as_nullable(
    client: FlaskClient, model: type[BaseModel], field: str
) -> None:
    with pytest.raises(ValidationError, match="may not be null"):
        model.model_validate({field: None})
    assert model.model_validate({}).model_fields_set == set()  # leaving it out is fine
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    documented = schemas[model.__name__]["properties"][field]
    assert "null" not in json.dumps(documented), documented


def test_tags_are_documented_with_the_length_the_server_enforces(client: FlaskClient) -> None:
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for name in ("EntryCreate", "EntryUpdate"):
        tags = schemas[name]["properties"]["tags"]
        items = tags["items"] if "items" in tags else tags["anyOf"][0]["items"]
        assert items["maxLength"] == TAG_MAX
    normalise("t" * TAG_MAX)
    with pytest.raises(APIError):
        normalise("t" * (TAG_MAX + 1))
