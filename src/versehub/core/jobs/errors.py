"""Exceptions that steer how a job fails."""

from __future__ import annotations


class TransientJobError(Exception):
    """A failure worth retrying later (a provider timeout, a busy resource): raise it from a task.

    Tasks retry it with exponential backoff; once the retries run out the job becomes a dead letter.
    Any other exception (except a database OperationalError) fails the job at once.
    """
