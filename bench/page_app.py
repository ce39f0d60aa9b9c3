"""bench_api's `page` configuration: VerseHub with a cached anonymous entry page.

Run by bench_api as `gunicorn -c deploy/gunicorn.conf.py bench.page_app:app`. The app is the
real one (`versehub.wsgi`); this adds `/bench/entries/<slug>`, an entry page rendered in the real
layout (`base.html`) from the knowledge services and cached with `core.page_cache`, for a tree
where the reader's own `/entries/<slug>` (`hub.entry_page`) is not there yet. When it is (and
is decorated with `@cached_page`), bench_api measures that one instead.
"""

from __future__ import annotations

from flask import Blueprint, render_template_string

from versehub.core.auth import current_principal
from versehub.core.page_cache import cached_page
from versehub.core.presentation import current_presentation
from versehub.modules.knowledge.service import entries
from versehub.wsgi import app

PAGE = """{% extends "base.html" %}
{% block title %}{{ entry.title }}{% endblock %}
{% block content %}
<article>
  <h1>{{ entry.title }}</h1>
  <p class="meta">Reading level {{ entry.reading_level }}
    {%- if shows(4) %} · by {{ entry.author_username }}{% endif %}</p>
  <ul class="tags">{% for tag in entry.tags %}<li>{{ tag }}</li>{% endfor %}</ul>
  <div class="entry-body">{{ body | safe }}</div>
</article>
{% endblock %}
"""

bp = Blueprint("benchpage", __name__)


@bp.get("/bench/entries/<slug>")
@cached_page
def entry_page(slug: str) -> str:
    """An entry at the reader's presentation (what the reader's entry page will show)."""
    viewer = current_principal()
    entry = entries.get_by_slug(slug=slug, viewer=viewer)
    public = entries.present(entry, reading_level=current_presentation().reading_level)
    # Sanitised HTML from the knowledge service (rendering.sanitise), as the API serves it.
    return render_template_string(PAGE, entry=public, body=public.preferred_content_html)


app.register_blueprint(bp)
