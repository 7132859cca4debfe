"""Where the cashier desk keeps a person's data (``register_personal_data``).

Customers are not linked to the ledger: a payer's name in an entry's note or reference is
free text, which the sweep replaces with the pseudonym (the amounts never change). For a
cashier (a user): their shifts, ledger entries, deposits, differences and settlements,
all money records kept whole and linked to the pseudonym; an open shift or a difference
not settled yet is reported as open.
"""

from __future__ import annotations

from tortoise.expressions import Q

from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.i18n import ngettext
from core.personal_data import Kept, Source, Subject, Table
from plugins.cashier.models import Approval, Deposit, Difference, Entry, FloatHandover, Settlement, Shift


def _user(query):
    return lambda subject: query(subject.id) if subject.kind == "user" else None


async def _kept(subject: Subject) -> list[Kept]:
    if subject.kind != "user":
        return []
    kept = []
    shifts = await Shift.filter(cashier_id=subject.id).count()
    entries = await Entry.filter(created_by_id=subject.id).count()
    if shifts or entries:
        kept.append(Kept(what=_("%(shifts)s shifts and %(entries)s ledger entries", shifts=shifts, entries=entries),
                         why=_("The cash ledger is a money record the accounts must keep: kept whole, linked to "
                               "the pseudonym.")))
    open_shifts = await Shift.filter(cashier_id=subject.id, status="open").count()
    if open_shifts:
        kept.append(Kept(what=ngettext("%(num)s open shift", "%(num)s open shifts", open_shifts),
                         why=_("An open money record: the shift must still be counted and closed."), open=True))
    owed = [row for row in await Difference.filter(cashier_id=subject.id).values("amount", "settled")
            if row["amount"] > row["settled"]]
    if owed:
        kept.append(Kept(what=ngettext("%(num)s cash difference not settled", "%(num)s cash differences not settled",
                                       len(owed)),
                         why=_("An open money record: a shortage owed or an overage to hand in."), open=True))
    return kept


SOURCE = Source("cashier", _l("Cashier"), tables=(
    Table("shifts", Shift, _user(lambda id: Q(cashier_id=id) | Q(reviewed_by_id=id))),
    Table("entries", Entry, _user(lambda id: Q(created_by_id=id))),
    Table("approvals", Approval, _user(lambda id: Q(decided_by_id=id))),
    Table("differences", Difference, _user(lambda id: Q(cashier_id=id))),
    Table("settlements", Settlement, _user(lambda id: Q(received_by_id=id))),
    Table("deposits", Deposit, _user(lambda id: Q(created_by_id=id) | Q(witness_id=id))),
    Table("float_handovers", FloatHandover, _user(lambda id: Q(from_cashier_id=id) | Q(to_cashier_id=id))),
), kept=_kept)
