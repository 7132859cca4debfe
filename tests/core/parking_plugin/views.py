from pydantic import BaseModel, Field
from starlette.requests import Request

from core.permissions import PUBLIC
from core.problems import Problem
from core.web.api import api_route
from core.web.forms import FormErrors, form_action
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


async def _permit_form(request: Request, errors: FormErrors, values: dict, status_code: int = 200):
    return request.app.state.templates.TemplateResponse(
        request, "parking/new.html", {"errors": errors, "values": values}, status_code=status_code)


async def new_permit_page(request: Request):
    return await _permit_form(request, FormErrors(), {})


async def new_permit(request: Request):
    """The page twin of ``create_permit``, through core's one form helper."""

    async def issue(body: PermitIn) -> Permit:
        if await Permit.exists(plate=body.plate):
            raise Problem(409, f"Plate {body.plate} has a permit already.",
                          errors=[{"field": "plate", "message": "This plate has a permit."}])
        return await Permit.create(plate=body.plate)

    return await form_action(request, fields=["plate"], schema=PermitIn, act=issue,
                             page=lambda errors, values, status: _permit_form(request, errors, values, status),
                             success_url=lambda permit: f"/parking/?new={permit.id}")


def page_routes():
    return [page_route("/parking/", permits_page, permission=PUBLIC),
            page_route("/parking/new", new_permit_page, permission=PUBLIC),
            page_route("/parking/new", new_permit, permission=PUBLIC, methods=["POST"])]


def api_routes():
    return [api_route("/api/v1/parking/permits", create_permit, method="POST", permission=PUBLIC,
                      body=PermitIn, response=PermitOut, status_code=201)]
