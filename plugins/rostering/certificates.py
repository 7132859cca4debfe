"""Staff certificates (健康證 and other credentials): recorded, renewed, reminded of before
they expire. Rostering itself reads them in ``rules.duty_conflicts`` (a shift requiring a
kind refuses a person without an unexpired one on the day).

The certificate number is personal: shown whole only to who may edit certificates and to
the holder; everyone else, the audit log included, sees it masked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import local_day_bounds, local_today, rfc3339, utcnow
from core.entities import code_lists
from core.entities.models import Site
from core.entities.privacy import mask_phone
from core.i18n import gettext as _
from core.identity.models import Membership, User
from core.identity.services import members_with_role
from core.problems import Problem, invalid
from core.tasks.models import Task
from core.tasks.types import Subject
from plugins.rostering import rules
from plugins.rostering.code_lists import CERTIFICATE_KINDS
from plugins.rostering.models import Certificate
from plugins.rostering.site_settings import setting
from plugins.rostering.task_types import CERTIFICATE_EXPIRY

READ = "rostering.certificate.read"
EDIT = "rostering.certificate.edit"
SNAPSHOT_FIELDS = ("user_id", "kind", "issued_on", "expires_on", "note", "reminder_task_id")


def subject_of(certificate: Certificate) -> Subject:
    return Subject("rostering", "certificate", certificate.id)


def mask_number(number: str) -> str:
    """The first and last two characters kept (as phone numbers are): enough to tell two
    certificates apart on a list, not enough to use the number."""
    return mask_phone(number or "")


def shows_number(actor: Actor, certificate: Certificate) -> bool:
    return actor.can(EDIT) or (actor.user_id is not None and certificate.user_id == actor.user_id)


def state_of(site: Site, certificate: Certificate, today: dt.date | None = None) -> tuple[str, int]:
    """``("expired" | "expiring" | "valid", days left)``: expiring within the site's reminder window."""
    today = today or local_today(site)
    days_left = (certificate.expires_on - today).days
    if days_left < 0:
        return "expired", days_left
    return ("expiring" if days_left <= setting(site, "certificate_reminder_days") else "valid"), days_left


def certificate_out(site: Site, certificate: Certificate, actor: Actor, *, people: dict[int, User] | None = None,
                    kind_labels: dict[str, str] | None = None, today: dt.date | None = None) -> dict[str, Any]:
    shown = shows_number(actor, certificate)
    state, days_left = state_of(site, certificate, today)
    person = (people or {}).get(certificate.user_id)
    return {
        "id": certificate.id, "user_id": certificate.user_id,
        "user_name": (person.display_name or person.username) if person else "",
        "kind": certificate.kind, "kind_label": (kind_labels or {}).get(certificate.kind, certificate.kind),
        "number": certificate.number if shown else mask_number(certificate.number), "number_shown": shown,
        "issued_on": certificate.issued_on.isoformat() if certificate.issued_on else None,
        "expires_on": certificate.expires_on.isoformat(), "state": state, "days_left": days_left,
        "note": certificate.note, "reminder_task_id": certificate.reminder_task_id,
        "created_at": rfc3339(certificate.created_at), "updated_at": rfc3339(certificate.updated_at),
        "version": certificate.version,
    }


async def people_of(certificates: list[Certificate]) -> dict[int, User]:
    ids = list({certificate.user_id for certificate in certificates})
    return {user.id: user for user in await User.filter(id__in=ids)} if ids else {}


def _snapshot(certificate: Certificate) -> dict[str, Any]:
    values = audit.snapshot(certificate, list(SNAPSHOT_FIELDS))
    values["number"] = mask_number(certificate.number)  # the audit log is read by more people than the number
    return values


def _check_dates(site: Site, issued_on: dt.date | None, expires_on: dt.date, *, new_issue: bool = True,
                 new_expiry: bool = True) -> None:
    """The issue day not in the future (when given now), the expiry not past (when given
    now), and never before the issue day."""
    today = local_today(site)
    if new_issue and issued_on is not None and issued_on > today:
        raise invalid("issued_on", _("The issue date %(day)s is in the future.", day=issued_on.isoformat()))
    if new_expiry and expires_on < today:
        raise invalid("expires_on", _("The expiry date %(day)s is in the past; record a certificate that is still "
                                      "valid.", day=expires_on.isoformat()))
    if issued_on is not None and expires_on < issued_on:
        raise invalid("expires_on", _("The certificate expires (%(expires)s) before it was issued (%(issued)s).",
                                      expires=expires_on.isoformat(), issued=issued_on.isoformat()))


async def create(site: Site, actor: Actor, data: dict[str, Any]) -> Certificate:
    """Record a certificate of a member of ``site``; its expiry may not be past."""
    await rules.member_of(site, data["user_id"], "user_id")
    kind = await code_lists.check(site, CERTIFICATE_KINDS, data["kind"], "kind")
    _check_dates(site, data.get("issued_on"), data["expires_on"])
    async with in_transaction():
        certificate = await Certificate.create(
            site_id=site.id, user_id=data["user_id"], kind=kind, number=(data.get("number") or "").strip(),
            issued_on=data.get("issued_on"), expires_on=data["expires_on"], note=(data.get("note") or "").strip(),
            created_by_id=actor.user_id)
        await audit.record("rostering.certificate.create", actor=actor.user, site_id=site.id,
                           object_type="rostering_certificate", object_id=certificate.id,
                           after=_snapshot(certificate), client_address=actor.client_address)
    return certificate


async def _stale(site: Site, certificate: Certificate, actor: Actor) -> Problem:
    await certificate.refresh_from_db()
    return Problem(409, _("Someone changed this certificate since you read it. Reload and try again."),
                   current=certificate_out(site, certificate, actor, people=await people_of([certificate]),
                                           kind_labels=await code_lists.labels(site, CERTIFICATE_KINDS)))


async def update(kernel, site: Site, certificate: Certificate, data: dict[str, Any], version: int,
                 actor: Actor) -> Certificate:
    """Edit or renew (a new ``expires_on``). A renewal that takes the expiry past the
    reminder window closes the reminder task and clears the link, so that the next expiry
    gets a reminder of its own."""
    if version != certificate.version:
        raise await _stale(site, certificate, actor)
    changes: dict[str, Any] = {}
    if data.get("kind") is not None:
        changes["kind"] = await code_lists.check(site, CERTIFICATE_KINDS, data["kind"], "kind")
    for name in ("number", "note"):
        if name in data:
            changes[name] = (data[name] or "").strip()
    if "issued_on" in data:
        changes["issued_on"] = data["issued_on"]
    if data.get("expires_on") is not None:
        changes["expires_on"] = data["expires_on"]
    elif "expires_on" in data:
        raise invalid("expires_on", _("This field is required."))
    issued_on = changes.get("issued_on", certificate.issued_on)
    expires_on = changes.get("expires_on", certificate.expires_on)
    # A renewal (a later expiry) may not end in the past; correcting an expiry typed wrong
    # (an earlier one) may, so that the record tells the truth about a lapsed certificate.
    _check_dates(site, issued_on, expires_on, new_issue="issued_on" in changes,
                 new_expiry="expires_on" in changes and expires_on > certificate.expires_on)
    reminder = None
    if certificate.reminder_task_id and expires_on > _window_end(site):
        changes["reminder_task_id"] = None
        reminder = await Task.get_or_none(id=certificate.reminder_task_id)
    before = _snapshot(certificate)
    async with kernel.transaction():
        updated = await Certificate.filter(id=certificate.id, version=version).update(
            **changes, version=version + 1, updated_at=utcnow())
        if not updated:
            raise await _stale(site, certificate, actor)
        await certificate.refresh_from_db()
        if reminder is not None and reminder.is_open:
            await kernel.drive(reminder, "closed", actor, note=_("Renewed until %(day)s.", day=expires_on.isoformat()))
        changed_before, changed_after = audit.changed_fields(before, _snapshot(certificate))
        await audit.record("rostering.certificate.renew" if "expires_on" in changed_after
                           else "rostering.certificate.update", actor=actor.user, site_id=site.id,
                           object_type="rostering_certificate", object_id=certificate.id,
                           before=changed_before, after=changed_after, client_address=actor.client_address)
    return certificate


# --- Reminders ---------------------------------------------------------------------------------


def _window_end(site: Site, now: dt.datetime | None = None) -> dt.date:
    """The last expiry day the reminder window reaches today."""
    return local_today(site, now) + dt.timedelta(days=setting(site, "certificate_reminder_days"))


class _Lost(Exception):
    """Another worker gave this certificate its reminder first: roll this one's task back."""


async def remind_expiring(kernel, now: dt.datetime | None = None) -> int:
    """For every certificate expiring within its site's reminder window that has no
    reminder yet, one task for a supervisor, due at the end of the expiry day. Safe with
    several workers: the task and the link commit together, and the link is claimed by a
    versioned update that only one of them wins (the loser's task is rolled back)."""
    now = now or utcnow()
    created = 0
    site_ids = await Certificate.filter(reminder_task_id=None).distinct().values_list("site_id", flat=True)
    for site in await Site.filter(id__in=list(set(site_ids))).order_by("id"):
        due = await (Certificate.filter(site_id=site.id, reminder_task_id=None, expires_on__lte=_window_end(site, now))
                     .order_by("expires_on", "id"))
        if not due:
            continue
        supervisors = await members_with_role(site.id, "supervisor")
        labels = await code_lists.labels(site, CERTIFICATE_KINDS)
        for certificate in due:
            if await _needs_no_reminder(site, certificate, now):
                continue
            if await _remind(kernel, site, certificate, bool(supervisors), labels, now):
                created += 1
    return created


async def _needs_no_reminder(site: Site, certificate: Certificate, now: dt.datetime) -> bool:
    """Nobody to remind about: the holder left the site, or holds a later certificate of
    the same kind (recorded as a new one rather than renewed) reaching past the window."""
    holder = await User.get_or_none(id=certificate.user_id, is_active=True)
    if holder is None or not await Membership.filter(site_id=site.id, user_id=certificate.user_id).exists():
        return True
    return await Certificate.filter(site_id=site.id, user_id=certificate.user_id, kind=certificate.kind,
                                    expires_on__gt=_window_end(site, now)).exists()


async def _remind(kernel, site: Site, certificate: Certificate, has_supervisors: bool, labels: dict[str, str],
                  now: dt.datetime) -> bool:
    holder = await User.get(id=certificate.user_id)
    name = holder.display_name or holder.username
    kind = labels.get(certificate.kind, certificate.kind)
    _start, day_end = local_day_bounds(site, certificate.expires_on)
    # Already expired (the timer was off): still a reminder, due soon rather than in the past.
    due_at = max(day_end, now + dt.timedelta(hours=1))
    try:
        async with kernel.transaction():
            task = await kernel.create(
                site, None, type=CERTIFICATE_EXPIRY, subject=subject_of(certificate), due_at=due_at,
                assign="balanced" if has_supervisors else None,
                title=_("%(kind)s of %(name)s expires on %(day)s", kind=kind, name=name,
                        day=certificate.expires_on.isoformat()),
                description=_("Renew the certificate, or take %(name)s off the duties that require it.", name=name))
            claimed = await Certificate.filter(id=certificate.id, version=certificate.version,
                                               reminder_task_id=None).update(
                reminder_task_id=task.id, version=certificate.version + 1)
            if not claimed:
                raise _Lost()
    except _Lost:
        return False
    return True
