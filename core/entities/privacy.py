"""Masking personal data for roles that do not need to see it."""

from __future__ import annotations

import re


def normalise_phone(raw: str) -> str:
    """Digits only, a leading + kept: "+886 912-345-678" -> "+886912345678"."""
    raw = raw.strip()
    digits = re.sub(r"\D", "", raw)
    return f"+{digits}" if raw.startswith("+") and digits else digits


def mask_phone(phone: str) -> str:
    """Keep the first two and last two digits: "0912345678" -> "09******78"."""
    if len(phone) <= 4:
        return "*" * len(phone)
    return phone[:2] + "*" * (len(phone) - 4) + phone[-2:]


def mask_email(email: str) -> str:
    local, at, domain = email.partition("@")
    if not at:
        return mask_phone(email)
    return (local[:1] + "***" if local else "") + "@" + domain
