"""Request and response shapes of the personal-data API (``core.personal_data.api``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class KeptOut(BaseModel):
    what: str
    why: str
    #: An open money record (unpaid bill, open deposit).
    open: bool


class SubjectOut(BaseModel):
    kind: Literal["party", "user"]
    id: int
    pseudonym: str = ""


class SourceOut(BaseModel):
    key: str
    label: str
    #: Rows about the person per table.
    tables: dict[str, int]


class PreviewOut(BaseModel):
    """What an erase would pseudonymise and what it keeps, and why."""

    subject: SubjectOut
    sources: list[SourceOut]
    #: Rows elsewhere whose free text names the person, per database table.
    mentions: dict[str, int]
    kept: list[KeptOut]


class EraseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: Must be true: erasure cannot be undone.
    confirm: bool


class ErasedOut(BaseModel):
    subject: SubjectOut
    pseudonym: str
    #: Rows given the pseudonym or emptied, per source table.
    declared: dict[str, int]
    #: Rows whose free text was scrubbed, per database table.
    swept: dict[str, int]
    kept: list[KeptOut]
