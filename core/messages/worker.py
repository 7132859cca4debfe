"""The delivery worker: claims due messages, sends them through their channel, records
every attempt and the final state.

Safe on several processes and hosts. On PostgreSQL a round claims its rows with ``SELECT
... FOR UPDATE SKIP LOCKED`` and marks them ``sending`` with a lease in one short
transaction, so two workers never take the same message and neither waits for the other.
On SQLite (one machine) the claim is a conditional update and one worker is the rule.
A worker killed mid-batch leaves its messages ``sending``; when the lease runs out another
round takes them again. That is the one case where a message can go out twice, so every
e-mail carries a stable Message-ID and every SMS its message id as the gateway's reference,
which lets the receiving side recognise the repeat.

Results are written per message with a condition on ``sending``: a delivery report that
arrived before the worker recorded "sent" is not overwritten.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import random
import socket
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from core.clock import utcnow
from core.events import LiveEvent
from core.messages import services
from core.messages import templates as message_templates
from core.messages.channels import DeliveryFailed, Outgoing, Sent
from core.messages.models import Message, MessageAttempt, MessageOptOut, MessageTemplateText

log = logging.getLogger("frontdesk.messages.worker")
WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"[:100]
#: Results are written every so many messages: a crash resends at most this many.
FLUSH_EVERY = 25


@dataclass
class Result:
    message: Message
    started_at: dt.datetime
    sent: Sent | None = None
    failure: str = ""
    permanent: bool = False


def backoff(attempt: int, settings: Any) -> float:
    """Seconds to wait after the ``attempt``-th failure: doubling from the base, capped,
    with ±20 % jitter so that messages failed together do not return together."""
    delay = min(settings.outbox_retry_base_seconds * 2 ** max(attempt - 1, 0), settings.outbox_retry_max_seconds)
    return delay * random.uniform(0.8, 1.2)  # noqa: S311 - spreading retries, not security


async def claim(app: Any, now: dt.datetime | None = None, limit: int | None = None) -> list[Message]:
    """Take up to ``limit`` due messages for this worker (and those whose worker's lease ran out)."""
    settings = app.state.settings
    now = now or utcnow()
    limit = limit or settings.outbox_batch_size
    lease = now + dt.timedelta(seconds=settings.outbox_lease_seconds)
    due = Q(status="queued", next_attempt_at__lte=now) | Q(status="sending", claimed_until__lt=now)
    async with in_transaction():
        query = Message.filter(due).order_by("next_attempt_at", "id").limit(limit)
        if not settings.is_sqlite:
            query = query.select_for_update(skip_locked=True)
        ids = [message.id for message in await query.only("id")]
        if not ids:
            return []
        # The condition repeats the claim's: on SQLite another process may have taken some.
        await Message.filter(due, id__in=ids).update(status="sending", claimed_until=lease,
                                                     attempts=F("attempts") + 1, version=F("version") + 1)
    return list(await Message.filter(id__in=ids, status="sending", claimed_until=lease)
                .select_related("site").order_by("next_attempt_at", "id"))


async def _wordings(messages: list[Message]) -> dict[tuple, MessageTemplateText]:
    sites = {message.site_id for message in messages}
    keys = {message.template for message in messages}
    rows = await MessageTemplateText.filter(site_id__in=list(sites), template__in=list(keys))
    return {(row.site_id, row.template, row.channel, row.language): row for row in rows}


def _render(app: Any, message: Message, wordings: dict) -> tuple[str, str]:
    registry = services.registry()
    template = registry.templates.get(message.template)
    own = wordings.get((message.site_id, message.template, message.channel, message.language))
    if own is not None:
        subject, body = own.subject, own.body
    elif template is not None:
        subject, body = message_templates.default_wording(template, app.state.catalogs[message.language])
    else:  # the plugin that declared it is gone: send what the context says, never nothing
        subject, body = message.template, "\n".join(f"{key}: {value}" for key, value in message.context.items()
                                                    if not key.startswith("_"))
    return message_templates.render(subject, message.context), message_templates.render(body, message.context)


async def deliver_due(app: Any, now: dt.datetime | None = None) -> int:
    """One round: claim, send, record. Returns how many messages it handled."""
    now = now or utcnow()
    claimed = await claim(app, now)
    if not claimed:
        return 0
    messages = await _without_opt_outs(claimed)
    wordings = await _wordings(messages)
    by_channel: dict[str, list[Message]] = defaultdict(list)
    for message in messages:
        by_channel[message.channel].append(message)
    for channel_name, batch in by_channel.items():
        await _send_batch(app, channel_name, batch, wordings, now)
    return len(claimed)


async def _without_opt_outs(messages: list[Message]) -> list[Message]:
    """The messages still wanted: a party who opted out of the channel after the message was
    queued is not sent to either (the message is suppressed, with the reason)."""
    parties = {message.party_id for message in messages if message.party_id is not None}
    if not parties:
        return messages
    refused = set(await MessageOptOut.filter(party_id__in=list(parties), active=True)
                  .values_list("party_id", "channel"))
    suppressed = [message for message in messages if (message.party_id, message.channel) in refused]
    if suppressed:
        await Message.filter(id__in=[message.id for message in suppressed], status="sending").update(
            status="suppressed", reason=services.OPTED_OUT, claimed_until=None, version=F("version") + 1)
    return [message for message in messages if (message.party_id, message.channel) not in refused]


async def _send_batch(app: Any, channel_name: str, batch: list[Message], wordings: dict, now: dt.datetime) -> None:
    channel = services.registry().channels.get(channel_name)
    pending: list[Result] = []
    if channel is None:
        for message in batch:
            pending.append(Result(message, utcnow(), failure=f"no channel {channel_name} is installed"))
        await _record(app, pending, now)
        return
    try:
        async with channel.connect(app) as sender:
            for message in batch:
                pending.append(await _send_one(app, sender, message, wordings))
                if len(pending) >= FLUSH_EVERY:
                    await _record(app, pending, now)
                    pending = []
    except DeliveryFailed as error:  # the channel could not be reached at all
        done = {result.message.id for result in pending}
        pending += [Result(message, utcnow(), failure=error.reason, permanent=False)
                    for message in batch if message.id not in done]
    except Exception as error:  # noqa: BLE001 - a broken channel must not lose the batch
        log.exception("channel %s failed", channel_name)
        done = {result.message.id for result in pending}
        pending += [Result(message, utcnow(), failure=f"{type(error).__name__}: {error}"[:500])
                    for message in batch if message.id not in done]
    await _record(app, pending, now)


async def _send_one(app: Any, sender: Any, message: Message, wordings: dict) -> Result:
    started = utcnow()
    subject, body = _render(app, message, wordings)
    message.rendered_subject, message.rendered_body = subject[:300], body
    outgoing = Outgoing(message_id=message.id, site_id=message.site_id, site_code=message.site.code,
                        address=message.address, subject=subject, body=body, language=message.language,
                        user_id=message.user_id, reference=(f"{message.subject_plugin}.{message.subject_kind}:"
                                                            f"{message.subject_id}" if message.subject_plugin else ""))
    try:
        return Result(message, started, sent=await sender.send(outgoing))
    except DeliveryFailed as error:
        return Result(message, started, failure=error.reason[:500], permanent=error.permanent)
    except Exception as error:  # noqa: BLE001 - recorded as a passing failure, retried
        log.warning("message %s to %s: %s", message.id, services.masked(message.address), error)
        return Result(message, started, failure=f"{type(error).__name__}: {error}"[:500])


async def _record(app: Any, results: list[Result], now: dt.datetime) -> None:
    """Write each result; a retry is due ``backoff`` after the round's ``now``."""
    if not results:
        return
    settings = app.state.settings
    finished = utcnow()
    attempts = []
    events = []
    async with in_transaction():
        for result in results:
            message = result.message
            changes: dict[str, Any] = {"claimed_until": None, "rendered_subject": message.rendered_subject,
                                       "rendered_body": message.rendered_body}
            if result.sent is not None:
                outcome = "sent"
                changes.update(status="delivered" if result.sent.delivered else "sent", sent_at=finished,
                               provider_id=result.sent.provider_id[:100], reason="")
                if result.sent.delivered:
                    changes["delivered_at"] = finished
            elif result.permanent or message.attempts >= settings.outbox_max_attempts:
                outcome = "failed"
                changes.update(status="failed", reason=result.failure)
            else:
                outcome = "retry"
                changes.update(status="queued", reason=result.failure,
                               next_attempt_at=now + dt.timedelta(seconds=backoff(message.attempts, settings)))
            written = await Message.filter(id=message.id, status="sending").update(**changes,
                                                                                   version=F("version") + 1)
            attempts.append(MessageAttempt(message_id=message.id, number=message.attempts, started_at=result.started_at,
                                           finished_at=finished, outcome=outcome, detail=result.failure,
                                           worker=WORKER_NAME))
            if written:
                events.append((message, changes["status"]))
            if outcome != "sent":
                log.info("message %s to %s: %s (%s)", message.id, services.masked(message.address), outcome,
                         result.failure)
        await MessageAttempt.bulk_create(attempts)
    bus = app.state.events
    for message, status in events:
        if message.subject_plugin:
            # What a record's page shows ("sent by SMS at 10:02, delivered"): no address, no text.
            await bus.publish(LiveEvent(site_id=message.site_id, name="message.status", data={
                "id": message.id, "status": status, "channel": message.channel,
                "subject": f"{message.subject_plugin}.{message.subject_kind}:{message.subject_id}"}))


class DeliveryLoop:
    """The worker of one process: a round whenever something was queued here, else every
    ``outbox_poll_seconds`` (what other processes and hosts queued)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.woken = asyncio.Event()

    def wake(self) -> None:
        self.woken.set()

    async def run(self) -> None:
        settings = self.app.state.settings
        while True:
            try:
                handled = await deliver_due(self.app)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("a delivery round failed; trying again")
                handled = 0
            if handled >= settings.outbox_batch_size:
                continue  # more are due: no pause
            try:
                await asyncio.wait_for(self.woken.wait(), timeout=settings.outbox_poll_seconds)
                # Queued in a transaction that may not have committed yet: give it a moment.
                await asyncio.sleep(0.05)
            except asyncio.TimeoutError:
                pass
            self.woken.clear()
