"""`versehub demo`: a realistic hub (users, categories, entries) seeded from the data files here.

Imported only when the command runs (see `knowledge/cli.py`), so the prose never loads at app
start. The content lives in `users.yaml`, `categories.yaml` and `entries/*.md` (see `content`).
"""

from versehub.modules.knowledge.demo.content import (
    DemoCategory,
    DemoContent,
    DemoContentError,
    DemoEntry,
    DemoUser,
    entry_slug,
    load_content,
)
from versehub.modules.knowledge.demo.seeding import DemoReport, entry_count, new_password, seed

__all__ = [
    "DemoCategory",
    "DemoContent",
    "DemoContentError",
    "DemoEntry",
    "DemoReport",
    "DemoUser",
    "entry_count",
    "entry_slug",
    "load_content",
    "new_password",
    "seed",
]
