"""Where the phone desk keeps a person's data (``register_personal_data``): calls,
insurance applications and the telephone system's calls.

Calls are not linked to a party: a party's are those at its site from one of its phone
numbers (the caller history is exactly that). Erase gives their calls the pseudonym and
removes the phone numbers and plates (the plates are also removed wherever else they are
written); complaints and applications are kept, for the reasons ``_kept`` gives.
"""

from __future__ import annotations

import re

from tortoise.expressions import Q

from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.i18n import ngettext
from core.personal_data import Kept, Source, Subject, Table
from plugins.insurance_calls.models import Application, Call, TelephonyCall


def _numbers(subject: Subject) -> list[str]:
    """The party's numbers as stored and as the desk stores them (digits only)."""
    numbers = set(subject.phones)
    numbers |= {re.sub(r"\D", "", phone) for phone in subject.phones}
    return sorted(number for number in numbers if number)


def _match(party=None, user=None):
    def match(subject: Subject):
        if subject.kind == "party":
            return party(subject) if party is not None and _numbers(subject) else None
        return user(subject) if user is not None else None

    return match


def _calls(subject: Subject) -> Q:
    return Q(site_id=subject.site_id, phone__in=_numbers(subject))


def _applications(subject: Subject) -> Q:
    return Q(site_id=subject.site_id, phone__in=_numbers(subject))


async def _identifiers(subject: Subject) -> list[str]:
    if subject.kind != "party" or not _numbers(subject):
        return []
    plates = set(await Call.filter(_calls(subject)).exclude(plate="").values_list("plate", flat=True))
    plates |= set(await Application.filter(_applications(subject)).exclude(plate="").values_list("plate", flat=True))
    return sorted(plates)


async def _kept(subject: Subject) -> list[Kept]:
    if subject.kind != "party" or not _numbers(subject):
        return []
    kept = []
    complaints = await Call.filter(_calls(subject)).filter(Q(outcome="complaint") | Q(complaint_task_id__not_isnull=True)
                                                        ).count()
    if complaints:
        kept.append(Kept(what=ngettext("%(num)s complaint call", "%(num)s complaint calls", complaints),
                         why=_("Insurance complaints are under legal hold (the regulator may ask for them): kept "
                               "with what was said and decided; the caller's name, number and plate are "
                               "pseudonymised. Policy numbers are kept to answer the insurer.")))
    applications = await Application.filter(_applications(subject)).count()
    if applications:
        kept.append(Kept(what=ngettext("%(num)s insurance application", "%(num)s insurance applications",
                                       applications),
                         why=_("The policy's legal record: the ID number, VIN and policy number stay with the "
                               "insurer's contract; the applicant's name and phone are pseudonymised.")))
    return kept


SOURCE = Source("insurance_calls", _l("Insurance phone desk"), tables=(
    Table("calls", Call, _match(party=_calls, user=lambda s: Q(agent_id=s.id)), names=("caller_name",),
          contacts=("phone", "plate")),
    Table("applications", Application, _match(
        party=_applications, user=lambda s: Q(created_by_id=s.id) | Q(checked_by_id=s.id)),
        names=("applicant_name",), contacts=("phone",)),
    Table("telephony_calls", TelephonyCall, _match(
        party=lambda s: Q(site_id=s.site_id, caller__in=_numbers(s)), user=lambda s: Q(agent_id=s.id)),
        contacts=("caller",)),
), kept=_kept, identifiers=_identifiers)
