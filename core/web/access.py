"""Access control for every route: sign-in, site membership, permission.

Filled in by the identity layer; until a user is resolved, only public routes answer.
"""

from __future__ import annotations

from starlette.requests import Request

from core.i18n import gettext as _
from core.permissions import PUBLIC
from core.web.problems import Problem


async def authorize(request: Request, permission: str) -> None:
    if permission == PUBLIC:
        return
    if getattr(request.state, "user", None) is None:
        raise Problem(401, _("Sign in first."))


def can(request: Request, permission: str) -> bool:
    """Whether the current request may use ``permission`` (for showing links and buttons)."""
    if permission == PUBLIC:
        return True
    return getattr(request.state, "user", None) is not None
