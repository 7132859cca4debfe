"""Rostering's HTML pages under ``/sites/{site}/rostering`` (found by convention), one module
per area: rosters and shifts, swaps and leave, attendance, certificates.

``task_panel`` is what the task page shows of a rostering record (the kernel looks for it
here, in the owner's ``pages`` module): the certificate a reminder task is about.
"""

from plugins.rostering import attendance_pages, certificate_pages, request_pages, roster_pages
from plugins.rostering.certificate_pages import task_panel  # noqa: F401 — found by the task page

__all__ = ["routes", "task_panel"]


def routes():
    return [*roster_pages.routes(), *request_pages.routes(), *attendance_pages.routes(),
            *certificate_pages.routes()]
