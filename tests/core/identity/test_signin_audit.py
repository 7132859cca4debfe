"""Failed sign-ins are audited without the typed username when no such account exists:
that text is often a password typed into the wrong box."""

from __future__ import annotations

from core.audit.models import AuditEntry

TYPED = "Tr0ub4dor&3-horse"


def entries_about_sign_in(server) -> list[AuditEntry]:
    return server.call(lambda: AuditEntry.filter(action__startswith="auth.").order_by("id"))


def test_an_unknown_account_is_audited_without_what_was_typed(make_demo_app):
    server = make_demo_app(login_max_failures=2)
    for _ in range(4):  # failures, then the throttle's refusals
        server.client().post("/api/v1/auth/token", json={"username": TYPED, "password": "whatever-it-was"})
    entries = entries_about_sign_in(server)
    assert {entry.action for entry in entries} >= {"auth.login_failed", "auth.throttled"}
    for entry in entries:
        assert TYPED.lower() not in repr((entry.note, entry.before, entry.after)).lower()
    failed = [entry for entry in entries if entry.action == "auth.login_failed"]
    assert failed and all(entry.note.startswith("unknown account") for entry in failed)


def test_an_existing_account_is_named(demo_server):
    demo_server.client().post("/api/v1/auth/token", json={"username": " Agent ", "password": "wrong-password"})
    (failed,) = [entry for entry in entries_about_sign_in(demo_server) if entry.action == "auth.login_failed"]
    assert failed.note == "agent: bad credentials"
