"""Settings: defaults, then config/default.toml, then FRONTDESK_CONFIG, then FRONTDESK_<KEY>.

The ``Settings`` model is the single list of keys. ``config/default.toml`` repeats it with
a comment per key for people; a test keeps the two in step.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.errors import StartupError
from core.resources import CHECKOUT_ROOT, data_dir

#: The repository's top level (tests and tools read the checkout's docs and tests through it).
PROJECT_ROOT = CHECKOUT_ROOT
#: config/default.toml in a checkout, core/_bundled/config/default.toml in an installed wheel.
DEFAULT_CONFIG_FILE = data_dir("config") / "default.toml"
ENV_PREFIX = "FRONTDESK_"
# Environment names that are not settings keys.
ENV_NOT_SETTINGS = {"FRONTDESK_CONFIG"}
ENV_NOT_SETTINGS_PREFIXES = ("FRONTDESK_TEST_", "FRONTDESK_BENCH_")

LANGUAGES = ("zh_Hant", "zh_Hans", "en")


class Settings(BaseModel):
    """Every setting Frontdesk reads. Defaults match config/default.toml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database_url: str = "sqlite://var/frontdesk.sqlite3"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    secret_key: str = ""
    theme: str = "default"
    default_language: Literal["zh_Hant", "zh_Hans", "en"] = "zh_Hant"
    disabled_plugins: list[str] = []
    session_idle_minutes: int = Field(30, ge=1)
    session_absolute_hours: int = Field(12, ge=1)
    api_token_hours: int = Field(24, ge=1)
    login_max_failures: int = Field(5, ge=1)
    login_max_failures_per_address: int = Field(100, ge=1)
    login_failure_window_minutes: int = Field(15, ge=1)
    login_slow_after: int = Field(3, ge=0)
    login_slow_seconds: int = Field(5, ge=0)
    trusted_proxies: list[str] = []
    require_https: bool = False
    hsts_max_age_seconds: int = Field(31536000, ge=0)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # One line per event: "text" for a terminal, "json" (one object a line) for production.
    log_format: Literal["text", "json"] = "text"
    # PostgreSQL cancels a statement running longer than this; the request gets 503 (0: no
    # limit). `frontdesk migrate` runs without it.
    statement_timeout_ms: int = Field(30000, ge=0)
    # Bulk imports (core.imports): the most data rows and bytes one file may hold.
    import_max_rows: int = Field(50000, ge=1, le=1000000)
    import_max_bytes: int = Field(20000000, ge=1000, le=500000000)
    overdue_check_seconds: int = Field(60, ge=0)
    # On SIGTERM, event streams end at once (with a retry hint) and in-flight requests get
    # this long to finish before they are cancelled and the process exits.
    shutdown_timeout_seconds: float = Field(10.0, ge=0)
    # The per-site log of live events that streams replay after a reconnect (Last-Event-ID):
    # the newest so many per site, none older than so many minutes (0: no age limit).
    live_event_log_size: int = Field(1000, ge=1)
    live_event_log_minutes: int = Field(1440, ge=0)
    # argon2id cost of new password hashes: argon2-cffi's RFC 9106 "low memory" profile.
    # Lowered only where security buys nothing (the test kit), never in production.
    password_time_cost: int = Field(3, ge=1)
    password_memory_kib: int = Field(65536, ge=8)
    password_parallelism: int = Field(4, ge=1)
    # Outgoing messages (core.messages, docs/notifications.md). The address people reach this
    # server at, for links in messages and the SMS gateway's delivery-report callback.
    public_url: str = ""
    # The delivery worker: every so many seconds (0: this process sends nothing, another does).
    outbox_poll_seconds: float = Field(2.0, ge=0)
    outbox_batch_size: int = Field(100, ge=1, le=1000)
    outbox_max_attempts: int = Field(8, ge=1, le=50)
    # Backoff after a failed attempt: base × 2^(attempt-1), at most the cap, with jitter.
    outbox_retry_base_seconds: float = Field(30.0, ge=0)
    outbox_retry_max_seconds: float = Field(3600.0, ge=1)
    # A claimed message whose worker vanished (killed host) goes back to the queue after this.
    outbox_lease_seconds: int = Field(300, ge=10)
    # E-mail over SMTP (empty host: e-mail is not configured and e-mails wait, then fail).
    smtp_host: str = ""
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout_seconds: float = Field(10.0, gt=0)
    mail_from: str = "Frontdesk <frontdesk@localhost>"
    # SMS through an HTTP gateway (empty URL: SMS is not configured). The body template's
    # placeholders are {to}, {text}, {reference} and {callback}, JSON-escaped.
    sms_gateway_url: str = ""
    sms_gateway_token: str = ""
    sms_gateway_body: str = '{"to": "{to}", "text": "{text}", "reference": "{reference}", "callback": "{callback}"}'
    sms_timeout_seconds: float = Field(10.0, gt=0)
    # Signs the gateway's delivery reports (HMAC-SHA256); empty: reports are refused.
    sms_report_secret: str = ""
    # Uploaded documents (core.storage): in the database, or in an S3-compatible bucket.
    storage_backend: Literal["database", "s3"] = "database"
    s3_endpoint_url: str = ""
    s3_bucket: str = ""
    s3_region: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    # Retention (core.retention, docs/operations.md "Retention"): how long each kind of record
    # is kept past its end, 0 keeping it forever, and how often the server's job removes the rest.
    retention_every_hours: float = Field(24.0, ge=0, le=24 * 31)
    retention_batch_size: int = Field(1000, ge=10, le=100000)
    retention_sessions_days: int = Field(30, ge=0, le=36500)
    retention_api_tokens_days: int = Field(30, ge=0, le=36500)
    retention_login_failures_days: int = Field(90, ge=0, le=36500)
    retention_idempotency_days: int = Field(7, ge=0, le=36500)
    retention_messages_days: int = Field(365, ge=0, le=36500)
    retention_task_events_years: int = Field(7, ge=0, le=100)
    retention_audit_years: int = Field(7, ge=0, le=100)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in ("sqlite", "postgres", "postgresql", "asyncpg"):
            raise ValueError("must start with sqlite:// or postgres://")
        if scheme == "sqlite" and not value[len("sqlite://") :]:
            raise ValueError("names no SQLite file")
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if value and len(value) < 32:
            raise ValueError("must be at least 32 characters (or empty to generate one)")
        return value

    @field_validator("theme")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not value.replace("_", "").replace("-", "").isalnum():
            raise ValueError("must be a folder name under themes/")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return value

    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> "Settings":
        if self.storage_backend == "s3" and not self.s3_bucket:
            raise ValueError("storage_backend = \"s3\" needs s3_bucket")
        return self

    @model_validator(mode="after")
    def _failures_kept_through_their_window(self) -> "Settings":
        # The sign-in throttle counts failures over its window: removing them sooner would
        # let a guesser start afresh.
        if self.retention_login_failures_days and self.retention_login_failures_days * 1440 < self.login_failure_window_minutes:
            raise ValueError("retention_login_failures_days must cover login_failure_window_minutes (or be 0: keep)")
        return self

    @model_validator(mode="after")
    def _argon2_memory_fits_lanes(self) -> "Settings":
        if self.password_memory_kib < 8 * self.password_parallelism:
            raise ValueError("password_memory_kib must be at least 8 KiB per lane (8 × password_parallelism)")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite://")

    def with_changes(self, **changes: Any) -> "Settings":
        """A copy with some keys changed, validated like any other source."""
        return build_settings({**self.model_dump(), **changes}, source="overrides")


def _read_toml(path: Path, source: str) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise StartupError(f"config: {source} file {path} does not exist") from None
    except PermissionError:
        raise StartupError(f"config: {source} file {path} cannot be read (permission denied)") from None
    except IsADirectoryError:
        raise StartupError(f"config: {source} file {path} is a folder, not a file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise StartupError(f"config: {source} file {path} is not valid TOML: {error}") from None


def _parse_env_value(key: str, raw: str) -> Any:
    """Turn an environment string into what the field expects.

    Pydantic already converts "8000" and "true"; lists are written comma-separated.
    """
    annotation = Settings.model_fields[key].annotation
    if get_origin(annotation) is list:
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name in ENV_NOT_SETTINGS:
            continue
        if name.startswith(ENV_NOT_SETTINGS_PREFIXES):
            continue
        key = name[len(ENV_PREFIX) :].lower()
        if key not in Settings.model_fields:
            raise StartupError(f"config: {name}: unknown setting {key!r}")
        overrides[key] = _parse_env_value(key, raw)
    return overrides


def build_settings(values: dict[str, Any], source: str) -> Settings:
    """Validate ``values``; the first problem becomes one line naming the key."""
    for key in values:
        if key not in Settings.model_fields:
            raise StartupError(f"config: {key}: unknown setting (in {source})")
    try:
        return Settings(**values)
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "?"
        message = first["msg"]
        if first["type"] == "literal_error":
            allowed = ", ".join(str(option) for option in get_args(Settings.model_fields[key].annotation))
            message = f"must be one of {allowed}"
        raise StartupError(f"config: {key}: {message} (got {first.get('input')!r}, from {source})") from None


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from every source, most specific last; keyword overrides win over all."""
    environ = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    sources = []
    if DEFAULT_CONFIG_FILE.exists():
        values.update(_read_toml(DEFAULT_CONFIG_FILE, "default config"))
        sources.append(str(DEFAULT_CONFIG_FILE))
    if config_path := environ.get("FRONTDESK_CONFIG"):
        values.update(_read_toml(Path(config_path), "FRONTDESK_CONFIG"))
        sources.append(config_path)
    values.update(_env_overrides(environ))
    values.update(overrides)
    return build_settings(values, source=" + ".join(sources + ["environment"]))


def resolve_secret_key(settings: Settings, var_dir: Path) -> str:
    """The configured key, or one generated once and kept beside the data."""
    if settings.secret_key:
        return settings.secret_key
    key_file = var_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Created readable by the owner only: it signs every session.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
