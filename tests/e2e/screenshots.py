"""`make screenshots`: full-page PNGs of the main pages in several display modes.

Starts the app as `make run` does (a migrated SQLite database in a temporary instance folder,
`versehub demo` content), serves it on 127.0.0.1, signs in demo accounts with Debian's Chromium
(the same launch settings as the browser tests) and writes `<page>-d<density>-<contrast>.png`
into docs/screenshots/ with an index (README.md) of what it wrote. The display modes come from
the signed-in account's stored preferences, the same path real readers take.

The pages are data (PAGES). A page that does not answer 200 yet is skipped with a note and no
file, so the list can name pages before they exist. `make screenshots` runs it from the
repository root: `.venv/bin/python -m tests.e2e.screenshots [--only NAME ...] [--out DIR]`.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from versehub import create_app
from versehub.extensions import db
from versehub.modules.accounts.models import User

OUT = Path("docs/screenshots")
# Which demo account views each page (demo/users.yaml): a member reads, the editor writes.
READER = "demo-amara"
EDITOR = "demo-editor"
# The demo entry the entry page shows, by title (its slug is looked up after seeding).
ENTRY_TITLE = "Captions in WCAG"
MODES = [(density, contrast) for contrast in ("normal", "high") for density in (1, 3, 5)]
VIEWPORT = {"width": 1280, "height": 800}


@dataclass(frozen=True)
class Shot:
    """One page to photograph: file name stem, path (`{entry}`: the demo entry's slug), viewer."""

    name: str
    path: str
    user: str
    title: str
    full_page: bool = True


PAGES = (
    Shot("home", "/", READER, "Home"),
    Shot("search", "/search?q=captions", READER, "Search for “captions”"),
    Shot("entry", "/entries/{entry}", READER, f"Entry: {ENTRY_TITLE}"),
    Shot("editor", "/write", EDITOR, "Writing a new entry"),
    Shot("preferences", "/account/preferences", READER, "Preferences"),
    Shot("login", "/account/login", "", "Sign in"),
    # The top only: the whole reference is about 10,000 px tall.
    Shot("api-docs", "/api/docs", READER, "API documentation", full_page=False),
)


def build_app(instance: Path) -> tuple[Flask, dict[str, str]]:
    """The app on a fresh, migrated SQLite file with the demo content; demo passwords."""
    from flask_migrate import upgrade

    from versehub.modules.knowledge import demo

    settings = {
        "env": "development",
        "instance_path": instance,
        "database_url": f"sqlite:///{instance / 'screenshots.db'}",
        "secret_key": secrets.token_urlsafe(32),
        "jwt_secret_key": secrets.token_urlsafe(32),
        "log_level": "WARNING",
        "embedded_worker": False,  # no mail or jobs are needed for pictures
        "rate_limits_enabled": False,  # many sign-ins from one address in a few seconds
    }
    app = create_app(settings)
    with app.app_context():
        upgrade()
        report = demo.seed()
    return app, dict(report.passwords)


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve `app` on a free port of 127.0.0.1 in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="screenshots", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def set_display(app: Flask, username: str, density: int, contrast: str) -> None:
    """Store the account's display preferences (pages read them on every request)."""
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        assert user is not None, username
        user.visual_density = density
        user.high_contrast = contrast == "high"
        user.reduced_motion = True  # no transition caught half-way
        db.session.commit()


def entry_slug(app: Flask) -> str:
    """The slug of the demo entry the entry page shows."""
    from versehub.modules.knowledge.models import Entry

    with app.app_context():
        slug = db.session.scalar(db.select(Entry.slug).where(Entry.title == ENTRY_TITLE))
        assert slug is not None, f"demo entry {ENTRY_TITLE!r} not found"
        return str(slug)


def sign_in(page: Page, username: str, password: str) -> None:
    """Sign in through the form, as a person would."""
    page.goto("/account/login")
    page.get_by_label("Email or username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def settle(page: Page) -> None:
    """Wait until the page is complete (Swagger UI marks itself ready when rendered)."""
    page.wait_for_load_state("networkidle")
    if page.locator("#swagger-ui").count():
        page.locator("#swagger-ui[data-ready='true']").wait_for()
    page.evaluate("document.fonts.ready")


def photograph(
    browser: Browser, base: str, app: Flask, shot: Shot, path: str, password: str, out: Path
) -> list[str]:
    """Write the shot in every mode; returns the file names (none when the page is missing)."""
    context = browser.new_context(
        base_url=base, viewport=VIEWPORT, device_scale_factor=1, reduced_motion="reduce"
    )
    try:
        page = context.new_page()
        if shot.user:
            sign_in(page, shot.user, password)
        written = []
        for density, contrast in MODES:
            if shot.user:
                set_display(app, shot.user, density, contrast)
            elif (density, contrast) != (3, "normal"):
                continue  # an anonymous page has only the default display
            response = page.goto(path)
            status = response.status if response is not None else 0
            if status != 200:
                print(f"skipped {shot.name}: {path} answered {status}")
                return written
            settle(page)
            name = f"{shot.name}-d{density}-{contrast}.png"
            page.screenshot(path=out / name, full_page=shot.full_page, animations="disabled")
            written.append(name)
        return written
    finally:
        context.close()


def write_index(out: Path) -> None:
    """docs/screenshots/README.md: every page with links to the pictures in the folder."""
    lines = [
        "# Screenshots",
        "",
        "Written by `make screenshots` (tests/e2e/screenshots.py) from the demo content; "
        "`d1`, `d3`, `d5` is the display density, `normal`/`high` the contrast.",
        "",
    ]
    for shot in PAGES:
        names = [f"{shot.name}-d{d}-{c}.png" for d, c in MODES]
        links = [
            f"[d{d} {c}]({n})" for (d, c), n in zip(MODES, names, strict=True) if (out / n).exists()
        ]
        if links:
            lines.append(f"- **{shot.title}** (`{shot.path}`): {', '.join(links)}")
    out.joinpath("README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def take(browser: Browser, shots: Sequence[Shot], out: Path) -> dict[str, list[str]]:
    """Build and serve the demo app, photograph `shots` into `out`, index the folder."""
    out.mkdir(parents=True, exist_ok=True)
    done: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="versehub-screenshots-") as folder:
        app, passwords = build_app(Path(folder) / "instance")
        try:
            slug = entry_slug(app)
            with serving(app) as base:
                for shot in shots:
                    path = shot.path.format(entry=slug)
                    password = passwords.get(shot.user, "")
                    done[shot.name] = photograph(browser, base, app, shot, path, password, out)
                    for name in done[shot.name]:
                        print(f"wrote {out / name}")
        finally:
            app.extensions["celery"].close()
            with app.app_context():
                db.engine.dispose()
    write_index(out)
    return done


def main(argv: list[str] | None = None) -> int:
    """Write the screenshots; 1 when no page could be photographed."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNGs (created)")
    parser.add_argument("--only", nargs="*", default=None, help="page names (default: all)")
    args = parser.parse_args(argv)
    shots = [s for s in PAGES if args.only is None or s.name in args.only]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            done = take(browser, shots, args.out)
        finally:
            browser.close()
    return 0 if any(done.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
