"""Demo records of Lost and found (read by the host as ``demo.load``): two entries at the
harbour and a follow-up task for one of them, made through the task kernel."""

from core.tasks.types import Subject
from lost_and_found import services


async def load(demo):
    harbour = demo.sites["harbour"]
    await services.create_entry(harbour, "Umbrella, black, lobby")
    keys = await services.create_entry(harbour, "Keys on a red ring, mailroom")
    await demo.tasks.create(harbour, None, type=services.FOLLOW_UP, title="Call the owner of the red keys",
                            subject=Subject("lost_and_found", "entry", keys.id))
