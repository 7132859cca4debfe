"""The lost_and_found rules, apart from HTTP: every write is audited in its transaction."""

from tortoise.transactions import in_transaction

from core.audit import services as audit
from core.i18n import gettext as _
from core.tasks.models import TaskEvent
from lost_and_found.models import Entry

FOLLOW_UP = "lost_and_found.follow_up"
#: Moving a follow-up into these states says the item is back with its owner.
DONE = ("resolved", "closed")


async def create_entry(site, title: str, actor=None, client_address: str = "") -> Entry:
    async with in_transaction():
        entry = await Entry.create(site=site, title=title.strip())
        await audit.record("lost_and_found.entry.create", actor=actor, site_id=site.id, object_type="lost_and_found_entry",
                           object_id=entry.id, after={"title": entry.title}, client_address=client_address)
    return entry


async def follow_up_guard(task, to_status: str) -> str | None:
    """The reason a follow-up may not be done yet, or None (``task_transition_guard``)."""
    if task.type != FOLLOW_UP or to_status not in DONE:
        return None
    if await TaskEvent.filter(task_id=task.id, kind="commented").exists():
        return None
    return _("Write in a comment how the item went back to its owner first.")


async def after_task_event(task, event) -> None:
    """A follow-up resolved: recorded in the audit log of its site (``on_task_event``
    runs after the task's change committed, so this is a change of its own)."""
    if task.type != FOLLOW_UP or event.kind != "transitioned" or event.to_status != "resolved":
        return
    await audit.record("lost_and_found.follow_up.resolved", actor=None, site_id=task.site_id,
                       object_type="core.task", object_id=task.id, note=task.title)


async def entries_have_titles() -> list[str]:
    """Integrity: every entry has a title (the API and page refuse a blank one; a row
    written by hand or by an old import may not)."""
    blank = [entry_id for entry_id, title in await Entry.all().values_list("id", "title") if not title.strip()]
    return [f"lost_and_found: entries without a title: {', '.join(map(str, blank))}"] if blank else []
