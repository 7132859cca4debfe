"""The frontdesk command line: users and sites from a terminal, one-line errors."""

import subprocess
import sys

import pytest


def run(database_url, *args, stdin=""):
    return subprocess.run(
        [sys.executable, "-m", "core", *args], input=stdin, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "FRONTDESK_DATABASE_URL": database_url, "FRONTDESK_SECRET_KEY": "k" * 40},
    )


def test_site_and_user_creation_then_sign_in(make_app, database_url):
    assert run(database_url, "site", "create", "riverside", "--name", "Riverside", "--kind", "residential").returncode == 0
    created = run(database_url, "user", "create", "mei", "--role", "agent", "--site", "riverside", "--password-stdin",
                  stdin="a-good-long-password\n")
    assert created.returncode == 0, created.stderr
    server = make_app()
    me = server.api_client("mei", "a-good-long-password").get("/api/v1/me").json()
    assert me["sites"][0]["code"] == "riverside" and me["sites"][0]["roles"] == ["agent"]


def test_passwd_and_disable(make_app, database_url):
    run(database_url, "user", "create", "kai", "--password-stdin", stdin="first-password-x\n")
    assert run(database_url, "user", "passwd", "kai", "--password-stdin", stdin="second-password-x\n").returncode == 0
    server = make_app()
    server.api_client("kai", "second-password-x")
    assert run(database_url, "user", "disable", "kai").returncode == 0
    assert server.client().post("/api/v1/auth/token", json={"username": "kai", "password": "second-password-x"}).status_code == 401


@pytest.mark.parametrize("args, stdin, message", [
    (("user", "create", "xavier", "--password-stdin"), "short\n", "at least 10 characters"),
    (("user", "create", "Bad Name!", "--password-stdin"), "long-enough-pass\n", "lowercase letters"),
    (("user", "create", "y", "--site", "nowhere", "--role", "agent", "--password-stdin"), "long-enough-pass\n", "no site 'nowhere'"),
    (("user", "passwd", "ghost", "--password-stdin"), "long-enough-pass\n", "no user 'ghost'"),
    (("site", "create", "Bad Code", "--name", "X", "--kind", "hotel"), "", "code"),
    (("site", "create", "ok-code", "--name", "X", "--kind", "castle"), "", "kind"),
    (("site", "create", "ok-code", "--name", "X", "--kind", "hotel", "--currency", "XYZ"), "", "Unknown ISO 4217 currency"),
])
def test_bad_input_is_one_line_and_nonzero(database_url, args, stdin, message):
    result = run(database_url, *args, stdin=stdin)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert message in result.stderr and result.stderr.strip().count("\n") == 0, result.stderr
