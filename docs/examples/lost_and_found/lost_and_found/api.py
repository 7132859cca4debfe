"""JSON routes of the lost_and_found plugin."""

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request

from core.web.access import current_site, site_query
from core.web.api import api_route
from core.web.pagination import PageQuery, paginate
from lost_and_found import services
from lost_and_found.models import Entry


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str = Field(min_length=1, max_length=200)


class EntryOut(BaseModel):
    id: int
    title: str
    version: int


class EntryPage(BaseModel):
    items: list[EntryOut]
    next_cursor: str | None


def entry_out(entry: Entry) -> dict:
    return {"id": entry.id, "title": entry.title, "version": entry.version}


async def list_entries(request: Request, query: PageQuery) -> EntryPage:
    """Entries of the site, newest first."""
    return await paginate(site_query(request, Entry), query, entry_out, descending=True)


async def create_entry(request: Request, body: EntryIn) -> EntryOut:
    entry = await services.create_entry(current_site(request), body.title, request.state.user,
                                        request.state.client_address)
    return entry_out(entry)


def routes():
    path = "/api/v1/sites/{site}/lost_and_found/entries"
    return [
        api_route(path, list_entries, permission="lost_and_found.entry.read", query=PageQuery, response=EntryPage,
                  tags=["lost_and_found"]),
        api_route(path, create_entry, method="POST", permission="lost_and_found.entry.write", body=EntryIn,
                  response=EntryOut, status_code=201, tags=["lost_and_found"]),
    ]
