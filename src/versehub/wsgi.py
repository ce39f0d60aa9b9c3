"""WSGI entry point for gunicorn: `gunicorn -c deploy/gunicorn.conf.py`.

A start-up problem (unsafe settings, a database whose schema is behind the code) prints one line
and exits with status 4, gunicorn's "application failed to load": the arbiter then stops instead
of booting the worker again and again. The schema is never migrated here (several workers would
race); run `versehub db upgrade` as a deployment step.
"""

import sys

from versehub import create_app
from versehub.core.errors import StartupError
from versehub.core.schema import ensure_schema

APP_LOAD_ERROR = 4  # gunicorn.arbiter.Arbiter.APP_LOAD_ERROR

try:
    app = create_app()
    ensure_schema(app, upgrade=False)
except StartupError as exc:
    print(f"versehub: cannot start: {exc}", file=sys.stderr, flush=True)
    sys.exit(APP_LOAD_ERROR)
