"""Settings: every key listed in config/default.toml, layered sources, one-line errors."""

import subprocess
import sys
import tomllib

import pytest

from core.errors import StartupError
from core.settings import DEFAULT_CONFIG_FILE, Settings, load_settings


def test_default_toml_lists_every_setting_with_the_model_default():
    with DEFAULT_CONFIG_FILE.open("rb") as handle:
        listed = tomllib.load(handle)
    assert set(listed) == set(Settings.model_fields)
    for key, field in Settings.model_fields.items():
        assert listed[key] == field.default, key


def test_every_setting_in_default_toml_has_a_comment_above_it():
    lines = DEFAULT_CONFIG_FILE.read_text().splitlines()
    for number, line in enumerate(lines):
        key = line.split("=")[0].strip()
        if key in Settings.model_fields:
            above = number - 1
            while above >= 0 and lines[above].split("=")[0].strip() in Settings.model_fields:
                above -= 1  # keys of one group share the comment above the group
            assert lines[above].strip().startswith("#"), f"{key} has no comment"


def test_environment_overrides_a_key_with_conversion():
    settings = load_settings({"FRONTDESK_PORT": "8123", "FRONTDESK_DISABLED_PLUGINS": "hotel, cashier"})
    assert settings.port == 8123
    assert settings.disabled_plugins == ["hotel", "cashier"]


def test_config_file_is_layered_between_defaults_and_environment(tmp_path):
    config = tmp_path / "site.toml"
    config.write_text('port = 9000\ntheme = "high_contrast"\n')
    settings = load_settings({"FRONTDESK_CONFIG": str(config), "FRONTDESK_PORT": "9100"})
    assert settings.theme == "high_contrast"
    assert settings.port == 9100


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({"FRONTDESK_PORT": "abc"}, "config: port:"),
        ({"FRONTDESK_PORT": "70000"}, "config: port:"),
        ({"FRONTDESK_NO_SUCH_KEY": "1"}, "unknown setting 'no_such_key'"),
        ({"FRONTDESK_DEFAULT_LANGUAGE": "fr"}, "must be one of zh_Hant, zh_Hans, en"),
        ({"FRONTDESK_DATABASE_URL": "mysql://x"}, "config: database_url: "),
        ({"FRONTDESK_SECRET_KEY": "short"}, "config: secret_key: "),
        ({"FRONTDESK_CONFIG": "/does/not/exist.toml"}, "does not exist"),
    ],
)
def test_bad_values_name_the_key(environ, expected):
    with pytest.raises(StartupError) as error:
        load_settings(environ)
    assert expected in str(error.value)
    assert "\n" not in str(error.value)


def test_unknown_key_in_a_config_file_is_refused(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("colour = 'blue'\n")
    with pytest.raises(StartupError, match="colour: unknown setting"):
        load_settings({"FRONTDESK_CONFIG": str(config)})


def test_unreadable_or_invalid_config_file_is_one_line(tmp_path):
    config = tmp_path / "broken.toml"
    config.write_text("port = \n")
    with pytest.raises(StartupError, match="not valid TOML"):
        load_settings({"FRONTDESK_CONFIG": str(config)})
    with pytest.raises(StartupError, match="is a folder"):
        load_settings({"FRONTDESK_CONFIG": str(tmp_path)})


def test_test_kit_variables_are_not_mistaken_for_settings():
    load_settings({"FRONTDESK_TEST_POSTGRES_URL": "postgres://x", "FRONTDESK_TEST_REQUIRE_POSTGRES": "1"})


def test_cli_reports_a_bad_setting_in_one_line_with_exit_status_2(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "core", "check"],
        env={"PATH": "/usr/bin:/bin", "FRONTDESK_PORT": "not-a-port", "HOME": str(tmp_path)},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "port" in result.stderr
