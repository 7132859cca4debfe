"""Demo records for harbour: households, open cases, a campaign, bills and payments.

The core demo's residents own the first sixteen households (a party to message), some
with an e-mail address; one has opted out of SMS, one prefers e-mail in 简体中文. Their
older unpaid bills, carried over from before the billing runs, make the arrears such that
a reminder run on the demo day queues ``REMINDER_MESSAGES`` messages (the other units'
bills get letters). Nothing is queued at load."""

from __future__ import annotations

import datetime as dt

from core.actors import Actor
from core.clock import local_today
from core.entities.models import Party, Unit
from core.messages.models import MessageOptOut
from core.money import format_money
from plugins.resident import campaigns, fees, households, procedures, services
from plugins.resident.models import Announcement, Bill, Member

#: Messages an arrears reminder run queues on the demo day (issue 19's "80 messages").
REMINDER_MESSAGES = 80


CASES = [
    ("repair", "phone", "A-0101", "plumbing", "normal", "Kitchen sink leaking"),
    ("complaint", "walk_in", "A-0203", "noise", "normal", "Renovation noise after 8 pm next door"),
    ("complaint", "phone", "B-0502", "security", "major", "Stranger followed a resident into the lobby"),
    ("inquiry", "app", "B-0101", "parking", "normal", "How to apply for a second parking permit"),
    ("suggestion", "email", "A-0704", "garden", "normal", "More benches in the garden"),
    ("repair", "phone", "B-0904", "lift", "normal", "Lift B2 stops between floors"),
]


async def load(demo):
    site = demo.sites["harbour"]
    supervisor, agent, agent2 = demo.users["supervisor"], demo.users["agent"], demo.users["agent2"]
    manager = demo.users["manager"]
    as_supervisor, as_agent, as_manager = Actor(supervisor), Actor(agent), Actor(manager)
    kernel = demo.tasks
    units = {unit.code: unit for unit in await Unit.filter(site_id=site.id)}
    parties = list(await Party.filter(site_id=site.id).order_by("id"))
    codes = sorted(units)[:: 2][:40]
    for index, code in enumerate(codes):
        members = []
        if index < len(parties):
            members.append({"party_id": parties[index].id, "relation": "owner", "phone": (parties[index].phones or [""])[0]})
        else:
            members.append({"name": f"住戶 {code}", "relation": "tenant" if index % 3 else "owner"})
        if index % 4 == 0:
            members.append({"name": f"家屬 {code}", "relation": "family"})
        await households.create_household(site, {"unit_id": units[code].id, "members": members,
                                                 "important": code == "B-0101", "area": str(60 + index % 5 * 10)},
                                          as_supervisor)
    for kind, channel, code, category, severity, title in CASES:
        await services.create_case(kernel, site, as_supervisor, {"kind": kind, "channel": channel,
                                                              "unit_id": units[code].id, "category": category,
                                                              "severity": severity, "title": title})
    # one complaint handled and waiting for its revisit
    case, _dups = await services.create_case(kernel, site, as_agent, {
        "kind": "complaint", "channel": "phone", "unit_id": units["A-0301"].id, "category": "cleaning",
        "title": "Corridor not cleaned for a week"})
    await services.reply(kernel, case, "清潔組今天下午處理。", as_supervisor)
    task = await services.load_task(case)
    await kernel.transition(task, "resolved", task.version, supervisor, may_work_any=True)
    # a revisit campaign spread over the two agents
    campaign = await campaigns.create_campaign(site, {"name": "中秋節回訪 Mid-Autumn revisits",
                                                      "rule": {"kind": "building", "building": "Tower A"},
                                                      "agent_ids": [agent.id, agent2.id], "due_days": 14}, as_manager)
    await campaigns.distribute(kernel.bus, site, campaign, as_manager)
    # property fees: two periods billed, some paid
    await fees.set_schedule(site, {"unit_kind": "apartment", "fixed": "1200", "per_sqm": "25"}, as_manager)
    today = dt.date.today()
    first = (today.replace(day=1) - dt.timedelta(days=40)).strftime("%Y-%m")
    second = (today.replace(day=1) - dt.timedelta(days=5)).strftime("%Y-%m")
    for period in (first, second):
        await fees.billing_run(site, period, as_manager)
    from plugins.resident.models import Bill

    for number, bill in enumerate(await Bill.filter(site_id=site.id).order_by("id")):
        if number % 3 == 0:
            await fees.pay(site, bill, format_money(bill.outstanding_minor, site.currency), "transfer", as_manager)
        elif number % 7 == 0:
            await fees.pay(site, bill, "500", "cash", as_manager)
    await _message_preferences(site, parties, as_manager)
    await _arrears_for_reminders(site, as_manager)
    await procedures.create(site, {"kind": "move_in", "unit_id": units["A-0102"].id, "applicant": "陳大文"}, as_supervisor)
    await procedures.create(site, {"kind": "renovation", "unit_id": units["B-0303"].id, "applicant": "林美玲"}, as_supervisor)
    await Announcement.create(site_id=site.id, title="停水通知 Water off", body="週二 9:00–12:00 A 棟停水。",
                              building="Tower A", publish_from=dt.datetime.now(dt.timezone.utc), created_by=supervisor)


async def _message_preferences(site, parties: list[Party], actor: Actor) -> None:
    """E-mail addresses for some residents; one opted out of SMS (reached by e-mail), one
    who prefers e-mail in Simplified Chinese."""
    for number, party in enumerate(parties[:8]):
        if number % 2 == 0:
            party.email = f"resident{number + 1}@harbour.example"
            await party.save(update_fields=["email"])
    if len(parties) > 2:  # rows as the services write them (the demo loads before any app is made)
        await MessageOptOut.create(site_id=site.id, party_id=parties[0].id, channel="sms", active=True,
                                   reason="住戶要求不收短信", recorded_by_id=actor.user_id)
        await Party.filter(id=parties[2].id).update(preferred_language="zh_Hans", preferred_channel="email")


async def _arrears_for_reminders(site, actor: Actor) -> None:
    """Unpaid bills of earlier months for the households a message reaches (carried over
    from before the billing runs), then a few of them settled, so that exactly
    ``REMINDER_MESSAGES`` of their bills are in arrears on the demo day."""
    today = local_today(site)
    reached = list(await Member.filter(household__site_id=site.id, party_id__not_isnull=True)
                   .values_list("household__unit_id", flat=True))
    amounts = dict(await Bill.filter(site_id=site.id, unit_id__in=reached).order_by("id")
                   .values_list("unit_id", "amount_minor"))

    def in_arrears():
        return Bill.filter(site_id=site.id, unit_id__in=reached, outstanding_minor__gt=0, due_date__lt=today)

    month = today.replace(day=1)
    for _back in range(24):
        if await in_arrears().count() >= REMINDER_MESSAGES:
            break
        month = (month - dt.timedelta(days=1)).replace(day=1)
        period = month.strftime("%Y-%m")
        await Bill.bulk_create([Bill(site_id=site.id, unit_id=unit_id, period=period, amount_minor=amount,
                                     outstanding_minor=amount, due_date=month.replace(day=15))
                                for unit_id, amount in amounts.items()], ignore_conflicts=True)
    extra = list(await in_arrears().order_by("id"))
    for bill in extra[:max(0, len(extra) - REMINDER_MESSAGES)]:  # the oldest extra ones were paid since
        await fees.pay(site, bill, format_money(bill.outstanding_minor, site.currency), "transfer", actor)
