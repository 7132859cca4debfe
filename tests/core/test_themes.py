"""Themes: the selected theme wins, falls back to the default theme, and can extend it."""

import pytest

from core.errors import StartupError
from core.plugins import load_plugins
from core.web.templating import build_loader


def test_high_contrast_theme_extends_the_default_layout(make_app):
    server = make_app(theme="high_contrast")
    page = server.client().get("/")
    assert "/static/theme/css/frontdesk.css" in page.text  # the default layout, via "default:"
    assert "/static/theme/css/high-contrast.css" in page.text  # plus the override


def test_theme_static_files_fall_back_to_the_default_theme(make_app):
    client = make_app(theme="high_contrast").client()
    assert client.get("/static/theme/css/high-contrast.css").status_code == 200
    assert client.get("/static/theme/css/frontdesk.css").status_code == 200  # only in default


def test_the_default_theme_does_not_serve_another_themes_files(client):
    assert client.get("/static/theme/css/high-contrast.css").status_code == 404


def test_unknown_theme_stops_startup_with_the_available_ones():
    with pytest.raises(StartupError, match="no theme named 'neon'.*available: default, high_contrast"):
        build_loader("neon", load_plugins())


def test_prefixes_reach_each_source():
    loader = build_loader("high_contrast", load_plugins())
    import jinja2

    environment = jinja2.Environment(loader=loader)  # noqa: S701 — reads template source, renders nothing
    assert "high-contrast.css" in loader.get_source(environment, "base.html")[0]
    assert "high-contrast.css" not in loader.get_source(environment, "default:base.html")[0]
    assert loader.get_source(environment, "core:core/home.html")
