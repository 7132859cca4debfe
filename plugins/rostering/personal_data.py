"""Where rostering keeps a staff member's data (``register_personal_data``): duties,
swaps, leave, attendance and certificates. All kept on erase, linked to the pseudonym:
attendance and duties are payroll records; free text in them (a reason, a note) that
names the person is scrubbed by the sweep."""

from __future__ import annotations

from tortoise.expressions import Q

from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.personal_data import Kept, Source, Subject, Table
from plugins.rostering.models import Attendance, Certificate, Duty, LeaveRequest, SwapRequest


def _user(query):
    return lambda subject: query(subject.id) if subject.kind == "user" else None


async def _kept(subject: Subject) -> list[Kept]:
    if subject.kind != "user":
        return []
    days = await Attendance.filter(user_id=subject.id).count() + await Duty.filter(user_id=subject.id).count()
    if not days:
        return []
    return [Kept(what=_("%(num)s duties and attendance records", num=days),
                 why=_("Working time records the employer must keep (payroll, labour law): kept, linked to the "
                       "pseudonym."))]


SOURCE = Source("rostering", _l("Rostering"), tables=(
    Table("duties", Duty, _user(lambda id: Q(user_id=id))),
    Table("swaps", SwapRequest, _user(lambda id: Q(requester_id=id) | Q(colleague_id=id))),
    Table("leave", LeaveRequest, _user(lambda id: Q(user_id=id))),
    Table("attendance", Attendance, _user(lambda id: Q(user_id=id))),
    Table("certificates", Certificate, _user(lambda id: Q(user_id=id)), contacts=("number",)),
), kept=_kept)
