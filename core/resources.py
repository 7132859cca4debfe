"""Where the files Frontdesk reads at run time from outside its Python packages live.

The repository keeps ``themes/`` and ``config/`` at its top level, beside ``core/`` and
``plugins/``, where people look for them. A wheel cannot install top-level folders next
to the packages, so the build (``setup.py``) maps them into core as ``core/_bundled/themes``
and ``core/_bundled/config``. Every reader asks :func:`data_dir`, which finds them in
either place: the bundled copy when it exists (an installed wheel; a checkout never has
``core/_bundled``), else the checkout's top-level folder (a checkout and an editable
install, ``pip install -e .``, which ``make`` uses).

Everything else a package reads (``templates/``, ``static/``, ``locale/``, ``migrations/``,
the plugin scaffold's ``template/``) sits inside its package already and ships as
package data; ``PluginRecord.resource_dir`` finds those beside the module.
"""

from __future__ import annotations

from pathlib import Path

CORE_DIR = Path(__file__).resolve().parent
#: The repository's top level in a checkout (site-packages in an installed wheel).
CHECKOUT_ROOT = CORE_DIR.parent
#: Where a wheel carries the top-level folders (absent in a checkout).
BUNDLED_ROOT = CORE_DIR / "_bundled"
BUNDLED = ("themes", "config")


def data_dir(name: str) -> Path:
    """The folder ``themes`` or ``config``: bundled in an installed wheel, else the checkout's.

    Bundled first: in an installed wheel ``CHECKOUT_ROOT`` is site-packages, where an
    unrelated distribution may have installed a top-level ``config`` package. When neither
    exists the bundled path is returned, so that an error names where a release looks."""
    if name not in BUNDLED:
        raise ValueError(f"{name!r} is not one of the bundled folders {BUNDLED}")
    bundled = BUNDLED_ROOT / name
    if bundled.is_dir():
        return bundled
    checkout = CHECKOUT_ROOT / name
    return checkout if checkout.is_dir() else bundled


def is_installed_release() -> bool:
    """True when running from an installed wheel (its bundled folders are present)."""
    return BUNDLED_ROOT.is_dir()
