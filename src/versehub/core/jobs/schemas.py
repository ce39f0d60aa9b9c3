"""Wire shapes of the job system (CLI JSON output, future API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


class DeadLetterOut(BaseModel):
    """A dead letter as `versehub jobs failed --json` prints it (no traceback)."""

    model_config = ConfigDict(from_attributes=True, serialize_by_alias=True)

    id: int
    task_id: str
    task_name: str
    args: list[Any]
    # Named apart from the column: a field `kwargs` clashes with mypy's view of `__init__`.
    keyword_args: dict[str, Any] = Field(
        validation_alias=AliasChoices("kwargs"), serialization_alias="kwargs"
    )
    retries: int
    error_type: str
    error_message: str
    failed_at: datetime
    requeued_at: datetime | None
