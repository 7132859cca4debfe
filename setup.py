"""Which folders become which packages in a wheel; everything else is in pyproject.toml.

``themes/`` and ``config/`` stay at the repository's top level, where people look for them,
and ship inside core as ``core/_bundled/themes`` and ``core/_bundled/config``: a wheel can
only install packages, and a top-level ``themes`` or ``config`` package in site-packages
would clash with other distributions. ``core.resources.data_dir`` finds either place.
(pyproject.toml's ``[tool.setuptools]`` cannot map folders and search for packages at once.)
"""

from setuptools import find_packages, setup

BUNDLED = {"core._bundled.themes": "themes", "core._bundled.config": "config"}

setup(
    packages=[*find_packages(include=["core*", "plugins*"]), *BUNDLED],
    package_dir=BUNDLED,
)
