"""Extension objects, created unbound; `create_app` binds them."""

from __future__ import annotations

from flask_caching import Cache
from flask_jwt_extended import JWTManager
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from versehub.core.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
cache = Cache()
jwt = JWTManager()  # bound by the accounts module's init (it owns the token rules)
login_manager = LoginManager()  # bound by the accounts module (web sessions)
csrf = CSRFProtect()  # bound by core.csrf (every form post; see the exemptions there)
