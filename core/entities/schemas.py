"""Request and response schemas for sites, units and parties (API and forms alike)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.entities.models import PARTY_KINDS, SITE_KINDS, UNIT_KINDS
from core.web.pagination import PageQuery

SiteKind = Literal[SITE_KINDS]  # type: ignore[valid-type]
UnitKind = Literal[UNIT_KINDS]  # type: ignore[valid-type]
PartyKind = Literal[PARTY_KINDS]  # type: ignore[valid-type]
Language = Literal["zh_Hant", "zh_Hans", "en"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SiteOut(BaseModel):
    code: str
    name: str
    kind: str
    timezone: str
    currency: str
    default_language: str


class SiteIn(Strict):
    code: str = Field(min_length=2, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    kind: SiteKind
    timezone: str = Field("Asia/Taipei", max_length=64)
    currency: str = Field("TWD", min_length=3, max_length=3)
    default_language: Language = "zh_Hant"


class SiteChange(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: SiteKind | None = None
    timezone: str | None = Field(None, max_length=64)
    currency: str | None = Field(None, min_length=3, max_length=3)
    default_language: Language | None = None
    version: int


class UnitIn(Strict):
    code: str = Field(min_length=1, max_length=40)
    kind: UnitKind
    building: str = Field("", max_length=60)
    floor: str = Field("", max_length=10)
    name: str = Field("", max_length=200)
    notes: str = Field("", max_length=4000)


class UnitChange(Strict):
    code: str | None = Field(None, min_length=1, max_length=40)
    kind: UnitKind | None = None
    building: str | None = Field(None, max_length=60)
    floor: str | None = Field(None, max_length=10)
    name: str | None = Field(None, max_length=200)
    notes: str | None = Field(None, max_length=4000)
    version: int


class UnitOut(BaseModel):
    id: int
    code: str
    kind: str
    building: str
    floor: str
    name: str
    notes: str
    version: int


class UnitSuggestion(BaseModel):
    id: int
    code: str
    building: str
    name: str


class UnitSuggestions(BaseModel):
    items: list[UnitSuggestion] = Field(description="Units whose code starts with q, in any case, by code; at most 10.")


class UnitSuggestQuery(BaseModel):
    q: str = Field("", max_length=40, description="The start of a unit code, in any case.")


class UnitQuery(PageQuery):
    q: str | None = Field(None, max_length=100)
    kind: UnitKind | None = None
    building: str | None = Field(None, max_length=60)


class PartyIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    kind: PartyKind = "person"
    phones: list[str] = Field(default_factory=list, max_length=10)
    email: str = Field("", max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+$")
    notes: str = Field("", max_length=4000)


class PartyChange(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: PartyKind | None = None
    phones: list[str] | None = Field(None, max_length=10)
    email: str | None = Field(None, max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+$")
    notes: str | None = Field(None, max_length=4000)
    version: int


class PartyOut(BaseModel):
    id: int
    name: str
    kind: str
    #: Masked ("09******78") for callers without core.party.personal_data.
    phones: list[str]
    email: str
    notes: str
    version: int


class PartyQuery(PageQuery):
    q: str | None = Field(None, max_length=100)
    kind: PartyKind | None = None


class Page(BaseModel):
    next_cursor: str | None


class UnitPage(Page):
    items: list[UnitOut]


class PartyPage(Page):
    items: list[PartyOut]
