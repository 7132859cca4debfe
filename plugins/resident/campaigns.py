"""Revisit campaigns (回訪): who is due, balanced distribution, call lists, the report."""

from __future__ import annotations

import datetime as dt
import heapq
import io
from typing import Any

from tortoise.functions import Count
from tortoise.transactions import in_transaction

from core.actors import Actor
from core.audit import services as audit
from core.clock import rfc3339, utcnow
from core.entities.models import Party, Site, Unit
from core.exports import neutralise
from core.i18n import gettext as _
from core.identity.models import Membership, User
from core.messages import services as messages
from core.messages.models import Message
from core.problems import Problem, invalid
from plugins.resident import messaging, services
from plugins.resident.message_templates import REVISIT
from plugins.resident.models import Campaign, Case, Household, Revisit

RULE_KINDS = ("closed_cases", "building", "all", "holiday", "manual")
#: What a campaign does besides the calls: nothing, a message before the call, or a
#: message instead of it (``Campaign.message_mode``).
MESSAGE_MODES = ("none", "before_call", "instead_of_call")
CHUNK = 500


RULE_TEXT_KEYS = ("from", "to", "building", "name")


def shown_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A stored rule in the documented shape. Rules stored before ``stored_rule`` may hold
    other keys or other types (a number as a holiday's name): shown as text, never a 500."""
    shown: dict[str, Any] = {"kind": str(rule.get("kind", ""))}
    for key in RULE_TEXT_KEYS:
        if rule.get(key) is not None:
            shown[key] = str(rule[key])
    if isinstance(rule.get("unit_ids"), list):
        shown["unit_ids"] = [i for i in rule["unit_ids"] if isinstance(i, int) and not isinstance(i, bool)]
    return shown


def campaign_out(campaign: Campaign, **extra: Any) -> dict[str, Any]:
    return {"id": campaign.id, "name": campaign.name, "rule": shown_rule(campaign.rule or {}),
            "agent_ids": campaign.agent_ids,
            "skill": campaign.skill or None, "due_at": rfc3339(campaign.due_at),
            "distributed_at": rfc3339(campaign.distributed_at), "created_at": rfc3339(campaign.created_at),
            "message_mode": campaign.message_mode, "message_channel": campaign.message_channel, **extra}


async def _check_agents(site: Site, agent_ids: list[int]) -> None:
    if not agent_ids:
        raise invalid("agent_ids", _("Choose at least one agent."))
    members = set(await Membership.filter(site_id=site.id, user_id__in=agent_ids, user__is_active=True)
                  .values_list("user_id", flat=True))
    for index, agent_id in enumerate(agent_ids):
        if agent_id not in members:
            raise invalid(f"agent_ids.{index}", _("No active member %(id)s at this site.", id=agent_id))


async def _targets(site: Site, rule: dict[str, Any]) -> list[tuple[int, int | None]]:
    """(unit id, case id or None) of everyone the rule makes due."""
    kind = rule.get("kind")
    if kind == "closed_cases":
        try:
            start = dt.date.fromisoformat(str(rule.get("from")))
            end = dt.date.fromisoformat(str(rule.get("to")))
        except ValueError:
            raise invalid("rule.from", _("Give the period as from and to dates (YYYY-MM-DD).")) from None
        if end < start:
            raise invalid("rule.to", _("The end is before the start."))
        low = dt.datetime.combine(start, dt.time(), dt.timezone.utc)
        high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
        rows = await (Case.filter(site_id=site.id, merged_into_id=None, task__status__in=["resolved", "closed"],
                                  task__resolved_at__gte=low, task__resolved_at__lt=high)
                      .order_by("id").values_list("unit_id", "id"))
        return [(unit_id, case_id) for unit_id, case_id in rows]
    query = Household.filter(site_id=site.id)
    if kind == "building":
        building = str(rule.get("building") or "").strip()
        if not building:
            raise invalid("rule.building", _("Name the building."))
        query = query.filter(unit__building=building)
    elif kind == "manual":
        unit_ids = rule.get("unit_ids") or []
        if not unit_ids or not all(isinstance(i, int) and not isinstance(i, bool) for i in unit_ids):
            raise invalid("rule.unit_ids", _("List the units by id."))
        found = set(await Unit.filter(site_id=site.id, id__in=unit_ids).values_list("id", flat=True))
        for index, unit_id in enumerate(unit_ids):
            if unit_id not in found:
                raise invalid(f"rule.unit_ids.{index}", _("No unit %(id)s at this site.", id=unit_id))
        return [(unit_id, None) for unit_id in dict.fromkeys(unit_ids)]
    elif kind == "holiday":
        if not str(rule.get("name") or "").strip():
            raise invalid("rule.name", _("Name the holiday or event."))
    elif kind != "all":
        raise invalid("rule.kind", _("Use one of: %(values)s.", values=", ".join(RULE_KINDS)))
    return [(unit_id, None) for unit_id in await query.order_by("unit_id").values_list("unit_id", flat=True)]


def stored_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """The rule as it is kept and shown: its kind and the keys that kind reads, in their
    checked form (``_targets`` has validated them). Other keys a client sent are dropped,
    so the stored rule always has the shape the API documents."""
    kind = rule["kind"]
    kept: dict[str, Any] = {"kind": kind}
    if kind == "closed_cases":
        kept.update({"from": dt.date.fromisoformat(str(rule["from"])).isoformat(),
                     "to": dt.date.fromisoformat(str(rule["to"])).isoformat()})
    elif kind == "building":
        kept["building"] = str(rule["building"]).strip()
    elif kind == "holiday":
        kept["name"] = str(rule["name"]).strip()
    elif kind == "manual":
        kept["unit_ids"] = list(dict.fromkeys(rule["unit_ids"]))
    return kept


async def create_campaign(site: Site, data: dict[str, Any], actor: Actor) -> Campaign:
    await _check_agents(site, data["agent_ids"])
    mode, channel = data.get("message_mode") or "none", data.get("message_channel") or ""
    if mode not in MESSAGE_MODES:
        raise invalid("message_mode", _("Use one of: %(values)s.", values=", ".join(MESSAGE_MODES)))
    if channel and channel not in messaging.CHANNELS:
        raise invalid("message_channel", _("Use one of: %(values)s.", values=", ".join(messaging.CHANNELS)))
    targets = await _targets(site, data["rule"])
    if not targets:
        raise invalid("rule", _("Nobody is due under this rule."))
    rule = stored_rule(data["rule"])
    due_days = data.get("due_days")
    async with in_transaction():
        campaign = await Campaign.create(site_id=site.id, name=data["name"], rule=rule,
                                         agent_ids=list(data["agent_ids"]), skill=data.get("skill") or "",
                                         due_at=utcnow() + dt.timedelta(days=due_days) if due_days else None,
                                         created_by=actor.user, message_mode=mode, message_channel=channel)
        await Revisit.bulk_create([Revisit(site_id=site.id, unit_id=unit_id, case_id=case_id, campaign_id=campaign.id,
                                           due_at=campaign.due_at)
                                   for unit_id, case_id in targets], batch_size=CHUNK)
        await audit.record("resident.campaign.create", actor=actor.user, site_id=site.id, object_type="resident.campaign",
                           object_id=campaign.id, after={"name": campaign.name, "rule": campaign.rule,
                                                         "revisits": len(targets), "message_mode": mode,
                                                         "message_channel": channel},
                           client_address=actor.client_address)
    return campaign


async def open_loads(site_id: int, agent_ids: list[int]) -> dict[int, int]:
    rows = await (Revisit.filter(site_id=site_id, status="pending", agent_id__in=agent_ids)
                  .annotate(n=Count("id")).group_by("agent_id").values("agent_id", "n"))
    loads = {agent_id: 0 for agent_id in agent_ids}
    loads.update({row["agent_id"]: row["n"] for row in rows})
    return loads


def plan(revisit_ids: list[int], loads: dict[int, int], weights: dict[int, int]) -> dict[int, list[int]]:
    """Give each revisit to the agent whose open load per unit of weight is lowest, so
    that with equal weights the loads end up differing by at most one."""
    heap = [(loads[a] / weights[a], loads[a], a) for a in loads]
    heapq.heapify(heap)
    given: dict[int, list[int]] = {a: [] for a in loads}
    for revisit_id in revisit_ids:
        _ratio, load, agent = heapq.heappop(heap)
        given[agent].append(revisit_id)
        load += 1
        heapq.heappush(heap, (load / weights[agent], load, agent))
    return given


async def distribute(bus, site: Site, campaign: Campaign, actor: Actor, agent_ids: list[int] | None = None) -> dict[str, Any]:
    agent_ids = list(dict.fromkeys(agent_ids or campaign.agent_ids))
    await _check_agents(site, agent_ids)
    weights = {a: 1 for a in agent_ids}
    if campaign.skill:
        for user in await User.filter(id__in=agent_ids):
            if campaign.skill in (user.skills or []):
                weights[user.id] = 2
    async with in_transaction():
        pending = list(await Revisit.filter(campaign_id=campaign.id, status="pending", agent_id=None)
                       .order_by("id").values_list("id", flat=True))
        loads = await open_loads(site.id, agent_ids)
        given = plan(pending, loads, weights)
        for agent_id, ids in given.items():
            for start in range(0, len(ids), CHUNK):
                await Revisit.filter(id__in=ids[start:start + CHUNK], agent_id=None).update(agent_id=agent_id)
        campaign.distributed_at = utcnow()
        await campaign.save(update_fields=["distributed_at"])
        await audit.record("resident.campaign.distribute", actor=actor.user, site_id=site.id,
                           object_type="resident.campaign", object_id=campaign.id,
                           after={str(a): len(ids) for a, ids in given.items()}, client_address=actor.client_address)
        sent = await send_messages(site, campaign, actor) if campaign.message_mode != "none" else None
    loads = await open_loads(site.id, agent_ids)
    await services.publish(bus, site.id, "resident.campaign.distributed", {"campaign_id": campaign.id})
    return {"campaign_id": campaign.id, "distributed": len(pending),
            "assigned": {str(a): len(ids) for a, ids in given.items()},
            "loads": {str(a): n for a, n in loads.items()}, **({"messages": sent} if sent is not None else {})}


async def send_messages(site: Site, campaign: Campaign, actor: Actor) -> dict[str, int]:
    """Queue the campaign's message to each household with a pending revisit (its case's
    resident, else the household's party), once per revisit (dedupe key), in one
    transaction: when the campaign is distributed, or by its "send messages" action.

    A household no message can reach is recorded as a failed message (the revisit stays
    on the call list); an opted-out channel as a suppressed one. ``instead_of_call``: a
    queued message takes the revisit off the call lists as ``messaged`` (not done, so
    neither reached nor unreached: the reach and satisfaction rates count conversations
    only). ``before_call``: the revisit stays pending for its call."""
    if campaign.message_mode not in ("before_call", "instead_of_call"):
        raise Problem(409, _("This campaign sends no messages: choose a message mode when creating it."))
    counts = {"queued": 0, "suppressed": 0, "failed": 0, "already_sent": 0, "messaged": 0}
    async with in_transaction():
        revisits = list(await Revisit.filter(campaign_id=campaign.id, status="pending").order_by("id"))
        keys = {revisit.id: f"revisit:{revisit.id}" for revisit in revisits}
        sent_before = set()
        for start in range(0, len(revisits), CHUNK):
            sent_before |= set(await Message.filter(site_id=site.id, dedupe_key__in=[
                keys[r.id] for r in revisits[start:start + CHUNK]]).values_list("dedupe_key", flat=True))
        case_parties = dict(await Case.filter(id__in=[r.case_id for r in revisits if r.case_id],
                                              party_id__not_isnull=True).values_list("id", "party_id"))
        parties = {party.id: party for party in await Party.filter(id__in=list(case_parties.values()))}
        unit_parties = await messaging.parties_of_units(r.unit_id for r in revisits)
        codes = dict(await Unit.filter(id__in=list({r.unit_id for r in revisits})).values_list("id", "code"))
        for revisit in revisits:
            if keys[revisit.id] in sent_before:
                counts["already_sent"] += 1
                continue
            party = parties.get(case_parties.get(revisit.case_id)) or unit_parties.get(revisit.unit_id)
            message = await messages.queue(
                site, REVISIT, {"campaign": campaign.name, "unit": codes.get(revisit.unit_id, ""), "site": site.name},
                party=party, channel=campaign.message_channel or None, about=("resident", "revisit", revisit.id),
                dedupe_key=keys[revisit.id], unreachable="record", actor=actor)
            counts[message.status if message.status in counts else "queued"] += 1
            if message.status == "queued" and campaign.message_mode == "instead_of_call":
                counts["messaged"] += await Revisit.filter(id=revisit.id, status="pending", version=revisit.version) \
                    .update(status="messaged", method=message.channel, overdue=False, version=revisit.version + 1)
        await audit.record("resident.campaign.messages", actor=actor.user, site_id=site.id,
                           object_type="resident.campaign", object_id=campaign.id,
                           after={"mode": campaign.message_mode, **counts}, client_address=actor.client_address)
    return counts


async def record(kernel, revisit: Revisit, data: dict[str, Any], actor: Actor) -> Revisit:
    """Fill the revisit record (回訪記錄表): one call (``services.record_attempt``: an
    unreached resident is called again, then escalated). ``version``, when given, must be
    the revisit's (409)."""
    if revisit.status != "pending":
        raise Problem(409, _("This revisit was recorded already."))
    if data.get("version") is not None and data["version"] != revisit.version:
        raise services.stale_revisit(revisit)
    services.check_revisit_fields(data)
    site = await Site.get(id=revisit.site_id)
    async with kernel.transaction():
        await services.record_attempt(kernel, site, revisit, data, actor)
    name = "resident.revisit.recorded" if revisit.status == "done" else "resident.revisit.retry"
    await services.publish(kernel.bus, revisit.site_id, name, services.revisit_out(revisit))
    if revisit.escalation_task_id:
        await services.publish(kernel.bus, revisit.site_id, "resident.revisit.escalated", services.revisit_out(revisit))
    return revisit


#: The list's status filter: pending includes the overdue ones; escalated are done ones
#: whose last attempt went unreached.
REVISIT_STATUSES = ("pending", "overdue", "done", "escalated", "messaged")


def revisits_query(site_id: int, *, status: str | None = None, campaign_id: int | None = None,
                   agent_id: int | None = None):
    """The revisits of a site by status, campaign and agent (the list's API and page)."""
    rows = Revisit.filter(site_id=site_id)
    if status == "overdue":
        rows = rows.filter(status="pending", overdue=True)
    elif status == "escalated":
        rows = rows.filter(status="done", escalation_task_id__not_isnull=True)
    elif status:
        rows = rows.filter(status=status)
    if campaign_id:
        rows = rows.filter(campaign_id=campaign_id)
    if agent_id:
        rows = rows.filter(agent_id=agent_id)
    return rows


async def revisit_counts(site_id: int, *, campaign_id: int | None = None, agent_id: int | None = None) -> dict[str, int]:
    """How many revisits are pending (overdue ones among them), overdue, done, escalated."""
    return {status: await revisits_query(site_id, status=status, campaign_id=campaign_id, agent_id=agent_id).count()
            for status in REVISIT_STATUSES}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def report(site: Site, campaign: Campaign) -> dict[str, Any]:
    """The revisit summary report (回訪總結報告)."""
    rows = await Revisit.filter(campaign_id=campaign.id).values(
        "id", "agent_id", "status", "reached", "satisfied", "score", "suggestions", "unit_id")
    people = {u.id: u for u in await User.filter(id__in=list({r["agent_id"] for r in rows if r["agent_id"]}))}
    units = dict(await Unit.filter(id__in=[r["unit_id"] for r in rows if r["suggestions"]]).values_list("id", "code"))
    agents: dict[Any, dict[str, Any]] = {}
    for row in rows:
        entry = agents.setdefault(row["agent_id"], {"agent_id": row["agent_id"], "assigned": 0, "done": 0,
                                                    "reached": 0, "satisfied": 0})
        entry["assigned"] += 1
        entry["done"] += row["status"] == "done"
        entry["reached"] += bool(row["reached"])
        entry["satisfied"] += bool(row["satisfied"])
    for entry in agents.values():
        user = people.get(entry["agent_id"])
        entry["agent"] = (user.display_name or user.username) if user else ""
        entry["reach_rate"] = _rate(entry["reached"], entry["done"])
        entry["satisfaction_rate"] = _rate(entry["satisfied"], entry["reached"])
    done = sum(r["status"] == "done" for r in rows)
    reached = sum(bool(r["reached"]) for r in rows)
    satisfied = sum(bool(r["satisfied"]) for r in rows)
    scores = [r["score"] for r in rows if r["score"]]
    about = [r["id"] for r in rows]
    sent: list[str] = []
    for start in range(0, len(about), CHUNK):
        sent += await Message.filter(site_id=site.id, subject_plugin="resident", subject_kind="revisit",
                                     subject_id__in=about[start:start + CHUNK]).values_list("status", flat=True)
    return {
        "campaign": campaign_out(campaign), "planned": len(rows), "done": done, "reached": reached,
        "satisfied": satisfied, "reach_rate": _rate(reached, done), "satisfaction_rate": _rate(satisfied, reached),
        "average_score": round(sum(scores) / len(scores), 2) if scores else None,
        "suggestions": [{"revisit_id": r["id"], "unit": units.get(r["unit_id"], ""), "text": r["suggestions"]}
                        for r in rows if r["suggestions"]],
        "agents": sorted(agents.values(), key=lambda e: (e["agent"], e["agent_id"] or 0)),
        "messaged": sum(r["status"] == "messaged" for r in rows), "messages": messaging.counts(sent),
    }


def percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def report_xlsx(data: dict[str, Any]) -> bytes:
    """The revisit report as a workbook; user text (campaign name, agents, units, suggestions)
    is neutralised against formula injection (core.exports)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("Summary")[:31]
    sheet.append([_("Campaign"), neutralise(data["campaign"]["name"])])
    for label, key in ((_("Planned"), "planned"), (_("Done"), "done"), (_("Reached"), "reached"),
                       (_("Satisfied"), "satisfied"), (_("Average score"), "average_score")):
        sheet.append([label, data[key]])
    sheet.append([_("Reach rate"), percent(data["reach_rate"])])
    sheet.append([_("Satisfaction rate"), percent(data["satisfaction_rate"])])
    per_agent = book.create_sheet(_("Per agent")[:31])
    per_agent.append([_("Agent"), _("Assigned"), _("Done"), _("Reached"), _("Satisfied"), _("Reach rate"),
                      _("Satisfaction rate")])
    for entry in data["agents"]:
        per_agent.append([neutralise(entry["agent"]), entry["assigned"], entry["done"], entry["reached"],
                          entry["satisfied"],
                          percent(entry["reach_rate"]), percent(entry["satisfaction_rate"])])
    suggestions = book.create_sheet(_("Suggestions")[:31])
    suggestions.append([_("Unit"), _("Suggestion")])
    for item in data["suggestions"]:
        suggestions.append([neutralise(item["unit"]), neutralise(item["text"])])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
