"""The `versehub` command: Flask's CLI group with VerseHub's commands."""

from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup

from versehub.app import create_app
from versehub.core.errors import StartupError


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False, load_dotenv=False)
def cli() -> None:
    """VerseHub: a deaf-first, accessible knowledge hub."""


def main() -> None:
    """Console entry point: start-up errors become one clear line and exit status 2."""
    try:
        cli.main(prog_name="versehub", standalone_mode=True)
    except StartupError as exc:
        click.echo(f"versehub: cannot start: {exc}", err=True)
        sys.exit(2)
