"""The cashier's rules: registers, shifts, the append-only ledger, blind close, 長繳短補.

Plain async functions, no HTTP: pages and the API call the same ones with the task kernel
and a ``core.actors.Actor``. Every change commits with its audit entry in one transaction;
its follow-ups (a supervisor's task, the live event) happen here after the commit, so every
way in does the same. Refusals that matter (closing twice, a wrong witness password) leave
an audit entry and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Subquery
from tortoise.functions import Count, Max, Sum
from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import utcnow
from core.entities.models import Site
from core.events import LiveEvent
from core.i18n import N_
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.i18n import register_labels
from core.identity.models import User
from core.identity import sessions
from core.identity.services import permissions_at
from core.money import format_money, parse_money
from core.tasks.models import Handover
from core.problems import Problem, invalid
from core.receipts import services as receipts
from plugins.cashier import message_templates, money, review_tasks
from plugins.cashier.models import (KINDS, METHODS, SIGN, Approval, Deposit, DepositShift, Difference, Entry,
                                    Register, Settlement, Shift)

log = logging.getLogger("frontdesk.cashier")

WITNESS_PERMISSION = "cashier.deposit.witness"
REVIEW_PERMISSION = "cashier.shift.review"
#: Refunds above this (major units) wait for a supervisor unless the site sets
#: ``settings["cashier"]["refund_approval_limit"]``.
DEFAULT_REFUND_LIMIT = "3000"


SHIFT_EVENT = "cashier.shift.changed"
ENTRY_EVENT = "cashier.entry.posted"
DEPOSIT_EVENT = "cashier.deposit.created"

#: A shift's state in words (pages, the report and its export). Own msgids: the catalogues
#: of every plugin merge into one, where "Open" and "Closed" are a task's states.
SHIFT_STATUS_LABELS = register_labels("cashier.shift_status", {
    "open": N_("Shift open"), "pending_review": N_("Waiting for review"), "closed": N_("Shift closed")})

# The facts a shift's handover note carries are stored by key (the API gives the keys);
# the handover page shows them in words (core.tasks' handover items, label "handover.item").
register_labels("handover.item", {
    "shift": _l("Shift"), "float_received": _l("Float received"), "float_counted": _l("Float counted"),
    "float_difference": _l("Float difference"), "float_left": _l("Float left"),
})


def _audit_kwargs(site: Site, who: Actor) -> dict[str, Any]:
    return {"actor": who.user, "site_id": site.id, "client_address": who.client_address}


async def refuse(site: Site, who: Actor, action: str, problem: Problem, object_type: str = "",
                 object_id: Any = "") -> Problem:
    """Audit a refused attempt (outside any transaction) and return the problem to raise."""
    await audit.record(f"cashier.refused.{action}", **_audit_kwargs(site, who), object_type=object_type,
                       object_id=object_id, note=problem.detail[:500])
    return problem


async def publish(kernel, site_id: int, name: str, data: dict) -> None:
    """A live event to those who see the registers, sent after the change committed."""
    try:
        await kernel.bus.publish(LiveEvent(site_id, name, data, permission="cashier.shift.read"))
    except Exception:  # a live refresh is a convenience, never a reason to fail the write
        log.exception("cashier: live event %s not published", name)


async def _shift_changed(kernel, shift: Shift) -> None:
    await publish(kernel, shift.site_id, SHIFT_EVENT, {"id": shift.id, "status": shift.status})


def request_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


# --- Registers -----------------------------------------------------------------------------


async def create_register(site: Site, name: str, who: Actor) -> Register:
    name = name.strip()
    if not name:
        raise invalid("name", _("Give the register a name."))
    try:
        async with in_transaction():
            register = await Register.create(site=site, name=name)
            await audit.record("cashier.register.create", **_audit_kwargs(site, who), object_type="cashier.register",
                               object_id=register.id, after={"name": name})
    except IntegrityError:
        raise Problem(409, _("A register named %(name)s exists already.", name=name),
                      errors=[{"field": "name", "message": _("taken")}]) from None
    return register


# --- Ledger arithmetic ---------------------------------------------------------------------


@dataclass
class Totals:
    """What a shift's ledger adds up to (minor units)."""

    #: {method: {kind: net amount}} of the entries that count
    by_method: dict[str, dict[str, int]] = field(default_factory=dict)
    entries: int = 0
    reversals: int = 0
    pending_refunds: int = 0

    def net(self, method: str) -> int:
        # Float handover differences (HANDOVER_KINDS) move no drawer: they have no sign here.
        return sum(SIGN.get(kind, 0) * amount for kind, amount in self.by_method.get(method, {}).items())

    @property
    def cash_movement(self) -> int:
        return self.net("cash")

    def kind_total(self, kind: str) -> int:
        return sum(kinds.get(kind, 0) for kinds in self.by_method.values())


async def ledger_totals(*shift_ids: int) -> Totals:
    """Sums of the ledger of a shift (or of several together) computed in the database;
    approvals decide the few refunds that wait."""
    totals = Totals()
    rows = await (Entry.filter(shift_id__in=shift_ids, needs_approval=False)
                  .annotate(total=Sum("amount"), n=Count("id"))
                  .group_by("kind", "method", "is_reversal").values("kind", "method", "is_reversal", "total", "n"))

    def add(kind: str, method: str, amount: int, reversal: bool) -> None:
        kinds = totals.by_method.setdefault(method, {})
        kinds[kind] = kinds.get(kind, 0) + (-amount if reversal else amount)

    for row in rows:
        add(row["kind"], row["method"], int(row["total"] or 0), row["is_reversal"])
        totals.entries += row["n"]
        if row["is_reversal"]:
            totals.reversals += row["n"]
    waiting = await Entry.filter(shift_id__in=shift_ids, needs_approval=True).values(
        "id", "kind", "method", "amount", "is_reversal", "reverses_id")
    if waiting:
        originals = [row["reverses_id"] if row["is_reversal"] else row["id"] for row in waiting]
        statuses = dict(await Approval.filter(entry_id__in=originals).values_list("entry_id", "status"))
        reversed_ids = {row["reverses_id"] for row in waiting if row["is_reversal"]}
        for row in waiting:
            totals.entries += 1
            original = row["reverses_id"] if row["is_reversal"] else row["id"]
            status = statuses.get(original, "pending")
            if row["is_reversal"]:
                totals.reversals += 1
            elif status == "pending" and row["id"] not in reversed_ids:
                totals.pending_refunds += 1
            if status == "approved":
                add(row["kind"], row["method"], int(row["amount"]), row["is_reversal"])
    return totals


async def expected_cash(shift: Shift) -> int:
    """Opening float + cash sales − cash refunds + paid in − paid out (entries that count)."""
    return shift.opening_float + (await ledger_totals(shift.id)).cash_movement


# --- Shifts --------------------------------------------------------------------------------


async def previous_shift(register: Register) -> Shift | None:
    return await Shift.filter(register_id=register.id).exclude(status="open").order_by("-id").first()


async def previous_shifts(register_ids: list[int]) -> dict[int, Shift]:
    """``previous_shift`` of each register, in one query for all of them: {register id: shift}."""
    if not register_ids:
        return {}
    latest = (Shift.filter(register_id__in=register_ids).exclude(status="open").group_by("register_id")
              .annotate(last=Max("id")).values("last"))
    return {shift.register_id: shift for shift in await Shift.filter(id__in=Subquery(latest))}


async def _handover(site: Site, author: User, body: str, items: list[dict]) -> Handover:
    return await Handover.create(site_id=site.id, department=author.department or "cashier", body=body,
                                 items=items, author=author)


def _count_items(count: dict[int, int], currency: str) -> list[dict]:
    return [{"label": money.denomination_label(minor, currency), "value": str(pieces)}
            for minor, pieces in sorted(count.items(), reverse=True)]


def _opening(raw: Any, site: Site) -> tuple[int, dict[int, int]]:
    """The float counted at opening: a count by denomination, or an amount where the site
    counts no notes and coins (its count is then empty)."""
    if isinstance(raw, dict):
        count = money.parse_count(raw, site, "opening_count")
        return money.count_total(count), count
    return parse_money(raw, site.currency, "opening_count", allow_zero=True), {}


async def open_shift(kernel, site: Site, register: Register, who: Actor, opening_count: Any) -> Shift:
    """Open a shift with the float counted; a float that differs from the one left becomes
    a supervisor's task. The count is the float received from the previous shift: its
    handover waits for the previous cashier's confirmation (``handovers``)."""
    from plugins.cashier import handovers

    opening_float, count = _opening(opening_count, site)
    if not register.active:
        raise invalid("register_id", _("This register is not in use."))
    previous = await previous_shift(register)
    # The first shift of a register starts from a float issued to it: nothing to compare.
    float_received = (previous.float_left or 0) if previous else opening_float
    difference = opening_float - float_received
    now = utcnow()
    currency = site.currency
    try:
        async with in_transaction():
            shift = await Shift.create(
                site=site, register=register, cashier=who.user, status="open", open_register_id=register.id,
                open_cashier_id=who.user.id, previous=previous, opened_at=now,
                opening_count=money.stored_count(count), opening_float=opening_float, float_received=float_received,
                float_difference=difference, float_flagged=difference != 0)
            await _handover(site, who.user, _(
                "Float received at %(register)s: %(received)s expected, %(counted)s counted.",
                register=register.name, received=format_money(float_received, currency),
                counted=format_money(opening_float, currency)),
                [{"label": "shift", "value": str(shift.id)},
                 {"label": "float_received", "value": format_money(float_received, currency)},
                 {"label": "float_counted", "value": format_money(opening_float, currency)},
                 {"label": "float_difference", "value": format_money(difference, currency)},
                 *_count_items(count, currency)])
            handover = await handovers.start(site, register, previous, shift, opening_float, count, now)
            await audit.record("cashier.shift.open", **_audit_kwargs(site, who), object_type="cashier.shift",
                               object_id=shift.id, after={
                                   "register_id": register.id, "opening_float": opening_float,
                                   "float_received": float_received, "float_difference": difference,
                                   "float_handover_id": handover.id if handover else None})
    except IntegrityError:
        problem = Problem(409, _("There is already an open shift on this register or for this cashier."))
        if await Shift.filter(open_register_id=register.id).exists():
            problem = Problem(409, _("Register %(name)s already has an open shift.", name=register.name))
        elif await Shift.filter(open_cashier_id=who.user.id).exists():
            problem = Problem(409, _("You already have an open shift; close it first."))
        raise await refuse(site, who, "shift.open", problem, "cashier.register", register.id) from None
    if shift.float_flagged:
        await review_tasks.shift_needs_review(kernel, site, shift, register.name, who)
    await shift.refresh_from_db()
    await _shift_changed(kernel, shift)
    return shift


def _check_open(shift: Shift) -> None:
    if shift.status != "open":
        raise Problem(409, _("Shift %(id)s is closed: nothing more can be posted to it.", id=shift.id))


def refund_limit(site: Site) -> int:
    from core.site_settings import value
    from plugins.cashier.site_settings import GROUP

    configured = value(site, GROUP, "refund_approval_limit")
    try:
        return parse_money(str(configured), site.currency, "refund_approval_limit", allow_zero=True)
    except Problem:
        return parse_money(DEFAULT_REFUND_LIMIT, site.currency, "refund_approval_limit")


async def _insert_entry(site: Site, shift: Shift, who: Actor, key: str | None, digest: str, *,
                        refund_of: Entry | None = None, then: Any = None, **fields: Any) -> tuple[Entry, bool]:
    """Insert one ledger line under the shift's row lock; (entry, created).

    The Idempotency-Key is a unique column per shift: a repeat loses the insert and gets
    the first entry back (or 409 when it carried another request under the same key).
    ``refund_of``: the sale a refund returns, checked under its shift's row lock against
    what remains of it. ``then(entry)`` runs in the same transaction (an itemised sale's
    receipt), so both commit or neither.
    """
    try:
        async with in_transaction():
            if refund_of is not None and refund_of.shift_id < shift.id:
                # Shift row locks in id order: two refunds crossing between two shifts never deadlock.
                await Shift.filter(id=refund_of.shift_id).update(entry_count=F("entry_count"))
            # The conditional update takes the shift's row lock and re-checks it is open:
            # a close that already took the lock makes this post a 409, never a lost entry.
            if not await Shift.filter(id=shift.id, status="open").update(entry_count=F("entry_count") + 1):
                raise Problem(409, _("Shift %(id)s is closed: nothing more can be posted to it.", id=shift.id))
            if refund_of is not None:
                await _check_refund_remains(site, refund_of, fields["amount"])
            entry = await Entry.create(site_id=site.id, shift_id=shift.id, created_by=who.user, created_at=utcnow(),
                                       idempotency_key=key, request_hash=digest,
                                       refunds_id=refund_of.id if refund_of is not None else None, **fields)
            if then is not None:
                await then(entry)
            if entry.needs_approval and not entry.is_reversal:
                await Approval.create(site_id=site.id, entry=entry)
                await message_templates.refund_waiting(site, entry, who, REVIEW_PERMISSION)  # the approvers' bell
            await audit.record("cashier.entry.reverse" if entry.is_reversal else "cashier.entry.post",
                               **_audit_kwargs(site, who), object_type="cashier.entry", object_id=entry.id,
                               after={"shift_id": shift.id, "kind": entry.kind, "method": entry.method,
                                      "amount": entry.amount, "reverses_id": entry.reverses_id,
                                      "needs_approval": entry.needs_approval})
        return entry, True
    except IntegrityError:
        existing = await Entry.get_or_none(shift_id=shift.id, idempotency_key=key) if key else None
        if existing is None:
            if fields.get("reverses_id"):
                raise Problem(409, _("Entry %(id)s has been reversed already.", id=fields["reverses_id"])) from None
            raise
        if existing.request_hash != digest:
            raise Problem(409, _("This Idempotency-Key was used for a different entry.")) from None
        return existing, False


async def sale_remaining(sale: Entry) -> int:
    """What is left to refund of ``sale``: its amount less the refunds that count (not
    reversed, not rejected by a supervisor)."""
    refunds = await Entry.filter(refunds_id=sale.id, is_reversal=False).values("id", "amount")
    if not refunds:
        return sale.amount
    ids = [row["id"] for row in refunds]
    reversed_ids = set(await Entry.filter(reverses_id__in=ids).values_list("reverses_id", flat=True))
    rejected = set(await Approval.filter(entry_id__in=ids, status="rejected").values_list("entry_id", flat=True))
    return sale.amount - sum(row["amount"] for row in refunds if row["id"] not in reversed_ids | rejected)


async def _check_refund_remains(site: Site, sale: Entry, amount: int) -> None:
    """Under the sale's shift row lock (taken here; a no-op update), so two refunds of one
    sale are counted one after the other: a refund never exceeds what remains."""
    await Shift.filter(id=sale.shift_id).update(entry_count=F("entry_count"))
    if await Entry.filter(reverses_id=sale.id).exists():
        raise Problem(409, _("Sale %(id)s was reversed; there is nothing to refund.", id=sale.id),
                      errors=[{"field": "sale_id", "message": _("reversed")}])
    remaining = await sale_remaining(sale)
    if amount > remaining:
        raise invalid("amount", _("Only %(amount)s remains to refund of sale %(id)s.",
                                  amount=format_money(remaining, site.currency), id=sale.id))


async def _refunded_sale(site: Site, kind: str, sale_id: int | None, method: str) -> Entry | None:
    """The sale a refund names (``sale_id``): a sale of this site, not itself a reversal; the
    money goes back the way it came (a card sale is not refunded in cash)."""
    if sale_id is None:
        return None
    if kind != "refund":
        raise invalid("sale_id", _("Only a refund names the sale it returns."))
    sale = await Entry.get_or_none(id=sale_id, site_id=site.id, kind="sale", is_reversal=False)
    if sale is None:
        raise invalid("sale_id", _("No sale %(id)s here.", id=sale_id))
    if method != sale.method:
        from core.receipts.printing import method_label

        raise invalid("method", _("Sale %(id)s was paid by %(method)s: refund it the same way.", id=sale.id,
                                  method=method_label(sale.method)))
    return sale


async def _entry_posted(kernel, site: Site, entry: Entry, created: bool, who: Actor) -> None:
    """After a new entry committed: a refund above the limit waits for a supervisor's task."""
    if not created:
        return  # a repeated request: its follow-ups ran the first time
    if entry.needs_approval and not entry.is_reversal:
        await review_tasks.refund_waits(kernel, site, entry, who)
    await publish(kernel, site.id, ENTRY_EVENT, {"id": entry.id, "shift_id": entry.shift_id})


async def post_entry(kernel, site: Site, shift: Shift, who: Actor, *, kind: str, amount: Any, method: str,
                     reference: str = "", note: str = "", key: str | None = None,
                     sale_id: int | None = None) -> tuple[Entry, bool]:
    if kind not in KINDS:
        raise invalid("kind", _("Use one of: %(values)s.", values=", ".join(KINDS)))
    if method not in METHODS:
        raise invalid("method", _("Use one of: %(values)s.", values=", ".join(METHODS)))
    minor = parse_money(amount, site.currency, "amount")
    if shift.cashier_id != who.user.id:
        raise Problem(403, _("Only the shift's cashier posts to it."))
    if shift.status != "open":
        problem = Problem(409, _("Shift %(id)s is closed: nothing more can be posted to it.", id=shift.id))
        raise await refuse(site, who, "entry.post", problem, "cashier.shift", shift.id)
    sale = await _refunded_sale(site, kind, sale_id, method)
    hashed = {"kind": kind, "amount": minor, "method": method, "reference": reference, "note": note}
    digest = request_hash({**hashed, "sale_id": sale_id} if sale_id is not None else hashed)
    needs_approval = kind == "refund" and minor > refund_limit(site)
    entry, created = await _insert_entry(site, shift, who, key, digest, kind=kind, method=method, amount=minor,
                                         reference=reference.strip(), note=note.strip(), needs_approval=needs_approval,
                                         refund_of=sale)
    await _entry_posted(kernel, site, entry, created, who)
    return entry, created


async def reverse_entry(kernel, site: Site, entry: Entry, who: Actor, reason: str,
                        key: str | None = None) -> tuple[Entry, bool]:
    reason = reason.strip()
    if not reason:
        raise invalid("reason", _("Say why the entry is reversed."))
    if entry.is_reversal:
        raise Problem(409, _("A reversal cannot itself be reversed; post a new entry instead."))
    shift = await Shift.get(id=entry.shift_id)
    if shift.cashier_id != who.user.id and REVIEW_PERMISSION not in who.permissions:
        raise Problem(403, _("Only the shift's cashier or a supervisor reverses its entries."))
    if shift.status != "open":
        problem = Problem(409, _("Shift %(id)s is closed: nothing more can be posted to it.", id=shift.id))
        raise await refuse(site, who, "entry.reverse", problem, "cashier.entry", entry.id)
    digest = request_hash({"reverses": entry.id, "reason": reason})

    async def returned_with_it(reversal: Entry) -> None:
        """Under the shift's row lock (a refund of this sale takes it too): a sale partly or
        wholly refunded is not reversed (the money would go back twice); an itemised sale's
        receipt is voided with the reversal, in its transaction."""
        if entry.kind != "sale":
            return
        if await sale_remaining(entry) != entry.amount:
            raise Problem(409, _("Sale %(id)s has refunds: reverse its refunds first.", id=entry.id))
        await receipts.void_for_source(site, who, "cashier.entry", entry.id, reason)

    reversal, created = await _insert_entry(site, shift, who, key, digest, kind=entry.kind, method=entry.method,
                                            amount=entry.amount, reference=entry.reference, note="",
                                            reverses_id=entry.id, is_reversal=True, reason=reason,
                                            needs_approval=entry.needs_approval, then=returned_with_it)
    await _entry_posted(kernel, site, reversal, created, who)
    return reversal, created


async def decide_refund(kernel, site: Site, entry: Entry, who: Actor, approve: bool, note: str,
                        version: int) -> Approval:
    approval = await Approval.get_or_none(entry_id=entry.id)
    if approval is None:
        raise Problem(409, _("This entry does not wait for an approval."))
    shift = await Shift.get(id=entry.shift_id)
    if shift.cashier_id == who.user.id:
        raise Problem(403, _("A refund is approved by a supervisor other than the shift's cashier."))
    if approval.status != "pending":
        raise Problem(409, _("This refund was decided already."), current=approval_out(approval))
    if approval.version != version:
        raise Problem(409, _("Someone changed this approval meanwhile."), current=approval_out(approval))
    if await Entry.filter(reverses_id=entry.id).exists():
        raise Problem(409, _("This refund was reversed; there is nothing to approve."))
    status = "approved" if approve else "rejected"
    async with in_transaction():
        if not await Shift.filter(id=shift.id, status="open").update(entry_count=F("entry_count")):
            raise Problem(409, _("Shift %(id)s is closed: nothing more can be posted to it.", id=shift.id))
        updated = await Approval.filter(id=approval.id, version=version, status="pending").update(
            status=status, note=note.strip()[:500], decided_by_id=who.user.id, decided_at=utcnow(),
            version=version + 1)
        if not updated:
            await approval.refresh_from_db()
            raise Problem(409, _("Someone changed this approval meanwhile."), current=approval_out(approval))
        await audit.record(f"cashier.refund.{status}", **_audit_kwargs(site, who), object_type="cashier.entry",
                           object_id=entry.id, before={"status": "pending"}, after={"status": status}, note=note[:500])
    await approval.refresh_from_db()
    await review_tasks.refund_decided(kernel, approval, who)
    return approval


def approval_out(approval: Approval) -> dict[str, Any]:
    from core.clock import rfc3339

    return {"entry_id": approval.entry_id, "status": approval.status, "note": approval.note,
            "decided_by_id": approval.decided_by_id, "decided_at": rfc3339(approval.decided_at),
            "version": approval.version}


def _float_left(raw: Any, site: Site) -> tuple[int, dict[int, int] | None]:
    if isinstance(raw, dict):
        count = money.parse_count(raw, site, "float_left")
        return money.count_total(count), count
    return parse_money(raw, site.currency, "float_left", allow_zero=True), None


async def close_shift(kernel, site: Site, shift: Shift, who: Actor, counted: Any, float_left: Any,
                      version: int) -> Shift:
    """The blind close: the counts come in first; expected, difference and takings follow."""
    count = money.parse_count(counted, site, "counted")
    counted_cash = money.count_total(count)
    left, left_count = _float_left(float_left, site)
    if left > counted_cash:
        raise invalid("float_left", _("The float left cannot be more than the cash counted."))
    if left_count is not None and any(pieces > count.get(minor, 0) for minor, pieces in left_count.items()):
        raise invalid("float_left", _("The float left has more of a note or coin than was counted."))
    if shift.cashier_id != who.user.id:
        raise Problem(403, _("Only the shift's cashier closes it."))
    if shift.status != "open":
        raise await refuse(site, who, "shift.close", Problem(409, _("Shift %(id)s is closed already.", id=shift.id),
                                                            current=shift_out(shift, site, show_revenue=True)),
                           "cashier.shift", shift.id)
    if version != shift.version:
        raise Problem(409, _("The shift changed meanwhile; reload it."), current=shift_out(shift, site, show_revenue=False))
    now = utcnow()
    register = await Register.get(id=shift.register_id)
    currency = site.currency
    async with in_transaction():
        # Take the shift's row lock first: posts in flight finish before the sums are read,
        # later ones find the shift closed. A racing close finds the version moved: 409.
        if not await Shift.filter(id=shift.id, status="open", version=version).update(version=version + 1):
            await shift.refresh_from_db()
            raise Problem(409, _("Shift %(id)s is closed already.", id=shift.id),
                          current=shift_out(shift, site, show_revenue=False))
        totals = await ledger_totals(shift.id)
        if totals.pending_refunds:
            raise Problem(409, _("%(count)s refund(s) still wait for a supervisor's approval; have them decided "
                                 "or reversed before closing.", count=totals.pending_refunds))
        expected = shift.opening_float + totals.cash_movement
        difference = counted_cash - expected
        overage, shortage = max(difference, 0), max(-difference, 0)
        needs_review = difference != 0 or shift.float_flagged
        status = "pending_review" if needs_review else "closed"
        await Shift.filter(id=shift.id).update(
            status=status, open_register_id=None, open_cashier_id=None, closed_at=now,
            counted=money.stored_count(count), counted_cash=counted_cash, float_left=left,
            float_left_count=money.stored_count(left_count) if left_count is not None else None,
            expected_cash=expected, difference=difference, overage=overage, shortage=shortage,
            takings=counted_cash - left, version=version + 1)
        if overage:
            await Difference.create(site_id=site.id, shift_id=shift.id, cashier_id=shift.cashier_id, kind="overage",
                                    amount=overage, created_at=now)
        if shortage:
            await Difference.create(site_id=site.id, shift_id=shift.id, cashier_id=shift.cashier_id, kind="shortage",
                                    amount=shortage, created_at=now)
        await _handover(site, who.user, _("Float left at %(register)s: %(amount)s.", register=register.name,
                                          amount=format_money(left, currency)),
                        [{"label": "shift", "value": str(shift.id)},
                         {"label": "float_left", "value": format_money(left, currency)},
                         *_count_items(left_count or {}, currency)])
        await audit.record("cashier.shift.close", **_audit_kwargs(site, who), object_type="cashier.shift",
                           object_id=shift.id, before={"status": "open"}, after={
                               "status": status, "expected_cash": expected, "counted_cash": counted_cash,
                               "difference": difference, "float_left": left, "takings": counted_cash - left})
    await shift.refresh_from_db()
    if shift.status == "pending_review":
        await review_tasks.shift_needs_review(kernel, site, shift, register.name, who)
        await shift.refresh_from_db()
    await _shift_changed(kernel, shift)
    return shift


async def review_shift(kernel, site: Site, shift: Shift, who: Actor, note: str, version: int) -> Shift:
    note = note.strip()
    if shift.cashier_id == who.user.id:
        raise await refuse(site, who, "shift.review", Problem(
            403, _("A shift's difference is reviewed by a supervisor other than its cashier.")),
            "cashier.shift", shift.id)
    if shift.status != "pending_review":
        raise Problem(409, _("Shift %(id)s does not wait for a review.", id=shift.id),
                      current=shift_out(shift, site, show_revenue=True))
    if not note:
        raise invalid("note", _("Write what was found and decided."))
    if version != shift.version:
        raise Problem(409, _("The shift changed meanwhile; reload it."), current=shift_out(shift, site, show_revenue=True))
    async with in_transaction():
        updated = await Shift.filter(id=shift.id, status="pending_review", version=version).update(
            status="closed", reviewed_at=utcnow(), reviewed_by_id=who.user.id, review_note=note[:2000],
            version=version + 1)
        if not updated:
            await shift.refresh_from_db()
            raise Problem(409, _("The shift changed meanwhile; reload it."),
                          current=shift_out(shift, site, show_revenue=True))
        await audit.record("cashier.shift.review", **_audit_kwargs(site, who), object_type="cashier.shift",
                           object_id=shift.id, before={"status": "pending_review"}, after={"status": "closed"},
                           note=note[:500])
    await shift.refresh_from_db()
    await review_tasks.shift_reviewed(kernel, shift, who)
    await _shift_changed(kernel, shift)
    return shift


async def settle_shortage(site: Site, difference: Difference, who: Actor, amount: Any, method: str,
                          note: str = "") -> Settlement:
    """The cashier pays back (part of) a shortage: its own record, never netted with an overage."""
    minor = parse_money(amount, site.currency, "amount")
    if method not in METHODS:
        raise invalid("method", _("Use one of: %(values)s.", values=", ".join(METHODS)))
    if difference.kind != "shortage":
        raise Problem(409, _("Only a shortage is settled; an overage is handed in."))
    if difference.cashier_id == who.user.id:
        raise Problem(403, _("A supervisor receives the payment, not the cashier who owes it."))
    async with in_transaction():
        updated = await Difference.filter(id=difference.id, settled__lte=difference.amount - minor).update(
            settled=F("settled") + minor, version=F("version") + 1)
        if not updated:
            await difference.refresh_from_db()
            raise invalid("amount", _("Only %(amount)s is still owed.", amount=format_money(
                difference.amount - difference.settled, site.currency)))
        settlement = await Settlement.create(site_id=site.id, difference_id=difference.id, amount=minor, method=method,
                                             note=note.strip()[:500], received_by=who.user, created_at=utcnow())
        await audit.record("cashier.shortage.settle", **_audit_kwargs(site, who), object_type="cashier.difference",
                           object_id=difference.id, after={"amount": minor, "method": method})
    await difference.refresh_from_db()
    return settlement


# --- Deposits ------------------------------------------------------------------------------


async def _witness_signs(site: Site, who: Actor, witness_username: str, witness_password: str,
                         throttle: sessions.Limits, not_ids: set[int]) -> User | None:
    """The witness when the password is theirs, they are none of ``not_ids`` (the depositor
    and the shifts' cashiers) and they may witness here, else None.

    Through the sign-in throttle (the same counts: guessing here is guessing at a sign-in),
    and one answer for every failure, so the check tells nobody which usernames exist, whose
    password was right, or who may witness. The same-person check runs on the verified user,
    so no other spelling of a name ("CASHIER") gets past it."""
    try:
        attempt = await sessions.attempt_password(throttle, witness_username, witness_password, who.client_address)
    except Problem:
        return None
    witness = attempt.user
    if not attempt.valid or witness is None or not witness.is_active:
        return None
    await attempt.release()
    if witness.id in not_ids:
        return None
    if WITNESS_PERMISSION not in await permissions_at(witness, site.id):
        return None
    return witness


async def create_deposit(kernel, site: Site, who: Actor, *, shift_ids: list[int], bag_number: str, count: Any,
                         witness_username: str, witness_password: str, throttle: sessions.Limits) -> Deposit:
    bag_number = bag_number.strip()
    if not bag_number:
        raise invalid("bag_number", _("Enter the bag's number."))
    if not shift_ids:
        raise invalid("shift_ids", _("Choose at least one closed shift."))
    parsed = money.parse_count(count, site, "count")
    amount = money.count_total(parsed)
    shifts = await Shift.filter(site_id=site.id, id__in=list(set(shift_ids)))
    if len(shifts) != len(set(shift_ids)):
        raise invalid("shift_ids", _("Some of these shifts do not exist here."))
    if any(shift.status == "open" for shift in shifts):
        raise Problem(409, _("Only closed shifts' takings are deposited."))
    if await DepositShift.filter(shift_id__in=[shift.id for shift in shifts]).exists():
        raise Problem(409, _("Some of these shifts' takings are in a deposit already."))
    witness_label = witness_username.strip()[:64]

    async def witness_refused(message: str, status: int = 422, field_name: str = "witness_username") -> Problem:
        return await refuse(site, who, "deposit.witness", Problem(
            status, message, errors=[{"field": field_name, "message": message}]), "user", witness_label)

    witness = await _witness_signs(site, who, witness_username, witness_password, throttle,
                                   {who.user.id, *(shift.cashier_id for shift in shifts)})
    if witness is None:
        raise await witness_refused(_("This witness cannot sign: check the username and password, or ask "
                                      "another supervisor."))
    takings = sum(shift.takings or 0 for shift in shifts)
    if amount != takings:
        raise await refuse(site, who, "deposit.amount", Problem(
            409, _("The bag holds %(counted)s but the shifts' takings are %(takings)s.",
                   counted=format_money(amount, site.currency), takings=format_money(takings, site.currency)),
            counted=format_money(amount, site.currency), takings=format_money(takings, site.currency)))
    now = utcnow()
    try:
        async with in_transaction():
            deposit = await Deposit.create(site_id=site.id, bag_number=bag_number, count=money.stored_count(parsed),
                                           amount=amount, created_by=who.user, witness=witness, created_at=now,
                                           witnessed_at=now)
            for shift in shifts:
                await DepositShift.create(deposit=deposit, shift_id=shift.id, takings=shift.takings or 0)
            await audit.record("cashier.deposit.create", **_audit_kwargs(site, who), object_type="cashier.deposit",
                               object_id=deposit.id, after={"bag_number": bag_number, "amount": amount,
                                                            "shift_ids": sorted(s.id for s in shifts),
                                                            "witness": witness.username})
    except IntegrityError:
        if await Deposit.filter(site_id=site.id, bag_number=bag_number).exists():
            raise Problem(409, _("Bag %(number)s has been used already.", number=bag_number),
                          errors=[{"field": "bag_number", "message": _("taken")}]) from None
        raise Problem(409, _("Some of these shifts' takings are in a deposit already.")) from None
    await publish(kernel, site.id, DEPOSIT_EVENT, {"id": deposit.id})
    return deposit


# --- Output --------------------------------------------------------------------------------


def shift_out(shift: Shift, site: Site, *, show_revenue: bool) -> dict[str, Any]:
    """A shift as the API shows it. ``expected_cash`` is never shown while it is open to its
    cashier (blind count): callers pass ``show_revenue`` False for them."""
    from core.clock import rfc3339

    fmt = lambda value: format_money(value, site.currency)  # noqa: E731
    data: dict[str, Any] = {
        "id": shift.id, "register_id": shift.register_id, "cashier_id": shift.cashier_id, "status": shift.status,
        "opened_at": rfc3339(shift.opened_at), "closed_at": rfc3339(shift.closed_at),
        "opening_count": money.count_out(shift.opening_count, site.currency),
        "opening_float": fmt(shift.opening_float), "float_received": fmt(shift.float_received),
        "float_difference": fmt(shift.float_difference), "float_flagged": shift.float_flagged,
        "entry_count": shift.entry_count, "version": shift.version,
        "reviewed_by_id": shift.reviewed_by_id, "reviewed_at": rfc3339(shift.reviewed_at),
        "review_note": shift.review_note,
    }
    if shift.status != "open" and show_revenue:
        data.update({
            "counted": money.count_out(shift.counted, site.currency), "counted_cash": fmt(shift.counted_cash),
            "float_left": fmt(shift.float_left), "expected_cash": fmt(shift.expected_cash),
            "difference": fmt(shift.difference), "overage": fmt(shift.overage), "shortage": fmt(shift.shortage),
            "takings": fmt(shift.takings),
        })
    elif shift.status != "open":
        data["float_left"] = fmt(shift.float_left)
    return data


#: The columns ``entry_out`` reads: the ledger list and the shift report fetch exactly these
#: as plain rows (``core.rows``).
ENTRY_COLUMNS = ("id", "shift_id", "kind", "method", "amount", "reference", "note", "reverses_id", "reason",
                 "is_reversal", "needs_approval", "created_by_id", "created_at", "refunds_id")


def entry_out(entry: Entry | dict[str, Any], site: Site, approval_status: str | None = None) -> dict[str, Any]:
    """A ledger entry as the API shows it, from the model or from a plain row of ``ENTRY_COLUMNS``."""
    from core.clock import rfc3339

    row = entry if isinstance(entry, dict) else {name: getattr(entry, name) for name in ENTRY_COLUMNS}
    return {
        "id": row["id"], "shift_id": row["shift_id"], "kind": row["kind"], "method": row["method"],
        "amount": format_money(row["amount"], site.currency), "reference": row["reference"], "note": row["note"],
        "reverses_id": row["reverses_id"], "reason": row["reason"], "is_reversal": row["is_reversal"],
        "needs_approval": row["needs_approval"], "approval_status": approval_status,
        "created_by_id": row["created_by_id"], "created_at": rfc3339(row["created_at"]),
        "sale_id": row["refunds_id"],
    }
