"""Form keys: the page forms' ``Idempotency-Key``, required on every page POST that records
money.

A money form carries a hidden ``form_key``, new on every render. The first POST with a key
claims it (``core.web.idempotency``, the API's claim table, under ``form:<key>``); a repeat
with the same key and values (a double click, a reload after a timeout, a second tab)
gets the first answer's redirect again instead of a second write; the same key with other
values is 409; no key is 400, as the API answers a money POST without its header. A form
refused with its messages releases the key, since nothing was written.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.i18n import gettext as _
from core.identity.models import IdempotencyRecord
from core.problems import Problem
from core.web import idempotency

FIELD = "form_key"
#: Keeps page keys apart from the same user's API keys in the one claim table.
PREFIX = "form:"


def _values_hash(form) -> str:
    # The CSRF token is the session's, not the request's; a password (the deposit witness's)
    # is not kept even as part of a hash. Neither is compared.
    items = sorted((name, str(value)) for name, value in form.multi_items()
                   if name != "csrf_token" and "password" not in name)
    return idempotency.body_hash(json.dumps(items, ensure_ascii=False).encode())


async def once(request: Request, handle: Callable[[], Awaitable[Response]]) -> Response:
    """Run ``handle`` (the form's ``form_action``) once per form key."""
    form = await request.form()
    key = str(form.get(FIELD, "")).strip()
    if not key or len(key) > idempotency.MAX_KEY - len(PREFIX):
        raise Problem(400, _("This form was sent without its form key. Open the page again and send it from there."),
                      errors=[{"field": FIELD, "message": _("required")}])
    try:
        claimed = await idempotency.claim(request, PREFIX + key, _values_hash(form))
    except Problem as problem:
        if problem.status == 409 and "Retry-After" not in problem.headers:
            raise Problem(409, _("This form was sent already with other values. Open the page again to send "
                                 "new ones.")) from None
        raise
    if isinstance(claimed, Response):
        # Only redirects are kept (below): the replay sends the browser where the first went.
        return RedirectResponse(bytes(claimed.body).decode(), status_code=303)
    response = None
    try:
        response = await handle()
        return response
    finally:
        if response is not None and response.status_code == 303:
            await IdempotencyRecord.filter(id=claimed.id).update(
                status_code=303, response_body=response.headers["location"])
        else:
            await idempotency.settle(claimed, None)  # refused or failed: nothing written, key free
