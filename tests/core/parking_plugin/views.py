from pydantic import BaseModel, Field
from starlette.requests import Request

from core.permissions import PUBLIC
from core.web.api import api_route
from core.web.routing import page_route
from tests.core.parking_plugin.models import Permit


class PermitIn(BaseModel):
    plate: str = Field(min_length=1, max_length=20)


class PermitOut(BaseModel):
    id: int
    plate: str


async def permits_page(request: Request):
    permits = await Permit.all().order_by("plate")
    return request.app.state.templates.TemplateResponse(request, "parking/list.html", {"permits": permits})


async def create_permit(request: Request, body: PermitIn) -> PermitOut:
    permit = await Permit.create(plate=body.plate)
    return PermitOut(id=permit.id, plate=permit.plate)


def page_routes():
    return [page_route("/parking/", permits_page, permission=PUBLIC)]


def api_routes():
    return [api_route("/api/v1/parking/permits", create_permit, method="POST", permission=PUBLIC,
                      body=PermitIn, response=PermitOut, status_code=201)]
