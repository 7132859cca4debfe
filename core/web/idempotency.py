"""``Idempotency-Key`` on POST: the same key and body replay the first answer; the same
key with another body is a 409.

A double click, a retry after a timeout, or two tabs submitting the same sale all become
one write: the first request inserts a claim row (a unique constraint, not a check then
an insert), does the work and stores its answer; the others wait for that answer and
replay it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json

from starlette.requests import Request
from starlette.responses import Response
from tortoise.exceptions import IntegrityError

from core.clock import utcnow
from core.i18n import gettext as _
from core.identity.models import IdempotencyRecord
from core.problems import Problem

HEADER = "idempotency-key"
MAX_KEY = 200
#: How long a repeat waits for the first request to finish before answering 409.
WAIT_SECONDS = 10.0
#: A claim older than this with no answer was abandoned (its worker died): take it over.
ABANDONED_AFTER = dt.timedelta(seconds=60)


def body_hash(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    return Response(record.response_body, status_code=record.status_code,
                    media_type="application/problem+json" if record.status_code >= 400 else "application/json",
                    headers={"Idempotency-Replayed": "true"})


async def claim(request: Request, key: str, digest: str) -> IdempotencyRecord | Response:
    """The new claim to fill in, or the response to replay."""
    user_id = request.state.user.id
    fields = dict(user_id=user_id, key=key, method=request.method, path=request.url.path[:400], body_hash=digest)
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while True:
        try:
            return await IdempotencyRecord.create(**fields)
        except IntegrityError:
            pass
        record = await IdempotencyRecord.get_or_none(user_id=user_id, key=key)
        if record is None:
            continue  # the first request failed and released its claim: try again
        if record.body_hash != digest or record.path != fields["path"]:
            raise Problem(409, _("This Idempotency-Key was used for a different request."))
        if record.status_code:
            return _replay(record)
        if utcnow() - record.created_at > ABANDONED_AFTER:
            if await IdempotencyRecord.filter(id=record.id, status_code=0, created_at=record.created_at).delete():
                continue
        if asyncio.get_running_loop().time() > deadline:
            raise Problem(409, _("A request with this Idempotency-Key is still being processed. Retry shortly."),
                          headers={"Retry-After": "1"})
        await asyncio.sleep(0.05)


async def settle(record: IdempotencyRecord, response: Response | None) -> None:
    """Store the answer (or release the claim when the request failed unexpectedly)."""
    if response is None or response.status_code >= 500:
        await IdempotencyRecord.filter(id=record.id).delete()
        return
    body = response.body.decode() if isinstance(response.body, (bytes, bytearray)) else json.dumps(response.body)
    await IdempotencyRecord.filter(id=record.id).update(status_code=response.status_code, response_body=body)


def key_of(request: Request, required: bool) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        if required:
            raise Problem(400, _("Send an Idempotency-Key header with this request."),
                          errors=[{"field": "Idempotency-Key", "message": _("required")}])
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY:
        raise Problem(400, _("The Idempotency-Key must be 1 to %(count)s characters.", count=MAX_KEY),
                      errors=[{"field": "Idempotency-Key", "message": _("invalid")}])
    return key
