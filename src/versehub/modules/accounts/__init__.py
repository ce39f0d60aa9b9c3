"""The `accounts` module: users, preferences, tokens, API keys, lockouts and the audit trail."""

from __future__ import annotations

import jwt as pyjwt
from flask import Flask, Response
from flask_jwt_extended.exceptions import JWTExtendedException

from versehub.core.auth import register_resolver
from versehub.core.errors import APIError, StartupError
from versehub.core.handlers import render_error
from versehub.core.modules import Module
from versehub.extensions import jwt
from versehub.modules.accounts.api import bp
from versehub.modules.accounts.api.auth import LOGIN_CHECKS
from versehub.modules.accounts.api.resolvers import (
    api_key_principal,
    bearer_principal,
    single_credential,
)
from versehub.modules.accounts.cli import users_cli
from versehub.modules.accounts.events import on_security_event
from versehub.modules.accounts.service import mail as account_mail
from versehub.modules.accounts.service import principal_cache, twofactor
from versehub.modules.accounts.service.tokens import configure_jwt, error_code
from versehub.modules.accounts.service.verification import on_user_created
from versehub.modules.accounts.tasks import PURGE_SCHEDULE, PURGE_TASK
from versehub.modules.accounts.web import bp as web_bp
from versehub.modules.accounts.web import init_web_sessions


def _jwt_error(exc: Exception) -> Response:
    # flask-jwt-extended registers handlers answering {"msg": ...}; every API answer is an
    # envelope, so any JWT error that reaches Flask is rendered with its API.md code.
    return render_error(APIError(error_code(exc)))


def init_app(app: Flask) -> None:
    """JWT settings and error envelopes, the request resolvers, the CLI and the beat entry."""
    settings = app.extensions["versehub.settings"]
    if settings.jwt_secret_key is None:
        raise StartupError("accounts: VERSEHUB_JWT_SECRET_KEY is not set")
    configure_jwt(app, secret=settings.jwt_secret_key.get_secret_value())
    jwt.init_app(app)
    app.register_error_handler(JWTExtendedException, _jwt_error)
    app.register_error_handler(pyjwt.PyJWTError, _jwt_error)
    # Appended after the session-cookie resolver (web sessions, inserted at position 0):
    # session → not both a token and a key → bearer → key.
    register_resolver(app, single_credential)
    register_resolver(app, bearer_principal)
    register_resolver(app, api_key_principal)
    # Callers cached per process, exact across processes through the change bus.
    principal_cache.init_app(app)
    # Second-factor checks (the 2FA work appends to this list); see sessions.LoginCheck.
    app.extensions.setdefault(LOGIN_CHECKS, [])
    # Two-factor: the key ring of the encrypted TOTP secrets, and the check after the password.
    twofactor.init_app(app)
    app.extensions[LOGIN_CHECKS].append(twofactor.login_check)
    # Web sessions (Flask-Login) for the HTML pages; registers the session resolver first.
    init_web_sessions(app)
    # Mail flows (verification, reset): warn when production mail cannot reach anyone.
    account_mail.check_settings(settings)
    app.cli.add_command(users_cli)
    celery_app = app.extensions.get("celery")
    if celery_app is not None:
        schedule = dict(celery_app.conf.beat_schedule or {})
        schedule[PURGE_TASK] = dict(PURGE_SCHEDULE)
        celery_app.conf.beat_schedule = schedule


module = Module(
    name="accounts",
    description="Accounts and security: registration, JWT login with refresh rotation, "
    "API keys, roles and module grants, lockouts, and the security audit trail.",
    blueprints=(bp, web_bp),
    init=init_app,
    subscriptions={"security.*": on_security_event, "user.created": on_user_created},
    tasks="versehub.modules.accounts.tasks",
    # Signing in, one's own account and the admin pages must stay reachable for everyone.
    deniable=False,
)
