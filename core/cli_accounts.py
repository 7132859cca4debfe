"""`frontdesk user ...` and `frontdesk site ...`: accounts and sites from a terminal.

Kept apart from core/cli.py (the platform commands), which adds these two groups to the
``frontdesk`` group; the helpers both use are in core/cli_support.py.
"""

from __future__ import annotations

import sys

import click

from core.cli_support import friendly, run_with_database
from core.errors import StartupError


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _problem_line(problem) -> StartupError:
    return StartupError(problem.detail, exit_status=1)


@click.group()
def user() -> None:
    """Create users, set passwords, disable accounts."""


@user.command("create")
@click.argument("username")
@click.option("--role", "roles", multiple=True, help="Role at the site(s) given with --site (repeatable).")
@click.option("--site", "sites", multiple=True, help="Site code (repeatable).")
@click.option("--display-name", default="", help="Name shown to colleagues.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--superadmin", is_flag=True, help="Make the user a super-administrator (every site, present and future).")
@friendly
def user_create(username, roles, sites, display_name, password_stdin, superadmin) -> None:
    """Create a user, optionally with roles at sites."""
    from core.entities.models import Site
    from core.identity import services
    from core.identity.models import Role
    from core.problems import Problem

    password = _read_password(password_stdin)

    async def work(host):
        await services.sync_roles_and_permissions(host)
        found_sites = [await Site.get_or_none(code=code) for code in sites]
        found_roles = [await Role.get_or_none(name=name) for name in roles]
        for code, site in zip(sites, found_sites, strict=True):
            if site is None:
                raise StartupError(f"user create: no site {code!r}", exit_status=1)
        for name, role in zip(roles, found_roles, strict=True):
            if role is None:
                raise StartupError(f"user create: no role {name!r}", exit_status=1)
        try:
            created = await services.create_user(username, password, display_name=display_name)
            if superadmin:
                await services.set_superadmin(created, True)
            for site in found_sites:
                for role in found_roles:
                    await services.grant_membership(created, site, role)
        except Problem as problem:
            raise _problem_line(problem) from None
        return created

    created = run_with_database(work)
    click.echo(f"Created user {created.username} (id {created.id}).")


async def _find_user(username: str):
    from core.identity.models import User

    found = await User.get_or_none(username=username.strip().lower())
    if found is None:
        raise StartupError(f"no user {username!r}", exit_status=1)
    return found


@user.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@friendly
def user_passwd(username, password_stdin) -> None:
    """Set a user's password (ends all their sessions)."""
    from core.identity import services
    from core.problems import Problem

    password = _read_password(password_stdin)

    async def work(host):
        try:
            await services.set_password(await _find_user(username), password)
        except Problem as problem:
            raise _problem_line(problem) from None

    run_with_database(work)
    click.echo(f"Password of {username} changed; their sessions and tokens ended.")


@user.command("disable")
@click.argument("username")
@friendly
def user_disable(username) -> None:
    """Disable a user (ends all their sessions and tokens)."""
    from core.identity import services

    async def work(host):
        await services.set_active(await _find_user(username), False)

    run_with_database(work)
    click.echo(f"User {username} disabled.")


@user.command("unlock")
@click.argument("username")
@friendly
def user_unlock(username) -> None:
    """Clear an account's failed sign-ins, so its password sign-in works from anywhere again."""
    from core.identity import sessions

    async def work(host):
        return await sessions.unlock(await _find_user(username))  # audited by the service

    cleared = run_with_database(work)
    click.echo(f"User {username} unlocked ({cleared} failed sign-ins cleared).")


@user.command("superadmin")
@click.argument("username")
@click.option("--revoke", is_flag=True, help="Take the super-administrator flag away instead.")
@friendly
def user_superadmin(username, revoke) -> None:
    """Make a user a super-administrator: they administer every site, present and future."""
    from core.identity import services

    async def work(host):
        await services.set_superadmin(await _find_user(username), not revoke)

    run_with_database(work)
    click.echo(f"User {username} is {'no longer ' if revoke else ''}a super-administrator.")


@click.group()
def site() -> None:
    """Create sites and change their settings."""


@site.command("create")
@click.argument("code")
@click.option("--name", required=True, help="The site's name.")
@click.option("--kind", required=True, help="residential, hotel, call_centre, office, retail or other.")
@click.option("--currency", default="TWD", show_default=True, help="ISO 4217 code.")
@click.option("--timezone", default="Asia/Taipei", show_default=True, help="IANA time zone.")
@click.option("--language", default="zh_Hant", show_default=True, help="zh_Hant, zh_Hans or en.")
@friendly
def site_create(code, name, kind, currency, timezone, language) -> None:
    """Create a site."""
    from pydantic import ValidationError

    from core.entities import services
    from core.entities.schemas import SiteIn
    from core.web.api import validation_errors
    from core.problems import Problem

    try:
        data = SiteIn(code=code, name=name, kind=kind, currency=currency, timezone=timezone,
                      default_language=language).model_dump()
    except ValidationError as error:
        first = validation_errors(error)[0]
        raise StartupError(f"site create: {first['field']}: {first['message']}", exit_status=1) from None
    async def work(host):
        try:
            return await services.create_site(data)
        except Problem as problem:
            raise _problem_line(problem) from None

    created = run_with_database(work)
    click.echo(f"Created site {created.code} ({created.name}).")


@site.command("settings")
@click.argument("code")
@click.option("--set", "assignments", multiple=True, metavar="GROUP.KEY=VALUE",
              help="Change a setting (repeatable; all or nothing), e.g. cashier.refund_approval_limit=5000.")
@friendly
def site_settings_command(code, assignments) -> None:
    """Print a site's effective settings, or change some with --set."""
    import json

    from core import site_settings
    from core.entities.models import Site
    from core.problems import Problem

    texts = {}
    for assignment in assignments:
        path, sign, text = assignment.partition("=")
        if not sign or not path.strip():
            raise StartupError(f"site settings: {assignment!r}: write GROUP.KEY=VALUE", exit_status=1)
        texts[path.strip()] = text

    async def work(host):
        found = await Site.get_or_none(code=code)
        if found is None:
            raise StartupError(f"site settings: no site {code!r}", exit_status=1)
        try:
            if texts:
                values = site_settings.from_texts(found, host, texts)
                found = await site_settings.change(found, values, found.version, host)
            return await site_settings.read(found, host)
        except Problem as problem:
            first = (problem.errors or [{"field": "", "message": problem.detail}])[0]
            raise StartupError(f"site settings: {first['field']}: {first['message']}", exit_status=1) from None

    found, described = run_with_database(work)
    click.echo(f"# {found.code} (version {found.version})")
    for group in described:
        for item in group["settings"]:
            shown = item["value"] if isinstance(item["value"], str) else json.dumps(item["value"], ensure_ascii=False)
            click.echo(f"{group['group']}.{item['key']} = {shown}")
