"""`versehub settings docs`: write or check the README's configuration reference."""

from __future__ import annotations

from pathlib import Path

import click

from versehub.settings.docs import (
    README_TABLE_END,
    README_TABLE_START,
    readme_table,
    stale_parts,
    with_current_reference,
)


@click.group("settings")
def settings_group() -> None:
    """Settings: the README's configuration reference."""


@settings_group.command("docs")
@click.option(
    "--check", is_flag=True, help="Change nothing; exit 1 when the README's table is stale."
)
@click.option(
    "--readme",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=Path("README.md"),
    show_default=True,
    help="The README holding the configuration section.",
)
@click.pass_context
def docs_command(ctx: click.Context, check: bool, readme: Path) -> None:
    """Rewrite the README's settings table from the model; --check only compares."""
    text = readme.read_text(encoding="utf-8")
    try:
        new = with_current_reference(text, where=str(readme))
        parts = stale_parts(readme_table(text, where=str(readme)))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if new == text:
        click.echo(f"{readme}: the configuration reference is up to date.")
        return
    where = f"the settings table ({README_TABLE_START} ... {README_TABLE_END})"
    if check:
        click.echo(
            f"{readme} is stale: {where}: {'; '.join(parts)}. Run `versehub settings docs`.",
            err=True,
        )
        ctx.exit(1)
    readme.write_text(new, encoding="utf-8")
    click.echo(f"{readme}: rewrote {where}: {'; '.join(parts)}.")


def register_commands(group: click.Group) -> None:
    """Add `versehub settings` to the `versehub` group; it needs no app (and no database)."""
    group.add_command(settings_group)
