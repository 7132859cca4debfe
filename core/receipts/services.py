"""Numbered receipts: issue (inside the caller's transaction), reprint, void, show.

Plugins call ``issue`` inside the transaction that records the money (a cashier's sale,
a property-fee payment): the series counter is bumped under its row lock in that same
transaction (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` locks the counter row on
PostgreSQL until the commit; SQLite holds its one write transaction), so numbers are
given in commit order without gaps, and a sale that fails rolls its number back with it.
The receipt's unique (site, series, number) refuses a number given twice with 409.
A receipt is issued with ``print_count`` 0: its first render (the page or the PDF) is the
original (``print_count`` 1, audited ``receipt.print``); every later render, and every
reprint, adds one and is marked COPY (audited ``receipt.reprint``). A void keeps the receipt
and its number, marked VOID with the reason. Everything is audited.

The plugin that owns a series declares its rules (``register_receipt_series``, a
``ReceiptSeries``): who may read its receipts, and whether a receipt may be voided.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.functions import Count, Max
from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import rfc3339, utcnow
from core.entities.models import Site
from core.i18n import gettext as _
from core.money import format_money
from core.problems import Problem, invalid
from core.receipts.models import Receipt, ReceiptCounter

SERIES = re.compile(r"^[a-z][a-z0-9_-]*(:[A-Za-z0-9_-]+)?$")
#: The series of property-fee payments (a cash register's is ``register:<id>``).
FEES_SERIES = "fees"


def register_series(register_id: int) -> str:
    return f"register:{register_id}"


HOOK = "register_receipt_series"


@dataclass(frozen=True)
class ReceiptSeries:
    """A plugin's rules for the series it issues (``register_receipt_series``).

    ``series``: a series (``fees``) or, ending with ``:``, a family of them (``register:``).
    ``private_without``: a permission; a caller without it reads (lists, shows, prints,
    voids) only the receipts of these series they issued themselves, the others are 404.
    ``void_guard``: ``async (receipt) -> Problem | None``; a Problem refuses the void (e.g.
    the money must be returned first, which voids the receipt itself).
    """

    series: str
    private_without: str = ""
    void_guard: Callable[[Receipt], Awaitable[Problem | None]] | None = None

    def owns(self, series: str) -> bool:
        return series.startswith(self.series) if self.series.endswith(":") else series == self.series

    def condition(self) -> Q:
        return Q(series__startswith=self.series) if self.series.endswith(":") else Q(series=self.series)


def declared_series(host) -> list[ReceiptSeries]:
    """What the loaded plugins declare about their series, in load order."""
    return list(host.collect(HOOK)) if host is not None else []


def visible(host, who: Actor, receipts):
    """``receipts`` (a query) narrowed to what ``who`` may read: of a private series, only
    the receipts they issued."""
    for rule in declared_series(host):
        if rule.private_without and rule.private_without not in who.permissions:
            receipts = receipts.filter(~rule.condition() | Q(issued_by_id=who.user.id))
    return receipts


def shown_series_label(series: str, label: str) -> str:
    """A series without ``:<id>`` (``fees``) stores an English msgid as its label, translated
    when shown; a ``name:<id>`` series stores a name (a register's), shown as written."""
    return label if not label or ":" in series else _(label)


@dataclass(frozen=True)
class Line:
    """One line of a receipt, amounts in minor units."""

    code: str
    name: str
    quantity: int
    unit_price: int
    taxable: bool = False

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_price

    def stored(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "quantity": self.quantity, "unit_price": self.unit_price,
                "taxable": self.taxable, "amount": self.amount}


def _audit_kwargs(site: Site, who: Actor) -> dict[str, Any]:
    return {"actor": who.user, "site_id": site.id, "client_address": who.client_address}


async def _next_number(connection, site_id: int, series: str) -> int:
    """The next number of the series, counted in the caller's transaction under the counter
    row's lock (held until it commits or rolls back)."""
    mark = ("$1", "$2") if connection.capabilities.dialect == "postgres" else ("?", "?")
    sql = ('INSERT INTO "core_receipt_counter" ("site_id", "series", "last_number") '  # noqa: S608 — no input in the SQL
           f'VALUES ({mark[0]}, {mark[1]}, 1) ON CONFLICT ("site_id", "series") DO UPDATE '
           'SET "last_number" = "core_receipt_counter"."last_number" + 1 RETURNING "last_number"')
    rows = await connection.execute_query_dict(sql, [site_id, series])
    return int(rows[0]["last_number"])


async def issue(site: Site, who: Actor, *, series: str, lines: list[Line], method: str, series_label: str = "",
                tendered: int | None = None, source_type: str = "", source_id: int | None = None) -> Receipt:
    """Issue the next receipt of ``series``; call it inside the transaction that records
    the money, so both commit or neither. ``tendered`` (cash) gives the change."""
    if not SERIES.match(series) or len(series) > 60:
        raise invalid("series", _("A receipt series is a short code such as fees or register:3."))
    if not lines:
        raise invalid("lines", _("A receipt needs at least one line."))
    total = sum(line.amount for line in lines)
    change = None
    if tendered is not None:
        if tendered < total:
            raise invalid("tendered", _("The amount tendered (%(tendered)s) is less than the total (%(total)s).",
                                        tendered=format_money(tendered, site.currency),
                                        total=format_money(total, site.currency)))
        change = tendered - total
    async with in_transaction() as connection:
        number = await _next_number(connection, site.id, series)
        receipt = await create_numbered(site, who, series=series, number=number, series_label=series_label,
                                        lines=lines, total=total, tendered=tendered, change=change, method=method,
                                        source_type=source_type, source_id=source_id)
    return receipt


async def create_numbered(site: Site, who: Actor, *, series: str, number: int, lines: list[Line], total: int,
                          method: str, series_label: str = "", tendered: int | None = None,
                          change: int | None = None, source_type: str = "", source_id: int | None = None) -> Receipt:
    """Write receipt ``number`` of ``series`` (in the caller's transaction); a number the
    series gave already is refused with 409 and nothing is written."""
    try:
        receipt = await Receipt.create(
            site_id=site.id, series=series, number=number, series_label=series_label[:100], issued_at=utcnow(),
            issued_by=who.user, currency=site.currency, lines=[line.stored() for line in lines], total=total,
            tendered=tendered, change=change, method=method, source_type=source_type, source_id=source_id,
            print_count=0)
    except IntegrityError:
        raise Problem(409, _("Receipt number %(number)s of series %(series)s has been issued already.",
                             number=number, series=series),
                      errors=[{"field": "number", "message": _("taken")}]) from None
    await audit.record("receipt.issue", **_audit_kwargs(site, who), object_type="core.receipt", object_id=receipt.id,
                       after={"series": series, "number": number, "total": total, "method": method,
                              "source_type": source_type, "source_id": source_id})
    return receipt


async def rendered(site: Site, receipt: Receipt, who: Actor) -> Receipt:
    """Count a render (the page or the PDF): the first is the original print, every later one
    a reprint marked COPY. The conditional update decides, so two first renders at once give
    one original and one COPY."""
    async with in_transaction():
        if await Receipt.filter(id=receipt.id, site_id=site.id, print_count=0).update(print_count=1):
            await audit.record("receipt.print", **_audit_kwargs(site, who), object_type="core.receipt",
                               object_id=receipt.id, before={"print_count": 0}, after={"print_count": 1})
            await receipt.refresh_from_db()
            return receipt
    return await reprint(site, receipt, who)


async def reprint(site: Site, receipt: Receipt, who: Actor) -> Receipt:
    """Print it again: counted, audited, and marked COPY wherever it is shown from now on."""
    async with in_transaction():
        # A copy is never the original: a receipt not printed yet counts as printed once.
        await Receipt.filter(id=receipt.id, site_id=site.id, print_count=0).update(print_count=1)
        await Receipt.filter(id=receipt.id, site_id=site.id).update(print_count=F("print_count") + 1)
        await receipt.refresh_from_db()
        await audit.record("receipt.reprint", **_audit_kwargs(site, who), object_type="core.receipt",
                           object_id=receipt.id, before={"print_count": receipt.print_count - 1},
                           after={"print_count": receipt.print_count})
    return receipt


async def void(site: Site, receipt: Receipt, who: Actor, reason: str, version: int, host=None) -> Receipt:
    """Mark the receipt VOID with the reason; it stays, and so does its number. The series'
    ``void_guard`` (its owner's rule, from ``host``) may refuse it."""
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", _("Say why the receipt is voided."))
    if receipt.status == "void":
        raise Problem(409, _("Receipt %(number)s is void already.", number=display_number(receipt)),
                      current=receipt_out(receipt))
    for rule in declared_series(host):
        if rule.owns(receipt.series) and rule.void_guard is not None:
            problem = await rule.void_guard(receipt)
            if problem is not None:
                raise problem
    if version != receipt.version:
        raise Problem(409, _("The receipt changed meanwhile; reload it."), current=receipt_out(receipt))
    async with in_transaction():
        updated = await Receipt.filter(id=receipt.id, site_id=site.id, status="issued", version=version).update(
            status="void", void_reason=reason[:500], voided_at=utcnow(), voided_by_id=who.user.id,
            version=version + 1)
        if not updated:
            await receipt.refresh_from_db()
            raise Problem(409, _("The receipt changed meanwhile; reload it."), current=receipt_out(receipt))
        await audit.record("receipt.void", **_audit_kwargs(site, who), object_type="core.receipt",
                           object_id=receipt.id, before={"status": "issued"}, after={"status": "void"},
                           note=reason[:500])
    await receipt.refresh_from_db()
    return receipt


async def void_for_source(site: Site, who: Actor, source_type: str, source_id: int, reason: str) -> None:
    """Void the receipts issued for ``source_type``/``source_id`` (in the caller's transaction:
    the money's reversal and the void commit together). For the series' owner only: no guard."""
    for receipt in await Receipt.filter(site_id=site.id, source_type=source_type, source_id=source_id,
                                        status="issued"):
        await Receipt.filter(id=receipt.id, status="issued").update(
            status="void", void_reason=reason[:500], voided_at=utcnow(), voided_by_id=who.user.id,
            version=receipt.version + 1)
        await audit.record("receipt.void", **_audit_kwargs(site, who), object_type="core.receipt",
                           object_id=receipt.id, before={"status": "issued"}, after={"status": "void"},
                           note=reason[:500])


def display_number(receipt: Receipt) -> str:
    """The number as printed: six digits, zero-padded."""
    return f"{receipt.number:06d}"


def receipt_out(receipt: Receipt) -> dict[str, Any]:
    """A receipt as the API shows it (money as strings in the receipt's currency)."""
    fmt = lambda value: format_money(value, receipt.currency)  # noqa: E731
    return {
        "id": receipt.id, "series": receipt.series, "series_label": shown_series_label(receipt.series,
                                                                                       receipt.series_label),
        "number": receipt.number,
        "number_text": display_number(receipt), "issued_at": rfc3339(receipt.issued_at),
        "issued_by_id": receipt.issued_by_id, "currency": receipt.currency,
        "lines": [{"code": line["code"], "name": line["name"], "quantity": line["quantity"],
                   "unit_price": fmt(line["unit_price"]), "taxable": line["taxable"], "amount": fmt(line["amount"])}
                  for line in receipt.lines],
        "total": fmt(receipt.total), "tendered": fmt(receipt.tendered), "change": fmt(receipt.change),
        "method": receipt.method, "source_type": receipt.source_type, "source_id": receipt.source_id,
        "status": receipt.status, "void_reason": receipt.void_reason, "voided_at": rfc3339(receipt.voided_at),
        "voided_by_id": receipt.voided_by_id, "print_count": receipt.print_count, "is_copy": receipt.print_count > 1,
        "version": receipt.version,
    }


async def numbering_problems() -> list[str]:
    """Series whose receipts are not exactly 1..last number of their counter (a gap, a
    receipt deleted by hand, a counter set back or forward): an integrity check."""
    found = {(row["site_id"], row["series"]): (row["n"], row["last"]) for row in await Receipt.all().group_by(
        "site_id", "series").annotate(n=Count("id"), last=Max("number")).values("site_id", "series", "n", "last")}
    problems = []
    for counter in await ReceiptCounter.all().order_by("site_id", "series"):
        count, last = found.pop((counter.site_id, counter.series), (0, 0))
        if count != counter.last_number or (last or 0) != counter.last_number:
            problems.append(f"site {counter.site_id} series {counter.series}: {count} receipts up to number "
                            f"{last or 0}, the counter is at {counter.last_number}")
    problems += [f"site {site_id} series {series}: {count} receipts without a counter"
                 for (site_id, series), (count, _last) in sorted(found.items())]
    return problems
