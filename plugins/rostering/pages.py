"""Rostering's HTML pages under ``/sites/{site}/rostering`` (found by convention), one module
per area: rosters and shifts, swaps and leave, attendance, certificates."""

from plugins.rostering import attendance_pages, certificate_pages, request_pages, roster_pages


def routes():
    return [*roster_pages.routes(), *request_pages.routes(), *attendance_pages.routes(),
            *certificate_pages.routes()]
