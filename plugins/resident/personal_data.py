"""Where the resident desk keeps a person's data (``register_personal_data``): their
household memberships, cases, revisits, procedures, and the fees of their units.

A party is found by its key (``party_id`` on members and cases); procedures name their
applicant in text, so a party's procedures are those at its site that name it. Bills and
payments belong to the unit, not the person: export lists them, erase keeps them (money
records), and an unpaid bill or an unrefunded deposit is reported as open.
"""

from __future__ import annotations

from tortoise.expressions import Q, Subquery

from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.i18n import ngettext
from core.money import format_money
from core.personal_data import Kept, Source, Subject, Table
from plugins.resident.models import (ArrearsReminder, Bill, Campaign, Case, Household, HouseholdChange, Member,
                                     Payment, Procedure, ProcedureDocument, Revisit, RevisitAttempt)


def _households(party_id: int) -> Subquery:
    return Subquery(Member.filter(party_id=party_id).values("household_id"))


def _units(party_id: int) -> Subquery:
    return Subquery(Household.filter(id__in=_households(party_id)).values("unit_id"))


def _procedures(subject: Subject) -> Q:
    return Q(site_id=subject.site_id, applicant=subject.name)


def _match(party=None, user=None):
    def match(subject: Subject):
        query = party if subject.kind == "party" else user
        return query(subject) if query is not None else None

    return match


async def _kept(subject: Subject) -> list[Kept]:
    if subject.kind != "party":
        return []
    from core.entities.models import Site

    site = await Site.get(id=subject.site_id)
    kept = []
    bills = Bill.filter(unit_id__in=_units(subject.id))
    unpaid = await bills.filter(outstanding_minor__gt=0).order_by("period").values("period", "outstanding_minor")
    if unpaid:
        total = sum(bill["outstanding_minor"] for bill in unpaid)
        kept.append(Kept(
            what=ngettext("%(num)s unpaid bill of their unit (%(periods)s), %(total)s outstanding",
                          "%(num)s unpaid bills of their unit (%(periods)s), %(total)s outstanding", len(unpaid),
                          periods=", ".join(bill["period"] for bill in unpaid),
                          total=format_money(total, site.currency)),
            why=_("An open money record: the unit's account stays until it is paid; it belongs to the unit, "
                  "not the person."), open=True))
    paid = await bills.filter(outstanding_minor=0).count()
    payments = await Payment.filter(bill__unit_id__in=_units(subject.id)).count()
    if paid or payments:
        kept.append(Kept(what=_("%(bills)s settled bills and %(payments)s payments of their unit",
                                bills=paid, payments=payments),
                         why=_("Fees and payments are money records the accounts must keep: kept whole.")))
    deposits = [row for row in await Procedure.filter(_procedures(subject)).values("id", "deposit_minor",
                                                                                     "deposit_refunded_minor")
                if row["deposit_minor"] > row["deposit_refunded_minor"]]
    if deposits:
        kept.append(Kept(
            what=ngettext("%(num)s deposit not refunded yet", "%(num)s deposits not refunded yet", len(deposits)),
            why=_("An open money record: the deposit is owed back; the procedure is kept under the pseudonym "
                  "until it is refunded."), open=True))
    documents = await ProcedureDocument.filter(procedure__site_id=subject.site_id,
                                               procedure__applicant=subject.name).count()
    if documents:
        kept.append(Kept(what=ngettext("%(num)s document filed with their procedures",
                                       "%(num)s documents filed with their procedures", documents),
                         why=_("Filed documents are kept as filed (the files are not rewritten); their "
                               "procedures name the pseudonym.")))
    return kept


SOURCE = Source("resident", _l("Resident service"), tables=(
    Table("households", Household, _match(party=lambda s: Q(id__in=_households(s.id)))),
    Table("members", Member, _match(party=lambda s: Q(party_id=s.id)), names=("name",), contacts=("phone",)),
    Table("household_changes", HouseholdChange, _match(party=lambda s: Q(household_id__in=_households(s.id)))),
    Table("cases", Case, _match(party=lambda s: Q(party_id=s.id))),
    Table("revisits", Revisit, _match(
        party=lambda s: Q(case__party_id=s.id) | Q(campaign_id__not_isnull=True, unit_id__in=_units(s.id)),
        user=lambda s: Q(agent_id=s.id))),
    Table("revisit_attempts", RevisitAttempt, _match(party=lambda s: Q(revisit__case__party_id=s.id),
                                                     user=lambda s: Q(by_id=s.id))),
    Table("campaigns", Campaign, _match(user=lambda s: Q(created_by_id=s.id))),
    Table("procedures", Procedure, _match(party=_procedures, user=lambda s: Q(approved_by_id=s.id)),
          names=("applicant",)),
    Table("procedure_documents", ProcedureDocument, _match(
        party=lambda s: Q(procedure__site_id=s.site_id, procedure__applicant=s.name),
        user=lambda s: Q(uploaded_by_id=s.id))),
    Table("bills", Bill, _match(party=lambda s: Q(unit_id__in=_units(s.id)))),
    Table("payments", Payment, _match(party=lambda s: Q(bill__unit_id__in=_units(s.id)),
                                      user=lambda s: Q(received_by_id=s.id))),
    Table("arrears_reminders", ArrearsReminder, _match(party=lambda s: Q(bill__unit_id__in=_units(s.id)),
                                                       user=lambda s: Q(by_id=s.id))),
), kept=_kept)
