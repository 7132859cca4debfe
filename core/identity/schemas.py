"""Request and response schemas for sign-in, tokens, users and roles."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from core.entities.schemas import Strict
from core.web.pagination import PageQuery


class Credentials(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    locale: str


class TokenOut(BaseModel):
    token: str
    expires_at: datetime
    user: UserOut


class SiteRoles(BaseModel):
    code: str
    name: str
    roles: list[str]
    permissions: list[str]


class MeOut(BaseModel):
    id: int
    username: str
    display_name: str
    locale: str
    sites: list[SiteRoles]
    #: What the staff directory shows of the caller (``PATCH /api/v1/me`` changes them).
    extension: str = ""
    title: str = ""
    version: int = 1


#: Up to 20 digits, ``#``, ``*`` or ``-`` (an internal extension such as ``8123`` or ``*9#``).
EXTENSION_CHARS = 20
TITLE_CHARS = 100


class MeChange(Strict):
    """What a user changes of their own account: their extension and job title."""

    extension: str | None = Field(None, max_length=EXTENSION_CHARS,
                                  description="Digits, `#`, `*` and `-` only; empty for none")
    title: str | None = Field(None, max_length=TITLE_CHARS)
    #: The version read; when given, a concurrent change makes this a 409.
    version: int | None = None


class UserDetail(UserOut):
    email: str
    department: str
    extension: str
    title: str
    skills: list[str]
    is_active: bool
    is_superadmin: bool
    memberships: list[dict[str, str]]
    version: int


class UserIn(Strict):
    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    display_name: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    department: str = Field("", max_length=40)
    extension: str = Field("", max_length=EXTENSION_CHARS, description="Digits, `#`, `*` and `-` only")
    title: str = Field("", max_length=TITLE_CHARS)
    locale: Literal["", "zh_Hant", "zh_Hans", "en"] = ""
    skills: list[str] = Field(default_factory=list, max_length=20)
    #: The site and role of the first membership: required unless the caller is a
    #: super-administrator (a user with no site is reachable by super-administrators only).
    site: str | None = Field(None, min_length=1, max_length=32)
    role: str | None = Field(None, min_length=1, max_length=40)


class UserChange(Strict):
    display_name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254)
    department: str | None = Field(None, max_length=40)
    extension: str | None = Field(None, max_length=EXTENSION_CHARS, description="Digits, `#`, `*` and `-` only")
    title: str | None = Field(None, max_length=TITLE_CHARS)
    locale: Literal["", "zh_Hant", "zh_Hans", "en"] | None = None
    skills: list[str] | None = Field(None, max_length=20)
    is_active: bool | None = None
    #: Only a super-administrator may change it.
    is_superadmin: bool | None = None
    #: The version read; when given, a concurrent change makes this a 409.
    version: int | None = None


class PasswordIn(Strict):
    password: str = Field(min_length=1, max_length=1024)


class MembershipIn(Strict):
    site: str = Field(min_length=1, max_length=32)
    role: str = Field(min_length=1, max_length=40)


class UserQuery(PageQuery):
    q: str | None = Field(None, max_length=64)


class UserPage(BaseModel):
    items: list[UserDetail]
    next_cursor: str | None


class DirectoryQuery(PageQuery):
    #: Searches display names, extensions and departments.
    q: str | None = Field(None, max_length=100)


class DirectoryEntry(BaseModel):
    """A colleague as the staff directory shows them: what a colleague needs, no more
    (no username, e-mail or other personal data)."""

    id: int
    display_name: str
    department: str
    title: str
    extension: str
    #: Their roles at this site.
    roles: list[str]


class DirectoryPage(BaseModel):
    items: list[DirectoryEntry]
    next_cursor: str | None


class AuditQuery(PageQuery):
    action: str | None = Field(None, max_length=80)
    actor: str | None = Field(None, max_length=64)
    site: str | None = Field(None, max_length=32)
    since: datetime | None = Field(None, alias="from")
    until: datetime | None = Field(None, alias="to")


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    site_id: int | None
    action: str
    object_type: str
    object_id: str
    before: dict | None
    after: dict | None
    client_address: str
    note: str


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_cursor: str | None
