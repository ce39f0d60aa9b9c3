"""The README's configuration reference matches the Settings model; `versehub settings docs`."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from versehub.cli import cli
from versehub.settings import Settings
from versehub.settings.docs import (
    README_SECTION_END,
    README_SECTION_START,
    README_TABLE_END,
    README_TABLE_START,
    readme_table,
    settings_reference,
    stale_parts,
    update_readme,
)
from versehub.settings.sources import env_names

README = Path(__file__).resolve().parents[1] / "README.md"
REGENERATE = "`.venv/bin/versehub settings docs` (in the repository root)"


def current_table() -> str:
    return readme_table(README.read_text(encoding="utf-8"), where="README.md")


def test_every_setting_has_a_readme_row() -> None:
    rows = {line.split("|")[1].strip(" `") for line in current_table().splitlines() if line}
    missing = [field for field in Settings.model_fields if field not in rows]
    assert not missing, f"settings missing from README.md; regenerate with {REGENERATE}"


def test_readme_table_is_current() -> None:
    table = current_table()
    assert table == settings_reference(), (
        f"README.md's settings table is stale ({'; '.join(stale_parts(table))}); "
        f"regenerate with {REGENERATE}"
    )


def test_every_setting_is_described() -> None:
    assert [field for field, info in Settings.model_fields.items() if not info.description] == []


def test_reference_lists_every_environment_name() -> None:
    table = settings_reference()
    assert "| `database_url` | `VERSEHUB_DATABASE_URL`, `DATABASE_URL` |" in table
    assert "| `vault_token` | `VERSEHUB_VAULT_TOKEN`, `VAULT_TOKEN` |" in table
    for field in Settings.model_fields:
        assert env_names(Settings, field)[0] == f"VERSEHUB_{field.upper()}"


def readme_text(table: str) -> str:
    return (
        f"# T\n\nbefore\n{README_SECTION_START}\nprose\n{README_TABLE_START}\n{table}"
        f"{README_TABLE_END}\nmore prose\n{README_SECTION_END}\nafter\n"
    )


def test_update_readme_only_touches_the_table(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(readme_text("old\n"))
    assert update_readme(readme)
    assert readme.read_text() == readme_text(settings_reference())
    assert not update_readme(readme)


@pytest.mark.parametrize(
    "text",
    [
        "# no markers\n",
        f"{README_TABLE_START}\n{README_TABLE_END}\n",  # a table outside the section
        f"{README_SECTION_START}\n{README_SECTION_END}\n",  # a section without a table
        f"{README_SECTION_END}\n{README_TABLE_START}\n{README_TABLE_END}\n{README_SECTION_START}\n",
        readme_text("old\n") + readme_text("old\n"),
    ],
)
def test_update_readme_refuses_misplaced_markers(tmp_path: Path, text: str) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(text)
    with pytest.raises(ValueError, match="needs exactly one"):
        update_readme(readme)
    assert readme.read_text() == text


def refuse_app() -> NoReturn:
    raise AssertionError("`versehub settings docs` must not build the app (or open a database)")


def run_docs(*args: str) -> tuple[int, str, str]:
    """`versehub settings docs ARGS` through the real command group, without any app."""
    result = CliRunner().invoke(
        cli, ["settings", "docs", *args], obj=ScriptInfo(create_app=refuse_app)
    )
    return result.exit_code, result.stdout, result.stderr


def test_check_passes_on_the_repository_readme() -> None:
    code, out, err = run_docs("--check", "--readme", str(README))
    assert (code, err) == (0, "")
    assert "up to date" in out


def test_check_names_what_is_stale_then_docs_fixes_it(tmp_path: Path) -> None:
    current = settings_reference().splitlines(keepends=True)
    pool = next(i for i, line in enumerate(current) if line.startswith("| `db_pool_size` |"))
    retired = "| `retired_setting` | `VERSEHUB_RETIRED_SETTING` | int | `1` | Gone. |\n"
    stale = [*current[:pool], "| `db_pool_size` | old |\n", *current[pool + 2 :], retired]
    readme = tmp_path / "README.md"
    readme.write_text(readme_text("".join(stale)))
    missing = current[pool + 1].split("|")[1].strip(" `")

    code, out, err = run_docs("--check", "--readme", str(readme))
    assert (code, out) == (1, "")
    assert f"{readme} is stale" in err
    assert "db_pool_size changed" in err
    assert f"{missing} missing" in err
    assert "retired_setting is no longer a setting" in err
    assert "versehub settings docs" in err
    assert readme.read_text() == readme_text("".join(stale))  # --check changes nothing

    code, out, err = run_docs("--readme", str(readme))
    assert (code, err) == (0, "")
    assert "rewrote" in out
    assert readme.read_text() == readme_text(settings_reference())
    assert run_docs("--check", "--readme", str(readme))[0] == 0


def test_check_reports_row_order(tmp_path: Path) -> None:
    header, separator, first, second, *rest = settings_reference().splitlines(keepends=True)
    readme = tmp_path / "README.md"
    readme.write_text(readme_text("".join([header, separator, second, first, *rest])))
    code, _, err = run_docs("--check", "--readme", str(readme))
    assert code == 1
    assert "row order" in err


def test_docs_reads_readme_md_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "README.md").write_text(readme_text(""))
    monkeypatch.chdir(tmp_path)
    assert run_docs()[0] == 0
    assert (tmp_path / "README.md").read_text() == readme_text(settings_reference())


def test_docs_refuses_a_readme_without_the_section(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# T\n")
    code, _, err = run_docs("--check", "--readme", str(readme))
    assert code == 1
    assert f"{readme} needs exactly one {README_SECTION_START}" in err


def test_the_settings_group_is_listed_without_an_app() -> None:
    result = CliRunner().invoke(cli, ["settings", "--help"], obj=ScriptInfo(create_app=refuse_app))
    assert result.exit_code == 0
    assert "docs" in result.stdout
