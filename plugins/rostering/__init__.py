"""Rostering: duty rosters, shift swaps, leave, attendance and certificates, and assignment
that only picks people on duty.

Built on the public plugin contract alone (``docs/plugins.md``), like a plugin installed
with pip: nothing in core knows it is here, and ``disabled_plugins`` leaves every other
desk as it was.
"""

from core import PluginMeta, hookimpl

meta = PluginMeta(name="rostering", version="0.1.0", core_requires=">=0.1,<1",
                  description=__doc__.strip().splitlines()[0].rstrip(","))


@hookimpl
def register_site_settings():
    from plugins.rostering.site_settings import GROUP

    return [GROUP]


@hookimpl
def register_code_lists():
    from plugins.rostering.code_lists import LISTS

    return LISTS


@hookimpl
async def eligible_assignees(site, at, candidates):
    # Only people on duty now, where the site asks it and a roster covers them
    # (plugins/rostering/on_duty.py states the rule).
    from plugins.rostering.on_duty import eligible

    return await eligible(site, candidates, at)


@hookimpl
async def page_panels(page, request):
    # The staff member's next duties on their home, who is on duty and next on handovers
    # (plugins/rostering/panels.py).
    from plugins.rostering.panels import panels

    return await panels(page, request)


@hookimpl
async def on_signed_in(user, client_address):
    # Signing in at the desk during (or just before) one's duty clocks one in, where the
    # site asks it (plugins/rostering/attendance.py: clock_in_on_sign_in).
    from plugins.rostering.attendance import clock_in_on_sign_in

    await clock_in_on_sign_in(user, client_address)


@hookimpl
def on_app_started(app):
    # The certificate reminders' timer (plugins/rostering/jobs.py).
    from plugins.rostering import jobs

    jobs.start(app)


@hookimpl
def register_personal_data():
    from plugins.rostering.personal_data import SOURCE

    return [SOURCE]
