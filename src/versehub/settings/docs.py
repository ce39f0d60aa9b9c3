"""The README's configuration reference: a Markdown table generated from the Settings model.

`versehub settings docs` writes it into README.md; `tests/test_settings_docs.py` fails when the
copy there is stale.
"""

from __future__ import annotations

from pathlib import Path
from types import NoneType, UnionType
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import SecretStr
from pydantic.fields import FieldInfo

from versehub.settings.model import Settings
from versehub.settings.sources import env_names

__all__ = [
    "README_SECTION_END",
    "README_SECTION_START",
    "README_TABLE_END",
    "README_TABLE_START",
    "readme_table",
    "settings_reference",
    "stale_parts",
    "update_readme",
    "with_current_reference",
]

# The table sits inside the hand-written Configuration section; only the table is generated.
README_SECTION_START = "<!-- config:start -->"
README_SECTION_END = "<!-- config:end -->"
README_TABLE_START = "<!-- config-table:start -->"
README_TABLE_END = "<!-- config-table:end -->"
_BOUNDS = (
    (annotated_types.Ge, "ge", "≥"),
    (annotated_types.Gt, "gt", ">"),
    (annotated_types.Le, "le", "≤"),
)


def settings_reference() -> str:
    """The Markdown table of every setting, generated from the model (README keeps a copy)."""
    rows = [
        "| Setting | Environment variables | Type | Default | Description |",
        "|---|---|---|---|---|",
    ]
    for field, info in Settings.model_fields.items():
        names = ", ".join(f"`{name}`" for name in env_names(Settings, field))
        description = (info.description or "").replace("|", "\\|")
        rows.append(
            f"| `{field}` | {names} | {_type_text(info)} | {_default_text(info)} | {description} |"
        )
    return "\n".join(rows) + "\n"


def _type_text(info: FieldInfo) -> str:
    kinds = [kind for kind in _union_members(info.annotation) if kind is not NoneType]
    words = []
    for kind in kinds:
        if get_origin(kind) is Literal:
            words.append(" \\| ".join(f"`{value}`" for value in get_args(kind)))
        elif get_origin(kind) is list:
            words.append("comma-separated list")
        else:
            words.append(
                {bool: "bool", int: "int", float: "number", str: "string", Path: "path"}.get(
                    kind, "secret" if kind is SecretStr else str(kind)
                )
            )
    for constraint in info.metadata:
        for kind, attribute, sign in _BOUNDS:
            if isinstance(constraint, kind):
                words.append(f"{sign} {getattr(constraint, attribute)}")
    return ", ".join(words)


def _union_members(annotation: Any) -> tuple[Any, ...]:
    if get_origin(annotation) in (Union, UnionType):
        return get_args(annotation)
    return (annotation,)


def _default_text(info: FieldInfo) -> str:
    value = info.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list) and not value:
        return "empty"
    return f"`{value}`"


def _between(text: str, start: str, end: str, where: str) -> tuple[str, str, str]:
    """`text` before `start`, between the markers, and after `end`; each marker exactly once."""
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise ValueError(f"{where} needs exactly one {start} followed by one {end}")
    head, _, rest = text.partition(start)
    inside, _, tail = rest.partition(end)
    return head, inside, tail


def readme_table(text: str, where: str = "README") -> str:
    """The settings table a README holds in its configuration section."""
    _, section, _ = _between(text, README_SECTION_START, README_SECTION_END, where)
    inside = f"{where}'s configuration section"
    return _between(section, README_TABLE_START, README_TABLE_END, inside)[1].removeprefix("\n")


def with_current_reference(text: str, where: str = "README") -> str:
    """`text` with the table in its configuration section regenerated; the rest unchanged."""
    head, section, tail = _between(text, README_SECTION_START, README_SECTION_END, where)
    inside = f"{where}'s configuration section"
    before, _, after = _between(section, README_TABLE_START, README_TABLE_END, inside)
    table = f"{README_TABLE_START}\n{settings_reference()}{README_TABLE_END}"
    return f"{head}{README_SECTION_START}{before}{table}{after}{README_SECTION_END}{tail}"


def _rows(table: str) -> dict[str, str]:
    """Table lines by the setting they describe; header lines under "the table header"."""
    rows: dict[str, str] = {}
    for line in table.strip().splitlines():
        cells = line.split("|")
        name = cells[1].strip() if len(cells) > 2 else ""
        key = name.strip("`") if name.startswith("`") else "the table header"
        rows[key] = rows.get(key, "") + line + "\n"
    return rows


def stale_parts(table: str) -> list[str]:
    """What a README table gets wrong against the model, one phrase per setting; [] when current."""
    current = settings_reference()
    old, new = _rows(table), _rows(current)
    parts = [
        f"{key} changed" if key in old else f"{key} missing"
        for key, row in new.items()
        if old.get(key) != row
    ]
    parts += [f"{key} is no longer a setting" for key in old if key not in new]
    if not parts and table != current:
        parts.append("row order or blank lines")
    return parts


def update_readme(path: Path) -> bool:
    """Rewrite the settings table in the README at `path`; True when it changed."""
    text = path.read_text(encoding="utf-8")
    new = with_current_reference(text, where=str(path))
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text
