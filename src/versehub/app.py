"""The app factory: a list of named steps, nothing done at import time."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from werkzeug.middleware.proxy_fix import ProxyFix

from versehub.core.auth import init_auth
from versehub.core.breakers import init_breakers
from versehub.core.changes import init_changes
from versehub.core.csrf import init_csrf
from versehub.core.db import configure_engine, database_url_problem, engine_options
from versehub.core.errors import StartupError
from versehub.core.events import init_events
from versehub.core.graphql import register_graphql
from versehub.core.handlers import register_error_handlers
from versehub.core.health import register_health
from versehub.core.idempotency import init_idempotency
from versehub.core.jobs import init_jobs
from versehub.core.limits import init_limits
from versehub.core.logging import configure_logging
from versehub.core.metrics import register_metrics
from versehub.core.module_access import init_module_access
from versehub.core.modules import load_modules
from versehub.core.modules_cli import register_modules_cli
from versehub.core.openapi import make_app, register_openapi
from versehub.core.outages import init_outages
from versehub.core.page_cache import init_page_cache
from versehub.core.presentation import init_presentation
from versehub.core.requests import register_request_hooks
from versehub.core.schema import MIGRATIONS_DIR, register_schema_check
from versehub.core.security import init_security
from versehub.core.validation import CappedJSONProvider
from versehub.core.versioning import init_versioning
from versehub.extensions import cache, db, migrate
from versehub.settings import Settings, check_production, load_settings
from versehub.version import package_version


def create_app(settings: Settings | dict[str, Any] | None = None) -> Flask:
    """Build the app from `settings`: a Settings object, a dict of overrides, or the environment."""
    if not isinstance(settings, Settings):
        settings = load_settings(settings)
    elif settings.is_production:
        check_production(settings)  # a ready-made Settings gets the same production checks
    configure_logging(level=settings.log_level, json=settings.use_json_logs)

    instance = settings.instance_path.resolve()
    instance.mkdir(parents=True, exist_ok=True)
    app = make_app(__name__, version=package_version(), instance_path=str(instance))
    if settings.trusted_proxies:
        # Only as many X-Forwarded-For hops as proxies we run: anything further left is client-made.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    app.extensions["versehub.settings"] = settings
    app.json = CappedJSONProvider(app)
    configure(app, settings)
    register_extensions(app, settings)
    init_changes(app, settings)  # before anything that caches: they subscribe to it
    init_page_cache(app, settings.page_cache_timeout)
    register_request_hooks(app)
    init_security(app, settings)
    register_metrics(app)
    register_error_handlers(app)
    init_csrf(app)
    init_presentation(app)
    init_auth(app)  # the caller, resolved once, before limits count it
    init_limits(app, settings)
    register_health(app)
    register_schema_check(app)
    register_openapi(app)
    init_versioning(app)
    init_breakers(app, settings)
    init_jobs(app, settings)
    registry = load_modules(app, app.extensions["versehub.events"], settings.modules_disabled)
    init_module_access(app, registry)
    init_idempotency(app, settings)
    register_graphql(app)
    register_modules_cli(app)
    return app


def configure(app: Flask, settings: Settings) -> None:
    """Translate settings into Flask and extension config keys."""
    url = settings.sqlalchemy_url
    app.config.update(
        ENV_NAME=settings.env,
        DEBUG=settings.debug,
        TESTING=settings.env == "testing",
        SECRET_KEY=settings.secret_key.get_secret_value() if settings.secret_key else None,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        SQLALCHEMY_DATABASE_URI=url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(
            url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow
        ),
        SQLALCHEMY_RECORD_QUERIES=False,
    )
    if settings.redis_url:
        app.config.update(
            CACHE_TYPE="RedisCache",
            CACHE_REDIS_URL=settings.redis_url,
            CACHE_KEY_PREFIX="versehub:cache:",
            CACHE_OPTIONS={"socket_timeout": 2, "socket_connect_timeout": 2},
        )
    else:
        app.config.update(CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=10_000)
    app.config["CACHE_DEFAULT_TIMEOUT"] = 300


def register_extensions(app: Flask, settings: Settings) -> None:
    """Bind the unbound extension objects; one event bus per app."""
    try:
        db.init_app(app)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise StartupError(database_url_problem(settings.sqlalchemy_url, exc)) from None
    init_outages(app)  # after db.init_app: its teardown must run before Flask-SQLAlchemy's
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    cache.init_app(app)
    init_events(app)
