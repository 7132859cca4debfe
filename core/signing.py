"""Signed webhooks: an HMAC-SHA256 over a timestamp and the raw body.

Every webhook Frontdesk receives is signed the same way: the SMS gateway's delivery reports
(``core.messages.api``, and ``frontdesk devsinks`` in the demo) and the telephone system's
call events (``plugins.insurance_calls.telephony``). The sender sends::

    X-Frontdesk-Timestamp: 1764558000                       (Unix seconds)
    X-Frontdesk-Signature: sha256=<hex of HMAC-SHA256(secret, b"1764558000." + raw body)>

The receiver recomputes the HMAC over the very bytes it received, compares in constant
time, and refuses a timestamp further than ``MAX_SKEW_SECONDS`` from its own clock (a
captured request cannot be replayed later). An empty secret refuses everything: a webhook
nobody configured must not accept unsigned calls.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Mapping

from core.clock import utcnow
from core.i18n import gettext as _
from core.problems import Problem

TIMESTAMP_HEADER = "X-Frontdesk-Timestamp"
SIGNATURE_HEADER = "X-Frontdesk-Signature"
MAX_SKEW_SECONDS = 300


def signature(secret: str, timestamp: str | int, body: bytes) -> str:
    """The ``X-Frontdesk-Signature`` value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def signed_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The two headers a sender adds (now, unless ``timestamp`` is given)."""
    stamp = str(int(utcnow().timestamp()) if timestamp is None else timestamp)
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: signature(secret, stamp, body)}


def is_valid(secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None,
             max_skew: int = MAX_SKEW_SECONDS) -> bool:
    """Whether ``headers`` sign ``body`` with ``secret`` within ``max_skew`` seconds of now."""
    if not secret:
        return False
    stamp = (headers.get(TIMESTAMP_HEADER) or "").strip()
    presented = (headers.get(SIGNATURE_HEADER) or "").strip()
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12 or not presented:
        return False
    current = utcnow().timestamp() if now is None else now
    if abs(current - int(stamp)) > max_skew:
        return False
    return hmac.compare_digest(signature(secret, stamp, body).encode(), presented.encode("utf-8", "replace"))


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, off: str | None = None,
           max_skew: int = MAX_SKEW_SECONDS) -> None:
    """``Problem(401)`` unless ``headers`` sign ``body`` with ``secret`` within ``max_skew``
    seconds of now, saying which of these failed (the sender's operator reads it in their
    logs). ``off`` is the reason given when no secret is set."""
    if not secret:
        raise Problem(401, off or _("This webhook is off: no secret is set."))
    stamp = (headers.get(TIMESTAMP_HEADER) or "").strip()
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise Problem(401, _("The %(header)s header must be the time in Unix seconds.", header=TIMESTAMP_HEADER))
    if abs(utcnow().timestamp() - int(stamp)) > max_skew:
        raise Problem(401, _("The request is signed too far from the server's time (more than %(seconds)s seconds).",
                             seconds=max_skew))
    if not is_valid(secret, headers, body, max_skew=max_skew):
        raise Problem(401, _("The signature does not match the request."))


def sign_record(secret: str, purpose: str, text: str) -> str:
    """An HMAC-SHA256 (hex) of ``text`` under ``secret`` for a stored record (an audit
    archive's description), ``purpose`` keeping signatures of one kind from passing for
    another's. Unlike webhooks there is no timestamp: the record is checked years later."""
    if not secret:
        raise ValueError("no secret key to sign with")
    return hmac.new(secret.encode("utf-8"), f"{purpose}\n{text}".encode("utf-8"), hashlib.sha256).hexdigest()


def record_is_signed(secret: str, purpose: str, text: str, presented: str) -> bool:
    """Whether ``presented`` is ``sign_record(secret, purpose, text)`` (constant time)."""
    if not secret or not presented:
        return False
    return hmac.compare_digest(sign_record(secret, purpose, text).encode(), presented.encode("utf-8", "replace"))
