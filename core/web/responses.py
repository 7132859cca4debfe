"""Building blocks of API response models (each plugin's ``schemas.py`` declares its own).

- ``Page[Item]``: the ``{"items": [...], "next_cursor": ...}`` shape of every list
  (``core.web.pagination.paginate``).
- ``Sparse``: a response some of whose keys are sometimes left out, not null, e.g. a
  shift's revenue figures for a cashier who may not see them. A plain model would write
  every left-out key as ``null`` and so change the answer; this one writes only the keys
  the handler gave.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

Item = TypeVar("Item")


class Page(BaseModel, Generic[Item]):
    items: list[Item]
    next_cursor: str | None


class Sparse(BaseModel):
    """Fields with a default are left out of the answer unless the handler gave them."""

    @model_serializer(mode="wrap")
    def _given_keys_only(self, handler: SerializerFunctionWrapHandler):
        data = handler(self)
        left_out = set()
        for name, field in type(self).model_fields.items():
            if name not in self.model_fields_set and not field.is_required():
                left_out |= {name, field.alias, field.serialization_alias}
        return {key: value for key, value in data.items() if key not in left_out}


class PeriodOut(BaseModel):
    """What every report over a period starts with: ``from`` and ``to`` (``from`` is a
    Python keyword, so the field is ``from_`` under its JSON name)."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    from_: str = Field(alias="from")
    to: str
