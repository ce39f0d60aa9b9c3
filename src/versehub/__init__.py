"""VerseHub: a deaf-first, accessible knowledge hub."""

from versehub.app import create_app

__all__ = ["create_app"]
