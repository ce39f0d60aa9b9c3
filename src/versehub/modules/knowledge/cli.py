"""`versehub entries ...` (the recycle bin, for operators), `versehub search ...` (the search
index) and `versehub demo` (seed a demo hub)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from versehub.core.db import utcnow
from versehub.core.errors import APIError
from versehub.extensions import db
from versehub.modules.knowledge.service import recycle_bin, search_backends, search_index


@click.group("entries")
def entries_cli() -> None:
    """Knowledge entries: the recycle bin."""


@entries_cli.command("bin")
@with_appcontext
def bin_command() -> None:
    """List every entry in the recycle bin (expired ones too), most recently deleted first."""
    page = recycle_bin.list_all(per_page=1000)
    now = utcnow()
    click.echo(f"{'id':>6}  {'deleted at':<20}  {'purge at':<20}  {'state':<10}  title")
    for entry in page.items:
        purge_at = recycle_bin.purge_at(entry)
        if entry.deleted_at is None or purge_at is None:  # restored meanwhile
            continue
        due = " (expired)" if purge_at <= now else ""
        click.echo(
            f"{entry.id:>6}  {entry.deleted_at:%Y-%m-%d %H:%M:%S}  {purge_at:%Y-%m-%d %H:%M:%S}  "
            f"{entry.status:<10}  {entry.title}{due}"
        )
    click.echo(f"{page.total} in the recycle bin")


@entries_cli.command("purge")
@click.argument("entry_ids", nargs=-1, type=int)
@click.option("--expired", is_flag=True, help="Purge every entry whose retention is over.")
@with_appcontext
def purge_command(entry_ids: tuple[int, ...], expired: bool) -> None:
    """Delete binned entries (by id, or --expired) with their revisions, for good."""
    if not entry_ids and not expired:
        raise click.UsageError("give entry ids or --expired")
    for entry_id in entry_ids:
        try:
            recycle_bin.purge_binned(entry_id=entry_id)
        except APIError as exc:
            raise click.ClickException(f"entry {entry_id}: {exc.message}") from exc
        click.echo(f"purged entry {entry_id}")
    if expired:
        count = recycle_bin.purge_expired()
        db.session.commit()
        click.echo(f"purged {count} expired entries")


@click.group("search")
def search_cli() -> None:
    """Full-text search: which index is in use, and rebuilding it."""


@search_cli.command("status")
@with_appcontext
def search_status_command() -> None:
    """Print the search backend, its index, the RUM extension's state and the health verdict."""
    report = search_backends.health()
    for key, value in {"status": report.status, **report.details}.items():
        click.echo(f"{key}: {value}")
    if report.status == "fail":
        raise click.exceptions.Exit(1)


@search_cli.command("reindex")
@click.option(
    "--index",
    "choice",
    type=click.Choice(["auto", "rum", "gin"]),
    default=None,
    help="PostgreSQL index to build (default: the search_index setting).",
)
@with_appcontext
def search_reindex_command(choice: search_index.Choice | None) -> None:
    """Rebuild the search index; on PostgreSQL build RUM or GIN concurrently, drop the other."""
    chosen = choice or current_app.extensions["versehub.settings"].search_index
    try:
        built = search_backends.current_search().reindex(choice=chosen)
    except search_index.SearchIndexError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"search index: {built}")


@click.command("demo")
@click.option(
    "--if-empty", is_flag=True, help="Seed only when the hub has no entries yet (for `make run`)."
)
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Seed demo users, categories and entries (idempotent; prints new passwords once)."""
    # Imported here, not at the top: the demo content is read only when this command runs.
    from versehub.modules.knowledge import demo

    try:
        report = demo.seed(if_empty=if_empty)
    except demo.DemoContentError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in report.lines():
        click.echo(line)


def init_cli(app: Flask) -> None:
    """Add `versehub entries`, `versehub search` and `versehub demo` to the app's CLI."""
    app.cli.add_command(entries_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(demo_command)
