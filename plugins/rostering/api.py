"""Rostering's JSON routes under ``/api/v1/sites/{site}/rostering`` (found by convention),
one module per area: rosters and shifts, swaps and leave, attendance, certificates."""

from plugins.rostering import attendance_api, certificate_api, request_api, roster_api


def routes():
    return [*roster_api.routes(), *request_api.routes(), *attendance_api.routes(), *certificate_api.routes()]
