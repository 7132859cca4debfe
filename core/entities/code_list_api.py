"""JSON routes of managed code lists: ``/api/v1/sites/{site}/lists/{name}`` (``core.entities.code_lists``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request

from core.entities import code_lists
from core.i18n import gettext as _
from core.web.access import actor_of, current_site
from core.web.api import api_route

READ, MANAGE = "core.code_list.read", "core.code_list.manage"


class CodeOut(BaseModel):
    code: str
    #: What a person reads, in the caller's language.
    label: str
    #: The stored text: a built-in default's msgid, or the site's own label.
    label_text: str
    builtin: bool
    active: bool
    position: int
    version: int


class CodeListOut(BaseModel):
    name: str
    label: str
    items: list[CodeOut]


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=1, max_length=40, description="A lowercase letter, then lowercase letters, digits or _.")
    label: str = Field(min_length=1, max_length=200)
    position: int | None = Field(None, ge=0, le=100_000)


class CodeChange(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    version: int
    label: str | None = Field(None, min_length=1, max_length=200)
    active: bool | None = None
    position: int | None = Field(None, ge=0, le=100_000)


async def list_out(request: Request, code_list: code_lists.CodeList) -> dict:
    found = await code_lists.items(current_site(request), code_list)
    return {"name": code_list.name, "label": _(str(code_list.label)),
            "items": [code_lists.item_out(item) for item in found]}


def _list(request: Request) -> code_lists.CodeList:
    return code_lists.find(request.app.state.host, request.path_params["name"])


async def get_list(request: Request) -> CodeListOut:
    """A site's items of one code list, inactive ones too, in order."""
    return await list_out(request, _list(request))


async def add_code(request: Request, body: CodeIn) -> CodeOut:
    """Add a site's own code to a list (409 naming ``code`` when it is taken)."""
    item = await code_lists.add(current_site(request), _list(request), body.model_dump(), actor=actor_of(request))
    return code_lists.item_out(item)


async def change_code(request: Request, body: CodeChange) -> CodeOut:
    """Rename, deactivate, reactivate or move a code (never deleted), with the version read."""
    changes = body.model_dump(exclude={"version"})
    item = await code_lists.change(current_site(request), _list(request), request.path_params["code"], changes,
                                   body.version, actor=actor_of(request))
    return code_lists.item_out(item)


def routes():
    path = "/api/v1/sites/{site}/lists/{name}"
    tags = ["code lists"]
    return [
        api_route(path, get_list, permission=READ, response=CodeListOut, tags=tags),
        api_route(path, add_code, method="POST", permission=MANAGE, body=CodeIn, response=CodeOut, status_code=201,
                  tags=tags, responses={409: "Code taken"}),
        api_route(f"{path}/{{code}}", change_code, method="PATCH", permission=MANAGE, body=CodeChange,
                  response=CodeOut, tags=tags, responses={409: "Stale version"}),
    ]
