"""``frontdesk privacy export`` and ``frontdesk privacy erase``: personal-data requests
from a terminal (``core.personal_data.services``).

The commands act as the system (whoever may run them has the database anyway); the audit
entry names no user. Erase shows what it will pseudonymise and what it keeps (and why)
first, and asks unless ``--yes``; the plan names tables and counts, never the person.
"""

from __future__ import annotations

from pathlib import Path

import click

from core.cli_support import fail, friendly, run_with_database


def _subject_args(function):
    function = click.option("--site", "site_code", help="The party's site code (checked when given).")(function)
    function = click.option("--user", "username", help="A user, by username.")(function)
    function = click.option("--party", "party_id", type=int, help="A party, by id.")(function)
    return function


async def _subject(party_id, username, site_code):
    from core.entities.models import Party, Site
    from core.personal_data import services
    from core.problems import Problem

    if (party_id is None) == (username is None):
        raise Problem(422, "give --party ID or --user USERNAME (one of them)")
    if username is not None:
        return await services.user_subject(username=username)
    if site_code is not None:
        site = await Site.get_or_none(code=site_code)
        if site is None:
            raise Problem(404, f"no site {site_code!r}")
    else:
        party = await Party.get_or_none(id=party_id)
        site = await Site.get(id=party.site_id) if party else None
        if site is None:
            raise Problem(404, "No such party at this site.")
    return await services.party_subject(site, party_id)


def _run(work):
    from core.problems import Problem

    try:
        return run_with_database(work)
    except Problem as problem:
        fail(problem.detail, 1)


@click.group("privacy")
def privacy() -> None:
    """Personal-data requests: export everything held about a person, or erase them."""


@privacy.command("export")
@_subject_args
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The ZIP file to write.")
@friendly
def export_command(party_id, username, site_code, output: Path) -> None:
    """Write a ZIP of JSON and CSV files (with a README and manifest) about one person."""
    from core.actors import SYSTEM
    from core.personal_data import services

    async def work(host):
        subject = await _subject(party_id, username, site_code)
        return await services.export(host, SYSTEM, subject)

    content = _run(work)
    output.write_bytes(content)
    click.echo(f"wrote {output} ({len(content)} bytes)")


def _plan_lines(plan: dict) -> list[str]:
    lines = [f"{plan['subject']['kind']} {plan['subject']['id']} becomes {plan['subject']['pseudonym']}"]
    for source in plan["sources"]:
        lines.append(f"  {source['key']}: " + ", ".join(f"{k} {n}" for k, n in source["tables"].items()))
    if plan["mentions"]:
        lines.append("  text naming them: " + ", ".join(f"{k} {n}" for k, n in plan["mentions"].items()))
    for item in plan["kept"]:
        lines.append(f"  kept{' (OPEN)' if item['open'] else ''}: {item['what']}: {item['why']}")
    return lines


@privacy.command("erase")
@_subject_args
@click.option("--yes", is_flag=True, help="Do not ask; erase.")
@friendly
def erase_command(party_id, username, site_code, yes: bool) -> None:
    """Pseudonymise one person everywhere; money and legal records are kept (and said why)."""
    from core.actors import SYSTEM
    from core.personal_data import services

    async def plan(host):
        subject = await _subject(party_id, username, site_code)
        return (await services.preview(host, SYSTEM, subject)).out()

    for line in _plan_lines(_run(plan)):
        click.echo(line)
    if not yes and not click.confirm("Erase this person? This cannot be undone.", default=False):
        fail("nothing erased", 1)

    async def erase(host):
        subject = await _subject(party_id, username, site_code)
        return (await services.erase(host, SYSTEM, subject)).out()

    result = _run(erase)
    changed = sum(result["declared"].values()) + sum(result["swept"].values())
    click.echo(f"erased: now {result['pseudonym']} ({changed} rows changed, {len(result['kept'])} kept items)")
