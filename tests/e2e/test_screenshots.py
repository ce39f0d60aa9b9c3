"""`make screenshots` (tests/e2e/screenshots.py): existing pages written, missing ones skipped."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser

from tests.e2e.screenshots import MODES, PAGES, READER, Shot, take

PNG = b"\x89PNG\r\n\x1a\n"


def test_writes_each_mode_of_existing_pages_and_skips_missing_ones(
    browser: Browser, tmp_path: Path
) -> None:
    preferences = next(shot for shot in PAGES if shot.name == "preferences")
    missing = Shot("nowhere", "/no-such-page/{entry}", READER, "Nowhere")
    done = take(browser, [preferences, missing], tmp_path)

    expected = [f"preferences-d{d}-{c}.png" for d, c in MODES]
    assert done == {"preferences": expected, "nowhere": []}
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(expected)
    for name in expected:
        assert (tmp_path / name).read_bytes().startswith(PNG)
    # Density 1 is taller than density 5: the stored preference reached the page.
    assert (tmp_path / "preferences-d1-normal.png").stat().st_size != (
        tmp_path / "preferences-d5-normal.png"
    ).stat().st_size
    index = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "[d3 high](preferences-d3-high.png)" in index
    assert "Nowhere" not in index
