"""Phone applications and policy entry: draft -> submitted -> issued, with a second
person's check of the key fields (VIN, ID number, premium) before submission.

The checker re-enters the key fields from the documents without seeing the draft's values
(blind double entry); they must match, and the checker must not be the creator. Changing
a key field afterwards withdraws the check.
"""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import rfc3339, utcnow
from core.entities.models import Site
from core.entities.privacy import mask_phone
from core.i18n import gettext as _
from core.money import format_money, parse_money
from core.problems import Problem, invalid
from plugins.insurance_calls import rules
from plugins.insurance_calls.services import PERSONAL
from plugins.insurance_calls.models import Application, Call

KEY_FIELDS = ("vin", "id_number", "premium_minor")
COVERS = ("compulsory", "third_party", "vehicle_damage", "driver_passenger", "theft", "glass")


def application_out(app: Application, site: Site, show_personal: bool) -> dict[str, Any]:
    return {
        "id": app.id, "status": app.status, "call_id": app.call_id, "applicant_name": app.applicant_name,
        "id_number": app.id_number if show_personal else rules.mask_id(app.id_number),
        "phone": app.phone if show_personal else mask_phone(app.phone), "plate": app.plate, "vin": app.vin,
        "vehicle": app.vehicle, "cover": list(app.cover or []),
        "premium": format_money(app.premium_minor, site.currency), "currency": site.currency,
        "policy_no": app.policy_no if show_personal else rules.mask_policy(app.policy_no),
        "created_by_id": app.created_by_id, "checked_by_id": app.checked_by_id, "checked_at": rfc3339(app.checked_at),
        "submitted_at": rfc3339(app.submitted_at), "issued_at": rfc3339(app.issued_at),
        "created_at": rfc3339(app.created_at), "updated_at": rfc3339(app.updated_at), "version": app.version,
    }


def _snapshot(app: Application) -> dict[str, Any]:
    return {"status": app.status, "applicant_name": app.applicant_name, "plate": app.plate, "vehicle": app.vehicle,
            "cover": list(app.cover or []), "premium_minor": app.premium_minor,
            "checked_by_id": app.checked_by_id, "policy_no": rules.mask_policy(app.policy_no)}


async def clean(site: Site, data: dict[str, Any], partial: bool = False) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "applicant_name" in data or not partial:
        name = (data.get("applicant_name") or "").strip()
        if not name:
            raise invalid("applicant_name", _("This field is required."))
        values["applicant_name"] = name[:100]
    checks = {"id_number": rules.id_number, "phone": rules.phone, "vin": rules.vin}
    for name, check in checks.items():
        if name in data or not partial:
            values[name] = check(data.get(name) or "", name)
    if "plate" in data:
        values["plate"] = rules.plate(data.get("plate"))
    if "vehicle" in data:
        values["vehicle"] = (data.get("vehicle") or "").strip()[:100]
    if "cover" in data or not partial:
        cover = list(dict.fromkeys(data.get("cover") or []))
        unknown = [item for item in cover if item not in COVERS]
        if unknown or not cover:
            raise invalid("cover", _("Choose at least one cover of: %(values)s.", values=", ".join(COVERS)))
        values["cover"] = cover
    if "premium" in data or not partial:
        values["premium_minor"] = parse_money(data.get("premium"), site.currency, "premium")
    if data.get("call_id") is not None:
        if not await Call.filter(id=data["call_id"], site_id=site.id).exists():
            raise invalid("call_id", _("No call %(id)s at this site.", id=data["call_id"]))
        values["call_id"] = data["call_id"]
    return values


async def create(site: Site, actor: Actor, data: dict[str, Any]) -> Application:
    values = await clean(site, data)
    async with in_transaction():
        app = await Application.create(site_id=site.id, created_by_id=actor.user_id, status="draft", **values)
        await audit.record("insurance_calls.application.create", actor=actor.user, site_id=site.id,
                           object_type="insurance_application", object_id=app.id, after=_snapshot(app),
                           client_address=actor.client_address)
    return app


async def _save(app: Application, site: Site, changes: dict[str, Any], version: int, actor: Actor,
                action: str) -> Application:
    show_personal = actor.can(PERSONAL)  # in the current record a refused change shows
    if version != app.version:
        await app.refresh_from_db()
        raise Problem(409, _("Someone changed this application since you read it. Reload and try again."),
                      current=application_out(app, site, show_personal))
    before = _snapshot(app)
    async with in_transaction():
        updated = await Application.filter(id=app.id, version=version).update(
            **changes, version=version + 1, updated_at=utcnow())
        if not updated:
            await app.refresh_from_db()
            raise Problem(409, _("Someone changed this application since you read it. Reload and try again."),
                          current=application_out(app, site, show_personal))
        await app.refresh_from_db()
        before_changed, after_changed = audit.changed_fields(before, _snapshot(app))
        await audit.record(action, actor=actor.user, site_id=site.id, object_type="insurance_application",
                           object_id=app.id, before=before_changed, after=after_changed,
                           client_address=actor.client_address)
    return app


async def update(app: Application, site: Site, data: dict[str, Any], version: int, actor: Actor) -> Application:
    if app.status != "draft":
        raise Problem(409, _("Only a draft can be changed; this application is %(status)s.", status=app.status))
    changes = await clean(site, data, partial=True)
    if any(name in changes and changes[name] != getattr(app, name) for name in KEY_FIELDS):
        changes.update(checked_by_id=None, checked_at=None)  # the check was of other values
    return await _save(app, site, changes, version, actor, "insurance_calls.application.update")


async def check(app: Application, site: Site, data: dict[str, Any], version: int, actor: Actor) -> Application:
    """The second person's check: VIN, ID number and premium entered again must match."""
    if app.status != "draft":
        raise Problem(409, _("Only a draft is checked; this application is %(status)s.", status=app.status))
    if actor.user_id == app.created_by_id:
        raise Problem(409, _("The check must be done by someone other than the person who entered the application."))
    entered = {"vin": rules.vin(data.get("vin") or ""), "id_number": rules.id_number(data.get("id_number") or ""),
               "premium_minor": parse_money(data.get("premium"), site.currency, "premium")}
    names = {"vin": "vin", "id_number": "id_number", "premium_minor": "premium"}
    mismatched = [names[name] for name, value in entered.items() if getattr(app, name) != value]
    if mismatched:
        async with in_transaction():
            await audit.record("insurance_calls.application.check_failed", actor=actor.user, site_id=site.id,
                               object_type="insurance_application", object_id=app.id,
                               note=", ".join(mismatched), client_address=actor.client_address)
        raise Problem(422, _("These fields differ from the entered application: %(fields)s. Compare with the "
                             "documents.", fields=", ".join(mismatched)),
                      errors=[{"field": name, "message": _("Does not match the entered value.")}
                              for name in mismatched])
    return await _save(app, site, {"checked_by_id": actor.user_id, "checked_at": utcnow()}, version, actor,
                       "insurance_calls.application.check")


async def submit(app: Application, site: Site, version: int, actor: Actor) -> Application:
    if app.status != "draft":
        raise Problem(409, _("Only a draft is submitted; this application is %(status)s.", status=app.status))
    if app.checked_by_id is None:
        raise Problem(409, _("A second person must check the VIN, ID number and premium before submission."))
    return await _save(app, site, {"status": "submitted", "submitted_at": utcnow()}, version, actor,
                       "insurance_calls.application.submit")


async def issue(app: Application, site: Site, policy_no: str, version: int, actor: Actor) -> Application:
    if app.status != "submitted":
        raise Problem(409, _("Only a submitted application is issued; this one is %(status)s.", status=app.status))
    number = rules.policy_no(policy_no)
    if not number:
        raise invalid("policy_no", _("This field is required."))
    if await Application.filter(site_id=site.id, policy_no=number).exists():
        raise Problem(409, _("Policy %(number)s is already entered.", number=number),
                      errors=[{"field": "policy_no", "message": _("Already entered.")}])
    return await _save(app, site, {"status": "issued", "issued_at": utcnow(), "policy_no": number}, version, actor,
                       "insurance_calls.application.issue")
