"""Lost and found: a Frontdesk plugin.

Found by convention, without a hook: ``models.py`` (this plugin's Tortoise app),
``api.routes()`` (JSON routes), ``pages.routes()`` (HTML pages), ``menu.MENU``,
``permissions.PERMISSIONS``, ``task_types.TASK_TYPES`` and ``demo.load``; ``templates/``,
``static/``, ``locale/`` and ``migrations/`` beside this file. Hooks here add what decides
something or reacts to something (see core/hookspecs.py): a guard on task moves, a
reaction to task events, a CLI command and an integrity check.
"""

from core import PluginMeta, hookimpl

meta = PluginMeta(name="lost_and_found", version="0.1.0", core_requires=">=0.1.0,<1", description="Lost and found")


@hookimpl
async def task_transition_guard(task, to_status):
    """A follow-up is done only once someone has written how the item went back (a
    comment on the task); any other task is not ours to judge."""
    from lost_and_found import services

    return await services.follow_up_guard(task, to_status)


@hookimpl
async def on_task_event(task, event):
    """The item went back to its owner: the entry the follow-up is about says so."""
    from lost_and_found import services

    await services.after_task_event(task, event)


@hookimpl
def register_cli_commands(cli):
    from lost_and_found.commands import lost_and_found_group

    cli.add_command(lost_and_found_group)


@hookimpl
def register_integrity_checks():
    from lost_and_found.services import entries_have_titles

    return [entries_have_titles]
