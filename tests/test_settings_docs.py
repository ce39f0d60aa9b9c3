"""The README's configuration reference matches the Settings model."""

from __future__ import annotations

from pathlib import Path

from versehub.settings import (
    README_TABLE_END,
    README_TABLE_START,
    Settings,
    settings_reference,
    update_readme,
)
from versehub.settings_sources import env_names

README = Path(__file__).resolve().parents[1] / "README.md"
REGENERATE = (
    '.venv/bin/python -c "from pathlib import Path; from versehub.settings import update_readme; '
    "update_readme(Path('README.md'))\""
)


def readme_table() -> str:
    text = README.read_text(encoding="utf-8")
    assert text.count("<!-- config:start -->") == 1
    assert text.count("<!-- config:end -->") == 1
    section = text.split("<!-- config:start -->")[1].split("<!-- config:end -->")[0]
    assert README_TABLE_START in section
    assert README_TABLE_END in section
    return section.split(README_TABLE_START)[1].split(README_TABLE_END)[0]


def test_every_setting_has_a_readme_row() -> None:
    rows = {line.split("|")[1].strip(" `") for line in readme_table().splitlines() if line}
    missing = [field for field in Settings.model_fields if field not in rows]
    assert not missing, f"settings missing from README.md; regenerate with {REGENERATE}"


def test_readme_table_is_current() -> None:
    assert readme_table().strip() == settings_reference().strip(), (
        f"README.md's settings table is stale; regenerate with {REGENERATE}"
    )


def test_every_setting_is_described() -> None:
    assert [field for field, info in Settings.model_fields.items() if not info.description] == []


def test_reference_lists_every_environment_name() -> None:
    table = settings_reference()
    assert "| `database_url` | `VERSEHUB_DATABASE_URL`, `DATABASE_URL` |" in table
    assert "| `vault_token` | `VERSEHUB_VAULT_TOKEN`, `VAULT_TOKEN` |" in table
    for field in Settings.model_fields:
        assert env_names(Settings, field)[0] == f"VERSEHUB_{field.upper()}"


def test_update_readme_only_touches_the_table(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# T\n\nbefore\n{README_TABLE_START}\nold\n{README_TABLE_END}\nafter\n")
    assert update_readme(readme)
    text = readme.read_text()
    assert text.startswith("# T\n\nbefore\n")
    assert text.endswith(f"{README_TABLE_END}\nafter\n")
    assert settings_reference() in text
    assert not update_readme(readme)
