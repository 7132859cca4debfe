"""Tasks, their append-only history, and shift handovers."""

from tortoise import fields
from tortoise.exceptions import OperationalError
from tortoise.models import Model

PRIORITIES = ("low", "normal", "high", "urgent")


class Task(Model):
    id = fields.BigIntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="tasks", on_delete=fields.RESTRICT)
    type = fields.CharField(max_length=80)
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    status = fields.CharField(max_length=30)
    priority = fields.CharField(max_length=10, default="normal")
    assignee = fields.ForeignKeyField("core.User", related_name="assigned_tasks", null=True,
                                      on_delete=fields.SET_NULL)
    unit = fields.ForeignKeyField("core.Unit", related_name="tasks", null=True, on_delete=fields.SET_NULL)
    party = fields.ForeignKeyField("core.Party", related_name="tasks", null=True, on_delete=fields.SET_NULL)
    parent = fields.ForeignKeyField("core.Task", related_name="children", null=True, on_delete=fields.RESTRICT)
    created_by = fields.ForeignKeyField("core.User", related_name="created_tasks", null=True,
                                        on_delete=fields.SET_NULL)
    #: The record the task is about (``core.tasks.types.Subject``): its owner drives the task.
    subject_plugin = fields.CharField(max_length=60, default="")
    subject_kind = fields.CharField(max_length=40, default="")
    subject_id = fields.BigIntField(null=True)
    due_at = fields.DatetimeField(null=True)
    overdue = fields.BooleanField(default=False)
    #: While the SLA clock is paused: the SLA seconds that were left when it stopped.
    sla_remaining_seconds = fields.IntField(null=True)
    #: Derived from the history when written, for fast lists and KPIs.
    is_open = fields.BooleanField(default=True)
    first_response_at = fields.DatetimeField(null=True)
    resolved_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "core_task"
        # (site, assignee, is_open, id) serves "my open tasks, newest first" from the index
        # alone, without sorting a user's whole history.
        # (site_id, type, ...): one type's tasks over a period, as the desks' KPIs count them.
        indexes = (("site_id", "assignee_id", "is_open", "id"), ("site_id", "status"),
                   ("site_id", "type", "created_at"), ("site_id", "type", "due_at"),
                   ("is_open", "overdue", "due_at"), ("site_id", "created_at"),
                   ("subject_plugin", "subject_kind", "subject_id"))


class TaskEvent(Model):
    """One thing that happened to a task. Never rewritten or deleted."""

    id = fields.BigIntField(primary_key=True)
    task = fields.ForeignKeyField("core.Task", related_name="events", on_delete=fields.RESTRICT)
    site_id = fields.IntField()
    at = fields.DatetimeField()
    actor_id = fields.IntField(null=True)
    #: created, assigned, transitioned, reopened, commented, overdue, or a plugin's kind.
    kind = fields.CharField(max_length=40)
    from_status = fields.CharField(max_length=30, null=True)
    to_status = fields.CharField(max_length=30, null=True)
    note = fields.TextField(default="")
    data = fields.JSONField(null=True)

    class Meta:
        table = "core_task_event"
        indexes = (("task_id", "id"),)

    async def save(self, *args, **kwargs):
        if self._saved_in_db:
            raise OperationalError("task events are append-only")
        await super().save(*args, **kwargs)

    async def delete(self, *args, **kwargs):
        raise OperationalError("task events are append-only")


class TaskWatcher(Model):
    """Someone who follows a task they do not hold: its taker (the user who created it)
    once it went to someone else (``reason`` "taker"), or whoever was added (``"added"``).
    Watchers see the task, its history and its live events, and may comment."""

    id = fields.BigIntField(primary_key=True)
    task = fields.ForeignKeyField("core.Task", related_name="watchers", on_delete=fields.CASCADE)
    site_id = fields.IntField()
    user = fields.ForeignKeyField("core.User", related_name="watched_tasks", on_delete=fields.CASCADE)
    #: taker, added
    reason = fields.CharField(max_length=20)
    added_by_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "core_task_watcher"
        unique_together = (("task", "user"),)
        # "the tasks I watch at this site", newest first, from the index alone.
        indexes = (("user_id", "site_id", "task_id"),)


class Handover(Model):
    """A shift handover record (交接班記錄): read at sign-in, written at sign-out."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("core.Site", related_name="handovers", on_delete=fields.RESTRICT)
    department = fields.CharField(max_length=40)
    body = fields.TextField()
    #: Structured items plugins attach (counted float, linen counts): [{"label", "value"}].
    items = fields.JSONField(default=list)
    author = fields.ForeignKeyField("core.User", related_name="handovers", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "core_handover"
        indexes = (("site_id", "department", "id"),)


class HandoverRead(Model):
    id = fields.IntField(primary_key=True)
    handover = fields.ForeignKeyField("core.Handover", related_name="reads", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("core.User", related_name="handover_reads", on_delete=fields.CASCADE)
    read_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "core_handover_read"
        unique_together = (("handover", "user"),)
