"""The lost_and_found rules, apart from HTTP: every write is audited in its transaction."""

from tortoise.transactions import in_transaction

from core.audit import services as audit
from lost_and_found.models import Entry


async def create_entry(site, title: str, actor=None, client_address: str = "") -> Entry:
    async with in_transaction():
        entry = await Entry.create(site=site, title=title.strip())
        await audit.record("lost_and_found.entry.create", actor=actor, site_id=site.id, object_type="lost_and_found_entry",
                           object_id=entry.id, after={"title": entry.title}, client_address=client_address)
    return entry
