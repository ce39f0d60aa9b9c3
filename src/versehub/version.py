"""The installed version of VerseHub."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def package_version() -> str:
    """The version from the package metadata (`0+unknown` when run from a bare source tree)."""
    try:
        return version("versehub")
    except PackageNotFoundError:
        return "0+unknown"
