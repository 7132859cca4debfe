"""The kinds of work Lost and found adds to the task kernel (read by the host as ``TASK_TYPES``).

A plugin's type is created by its own service, with the record it is about; say
``generic=GenericUse(create=True)`` to let people create it on the generic task routes.
"""

from core.i18n import lazy_gettext as _l
from core.tasks.types import GenericUse, TaskType

TASK_TYPES = [TaskType(name="lost_and_found.follow_up", label=_l("Lost and found follow-up"), default_sla_minutes=24 * 60,
                       generic=GenericUse(create=True))]
