"""Arrears reminders (催繳): one reminder per unpaid bill and month, a message or a letter.

``remind_arrears`` reads the arrears list (``fees.arrears``' bills: unpaid, past due on
``as_of``) and reminds each bill's household once a month: a message to its party by the
party's preferred channel, or a letter when no message can reach them (no household party,
no phone or e-mail on record) or when letters are asked for. Running it again in the same
month reminds nobody twice: each bill's reminder is a row unique per bill and month
(``ArrearsReminder``), and each message carries the dedupe key
``arrears:<bill id>:<YYYY-MM>``.

Why a log of its own rather than the messages about the bill: a letter is no message (it is
printed), and the month's reminder of a bill must be one whichever way it went; the log
also keeps the amount unpaid when reminded. A message's row in the outbox still tells how
it went (queued, sent, delivered, failed), read through ``message_id``.

Letters are one PDF per run, one page per letter (``letters_pdf``), drawn with reportlab's
built-in CID fonts for Chinese, as receipts are.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import local_today, rfc3339
from core.entities.models import Party, Site, Unit
from core.i18n import LANGUAGES, N_
from core.i18n import gettext as _
from core.messages import services as messages
from core.messages.models import Message
from core.messages.templates import render as render_wording
from core.money import format_money
from core.pdf_text import cjk_font, fits_latin1
from core.problems import invalid
from plugins.resident import messaging
from plugins.resident.message_templates import ARREARS_REMINDER
from plugins.resident.models import ArrearsReminder, Bill, ReminderRun

#: How a run reminds: each party's preferred channel, one channel, or letters for all.
CHANNEL_POLICIES = ("preferred", "sms", "email", "letters")
CHUNK = 200
COUNTS = ("queued", "suppressed", "failed", "letters", "already_sent")


def amount_text(minor: int, currency: str) -> str:
    """An amount as a reminder prints it: ``TWD 2,950``."""
    return f"{currency} {format_money(minor, currency)}"


def run_out(run: ReminderRun, site: Site) -> dict[str, Any]:
    counts = {name: int((run.counts or {}).get(name, 0)) for name in COUNTS}
    return {"id": run.id, "as_of": run.as_of.isoformat(), "month": run.month, "letters_asked": run.letters,
            **counts, "created_at": rfc3339(run.created_at),
            "letters_url": (f"/sites/{site.code}/resident/fees/reminders/{run.id}/letters.pdf"
                            if counts["letters"] else None)}


def _context(site: Site, bill: Bill, unit_code: str) -> dict[str, Any]:
    return {"unit": unit_code, "period": bill.period, "amount": amount_text(bill.outstanding_minor, site.currency),
            "due_date": bill.due_date.isoformat(), "site": site.name, "bill_number": bill.id}


async def remind_arrears(site: Site, as_of: dt.date | None, channel_policy: str = "preferred", *,
                         actor: Actor) -> ReminderRun:
    """Remind every bill in arrears on ``as_of`` (default: the site's today) once in its
    month; returns the run, its ``counts`` saying what happened to each bill."""
    if channel_policy not in CHANNEL_POLICIES:
        raise invalid("channel_policy", _("Use one of: %(values)s.", values=", ".join(CHANNEL_POLICIES)))
    as_of = as_of or local_today(site)
    month = as_of.strftime("%Y-%m")
    channel = channel_policy if channel_policy in messaging.CHANNELS else None
    counts = dict.fromkeys(COUNTS, 0)
    run = await ReminderRun.create(site_id=site.id, as_of=as_of, month=month, letters=channel_policy == "letters",
                                   counts=counts, run_by=actor.user)
    after_id = 0
    while True:
        bills = list(await Bill.filter(site_id=site.id, outstanding_minor__gt=0, due_date__lt=as_of, id__gt=after_id)
                     .order_by("id").limit(CHUNK))
        if not bills:
            break
        after_id = bills[-1].id
        reminded = set(await ArrearsReminder.filter(month=month, bill_id__in=[b.id for b in bills])
                       .values_list("bill_id", flat=True))
        parties = await messaging.parties_of_units(b.unit_id for b in bills)
        codes = dict(await Unit.filter(id__in=list({b.unit_id for b in bills})).values_list("id", "code"))
        async with in_transaction():  # a chunk's messages and their log rows together
            for bill in bills:
                if bill.id in reminded:
                    counts["already_sent"] += 1
                    continue
                outcome = await _remind(site, run, bill, parties.get(bill.unit_id), codes.get(bill.unit_id, ""),
                                        month, channel, channel_policy == "letters", actor)
                counts[outcome] += 1
    async with in_transaction():
        await ReminderRun.filter(id=run.id).update(counts=counts)
        run.counts = counts
        await audit.record("resident.arrears.remind", actor=actor.user, site_id=site.id,
                           object_type="resident.reminder_run", object_id=run.id,
                           after={"as_of": as_of.isoformat(), "policy": channel_policy, **counts},
                           client_address=actor.client_address)
    return run


async def _remind(site: Site, run: ReminderRun, bill: Bill, party: Party | None, unit_code: str, month: str,
                  channel: str | None, letters: bool, actor: Actor) -> str:
    """One bill's reminder, in the chunk's transaction: what happened (a key of ``COUNTS``)."""
    message = None
    if not letters and messaging.reachable(party, channel or ""):
        message = await messages.queue(site, ARREARS_REMINDER, _context(site, bill, unit_code), party=party,
                                       channel=channel, about=("resident", "bill", bill.id),
                                       dedupe_key=f"arrears:{bill.id}:{month}", unreachable="record", actor=actor)
    row = ArrearsReminder(site_id=site.id, bill_id=bill.id, run_id=run.id, month=month,
                          kind="message" if message is not None else "letter",
                          message_id=message.id if message is not None else None,
                          party_id=party.id if party is not None else None,
                          outstanding_minor=bill.outstanding_minor, by_id=actor.user_id)
    # A racing run's row wins (one reminder per bill and month); a failed INSERT would
    # abort the chunk's PostgreSQL transaction, so the conflict is ignored, then read.
    await ArrearsReminder.bulk_create([row], ignore_conflicts=True)
    if not await ArrearsReminder.filter(bill_id=bill.id, month=month, run_id=run.id).exists():
        return "already_sent"
    if message is None:
        return "letters"
    return {"suppressed": "suppressed", "failed": "failed"}.get(message.status, "queued")


async def reminders_of_bills(bill_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each bill's reminders, newest first: month, kind, when, and the message's state."""
    rows = list(await ArrearsReminder.filter(bill_id__in=bill_ids).order_by("-id"))
    sent = {m.id: m for m in await Message.filter(id__in=[r.message_id for r in rows if r.message_id])}
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        message = sent.get(row.message_id) if row.message_id else None
        found.setdefault(row.bill_id, []).append({
            "month": row.month, "kind": row.kind, "run_id": row.run_id, "run_at": row.run_at,
            "message": messaging.brief(message) if message is not None else None})
    return found


# --- letters ---------------------------------------------------------------------------------

MM = 72 / 25.4


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """``text`` in lines no wider than ``width``: broken at a space in Latin text, between
    any two characters in Chinese (which has no spaces)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for char in paragraph:
            if stringWidth(line + char, font, size) <= width:
                line += char
                continue
            space = line.rfind(" ")
            if char != " " and space > 0 and fits_latin1(line[space:]):
                lines.append(line[:space])
                line = line[space + 1:] + char
            else:
                lines.append(line)
                line = "" if char == " " else char
        lines.append(line)
    return lines


def _page(pdf, cjk: str, width: float, height: float, lines: list) -> None:
    """One letter: ``lines`` of (text, size, bold), None for a gap."""
    margin = 25 * MM
    y = height - margin
    for item in lines:
        if item is None:
            y -= 12
            continue
        text, size, bold = item
        font = ("Helvetica-Bold" if bold else "Helvetica") if fits_latin1(text) else cjk
        pdf.setFont(font, size)
        for part in wrap(text, font, size, width - 2 * margin):
            pdf.drawString(margin, y, part)
            y -= size * 1.6
    pdf.showPage()


async def letters_pdf(site: Site, run: ReminderRun, catalogs: dict[str, Any]) -> bytes:
    """The run's letters as one A4 PDF, one page per letter, each in its reader's language
    (the party's preferred one, else the site's)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    rows = list(await ArrearsReminder.filter(run_id=run.id, kind="letter").order_by("id"))
    bills = {b.id: b for b in await Bill.filter(id__in=[r.bill_id for r in rows])}
    codes = dict(await Unit.filter(id__in=list({b.unit_id for b in bills.values()})).values_list("id", "code"))
    parties = {p.id: p for p in await Party.filter(id__in=[r.party_id for r in rows if r.party_id])}
    template = messages.registry().template(ARREARS_REMINDER)
    width, height = A4
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=0)
    pdf.setTitle(f"Arrears reminders {run.month}")
    for row in rows:
        bill = bills[row.bill_id]
        party = parties.get(row.party_id) if row.party_id else None
        language = next((choice for choice in (getattr(party, "preferred_language", ""), site.default_language)
                         if choice in LANGUAGES), "en")
        translations = catalogs.get(language) if catalogs else None
        say = translations.gettext if translations is not None else (lambda text: text)
        cjk = cjk_font(language)
        bill.outstanding_minor = row.outstanding_minor  # as reminded
        context = _context(site, bill, codes.get(bill.unit_id, ""))
        recipient = party.name if party is not None else say(N_("The occupant"))
        _page(pdf, cjk, width, height, [
            (site.name, 16, True), (say(N_("Arrears reminder")) + f" · {row.month}", 12, False), None,
            (run.as_of.isoformat(), 11, False), (f"{recipient} · {context['unit']}", 11, False), None,
            (render_wording(say(template.subject), context), 12, True),
            (render_wording(say(template.body), context), 11, False), None,
            (f"{say(N_('Bill'))} {bill.id} · {bill.period} · {context['amount']}", 10, False)])
    pdf.save()
    return buffer.getvalue()
