"""Jobs on Celery: embedded durable broker by default, Redis when scaled out."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask

from versehub.core.jobs.models import DeadLetter
from versehub.settings import Settings

__all__ = ["DeadLetter", "init_jobs"]


def init_jobs(app: Flask, settings: Settings) -> Celery:
    """Create the app's Celery instance (tasks run inside the app context)."""

    class FlaskTask(Task):  # type: ignore[misc]
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.conf.update(broker_url=settings.effective_broker_url, task_ignore_result=True)
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
