"""``python -m core`` is the ``frontdesk`` command."""

from core.cli import main

main()
