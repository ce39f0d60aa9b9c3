"""WSGI entry point for gunicorn: `gunicorn -c deploy/gunicorn.conf.py`."""

from versehub import create_app

app = create_app()
