"""`versehub modules`: every module with its state and health."""

from __future__ import annotations

import json
from typing import Any

import click
from flask import Flask
from flask.cli import with_appcontext

from versehub.core.modules import get_registry


@click.command("modules")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_appcontext
def modules_command(as_json: bool) -> None:
    """List modules in load order with their health; disabled and broken ones last."""
    registry = get_registry()
    rows: list[dict[str, Any]] = []
    for module in registry.enabled:
        health = module.check_health()
        rows.append(
            {
                "name": module.name,
                "state": "enabled",
                "health": health.status,
                "requires": list(module.requires),
                "source": module.source,
                "note": "",
                "details": dict(health.details),
            }
        )
    for state, reasons in (("disabled", registry.disabled), ("broken", registry.broken)):
        for name, reason in sorted(reasons.items()):
            rows.append(
                {
                    "name": name,
                    "state": state,
                    "health": "-",
                    "requires": [],
                    "source": "",
                    "note": reason,
                    "details": {},
                }
            )
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    for row in rows:
        requires = ",".join(row["requires"]) or "-"
        columns = f"{row['name']:<16} {row['state']:<9} {row['health']:<9}"
        click.echo(f"{columns} requires={requires} {row['note']}".rstrip())
    failing = [row["name"] for row in rows if row["health"] == "fail"]
    if failing:
        raise click.ClickException(f"unhealthy: {', '.join(failing)}")


def register_modules_cli(app: Flask) -> None:
    """Attach `versehub modules`."""
    app.cli.add_command(modules_command)
