"""The coach's reading stored with its turn: a JSON column that reads back as `Coaching`.

Like polar's `kit/address.py`: the column binds a pydantic model as JSON and returns the model,
so code past the database is type-checked and nobody rebuilds readings from dicts by hand.
Readings stored before a field existed load with that field's default.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.types import TypeDecorator

from app.coach.schemas import Coaching


class CoachingColumn(TypeDecorator[Coaching]):
    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Coaching | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, Coaching):
            return value.model_dump(mode="json")
        # A plain mapping is validated first, so nothing malformed reaches the table.
        return Coaching.model_validate(value).model_dump(mode="json")

    def process_result_value(self, value: Any, dialect: Dialect) -> Coaching | None:
        return Coaching.model_validate(value) if value is not None else None
