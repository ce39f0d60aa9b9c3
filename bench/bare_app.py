"""The baseline of bench_api: a bare Flask app answering a small JSON, served by the same gunicorn.

Run by bench_api as `gunicorn -c deploy/gunicorn.conf.py bench.bare_app:app`. It has the same
route path as the real endpoint so wrk's command line differs only in the port.
"""

from __future__ import annotations

from flask import Flask

app = Flask("bare")


@app.get("/api/v1/entries")
def entries() -> dict[str, object]:
    """A small JSON body in the envelope's shape: one item, no database."""
    return {
        "success": True,
        "message": "OK",
        "data": [{"id": 1, "title": "Hello", "slug": "hello"}],
        "error": None,
        "warnings": [],
    }


@app.get("/entries/<slug>")
def entry_page(slug: str) -> str:
    """A small HTML page (bench_api's `barepage`: the baseline of a page)."""
    return (
        '<!doctype html><html lang="en"><head><title>Hello</title></head>'
        f"<body><main><h1>{slug}</h1><p>Hello</p></main></body></html>"
    )


@app.get("/health/live")
def live() -> dict[str, str]:
    """What bench_api polls before it starts loading."""
    return {"status": "ok"}
