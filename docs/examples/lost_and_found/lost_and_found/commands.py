"""``frontdesk lost-and-found ...``: the plugin's command line (``register_cli_commands``).

``core.cli_support`` gives what every frontdesk command shares: ``friendly`` turns a
failure into one line and an exit status, ``run_with_database`` opens the configured
database (refusing pending migrations) around the work.
"""

import click

from core.cli_support import friendly, run_with_database
from core.errors import StartupError


@click.group("lost-and-found")
def lost_and_found_group() -> None:
    """Lost and found entries."""


@lost_and_found_group.command("list")
@click.option("--site", "site_code", required=True, help="The site's code.")
@friendly
def list_entries(site_code) -> None:
    """The site's entries, newest first: id and title, one a line."""
    from core.entities.models import Site
    from lost_and_found.models import Entry

    async def work(_host):
        site = await Site.get_or_none(code=site_code)
        if site is None:
            raise StartupError(f"lost-and-found: no site {site_code!r}", exit_status=2)
        return await Entry.filter(site_id=site.id).order_by("-id").values_list("id", "title")

    for entry_id, title in run_with_database(work):
        click.echo(f"{entry_id}\t{title}")
