"""Field rules of the phone desk: normalising and checking numbers, per-type required fields."""

from __future__ import annotations

import re

from core.entities.privacy import mask_phone, normalise_phone
from core.i18n import lazy_gettext as _l
from core.i18n import gettext as _
from core.problems import Problem, invalid

CALL_TYPE_LABELS = {
    "quote": _l("Car insurance quote"),
    "vehicle_price": _l("Vehicle price lookup"),
    "compulsory_claim_lookup": _l("Compulsory insurance claim lookup"),
    "claim_consultation": _l("Claim consultation"),
    "card_activation": _l("Card activation"),
    "phone_application": _l("Phone application"),
    "policy_entry": _l("Policy entry"),
    "complaint": _l("Complaint"),
    "care_callback": _l("Customer care callback"),
    "repair_referral": _l("Repair referral"),
    "renewal": _l("Renewal"),
    "other": _l("Other"),
}

OUTCOME_LABELS = {
    "resolved": _l("Resolved"),
    "follow_up": _l("Follow-up promised"),
    "transferred": _l("Transferred"),
    "complaint": _l("Complaint"),
}

DIRECTION_LABELS = {"inbound": _l("Inbound"), "outbound": _l("Outbound")}

#: The call type's template: the call's own fields (top level) and its `fields` entries that
#: must be filled in.
FIELD_LABELS = {
    "plate": _l("Plate"),
    "policy_no": _l("Policy number"),
    "caller_name": _l("Caller name"),
    "fields.vehicle": _l("Vehicle (make and model)"),
    "fields.card_number": _l("Card number"),
    "fields.repair_shop": _l("Repair shop"),
    "fields.claim_no": _l("Claim number"),
}

REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "quote": ("plate", "fields.vehicle"),
    "vehicle_price": ("fields.vehicle",),
    "compulsory_claim_lookup": ("plate",),
    "claim_consultation": ("policy_no",),
    "card_activation": ("fields.card_number",),
    "phone_application": ("caller_name", "plate", "fields.vehicle"),
    "policy_entry": ("policy_no",),
    "complaint": ("caller_name",),
    "care_callback": (),
    "repair_referral": ("plate", "fields.repair_shop"),
    "renewal": ("plate", "policy_no"),
    "other": (),
}

#: `fields` entries any call type may carry, with their longest length.
KNOWN_TYPE_FIELDS = {"vehicle": 100, "card_number": 30, "repair_shop": 100, "claim_no": 40, "note": 500}

PHONE_RE = re.compile(r"^\+?\d{7,15}$")
PLATE_MAINLAND_RE = re.compile(r"^[\u4e00-\u9fff][A-Z][A-Z0-9]{5,6}$")
PLATE_GENERIC_RE = re.compile(r"^(?=.*\d)[A-Z0-9]{5,8}$")
POLICY_RE = re.compile(r"^[A-Z][A-Z0-9]{9,21}$")
VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
ID_RE = re.compile(r"^\d{17}[\dX]$")
CARD_RE = re.compile(r"^[A-Z0-9]{6,30}$")

#: The same formats for the browser (an input's ``pattern``, matched against the whole value,
#: as typed: separators allowed where ``phone``/``plate``/``policy_no`` below strip them), so a
#: wrong number is caught before the form is sent. The server still checks every value with
#: the functions below: these may let through a value they refuse, never the other way round.
#: Written for the JavaScript ``v`` flag browsers compile patterns with (``-``, ``(``, ``)``
#: escaped inside classes).
PHONE_PATTERN = r"\+?(?:[\s\-\(\)\.]*[0-9]){7,15}[\s\-\(\)\.]*"
PLATE_PATTERN = r"(?:[\u4e00-\u9fff][\s·\.\-]*)?(?:[A-Za-z0-9][\s·\.\-]*){5,8}"
POLICY_PATTERN = r"[\s\-]*[A-Za-z](?:[\s\-]*[A-Za-z0-9]){9,21}[\s\-]*"
HTML_PATTERNS = {"phone": PHONE_PATTERN, "plate": PLATE_PATTERN, "policy_no": POLICY_PATTERN}


def phone(raw: str, field: str = "phone") -> str:
    text = (raw or "").strip()
    if re.search(r"[^\d\s+()\-.]", text):
        raise invalid(field, _("A phone number has only digits, spaces, dashes and a leading +."))
    number = normalise_phone(text)
    if not PHONE_RE.match(number):
        raise invalid(field, _("A phone number has 7 to 15 digits."))
    return number


def plate(raw: str | None, field: str = "plate") -> str:
    text = re.sub(r"[\s·.\-]", "", (raw or "")).upper()
    if not text:
        return ""
    if not (PLATE_MAINLAND_RE.match(text) or PLATE_GENERIC_RE.match(text)):
        raise invalid(field, _("This is not a licence plate (for example 粤B12345)."))
    return text


def policy_no(raw: str | None, field: str = "policy_no") -> str:
    text = re.sub(r"[\s\-]", "", (raw or "")).upper()
    if not text:
        return ""
    if not POLICY_RE.match(text):
        raise invalid(field, _("A policy number is 10 to 22 letters and digits and starts with a letter."))
    return text


def vin(raw: str, field: str = "vin") -> str:
    text = re.sub(r"\s", "", raw or "").upper()
    if not VIN_RE.match(text):
        raise invalid(field, _("A VIN has 17 letters and digits, without I, O or Q."))
    return text


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_number(raw: str, field: str = "id_number") -> str:
    """A mainland resident ID number: 17 digits and a check character (digit or X)."""
    text = re.sub(r"\s", "", raw or "").upper()
    if not ID_RE.match(text):
        raise invalid(field, _("An ID number has 17 digits and a check digit or X."))
    total = sum(int(digit) * weight for digit, weight in zip(text[:17], ID_WEIGHTS, strict=True))
    if ID_CHECK[total % 11] != text[17]:
        raise invalid(field, _("The check digit of this ID number is wrong; read it again."))
    return text


def type_fields(raw: dict | None) -> dict[str, str]:
    """The call type's own fields, trimmed; unknown names and overlong values refused."""
    cleaned: dict[str, str] = {}
    for name, value in (raw or {}).items():
        if name not in KNOWN_TYPE_FIELDS:
            raise invalid(f"fields.{name}", _("Unknown field. Use: %(names)s.", names=", ".join(KNOWN_TYPE_FIELDS)))
        if value is None:
            continue
        if not isinstance(value, (str, int)):
            raise invalid(f"fields.{name}", _("Enter text."))
        text = str(value).strip()
        if len(text) > KNOWN_TYPE_FIELDS[name]:
            raise invalid(f"fields.{name}", _("Enter at most %(count)s characters.", count=KNOWN_TYPE_FIELDS[name]))
        if text:
            cleaned[name] = text
    if "card_number" in cleaned:
        card = re.sub(r"[\s\-]", "", cleaned["card_number"]).upper()
        if not CARD_RE.match(card):
            raise invalid("fields.card_number", _("A card number has 6 to 30 letters and digits."))
        cleaned["card_number"] = card
    return cleaned


def check_required(call_type: str, values: dict) -> None:
    """422 naming every required field of the call type that is empty."""
    errors = []
    for name in REQUIRED_FIELDS.get(call_type, ()):
        if name.startswith("fields."):
            present = bool(values.get("fields", {}).get(name[len("fields."):]))
        else:
            present = bool(values.get(name))
        if not present:
            errors.append({"field": name, "message": _("%(label)s is required for a %(type)s call.",
                                                        label=str(FIELD_LABELS[name]),
                                                        type=str(CALL_TYPE_LABELS[call_type]))})
    if errors:
        raise Problem(422, _("Invalid fields: %(fields)s", fields=", ".join(e["field"] for e in errors)),
                      errors=errors)


def mask_policy(number: str) -> str:
    if not number:
        return ""
    if len(number) <= 6:
        return "*" * len(number)
    return number[:2] + "*" * (len(number) - 6) + number[-4:]


def mask_id(number: str) -> str:
    return number[:3] + "*" * max(0, len(number) - 7) + number[-4:] if len(number) > 7 else "*" * len(number)


__all__ = ["mask_phone"]
